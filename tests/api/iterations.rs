//! Follow-up iterations: a child job of a delivered order that waits for fresh consent when it
//! needs more than the consents on file (a modality, a purpose, a use), then goes through its
//! own stages with its own due time.

use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp};

async fn create(app: &TestApp, order: &str, staff: &str, needs: Value) -> Reply {
    let key = uuid::Uuid::new_v4().to_string();
    create_with_key(app, order, staff, needs, &key).await
}

async fn create_with_key(
    app: &TestApp,
    order: &str,
    staff: &str,
    needs: Value,
    key: &str,
) -> Reply {
    app.send(
        Method::POST,
        &format!("/api/v1/orders/{order}/iterations"),
        &[("authorization", staff), ("idempotency-key", key)],
        Some(&json!({ "description": "a new clip for her birthday", "needs": needs, "price": { "amount_minor": 88_000, "currency": "CNY" } })),
    )
    .await
}

async fn act(
    app: &TestApp,
    order: &str,
    it: &Value,
    action: &str,
    staff: &str,
    body: Option<Value>,
) -> Reply {
    let etag = format!("\"v{}\"", it["version"]);
    app.send(
        Method::POST,
        &format!(
            "/api/v1/orders/{order}/iterations/{}/actions/{action}",
            it["id"].as_str().unwrap()
        ),
        &[("authorization", staff), ("if-match", &etag)],
        body.as_ref(),
    )
    .await
}

