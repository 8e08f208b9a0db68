//! Reports: the funnel follows orders created in a range to where they stopped; the SLA report
//! measures delivered orders (delivery itself is a later issue: the test stamps `delivered_at`
//! the way it will).

use chrono::{Duration, Utc};
use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, order_body};

async fn report(app: &TestApp, token: &str, which: &str) -> Value {
    let from = (Utc::now() - Duration::days(1))
        .to_rfc3339()
        .replace('+', "%2B");
    let to = (Utc::now() + Duration::days(30))
        .to_rfc3339()
        .replace('+', "%2B");
    let reply = app
        .send(
            Method::GET,
            &format!("/api/v1/reports/{which}?from={from}&to={to}"),
            &[("authorization", token)],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body
}

/// The funnel from a day ago to a day ahead (everything a test just made), as `token`.
pub(crate) async fn funnel_around_now(app: &TestApp, token: &str) -> Value {
    let from = (Utc::now() - Duration::days(1))
        .to_rfc3339()
        .replace('+', "%2B");
    let to = (Utc::now() + Duration::days(1))
        .to_rfc3339()
        .replace('+', "%2B");
    let reply = app
        .send(
            Method::GET,
            &format!("/api/v1/reports/funnel?from={from}&to={to}"),
            &[("authorization", token)],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body
}

async fn deliver(app: &TestApp, order: &str, hours_after_approval: i64) {
    let backend = app.state.db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "UPDATE orders SET status = 'delivered', delivered_at = $1 WHERE id = $2"
        }
        _ => "UPDATE orders SET status = 'delivered', delivered_at = ? WHERE id = ?",
    };
    let id = uuid::Uuid::parse_str(order).unwrap();
    let row = keepsake::db::orders::find(&app.state.db, id)
        .await
        .unwrap()
        .unwrap();
    let at = row.queued_at.unwrap() + Duration::hours(hours_after_approval);
    app.state
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [at.into(), id.into()],
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_funnel_and_the_sla_report_add_up() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;

    app.create_order(&order_body("machine_driven")).await; // an inquiry that never went further
    let declined = app.submitted_order("machine_driven").await;
    app.act(&declined, "start_screening", &reviewer, None).await;
    app.decide_screening(
        &declined,
        &reviewer,
        &json!({ "decision": "decline", "reason": "no relationship" }),
    )
    .await;
    let referred = app.submitted_order("machine_driven").await;
    app.act(&referred, "start_screening", &reviewer, None).await;
    app.decide_screening(
        &referred,
        &reviewer,
        &json!({ "decision": "refer", "reason": "counselling first" }),
    )
    .await;
    let rejected = app.screened_order("machine_driven", &reviewer).await;
    app.review_consents(
        &rejected,
        &reviewer,
        &json!({ "decision": "reject", "reason": "forged proof" }),
    )
    .await;
    let on_time = app.queued_order("machine_driven", &reviewer, &texts).await;
    let late = app.queued_order("machine_driven", &reviewer, &texts).await;
    let human = app.queued_order("human_driven", &reviewer, &texts).await;
    let cancelled = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.act(&cancelled, "cancel", &app.auth, None).await;
    deliver(&app, &on_time, 100).await;
    deliver(&app, &late, 200).await; // past the 168 h promise
    deliver(&app, &human, 120).await;

    let funnel = report(&app, &staff, "funnel").await;
    assert_eq!(funnel["inquiries"], 8, "{funnel}");
    assert_eq!(funnel["submitted"], 6);
    assert_eq!(funnel["screened_in"], 4);
    assert_eq!(funnel["consent_approved"], 3);
    assert_eq!(funnel["delivered"], 3);
    assert_eq!(
        funnel["stopped"],
        json!({ "declined_at_screening": 1, "referred_at_screening": 1, "rejected_at_consent_review": 1, "cancelled": 1, "withdrawn": 0 })
    );

    let sla = report(&app, &staff, "sla").await;
    let machine = &sla["machine_driven"];
    assert_eq!(
        (machine["delivered"].as_i64(), machine["on_time"].as_i64()),
        (Some(2), Some(1)),
        "{sla}"
    );
    assert_eq!(machine["on_time_rate"], 0.5);
    assert_eq!(machine["median_turnaround_hours"], 100.0);
    assert_eq!(machine["p90_turnaround_hours"], 200.0);
    assert_eq!(sla["human_driven"]["on_time_rate"], 1.0);

    let customer = app
        .get("/api/v1/reports/sla?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z")
        .await;
    assert_eq!(customer.status, StatusCode::FORBIDDEN);
    let backwards = app
        .send(
            Method::GET,
            "/api/v1/reports/funnel?from=2027-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            &[("authorization", &staff)],
            None,
        )
        .await;
    assert_eq!(backwards.code(), "invalid_range");
}
