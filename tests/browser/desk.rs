//! The studio's board in Chromium, in both languages and at both widths: the columns with
//! their orders, filters applied through the form and kept in the address, the SLA badge in
//! words, no serious or critical accessibility violation; screenshots when asked
//! (`desk-board-<lang>-<desktop|phone>.png`).

use std::path::PathBuf;

use keepsake::domain::account::Role;

use crate::harness::{self, DESKTOP, Options, PHONE};
use crate::helpers::TestApp;

#[tokio::test]
async fn the_board_shows_each_step_and_keeps_its_filters() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    app.submitted_order("machine_driven").await;
    app.queued_order("human_driven", &reviewer, &texts).await;
    app.order_in_quality_check("machine_driven", &reviewer, &staff, &texts)
        .await;
    let shots: Option<PathBuf> = std::env::var_os("KEEPSAKE_SCREENSHOTS").map(PathBuf::from);
    for (language, on_track, board_title) in
        [("zh-CN", "正常", "看板"), ("en", "On track", "Board")]
    {
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
        browser.sign_in("staff@studio.example").await;
        browser.click("a[href='/desk']").await;
        assert_eq!(browser.path().await, "/desk");
        assert_eq!(browser.text("main h1").await, board_title);
        let columns = browser.text("#columns").await;
        assert!(columns.contains("KS-2026-000001"), "{columns}");
        assert!(columns.contains(on_track), "{columns}");
        assert!(
            !browser.exists("#auto-refresh-box[hidden]").await,
            "with JavaScript the refresh can be turned off"
        );
        let mut problems = browser.accessibility_violations().await;
        if let Some(dir) = shots.as_deref() {
            for (label, (width, _)) in [("desktop", DESKTOP), ("phone", PHONE)] {
                browser
                    .screenshot(dir, &format!("desk-board-{language}-{label}"), width)
                    .await;
            }
        }

        // The keyboard: j to the first order, l to the next column's, m for "mine"; with
        // the shortcuts turned off a key does nothing.
        assert!(browser.exists("#shortcuts-help:not([hidden])").await);
        let first = browser
            .attr("#columns .desk-card .reference a", "href")
            .await
            .expect("a card link");
        browser.press("j").await;
        assert_eq!(
            browser.focused_href().await.as_deref(),
            Some(first.as_str())
        );
        browser.press("l").await;
        let second = browser
            .focused_href()
            .await
            .expect("a card in the next column");
        assert!(
            second.starts_with("/desk/orders/") && second != first,
            "{second}"
        );
        browser.press("m").await;
        harness::until(&browser, "the mine view", async |b: &harness::Browser| {
            b.client
                .current_url()
                .await
                .is_ok_and(|u| u.query().unwrap_or_default().contains("assignee=mine"))
        })
        .await;
        browser.goto("/desk").await;
        browser.click("#shortcuts").await;
        browser
            .client
            .execute("document.activeElement.blur();", vec![])
            .await
            .expect("blur");
        browser.press("j").await;
        assert_eq!(browser.focused_href().await, None, "turned off");
        browser.click("#shortcuts").await;

        // A filter through the form: it stands in the address, and the form shows it.
        browser.click("#mode option[value='human_driven']").await;
        browser.submit("form.filters button[type=submit]").await;
        let url = browser.client.current_url().await.expect("url");
        assert!(
            url.query()
                .unwrap_or_default()
                .contains("mode=human_driven"),
            "{url}"
        );
        let columns = browser.text("#columns").await;
        assert!(
            !columns.contains("KS-2026-000001") && columns.contains("KS-2026-000002"),
            "{columns}"
        );
        assert_eq!(browser.value("#mode").await, "human_driven");

        // One column alone, and back.
        browser.click("#columns h2 a").await;
        assert!(browser.exists("a[href^='/desk?mode=human_driven']").await);
        problems.extend(browser.accessibility_violations().await);

        // The reports, drawn on the server.
        browser.click("a[href='/desk/reports']").await;
        assert!(browser.exists("svg.chart").await);
        problems.extend(browser.accessibility_violations().await);
        if let Some(dir) = shots.as_deref() {
            for (label, (width, _)) in [("desktop", DESKTOP), ("phone", PHONE)] {
                browser
                    .screenshot(dir, &format!("desk-reports-{language}-{label}"), width)
                    .await;
            }
        }
        assert!(problems.is_empty(), "{language}: {problems:?}");
        browser.close().await;
    }
}

