//! The desk's casework in Chromium: staff book a live session, log it without the AI label
//! and record a quote from the workbench (in Chinese); a reviewer who did not work on the
//! order reviews the flagged session and takes a relative's data-rights request through the
//! identity check to its decision from the queues (in English); an admin publishes stage
//! targets and opens a consent text to see which orders signed it. Every page in both
//! languages with no serious or critical accessibility violation; screenshots when asked
//! (`desk-casework-…`, `desk-queues-…`, `desk-session-…`, `desk-request-…`, `desk-stages-…`,
//! `desk-text-…`).

use std::path::{Path, PathBuf};

use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{self, Browser, DESKTOP, Options, PHONE};
use crate::helpers::TestApp;
use crate::workflow::human_order_in_production;

async fn shoot(browser: &Browser, dir: Option<&Path>, name: &str, phone_too: bool) {
    let Some(dir) = dir else { return };
    browser
        .screenshot(dir, &format!("{name}-desktop"), DESKTOP.0)
        .await;
    if phone_too {
        browser
            .screenshot(dir, &format!("{name}-phone"), PHONE.0)
            .await;
    }
}

#[tokio::test]
async fn a_flagged_session_and_a_relatives_request_go_from_the_workbench_through_the_queues() {
    let app = TestApp::spawn().await;
    let order = human_order_in_production(&app).await;
    let reference = app
        .get(&format!("/api/v1/orders/{}", order.order))
        .await
        .body["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let sister = app.customer("sister@example.com").await;
    let filed = app
        .send(
            Method::POST,
            "/api/v1/data-requests",
            &[("authorization", sister.as_str())],
            Some(&json!({ "kind": "access", "order_reference": reference, "relationship_to_subject": "sibling", "details": "我们想知道工作室保存了妈妈的哪些资料。" })),
        )
        .await;
    assert_eq!(filed.status, StatusCode::ACCEPTED, "{:?}", filed.body);
    let request = filed.body["id"].as_str().expect("id").to_owned();
    let shots: Option<PathBuf> = std::env::var_os("KEEPSAKE_SCREENSHOTS").map(PathBuf::from);
    let workbench = format!("/desk/orders/{}", order.order);

    // Staff, in Chinese: book, log without the label, record the quote.
    let Some(staff) = harness::open(
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
    staff.sign_in("staff@studio.example").await;
    staff.goto(&workbench).await;
    let at = (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%dT10:30")
        .to_string();
    staff.set_value("#session_at", &at).await;
    staff
        .fill("#session_participants", "陈军，儿子\n陈华")
        .await;
    staff.submit("#book").await;
    let sessions = staff.text("#sessions").await;
    assert!(
        sessions.contains("已预约") && sessions.contains("陈军（儿子）、陈华"),
        "{sessions}"
    );
    staff.click("details.session-log summary").await;
    staff.fill("[id^='duration-']", "40").await;
    staff.click("[id^='label-no-']").await;
    staff.fill("[id^='notes-']", "标识叠加层中途崩溃").await;
    staff.submit("[id^='log-']").await;
    let sessions = staff.text("#sessions").await;
    assert!(
        sessions.contains("没有显示") && sessions.contains("40 分钟"),
        "{sessions}"
    );
    staff.click("#money-heading ~ details summary").await;
    staff.fill("#payment_amount", "8800").await;
    staff.fill("#payment_note", "电话中约定").await;
    staff.submit("#record").await;
    let money = staff.text("#money-entries").await;
    assert!(
        money.contains("8,800.00") && money.contains("电话中约定"),
        "{money}"
    );
    let mut problems = staff.accessibility_violations().await;
    shoot(&staff, shots.as_deref(), "desk-casework-zh-CN", true).await;
    staff.close().await;

    // A reviewer looks in Chinese, then acts in English.
    for language in ["zh-CN", "en"] {
        let Some(reviewer) = harness::open(
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
        reviewer.sign_in("reviewer@studio.example").await;
        reviewer.goto("/desk/review").await;
        problems.extend(reviewer.accessibility_violations().await);
        shoot(
            &reviewer,
            shots.as_deref(),
            &format!("desk-queues-{language}"),
            true,
        )
        .await;
        reviewer.click("#sessions-queue a").await;
        problems.extend(reviewer.accessibility_violations().await);
        if language == "en" {
            let details = reviewer.text("#session-details").await;
            assert!(details.contains("was not shown"), "{details}");
            reviewer
                .fill(
                    "#reason",
                    "The family was told the next day; the overlay is fixed.",
                )
                .await;
            reviewer.submit("#decide").await;
            let details = reviewer.text("#session-details").await;
            assert!(
                details.contains("Reviewed") && details.contains("reviewer@studio.example"),
                "{details}"
            );
        }
        shoot(
            &reviewer,
            shots.as_deref(),
            &format!("desk-session-{language}"),
            false,
        )
        .await;

        reviewer.goto("/desk/review").await;
        reviewer
            .click(&format!(
                "#requests-queue a[href='/desk/requests/{request}']"
            ))
            .await;
        problems.extend(reviewer.accessibility_violations().await);
        if language == "en" {
            // Signing in is not enough for a relative: said at the field.
            reviewer.click("#method-account_session").await;
            reviewer.submit("#verify").await;
            assert!(reviewer.exists("#method-error").await);
            shoot(
                &reviewer,
                shots.as_deref(),
                "desk-request-refused-en",
                false,
            )
            .await;
            reviewer.click("#method-video_call").await;
            reviewer
                .fill("#note", "video call, her ID card shown")
                .await;
            reviewer.submit("#verify").await;
            reviewer.click("#decision-approve").await;
            reviewer
                .fill("#reason", "Her sister, verified on a video call.")
                .await;
            reviewer.submit("#decide").await;
            assert_eq!(reviewer.text("#request-status").await, "Done");
        }
        shoot(
            &reviewer,
            shots.as_deref(),
            &format!("desk-request-{language}"),
            true,
        )
        .await;
        reviewer.close().await;
    }
    assert!(problems.is_empty(), "{problems:?}");
}

#[tokio::test]
async fn an_admin_publishes_stage_targets_and_sees_which_orders_signed_a_text() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    app.studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let order = app.queued_order("human_driven", &reviewer, &texts).await;
    let reference = app.get(&format!("/api/v1/orders/{order}")).await.body["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let shots: Option<PathBuf> = std::env::var_os("KEEPSAKE_SCREENSHOTS").map(PathBuf::from);
    let mut problems = Vec::new();
    for language in ["en", "zh-CN"] {
        let Some(admin) = harness::open(
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
        admin.sign_in("admin@studio.example").await;
        admin.goto("/desk/admin").await;
        admin.click("a[href='/desk/admin/stages']").await;
        problems.extend(admin.accessibility_violations().await);
        shoot(
            &admin,
            shots.as_deref(),
            &format!("desk-stages-{language}"),
            true,
        )
        .await;
        if language == "en" {
            // The live session gets more time; a mistyped hour is said at the form first.
            admin.fill("#human_driven-hours-4", "twelve").await;
            admin
                .submit("#template-human_driven button[type=submit]")
                .await;
            assert!(admin.exists("#human_driven-error").await);
            admin.fill("#human_driven-hours-4", "36").await;
            admin
                .submit("#template-human_driven button[type=submit]")
                .await;
            let section = admin.text("#human_driven").await;
            assert!(section.contains("Version 2"), "{section}");
        }
        admin.goto("/desk/admin").await;
        admin
            .click(&format!(
                "a[href='/desk/admin/consent-texts/{}']",
                texts["requester"]
            ))
            .await;
        let signed = admin.text("#signed").await;
        assert!(signed.contains(&reference), "{signed}");
        problems.extend(admin.accessibility_violations().await);
        shoot(
            &admin,
            shots.as_deref(),
            &format!("desk-text-{language}"),
            false,
        )
        .await;
        admin.close().await;
    }
    assert!(problems.is_empty(), "{problems:?}");
}
