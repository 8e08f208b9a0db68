//! Idempotency-Key on order creation: replay, mismatch, concurrent duplicates, key required.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Reply, TestApp, order_body};

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

/// The lease every db-level test claims with.
const LEASE: chrono::Duration = chrono::Duration::seconds(15);

#[tokio::test]
async fn a_request_that_outlived_its_lease_cannot_store_its_response() {
    use keepsake::db::idempotency::{self, Claim};
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let now = keepsake::db::now();
    let Claim::Fresh(first) = idempotency::claim(db, "u", "k", "h", now, LEASE)
        .await
        .unwrap()
    else {
        panic!("first claim")
    };
    assert_eq!(
        idempotency::claim(db, "u", "k", "h", now, LEASE)
            .await
            .unwrap(),
        Claim::InProgress
    );
    let later = now + LEASE + chrono::Duration::seconds(1);
    let Claim::Fresh(second) = idempotency::claim(db, "u", "k", "h", later, LEASE)
        .await
        .unwrap()
    else {
        panic!("takeover")
    };

    let body = serde_json::json!({ "id": 1 });
    assert!(
        !idempotency::renew(db, "u", "k", first, later, LEASE)
            .await
            .unwrap(),
        "the old holder learns it lost the key"
    );
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
        idempotency::claim(db, "u", "k", "h", later, LEASE)
            .await
            .unwrap(),
        Claim::Replay { status: 201, body }
    );
}

#[tokio::test]
async fn a_renewed_claim_outlives_its_first_lease_and_then_lapses() {
    use keepsake::db::idempotency::{self, Claim};
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let now = keepsake::db::now();
    let Claim::Fresh(held) = idempotency::claim(db, "u", "k", "h", now, LEASE)
        .await
        .unwrap()
    else {
        panic!("first claim")
    };
    let renewed_at = now + LEASE - chrono::Duration::seconds(1);
    assert!(
        idempotency::renew(db, "u", "k", held, renewed_at, LEASE)
            .await
            .unwrap()
    );
    let past_the_first_lease = now + LEASE + chrono::Duration::seconds(1);
    assert_eq!(
        idempotency::claim(db, "u", "k", "h", past_the_first_lease, LEASE)
            .await
            .unwrap(),
        Claim::InProgress,
        "the renewal keeps the key"
    );
    let past_the_renewal = renewed_at + LEASE + chrono::Duration::seconds(1);
    assert!(matches!(
        idempotency::claim(db, "u", "k", "h", past_the_renewal, LEASE)
            .await
            .unwrap(),
        Claim::Fresh(_)
    ));
}

/// Short leases, so a test sees a lapse in seconds: renewed every second, lapsing after 3.
fn short_leases(settings: &mut keepsake::config::Settings) {
    settings.idempotency.lease_secs = 3;
    settings.idempotency.renew_secs = 1;
}

