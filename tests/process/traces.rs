//! Trace export, when an operator asks for it: with `KEEPSAKE_TRACES__OTLP_ENDPOINT` set the
//! process posts its spans to that OTLP/HTTP collector (here a listener in the test that keeps
//! what it receives) — the request spans with their route templates, under the service name —
//! and sends the last of them when it is stopped. What is sent holds no email, name or token.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use reqwest::StatusCode;

use crate::harness::{Config, Launch};

const EMAIL: &str = "traced.family@example.com";

/// Every POST the collector received: its path, content type and body.
type Received = Arc<Mutex<Vec<(String, String, Bytes)>>>;

async fn collector() -> (String, Received) {
    let received: Received = Arc::default();
    let keep = received.clone();
    let app = axum::Router::new().fallback(
        move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
            let keep = keep.clone();
            async move {
                let kind = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                keep.lock().unwrap().push((uri.path().to_owned(), kind, body));
                StatusCode::OK
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/v1/traces"), received)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn spans_go_to_the_collector_and_the_last_ones_are_sent_at_shutdown() {
    let (endpoint, received) = collector().await;
    let dir = tempfile::tempdir().unwrap();
    let launch = Launch::new(dir.path(), &Config::for_tests())
        .env("KEEPSAKE_TRACES__OTLP_ENDPOINT", endpoint)
        .env("KEEPSAKE_TRACES__SERVICE_NAME", "keepsake-traced");
    let server = launch.start().await;
    let api = server.api();
    let token = api.customer(EMAIL).await;
    let created = api.try_create_order(&token, "traced-1").await.unwrap();
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let subject = created.body["subject"]["name"].as_str().unwrap().to_owned();

    server.terminate();
    let (status, log) = server.wait_exit(Duration::from_secs(30)).await;
    assert!(status.is_some_and(|s| s.success()), "clean exit: {status:?}\n{}", log.text());

    let received = received.lock().unwrap().clone();
    assert!(!received.is_empty(), "no spans reached the collector:\n{}", log.text());
    let body: Vec<u8> = received.iter().flat_map(|(_, _, b)| b.to_vec()).collect();
    for (path, kind, _) in &received {
        assert_eq!(path, "/v1/traces");
        assert_eq!(kind, "application/x-protobuf");
    }
    for expected in ["keepsake-traced", "request", "/api/v1/orders", "POST"] {
        assert!(contains(&body, expected), "{expected:?} not among the spans");
    }
    let session = token.trim_start_matches("Bearer ");
    for secret in [EMAIL, subject.as_str(), session] {
        assert!(!contains(&body, secret), "{secret:?} was exported");
    }
}
