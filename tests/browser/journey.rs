//! One family's whole way through the pages, in each language: register, order in steps,
//! send ten photos, a voice recording and a video in parts, upload the death certificate and
//! a household register, sign the consent (in a browser with JavaScript off), invite a
//! relative who signs through the link, send the order; the studio screens, approves,
//! produces and delivers through the API (its desk is a later issue); the family sees it
//! delivered and downloads the very file delivered.

use std::path::{Path, PathBuf};

use keepsake::domain::account::Role;
use keepsake::media::samples;

use crate::harness::{self, Browser, Options};
use crate::helpers::{MIB, TEST_PASSWORD, TestApp};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

/// Whether `count` rows of the upload queue have ended (verified or refused).
async fn queue_ended(browser: &Browser, count: usize) -> bool {
    let script = "return Array.from(document.querySelectorAll('#queue li')).map(li => li.dataset.state || '');";
    let states = browser
        .client
        .execute(script, vec![])
        .await
        .expect("states");
    let states: Vec<String> = states
        .as_array()
        .map(|s| {
            s.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    states.len() == count && states.iter().all(|s| s == "verified" || s == "rejected")
}

/// The words the pages use that the journey checks, per language.
struct Words {
    delivered: &'static str,
    given: &'static str,
}

fn words(language: &str) -> Words {
    match language {
        "en" => Words {
            delivered: "Delivered",
            given: "Your consent is recorded",
        },
        _ => Words {
            delivered: "已交付",
            given: "您的同意已记录",
        },
    }
}

async fn journey(language: &'static str) {
    let app = TestApp::spawn().await;
    app.publish_consent_texts().await;
    let said = words(language);
    let open = |javascript: bool| {
        harness::open(
            &app.base,
            Options {
                language,
                javascript,
            },
        )
    };
    let Some(family) = open(true).await else {
        return;
    };

    // Register and begin the order.
    family.goto("/").await;
    family.click("a[href='/register']").await;
    family.fill("#email", "daughter@example.com").await;
    family.fill("#password", TEST_PASSWORD).await;
    family
        .submit("form[action='/register'] button[type=submit]")
        .await;
    assert_eq!(family.path().await, "/orders");
    family.click("a[href='/orders/new']").await;
    family.fill("#name", "Chen Mei").await;
    family.click("#relationship option[value='child']").await;
    family.fill("#death_date", "2026").await;
    family.fill("#death_date-month", "10").await;
    family.fill("#death_date-day", "3").await;
    family.click("#mode-machine_driven").await;
    family.submit("main form button[type=submit]").await;
    let questions = family.path().await;
    let order_path = questions.trim_end_matches("/questions").to_owned();
    let id = order_path.trim_start_matches("/orders/").to_owned();
    family
        .fill("#purpose", "To hear her tell stories again.")
        .await;
    family
        .fill("#family_awareness", "My brother and my father.")
        .await;
    family.fill("#support_network", "My husband.").await;
    family.submit("main form button[type=submit]").await;
    assert_eq!(family.path().await, order_path);

    // The samples: ten photos, a voice recording, a video of three parts.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files: Vec<PathBuf> = (0..10u16)
        .map(|i| {
            write(
                dir.path(),
                &format!("photo-{i}.jpg"),
                &samples::jpeg(640 + i, 800),
            )
        })
        .collect();
    files.push(write(
        dir.path(),
        "voice.wav",
        &samples::wav(181_000, 8_000),
    ));
    files.push(write(
        dir.path(),
        "video.mp4",
        &samples::mp4(640, 480, 31_000, false, 11 * MIB),
    ));
    family.goto(&format!("{order_path}/samples")).await;
    family.choose_files("#files", &files).await;
    harness::until(&family, "every sample checked", async |b| {
        queue_ended(b, 12).await
    })
    .await;
    let daughter = app.login("daughter@example.com").await;
    let report = app
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/orders/{id}/sufficiency"),
            &[("authorization", daughter.as_str())],
            None,
        )
        .await;
    assert_eq!(report.body["passed"], true, "{:?}", report.body);

    // The documents, uploaded on the consent page the same way.
    family.goto(&format!("{order_path}/consent")).await;
    let documents = [
        write(dir.path(), "death-certificate.pdf", &samples::pdf()),
        write(
            dir.path(),
            "household-register.png",
            &samples::png(900, 1200),
        ),
    ];
    family.choose_files("#files", &documents).await;
    harness::until(&family, "both documents checked", async |b| {
        queue_ended(b, 2).await
    })
    .await;

    // The relative's link, made on the consent page.
    family.reload().await;
    family.click("#party option[value='relative']").await;
    family.click("#relationship option[value='spouse']").await;
    family.fill("#invitee_name", "Chen Jianguo").await;
    family
        .submit("form[action$='/invitations'] button[type=submit]")
        .await;
    let link = family.value("#link").await;
    // Or sent from the family's own mail, with the link and a few words filled in.
    let mailto = family
        .attr("#mail-link", "href")
        .await
        .expect("a mail link");
    let query = mailto.strip_prefix("mailto:?").expect("a mailto link");
    assert!(!query.contains('+'), "spaces as %20: {query}");
    let body = form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "body")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    assert!(
        body.contains(&link) && body.contains("Chen Jianguo"),
        "{body}"
    );

    // The customer's own consent, signed with JavaScript off.
    let Some(plain) = open(false).await else {
        return;
    };
    plain.sign_in("daughter@example.com").await;
    plain.goto(&format!("{order_path}/consent")).await;
    plain
        .click("#evidence select option[value='death_certificate']")
        .await;
    let selects = plain
        .client
        .find_all(fantoccini::Locator::Css("#evidence select"))
        .await
        .expect("evidence selects");
    let second = selects[1]
        .attr("id")
        .await
        .ok()
        .flatten()
        .expect("select id");
    plain
        .click(&format!("#{second} option[value='proof_of_relationship']"))
        .await;
    plain.click_all(&harness::FULL_GRANT).await;
    plain.fill("#signer_name", "Chen Xiao").await;
    plain
        .submit("form[action$='/consent'] button[type=submit]")
        .await;
    assert!(
        !plain.exists("#error-summary").await,
        "{}",
        plain.text("main").await
    );
    plain.close().await;

    // The relative, in a browser of their own with no account.
    let Some(relative) = open(true).await else {
        return;
    };
    relative.goto(link.trim_start_matches(&app.base)).await;
    relative.click_all(&harness::FULL_GRANT).await;
    relative.fill("#signer_name", "Chen Jianguo").await;
    relative.submit("#sign").await;
    assert!(relative.text("#given").await.contains(said.given));
    relative.close().await;

    // Send it.
    family.goto(&order_path).await;
    family
        .submit(&format!("form[action='{order_path}/submit'] button"))
        .await;
    assert_eq!(app.status_as(&id, &daughter).await, "submitted");

    // The studio, through its API: screening, consent review, production, delivery.
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    app.screen_to_consent_review(&id, &reviewer).await;
    let approved = app
        .review_consents(
            &id,
            &reviewer,
            &serde_json::json!({ "decision": "approve" }),
        )
        .await;
    assert_eq!(approved.body["status"], "queued", "{:?}", approved.body);
    app.produce(&id, &staff).await;
    let video = TestApp::delivered_video();
    app.sign_off_and_deliver(&id, &reviewer, &staff, &video)
        .await;

    // The family sees it delivered and downloads the very file.
    family.goto(&order_path).await;
    assert_eq!(family.text("#status").await, said.delivered);
    let href = family
        .attr("#delivered a.button", "href")
        .await
        .expect("download link");
    let bytes = family.download(&href).await;
    // The file downloaded is the file delivered, with its AI labels inside.
    crate::workflow::assert_labeled_copy_of(&bytes, &video, keepsake::media::MediaType::Mp4).await;
    family.close().await;
}

#[tokio::test]
async fn a_family_orders_consents_and_receives_the_likeness_in_chinese() {
    journey("zh-CN").await;
}

#[tokio::test]
async fn a_family_orders_consents_and_receives_the_likeness_in_english() {
    journey("en").await;
}
