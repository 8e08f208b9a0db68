//! The family's privacy controls: the keep-samples choice, and erasure with the reference
//! typed to confirm — a wrong one refused at its field, the right one destroying everything
//! and showing the certificate, which downloads as issued.

use crate::harness::{self, Options};
use crate::helpers::{TestApp, order_body};

#[tokio::test]
async fn keep_samples_then_erase_with_the_reference_and_see_the_certificate() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await;
    let id = order["id"].as_str().unwrap().to_owned();
    let reference = order["reference"].as_str().unwrap().to_owned();
    let Some(browser) = harness::open(
        &app.base,
        Options {
            language: "en",
            javascript: true,
        },
    )
    .await
    else {
        return;
    };
    browser.sign_in("customer@example.com").await;

    browser.goto(&format!("/orders/{id}/privacy")).await;
    assert!(
        browser.accessibility_violations().await.is_empty(),
        "the privacy page passes axe"
    );
    browser.click("#keep-yes").await;
    browser.submit("form[action$='/privacy/keep'] button").await;
    let uuid = uuid::Uuid::parse_str(&id).unwrap();
    let stored = || keepsake::db::orders::find(&app.state.db, uuid);
    assert!(
        stored().await.unwrap().unwrap().keep_samples,
        "the choice is recorded"
    );

    // A wrong reference: refused at the field, nothing erased.
    browser.fill("#confirm_reference", "KS-0000-000000").await;
    browser.submit("form[action$='/erase'] button").await;
    assert_eq!(
        browser.text("#confirm_reference-error").await,
        "That is not this order's reference. Please type it exactly as shown."
    );
    assert!(
        stored().await.unwrap().unwrap().erased_at.is_none(),
        "nothing erased"
    );

    browser.fill("#confirm_reference", &reference).await;
    browser.submit("form[action$='/erase'] button").await;
    assert_eq!(browser.path().await, format!("/orders/{id}/certificate"));
    let shown = browser.text("#certificate").await;
    assert!(shown.contains(&reference), "{shown}");
    let digest = browser.text(".digest").await;
    assert_eq!(digest.len(), 64, "{digest}");
    let issued = app
        .get(&format!("/api/v1/orders/{id}/destruction-certificate"))
        .await;
    assert_eq!(
        issued.body["digest"].as_str(),
        Some(digest.as_str()),
        "the page shows the certificate issued"
    );
    assert!(
        browser
            .exists(&format!("a[href='/orders/{id}/certificate.json']"))
            .await
    );
    assert!(
        browser.accessibility_violations().await.is_empty(),
        "the certificate passes axe"
    );
    if let Some(dir) = std::env::var_os("KEEPSAKE_SCREENSHOTS") {
        let dir = std::path::PathBuf::from(dir);
        browser
            .screenshot(&dir, "certificate-en-desktop", harness::DESKTOP.0)
            .await;
        browser
            .screenshot(&dir, "certificate-en-phone", harness::PHONE.0)
            .await;
    }
    browser.close().await;
}