/// The owner and request hash the order route claims keys with for `body` (read from the
/// key row of a first, finished request with that body: the hash does not depend on the key).
async fn owner_and_hash(app: &TestApp, body: &serde_json::Value) -> (String, String) {
    use keepsake::db::entities::idempotency_key::{Column, Entity as Keys};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let first = app
        .send(
            Method::POST,
            "/api/v1/orders",
            &[("idempotency-key", "finished-first")],
            Some(body),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let row = Keys::find()
        .filter(Column::Key.eq("finished-first"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    (row.owner, row.request_hash)
}

async fn create_with_key(app: &TestApp, key: &str, body: &serde_json::Value) -> Reply {
    app.send(
        Method::POST,
        "/api/v1/orders",
        &[("idempotency-key", key)],
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_key_whose_holder_died_is_taken_over_after_one_short_lease() {
    let app = TestApp::spawn_with(short_leases).await;
    let body = order_body("machine_driven");
    let (owner, hash) = owner_and_hash(&app, &body).await;
    // A replica claimed the key for this very request and died before finishing: its claim
    // is in the database and nobody renews it.
    let claimed = keepsake::db::idempotency::claim(
        &app.state.db,
        &owner,
        "crashed",
        &hash,
        keepsake::db::now(),
        app.state.settings.idempotency.lease(),
    )
    .await
    .unwrap();
    assert!(matches!(
        claimed,
        keepsake::db::idempotency::Claim::Fresh(_)
    ));
    let died_at = std::time::Instant::now();

    let early = create_with_key(&app, "crashed", &body).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{:?}", early.body);
    assert_eq!(early.code(), "idempotency_request_in_progress");

    // The client retries every half second, as a patient client would.
    let created = loop {
        let retry = create_with_key(&app, "crashed", &body).await;
        if retry.status != StatusCode::CONFLICT {
            break retry;
        }
        assert!(
            died_at.elapsed() < std::time::Duration::from_secs(10),
            "still wedged after 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert!(
        died_at.elapsed() >= std::time::Duration::from_secs(2),
        "not before the lease ran out"
    );
    assert_eq!(order_count(&app).await, 2, "the first order and this one");
    let replay = create_with_key(&app, "crashed", &body).await;
    assert_eq!(replay.body, created.body);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
}

#[tokio::test]
async fn a_live_request_slower_than_its_lease_keeps_its_key() {
    use keepsake::idempotency::{Claimed, claim};
    let app = TestApp::spawn_with(short_leases).await;
    let body = order_body("human_driven");
    let (owner, hash) = owner_and_hash(&app, &body).await;
    // A request holds the key through the route's own helper, heartbeat running, and works
    // for twice its lease.
    let Claimed::Fresh(lease, heartbeat) = claim(&app.state, &owner, "slow", &hash).await.unwrap()
    else {
        panic!("a fresh claim")
    };
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let retry = create_with_key(&app, "slow", &body).await;
    assert_eq!(retry.status, StatusCode::CONFLICT, "{:?}", retry.body);
    assert_eq!(retry.code(), "idempotency_request_in_progress");

    // The work finishes: its answer is stored with the key, and retries get that answer.
    let answer = serde_json::json!({ "finished": "by the slow request" });
    let stored = keepsake::db::idempotency::store_response(
        &app.state.db,
        &owner,
        "slow",
        lease,
        201,
        &answer,
    )
    .await
    .unwrap();
    assert!(stored, "the slow request still held its key");
    drop(heartbeat);
    let replay = create_with_key(&app, "slow", &body).await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.body, answer);
    assert_eq!(order_count(&app).await, 1, "no retry did the work again");
}

#[tokio::test]
async fn a_payment_held_up_longer_than_its_lease_keeps_its_key() {
    use keepsake::db::entities::idempotency_key::{Column, Entity as Keys};
    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
    let app = TestApp::spawn_with(short_leases).await;
    if app.state.db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        eprintln!(
            "TEST_DATABASE_URL not set: skipped (on SQLite the writer lock that would hold the \
             payment up holds every retry up too; the helper-level test covers it there)"
        );
        return;
    }
    let staff = app
        .studio_member(
            "cashier@studio.example",
            &[keepsake::domain::account::Role::Staff],
        )
        .await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body =
        json!({ "order_id": order, "kind": "quote", "amount_minor": 80_000, "currency": "CNY" });
    // Another transaction holds the order's row lock: the payment's own transaction waits
    // behind it, far longer than one lease, while the request is alive.
    let blocker = app.state.db.begin().await.unwrap();
    assert!(
        keepsake::db::order_lock::lock(&blocker, order.parse().unwrap())
            .await
            .unwrap()
    );
    let slow = {
        let request = app
            .client
            .post(app.url("/api/v1/payments"))
            .header("authorization", &staff)
            .header("idempotency-key", "held-up")
            .json(&body);
        tokio::spawn(async move { request.send().await.unwrap() })
    };
    let claimed = std::time::Instant::now();
    while Keys::find()
        .filter(Column::Key.eq("held-up"))
        .one(&app.state.db)
        .await
        .unwrap()
        .is_none()
    {
        assert!(claimed.elapsed() < std::time::Duration::from_secs(10));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let retry = app
        .send(
            Method::POST,
            "/api/v1/payments",
            &[("authorization", &staff), ("idempotency-key", "held-up")],
            Some(&body),
        )
        .await;
    assert_eq!(retry.status, StatusCode::CONFLICT, "{:?}", retry.body);
    assert_eq!(retry.code(), "idempotency_request_in_progress");

    blocker.rollback().await.unwrap();
    let done = slow.await.unwrap();
    assert_eq!(done.status(), StatusCode::CREATED);
    let done: serde_json::Value = done.json().await.unwrap();
    let replay = app
        .send(
            Method::POST,
            "/api/v1/payments",
            &[("authorization", &staff), ("idempotency-key", "held-up")],
            Some(&body),
        )
        .await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.body, done, "the slow request's own answer");
    let entries = app
        .state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT COUNT(*) FROM payments",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        entries.try_get_by_index::<i64>(0).unwrap(),
        1,
        "recorded once"
    );
}
