//! Withdrawal: any consenting party withdraws — the customer in their account, others through
//! their invitation link — and the order stops at once from any active state, with its erasure
//! scheduled; a stopped order keeps its status and only gets the schedule.

use chrono::{DateTime, Utc};
use keepsake::domain::account::Role;
use keepsake::domain::order::OrderStatus;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::json;

use crate::helpers::{TestApp, order_body};

/// Put an order in `status` the way a later stage of the pipeline would have (production
/// stages have no API yet): one direct update.
async fn force_status(app: &TestApp, order: &str, status: OrderStatus) {
    let id = uuid::Uuid::parse_str(order).unwrap();
    let backend = app.state.db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE orders SET status = $1, resume_status = $2 WHERE id = $3"
        }
        _ => "UPDATE orders SET status = ?, resume_status = ? WHERE id = ?",
    };
    let resume: Option<String> = matches!(status, OrderStatus::NeedsInfo | OrderStatus::OnHold)
        .then(|| "screening".to_owned());
    app.state
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [status.as_str().into(), resume.into(), id.into()],
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn withdrawal_stops_the_order_from_every_active_state_and_schedules_erasure() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    for &status in OrderStatus::ALL.iter().filter(|s| s.is_active()) {
        let order = app.create_order(&order_body("machine_driven")).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let signed = app
            .sign_requester(&order, &texts["requester"], "machine_driven")
            .await;
        assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);
        let cid = signed.body["id"].as_str().unwrap().to_owned();
        force_status(&app, &order, status).await;

        let before = Utc::now();
        let reply = app
            .post(
                &format!("/api/v1/orders/{order}/consents/{cid}/withdraw"),
                &json!({ "reason": "I changed my mind" }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{status}: {:?}", reply.body);
        assert_eq!(reply.body["order_stopped"], true, "{status}");
        assert_eq!(reply.body["order_status"], "withdrawn", "{status}");
        let due: DateTime<Utc> = reply.body["erasure_due_at"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            (due - before).num_days(),
            30,
            "{status}: thirty days after the withdrawal"
        );
        let order_view = app.get(&format!("/api/v1/orders/{order}")).await;
        assert_eq!(order_view.body["status"], "withdrawn");
        assert!(order_view.body["withdrawn_at"].is_string());

        let again = app
            .post(
                &format!("/api/v1/orders/{order}/consents/{cid}/withdraw"),
                &json!({}),
            )
            .await;
        assert_eq!(again.code(), "already_withdrawn", "{status}");
    }
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let verified = app.verify_ledger(&admin).await;
    assert_eq!(verified["ok"], true, "{verified}");
}

#[tokio::test]
async fn a_stopped_order_keeps_its_status_and_gets_an_erasure_schedule() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let signed = app
        .sign_requester(&order, &texts["requester"], "machine_driven")
        .await;
    let cid = signed.body["id"].as_str().unwrap().to_owned();
    let cancelled = app.act(&order, "cancel", &app.auth, None).await;
    assert_eq!(cancelled.body["status"], "cancelled");
    let reply = app
        .post(
            &format!("/api/v1/orders/{order}/consents/{cid}/withdraw"),
            &json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["order_stopped"], false);
    assert_eq!(reply.body["order_status"], "cancelled");
    assert!(reply.body["erasure_due_at"].is_string());
}

#[tokio::test]
async fn only_the_signer_withdraws_and_invitees_use_their_link() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let order = app.screened_order("human_driven", &reviewer).await;
    let signed = app
        .sign_requester(&order, &texts["requester"], "human_driven")
        .await;
    let cid = signed.body["id"].as_str().unwrap().to_owned();
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let by_staff = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{order}/consents/{cid}/withdraw"),
            &[("authorization", &staff)],
            None,
        )
        .await;
    assert_eq!(by_staff.status, StatusCode::FORBIDDEN);
    assert_eq!(by_staff.code(), "not_the_signer");

    let invitation = app
        .invite(
            &order,
            &json!({ "party": "actor", "invitee_name": "Actor Wang" }),
        )
        .await;
    let link = invitation.body["path"].as_str().unwrap().to_owned();
    let nothing = app
        .send_anonymous(Method::POST, &format!("{link}/withdraw"), &[], None)
        .await;
    assert_eq!(nothing.code(), "nothing_to_withdraw");
    let signed = app
        .sign_invitation(&link, &json!({ "text_id": texts["actor"], "signer_name": "Wang Lei", "grants": { "modalities": ["face", "voice"], "purposes": ["live_call"] } }))
        .await;
    assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);
    let withdrawn = app
        .send_anonymous(
            Method::POST,
            &format!("{link}/withdraw"),
            &[],
            Some(&json!({ "reason": "I will not play this role" })),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{:?}", withdrawn.body);
    assert_eq!(withdrawn.body["order_status"], "withdrawn");
    let events = app.get(&format!("/api/v1/orders/{order}/consents")).await;
    let actor = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["party"] == "actor")
        .unwrap();
    assert!(actor["withdrawn_at"].is_string());
    let opened = app.send_anonymous(Method::GET, &link, &[], None).await;
    assert_eq!(opened.body["invitation"]["state"], "used");
    assert!(opened.body["consent"]["withdrawn_at"].is_string());
}