#[tokio::test]
async fn the_workbench_moves_an_order_and_says_who_changed_it_first() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    app.studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let other = app
        .studio_member("other@studio.example", &[Role::Staff])
        .await;
    let shots: Option<PathBuf> = std::env::var_os("KEEPSAKE_SCREENSHOTS").map(PathBuf::from);
    for (language, status_words) in [("zh-CN", "制作中"), ("en", "Being made")] {
        let order = app.queued_order("machine_driven", &reviewer, &texts).await;
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
        browser.sign_in("staff@studio.example").await;
        browser.goto("/desk?column=queued").await;
        browser
            .click(&format!("a[href='/desk/orders/{order}']"))
            .await;
        assert_eq!(browser.path().await, format!("/desk/orders/{order}"));
        browser.submit("#take").await;
        browser.submit("#action-start_production").await;
        let facts = browser.text("#facts").await;
        assert!(facts.contains("staff@studio.example"), "{facts}");
        assert!(facts.contains(status_words), "{facts}");
        let mut problems = browser.accessibility_violations().await;
        if let Some(dir) = shots.as_deref() {
            for (label, (width, _)) in [("desktop", DESKTOP), ("phone", PHONE)] {
                browser
                    .screenshot(dir, &format!("desk-order-{language}-{label}"), width)
                    .await;
            }
        }

        // Someone else holds it while this page is open: finishing the stage is refused
        // with who did what, and the page shows the order as it is now.
        let held = app
            .act(
                &order,
                "hold",
                &other,
                Some(&serde_json::json!({ "reason": "the family asked to wait" })),
            )
            .await;
        assert_eq!(held.status, reqwest::StatusCode::OK, "{:?}", held.body);
        browser.submit("#action-advance").await;
        let changed = browser.text("#changed").await;
        assert!(changed.contains("other@studio.example"), "{changed}");
        assert!(browser.exists("#action-resume").await);
        problems.extend(browser.accessibility_violations().await);
        if let Some(dir) = shots.as_deref() {
            browser
                .screenshot(
                    dir,
                    &format!("desk-order-changed-{language}-desktop"),
                    DESKTOP.0,
                )
                .await;
        }
        assert!(problems.is_empty(), "{language}: {problems:?}");
        browser.close().await;
    }
}

