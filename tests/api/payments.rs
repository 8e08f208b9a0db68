//! Money: quotes, deposits, payments and refunds recorded by staff, the totals derived from
//! them on every read, each refusal, idempotent replays, and concurrent refunds that must never
//! together exceed what was paid.

use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, order_body};

/// `POST /api/v1/payments` as `token` with a fresh Idempotency-Key.
async fn record(app: &TestApp, token: &str, body: Value) -> Reply {
    let key = uuid::Uuid::new_v4().to_string();
    record_with_key(app, token, &key, &body).await
}

async fn record_with_key(app: &TestApp, token: &str, key: &str, body: &Value) -> Reply {
    app.send(
        Method::POST,
        "/api/v1/payments",
        &[("authorization", token), ("idempotency-key", key)],
        Some(body),
    )
    .await
}

fn entry(order: &str, kind: &str, amount: i64, currency: &str) -> Value {
    json!({ "order_id": order, "kind": kind, "amount_minor": amount, "currency": currency })
}

async fn payments_of(app: &TestApp, order: &str, token: &str) -> Reply {
    app.send(
        Method::GET,
        &format!("/api/v1/orders/{order}/payments"),
        &[("authorization", token)],
        None,
    )
    .await
}

async fn staff(app: &TestApp) -> String {
    app.studio_member("cashier@studio.example", &[Role::Staff])
        .await
}

async fn draft_order(app: &TestApp) -> String {
    app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_balance_is_derived_from_quotes_deposits_payments_and_refunds() {
    let app = TestApp::spawn().await;
    let staff = staff(&app).await;
    let order = draft_order(&app).await;
    let iteration = uuid::Uuid::now_v7().to_string();

    let quote = record(&app, &staff, json!({ "order_id": order, "kind": "quote", "amount_minor": 800_000, "currency": "CNY", "note": "likeness, 5-day delivery" })).await;
    assert_eq!(quote.status, StatusCode::CREATED, "{:?}", quote.body);
    assert_eq!(quote.body["amount_minor"], 800_000);
    assert!(quote.body["amount_minor"].is_i64(), "amounts are integers");
    let extra = record(&app, &staff, json!({ "order_id": order, "kind": "quote", "amount_minor": 50_000, "currency": "CNY", "iteration_id": iteration })).await;
    assert_eq!(extra.status, StatusCode::CREATED, "{:?}", extra.body);
    for (kind, amount) in [
        ("deposit", 300_000),
        ("payment", 400_000),
        ("refund", 20_000),
    ] {
        let reply = record(&app, &staff, entry(&order, kind, amount, "CNY")).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{kind}: {:?}",
            reply.body
        );
    }
    let paid_for_iteration = record(&app, &staff, json!({ "order_id": order, "kind": "payment", "amount_minor": 10_000, "currency": "CNY", "iteration_id": iteration })).await;
    assert_eq!(paid_for_iteration.status, StatusCode::CREATED);

    let mine = payments_of(&app, &order, &app.auth).await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    let summary = &mine.body["summary"];
    assert_eq!(summary["currency"], "CNY");
    assert_eq!(summary["quoted"], 850_000);
    assert_eq!(summary["paid"], 690_000);
    assert_eq!(summary["refunded"], 20_000);
    assert_eq!(summary["balance_due"], 160_000);
    assert_eq!(
        summary["iterations"],
        json!([{ "iteration_id": iteration, "quoted": 50_000, "paid": 10_000, "refunded": 0, "balance_due": 40_000 }])
    );
    let entries = mine.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 6);
    assert_eq!(entries[0]["note"], "likeness, 5-day delivery");
    assert!(
        entries.iter().all(|e| e.get("recorded_by").is_none()),
        "the customer does not see which staff member recorded it"
    );
    let studio = payments_of(&app, &order, &staff).await;
    assert_eq!(studio.body["summary"], mine.body["summary"]);
    assert!(studio.body["entries"][0]["recorded_by"].is_string());

    let other = app.customer("other@example.com").await;
    let theirs = payments_of(&app, &order, &other).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.code(), "order_not_found");

    let events = keepsake::audit::events_for(&app.state.db, uuid::Uuid::parse_str(&order).unwrap())
        .await
        .unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "payment.recorded")
            .count(),
        6
    );
}

