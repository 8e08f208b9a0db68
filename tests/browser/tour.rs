//! Every page, in both languages and at desktop and phone width: no serious or critical
//! accessibility violation (axe-core), and — when `KEEPSAKE_SCREENSHOTS` names a directory — a
//! PNG of each for people to look at (`<page>-<lang>-<desktop|phone>.png`).

use std::path::{Path, PathBuf};

use crate::harness::{self, Browser, DESKTOP, Options, PHONE};
use crate::helpers::{TEST_PASSWORD, TestApp, order_body};

/// The pages a signed-out visitor sees, as (name, path).
const SIGNED_OUT: &[(&str, &str)] = &[
    ("landing", "/"),
    ("signin", "/signin"),
    ("register", "/register"),
    ("inquiry-sent", "/inquiry/sent"),
    ("not-found", "/no-such-page"),
];
/// The pages a signed-in family sees.
const SIGNED_IN: &[(&str, &str)] = &[
    ("orders", "/orders"),
    ("landing-signed-in", "/"),
    ("new-order", "/orders/new"),
    ("requests", "/requests"),
];

/// The accessibility violations of the page shown now (named `name`), after saving its
/// screenshots when asked.
async fn check(browser: &Browser, name: &str, language: &str, shots: Option<&Path>) -> Vec<String> {
    let found = browser.accessibility_violations().await;
    if let Some(dir) = shots {
        for (label, (width, _)) in [("desktop", DESKTOP), ("phone", PHONE)] {
            browser
                .screenshot(dir, &format!("{name}-{language}-{label}"), width)
                .await;
        }
    }
    found
        .into_iter()
        .map(|v| format!("{name} ({language}): {v}"))
        .collect()
}

#[tokio::test]
async fn tour() {
    let app = TestApp::spawn().await;
    // One order so "my orders" has a row (created through the API, as the same customer).
    let order = app.create_order(&order_body("machine_driven")).await;
    let id = order["id"].as_str().expect("order id").to_owned();
    let invited = app
        .post(
            &format!("/api/v1/orders/{id}/consent-invitations"),
            &serde_json::json!({ "party": "relative", "relationship": "spouse", "invitee_name": "Wang Jianguo" }),
        )
        .await;
    let token = invited.body["token"]
        .as_str()
        .expect("invitation token")
        .to_owned();
    let invitation = format!("/invitations/{id}/{token}");
    let request = completed_copy_request(&app, &order).await;
    let shots: Option<PathBuf> = std::env::var_os("KEEPSAKE_SCREENSHOTS").map(PathBuf::from);
    let shots = shots.as_deref();
    let mut problems = Vec::new();
    for language in ["zh-CN", "en"] {
        let Some(browser) = harness::open(
            &app.base,
            Options {
                language,
                javascript: true,
            },
        )
        .await
        else {
            return;
        };
        for (name, path) in SIGNED_OUT {
            browser.goto(path).await;
            problems.extend(check(&browser, name, language, shots).await);
        }
        // The landing page's inquiry form with its errors shown.
        browser.goto("/").await;
        browser
            .submit("form[action^='/inquiry'] button[type=submit]")
            .await;
        assert!(browser.exists("#name-error").await);
        problems.extend(check(&browser, "landing-inquiry-errors", language, shots).await);
        // The sign-in form with its error shown.
        browser.goto("/signin").await;
        browser.fill("#email", "customer@example.com").await;
        browser.fill("#password", "not the password").await;
        browser
            .submit("form[action='/signin'] button[type=submit]")
            .await;
        assert!(browser.exists("#password-error").await);
        problems.extend(check(&browser, "signin-error", language, shots).await);

        browser.fill("#email", "customer@example.com").await;
        browser.fill("#password", TEST_PASSWORD).await;
        browser
            .submit("form[action='/signin'] button[type=submit]")
            .await;
        assert_eq!(browser.path().await, "/orders");
        let about = format!("/orders/{id}/about");
        let questions = format!("/orders/{id}/questions");
        let order_page = format!("/orders/{id}");
        let samples = format!("/orders/{id}/samples");
        let consent = format!("/orders/{id}/consent");
        let privacy = format!("/orders/{id}/privacy");
        let request_new = format!("/requests/new?order={id}");
        let request_page = format!("/requests/{request}");
        let request_export = format!("/requests/{request}/export");
        let drafts = [
            ("order-about", about.as_str()),
            ("order-questions", questions.as_str()),
            ("order", order_page.as_str()),
            ("samples", samples.as_str()),
            ("consent", consent.as_str()),
            ("invitation", invitation.as_str()),
            ("privacy", privacy.as_str()),
            ("request-new", request_new.as_str()),
            ("request", request_page.as_str()),
            ("request-export", request_export.as_str()),
        ];
        for (name, path) in SIGNED_IN.iter().chain(drafts.iter()) {
            browser.goto(path).await;
            problems.extend(check(&browser, name, language, shots).await);
        }
        // The consent form with its errors shown.
        browser.goto(&consent).await;
        browser
            .submit("form[action$='/consent'] button[type=submit]")
            .await;
        assert!(browser.exists("#signer_name-error").await);
        problems.extend(check(&browser, "consent-errors", language, shots).await);
        // The data-rights form with its errors shown.
        browser.goto("/requests/new").await;
        browser
            .submit("form[action='/requests'] button[type=submit]")
            .await;
        assert!(browser.exists("#kind-error").await);
        problems.extend(check(&browser, "request-new-errors", language, shots).await);
        // The about form with its errors shown.
        browser.goto("/orders/new").await;
        browser.submit("main form button[type=submit]").await;
        assert!(browser.exists("#name-error").await);
        problems.extend(check(&browser, "new-order-errors", language, shots).await);
        browser.close().await;
    }
    assert!(
        problems.is_empty(),
        "accessibility problems:\n{}",
        problems.join("\n")
    );
}

/// A copy request about `order` by its customer, verified and approved through the API (the
/// reviewer's desk), so its page offers the copy; returns its id.
async fn completed_copy_request(app: &TestApp, order: &serde_json::Value) -> String {
    let reference = order["reference"].as_str().expect("reference");
    let filed = app
        .post(
            "/api/v1/data-requests",
            &serde_json::json!({ "kind": "copy", "order_reference": reference, "relationship_to_subject": "child" }),
        )
        .await;
    let id = filed.body["id"].as_str().expect("request id").to_owned();
    let reviewer = app.reviewer("reviewer@studio.example").await;
    for (what, body) in [
        (
            "identity",
            serde_json::json!({ "method": "account_session" }),
        ),
        (
            "decision",
            serde_json::json!({ "decision": "approve", "reason": "Asked while signed in." }),
        ),
    ] {
        let reply = app
            .send(
                reqwest::Method::POST,
                &format!("/api/v1/data-requests/{id}/{what}"),
                &[("authorization", reviewer.as_str())],
                Some(&body),
            )
            .await;
        assert_eq!(
            reply.status,
            reqwest::StatusCode::OK,
            "{what}: {:?}",
            reply.body
        );
    }
    id
}
