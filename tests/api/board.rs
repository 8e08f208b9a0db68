//! The production board: counts, risk lists, filters and keyset pages sorted by the promise.

use chrono::{Duration, Utc};
use keepsake::domain::account::Role;
use keepsake::jobs::sla_sweeper::sweep_once;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn board(app: &TestApp, token: &str, query: &str) -> Value {
    let reply = app
        .send(
            Method::GET,
            &format!("/api/v1/board{query}"),
            &[("authorization", token)],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {:?}", reply.body);
    reply.body
}

fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_board_counts_filters_and_pages_open_orders_by_promise() {
    let app = TestApp::spawn_with(|s| s.sla.sweep_interval_secs = 24 * 3600).await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let other_staff = app
        .studio_member("other@studio.example", &[Role::Staff])
        .await;
    let other_id = app
        .send(
            Method::GET,
            "/api/v1/me",
            &[("authorization", &other_staff)],
            None,
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut orders = Vec::new();
    for mode in [
        "machine_driven",
        "machine_driven",
        "human_driven",
        "machine_driven",
        "human_driven",
    ] {
        orders.push(app.queued_order(mode, &reviewer, &texts).await);
    }
    // Not on the board: a draft and a screened order without a promise.
    app.create_order(&crate::helpers::order_body("machine_driven"))
        .await;
    app.screened_order("machine_driven", &reviewer).await;

    app.act(&orders[0], "start_production", &staff, None).await;
    app.act(&orders[1], "start_production", &other_staff, None)
        .await;
    app.act(
        &orders[1],
        "advance",
        &other_staff,
        Some(&json!({ "stage": "data_prep" })),
    )
    .await;
    app.act(&orders[2], "start_production", &staff, None).await;

    let all = board(&app, &staff, "").await;
    assert_eq!(
        all["counts"]["by_status"],
        json!({ "in_production": 3, "queued": 2 })
    );
    assert_eq!(
        all["counts"]["by_stage"],
        json!({ "data_prep": 2, "training": 1 })
    );
    assert_eq!(
        ids(&all["items"]),
        orders,
        "sorted by promise (approval order)"
    );
    assert!(
        all["items"][0]["promised_at_local"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );

    let training = board(&app, &staff, "?stage=training").await;
    assert_eq!(ids(&training["items"]), vec![orders[1].clone()]);
    let human = board(&app, &staff, "?mode=human_driven").await;
    assert_eq!(
        ids(&human["items"]),
        vec![orders[2].clone(), orders[4].clone()]
    );
    let theirs = board(&app, &staff, &format!("?assignee={other_id}")).await;
    assert_eq!(ids(&theirs["items"]), vec![orders[1].clone()]);
    let promised_third = all["items"][2]["promised_at"].as_str().unwrap();
    let before = board(
        &app,
        &staff,
        &format!("?due_before={}", promised_third.replace('+', "%2B")),
    )
    .await;
    assert_eq!(ids(&before["items"]), orders[..2].to_vec());

    // Pages of two, following `next`, visit every order once in order.
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let page = board(&app, &staff, &query).await;
        seen.extend(ids(&page["items"]));
        match page["next"].as_str() {
            Some(next) => query = format!("?limit=2&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen, orders);
    let bad = app
        .send(
            Method::GET,
            "/api/v1/board?after=nonsense",
            &[("authorization", &staff)],
            None,
        )
        .await;
    assert_eq!(bad.code(), "invalid_cursor");

    // A day and a bit later the two first stages still open are late (the advanced order's
    // training has 48 h, the queued ones still fit): at risk, listed by promise.
    sweep_once(&app.state, "t", Utc::now() + Duration::hours(25))
        .await
        .unwrap();
    let risky = board(&app, &staff, "?at_risk=true").await;
    assert_eq!(risky["counts"]["at_risk"], 2, "{risky}");
    assert_eq!(
        ids(&risky["at_risk"]),
        vec![orders[0].clone(), orders[2].clone()]
    );
    assert_eq!(ids(&risky["items"]), ids(&risky["at_risk"]));
    assert_eq!(risky["counts"]["overdue"], 0);

    let customer = app.get("/api/v1/board").await;
    assert_eq!(customer.status, StatusCode::FORBIDDEN);
}
