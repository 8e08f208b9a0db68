//! Idempotency-Key on order creation: replay, mismatch, concurrent duplicates, key required.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, order_body};

async fn order_count(app: &TestApp) -> usize {
    app.get("/api/v1/orders?limit=100").await.body["items"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn same_key_same_body_returns_the_same_order_once() {
    let app = TestApp::spawn().await;
    let body = order_body("machine_driven");
    let first = app
        .send(
            Method::POST,
            "/api/v1/orders",
            &[("idempotency-key", "abc-1")],
            Some(&body),
        )
        .await;
    let second = app
        .send(
            Method::POST,
            "/api/v1/orders",
            &[("idempotency-key", "abc-1")],
            Some(&body),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(first.body, second.body);
    assert_eq!(second.headers["idempotent-replayed"], "true");
    assert_eq!(second.etag(), "\"v1\"");
    assert_eq!(order_count(&app).await, 1);
}

#[tokio::test]
async fn same_key_different_body_is_refused() {
    let app = TestApp::spawn().await;
    let first = app
        .send(
            Method::POST,
            "/api/v1/orders",
            &[("idempotency-key", "abc-2")],
            Some(&order_body("machine_driven")),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let other = app
        .send(
            Method::POST,
            "/api/v1/orders",
            &[("idempotency-key", "abc-2")],
            Some(&order_body("human_driven")),
        )
        .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.code(), "idempotency_key_reused");
    assert_eq!(order_count(&app).await, 1);
}

#[tokio::test]
async fn concurrent_duplicates_create_one_order() {
    let app = TestApp::spawn().await;
    let body = order_body("human_driven");
    let attempts = (0..8).map(|_| {
        app.send(
            Method::POST,
            "/api/v1/orders",
            &[("idempotency-key", "same-key")],
            Some(&body),
        )
    });
    let replies = futures::future::join_all(attempts).await;
    let created: Vec<_> = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .collect();
    let in_progress = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .count();
    assert!(!created.is_empty());
    assert_eq!(
        created.len() + in_progress,
        replies.len(),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        replies
            .iter()
            .filter(|r| r.status == StatusCode::CONFLICT)
            .all(|r| r.code() == "idempotency_request_in_progress")
    );
    let id = &created[0].body["id"];
    assert!(
        created.iter().all(|r| &r.body["id"] == id),
        "every success names the same order"
    );
    assert_eq!(order_count(&app).await, 1);
}

#[tokio::test]
async fn a_key_is_required_and_must_be_sane() {
    let app = TestApp::spawn().await;
    let body = order_body("machine_driven");
    let missing = app.post("/api/v1/orders", &body).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.code(), "idempotency_key_required");
    let long = "k".repeat(300);
    let too_long = app
        .send(
            Method::POST,
            "/api/v1/orders",
            &[("idempotency-key", &long)],
            Some(&body),
        )
        .await;
    assert_eq!(too_long.code(), "invalid_idempotency_key");
    assert_eq!(order_count(&app).await, 0);
}

#[tokio::test]
async fn a_refused_body_does_not_burn_the_key() {
    let app = TestApp::spawn().await;
    let mut bad = order_body("machine_driven");
    bad["jurisdiction"] = json!("xx");
    let refused = app
        .send(
            Method::POST,
            "/api/v1/orders",
            &[("idempotency-key", "k-3")],
            Some(&bad),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = app
        .send(
            Method::POST,
            "/api/v1/orders",
            &[("idempotency-key", "k-3")],
            Some(&order_body("machine_driven")),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
}

#[tokio::test]
async fn a_request_that_outlived_its_lease_cannot_store_its_response() {
    use keepsake::db::idempotency::{self, Claim};
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let now = keepsake::db::now();
    let Claim::Fresh(first) = idempotency::claim(db, "u", "k", "h", now).await.unwrap() else {
        panic!("first claim")
    };
    assert_eq!(
        idempotency::claim(db, "u", "k", "h", now).await.unwrap(),
        Claim::InProgress
    );
    let later = now + idempotency::CLAIM_LEASE + chrono::Duration::seconds(1);
    let Claim::Fresh(second) = idempotency::claim(db, "u", "k", "h", later).await.unwrap() else {
        panic!("takeover")
    };

    let body = serde_json::json!({ "id": 1 });
    assert!(
        !idempotency::store_response(db, "u", "k", first, 201, &body)
            .await
            .unwrap(),
        "the old lease is void"
    );
    assert!(
        idempotency::store_response(db, "u", "k", second, 201, &body)
            .await
            .unwrap()
    );
    assert_eq!(
        idempotency::claim(db, "u", "k", "h", later).await.unwrap(),
        Claim::Replay { status: 201, body }
    );
}
