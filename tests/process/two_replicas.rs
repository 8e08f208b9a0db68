//! Two `keepsake serve` processes started at the same moment on one fresh PostgreSQL database
//! and one external S3 store (moto), as a Kubernetes rollout of two replicas would: both come
//! up (one migrates, the other waits), then serve a mixed workload between them —
//!
//! - customers register on one replica and work on the other;
//! - a create retried on the other replica with the same Idempotency-Key (both sent at once)
//!   makes one order;
//! - submissions mail the customer ("received"), relayed by whichever replica claims them;
//! - orders whose promise has passed are flagged by both SLA sweepers racing;
//! - an upload is started on one replica and resumed and completed on the other.
//!
//! Then every outbox message reached the SMTP listener exactly once, every SLA flag was raised
//! once, and no order exists twice. The promise is put in the past directly in the database:
//! the processes' clocks cannot be moved, and this is the state a week-old order is in.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use keepsake::media::samples;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::harness::{
    Api, Config, Launch, MIB, create_database, database, eventually, missing_prerequisite,
    part_numbers,
};
use crate::smtp_listener::SmtpListener;

const CUSTOMERS: usize = 8;

fn prerequisites() -> Option<(String, String)> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (var("TEST_DATABASE_URL"), var("TEST_S3_ENDPOINT")) {
        (Some(db), Some(s3)) => Some((db, s3)),
        _ => {
            missing_prerequisite(
                "two replicas need TEST_DATABASE_URL (PostgreSQL) and TEST_S3_ENDPOINT (moto)",
            );
            None
        }
    }
}

/// A create sent to both replicas at once with one key: both answer the same order.
async fn create_on_both(a: &Api, b: &Api, token: &str) -> (String, String) {
    let key = Uuid::new_v4().to_string();
    let (x, y) = tokio::join!(created_id(a, token, &key), created_id(b, token, &key));
    (x, y)
}

/// Retry a create until it answers 201 (409 means the other replica is still on it).
async fn created_id(api: &Api, token: &str, key: &str) -> String {
    eventually("a create to answer", Duration::from_secs(60), || async {
        let reply = api.try_create_order(token, key).await.ok()?;
        match (reply.status, reply.code()) {
            (StatusCode::CREATED, _) => Some(reply.id()),
            (StatusCode::CONFLICT, "idempotency_request_in_progress") => None,
            _ => panic!("a create answered {reply:?}"),
        }
    })
    .await
}

/// A draft with a photo (verified by `one`), submitted on `other`.
async fn submit_across(one: &Api, other: &Api, token: &str) -> String {
    let (order, etag) = one.ready_draft(token).await;
    let submitted = other.try_act(token, &order, "submit", &etag).await.unwrap();
    assert_eq!(submitted.status, StatusCode::OK, "{:?}", submitted.body);
    order
}

