//! Orders: create, read with ETag, list with keyset pagination and filters, edit with If-Match.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, order_body};

#[tokio::test]
async fn created_order_is_a_draft_with_a_reference_and_etag() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await;
    assert_eq!(order["status"], "draft");
    assert_eq!(order["jurisdiction"], "CN");
    assert_eq!(order["version"], 1);
    let reference = order["reference"].as_str().unwrap();
    assert!(
        reference.starts_with("KS-20") && reference.len() == "KS-2026-000001".len(),
        "{reference}"
    );

    let read = app
        .get(&format!("/api/v1/orders/{}", order["id"].as_str().unwrap()))
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.etag(), "\"v1\"");
    assert_eq!(read.body["subject"]["name"], "Chen Mei");
}

#[tokio::test]
async fn references_are_sequential_and_unique() {
    let app = TestApp::spawn().await;
    let mut refs = Vec::new();
    for _ in 0..3 {
        refs.push(
            app.create_order(&order_body("human_driven")).await["reference"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let numbers: Vec<u32> = refs
        .iter()
        .map(|r| r.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(numbers, vec![1, 2, 3], "{refs:?}");
}

#[tokio::test]
async fn missing_order_and_malformed_id_are_404_problems() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/orders/0190a3c4-0000-7000-8000-000000000000",
        "/api/v1/orders/not-a-uuid",
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.headers["content-type"], "application/problem+json");
        assert!(
            reply.body["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:keepsake:problem:")
        );
        assert_eq!(reply.body["status"], 404);
    }
}

#[tokio::test]
async fn invalid_intake_and_unknown_fields_are_refused_and_create_nothing() {
    let app = TestApp::spawn().await;
    let mut living_with_death_date = order_body("machine_driven");
    living_with_death_date["subject"]["living"] = json!(true);
    let mut unknown_field = order_body("machine_driven");
    unknown_field["price"] = json!(100);
    let mut bad_mode = order_body("machine_driven");
    bad_mode["delivery_mode"] = json!("hologram");

    for (body, code) in [
        (living_with_death_date, "invalid_intake"),
        (unknown_field, "invalid_body"),
        (bad_mode, "invalid_body"),
    ] {
        let reply = app
            .send(
                Method::POST,
                "/api/v1/orders",
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
                Some(&body),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            reply.body
        );
        assert_eq!(reply.code(), code);
    }
    let list = app.get("/api/v1/orders").await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn malformed_json_oversized_body_and_wrong_content_type() {
    let app = TestApp::spawn().await;
    let key = ("idempotency-key", "k1");
    let resp = app
        .client
        .post(app.url("/api/v1/orders"))
        .header("authorization", &app.auth)
        .header(key.0, key.1)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = app
        .client
        .post(app.url("/api/v1/orders"))
        .header("authorization", &app.auth)
        .header(key.0, key.1)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mut huge = order_body("machine_driven");
    huge["intake"]["notes"] = json!("x".repeat(100 * 1024));
    let reply = app
        .send(Method::POST, "/api/v1/orders", &[key], Some(&huge))
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.code(), "body_too_large");
}

#[tokio::test]
async fn list_pages_by_cursor_newest_first_and_filters() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let mode = if i % 2 == 0 {
            "machine_driven"
        } else {
            "human_driven"
        };
        ids.push(
            app.create_order(&order_body(mode)).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids.reverse();

    let first = app.get("/api/v1/orders?limit=2").await;
    let page1: Vec<&str> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(page1, ids[0..2]);
    let cursor = first.body["next"].as_str().unwrap();
    let second = app
        .get(&format!("/api/v1/orders?limit=2&after={cursor}"))
        .await;
    let page2: Vec<&str> = second.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(page2, ids[2..4]);
    let third = app
        .get(&format!(
            "/api/v1/orders?limit=2&after={}",
            second.body["next"].as_str().unwrap()
        ))
        .await;
    assert_eq!(third.body["items"].as_array().unwrap().len(), 1);
    assert!(third.body["next"].is_null());

    let human = app.get("/api/v1/orders?delivery_mode=human_driven").await;
    assert_eq!(human.body["items"].as_array().unwrap().len(), 2);
    let drafts = app.get("/api/v1/orders?status=draft&limit=100").await;
    assert_eq!(drafts.body["items"].as_array().unwrap().len(), 5);
    let too_many = app.get("/api/v1/orders?status=draft&limit=101").await;
    assert_eq!(
        (too_many.status, too_many.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_limit"),
        "a limit past the documented maximum is refused, as the document says"
    );
    let submitted = app.get("/api/v1/orders?status=submitted").await;
    assert_eq!(submitted.body["items"].as_array().unwrap().len(), 0);

    assert_eq!(
        app.get("/api/v1/orders?status=flying").await.code(),
        "invalid_query"
    );
    assert_eq!(
        app.get("/api/v1/orders?after=garbage").await.code(),
        "invalid_cursor"
    );
    assert_eq!(
        app.get("/api/v1/orders?limit=0").await.code(),
        "invalid_limit"
    );
}

#[tokio::test]
async fn edits_need_if_match_and_the_current_version() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await;
    let path = format!("/api/v1/orders/{}", order["id"].as_str().unwrap());
    let change = json!({ "intake": { "purpose": "a birthday message", "family_awareness": "all", "support_network": "friends" } });

    let without = app.send(Method::PATCH, &path, &[], Some(&change)).await;
    assert_eq!(without.status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(without.code(), "if_match_required");

    let ok = app
        .send(
            Method::PATCH,
            &path,
            &[("if-match", "\"v1\"")],
            Some(&change),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["version"], 2);
    assert_eq!(ok.etag(), "\"v2\"");
    assert_eq!(ok.body["intake"]["purpose"], "a birthday message");

    let stale = app
        .send(
            Method::PATCH,
            &path,
            &[("if-match", "\"v1\"")],
            Some(&change),
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.code(), "stale_version");
    assert_eq!(stale.body["current_etag"], "\"v2\"");

    let garbage = app
        .send(Method::PATCH, &path, &[("if-match", "v2")], Some(&change))
        .await;
    assert_eq!(garbage.code(), "invalid_if_match");

    let invalid = app
        .send(
            Method::PATCH,
            &path,
            &[("if-match", "\"v2\"")],
            Some(&json!({ "jurisdiction": "china" })),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get(&path).await.body["version"],
        2,
        "a refused edit changes nothing"
    );
}

#[tokio::test]
async fn concurrent_edits_at_the_same_version_one_wins() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await;
    let path = format!("/api/v1/orders/{}", order["id"].as_str().unwrap());
    let edits = (0..6).map(|i| {
        let code = ["CN", "HK", "SG", "TW", "MO", "JP"][i];
        let body = json!({ "jurisdiction": code });
        let app = &app;
        let path = &path;
        async move {
            app.send(Method::PATCH, path, &[("if-match", "\"v1\"")], Some(&body))
                .await
                .status
        }
    });
    let statuses = futures::future::join_all(edits).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::PRECONDITION_FAILED)
    );
    assert_eq!(app.get(&path).await.body["version"], 2);
}

#[tokio::test]
async fn every_change_is_audited_in_order() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await;
    let id: uuid::Uuid = order["id"].as_str().unwrap().parse().unwrap();
    let path = format!("/api/v1/orders/{id}");
    app.send(
        Method::PATCH,
        &path,
        &[("if-match", "\"v1\"")],
        Some(&json!({ "jurisdiction": "HK" })),
    )
    .await;
    app.send(
        Method::PATCH,
        &path,
        &[("if-match", "\"v1\"")],
        Some(&json!({ "jurisdiction": "SG" })),
    )
    .await;
    let events = keepsake::audit::events_for(&app.state.db, id)
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["order.created", "order.updated"],
        "the stale edit left no event"
    );
    assert!(events.iter().all(|e| e.request_id.is_some()));
}
