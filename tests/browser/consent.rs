//! The customer's consent from the page: the policy's needs in words, documents uploaded as
//! evidence the same way as samples, the exact text version shown and signed with grants
//! ticked one by one; mistakes said next to their fields.

use std::path::PathBuf;

use keepsake::media::samples;

use crate::harness::{self, Browser, Options};
use crate::helpers::{TestApp, order_body};

async fn queue_done(browser: &Browser, count: usize) -> bool {
    let states = browser
        .client
        .execute(
            "return Array.from(document.querySelectorAll('#queue li')).map(li => li.dataset.state || '');",
            vec![],
        )
        .await
        .expect("states");
    let states: Vec<String> = serde_json::from_value(states).unwrap_or_default();
    states.len() == count && states.iter().all(|s| s == "verified")
}

#[tokio::test]
async fn the_customer_uploads_evidence_and_signs_the_exact_text() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await;
    let id = order["id"].as_str().unwrap().to_owned();
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
    let dir = tempfile::tempdir().unwrap();
    let certificate: PathBuf = dir.path().join("death-certificate.pdf");
    std::fs::write(&certificate, samples::pdf()).unwrap();
    let register: PathBuf = dir.path().join("household-register.png");
    std::fs::write(&register, samples::png(900, 1200)).unwrap();

    browser.sign_in("customer@example.com").await;
    browser.goto(&format!("/orders/{id}/consent")).await;
    let needs = browser.text("#needs").await;
    assert!(needs.contains("still needed Your own consent"), "{needs}");
    assert!(
        needs.contains("still needed A death certificate"),
        "{needs}"
    );
    assert!(
        needs.contains("still needed A document showing your relationship"),
        "{needs}"
    );
    let version = browser.text("#text-version").await;
    assert!(version.contains("version 1"), "{version}");
    assert!(
        !browser.text("#consent-text").await.is_empty(),
        "the text itself is shown"
    );

    browser
        .choose_files("#files", &[certificate, register])
        .await;
    harness::until(&browser, "both documents checked", async |b| {
        queue_done(b, 2).await
    })
    .await;
    browser.reload().await;

    // Signing with nothing ticked: each mistake next to its field, nothing recorded.
    browser
        .submit("form[action$='/consent'] button[type=submit]")
        .await;
    assert!(browser.exists("#signer_name-error").await);
    assert!(browser.exists("#read-error").await);
    assert!(
        browser
            .text("#grants")
            .await
            .contains("Please tick at least one use")
    );
    let consents = app.get(&format!("/api/v1/orders/{id}/consents")).await;
    assert_eq!(
        consents.body.as_array().map(Vec::len),
        Some(0),
        "{:?}",
        consents.body
    );

    // The documents named, the grants ticked, the name typed: signed.
    let selects = browser
        .client
        .find_all(fantoccini::Locator::Css("#evidence select"))
        .await
        .unwrap();
    assert_eq!(selects.len(), 2, "both checked documents can be cited");
    for select in &selects {
        let name = select.attr("id").await.unwrap().unwrap();
        let label = browser.text(&format!("label[for='{name}']")).await;
        let value = if label.contains("certificate") {
            "death_certificate"
        } else {
            "proof_of_relationship"
        };
        browser
            .click(&format!("#{name} option[value='{value}']"))
            .await;
    }
    browser.click_all(&harness::FULL_GRANT).await;
    browser.fill("#signer_name", "Chen Xiao").await;
    browser
        .submit("form[action$='/consent'] button[type=submit]")
        .await;
    assert!(
        !browser.exists("#error-summary").await,
        "{}",
        browser.text("main").await
    );
    let needs = browser.text("#needs").await;
    assert!(!needs.contains("still needed"), "every need met: {needs}");
    let signed = browser.text("#signed").await;
    assert!(
        signed.contains("You: Chen Xiao") && signed.contains("text version 1"),
        "{signed}"
    );
    assert!(
        !browser.exists("#consent-text").await,
        "signed: the form is gone"
    );

    let status = app
        .get(&format!("/api/v1/orders/{id}/consent-status"))
        .await;
    assert_eq!(status.body["complete"], true, "{:?}", status.body);
    browser.close().await;
}

#[tokio::test]
async fn a_relative_signs_through_the_link_without_an_account_and_another_declines() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await;
    let id = order["id"].as_str().unwrap().to_owned();
    let Some(family) = harness::open(
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
    family.sign_in("customer@example.com").await;
    let mut links = Vec::new();
    for (relationship, name) in [("spouse", "王建国"), ("sibling", "陈明")] {
        family.goto(&format!("/orders/{id}/consent")).await;
        family.click("#party option[value='relative']").await;
        family
            .click(&format!("#relationship option[value='{relationship}']"))
            .await;
        family.fill("#invitee_name", name).await;
        family
            .submit("form[action$='/invitations'] button[type=submit]")
            .await;
        let note = family.text("#new-link").await;
        assert!(
            note.contains(name) && note.contains("只能使用一次"),
            "{note}"
        );
        links.push(family.value("#link").await);
    }
    family.close().await;

    // The first relative opens the link in a browser of their own, with no account.
    let Some(relative) = harness::open(
        &app.base,
        Options {
            language: "zh-CN",
            javascript: false,
        },
    )
    .await
    else {
        return;
    };
    let path = links[0].trim_start_matches(&app.base).to_owned();
    assert!(path.starts_with(&format!("/invitations/{id}/")), "{path}");
    relative.goto(&path).await;
    assert!(relative.text("main h1").await.contains("请您给予同意"));
    assert!(relative.text("#asked").await.contains("Chen Mei"));
    assert!(!relative.text("#consent-text").await.is_empty());
    // Agreeing without ticking anything is said at the field; nothing is recorded.
    relative.fill("#signer_name", "王建国").await;
    relative.click("#read").await;
    relative.submit("#sign").await;
    assert!(relative.text("#grants").await.contains("请至少勾选"));
    relative.click_all(&harness::FULL_GRANT).await;
    relative.fill("#signer_name", "王建国").await;
    relative.submit("#sign").await;
    assert!(relative.text("#given").await.contains("您的同意已记录"));
    assert!(
        !relative.exists("#consent-text").await,
        "a used link cannot sign again"
    );

    // The second declines: a "no" recorded as such.
    let path = links[1].trim_start_matches(&app.base).to_owned();
    relative.goto(&path).await;
    relative.fill("#signer_name", "陈明").await;
    relative.click("#read").await;
    relative.submit("#decline").await;
    assert!(relative.text("#given").await.contains("您不同意"));
    relative.close().await;

    let consents = app.get(&format!("/api/v1/orders/{id}/consents")).await;
    let items = consents.body.as_array().unwrap();
    let decisions: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|c| {
            (
                c["relationship"].as_str().unwrap(),
                c["decision"].as_str().unwrap(),
                c["verification_method"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        decisions,
        vec![
            ("spouse", "given", "invitation_link"),
            ("sibling", "refused", "invitation_link")
        ]
    );
}