/// Start a multipart upload on `one`, send two parts, resume on `other` (which asks the store
/// what it holds), send the rest and complete there without a part list.
async fn upload_across(one: &Api, other: &Api, token: &str, order: &str) {
    let video = samples::mp4(1280, 720, 6_000, false, 11 * MIB);
    let started = one
        .start_upload(token, order, "video", "video/mp4", &video)
        .await;
    let sample = started.body["sample"]["id"].as_str().unwrap().to_owned();
    one.put_parts(token, &started.body["upload"], &video, &[1, 2])
        .await;
    let resumed = other
        .get(
            &format!("/api/v1/orders/{order}/samples/{sample}/upload"),
            token,
        )
        .await;
    assert_eq!(
        resumed.status,
        StatusCode::OK,
        "resume on the other replica: {:?}",
        resumed.body
    );
    assert_eq!(
        part_numbers(&resumed.body, "parts_to_upload"),
        [3],
        "{:?}",
        resumed.body
    );
    other.put_parts(token, &resumed.body, &video, &[3]).await;
    let done = other.try_complete(token, order, &sample).await.unwrap();
    assert_eq!(
        done.status,
        StatusCode::OK,
        "complete on the other replica: {:?}",
        done.body
    );
    assert_eq!(done.body["status"], "verified");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (TEST_DATABASE_URL) and moto (TEST_S3_ENDPOINT): run by .ci/run step 4"]
async fn two_replicas_start_together_and_share_the_work_without_duplicates() {
    let Some((admin_url, s3)) = prerequisites() else {
        return;
    };
    let db_url = create_database(&admin_url).await;
    let bucket = format!("ks-test-{}", Uuid::new_v4().simple());
    let listener = SmtpListener::start().await;
    let config =
        Config::for_tests()
            .smtp(listener.port, 5, 10)
            .set("sla", "sweep_interval_secs", "1");
    let dir = tempfile::tempdir().unwrap();
    let launches: Vec<Launch> = ["a", "b"]
        .iter()
        .map(|name| {
            let root = dir.path().join(name);
            std::fs::create_dir_all(&root).unwrap();
            Launch::new(&root, &config)
                .database(Some(&db_url))
                .s3(&s3, &bucket, "testing", "testing")
        })
        .collect();

    // Both at the same moment, on a database nobody migrated yet.
    let starting: Vec<_> = launches.iter().map(Launch::spawn).collect();
    let mut servers = Vec::new();
    for (name, s) in ["a", "b"].iter().zip(starting) {
        match s.try_listening().await {
            Ok(server) => servers.push(server),
            Err((why, log)) => panic!("replica {name} did not come up: {why}\n{log}"),
        }
    }
    let (a, b) = (servers[0].api(), servers[1].api());

    let mut work = tokio::task::JoinSet::new();
    for n in 0..CUSTOMERS {
        let (one, other) = if n % 2 == 0 {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        };
        work.spawn(async move {
            let email = format!("mourner{n}@example.com");
            let body = json!({ "email": email, "password": crate::harness::PASSWORD });
            let registered = one
                .send(
                    reqwest::Method::POST,
                    "/api/v1/auth/register",
                    &[],
                    Some(&body),
                )
                .await;
            assert_eq!(
                registered.status,
                StatusCode::CREATED,
                "{:?}",
                registered.body
            );
            let token = other.login(&email).await;
            let (x, y) = create_on_both(&one, &other, &token).await;
            let submitted = [
                submit_across(&one, &other, &token).await,
                submit_across(&other, &one, &token).await,
            ];
            let (late, _) = other.draft(&token).await;
            if n == 0 {
                upload_across(&one, &other, &token, &x).await;
            }
            // Reads, alternating between the replicas, as a customer refreshing the page does.
            for i in 0..10 {
                let api = if i % 2 == 0 { &one } else { &other };
                let read = api.get(&format!("/api/v1/orders/{x}"), &token).await;
                assert_eq!(read.status, StatusCode::OK, "{:?}", read.body);
            }
            let listed = one.get("/api/v1/orders?limit=100", &token).await;
            let stored = listed.body["items"].as_array().map_or(0, Vec::len);
            (n, x, y, submitted, late, stored)
        });
    }
    let mut duplicates = 0;
    let mut late_orders = Vec::new();
    let mut submitted_orders = Vec::new();
    while let Some(done) = work.join_next().await {
        let (n, x, y, submitted, late, stored) = done.unwrap();
        duplicates += usize::from(x != y) + stored.saturating_sub(4);
        assert_eq!(
            stored, 4,
            "customer {n} has exactly the orders placed (one created twice by key, two submitted, one late)"
        );
        late_orders.push(late.parse::<Uuid>().unwrap());
        submitted_orders.extend(submitted);
    }

    // A week later, for the late ones: queued, their promise passed yesterday.
    let db = database(&db_url).await;
    let now = chrono::Utc::now();
    {
        use keepsake::db::entities::order::{Column, Entity};
        Entity::update_many()
            .col_expr(Column::Status, Expr::value("queued"))
            .col_expr(
                Column::QueuedAt,
                Expr::value(now - chrono::Duration::days(8)),
            )
            .col_expr(Column::DueAt, Expr::value(now - chrono::Duration::days(3)))
            .col_expr(
                Column::PromisedAt,
                Expr::value(now - chrono::Duration::days(1)),
            )
            .col_expr(
                Column::SlaNextCheckAt,
                Expr::value(now - chrono::Duration::seconds(1)),
            )
            .filter(Column::Id.is_in(late_orders.clone()))
            .exec(&db)
            .await
            .unwrap();
    }

    // Everything flagged and relayed: no message still queued, each sent one at the listener.
    let messages = eventually(
        "every message relayed",
        Duration::from_secs(120),
        || async {
            use keepsake::db::entities::outbox_message::Entity;
            let all = Entity::find().all(&db).await.ok()?;
            let flagged = all.iter().filter(|m| m.kind == "sla.overdue").count();
            let settled = all.iter().all(|m| m.status.as_str() != "queued");
            let sent = all.iter().filter(|m| m.status.as_str() == "sent").count();
            (flagged >= late_orders.len() && settled && listener.accepted().len() >= sent)
                .then_some(all)
        },
    )
    .await;

    let mailed = listener.accepted();
    let mut times: BTreeMap<&str, usize> = BTreeMap::new();
    for mail in &mailed {
        *times.entry(mail.message_id()).or_default() += 1;
    }
    let sent: Vec<_> = messages
        .iter()
        .filter(|m| m.status.as_str() == "sent")
        .collect();
    let twice = times.values().filter(|&&n| n > 1).count();
    for message in &sent {
        let id = format!("<outbox.{}@studio.example>", message.id);
        assert_eq!(
            times.get(id.as_str()),
            Some(&1),
            "{} ({}) mailed once",
            id,
            message.kind
        );
    }
    for late in &late_orders {
        let flags: Vec<&str> = messages
            .iter()
            .filter(|m| m.order_id == Some(*late) && m.kind.starts_with("sla."))
            .map(|m| m.kind.as_str())
            .collect();
        assert_eq!(
            flags.iter().filter(|k| **k == "sla.overdue").count(),
            1,
            "{late}: {flags:?}"
        );
        assert!(
            flags.iter().filter(|k| **k == "sla.at_risk").count() <= 1,
            "{late}: {flags:?}"
        );
    }
    let received: HashSet<Uuid> = messages
        .iter()
        .filter(|m| m.kind == "order.status_changed" && m.payload["to"] == "submitted")
        .filter_map(|m| m.order_id)
        .collect();
    assert_eq!(
        received.len(),
        submitted_orders.len(),
        "one 'received' message per submission"
    );
    for server in &mut servers {
        assert!(
            server.alive(),
            "both replicas still run:\n{}",
            server.log.text()
        );
    }
    eprintln!(
        "two replicas: {} API requests (a {}, b {}), {} outbox messages, {} mailed ({} SLA flags), {} duplicate mails, {} duplicate orders",
        a.requests() + b.requests(),
        a.requests(),
        b.requests(),
        messages.len(),
        mailed.len(),
        messages
            .iter()
            .filter(|m| m.kind.starts_with("sla."))
            .count(),
        twice,
        duplicates
    );
    assert_eq!((twice, duplicates, mailed.len()), (0, 0, sent.len()));
}