#[tokio::test]
async fn invitation_links_are_single_use_expire_and_belong_to_one_order() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let order = app.create_order(&order_body("human_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.create_order(&order_body("human_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let invitation = app
        .invite(
            &order,
            &json!({ "party": "actor", "invitee_name": "Actor Wang" }),
        )
        .await;
    let token = invitation.body["token"].as_str().unwrap().to_owned();
    let link = invitation.body["path"].as_str().unwrap().to_owned();
    let body = json!({ "text_id": texts["actor"], "signer_name": "Wang Lei", "grants": { "modalities": ["face", "voice"], "purposes": ["live_call"] } });

    let wrong_order = format!("/api/v1/orders/{other}/consent-invitations/{token}");
    for reply in [
        app.send_anonymous(Method::GET, &wrong_order, &[], None)
            .await,
        app.sign_invitation(&wrong_order, &body).await,
        app.send_anonymous(
            Method::GET,
            &format!("/api/v1/orders/{order}/consent-invitations/not-a-token"),
            &[],
            None,
        )
        .await,
    ] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{:?}", reply.body);
        assert_eq!(reply.code(), "invitation_not_found");
    }
    let first = app.sign_invitation(&link, &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let second = app.sign_invitation(&link, &body).await;
    assert_eq!(second.status, StatusCode::GONE);
    assert_eq!(second.code(), "invitation_used");

    // Asking again for the same invitee replaces the unused link.
    let old = app
        .invite(
            &other,
            &json!({ "party": "actor", "invitee_name": "Actor Li" }),
        )
        .await;
    let new = app
        .invite(
            &other,
            &json!({ "party": "actor", "invitee_name": "Actor Li" }),
        )
        .await;
    assert_eq!(new.body["revoked_earlier"], 1);
    let stale = app
        .sign_invitation(old.body["path"].as_str().unwrap(), &body)
        .await;
    assert_eq!(stale.code(), "invitation_expired");
    let fresh = app
        .sign_invitation(new.body["path"].as_str().unwrap(), &body)
        .await;
    assert_eq!(fresh.status, StatusCode::CREATED, "{:?}", fresh.body);

    // Concurrent uses of one link: exactly one signature.
    let third = app.create_order(&order_body("human_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let shared = app
        .invite(
            &third,
            &json!({ "party": "actor", "invitee_name": "Actor Zhao" }),
        )
        .await;
    let shared_path = shared.body["path"].as_str().unwrap().to_owned();
    let racers =
        futures::future::join_all((0..4).map(|_| app.sign_invitation(&shared_path, &body))).await;
    assert_eq!(
        racers
            .iter()
            .filter(|r| r.status == StatusCode::CREATED)
            .count(),
        1,
        "{racers:?}"
    );
    let listed = app.get(&format!("/api/v1/orders/{third}/consents")).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_expired_link_cannot_be_signed() {
    let app = TestApp::spawn_with(|s| s.consent.invitation_ttl_hours = 0).await;
    let texts = app.publish_consent_texts().await;
    let order = app.create_order(&order_body("human_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let invitation = app
        .invite(
            &order,
            &json!({ "party": "actor", "invitee_name": "Actor Wang" }),
        )
        .await;
    let link = invitation.body["path"].as_str().unwrap();
    let opened = app.send_anonymous(Method::GET, link, &[], None).await;
    assert_eq!(opened.body["invitation"]["state"], "expired");
    let reply = app
        .sign_invitation(link, &json!({ "text_id": texts["actor"], "signer_name": "Wang Lei", "grants": { "modalities": ["face"], "purposes": ["live_call"] } }))
        .await;
    assert_eq!(reply.status, StatusCode::GONE);
    assert_eq!(reply.code(), "invitation_expired");
}