#[tokio::test]
async fn a_reviewer_decides_from_the_queues_and_a_colleague_who_worked_on_it_cannot() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    app.reviewer("reviewer@studio.example").await;
    let both = app
        .studio_member("both@studio.example", &[Role::Staff, Role::Reviewer])
        .await;
    let order = app.submitted_order("machine_driven").await;
    let shots: Option<PathBuf> = std::env::var_os("KEEPSAKE_SCREENSHOTS").map(PathBuf::from);
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
    browser.sign_in("reviewer@studio.example").await;
    browser.click("a[href='/desk/review']").await;
    browser
        .click(&format!("#screening-queue a[href='/desk/review/{order}']"))
        .await;
    browser.submit("#start-screening").await;
    assert_eq!(app.status_as(&order, &both).await, "screening");

    // A decision without its reason is refused at the field.
    browser.click("#decision-proceed").await;
    browser.submit("#decide").await;
    assert!(browser.exists("#reason-error").await);
    browser
        .fill("#reason", "The family's answers are clear; one good photo.")
        .await;
    browser
        .fill(
            "#sufficiency_override_reason",
            "The photo is sharp and recent.",
        )
        .await;
    browser.click("#decision-proceed").await;
    browser.submit("#decide").await;
    assert_eq!(app.status_as(&order, &both).await, "consent_review");

    // The family signs; the reviewer approves from the consent queue.
    let signed = app
        .sign_requester(&order, &texts["requester"], "machine_driven")
        .await;
    assert_eq!(
        signed.status,
        reqwest::StatusCode::CREATED,
        "{:?}",
        signed.body
    );
    browser.goto("/desk/review").await;
    browser
        .click(&format!("#consent-queue a[href='/desk/review/{order}']"))
        .await;
    assert!(
        browser.exists("#documents a").await,
        "evidence can be opened"
    );
    let mut problems = Vec::new();
    if let Some(dir) = shots.as_deref() {
        for (label, (width, _)) in [("desktop", DESKTOP), ("phone", PHONE)] {
            browser
                .screenshot(dir, &format!("desk-review-en-{label}"), width)
                .await;
        }
    }
    browser.click("#decision-approve").await;
    browser
        .fill("#reason", "Every consent the policy asks for is signed.")
        .await;
    browser.submit("#decide").await;
    assert_eq!(app.status_as(&order, &both).await, "queued");
    browser.close().await;

    // A colleague who is staff and reviewer, and who worked on another order, sees why they
    // cannot decide on it before trying.
    let second = app.submitted_order("machine_driven").await;
    let noted = app
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{second}/notes"),
            &[("authorization", both.as_str())],
            Some(&serde_json::json!({ "body": "Called the family." })),
        )
        .await;
    assert!(noted.status.is_success(), "{:?}", noted.body);
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
    browser.sign_in("both@studio.example").await;
    browser.goto(&format!("/desk/review/{second}")).await;
    let why = browser.text("#barred").await;
    assert!(why.contains("另一位审核人员"), "{why}");
    problems.extend(browser.accessibility_violations().await);
    if let Some(dir) = shots.as_deref() {
        browser
            .screenshot(dir, "desk-review-barred-zh-CN-desktop", DESKTOP.0)
            .await;
    }
    assert!(problems.is_empty(), "{problems:?}");
    browser.close().await;
}