#[tokio::test]
async fn every_refusal_has_its_code_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let staff = staff(&app).await;
    let order = draft_order(&app).await;

    let early = record(&app, &staff, entry(&order, "deposit", 1_000, "CNY")).await;
    assert_eq!(
        (early.status, early.code()),
        (StatusCode::CONFLICT, "no_quote")
    );
    let early = record(&app, &staff, entry(&order, "refund", 1_000, "CNY")).await;
    assert_eq!(
        (early.status, early.code()),
        (StatusCode::CONFLICT, "refund_exceeds_paid")
    );

    for (amount, currency, code) in [
        (0, "CNY", "invalid_amount"),
        (-5, "CNY", "invalid_amount"),
        (1_000_000_001, "CNY", "invalid_amount"),
        (100, "cny", "invalid_currency"),
        (100, "YUAN", "invalid_currency"),
    ] {
        let reply = record(&app, &staff, entry(&order, "quote", amount, currency)).await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, code),
            "{amount} {currency}"
        );
    }
    let fraction = record(
        &app,
        &staff,
        json!({ "order_id": order, "kind": "quote", "amount_minor": 10.5, "currency": "CNY" }),
    )
    .await;
    assert_eq!(
        fraction.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no fractions of a fen"
    );
    let long_note = record(&app, &staff, json!({ "order_id": order, "kind": "quote", "amount_minor": 10, "currency": "CNY", "note": "x".repeat(501) })).await;
    assert_eq!(long_note.code(), "invalid_note");

    let quote = record(&app, &staff, entry(&order, "quote", 10_000, "CNY")).await;
    assert_eq!(quote.status, StatusCode::CREATED);
    let dollars = record(&app, &staff, entry(&order, "payment", 100, "USD")).await;
    assert_eq!(
        (dollars.status, dollars.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "currency_mismatch")
    );
    let second_currency = record(&app, &staff, entry(&order, "quote", 100, "USD")).await;
    assert_eq!(second_currency.code(), "currency_mismatch");
    let deposit = record(&app, &staff, entry(&order, "deposit", 4_000, "CNY")).await;
    assert_eq!(deposit.status, StatusCode::CREATED);
    let over = record(&app, &staff, entry(&order, "payment", 6_001, "CNY")).await;
    assert_eq!(
        (over.status, over.code()),
        (StatusCode::CONFLICT, "overpayment")
    );
    let too_much_back = record(&app, &staff, entry(&order, "refund", 4_001, "CNY")).await;
    assert_eq!(too_much_back.code(), "refund_exceeds_paid");

    let customer = record(&app, &app.auth, entry(&order, "payment", 1, "CNY")).await;
    assert_eq!(
        (customer.status, customer.code()),
        (StatusCode::FORBIDDEN, "staff_only")
    );
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let by_reviewer = record(&app, &reviewer, entry(&order, "payment", 1, "CNY")).await;
    assert_eq!(by_reviewer.status, StatusCode::FORBIDDEN);
    let nowhere = record(
        &app,
        &staff,
        entry(&uuid::Uuid::now_v7().to_string(), "quote", 1, "CNY"),
    )
    .await;
    assert_eq!(
        (nowhere.status, nowhere.code()),
        (StatusCode::NOT_FOUND, "order_not_found")
    );
    let keyless = app
        .send(
            Method::POST,
            "/api/v1/payments",
            &[("authorization", &staff)],
            Some(&entry(&order, "payment", 1, "CNY")),
        )
        .await;
    assert_eq!(keyless.code(), "idempotency_key_required");

    let summary = payments_of(&app, &order, &staff).await.body;
    assert_eq!(
        summary["entries"].as_array().unwrap().len(),
        2,
        "only the two accepted entries"
    );
    assert_eq!(summary["summary"]["balance_due"], 6_000);

    // A cancelled order takes refunds only.
    let cancelled = app.act(&order, "cancel", &app.auth, None).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    for kind in ["quote", "deposit", "payment"] {
        let reply = record(&app, &staff, entry(&order, kind, 1, "CNY")).await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::CONFLICT, "order_stopped"),
            "{kind}"
        );
    }
    let refund = record(&app, &staff, entry(&order, "refund", 4_000, "CNY")).await;
    assert_eq!(refund.status, StatusCode::CREATED, "{:?}", refund.body);
    let after = payments_of(&app, &order, &app.auth).await.body;
    assert_eq!(after["summary"]["paid"], 0);
    assert_eq!(after["summary"]["balance_due"], 10_000);
}

#[tokio::test]
async fn a_retried_recording_counts_once() {
    let app = TestApp::spawn().await;
    let staff = staff(&app).await;
    let order = draft_order(&app).await;
    let key = "quote-2026-11-28-a";
    let body = entry(&order, "quote", 12_345, "CNY");
    let first = record_with_key(&app, &staff, key, &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let again = record_with_key(&app, &staff, key, &body).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body);
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let different = record_with_key(&app, &staff, key, &entry(&order, "quote", 1, "CNY")).await;
    assert_eq!(
        (different.status, different.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    let ledger = payments_of(&app, &order, &staff).await.body;
    assert_eq!(ledger["entries"].as_array().unwrap().len(), 1);
    assert_eq!(ledger["summary"]["quoted"], 12_345);

    // A refused recording gives its key back: fixed, the same key goes through.
    let refused = record_with_key(
        &app,
        &staff,
        "deposit-1",
        &entry(&order, "deposit", 99_999, "CNY"),
    )
    .await;
    assert_eq!(refused.code(), "overpayment");
    let fixed = record_with_key(
        &app,
        &staff,
        "deposit-1",
        &entry(&order, "deposit", 99_999, "CNY"),
    )
    .await;
    assert_eq!(
        fixed.code(),
        "overpayment",
        "the same body is checked again, not replayed"
    );
    let smaller = record_with_key(
        &app,
        &staff,
        "deposit-1",
        &entry(&order, "deposit", 5_000, "CNY"),
    )
    .await;
    assert_eq!(smaller.status, StatusCode::CREATED, "{:?}", smaller.body);
}

#[tokio::test]
async fn concurrent_refunds_never_together_exceed_what_was_paid() {
    let app = TestApp::spawn().await;
    let staff = staff(&app).await;
    let order = draft_order(&app).await;
    assert_eq!(
        record(&app, &staff, entry(&order, "quote", 1_000, "CNY"))
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        record(&app, &staff, entry(&order, "payment", 1_000, "CNY"))
            .await
            .status,
        StatusCode::CREATED
    );

    let refunds = futures::future::join_all(
        (0..8).map(|_| record(&app, &staff, entry(&order, "refund", 300, "CNY"))),
    )
    .await;
    let accepted = refunds
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(accepted, 3, "{refunds:?}");
    assert!(
        refunds
            .iter()
            .all(|r| r.status == StatusCode::CREATED || r.code() == "refund_exceeds_paid"),
        "{refunds:?}"
    );
    let summary = payments_of(&app, &order, &staff).await.body["summary"].clone();
    assert_eq!(summary["refunded"], 900);
    assert_eq!(summary["paid"], 100);
    assert_eq!(summary["balance_due"], 900);
}
