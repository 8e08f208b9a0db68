//! Data-rights requests through the pages: the customer asks from the order's privacy page
//! (reference filled in) and follows the request to its copy; a relative asks about an order
//! someone else placed and is told only that it is queued — the same words whether the
//! reference exists or not; a wrong form is said field by field and files nothing; nobody
//! else's request can be opened.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, order_body};
use crate::pages::{browserish, form_token, header, page_session};

async fn get_page(app: &TestApp, session: &str, path: &str) -> (StatusCode, String) {
    let reply = browserish()
        .get(app.url(path))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    (reply.status(), reply.text().await.unwrap())
}

/// Post the request form (the token read from the new-request page); returns the status and
/// where it led or the page it showed.
async fn ask(app: &TestApp, session: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let (_, form) = get_page(app, session, "/requests/new").await;
    let token = form_token(&form);
    let mut all = fields.to_vec();
    all.push(("csrf", &token));
    let reply = browserish()
        .post(app.url("/requests"))
        .header("cookie", session)
        .form(&all)
        .send()
        .await
        .unwrap();
    let status = reply.status();
    let location = header(reply.headers(), "location").to_owned();
    let body = reply.text().await.unwrap();
    (status, if location.is_empty() { body } else { location })
}

#[tokio::test]
async fn the_customer_asks_for_a_copy_and_downloads_it() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await;
    let (id, reference) = (
        order["id"].as_str().unwrap(),
        order["reference"].as_str().unwrap(),
    );
    let session = page_session(&app, "customer@example.com").await;

    // From the order's privacy page: the reference and relationship are filled in.
    let (status, privacy) = get_page(&app, &session, &format!("/orders/{id}/privacy")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        privacy.contains(&format!("/requests/new?order={id}")),
        "{privacy}"
    );
    let (_, form) = get_page(&app, &session, &format!("/requests/new?order={id}")).await;
    assert!(form.contains(&format!("value=\"{reference}\"")), "{form}");

    // Wrong: nothing chosen, a reference that is not one. Said next to each, nothing filed.
    let (status, page) = ask(
        &app,
        &session,
        &[("reference", "hello"), ("relationship", "child")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"kind-error\""), "{page}");
    let (status, page) = ask(
        &app,
        &session,
        &[
            ("kind", "copy"),
            ("reference", "my mother's order"),
            ("relationship", "child"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"reference-error\""), "{page}");
    assert!(
        page.contains("does not look like an order reference"),
        "{page}"
    );
    let listed = app.get("/api/v1/data-requests").await;
    assert_eq!(listed.body["items"], json!([]), "nothing filed");

    let (status, place) = ask(
        &app,
        &session,
        &[
            ("kind", "copy"),
            ("reference", reference),
            ("relationship", "child"),
            ("details", "Everything, please."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{place}");
    assert!(place.starts_with("/requests/"), "{place}");
    let (_, shown) = get_page(&app, &session, &place).await;
    assert!(shown.contains("Waiting for a reviewer"), "{shown}");
    assert!(shown.contains("confirm it is you"), "{shown}");
    let (_, mine) = get_page(&app, &session, "/requests").await;
    assert!(
        mine.contains("Receive a copy") && mine.contains(reference),
        "{mine}"
    );

    // A reviewer verifies and approves (the desk is the API for now): the copy is ready.
    let request = place.trim_start_matches("/requests/");
    let reviewer = app.reviewer("reviewer@studio.example").await;
    for (what, body) in [
        ("identity", json!({ "method": "account_session" })),
        (
            "decision",
            json!({ "decision": "approve", "reason": "The customer asked while signed in." }),
        ),
    ] {
        let reply = app
            .send(
                reqwest::Method::POST,
                &format!("/api/v1/data-requests/{request}/{what}"),
                &[("authorization", reviewer.as_str())],
                Some(&body),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{what}: {:?}", reply.body);
    }
    let (_, done) = get_page(&app, &session, &place).await;
    assert!(done.contains("Your copy is ready"), "{done}");
    assert!(
        done.contains("The customer asked while signed in."),
        "the reason is shown"
    );
    let (status, links) = get_page(&app, &session, &format!("{place}/export")).await;
    assert_eq!(status, StatusCode::OK);
    let at = links
        .find("id=\"export-document\"")
        .map(|_| links.find("<a href=\"http"));
    let start = at.flatten().expect("a link to the export") + 9;
    let url = links[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&");
    let export = reqwest::get(&url).await.unwrap();
    assert_eq!(export.status(), StatusCode::OK, "{url}");
    let document: serde_json::Value = export.json().await.unwrap();
    assert_eq!(document["order"]["reference"], reference, "{document}");

    // Someone else cannot open it.
    app.customer("other@example.com").await;
    let other = page_session(&app, "other@example.com").await;
    let (status, _) = get_page(&app, &other, &place).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get_page(&app, &other, &format!("{place}/export")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_relative_learns_nothing_about_the_order_before_the_check() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await;
    let reference = order["reference"].as_str().unwrap();
    let subject = order["subject"]["name"].as_str().unwrap();
    app.customer("sister@example.com").await;
    let sister = page_session(&app, "sister@example.com").await;

    let mut pages = Vec::new();
    for asked in [reference, "KS-2026-999999"] {
        let (status, place) = ask(
            &app,
            &sister,
            &[
                ("kind", "access"),
                ("reference", asked),
                ("relationship", "sibling"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{asked}: {place}");
        let (_, shown) = get_page(&app, &sister, &place).await;
        assert!(shown.contains("will first confirm who you are"), "{shown}");
        assert!(!shown.contains(subject), "the subject's name is not shown");
        assert!(!shown.contains("/orders/"), "no way to the order");
        pages.push(shown.replace(asked, "REF").replace(&place, "PLACE"));
    }
    // Only the reference differs: a guess is not confirmed by a different page.
    let strip = |p: &str| {
        p.lines()
            .filter(|l| !l.contains("<dd>") && !l.contains("csrf") && !l.contains("/requests/"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&pages[0]), strip(&pages[1]));
}
