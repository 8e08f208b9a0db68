//! human_driven live sessions: booking needs a human_driven order in production and the actor's
//! live consent (face, live call); a log records the duration and whether the AI label was shown;
//! a session without the label is flagged for a reviewer, who reviews it with a reason (never
//! one who worked on the order); the customer sees their sessions without the studio's notes.

use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp};
use crate::workflow::human_order_in_production;

fn tomorrow() -> String {
    (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()
}

fn booking(consent: &str) -> Value {
    json!({
        "scheduled_at": tomorrow(),
        "actor_consent_id": consent,
        "participants": [
            { "name": "Chen Jun", "relationship": "son" },
            { "name": "Chen Hua" }
        ]
    })
}

async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Reply {
    app.send(method, path, &[("authorization", token)], body)
        .await
}

async fn schedule(app: &TestApp, token: &str, order: &str, body: &Value) -> Reply {
    let key = uuid::Uuid::new_v4().to_string();
    schedule_with_key(app, token, order, body, &key).await
}

async fn schedule_with_key(
    app: &TestApp,
    token: &str,
    order: &str,
    body: &Value,
    key: &str,
) -> Reply {
    app.send(
        Method::POST,
        &format!("/api/v1/orders/{order}/live-sessions"),
        &[("authorization", token), ("idempotency-key", key)],
        Some(body),
    )
    .await
}

async fn log(app: &TestApp, token: &str, order: &str, session: &str, body: &Value) -> Reply {
    call(
        app,
        token,
        Method::POST,
        &format!("/api/v1/orders/{order}/live-sessions/{session}/log"),
        Some(body),
    )
    .await
}

async fn sessions(app: &TestApp, token: &str, order: &str) -> Reply {
    call(
        app,
        token,
        Method::GET,
        &format!("/api/v1/orders/{order}/live-sessions"),
        None,
    )
    .await
}

async fn outbox_count(app: &TestApp, kind: &str, order: &str) -> i64 {
    let backend = app.state.db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT COUNT(*) AS n FROM outbox WHERE kind = $1 AND order_id = $2 AND audience = 'staff'"
        }
        _ => {
            "SELECT COUNT(*) AS n FROM outbox WHERE kind = ? AND order_id = ? AND audience = 'staff'"
        }
    };
    let id = uuid::Uuid::parse_str(order).unwrap();
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [kind.into(), id.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn a_booking_needs_a_human_driven_order_in_production_and_the_actors_consent() {
    let app = TestApp::spawn().await;
    let p = human_order_in_production(&app).await;

    let machine = app.submitted_order("machine_driven").await;
    let refused = schedule(&app, &p.staff, &machine, &booking(&p.actor_consent)).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::CONFLICT, "not_human_driven")
    );
    let not_yet = app.submitted_order("human_driven").await;
    let refused = schedule(&app, &p.staff, &not_yet, &booking(&p.actor_consent)).await;
    assert_eq!(refused.code(), "order_not_in_production");

    let requester_consent = app
        .get(&format!("/api/v1/orders/{}/consents", p.order))
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["party"] == "requester")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for consent in [
        requester_consent.as_str(),
        p.voice_only_consent.as_str(),
        &uuid::Uuid::now_v7().to_string(),
    ] {
        let reply = schedule(&app, &p.staff, &p.order, &booking(consent)).await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::CONFLICT, "actor_consent_missing"),
            "{consent}"
        );
    }
    let mut past = booking(&p.actor_consent);
    past["scheduled_at"] = json!("2026-01-01T10:00:00Z");
    assert_eq!(
        schedule(&app, &p.staff, &p.order, &past).await.code(),
        "invalid_schedule"
    );
    let mut nobody = booking(&p.actor_consent);
    nobody["participants"] = json!([]);
    assert_eq!(
        schedule(&app, &p.staff, &p.order, &nobody).await.code(),
        "invalid_participants"
    );
    let by_customer = schedule(&app, &app.auth, &p.order, &booking(&p.actor_consent)).await;
    assert_eq!(
        (by_customer.status, by_customer.code()),
        (StatusCode::FORBIDDEN, "staff_only")
    );
    let other = app.customer("other@example.com").await;
    assert_eq!(
        schedule(&app, &other, &p.order, &booking(&p.actor_consent))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sessions(&app, &p.staff, &p.order).await.body,
        json!([]),
        "nothing was booked"
    );

    let booked = schedule(&app, &p.staff, &p.order, &booking(&p.actor_consent)).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);
    assert_eq!(booked.body["status"], "scheduled");
    assert_eq!(
        booked.body["participants"][0],
        json!({ "name": "Chen Jun", "relationship": "son" })
    );
    let session = booked.body["id"].as_str().unwrap().to_owned();

    // The actor withdraws: the order stops, and the booked session can no longer be held.
    let withdrawn = app
        .send_anonymous(
            Method::POST,
            &format!("{}/withdraw", p.actor_link),
            &[],
            None,
        )
        .await;
    assert_eq!(
        withdrawn.body["order_status"], "withdrawn",
        "{:?}",
        withdrawn.body
    );
    let held = log(
        &app,
        &p.staff,
        &p.order,
        &session,
        &json!({ "duration_minutes": 40, "ai_label_shown": true }),
    )
    .await;
    assert_eq!(
        (held.status, held.code()),
        (StatusCode::CONFLICT, "order_stopped")
    );
    let again = schedule(&app, &p.staff, &p.order, &booking(&p.actor_consent)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        sessions(&app, &p.staff, &p.order).await.body[0]["status"],
        "scheduled"
    );
}

