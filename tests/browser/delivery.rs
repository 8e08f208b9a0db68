//! After the studio delivers: the customer's order page says so, shows the money, and the
//! delivered file — with its AI-generated-content label — downloads byte for byte.

use keepsake::domain::account::Role;
use reqwest::Method;
use serde_json::json;

use crate::harness::{self, Options};
use crate::helpers::TestApp;

#[tokio::test]
async fn the_customer_sees_the_delivery_and_downloads_the_labelled_file() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let (order, _) = app.delivered_order(&reviewer, &staff, &texts).await;
    for (key, kind, amount) in [("q", "quote", 880_000), ("d", "deposit", 300_000)] {
        let recorded = app
            .send(
                Method::POST,
                "/api/v1/payments",
                &[("authorization", &staff), ("idempotency-key", key)],
                Some(&json!({ "order_id": order, "kind": kind, "amount_minor": amount, "currency": "CNY" })),
            )
            .await;
        assert!(recorded.status.is_success(), "{:?}", recorded.body);
    }
    let Some(browser) = harness::open(
        &app.base,
        Options {
            language: "zh-CN",
            javascript: true,
        },
    )
    .await
    else {
        return;
    };
    browser.sign_in("customer@example.com").await;
    browser.goto(&format!("/orders/{order}")).await;
    assert_eq!(browser.text("#status").await, "已交付");
    let money = browser.text("#money").await;
    assert!(
        money.contains("8,800.00 元") && money.contains("5,800.00 元"),
        "{money}"
    );
    let delivered = browser.text("#delivered").await;
    assert!(delivered.contains("人工智能生成内容标识"), "{delivered}");
    let timeline = browser.text("#events").await;
    assert!(timeline.contains("数字形象已交付"), "{timeline}");
    if let Some(dir) = std::env::var_os("KEEPSAKE_SCREENSHOTS") {
        let dir = std::path::PathBuf::from(dir);
        browser
            .screenshot(&dir, "order-delivered-zh-CN-desktop", harness::DESKTOP.0)
            .await;
        browser
            .screenshot(&dir, "order-delivered-zh-CN-phone", harness::PHONE.0)
            .await;
    }
    assert!(
        browser.accessibility_violations().await.is_empty(),
        "the delivered order page passes axe"
    );

    // The download link: an audited, short-lived store URL the browser is sent on to.
    let href = browser
        .attr("#delivered a.button", "href")
        .await
        .expect("download link");
    let bytes = browser.download(&href).await;
    // The file downloaded is the file delivered, with its labels inside.
    crate::workflow::assert_labeled_copy_of(
        &bytes,
        &TestApp::delivered_video(),
        keepsake::media::MediaType::Mp4,
    )
    .await;
    let inside = keepsake::labels::read(
        keepsake::media::MediaType::Mp4,
        &bytes::Bytes::from(bytes.clone()),
    )
    .await
    .expect("readable")
    .expect("labeled inside");
    assert_eq!(inside.label, "1");
    browser.close().await;

    // Someone who was sent the file checks it on the studio's site, signed out, in both
    // languages: the page hashes it in the browser and answers with its content number.
    let dir = tempfile::tempdir().expect("a directory");
    let file = dir.path().join("likeness.mp4");
    std::fs::write(&file, &bytes).expect("write");
    for (language, yes) in [("zh-CN", "是的"), ("en", "Yes")] {
        let Some(visitor) = harness::open(
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
        visitor.goto("/").await;
        visitor.click("a[href='/check']").await;
        visitor
            .choose_files("#check-file", std::slice::from_ref(&file))
            .await;
        harness::until(&visitor, "the answer", async |b: &harness::Browser| {
            b.exists("#answer").await
        })
        .await;
        let answer = visitor.text("#answer").await;
        assert!(
            answer.contains(yes) && answer.contains(&inside.produce_id),
            "{answer}"
        );
        let problems = visitor.accessibility_violations().await;
        assert!(problems.is_empty(), "{language}: {problems:?}");
        if let Some(dir) = std::env::var_os("KEEPSAKE_SCREENSHOTS").map(std::path::PathBuf::from) {
            for (label, (width, _)) in [("desktop", harness::DESKTOP), ("phone", harness::PHONE)] {
                visitor
                    .screenshot(&dir, &format!("check-{language}-{label}"), width)
                    .await;
            }
        }
        visitor.close().await;
    }
}

