//! Health, readiness, request ids, the problem format of unknown routes, and the OpenAPI
//! document (3.1, every route, every status documented).

use reqwest::{Method, StatusCode};

use crate::helpers::TestApp;

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{:?}", ready.body);
    assert_eq!(ready.body["status"], "ready");
    assert!(
        health
            .headers
            .get("x-request-id")
            .is_some_and(|v| !v.is_empty())
    );
}

#[tokio::test]
async fn startup_fails_clearly_without_a_reachable_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = crate::helpers::test_settings(dir.path());
    // An S3 endpoint nothing listens on (the discard port on loopback is closed here).
    settings.s3.endpoint = Some("http://127.0.0.1:9".into());
    settings.s3.access_key_id = Some("x".into());
    settings.s3.secret_access_key = Some(keepsake::config::Secret::new("y"));
    let err = keepsake::app::Application::build(settings)
        .await
        .err()
        .expect("startup must fail");
    assert!(err.to_string().starts_with("object store:"), "{err}");
}

#[tokio::test]
async fn a_client_request_id_is_kept() {
    let app = TestApp::spawn().await;
    let reply = app
        .send(
            Method::GET,
            "/healthz",
            &[("x-request-id", "trace-me-123")],
            None,
        )
        .await;
    assert_eq!(reply.headers["x-request-id"], "trace-me-123");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = TestApp::spawn().await;
    let missing = app.get("/api/v1/nothing-here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "route_not_found");
    assert_eq!(missing.headers["content-type"], "application/problem+json");
    let wrong = app.send(Method::DELETE, "/api/v1/orders", &[], None).await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.code(), "method_not_allowed");
}

#[tokio::test]
async fn openapi_documents_every_route_and_status() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/openapi.json").await.body;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/orders",
        "/api/v1/orders/{id}",
        "/api/v1/orders/{id}/actions/{action}",
        "/api/v1/orders/{id}/samples",
        "/api/v1/orders/{id}/samples/{sid}",
        "/api/v1/orders/{id}/samples/{sid}/upload",
        "/api/v1/orders/{id}/samples/{sid}/complete",
        "/api/v1/orders/{id}/sufficiency",
        "/healthz",
        "/readyz",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} documents no success"
            );
            if path.contains("{id}") {
                assert!(
                    responses.contains_key("404"),
                    "{method} {path} does not document 404"
                );
            }
        }
    }
    assert_eq!(
        doc["paths"]["/api/v1/orders"]["post"]["responses"]["422"]["content"]["application/problem+json"]
            ["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
}

#[tokio::test]
async fn an_unusable_client_request_id_is_replaced() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(500);
    let reply = app
        .send(Method::GET, "/healthz", &[("x-request-id", &long)], None)
        .await;
    let id = reply.headers["x-request-id"].to_str().unwrap();
    assert!(!id.is_empty() && id.len() <= 128 && id != long, "{id}");
}