#[tokio::test]
async fn a_session_without_the_ai_label_is_flagged_and_reviewed_by_someone_else() {
    let app = TestApp::spawn().await;
    let p = human_order_in_production(&app).await;
    // Logged by someone who is staff and reviewer: they may not review their own session.
    let both = app
        .studio_member("both@studio.example", &[Role::Staff, Role::Reviewer])
        .await;
    let first = schedule(&app, &p.staff, &p.order, &booking(&p.actor_consent))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = schedule(&app, &p.staff, &p.order, &booking(&p.actor_consent))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let missing = log(
        &app,
        &both,
        &p.order,
        &first,
        &json!({ "duration_minutes": 40 }),
    )
    .await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "ai_label_shown_required")
    );
    for minutes in [0, -3, 481] {
        let reply = log(
            &app,
            &both,
            &p.order,
            &first,
            &json!({ "duration_minutes": minutes, "ai_label_shown": true }),
        )
        .await;
        assert_eq!(reply.code(), "invalid_duration", "{minutes}");
    }
    let by_customer = log(
        &app,
        &app.auth,
        &p.order,
        &first,
        &json!({ "duration_minutes": 40, "ai_label_shown": true }),
    )
    .await;
    assert_eq!(by_customer.status, StatusCode::FORBIDDEN);

    let logged = log(&app, &both, &p.order, &first, &json!({ "duration_minutes": 42, "ai_label_shown": false, "notes": "label overlay crashed at minute 3" })).await;
    assert_eq!(logged.status, StatusCode::OK, "{:?}", logged.body);
    assert_eq!(logged.body["status"], "held");
    assert_eq!(logged.body["flagged_for_review"], true);
    assert_eq!(logged.body["duration_minutes"], 42);
    let twice = log(
        &app,
        &p.staff,
        &p.order,
        &first,
        &json!({ "duration_minutes": 42, "ai_label_shown": true }),
    )
    .await;
    assert_eq!(
        (twice.status, twice.code()),
        (StatusCode::CONFLICT, "already_logged")
    );
    let also = log(
        &app,
        &p.staff,
        &p.order,
        &second,
        &json!({ "duration_minutes": 30, "ai_label_shown": false }),
    )
    .await;
    assert_eq!(also.body["flagged_for_review"], true);
    assert_eq!(
        outbox_count(&app, "live_session.flagged", &p.order).await,
        2
    );

    // The customer sees the sessions, not the studio's notes or review.
    let mine = sessions(&app, &app.auth, &p.order).await;
    assert_eq!(mine.status, StatusCode::OK);
    let seen = &mine.body[0];
    assert_eq!(
        (seen["status"].as_str(), seen["duration_minutes"].as_i64()),
        (Some("held"), Some(42))
    );
    for hidden in ["notes", "flagged_for_review", "review_note", "logged_by"] {
        assert!(seen.get(hidden).is_none(), "{hidden}: {seen}");
    }
    let studio = sessions(&app, &p.staff, &p.order).await;
    assert_eq!(studio.body[0]["notes"], "label overlay crashed at minute 3");
    let other = app.customer("other@example.com").await;
    assert_eq!(
        sessions(&app, &other, &p.order).await.status,
        StatusCode::NOT_FOUND
    );

    // The reviewers' queue, one page at a time.
    let queue = call(
        &app,
        &p.reviewer,
        Method::GET,
        "/api/v1/live-sessions?flagged=true&limit=1",
        None,
    )
    .await;
    assert_eq!(queue.status, StatusCode::OK, "{:?}", queue.body);
    assert_eq!(queue.body["items"][0]["id"], first.as_str());
    let next = queue.body["next"].as_str().unwrap().to_owned();
    let page2 = call(
        &app,
        &p.reviewer,
        Method::GET,
        &format!("/api/v1/live-sessions?flagged=true&limit=1&after={next}"),
        None,
    )
    .await;
    assert_eq!(page2.body["items"][0]["id"], second.as_str());
    assert!(page2.body["next"].is_null());
    let by_customer = call(
        &app,
        &app.auth,
        Method::GET,
        "/api/v1/live-sessions?flagged=true",
        None,
    )
    .await;
    assert_eq!(by_customer.status, StatusCode::FORBIDDEN);

    let review_path = format!("/api/v1/orders/{}/live-sessions/{first}/review", p.order);
    let reason = json!({ "reason": "overlay failure confirmed; family told; overlay fixed" });
    let by_staff = call(&app, &p.staff, Method::POST, &review_path, Some(&reason)).await;
    assert_eq!(
        (by_staff.status, by_staff.code()),
        (StatusCode::FORBIDDEN, "reviewers_only")
    );
    let own = call(&app, &both, Method::POST, &review_path, Some(&reason)).await;
    assert_eq!(
        (own.status, own.code()),
        (StatusCode::FORBIDDEN, "separation_of_duties")
    );
    let unreasoned = call(
        &app,
        &p.reviewer,
        Method::POST,
        &review_path,
        Some(&json!({})),
    )
    .await;
    assert_eq!(
        (unreasoned.status, unreasoned.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "reason_required")
    );
    let reviewed = call(&app, &p.reviewer, Method::POST, &review_path, Some(&reason)).await;
    assert_eq!(reviewed.status, StatusCode::OK, "{:?}", reviewed.body);
    assert_eq!(reviewed.body["review_note"], reason["reason"]);
    assert!(reviewed.body["reviewed_at"].is_string());
    let twice = call(&app, &p.reviewer, Method::POST, &review_path, Some(&reason)).await;
    assert_eq!(
        (twice.status, twice.code()),
        (StatusCode::CONFLICT, "already_reviewed")
    );
    let queue = call(
        &app,
        &p.reviewer,
        Method::GET,
        "/api/v1/live-sessions?flagged=true",
        None,
    )
    .await;
    let ids: Vec<&str> = queue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![second.as_str()]);
    assert!(
        sessions(&app, &app.auth, &p.order).await.body[0]
            .get("review_note")
            .is_none()
    );

    let actions: Vec<String> =
        keepsake::audit::events_for(&app.state.db, uuid::Uuid::parse_str(&p.order).unwrap())
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
    for action in [
        "live_session.scheduled",
        "live_session.logged",
        "live_session.flagged",
        "live_session.reviewed",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn a_session_with_the_label_shown_is_not_flagged_and_a_cancelled_one_is_not_logged() {
    let app = TestApp::spawn().await;
    let p = human_order_in_production(&app).await;
    let fine = schedule(&app, &p.staff, &p.order, &booking(&p.actor_consent))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let logged = log(
        &app,
        &p.staff,
        &p.order,
        &fine,
        &json!({ "duration_minutes": 55, "ai_label_shown": true }),
    )
    .await;
    assert_eq!(
        logged.body["flagged_for_review"], false,
        "{:?}",
        logged.body
    );
    assert_eq!(
        outbox_count(&app, "live_session.flagged", &p.order).await,
        0
    );
    let review = call(
        &app,
        &p.reviewer,
        Method::POST,
        &format!("/api/v1/orders/{}/live-sessions/{fine}/review", p.order),
        Some(&json!({ "reason": "looks fine" })),
    )
    .await;
    assert_eq!(
        (review.status, review.code()),
        (StatusCode::CONFLICT, "not_flagged")
    );

    let called_off = schedule(&app, &p.staff, &p.order, &booking(&p.actor_consent))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancel_path = format!(
        "/api/v1/orders/{}/live-sessions/{called_off}/cancel",
        p.order
    );
    let no_reason = call(&app, &p.staff, Method::POST, &cancel_path, Some(&json!({}))).await;
    assert_eq!(no_reason.code(), "reason_required");
    let by_customer = call(
        &app,
        &app.auth,
        Method::POST,
        &cancel_path,
        Some(&json!({ "reason": "x" })),
    )
    .await;
    assert_eq!(by_customer.status, StatusCode::FORBIDDEN);
    let cancelled = call(
        &app,
        &p.staff,
        Method::POST,
        &cancel_path,
        Some(&json!({ "reason": "the actor is ill; we will rebook" })),
    )
    .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    let again = call(
        &app,
        &p.staff,
        Method::POST,
        &cancel_path,
        Some(&json!({ "reason": "again" })),
    )
    .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "session_cancelled")
    );
    let held = log(
        &app,
        &p.staff,
        &p.order,
        &called_off,
        &json!({ "duration_minutes": 10, "ai_label_shown": true }),
    )
    .await;
    assert_eq!(
        (held.status, held.code()),
        (StatusCode::CONFLICT, "session_cancelled")
    );
    let cancel_logged = call(
        &app,
        &p.staff,
        Method::POST,
        &format!("/api/v1/orders/{}/live-sessions/{fine}/cancel", p.order),
        Some(&json!({ "reason": "late" })),
    )
    .await;
    assert_eq!(cancel_logged.code(), "already_logged");

    let mine = sessions(&app, &app.auth, &p.order).await.body;
    assert_eq!(mine[1]["status"], "cancelled");
    assert_eq!(mine[1]["cancel_reason"], "the actor is ill; we will rebook");
    let missing = log(
        &app,
        &p.staff,
        &p.order,
        &uuid::Uuid::now_v7().to_string(),
        &json!({ "duration_minutes": 10, "ai_label_shown": true }),
    )
    .await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "session_not_found")
    );
}

