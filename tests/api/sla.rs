//! The SLA sweeper: at-risk and overdue edges on an injected clock (the sweep is called with the
//! time to judge by), one alert per flag however often it runs, several sweepers on one
//! database without duplicates, and a crashed sweeper's lease taken over once.

use chrono::{DateTime, Duration, Utc};
use keepsake::domain::account::Role;
use keepsake::jobs::sla_sweeper::{Swept, sweep_once};
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::TestApp;

async fn spawn() -> TestApp {
    // The background sweep runs once at start; the tests drive the rest with chosen times.
    TestApp::spawn_with(|s| s.sla.sweep_interval_secs = 24 * 3600).await
}

async fn count(app: &TestApp, kind: &str) -> i64 {
    let backend = app.state.db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => "SELECT COUNT(*) AS n FROM outbox WHERE kind = $1",
        _ => "SELECT COUNT(*) AS n FROM outbox WHERE kind = ?",
    };
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [kind.into()]))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

fn time(view: &serde_json::Value, path: &[&str]) -> DateTime<Utc> {
    let mut v = view;
    for p in path {
        v = if let Ok(i) = p.parse::<usize>() {
            &v[i]
        } else {
            &v[*p]
        };
    }
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_late_stage_turns_at_risk_and_a_passed_promise_overdue_each_announced_once() {
    let app = spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let order = app.queued_order("machine_driven", &reviewer, &texts).await;
    app.act(&order, "start_production", &staff, None).await;
    let view = app.production_of(&order, &staff).await;
    let stage_due = time(&view, &["stages", "0", "due_at"]);
    let promised = time(&view, &["promised_at"]);

    let on_time = sweep_once(&app.state, "a", stage_due).await.unwrap();
    assert_eq!(
        on_time.turned_at_risk, 0,
        "exactly at the due time is on time"
    );
    assert!(
        !app.production_of(&order, &staff).await["at_risk"]
            .as_bool()
            .unwrap()
    );

    let late = stage_due + Duration::seconds(1);
    let swept = sweep_once(&app.state, "a", late).await.unwrap();
    assert_eq!(swept.turned_at_risk, 1, "{swept:?}");
    let view = app.production_of(&order, &staff).await;
    assert_eq!(
        (view["at_risk"].as_bool(), view["overdue"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(count(&app, "sla.at_risk").await, 1);

    let again = sweep_once(&app.state, "b", late + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(again.turned_at_risk, 0, "no second alert: {again:?}");
    assert_eq!(count(&app, "sla.at_risk").await, 1);

    let past_promise = promised + Duration::seconds(1);
    let swept = sweep_once(&app.state, "a", past_promise).await.unwrap();
    assert_eq!(swept.turned_overdue, 1, "{swept:?}");
    assert_eq!(count(&app, "sla.overdue").await, 1);
    let nothing_left = sweep_once(&app.state, "a", past_promise + Duration::days(30))
        .await
        .unwrap();
    assert_eq!(
        nothing_left,
        Swept::default(),
        "an overdue order has no further edge to watch"
    );

    // Advancing the late stage asks for a new look; the promise is still broken.
    app.act(
        &order,
        "advance",
        &staff,
        Some(&serde_json::json!({ "stage": "data_prep" })),
    )
    .await;
    sweep_once(&app.state, "a", past_promise + Duration::hours(1))
        .await
        .unwrap();
    let view = app.production_of(&order, &staff).await;
    assert_eq!(view["overdue"], true);
    assert_eq!(count(&app, "sla.overdue").await, 1);
}

#[tokio::test]
async fn a_queued_order_is_at_risk_once_its_stages_no_longer_fit() {
    let app = spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let order = app.queued_order("machine_driven", &reviewer, &texts).await;
    let view = app.get(&format!("/api/v1/orders/{order}")).await.body;
    let promised: DateTime<Utc> = view["promised_at"].as_str().unwrap().parse().unwrap();
    let last_moment = promised - Duration::hours(120);
    assert_eq!(
        sweep_once(&app.state, "a", last_moment)
            .await
            .unwrap()
            .turned_at_risk,
        0
    );
    assert_eq!(
        sweep_once(&app.state, "a", last_moment + Duration::seconds(1))
            .await
            .unwrap()
            .turned_at_risk,
        1,
        "120 h of stages no longer fit before the promise"
    );
}

#[tokio::test]
async fn concurrent_sweepers_never_double_process_and_a_dead_lease_is_taken_over_once() {
    let app = spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let mut orders = Vec::new();
    for _ in 0..6 {
        orders.push(app.queued_order("machine_driven", &reviewer, &texts).await);
    }
    let far = Utc::now() + Duration::days(30);
    let (a, b, c) = tokio::join!(
        sweep_once(&app.state, "a", far),
        sweep_once(&app.state, "b", far),
        sweep_once(&app.state, "c", far)
    );
    let turned: usize = [a.unwrap(), b.unwrap(), c.unwrap()]
        .iter()
        .map(|s| s.turned_overdue)
        .sum();
    assert_eq!(turned, 6, "each order announced once");
    assert_eq!(count(&app, "sla.overdue").await, 6);

    // A sweeper claims an order and dies before settling it.
    let crashed = app.queued_order("machine_driven", &reviewer, &texts).await;
    let now = Utc::now() + Duration::days(10);
    let claimed = keepsake::db::sla::claim(
        &app.state.db,
        "crashed",
        now,
        now + Duration::minutes(5),
        100,
    )
    .await
    .unwrap();
    assert_eq!(claimed, vec![crashed.parse::<uuid::Uuid>().unwrap()]);
    let blocked = sweep_once(&app.state, "b", now + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(blocked.looked_at, 0, "the lease still holds");
    let taken_over = sweep_once(&app.state, "b", now + Duration::minutes(6))
        .await
        .unwrap();
    assert_eq!((taken_over.looked_at, taken_over.turned_overdue), (1, 1));
    let late = keepsake::db::sla::settle(
        &app.state.db,
        crashed.parse().unwrap(),
        "crashed",
        false,
        false,
        keepsake::db::sla::Verdict {
            at_risk: true,
            overdue: true,
            next_check_at: None,
        },
    )
    .await
    .unwrap();
    assert!(!late, "the crashed sweeper's late settle changes nothing");
    assert_eq!(count(&app, "sla.overdue").await, 7);
}

#[tokio::test]
async fn a_sweeper_told_to_stop_hands_back_what_it_claimed_for_another_to_take_at_once() {
    let app = spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    for _ in 0..3 {
        app.queued_order("machine_driven", &reviewer, &texts).await;
    }
    let far = Utc::now() + Duration::days(30);
    // Stopping after the first order: it is settled, the other two are handed back.
    let looked = std::sync::atomic::AtomicUsize::new(0);
    let stopping = || looked.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= 1;
    let stopped = keepsake::jobs::sla_sweeper::sweep_until(&app.state, "leaving", far, stopping)
        .await
        .unwrap();
    assert_eq!((stopped.looked_at, stopped.turned_overdue), (1, 1));
    let held = keepsake::db::sla::release_all(&app.state.db, "leaving").await.unwrap();
    assert_eq!(held, 0, "nothing left claimed by the sweeper that stopped");
    // Well inside the stopped sweeper's lease, another takes the rest.
    let next = sweep_once(&app.state, "staying", far + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!((next.looked_at, next.turned_overdue), (2, 2));
    assert_eq!(count(&app, "sla.overdue").await, 3);
}
