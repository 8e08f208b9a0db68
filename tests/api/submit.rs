//! Lifecycle actions: submit (guards: complete intake, a verified sample) and cancel.

use keepsake::media::samples;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, order_body};

async fn action(
    app: &TestApp,
    order: &str,
    name: &str,
    etag: Option<&str>,
) -> crate::helpers::Reply {
    let headers: Vec<(&str, &str)> = etag.map(|e| vec![("if-match", e)]).unwrap_or_default();
    app.send(
        Method::POST,
        &format!("/api/v1/orders/{order}/actions/{name}"),
        &headers,
        None,
    )
    .await
}

#[tokio::test]
async fn submit_needs_a_verified_sample() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let refused = action(&app, &order, "submit", Some("\"v1\"")).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.code(), "no_verified_sample");

    // A rejected sample does not count.
    let png = samples::png(600, 600);
    let bad = app.upload_sample(&order, "photo", "image/jpeg", &png).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        action(&app, &order, "submit", Some("\"v1\"")).await.code(),
        "no_verified_sample"
    );

    let good = app.upload_sample(&order, "photo", "image/png", &png).await;
    assert_eq!(good.status, StatusCode::OK);
    assert_eq!(
        action(&app, &order, "submit", None).await.status,
        StatusCode::PRECONDITION_REQUIRED
    );
    let submitted = action(&app, &order, "submit", Some("\"v1\"")).await;
    assert_eq!(submitted.status, StatusCode::OK, "{:?}", submitted.body);
    assert_eq!(submitted.body["status"], "submitted");
    assert!(submitted.body["submitted_at"].is_string());
    assert_eq!(submitted.etag(), "\"v2\"");

    let again = action(&app, &order, "submit", Some("\"v2\"")).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "invalid_transition");
    let stale = action(&app, &order, "submit", Some("\"v1\"")).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);

    let edit = app
        .send(
            Method::PATCH,
            &format!("/api/v1/orders/{order}"),
            &[("if-match", "\"v2\"")],
            Some(&json!({ "jurisdiction": "HK" })),
        )
        .await;
    assert_eq!(edit.status, StatusCode::CONFLICT);
    assert_eq!(edit.code(), "order_not_editable");

    let id: uuid::Uuid = order.parse().unwrap();
    let actions: Vec<String> = keepsake::audit::events_for(&app.state.db, id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, vec!["order.created", "order.submitted"]);
}

#[tokio::test]
async fn submit_needs_a_complete_intake() {
    let app = TestApp::spawn().await;
    let mut body = order_body("human_driven");
    body["intake"] = json!({ "purpose": "to see him smile" });
    let order = app.create_order(&body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.upload_sample(&order, "photo", "image/jpeg", &samples::jpeg(600, 600))
            .await
            .status,
        StatusCode::OK
    );

    let refused = action(&app, &order, "submit", Some("\"v1\"")).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.code(), "intake_incomplete");
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("intake.family_awareness") && detail.contains("intake.support_network"),
        "{detail}"
    );
    assert_eq!(
        app.get(&format!("/api/v1/orders/{order}")).await.body["status"],
        "draft"
    );
}

#[tokio::test]
async fn cancel_and_unknown_actions() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let unknown = action(&app, &order, "teleport", Some("\"v1\"")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.code(), "unknown_action");

    let cancelled = action(&app, &order, "cancel", Some("\"v1\"")).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert_eq!(cancelled.body["status"], "cancelled");
    let photo = samples::jpeg(600, 600);
    let late = app
        .start_upload(&order, "photo", "image/jpeg", &photo)
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(late.code(), "order_not_accepting_samples");
}
