//! Production: taking a job, stages in order up to quality check, the reviewer's sign-off,
//! internal notes, stage templates, and the outbox messages that go with each change.

use chrono::{DateTime, Utc};
use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::helpers::TestApp;

async fn outbox_count(app: &TestApp, kind: &str, order: &str) -> i64 {
    let backend = app.state.db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT COUNT(*) AS n FROM outbox WHERE kind = $1 AND order_id = $2"
        }
        _ => "SELECT COUNT(*) AS n FROM outbox WHERE kind = ? AND order_id = ?",
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
async fn a_job_goes_through_every_stage_in_order_to_a_signed_off_quality_check() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let staff_id = app
        .send(
            Method::GET,
            "/api/v1/me",
            &[("authorization", &staff)],
            None,
        )
        .await
        .body["id"]
        .clone();
    let order = app.queued_order("machine_driven", &reviewer, &texts).await;

    let by_customer = app.act(&order, "start_production", &app.auth, None).await;
    assert_eq!(by_customer.status, StatusCode::FORBIDDEN);
    let skipped = app
        .act(
            &order,
            "advance",
            &staff,
            Some(&json!({ "stage": "data_prep" })),
        )
        .await;
    assert_eq!(
        skipped.code(),
        "invalid_transition",
        "production must start first"
    );

    let etag = app.etag_of(&order, Some(&staff)).await;
    let taken = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{order}/assign"),
            &[("authorization", &staff), ("if-match", &etag)],
            Some(&json!({ "assignee_id": staff_id })),
        )
        .await;
    assert_eq!(taken.status, StatusCode::OK, "{:?}", taken.body);
    let started = app.act(&order, "start_production", &staff, None).await;
    assert_eq!(
        started.body["status"], "in_production",
        "{:?}",
        started.body
    );

    let view = app.production_of(&order, &staff).await;
    assert_eq!(view["current_stage"], "data_prep");
    assert_eq!(view["assignee_id"], staff_id);
    let first = &view["stages"][0];
    let started_at: DateTime<Utc> = first["started_at"].as_str().unwrap().parse().unwrap();
    let due_at: DateTime<Utc> = first["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!((due_at - started_at).num_hours(), 24);
    assert!(view["stages"][1]["started_at"].is_null());

    let wrong = app
        .act(
            &order,
            "advance",
            &staff,
            Some(&json!({ "stage": "training" })),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::CONFLICT);
    assert_eq!(wrong.code(), "stage_mismatch");
    let nameless = app.act(&order, "advance", &staff, None).await;
    assert_eq!(nameless.code(), "reason_required");
    for (stage, status) in [
        ("data_prep", "in_production"),
        ("training", "in_production"),
        ("avatar_build", "in_production"),
        ("qa", "quality_check"),
    ] {
        let reply = app
            .act(&order, "advance", &staff, Some(&json!({ "stage": stage })))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{stage}: {:?}", reply.body);
        assert_eq!(reply.body["status"], status, "{stage}");
    }
    let view = app.production_of(&order, &staff).await;
    assert!(
        view["stages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["completed_at"].is_string())
    );
    assert!(view["current_stage"].is_null());

    let by_staff = app.act(&order, "sign_off_quality", &staff, None).await;
    assert_eq!(by_staff.code(), "reviewers_only");
    let signed = app.act(&order, "sign_off_quality", &reviewer, None).await;
    assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
    assert_eq!(
        signed.body["status"], "quality_check",
        "the order waits for its deliverable"
    );
    let view = app.production_of(&order, &staff).await;
    assert!(view["qc_signed_off_at"].is_string());
    let twice = app.act(&order, "sign_off_quality", &reviewer, None).await;
    assert_eq!(twice.code(), "already_signed_off");

    // Every status change left one message for the customer.
    assert_eq!(
        outbox_count(&app, "order.status_changed", &order).await,
        6,
        "submitted, screening, consent_review, queued, in_production, quality_check"
    );
    assert_eq!(
        outbox_count(&app, "order.progress", &order).await,
        3,
        "the three stages finished inside production (the last one moved the status)"
    );
    assert_eq!(outbox_count(&app, "order.assigned", &order).await, 1);
}

#[tokio::test]
async fn notes_are_internal_and_the_customer_timeline_shows_no_staff() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let order = app.queued_order("machine_driven", &reviewer, &texts).await;
    app.act(&order, "start_production", &staff, None).await;
    let path = format!("/api/v1/orders/{order}/notes");
    let note = app
        .send(
            Method::POST,
            &path,
            &[("authorization", &staff)],
            Some(&json!({ "body": "the mother's voice notes are noisy; denoise first" })),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{:?}", note.body);
    let empty = app
        .send(
            Method::POST,
            &path,
            &[("authorization", &staff)],
            Some(&json!({ "body": " " })),
        )
        .await;
    assert_eq!(empty.code(), "invalid_note");
    let listed = app
        .send(Method::GET, &path, &[("authorization", &staff)], None)
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let customer = app.get(&path).await;
    assert_eq!(customer.status, StatusCode::FORBIDDEN);
    assert_eq!(customer.code(), "studio_only");

    let timeline = app
        .get(&format!("/api/v1/orders/{order}/events"))
        .await
        .body
        .to_string();
    assert!(
        !timeline.contains("denoise") && !timeline.contains("note_added"),
        "{timeline}"
    );
    assert!(
        !timeline.contains("user:"),
        "no staff identities: {timeline}"
    );
    assert!(timeline.contains("production"), "{timeline}");
    let order_view = app.get(&format!("/api/v1/orders/{order}")).await;
    assert!(
        order_view.body["promised_at"].is_string(),
        "the customer sees the promised date"
    );
}

#[tokio::test]
async fn a_new_template_version_applies_to_new_jobs_only() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let running = app.queued_order("machine_driven", &reviewer, &texts).await;
    app.act(&running, "start_production", &staff, None).await;

    let stages = json!([{ "name": "data_prep", "target_hours": 12 }, { "name": "training", "target_hours": 60 }, { "name": "qa", "target_hours": 24 }]);
    let by_staff = app
        .send(
            Method::POST,
            "/api/v1/stage-templates",
            &[("authorization", &staff)],
            Some(&json!({ "delivery_mode": "machine_driven", "stages": stages })),
        )
        .await;
    assert_eq!(by_staff.status, StatusCode::FORBIDDEN);
    let invalid = app
        .send(
            Method::POST,
            "/api/v1/stage-templates",
            &[("authorization", &admin)],
            Some(&json!({ "delivery_mode": "machine_driven", "stages": [] })),
        )
        .await;
    assert_eq!(invalid.code(), "invalid_template");
    let published = app
        .send(
            Method::POST,
            "/api/v1/stage-templates",
            &[("authorization", &admin)],
            Some(&json!({ "delivery_mode": "machine_driven", "stages": stages })),
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::CREATED,
        "{:?}",
        published.body
    );
    assert_eq!(published.body["version"], 2);
    assert_eq!(published.body["total_hours"], 96);

    let fresh = app.queued_order("machine_driven", &reviewer, &texts).await;
    app.act(&fresh, "start_production", &staff, None).await;
    let old = app.production_of(&running, &staff).await;
    let new = app.production_of(&fresh, &staff).await;
    assert_eq!(
        old["stages"].as_array().unwrap().len(),
        4,
        "the running job keeps version 1"
    );
    assert_eq!(new["stages"].as_array().unwrap().len(), 3);
    assert_eq!(new["stages"][0]["target_hours"], 12);
    let listed = app
        .send(
            Method::GET,
            "/api/v1/stage-templates",
            &[("authorization", &staff)],
            None,
        )
        .await;
    assert_eq!(
        listed.body.as_array().unwrap().len(),
        3,
        "two machine_driven versions and one human_driven"
    );
}

#[tokio::test]
async fn a_hold_in_production_moves_the_stage_due_time_but_not_the_promise() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let order = app.queued_order("human_driven", &reviewer, &texts).await;
    app.act(&order, "start_production", &staff, None).await;
    let before = app.production_of(&order, &staff).await;
    let held = app
        .act(
            &order,
            "hold",
            &staff,
            Some(&json!({ "reason": "the actor is ill" })),
        )
        .await;
    assert_eq!(held.body["status"], "on_hold", "{:?}", held.body);
    assert!(app.production_of(&order, &staff).await["held_since"].is_string());
    let resumed = app.act(&order, "resume", &staff, None).await;
    assert_eq!(
        resumed.body["status"], "in_production",
        "{:?}",
        resumed.body
    );
    let after = app.production_of(&order, &staff).await;
    let due = |v: &serde_json::Value| {
        v["stages"][0]["due_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap()
    };
    assert!(
        due(&after) > due(&before),
        "the stage clock paused during the hold"
    );
    assert_eq!(after["promised_at"], before["promised_at"]);
    assert!(after["held_since"].is_null());
}
