//! The order timeline in words: the customer reads everything that happened to their order —
//! delivery, closing, money, erasure — in plain sentences, and never the studio's internal
//! work; the studio reads every event in words, not codes.

use keepsake::domain::account::Role;
use keepsake::domain::events::EventKind;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn timeline(app: &TestApp, order: &str, token: Option<&str>) -> Vec<Value> {
    let path = format!("/api/v1/orders/{order}/events");
    let reply = match token {
        Some(token) => {
            app.send(Method::GET, &path, &[("authorization", token)], None)
                .await
        }
        None => app.get(&path).await,
    };
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body.as_array().unwrap().clone()
}

fn messages(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_customer_reads_delivery_money_closing_and_erasure_and_the_studio_reads_words() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let (order, _) = app.delivered_order(&reviewer, &staff, &texts).await;
    let paid = app
        .send(
            Method::POST,
            "/api/v1/payments",
            &[("authorization", &staff), ("idempotency-key", "quote-1")],
            Some(&json!({ "order_id": order, "kind": "quote", "amount_minor": 880_000, "currency": "CNY" })),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{:?}", paid.body);
    let closed = app.act(&order, "close", &staff, None).await;
    assert_eq!(closed.status, StatusCode::OK, "{:?}", closed.body);
    let reference = app.get(&format!("/api/v1/orders/{order}")).await.body["reference"].clone();
    let erased = app
        .post(
            &format!("/api/v1/orders/{order}/erasure"),
            &json!({ "confirm_reference": reference }),
        )
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{:?}", erased.body);

    let customer = messages(&timeline(&app, &order, None).await);
    for expected in [
        "Your order is delivered. You can download it from the order's page.",
        "A quote was recorded; the amounts are on the order's payments page.",
        "The order is closed.",
        "You asked for this order's data to be erased.",
        "Every file and personal detail of this order was destroyed. The certificate of destruction lists what was deleted and when.",
    ] {
        assert!(
            customer.iter().any(|m| m == expected),
            "{expected:?} in {customer:#?}"
        );
    }
    for internal in [
        "Assigned.",
        "Internal note added.",
        "Certificate of destruction read.",
    ] {
        assert!(!customer.iter().any(|m| m == internal), "{internal}");
    }
    assert!(
        !customer
            .iter()
            .any(|m| m.contains("staff") || m.contains("user:")),
        "{customer:#?}"
    );

    let studio = timeline(&app, &order, Some(&staff)).await;
    assert!(
        studio.len() > customer.len(),
        "the studio sees its own work too"
    );
    for entry in &studio {
        let kind = entry["kind"].as_str().unwrap();
        let message = entry["message"].as_str().unwrap();
        assert!(EventKind::parse(kind).is_some(), "{kind} is catalogued");
        assert_ne!(message, kind, "words, not a code");
        assert!(
            !message.contains(kind) && !message.starts_with("Recorded:"),
            "{message}"
        );
        assert!(entry["actor"].is_string(), "the studio sees who acted");
    }
    let studio_messages = messages(&studio);
    assert!(
        studio_messages
            .iter()
            .any(|m| m == "Delivered to the customer.")
    );
    assert!(studio_messages.iter().any(|m| m == "Closed."));
}
