//! Consent records, the CN policy as the API reports it, invitation links, the reviewer's
//! consent decision, and the receipt.

use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, order_body};

fn missing_kinds(status: &Value) -> Vec<String> {
    status["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["satisfied"] == false)
        .map(|r| {
            let req = &r["requirement"];
            req["party"]
                .as_str()
                .or(req["document_type"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn the_status_lists_what_the_cn_policy_needs_until_it_is_signed() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let order = app.submitted_order("human_driven").await;
    let status_path = format!("/api/v1/orders/{order}/consent-status");
    let before = app.get(&status_path).await;
    assert_eq!(before.status, StatusCode::OK, "{:?}", before.body);
    assert_eq!(before.body["policy"], "CN");
    assert_eq!(before.body["complete"], false);
    assert_eq!(
        missing_kinds(&before.body),
        [
            "requester",
            "death_certificate",
            "proof_of_relationship",
            "actor"
        ]
    );

    let signed = app
        .sign_requester(&order, &texts["requester"], "human_driven")
        .await;
    assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);
    assert_eq!(signed.body["verification_method"], "account_session");
    let after = app.get(&status_path).await;
    assert_eq!(missing_kinds(&after.body), ["actor"]);

    let invitation = app
        .invite(
            &order,
            &json!({ "party": "actor", "invitee_name": "Actor Wang" }),
        )
        .await;
    assert_eq!(
        invitation.status,
        StatusCode::CREATED,
        "{:?}",
        invitation.body
    );
    let path = invitation.body["path"].as_str().unwrap().to_owned();
    let opened = app.send_anonymous(Method::GET, &path, &[], None).await;
    assert_eq!(opened.status, StatusCode::OK, "{:?}", opened.body);
    assert_eq!(opened.body["invitation"]["state"], "pending");
    assert_eq!(opened.body["texts"][0]["party"], "actor");
    let actor_signed = app
        .sign_invitation(
            &path,
            &json!({ "text_id": texts["actor"], "signer_name": "Wang Lei", "grants": { "modalities": ["face", "voice"], "purposes": ["live_call"] } }),
        )
        .await;
    assert_eq!(
        actor_signed.status,
        StatusCode::CREATED,
        "{:?}",
        actor_signed.body
    );
    assert_eq!(actor_signed.body["verification_method"], "invitation_link");
    assert_eq!(actor_signed.body["relationship"], "actor");
    let done = app.get(&status_path).await;
    assert_eq!(done.body["complete"], true, "{}", done.body);

    // Staff see the same records; a stranger does not see the order at all.
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let listed = app
        .send(
            Method::GET,
            &format!("/api/v1/orders/{order}/consents"),
            &[("authorization", &staff)],
            None,
        )
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    assert!(
        listed.body[0].get("signer_ip").is_none(),
        "addresses stay in the record"
    );
    let stranger = app.customer("stranger@example.com").await;
    let hidden = app
        .send(
            Method::GET,
            &status_path,
            &[("authorization", &stranger)],
            None,
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_sibling_needs_a_parent_spouse_or_child_and_a_living_twin_signs_as_the_subject() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let mut body = order_body("machine_driven");
    body["subject"]["requester_relationship"] = json!("sibling");
    let order = app.submitted_order_with(body).await;
    app.sign_requester(&order, &texts["requester"], "machine_driven")
        .await;
    let status = app
        .get(&format!("/api/v1/orders/{order}/consent-status"))
        .await;
    assert_eq!(missing_kinds(&status.body), ["relative"]);
    let no_relationship = app
        .invite(
            &order,
            &json!({ "party": "relative", "invitee_name": "Chen Hua" }),
        )
        .await;
    assert_eq!(no_relationship.code(), "relationship_required");
    let invitation = app
        .invite(
            &order,
            &json!({ "party": "relative", "relationship": "parent", "invitee_name": "Chen Hua" }),
        )
        .await;
    let path = invitation.body["path"].as_str().unwrap();
    let signed = app
        .sign_invitation(
            path,
            &json!({ "text_id": texts["relative"], "signer_name": "Chen Hua", "grants": { "modalities": ["face", "voice"], "purposes": ["training", "avatar"] } }),
        )
        .await;
    assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);
    let status = app
        .get(&format!("/api/v1/orders/{order}/consent-status"))
        .await;
    assert_eq!(status.body["complete"], true, "{}", status.body);

    // A living twin: no death evidence; the customer signs as requester and as the subject.
    let twin_body = json!({
        "subject": { "name": "Lin Qing", "requester_relationship": "self", "birth_date": "1980-01-01", "living": true, "living_twin": true },
        "delivery_mode": "machine_driven",
        "intake": { "purpose": "for my children", "family_awareness": "all of them", "support_network": "my partner" }
    });
    let twin = app.submitted_order_with(twin_body).await;
    let status = app
        .get(&format!("/api/v1/orders/{twin}/consent-status"))
        .await;
    assert_eq!(missing_kinds(&status.body), ["requester", "living_subject"]);
    let as_subject = app
        .post(
            &format!("/api/v1/orders/{twin}/consents"),
            &json!({ "party": "living_subject", "text_id": texts["living_subject"], "signer_name": "Lin Qing",
                     "grants": { "modalities": ["face", "voice"], "purposes": ["training", "avatar"] } }),
        )
        .await;
    assert_eq!(
        as_subject.status,
        StatusCode::CREATED,
        "{:?}",
        as_subject.body
    );
    assert_eq!(as_subject.body["relationship"], "self");
    let not_invitable = app
        .invite(
            &twin,
            &json!({ "party": "living_subject", "invitee_name": "Lin Qing" }),
        )
        .await;
    assert_eq!(not_invitable.code(), "party_not_invitable");
}

#[tokio::test]
async fn bad_signatures_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let order = app.submitted_order("machine_driven").await;
    let path = format!("/api/v1/orders/{order}/consents");
    let photo = app
        .get(&format!("/api/v1/orders/{order}/samples"))
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "photo")
        .unwrap()["id"]
        .clone();
    let grants = json!({ "modalities": ["face", "voice"], "purposes": ["training", "avatar"] });
    let cases = [
        (
            json!({ "party": "requester", "text_id": texts["actor"], "signer_name": "Chen Jun", "grants": grants }),
            "wrong_consent_text",
        ),
        (
            json!({ "party": "requester", "text_id": uuid::Uuid::now_v7(), "signer_name": "Chen Jun", "grants": grants }),
            "unknown_consent_text",
        ),
        (
            json!({ "party": "relative", "text_id": texts["relative"], "signer_name": "Chen Jun", "grants": grants }),
            "party_signs_by_invitation",
        ),
        (
            json!({ "party": "requester", "text_id": texts["requester"], "signer_name": " ", "grants": grants }),
            "invalid_signer_name",
        ),
        (
            json!({ "party": "requester", "text_id": texts["requester"], "signer_name": "Chen Jun", "grants": { "modalities": [], "purposes": ["training"] } }),
            "empty_grant",
        ),
        (
            json!({ "party": "requester", "text_id": texts["requester"], "signer_name": "Chen Jun", "grants": grants,
                 "evidence": [{ "sample_id": photo, "document_type": "death_certificate" }] }),
            "invalid_evidence",
        ),
        (
            json!({ "party": "subject_wishes", "text_id": texts["subject_wishes"], "signer_name": "Chen Jun", "decision": "refused", "grants": grants }),
            "evidence_required",
        ),
    ];
    for (body, code) in cases {
        let reply = app.post(&path, &body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{code}: {:?}",
            reply.body
        );
        assert_eq!(reply.code(), code);
    }
    assert_eq!(app.get(&path).await.body, json!([]), "nothing was recorded");

    let first = app
        .sign_requester(&order, &texts["requester"], "machine_driven")
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = app
        .sign_requester(&order, &texts["requester"], "machine_driven")
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "already_signed");

    // A newer version of a text makes the old one unsignable.
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    app.send(
        Method::POST,
        "/api/v1/consent-texts",
        &[("authorization", &admin)],
        Some(&json!({ "jurisdiction": "CN", "party": "subject_wishes", "language": "en", "body": "Version two." })),
    )
    .await;
    let docs = app.document_ids(&order).await;
    let outdated = app
        .post(
            &path,
            &json!({ "party": "subject_wishes", "text_id": texts["subject_wishes"], "signer_name": "Chen Jun", "decision": "refused",
                     "grants": { "modalities": [], "purposes": [] }, "evidence": [{ "sample_id": docs[0], "document_type": "written_wishes" }] }),
        )
        .await;
    assert_eq!(outdated.status, StatusCode::CONFLICT);
    assert_eq!(outdated.code(), "consent_text_outdated");
    assert_eq!(app.get(&path).await.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn concurrent_signatures_of_the_same_party_record_one() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let other = app.submitted_order("machine_driven").await;
    let signed = app
        .sign_requester(&other, &texts["requester"], "machine_driven")
        .await;
    let cid = signed.body["id"].as_str().unwrap().to_owned();
    let withdraw_path = format!("/api/v1/orders/{other}/consents/{cid}/withdraw");
    let empty = json!({});
    let withdrawals =
        futures::future::join_all((0..4).map(|_| app.post(&withdraw_path, &empty))).await;
    let ok = withdrawals
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(ok, 1, "{withdrawals:?}");
    assert!(
        withdrawals
            .iter()
            .all(|r| r.status == StatusCode::OK || r.code() == "already_withdrawn")
    );

    let third = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.upload_sample(
        &third,
        "document",
        "application/pdf",
        &keepsake::media::samples::pdf(),
    )
    .await;
    app.upload_sample(
        &third,
        "document",
        "application/pdf",
        &keepsake::media::samples::pdf(),
    )
    .await;
    let racers = futures::future::join_all(
        (0..4).map(|_| app.sign_requester(&third, &texts["requester"], "machine_driven")),
    )
    .await;
    let created = racers
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{racers:?}");
    assert!(
        racers
            .iter()
            .all(|r| r.status == StatusCode::CREATED || r.code() == "already_signed")
    );
    let listed = app.get(&format!("/api/v1/orders/{third}/consents")).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);

    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let verified = app.verify_ledger(&admin).await;
    assert_eq!(verified["ok"], true, "{verified}");
}