#[tokio::test]
async fn an_iteration_needing_more_than_the_consents_on_file_waits_for_fresh_consent() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;

    // Not before delivery.
    let queued = app.queued_order("machine_driven", &reviewer, &texts).await;
    let early = create(&app, &queued, &staff, json!({ "modalities": ["voice"] })).await;
    assert_eq!(early.code(), "order_not_delivered");

    let (order, _) = app.delivered_order(&reviewer, &staff, &texts).await;
    let by_customer = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{order}/iterations"),
            &[("idempotency-key", "customer-try")],
            Some(&json!({ "description": "x", "needs": { "modalities": ["voice"] }, "price": { "amount_minor": 1, "currency": "CNY" } })),
        )
        .await;
    assert_eq!(by_customer.status, StatusCode::FORBIDDEN);
    let blank = create(&app, &order, &staff, json!({ "modalities": ["voice"] })).await;
    assert_eq!(blank.status, StatusCode::CREATED, "{:?}", blank.body);

    // The requester consented to face and voice for training and an avatar, for private
    // viewing and chat — not to follow-up iterations, nor to sharing with the family.
    let it = create(
        &app,
        &order,
        &staff,
        json!({ "modalities": ["voice"], "scope": ["family_sharing"] }),
    )
    .await;
    assert_eq!(it.status, StatusCode::CREATED, "{:?}", it.body);
    assert_eq!(it.body["number"], 2);
    assert_eq!(it.body["price"]["amount_minor"], 88_000);
    assert_eq!(it.body["price"]["currency"], "CNY");
    let money = app.get(&format!("/api/v1/orders/{order}/payments")).await;
    assert_eq!(money.status, StatusCode::OK, "{:?}", money.body);
    assert_eq!(
        money.body["summary"]["quoted"], 176_000,
        "both iterations' prices are quotes in the order's ledger: {:?}",
        money.body
    );
    assert_eq!(it.body["status"], "awaiting_consent");
    assert_eq!(it.body["consent"]["covered"], false);
    let missing: Vec<&str> = it.body["consent"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        vec![
            "consent to the purpose iterations",
            "consent to the use family_sharing"
        ]
    );
    let refused = act(&app, &order, &it.body, "start", &staff, None).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.code(), "consent_required");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("family_sharing")
    );

    // Fresh consent for this iteration only: it does not widen the order's own consent.
    let iid = it.body["id"].as_str().unwrap();
    let fresh = app
        .post(
            &format!("/api/v1/orders/{order}/iterations/{iid}/consents"),
            &json!({
                "party": "requester", "text_id": texts["requester"], "signer_name": "Chen Jun",
                "grants": { "modalities": ["voice"], "purposes": ["iterations"], "scope": ["family_sharing"] },
            }),
        )
        .await;
    assert_eq!(fresh.status, StatusCode::CREATED, "{:?}", fresh.body);
    let twice = app
        .post(
            &format!("/api/v1/orders/{order}/iterations/{iid}/consents"),
            &json!({
                "party": "requester", "text_id": texts["requester"], "signer_name": "Chen Jun",
                "grants": { "modalities": ["voice"], "purposes": ["iterations"] },
            }),
        )
        .await;
    assert_eq!(twice.code(), "already_signed");
    let other = app
        .get(&format!(
            "/api/v1/orders/{order}/iterations/{}",
            blank.body["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        other.body["consent"]["covered"], false,
        "the fresh consent counts for its own iteration only"
    );
    let now = app
        .get(&format!("/api/v1/orders/{order}/iterations/{iid}"))
        .await;
    assert_eq!(now.body["consent"]["covered"], true, "{:?}", now.body);

    // Its own stages and due time.
    let started = act(&app, &order, &now.body, "start", &staff, None).await;
    assert_eq!(started.status, StatusCode::OK, "{:?}", started.body);
    assert_eq!(started.body["status"], "in_production");
    assert!(started.body["due_at"].is_string());
    let stale = act(&app, &order, &now.body, "advance", &staff, None).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let skipped = act(&app, &order, &started.body, "deliver", &staff, None).await;
    assert_eq!(skipped.code(), "invalid_transition");
    let checked = act(&app, &order, &started.body, "advance", &staff, None).await;
    assert_eq!(checked.body["status"], "quality_check");
    let delivered = act(&app, &order, &checked.body, "deliver", &staff, None).await;
    assert_eq!(delivered.body["status"], "delivered");
    assert!(delivered.body["delivered_at"].is_string());
    let late = app
        .post(
            &format!("/api/v1/orders/{order}/iterations/{iid}/consents"),
            &json!({
                "party": "requester", "text_id": texts["requester"], "signer_name": "Chen Jun",
                "grants": { "modalities": ["face"], "purposes": ["iterations"] },
            }),
        )
        .await;
    assert_eq!(late.code(), "consents_closed");

    let blank_cancel = act(&app, &order, &blank.body, "cancel", &staff, None).await;
    assert_eq!(blank_cancel.code(), "reason_required");
    let cancelled = act(
        &app,
        &order,
        &blank.body,
        "cancel",
        &staff,
        Some(json!({ "reason": "the family changed their mind" })),
    )
    .await;
    assert_eq!(
        cancelled.body["status"], "cancelled",
        "{:?}",
        cancelled.body
    );

    let listed = app.get(&format!("/api/v1/orders/{order}/iterations")).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    assert_eq!(app.verify_ledger(&admin).await["ok"], true);
}

#[tokio::test]
async fn concurrent_iterations_get_distinct_numbers() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let (order, _) = app.delivered_order(&reviewer, &staff, &texts).await;
    let replies = futures::future::join_all(
        (0..3).map(|_| create(&app, &order, &staff, json!({ "modalities": ["face"] }))),
    )
    .await;
    let mut numbers: Vec<i64> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
            r.body["number"].as_i64().unwrap()
        })
        .collect();
    numbers.sort();
    assert_eq!(numbers, vec![1, 2, 3]);
}

#[tokio::test]
async fn a_retried_creation_records_one_iteration_and_one_quote() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let (order, _) = app.delivered_order(&reviewer, &staff, &texts).await;
    let needs = json!({ "modalities": ["voice"] });
    let first = create_with_key(&app, &order, &staff, needs.clone(), "follow-up-1").await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let again = create_with_key(&app, &order, &staff, needs, "follow-up-1").await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body["id"], first.body["id"], "the same answer");
    let other = create_with_key(
        &app,
        &order,
        &staff,
        json!({ "modalities": ["face"] }),
        "follow-up-1",
    )
    .await;
    assert_eq!(other.code(), "idempotency_key_reused");
    let listed = app.get(&format!("/api/v1/orders/{order}/iterations")).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let money = app.get(&format!("/api/v1/orders/{order}/payments")).await;
    assert_eq!(
        money.body["summary"]["quoted"], 88_000,
        "one quote: {:?}",
        money.body
    );
}
