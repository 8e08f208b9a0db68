//! `/metrics`: absent unless configured; behind the token on the main listener, open on its
//! own listener; and what it reports — requests by route template, jobs, uploads, logins,
//! the data's gauges and readiness — never a path, a name or an address.
//!
//! The recorder is one per process (tests in this binary share it under `cargo test`), so
//! counters are checked as "at least", and every scrape of the shared gauges is in one test.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use keepsake::config::Secret;
use keepsake::media::samples;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, order_body};

const TOKEN: &str = "scrape-me-with-this-long-token";

/// One sample line: its metric name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let value = value.parse().ok()?;
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.strip_suffix('}')?),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|pair| !pair.is_empty())
                .filter_map(|pair| {
                    let (key, value) = pair.split_once("=\"")?;
                    Some((key.to_owned(), value.trim_end_matches('"').to_owned()))
                })
                .collect();
            Some(Sample {
                name: name.to_owned(),
                labels,
                value,
            })
        })
        .collect()
}

/// The value of the series `name` whose labels include `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

async fn scrape(app: &TestApp, base: &str, token: Option<&str>) -> (StatusCode, String, String) {
    let mut request = app.client.get(format!("{base}/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("scrape");
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, response.text().await.expect("body"))
}

/// Scrape until `name{labels}` appears (a job's first pass runs as the server starts, beside
/// the test), giving up after a few seconds.
async fn scrape_until(app: &TestApp, name: &str, labels: &[(&str, &str)]) -> Vec<Sample> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, _, text) = scrape(app, &app.base, Some(TOKEN)).await;
        let samples = parse(&text);
        if value(&samples, name, labels).is_some() || Instant::now() > deadline {
            return samples;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn metrics_do_not_exist_unless_configured() {
    let app = TestApp::spawn().await;
    let (status, _, body) = scrape(&app, &app.base, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("route_not_found"), "{body}");
    let (status, _, _) = scrape(&app, &app.base, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a token nobody configured opens nothing");
}

#[tokio::test]
async fn a_scraper_sees_requests_jobs_uploads_logins_and_the_data_and_nothing_personal() {
    let app = TestApp::spawn_with(|s| s.metrics.token = Some(Secret::new(TOKEN))).await;

    // Without the token, or with another, nothing.
    for token in [None, Some("scrape-me-with-this-long-tokeN")] {
        let (status, _, body) = scrape(&app, &app.base, token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(body.contains("unauthenticated"), "{body}");
    }

    let order = app.create_order(&order_body("machine_driven")).await;
    let order_id = order["id"].as_str().expect("order id");
    let order_status = order["status"].as_str().expect("status").to_owned();
    let photo = samples::jpeg(320, 240);
    let verified = app.upload_sample(order_id, "photo", "image/jpeg", &photo).await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    let wrong = json!({ "email": "customer@example.com", "password": "not the password at all" });
    let refused = app
        .send_anonymous(Method::POST, "/api/v1/auth/login", &[], Some(&wrong))
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    let (status, kind, text) = scrape(&app, &app.base, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(kind.starts_with("text/plain"), "{kind}");
    let samples = parse(&text);
    let at_least = |name: &str, labels: &[(&str, &str)], floor: f64| {
        let found = value(&samples, name, labels);
        assert!(
            found.is_some_and(|v| v >= floor),
            "{name} {labels:?} is {found:?}, expected at least {floor}:\n{text}"
        );
    };
    let created = [("method", "POST"), ("route", "/api/v1/orders"), ("status", "201")];
    at_least("keepsake_http_requests_total", &created, 1.0);
    let mut bucket = created.to_vec();
    bucket.push(("le", "+Inf"));
    at_least("keepsake_http_request_duration_seconds_bucket", &bucket, 1.0);
    at_least(
        "keepsake_http_requests_total",
        &[("route", "/api/v1/orders/{id}/samples/{sid}/complete"), ("status", "200")],
        1.0,
    );
    at_least("keepsake_sample_verifications_total", &[("outcome", "verified")], 1.0);
    at_least("keepsake_upload_bytes_total", &[], photo.len() as f64);
    at_least("keepsake_login_failures_total", &[], 1.0);
    at_least("keepsake_orders", &[("status", order_status.as_str())], 1.0);
    at_least("keepsake_orders_flagged", &[("flag", "overdue")], 0.0);
    at_least("keepsake_outbox_messages", &[("status", "queued")], 0.0);
    at_least("keepsake_outbox_oldest_queued_age_seconds", &[], 0.0);
    at_least("keepsake_db_pool_max_connections", &[], 1.0);
    at_least("keepsake_db_pool_connections", &[("state", "idle")], 0.0);
    at_least("keepsake_ready", &[], 1.0);
    // Paths carry ids and tokens; bodies carry names and addresses: none of it is a label.
    for personal in [order_id, "customer@example.com", "Chen Mei", TOKEN] {
        assert!(!text.contains(personal), "{personal} in the metrics");
    }

    let jobs = scrape_until(&app, "keepsake_job_runs_total", &[("task", "sla_sweeper")]).await;
    for job in ["sla_sweeper", "retention", "upload_sweeper"] {
        let runs = value(&jobs, "keepsake_job_runs_total", &[("task", job)]);
        assert!(runs.is_some_and(|n| n >= 1.0), "{job} ran: {runs:?}");
        let last = value(&jobs, "keepsake_job_last_success_timestamp_seconds", &[("task", job)]);
        assert!(last.is_some_and(|t| t > 1.7e9), "{job} succeeded at {last:?}");
    }

    // On a listener of its own, /metrics needs no token (the network keeps it private) and
    // the main listener has none.
    let own = TestApp::spawn_with(|s| s.metrics.listen = Some("127.0.0.1:0".parse().expect("addr"))).await;
    let base = own.metrics_base.clone().expect("a metrics listener");
    let (status, _, text) = scrape(&own, &base, None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(value(&parse(&text), "keepsake_ready", &[]) == Some(1.0), "{text}");
    let (status, _, _) = scrape(&own, &own.base, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A token, when set, is asked for there too.
    let both = TestApp::spawn_with(|s| {
        s.metrics.listen = Some("127.0.0.1:0".parse().expect("addr"));
        s.metrics.token = Some(Secret::new(TOKEN));
    })
    .await;
    let base = both.metrics_base.clone().expect("a metrics listener");
    assert_eq!(scrape(&both, &base, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(scrape(&both, &base, Some(TOKEN)).await.0, StatusCode::OK);
}