#[tokio::test]
async fn concurrent_logs_of_one_session_record_it_once() {
    let app = TestApp::spawn().await;
    let p = human_order_in_production(&app).await;
    let session = schedule(&app, &p.staff, &p.order, &booking(&p.actor_consent))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let logs = futures::future::join_all((0..6).map(|i| {
        let body = json!({ "duration_minutes": 30 + i, "ai_label_shown": i % 2 == 0 });
        let (app, staff, order, session) = (&app, &p.staff, &p.order, &session);
        async move { log(app, staff, order, session, &body).await }
    }))
    .await;
    let ok: Vec<&Reply> = logs.iter().filter(|r| r.status == StatusCode::OK).collect();
    assert_eq!(ok.len(), 1, "{logs:?}");
    assert!(
        logs.iter()
            .all(|r| r.status == StatusCode::OK || r.code() == "already_logged"),
        "{logs:?}"
    );
    let stored = &sessions(&app, &p.staff, &p.order).await.body[0];
    assert_eq!(stored["duration_minutes"], ok[0].body["duration_minutes"]);
    let logged_events =
        keepsake::audit::events_for(&app.state.db, uuid::Uuid::parse_str(&p.order).unwrap())
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "live_session.logged")
            .count();
    assert_eq!(logged_events, 1);
    let flagged = i64::from(ok[0].body["flagged_for_review"] == true);
    assert_eq!(
        outbox_count(&app, "live_session.flagged", &p.order).await,
        flagged
    );
}

#[tokio::test]
async fn a_retried_booking_books_once() {
    let app = TestApp::spawn().await;
    let p = human_order_in_production(&app).await;
    let body = booking(&p.actor_consent);
    let first = schedule_with_key(&app, &p.staff, &p.order, &body, "booking-1").await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let again = schedule_with_key(&app, &p.staff, &p.order, &body, "booking-1").await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body);
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let other_body = booking(&p.actor_consent);
    let reused = schedule_with_key(&app, &p.staff, &p.order, &other_body, "booking-1").await;
    assert_eq!(
        (reused.status, reused.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    let keyless = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{}/live-sessions", p.order),
            &[("authorization", &p.staff)],
            Some(&body),
        )
        .await;
    assert_eq!(keyless.code(), "idempotency_key_required");
    assert_eq!(
        sessions(&app, &p.staff, &p.order)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