#[tokio::test]
async fn staff_produce_a_reviewer_signs_off_and_staff_deliver_from_the_desk() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer_token = app.reviewer("reviewer@studio.example").await;
    let staff_token = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let order = app
        .queued_order("machine_driven", &reviewer_token, &texts)
        .await;
    let shots: Option<PathBuf> = std::env::var_os("KEEPSAKE_SCREENSHOTS").map(PathBuf::from);
    let Some(staff) = harness::open(
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
    staff.sign_in("staff@studio.example").await;
    staff.goto("/desk").await;
    staff
        .click(&format!("a[href='/desk/orders/{order}']"))
        .await;
    staff.submit("#take").await;
    staff.submit("#action-start_production").await;
    let mut finished = 0;
    while staff.exists("#action-advance").await {
        staff.submit("#action-advance").await;
        finished += 1;
        assert!(finished <= 12, "a template has at most 12 stages");
    }
    assert_eq!(app.status_as(&order, &staff_token).await, "quality_check");

    // Delivering before the sign-off: the gate's refusal in words.
    staff.submit("#action-deliver").await;
    let refusal = staff.text("#error-summary").await;
    assert!(refusal.contains("A reviewer must sign off"), "{refusal}");

    // The finished likeness, uploaded with the family's uploader.
    let dir = tempfile::tempdir().expect("temp dir");
    let video = dir.path().join("likeness.mp4");
    std::fs::write(&video, TestApp::delivered_video()).expect("write");
    staff.choose_files("#files", &[video]).await;
    harness::until(&staff, "the deliverable checked", async |b| {
        b.exists("#queue li[data-state='verified']").await
            || b.exists("#queue li[data-state='rejected']").await
    })
    .await;
    assert!(
        staff.exists("#queue li[data-state='verified']").await,
        "{}",
        staff.text("#queue").await
    );

    // A reviewer watches it and signs off from the quality queue.
    let Some(reviewer) = harness::open(
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
    reviewer.sign_in("reviewer@studio.example").await;
    reviewer.goto("/desk/review").await;
    reviewer
        .click(&format!("#quality-queue a[href='/desk/review/{order}']"))
        .await;
    assert!(
        reviewer.exists(".playable video").await,
        "the deliverable can be played"
    );
    let problems = reviewer.accessibility_violations().await;
    if let Some(dir) = shots.as_deref() {
        reviewer
            .screenshot(dir, "desk-quality-zh-CN-desktop", DESKTOP.0)
            .await;
    }
    assert!(problems.is_empty(), "{problems:?}");
    reviewer.submit("#sign-off").await;
    reviewer.close().await;

    staff.reload().await;
    staff.submit("#action-deliver").await;
    assert_eq!(app.status_as(&order, &staff_token).await, "delivered");
    let deliverables = staff.text("#deliverables").await;
    assert!(deliverables.contains("AI-generated"), "{deliverables}");
    staff.close().await;
}

#[tokio::test]
async fn an_admin_creates_a_reviewer_publishes_a_text_and_finds_an_orders_events() {
    let app = TestApp::spawn().await;
    app.publish_consent_texts().await;
    app.studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let order = app.submitted_order("machine_driven").await;
    let reference = app.get(&format!("/api/v1/orders/{order}")).await.body["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let shots: Option<PathBuf> = std::env::var_os("KEEPSAKE_SCREENSHOTS").map(PathBuf::from);
    for language in ["en", "zh-CN"] {
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
        browser.sign_in("admin@studio.example").await;
        browser.click("a[href='/desk/admin']").await;
        let mut problems = browser.accessibility_violations().await;
        if let Some(dir) = shots.as_deref() {
            for (label, (width, _)) in [("desktop", DESKTOP), ("phone", PHONE)] {
                browser
                    .screenshot(dir, &format!("desk-admin-{language}-{label}"), width)
                    .await;
            }
        }
        if language == "en" {
            // A reviewer's account, with a mistake first: no role chosen.
            browser.fill("#email", "new.reviewer@studio.example").await;
            browser.fill("#password", "a long first password").await;
            browser.submit("#new-account button[type=submit]").await;
            assert!(browser.exists("#roles-error").await);
            browser.fill("#password", "a long first password").await;
            browser.click("#new-role-reviewer").await;
            browser.submit("#new-account button[type=submit]").await;
            let accounts = browser.text("#accounts").await;
            assert!(
                accounts.contains("new.reviewer@studio.example"),
                "{accounts}"
            );
            let created = keepsake::db::users::find_by_email(
                &app.state.db,
                &keepsake::domain::account::Email::parse("new.reviewer@studio.example")
                    .expect("email"),
            )
            .await
            .expect("read")
            .expect("the account");
            assert_eq!(created.roles, [Role::Reviewer]);

            // The next version of the requester's text in Chinese.
            browser.click("#party option[value='requester']").await;
            browser.click("#language option[value='zh-CN']").await;
            browser
                .fill("#body", "本人同意工作室按本文本使用逝者的照片与声音。")
                .await;
            browser.submit("#publish-text button[type=submit]").await;
            let texts = browser.text("#texts").await;
            assert!(texts.contains("version 2"), "{texts}");
        }

        // The order's events, found by its reference.
        browser.click("a[href='/desk/audit']").await;
        browser.fill("#object", &reference).await;
        browser.submit("form.filters button[type=submit]").await;
        let events = browser.text("#events").await;
        assert!(
            events.contains("order.created") && events.contains("order.submitted"),
            "{events}"
        );
        problems.extend(browser.accessibility_violations().await);
        if let Some(dir) = shots.as_deref() {
            browser
                .screenshot(dir, &format!("desk-audit-{language}-desktop"), DESKTOP.0)
                .await;
        }

        // The outbox and the ledger.
        browser.goto("/desk/admin").await;
        browser.click("a[href='/desk/outbox']").await;
        assert!(browser.exists("#counts").await);
        problems.extend(browser.accessibility_violations().await);
        browser.goto("/desk/ledger").await;
        browser.submit("#verify").await;
        assert!(browser.exists("#ledger-result").await);
        problems.extend(browser.accessibility_violations().await);
        if let Some(dir) = shots.as_deref() {
            browser
                .screenshot(dir, &format!("desk-ledger-{language}-desktop"), DESKTOP.0)
                .await;
            browser.goto("/desk/outbox").await;
            browser
                .screenshot(dir, &format!("desk-outbox-{language}-desktop"), DESKTOP.0)
                .await;
        }
        assert!(problems.is_empty(), "{language}: {problems:?}");
        browser.close().await;
    }
}
