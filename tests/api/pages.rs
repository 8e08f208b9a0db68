//! The pages over plain HTTP (the browser tests in tests/browser drive them in Chromium): the
//! headers every page carries, who gets which language, the form token every form must carry
//! back, and what an unknown path answers to a browser and to an API client.

use reqwest::header::{self, HeaderMap};
use reqwest::{StatusCode, redirect};

use crate::helpers::{TEST_PASSWORD, TestApp};

/// A client that shows redirects instead of following them, and keeps no cookies by itself.
pub(crate) fn browserish() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// `name=value` of each `Set-Cookie`.
pub(crate) fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect()
}

/// The value of the hidden `csrf` field in a page.
pub(crate) fn form_token(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

/// Sign `email` (registered with the test password) in through the page; returns the
/// session's cookies as a `Cookie` header value, in English.
pub(crate) async fn page_session(app: &TestApp, email: &str) -> String {
    let client = browserish();
    let page = client.get(app.url("/signin")).send().await.unwrap();
    let form_cookie = set_cookies(page.headers()).join("; ");
    let token = form_token(&page.text().await.unwrap());
    let signed_in = client
        .post(app.url("/signin"))
        .header("cookie", &form_cookie)
        .form(&[
            ("email", email),
            ("password", TEST_PASSWORD),
            ("csrf", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "signed in");
    let mut cookies = set_cookies(signed_in.headers());
    cookies.push("keepsake_lang=en".into());
    cookies.join("; ")
}

#[tokio::test]
async fn pages_carry_a_strict_policy_and_the_visitors_language() {
    let app = TestApp::spawn().await;
    let client = browserish();
    let reply = client
        .get(app.url("/"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let headers = reply.headers().clone();
    let csp = header(&headers, "content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert_eq!(header(&headers, "content-language"), "en");
    let html = reply.text().await.unwrap();
    assert!(
        html.starts_with("<!doctype html>\n<html lang=\"en\">"),
        "{}",
        &html[..60]
    );
    assert!(
        !html.contains("<script>") && !html.contains("style=\""),
        "no inline code"
    );

    // No preference: Chinese. A remembered choice beats the browser's.
    let zh = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(header(zh.headers(), "content-language"), "zh-CN");
    let chosen = client
        .get(app.url("/"))
        .header("accept-language", "zh-CN")
        .header("cookie", "keepsake_lang=en")
        .send()
        .await
        .unwrap();
    assert_eq!(header(chosen.headers(), "content-language"), "en");
}

#[tokio::test]
async fn the_language_switch_goes_back_only_to_this_site() {
    let app = TestApp::spawn().await;
    let client = browserish();
    let reply = client
        .get(app.url("/language/en?back=/signin"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(reply.headers(), "location"), "/signin");
    assert!(set_cookies(reply.headers()).contains(&"keepsake_lang=en".to_owned()));
    for away in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/ /evil.example",
    ] {
        let reply = client
            .get(app.url("/language/en"))
            .query(&[("back", away)])
            .send()
            .await
            .unwrap();
        assert_eq!(header(reply.headers(), "location"), "/", "{away}");
    }
}

#[tokio::test]
async fn a_form_without_its_token_changes_nothing() {
    let app = TestApp::spawn().await;
    let client = browserish();
    // No form cookie and no token: refused, no session handed out.
    let reply = client
        .post(app.url("/signin"))
        .form(&[
            ("email", "customer@example.com"),
            ("password", TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::FORBIDDEN);
    assert!(
        !set_cookies(reply.headers())
            .iter()
            .any(|c| c.starts_with("keepsake_session=")),
        "no session without the form token"
    );

    // The page's token with its cookie: signed in, sent to the orders.
    let page = client.get(app.url("/signin")).send().await.unwrap();
    let cookie = set_cookies(page.headers())
        .into_iter()
        .find(|c| c.starts_with("keepsake_form="))
        .expect("a form cookie");
    let token = form_token(&page.text().await.unwrap());
    // Another site's token (or a stale one) with the right cookie is refused too.
    let forged = client
        .post(app.url("/signin"))
        .header("cookie", &cookie)
        .form(&[
            ("email", "customer@example.com"),
            ("password", TEST_PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let reply = client
        .post(app.url("/signin"))
        .header("cookie", &cookie)
        .form(&[
            ("email", "customer@example.com"),
            ("password", TEST_PASSWORD),
            ("csrf", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(reply.headers(), "location"), "/orders");
    let session: Vec<String> = set_cookies(reply.headers());
    let cookie_header = session.join("; ");
    assert!(cookie_header.contains("keepsake_session="));

    // Signed in: the orders page is personal, never stored.
    let orders = client
        .get(app.url("/orders"))
        .header("cookie", &cookie_header)
        .send()
        .await
        .unwrap();
    assert_eq!(orders.status(), StatusCode::OK);
    assert_eq!(header(orders.headers(), "cache-control"), "no-store");

    // Signing out needs the session's token: without it the session stays.
    let refused = client
        .post(app.url("/signout"))
        .header("cookie", &cookie_header)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let still = client
        .get(app.url("/orders"))
        .header("cookie", &cookie_header)
        .send()
        .await
        .unwrap();
    assert_eq!(
        still.status(),
        StatusCode::OK,
        "the session survived a forged sign-out"
    );
    let token = form_token(&still.text().await.unwrap());
    let out = client
        .post(app.url("/signout"))
        .header("cookie", &cookie_header)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = client
        .get(app.url("/orders"))
        .header("cookie", &cookie_header)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "the old session no longer works"
    );
    assert_eq!(header(after.headers(), "location"), "/signin");
}

#[tokio::test]
async fn an_unknown_path_is_a_page_for_a_browser_and_a_problem_for_a_client() {
    let app = TestApp::spawn().await;
    let client = browserish();
    let page = client
        .get(app.url("/no-such-page"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(header(page.headers(), "content-type").starts_with("text/html"));
    let problem = client.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(problem.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        header(problem.headers(), "content-type"),
        "application/problem+json"
    );
    let api = client
        .get(app.url("/api/v1/nothing"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(api.headers(), "content-type"),
        "application/problem+json",
        "under /api/ it is always a problem document"
    );
}

#[tokio::test]
async fn assets_are_served_under_their_hash_for_a_year() {
    let app = TestApp::spawn().await;
    let client = browserish();
    let html = client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = html.find("/assets/site.").expect("the stylesheet link");
    let href = html[at..].split('"').next().unwrap();
    let css = client.get(app.url(href)).send().await.unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert_eq!(
        header(css.headers(), "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(css.headers(), "content-type").starts_with("text/css"));
    let old = client
        .get(app.url("/assets/site.000000000000.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_new_order_form_sent_twice_makes_one_order() {
    let app = TestApp::spawn().await;
    let client = browserish();
    let session = page_session(&app, "customer@example.com").await;
    let new = client
        .get(app.url("/orders/new"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(header(new.headers(), "cache-control"), "no-store");
    let html = new.text().await.unwrap();
    let csrf = form_token(&html);
    let at = html.find("name=\"once\" value=\"").unwrap() + 19;
    let once = html[at..].split('"').next().unwrap().to_owned();
    let fields = [
        ("csrf", csrf.as_str()),
        ("once", once.as_str()),
        ("name", "Li Hua"),
        ("relationship", "child"),
        ("death_year", "2026"),
        ("death_month", "9"),
        ("death_day", "1"),
        ("mode", "machine_driven"),
    ];
    let mut places = Vec::new();
    for _ in 0..2 {
        let sent = client
            .post(app.url("/orders/new"))
            .header("cookie", &session)
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), StatusCode::SEE_OTHER);
        places.push(header(sent.headers(), "location").to_owned());
    }
    assert_eq!(places[0], places[1], "the repeat leads to the same draft");
    assert!(places[0].ends_with("/questions"), "{}", places[0]);
    let listed = app.get("/api/v1/orders").await;
    let orders = listed.body["items"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["subject"]["name"], "Li Hua");
    assert_eq!(orders[0]["status"], "draft");
}
