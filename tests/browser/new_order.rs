//! A family begins an order in steps, leaves, comes back to the draft through "my orders",
//! and is told in words what the studio still needs before it can be sent.

use crate::harness::{self, Browser, Options};
use crate::helpers::{TEST_PASSWORD, TestApp};

async fn sign_up(browser: &Browser, email: &str) {
    browser.goto("/register").await;
    browser.fill("#email", email).await;
    browser.fill("#password", TEST_PASSWORD).await;
    browser
        .submit("form[action='/register'] button[type=submit]")
        .await;
    assert_eq!(browser.path().await, "/orders");
}

async fn begin_and_resume(language: &'static str, javascript: bool) {
    let app = TestApp::spawn().await;
    let Some(browser) = harness::open(
        &app.base,
        Options {
            language,
            javascript,
        },
    )
    .await
    else {
        return;
    };
    sign_up(&browser, "daughter@example.com").await;
    browser.click("a[href='/orders/new']").await;
    assert_eq!(browser.path().await, "/orders/new");

    // A mistake first: nothing chosen. Each is said next to its field; what was typed stays.
    browser.fill("#name", "王秀英").await;
    browser.submit("main form button[type=submit]").await;
    assert!(browser.exists("#relationship-error").await);
    assert!(browser.exists("#mode-error").await);
    assert!(!browser.exists("#name-error").await);
    assert_eq!(browser.value("#name").await, "王秀英");

    browser.click("#relationship option[value='child']").await;
    browser.fill("#birth_date", "1941").await;
    browser.fill("#birth_date-month", "5").await;
    browser.fill("#birth_date-day", "2").await;
    // A day that does not exist is said next to the date; the rest is kept.
    browser.fill("#death_date", "2026").await;
    browser.fill("#death_date-month", "2").await;
    browser.fill("#death_date-day", "30").await;
    browser.click("#mode-machine_driven").await;
    browser.submit("main form button[type=submit]").await;
    assert!(browser.exists("#death_date-error").await);
    assert!(!browser.exists("#birth_date-error").await);
    browser.fill("#death_date-month", "10").await;
    browser.click("#mode-machine_driven").await;
    browser.submit("main form button[type=submit]").await;
    let questions = browser.path().await;
    assert!(questions.ends_with("/questions"), "{questions}");
    let order_path = questions.trim_end_matches("/questions").to_owned();

    // One answer now, the rest later: the draft is kept.
    browser
        .fill("#purpose", "To hear her voice telling stories again.")
        .await;
    browser.submit("main form button[type=submit]").await;
    assert_eq!(browser.path().await, order_path);
    let missing = browser.text("#missing").await;
    let expected = match language {
        "en" => "Who in the family knows about this order",
        _ => "家里有哪些人知道这份订单",
    };
    assert!(missing.contains(expected), "{missing}");
    assert!(
        !browser.exists("#missing a[href$='#purpose']").await,
        "answered already"
    );

    // Leave, come back through "my orders", finish the questions.
    browser.goto("/").await;
    browser.goto("/orders").await;
    browser.click(&format!("a[href='{order_path}']")).await;
    assert_eq!(browser.path().await, order_path);
    browser.click("#missing a[href$='#family_awareness']").await;
    assert_eq!(
        browser.value("#purpose").await.trim(),
        "To hear her voice telling stories again.",
        "the earlier answer is still there"
    );
    browser
        .fill("#family_awareness", "My brother and my aunt.")
        .await;
    browser
        .fill("#support_network", "My husband and a close friend.")
        .await;
    browser.submit("main form button[type=submit]").await;
    assert!(
        !browser.exists("#missing").await,
        "nothing is missing from the answers"
    );

    // Sending without any photo is refused with the reason in words; the order stays a draft.
    browser
        .submit(&format!("form[action='{order_path}/submit'] button"))
        .await;
    let refusal = browser.text("#error-summary").await;
    let expected = match language {
        "en" => "Please add at least one photo",
        _ => "请至少添加一张照片",
    };
    assert!(refusal.contains(expected), "{refusal}");
    let timeline = browser.text("#events").await;
    let started = match language {
        "en" => "You started this order.",
        _ => "您创建了这份订单。",
    };
    assert!(timeline.contains(started), "{timeline}");
    browser.close().await;
}

#[tokio::test]
async fn a_draft_is_begun_left_and_resumed_in_chinese() {
    begin_and_resume("zh-CN", true).await;
}

#[tokio::test]
async fn a_draft_is_begun_left_and_resumed_in_english_without_javascript() {
    begin_and_resume("en", false).await;
}
