//! `kill -9` while many order transitions (and order creations) are in flight: each one is
//! either wholly there — the order row, its audit event and its outbox message — or not at
//! all, an acknowledged one is never lost, and the client's retry after the restart finishes
//! the rest without doing any twice.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::harness::{
    Api, Config, Launch, audit_of, database, eventually, fresh_database, order_row, outbox_of,
};

const ORDERS: usize = 40;

/// `"v3"` → 3
fn version_of(etag: &str) -> i32 {
    etag.trim_matches('"')
        .trim_start_matches('v')
        .parse()
        .expect("an ETag \"v{n}\"")
}

/// Whether the submission of `order` (at `version` before it) is wholly stored; panics when
/// only part of it is.
async fn submitted(db: &DatabaseConnection, order: &str, version: i32) -> bool {
    let id: Uuid = order.parse().unwrap();
    let row = order_row(db, id).await;
    let events = audit_of(db, id).await;
    let audited = events.iter().filter(|e| *e == "order.submitted").count();
    let messages = outbox_of(db, id)
        .await
        .iter()
        .filter(|m| m.kind == "order.status_changed" && m.payload["to"] == "submitted")
        .count();
    let seen = (
        row.status.as_str(),
        row.version - version,
        audited,
        messages,
    );
    match seen {
        ("submitted", 1, 1, 1) => true,
        ("draft", 0, 0, 0) => false,
        _ => panic!(
            "order {order} is half-transitioned (status, versions added, audit events, outbox messages) = {seen:?}"
        ),
    }
}

/// Fire `requests` at once; kill the server as soon as a quarter of them are acknowledged,
/// with the rest in flight. Returns the labels of those acknowledged.
async fn kill_mid_stream<F>(
    server: crate::harness::Server,
    requests: Vec<(String, F)>,
) -> HashSet<String>
where
    F: std::future::Future<Output = bool> + Send + 'static,
{
    let enough = requests.len().div_ceil(4);
    let acknowledged = Arc::new(Mutex::new(HashSet::new()));
    let quarter = Arc::new(Notify::new());
    let mut inflight = tokio::task::JoinSet::new();
    for (label, request) in requests {
        let (acknowledged, quarter) = (acknowledged.clone(), quarter.clone());
        inflight.spawn(async move {
            if request.await {
                let mut acknowledged = acknowledged.lock().unwrap();
                acknowledged.insert(label);
                if acknowledged.len() == enough {
                    quarter.notify_one();
                }
            }
        });
    }
    tokio::time::timeout(Duration::from_secs(60), quarter.notified())
        .await
        .expect("a quarter of the requests acknowledged");
    server.kill().await;
    while inflight.join_next().await.is_some() {}
    acknowledged.lock().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_during_transitions_leaves_each_whole_or_absent_and_a_retry_does_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = fresh_database().await;
    let launch = Launch::new(dir.path(), &Config::for_tests()).database(db_url.as_deref());
    let server = launch.start().await;
    let api = server.api();
    let token = api.customer("mourner@example.com").await;
    let mut drafts = Vec::new();
    for _ in 0..ORDERS {
        drafts.push(api.ready_draft(&token).await);
    }

    let requests = drafts
        .iter()
        .map(|(order, etag)| {
            let (api, token, order, etag) =
                (api.clone(), token.clone(), order.clone(), etag.clone());
            let label = order.clone();
            (label, async move {
                api.try_act(&token, &order, "submit", &etag)
                    .await
                    .is_ok_and(|r| r.status == StatusCode::OK)
            })
        })
        .collect();
    let acknowledged = kill_mid_stream(server, requests).await;

    let db = database(&launch.database_url()).await;
    let mut committed = HashSet::new();
    for (order, etag) in &drafts {
        if submitted(&db, order, version_of(etag)).await {
            committed.insert(order.clone());
        }
    }
    eprintln!(
        "kill during transitions: {} of {ORDERS} submissions committed, {} acknowledged",
        committed.len(),
        acknowledged.len()
    );
    assert!(
        acknowledged.is_subset(&committed),
        "an acknowledged submission was lost"
    );

    // The client retries every submission with the ETag it had: those already done are
    // refused as stale, the others go through.
    let server = launch.start().await;
    let api = server.api();
    for (order, etag) in &drafts {
        let retry = api.try_act(&token, order, "submit", etag).await.unwrap();
        if committed.contains(order) {
            assert_eq!(
                (retry.status, retry.code()),
                (StatusCode::PRECONDITION_FAILED, "stale_version"),
                "{retry:?}"
            );
        } else {
            assert_eq!(retry.status, StatusCode::OK, "{retry:?}");
        }
    }
    for (order, etag) in &drafts {
        assert!(
            submitted(&db, order, version_of(etag)).await,
            "{order} submitted once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_during_creates_then_each_retried_key_makes_one_order() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = fresh_database().await;
    let launch = Launch::new(dir.path(), &Config::for_tests()).database(db_url.as_deref());
    let server = launch.start().await;
    let api = server.api();
    let token = api.customer("mourner@example.com").await;
    let keys: Vec<String> = (0..ORDERS).map(|_| Uuid::new_v4().to_string()).collect();
    let created = Arc::new(Mutex::new(Vec::new()));

    let requests = keys
        .iter()
        .map(|key| {
            let (api, token, key, created) =
                (api.clone(), token.clone(), key.clone(), created.clone());
            (key.clone(), async move {
                match api.try_create_order(&token, &key).await {
                    Ok(r) if r.status == StatusCode::CREATED => {
                        created.lock().unwrap().push((key, r.id()));
                        true
                    }
                    _ => false,
                }
            })
        })
        .collect();
    let acknowledged = kill_mid_stream(server, requests).await;

    // After the restart each key is retried until it answers: the order it made before the
    // crash, or a new one — never a second. A claim the dead process held must not keep the
    // key busy for long (issue 12, defect 16).
    let server = launch.start().await;
    let api = server.api();
    let mut ids = HashSet::new();
    for key in &keys {
        let id = retry_create(&api, &token, key).await;
        let before: Vec<String> = created
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, id)| id.clone())
            .collect();
        assert!(
            before.iter().all(|b| *b == id),
            "key {key} made {before:?} and then {id}"
        );
        ids.insert(id);
    }
    assert_eq!(ids.len(), ORDERS, "one order per key");
    let listed = api.get("/api/v1/orders?limit=100", &token).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let items = listed.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        items.len(),
        ORDERS,
        "no order twice: {} stored",
        items.len()
    );
    let db = database(&launch.database_url()).await;
    for id in &ids {
        let events = audit_of(&db, id.parse().unwrap()).await;
        assert_eq!(
            events.iter().filter(|e| *e == "order.created").count(),
            1,
            "{id}: {events:?}"
        );
    }
    eprintln!(
        "kill during creates: {} acknowledged before the kill, {} orders after retries",
        acknowledged.len(),
        ids.len()
    );
}

/// Retry a create until it answers 201; `409 idempotency_request_in_progress` means wait.
async fn retry_create(api: &Api, token: &str, key: &str) -> String {
    eventually(
        &format!("key {key} to answer"),
        Duration::from_secs(60),
        || async {
            let reply = api.try_create_order(token, key).await.ok()?;
            match (reply.status, reply.code()) {
                (StatusCode::CREATED, _) => Some(reply.id()),
                (StatusCode::CONFLICT, "idempotency_request_in_progress") => None,
                _ => panic!("a retried create answered {reply:?}"),
            }
        },
    )
    .await
}
