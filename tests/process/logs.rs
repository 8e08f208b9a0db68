//! What an operator's log collector receives: with `KEEPSAKE_LOG_FORMAT=json` every line the
//! process writes is one JSON object; each answered request is a line with its route template,
//! request id, status and latency; and a customer's whole visit — registering, signing in,
//! placing, reading, listing and cancelling an order, opening an invitation link — leaves no
//! email, name, session token or invitation token anywhere in the log. Without it, plain lines
//! written to a pipe carry no colour codes.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::harness::{Config, Launch};

const EMAIL: &str = "lin.qing.logs@example.com";

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_name_routes_and_answers_and_hold_nothing_personal() {
    let dir = tempfile::tempdir().unwrap();
    let launch = Launch::new(dir.path(), &Config::for_tests()).env("KEEPSAKE_LOG_FORMAT", "json");
    let server = launch.start().await;
    let api = server.api();

    let token = api.customer(EMAIL).await;
    let created = api.try_create_order(&token, "logs-key-1").await.unwrap();
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    let subject = created.body["subject"]["name"].as_str().unwrap().to_owned();
    assert_eq!(
        api.get(&format!("/api/v1/orders/{id}"), &token)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        api.get("/api/v1/orders", &token).await.status,
        StatusCode::OK
    );
    let cancelled = api
        .try_act(&token, &id, "cancel", &created.etag)
        .await
        .unwrap();
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    let invitation_token = "inv-tok-7Qx9mZ2pL4vR8sK1";
    let opened = api
        .send(
            Method::GET,
            &format!("/api/v1/orders/{id}/consent-invitations/{invitation_token}"),
            &[],
            None,
        )
        .await;
    assert_eq!(opened.status, StatusCode::NOT_FOUND);

    let log = server.kill().await.text();
    let session_token = token.trim_start_matches("Bearer ");
    for secret in [EMAIL, subject.as_str(), session_token, invitation_token] {
        assert!(!log.contains(secret), "{secret:?} is in the log:\n{log}");
    }
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let answered = |method: &str, route: &str| {
        lines
            .iter()
            .find(|l| {
                l["message"] == "answered"
                    && l["span"]["method"] == method
                    && l["span"]["route"] == route
            })
            .unwrap_or_else(|| panic!("no answer line for {method} {route}:\n{log}"))
    };
    let create = answered("POST", "/api/v1/orders");
    assert_eq!(create["status"], 201, "{create}");
    assert!(
        create["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{create}"
    );
    assert!(
        create["span"]["request_id"]
            .as_str()
            .is_some_and(|id| id.len() >= 8),
        "{create}"
    );
    assert_eq!(answered("GET", "/api/v1/orders/{id}")["status"], 200);
    assert_eq!(
        answered("POST", "/api/v1/orders/{id}/actions/{action}")["status"],
        200
    );
    assert_eq!(
        answered("GET", "/api/v1/orders/{id}/consent-invitations/{token}")["status"],
        404
    );
}

#[test]
fn plain_logs_written_to_a_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    // `migrate` logs at info and exits; its standard error is a pipe, as a log file is.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keepsake"))
        .args(["--data-dir", &dir.path().display().to_string(), "migrate"])
        .env_remove("NO_COLOR")
        .env_remove("KEEPSAKE_LOG_FORMAT")
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info")
        .output()
        .expect("run keepsake migrate");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("INFO"), "something was logged: {stderr}");
    assert!(!stderr.contains('\u{1b}'), "no escape codes: {stderr:?}");
}
