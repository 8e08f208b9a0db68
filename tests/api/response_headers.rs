//! Headers every answer carries (a 200, a problem, the 404 fallback), and downloads that a
//! browser saves instead of showing: the presigned GET makes the real embedded store answer
//! `Content-Disposition: attachment` with a name the server made up.

use keepsake::media::samples;
use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, order_body};

const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
];

fn assert_secured(reply: &crate::helpers::Reply, what: &str) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(
            reply.headers.get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{what}: {name}"
        );
    }
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let ok = app.get("/api/v1/me").await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_secured(&ok, "a 200");

    let fallback = app.get("/api/v1/no-such-thing").await;
    assert_eq!(fallback.status, StatusCode::NOT_FOUND);
    assert_eq!(fallback.code(), "route_not_found");
    assert_secured(&fallback, "the 404 fallback");

    let problem = app
        .send_anonymous(Method::GET, "/api/v1/me", &[], None)
        .await;
    assert_eq!(problem.status, StatusCode::UNAUTHORIZED);
    assert_secured(&problem, "a problem");

    let wrong_method = app.send(Method::DELETE, "/api/v1/me", &[], None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_secured(&wrong_method, "a 405");

    let health = app.get("/healthz").await;
    assert_secured(&health, "health");
}

#[tokio::test]
async fn downloads_are_attachments_with_a_made_up_name() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The declared file name is hostile; it must never reach the header.
    let photo = samples::jpeg(300, 300);
    let started = app
        .post(
            &format!("/api/v1/orders/{order}/samples"),
            &serde_json::json!({
                "kind": "photo", "file_name": "x\"; filename=evil.html.jpg",
                "size": photo.len(), "sha256": crate::helpers::sha256_hex(&photo),
                "content_type": "image/jpeg",
            }),
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    app.put_all(&started.body["upload"], &photo).await;
    let sample = started.body["sample"]["id"].as_str().unwrap().to_owned();
    let done = app.complete(&order, &sample).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);

    let link = app
        .get(&format!("/api/v1/orders/{order}/samples/{sample}/download"))
        .await;
    assert_eq!(link.status, StatusCode::OK, "{:?}", link.body);
    let url = link.body["request"]["url"].as_str().unwrap();
    let fetched = app.client.get(url).send().await.unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(
        fetched
            .headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok()),
        Some(format!("attachment; filename=\"sample-{sample}.jpg\"").as_str())
    );
    assert_eq!(&fetched.bytes().await.unwrap()[..], &photo[..]);

    // The disposition is signed: a link edited to show the file inline is refused.
    let inline = url.replace("attachment", "inline");
    assert_ne!(inline, url);
    let tampered = app.client.get(&inline).send().await.unwrap();
    assert_eq!(tampered.status(), StatusCode::FORBIDDEN);
}
