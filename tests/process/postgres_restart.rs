//! PostgreSQL stopped (`pg_ctl -m fast stop`) and started again under load, on a private
//! cluster: while it is down every request still gets an answer in bounded time — a 503
//! problem document (a request waits at most the pool's 30 s acquire timeout, so a restart
//! shorter than that is only a delay), no hang, no panic — `/readyz` says 503, and once it is
//! back the same process serves again without a restart. Every order written around the
//! outage is whole.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::harness::{
    Api, Config, Launch, audit_of, database, eventually, missing_prerequisite, outbox_of,
};
use crate::private_pg::PrivateCluster;

/// Longest any one request may take, outage or not.
const ANSWER_LIMIT: Duration = Duration::from_secs(40);

#[derive(Debug, Clone)]
struct Outcome {
    what: &'static str,
    status: Option<StatusCode>,
    problem: bool,
    code: String,
    took: Duration,
    error: Option<String>,
}

#[derive(Default)]
struct Tally(Mutex<Vec<Outcome>>);

impl Tally {
    fn push(&self, outcome: Outcome) {
        self.0.lock().unwrap().push(outcome);
    }
    fn all(&self) -> Vec<Outcome> {
        self.0.lock().unwrap().clone()
    }
    fn succeeded(&self) -> usize {
        self.all()
            .iter()
            .filter(|o| o.status.is_some_and(|s| s.is_success()))
            .count()
    }
}

/// One request, timed and recorded.
async fn timed(
    tally: &Tally,
    what: &'static str,
    request: impl std::future::Future<Output = Result<crate::harness::Reply, reqwest::Error>>,
) -> Option<crate::harness::Reply> {
    let began = Instant::now();
    let result = request.await;
    let took = began.elapsed();
    let outcome = match &result {
        Ok(r) => Outcome {
            what,
            status: Some(r.status),
            problem: r.is_problem(),
            code: r.code().to_owned(),
            took,
            error: None,
        },
        Err(e) => Outcome {
            what,
            status: None,
            problem: false,
            code: String::new(),
            took,
            error: Some(e.to_string()),
        },
    };
    tally.push(outcome);
    result.ok()
}

/// A customer's day: place an order, cancel it, look at the list; again and again.
async fn customer_load(api: Api, token: String, tally: Arc<Tally>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let key = Uuid::new_v4().to_string();
        let created = timed(&tally, "create", api.try_create_order(&token, &key)).await;
        if let Some(created) = created.filter(|r| r.status == StatusCode::CREATED) {
            timed(
                &tally,
                "cancel",
                api.try_act(&token, &created.id(), "cancel", &created.etag),
            )
            .await;
        }
        timed(
            &tally,
            "list",
            api.try_send(
                Method::GET,
                "/api/v1/orders?limit=5",
                &[("authorization", &token)],
                None,
            ),
        )
        .await;
    }
}

async fn readyz(api: &Api) -> Option<StatusCode> {
    api.try_send(Method::GET, "/readyz", &[], None)
        .await
        .ok()
        .map(|r| r.status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL server binaries for a private cluster: run by .ci/run step 4"]
async fn postgres_restarted_under_load_fails_cleanly_and_recovers_without_a_restart() {
    let cluster = match tokio::task::spawn_blocking(PrivateCluster::start)
        .await
        .unwrap()
    {
        Ok(cluster) => Arc::new(cluster),
        Err(why) => return missing_prerequisite(&why),
    };
    let dir = tempfile::tempdir().unwrap();
    let launch = Launch::new(dir.path(), &Config::for_tests()).database(Some(&cluster.url()));
    let mut server = launch.start().await;
    let api = server.api();
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = tokio::task::JoinSet::new();
    for n in 0..4 {
        let token = api.customer(&format!("mourner{n}@example.com")).await;
        workers.spawn(customer_load(
            api.clone(),
            token,
            tally.clone(),
            stop.clone(),
        ));
    }
    eventually("load to get going", Duration::from_secs(60), || async {
        (tally.succeeded() >= 20).then_some(())
    })
    .await;

    let before_outage = tally.all().len();
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.stop())
        .await
        .unwrap()
        .expect("stop PostgreSQL");
    eventually(
        "/readyz to say the database is gone",
        Duration::from_secs(60),
        || async { (readyz(&api).await == Some(StatusCode::SERVICE_UNAVAILABLE)).then_some(()) },
    )
    .await;
    eventually(
        "a request to fail while the database is down",
        Duration::from_secs(60),
        || async {
            tally.all()[before_outage..]
                .iter()
                .any(|o| o.status.is_some_and(|s| s.is_server_error()))
                .then_some(())
        },
    )
    .await;
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.start_again())
        .await
        .unwrap()
        .expect("start PostgreSQL again");
    let after_outage = tally.succeeded();
    eventually(
        "/readyz to see the database again",
        Duration::from_secs(60),
        || async { (readyz(&api).await == Some(StatusCode::OK)).then_some(()) },
    )
    .await;
    eventually("load to succeed again", Duration::from_secs(60), || async {
        (tally.succeeded() >= after_outage + 20).then_some(())
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    tokio::time::timeout(ANSWER_LIMIT * 2, async {
        while workers.join_next().await.is_some() {}
    })
    .await
    .expect("the load stopped");

    assert!(
        server.alive(),
        "the process lived through the outage:\n{}",
        server.log.text()
    );
    assert!(
        !server.log.contains("panicked"),
        "no panic:\n{}",
        server.log.text()
    );
    let outcomes = tally.all();
    let failed: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.status.is_some_and(|s| s.is_server_error()))
        .collect();
    eprintln!(
        "PostgreSQL restart: {} requests, {} answered 5xx ({:?}), slowest {:?}",
        outcomes.len(),
        failed.len(),
        failed
            .iter()
            .map(|o| format!("{} {:?} {}", o.what, o.status, o.code))
            .collect::<std::collections::BTreeSet<_>>(),
        outcomes.iter().map(|o| o.took).max()
    );
    for o in &outcomes {
        assert!(o.error.is_none(), "every request was answered: {o:?}");
        assert!(
            o.took < ANSWER_LIMIT,
            "answered within {ANSWER_LIMIT:?}: {o:?}"
        );
        if o.status.is_some_and(|s| !s.is_success()) {
            assert!(o.problem, "a failure is a problem document: {o:?}");
        }
        if o.status.is_some_and(|s| s.is_server_error()) {
            // A database outage is temporary: 503, never a 500 that reads as a bug.
            assert_eq!(o.status, Some(StatusCode::SERVICE_UNAVAILABLE), "{o:?}");
        }
    }
    assert!(!failed.is_empty(), "the outage was seen by the load");
    assert_whole(&launch.database_url()).await;
}

/// Every order is whole: created once; cancelled with its event and message, or not at all.
async fn assert_whole(url: &str) {
    let db = database(url).await;
    let orders = keepsake::db::entities::order::Entity::find()
        .all(&db)
        .await
        .unwrap();
    for order in &orders {
        let events = audit_of(&db, order.id).await;
        let count = |action: &str| events.iter().filter(|e| *e == action).count();
        let messages = outbox_of(&db, order.id).await.len();
        let seen = (
            order.status.as_str(),
            order.version,
            count("order.created"),
            count("order.cancelled"),
            messages,
        );
        assert!(
            matches!(seen, ("draft", 1, 1, 0, 0) | ("cancelled", 2, 1, 1, 1)),
            "order {} is not whole: (status, version, created, cancelled, messages) = {seen:?}",
            order.id
        );
    }
    eprintln!("PostgreSQL restart: {} orders, all whole", orders.len());
}
