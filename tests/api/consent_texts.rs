//! Consent texts: admins publish immutable versions; anyone reads the current ones.

use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, sha256_hex};

const V1: &str = "我同意工作室使用我母亲的照片与声音制作数字形象，仅供家人私下观看。";
const V2: &str = "我同意工作室使用我母亲的照片与声音制作数字形象，仅供家人私下观看，并可随时撤回。";

#[tokio::test]
async fn admins_publish_versions_and_anyone_reads_the_current_ones() {
    let app = TestApp::spawn().await;
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let publish = |body: &str, language: &str| {
        let (app, admin) = (&app, admin.clone());
        let payload = json!({ "jurisdiction": "CN", "party": "requester", "language": language, "body": body });
        async move {
            app.send(
                Method::POST,
                "/api/v1/consent-texts",
                &[("authorization", &admin)],
                Some(&payload),
            )
            .await
        }
    };
    let first = publish(V1, "zh-CN").await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(first.body["version"], 1);
    assert_eq!(first.body["sha256"], sha256_hex(V1.as_bytes()));
    let second = publish(V2, "zh-CN").await;
    assert_eq!(second.body["version"], 2);
    let english = publish(
        "I agree to the studio building a likeness of my mother for private family viewing.",
        "en",
    )
    .await;
    assert_eq!(english.body["version"], 1);

    let current = app
        .send_anonymous(
            Method::GET,
            "/api/v1/consent-texts?jurisdiction=CN",
            &[],
            None,
        )
        .await;
    assert_eq!(current.status, StatusCode::OK);
    let items = current.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "one current text per language");
    let zh = items.iter().find(|t| t["language"] == "zh-CN").unwrap();
    assert_eq!(
        (zh["version"].as_i64(), zh["body"].as_str()),
        (Some(2), Some(V2))
    );

    let old = app
        .send_anonymous(
            Method::GET,
            &format!(
                "/api/v1/consent-texts/{}",
                first.body["id"].as_str().unwrap()
            ),
            &[],
            None,
        )
        .await;
    assert_eq!(
        old.body["body"], V1,
        "earlier versions stay readable and unchanged"
    );
    let none = app
        .send_anonymous(
            Method::GET,
            "/api/v1/consent-texts?jurisdiction=HK",
            &[],
            None,
        )
        .await;
    assert!(none.body["items"].as_array().unwrap().is_empty());

    let events = keepsake::audit::events_for(
        &app.state.db,
        second.body["id"].as_str().unwrap().parse().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(events[0].action, "consent_text.published");
}

#[tokio::test]
async fn only_admins_publish_and_bad_texts_are_refused() {
    let app = TestApp::spawn().await;
    let body =
        json!({ "jurisdiction": "CN", "party": "requester", "language": "zh-CN", "body": V1 });
    assert_eq!(
        app.post("/api/v1/consent-texts", &body).await.code(),
        "admins_only"
    );
    assert_eq!(
        app.send_anonymous(Method::POST, "/api/v1/consent-texts", &[], Some(&body))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    for bad in [
        json!({ "jurisdiction": "china", "party": "requester", "language": "zh-CN", "body": V1 }),
        json!({ "jurisdiction": "CN", "party": "requester", "language": "zh CN", "body": V1 }),
        json!({ "jurisdiction": "CN", "party": "requester", "language": "zh-CN", "body": "   " }),
    ] {
        let reply = app
            .send(
                Method::POST,
                "/api/v1/consent-texts",
                &[("authorization", &admin)],
                Some(&bad),
            )
            .await;
        assert_eq!(reply.code(), "invalid_consent_text", "{bad}");
    }
    let unknown_party =
        json!({ "jurisdiction": "CN", "party": "neighbour", "language": "zh-CN", "body": V1 });
    let reply = app
        .send(
            Method::POST,
            "/api/v1/consent-texts",
            &[("authorization", &admin)],
            Some(&unknown_party),
        )
        .await;
    assert_eq!(reply.code(), "invalid_body");
    assert!(
        app.get("/api/v1/consent-texts").await.body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