#[tokio::test]
async fn a_follow_up_waits_for_fresh_consent_given_on_its_page() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let (order, _) = app.delivered_order(&reviewer, &staff, &texts).await;
    // More than the consents on file grant: sharing with the family.
    let created = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{order}/iterations"),
            &[("authorization", &staff), ("idempotency-key", "birthday")],
            Some(&json!({ "description": "A short clip for her birthday", "needs": { "modalities": ["voice"], "scope": ["family_sharing"] }, "price": { "amount_minor": 88_000, "currency": "CNY" } })),
        )
        .await;
    assert_eq!(
        created.status,
        reqwest::StatusCode::CREATED,
        "{:?}",
        created.body
    );
    let iteration = created.body["id"].as_str().unwrap().to_owned();

    // The page in Chinese passes axe (which needs JavaScript), with and without its errors.
    let Some(browser) = harness::open(
        &app.base,
        Options {
            language: "zh-CN",
            javascript: true,
        },
    )
    .await
    else {
        return;
    };
    browser.sign_in("customer@example.com").await;
    browser
        .goto(&format!("/orders/{order}/iterations/{iteration}/consent"))
        .await;
    let mut problems = browser.accessibility_violations().await;
    browser.submit("main form button[type=submit]").await;
    assert!(browser.exists("#read-error").await);
    problems.extend(browser.accessibility_violations().await);
    assert!(problems.is_empty(), "{problems:?}");
    if let Some(dir) = std::env::var_os("KEEPSAKE_SCREENSHOTS") {
        let dir = std::path::PathBuf::from(dir);
        browser
            .screenshot(
                &dir,
                "follow-up-consent-errors-zh-CN-phone",
                harness::PHONE.0,
            )
            .await;
    }
    browser.close().await;

    // Without JavaScript: the consent is an ordinary form.
    let Some(browser) = harness::open(
        &app.base,
        Options {
            language: "en",
            javascript: false,
        },
    )
    .await
    else {
        return;
    };
    browser.sign_in("customer@example.com").await;
    browser.goto(&format!("/orders/{order}")).await;
    let listed = browser.text("#iterations").await;
    assert!(listed.contains("waiting for consent"), "{listed}");
    browser.click("#iterations a.button").await;
    assert_eq!(
        browser.path().await,
        format!("/orders/{order}/iterations/{iteration}/consent")
    );
    let needs = browser.text("#needs").await;
    assert!(
        needs.contains("Their voice may be used") && needs.contains("Sharing with close family"),
        "{needs}"
    );
    assert!(
        browser.exists("#text-version").await,
        "the text's version is shown"
    );

    // Nothing ticked for them: sending as is says what is missing, next to each field.
    browser.submit("main form button[type=submit]").await;
    assert!(browser.exists("#signer_name-error").await);
    assert!(browser.exists("#read-error").await);
    assert!(
        !browser.exists("#modality-voice:checked").await,
        "nothing is pre-ticked"
    );
    if let Some(dir) = std::env::var_os("KEEPSAKE_SCREENSHOTS") {
        let dir = std::path::PathBuf::from(dir);
        for (label, width) in [("desktop", harness::DESKTOP.0), ("phone", harness::PHONE.0)] {
            browser
                .screenshot(&dir, &format!("follow-up-consent-errors-en-{label}"), width)
                .await;
        }
    }
    for choice in [
        "#modality-voice",
        "#purpose-iterations",
        "#scope-family_sharing",
        "#read",
    ] {
        browser.click(choice).await;
    }
    browser.fill("#signer_name", "Li Ming").await;
    browser.submit("main form button[type=submit]").await;
    assert_eq!(browser.path().await, format!("/orders/{order}"));
    let listed = browser.text("#iterations").await;
    assert!(listed.contains("ready to start"), "{listed}");
    assert!(
        !browser.exists("#iterations a.button").await,
        "no consent asked any more"
    );

    let view = app
        .send(
            Method::GET,
            &format!("/api/v1/orders/{order}/iterations/{iteration}"),
            &[("authorization", &staff)],
            None,
        )
        .await;
    assert_eq!(view.body["consent"]["covered"], true, "{:?}", view.body);
    browser.close().await;
}
