//! Upload speed through the samples page, for the portal issue's closing note — a
//! measurement, never a timed assertion, so it is ignored unless asked for:
//!
//! ```text
//! KEEPSAKE_MEASURE_BASE_URL=http://127.0.0.1:8080 KEEPSAKE_MEASURE_MIB=256 \
//!   cargo nextest run -E 'binary(browser) & test(measure)' --run-ignored only --no-capture
//! ```
//!
//! It registers a customer on that server (a release `keepsake serve` on the embedded
//! default, to compare with `keepsake bench upload` on the same machine), creates an order,
//! chooses one synthetic video of the given size on the samples page, and prints the time
//! from choosing the file to the page saying it is checked: the browser's whole-file hash in
//! its Worker, the parts hashed, signed and sent, and the server's verification.

use std::time::Instant;

use keepsake::media::samples;
use serde_json::{Value, json};

use crate::harness::{self, Options};
use crate::helpers::{MIB, TEST_PASSWORD, order_body};

async fn ok(reply: reqwest::Response) -> Value {
    let status = reply.status();
    let body: Value = reply.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status}: {body}");
    body
}

#[tokio::test]
#[ignore = "a measurement: run with --run-ignored only and KEEPSAKE_MEASURE_BASE_URL"]
async fn measure_upload_speed_through_the_samples_page() {
    let Ok(base) = std::env::var("KEEPSAKE_MEASURE_BASE_URL") else {
        eprintln!("KEEPSAKE_MEASURE_BASE_URL is not set: nothing measured");
        return;
    };
    let size_mib: usize = std::env::var("KEEPSAKE_MEASURE_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let client = reqwest::Client::new();
    let email = format!("measure-{}@keepsake.invalid", uuid::Uuid::new_v4().simple());
    let credentials = json!({ "email": email, "password": TEST_PASSWORD });
    ok(client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&credentials)
        .send()
        .await
        .expect("register"))
    .await;
    let session = ok(client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&credentials)
        .send()
        .await
        .expect("login"))
    .await;
    let token = format!("Bearer {}", session["token"].as_str().expect("token"));
    let order = ok(client
        .post(format!("{base}/api/v1/orders"))
        .header("authorization", &token)
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .json(&order_body("machine_driven"))
        .send()
        .await
        .expect("order"))
    .await;
    let id = order["id"].as_str().expect("order id");

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("video.mp4");
    std::fs::write(
        &path,
        samples::mp4(1280, 720, 60_000, false, size_mib * MIB),
    )
    .expect("write the video");

    let Some(browser) = harness::open(
        &base,
        Options {
            language: "en",
            javascript: true,
        },
    )
    .await
    else {
        return;
    };
    browser.sign_in(&email).await;
    browser.goto(&format!("/orders/{id}/samples")).await;
    let started = Instant::now();
    browser
        .choose_files("#files", std::slice::from_ref(&path))
        .await;
    let script = "const li = document.querySelector('#queue li'); return li ? (li.dataset.state || '') : '';";
    loop {
        let state = browser.client.execute(script, vec![]).await.expect("state");
        match state.as_str().unwrap_or_default() {
            "verified" => break,
            "rejected" => panic!("the video was refused: {}", browser.text("#queue").await),
            _ => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "page upload: {size_mib} MiB in {seconds:.2} s = {:.1} MiB/s (choose → checked)",
        size_mib as f64 / seconds
    );
    browser.close().await;
}
