//! A family's first steps in the browser: register, land on "my orders", sign out and back in;
//! a mistake said next to its field; the same in both languages and with JavaScript off.

use crate::harness::{self, Options};
use crate::helpers::{TEST_PASSWORD, TestApp};

async fn register(browser: &harness::Browser, email: &str, password: &str) {
    browser.goto("/").await;
    browser.click("a[href='/register']").await;
    assert_eq!(browser.path().await, "/register");
    browser.fill("#email", email).await;
    browser.fill("#password", password).await;
    browser
        .submit("form[action='/register'] button[type=submit]")
        .await;
}

async fn first_steps(language: &'static str, javascript: bool) {
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
    register(&browser, "family@example.com", TEST_PASSWORD).await;
    assert_eq!(
        browser.path().await,
        "/orders",
        "a new account lands on its orders"
    );
    assert_eq!(browser.html_lang().await, language);
    let empty = browser.text("main p").await;
    match language {
        "en" => assert_eq!(empty, "You have no orders yet."),
        _ => assert_eq!(empty, "您还没有订单。"),
    }

    browser.submit("form[action='/signout'] button").await;
    assert_eq!(browser.path().await, "/");
    browser.goto("/orders").await;
    assert_eq!(
        browser.path().await,
        "/signin",
        "signed out, the orders ask for a sign-in"
    );

    browser.fill("#email", "family@example.com").await;
    browser.fill("#password", TEST_PASSWORD).await;
    browser
        .submit("form[action='/signin'] button[type=submit]")
        .await;
    assert_eq!(browser.path().await, "/orders");
    browser.close().await;
}

#[tokio::test]
async fn a_family_registers_signs_out_and_back_in_chinese() {
    first_steps("zh-CN", true).await;
}

#[tokio::test]
async fn a_family_registers_signs_out_and_back_in_english() {
    first_steps("en", true).await;
}

#[tokio::test]
async fn without_javascript_register_and_sign_in_still_work() {
    first_steps("en", false).await;
}

#[tokio::test]
async fn a_mistake_is_said_next_to_its_field_and_at_the_top() {
    let app = TestApp::spawn().await;
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
    register(&browser, "not-an-address", TEST_PASSWORD).await;
    assert_eq!(browser.path().await, "/register", "the form stays");
    assert_eq!(
        browser.text("#email-error").await,
        "Please enter an email address like name@example.com."
    );
    assert_eq!(
        browser.attr("#email", "aria-invalid").await.as_deref(),
        Some("true")
    );
    assert_eq!(
        browser.attr("#email", "value").await.as_deref(),
        Some("not-an-address")
    );
    assert!(browser.exists("#error-summary a[href='#email']").await);
    assert!(
        !browser.exists("#password-error").await,
        "the password was fine"
    );

    register(&browser, "ok@example.com", "password").await;
    assert_eq!(
        browser.text("#password-error").await,
        "Please choose a password of at least 8 characters that is not a common one."
    );

    // A wrong password at sign-in is said next to the password, in the visitor's language.
    browser.goto("/language/zh-CN?back=/signin").await;
    assert_eq!(browser.path().await, "/signin");
    assert_eq!(
        browser.html_lang().await,
        "zh-CN",
        "the switch is remembered"
    );
    browser.fill("#email", "nobody@example.com").await;
    browser.fill("#password", "wrong password here").await;
    browser
        .submit("form[action='/signin'] button[type=submit]")
        .await;
    assert_eq!(browser.text("#password-error").await, "邮箱或密码不正确。");
    browser.close().await;
}
