//! The audit trail through the API: admins only, filters, keyset pages, no secrets.

use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, order_body};

#[tokio::test]
async fn admins_read_the_trail_of_an_order_flow_with_filters() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.send(
        Method::PATCH,
        &format!("/api/v1/orders/{order}"),
        &[("if-match", "\"v1\"")],
        Some(&serde_json::json!({ "jurisdiction": "HK" })),
    )
    .await;
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let as_admin = [("authorization", admin.as_str())];

    let trail = app
        .send(
            Method::GET,
            &format!("/api/v1/audit?target_id={order}"),
            &as_admin,
            None,
        )
        .await;
    assert_eq!(trail.status, StatusCode::OK, "{:?}", trail.body);
    let actions: Vec<&str> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["order.updated", "order.created"],
        "newest first"
    );
    assert!(
        trail.body["items"][0]["occurred_at"]
            .as_str()
            .unwrap()
            .ends_with('Z'),
        "UTC"
    );

    let logins = app
        .send(
            Method::GET,
            "/api/v1/audit?action=auth.login&limit=1",
            &as_admin,
            None,
        )
        .await;
    assert_eq!(logins.body["items"].as_array().unwrap().len(), 1);
    let next = logins.body["next"].as_str().unwrap();
    let more = app
        .send(
            Method::GET,
            &format!("/api/v1/audit?action=auth.login&limit=1&after={next}"),
            &as_admin,
            None,
        )
        .await;
    assert_eq!(more.body["items"].as_array().unwrap().len(), 1);
    assert_ne!(more.body["items"][0]["id"], logins.body["items"][0]["id"]);

    let everything = app
        .send(Method::GET, "/api/v1/audit?limit=200", &as_admin, None)
        .await
        .body
        .to_string();
    assert!(
        !everything.contains("a quiet garden"),
        "no password ever reaches the trail"
    );
    assert!(!everything.contains("Bearer"), "no token either");

    let customer = app.get("/api/v1/audit").await;
    assert_eq!(customer.status, StatusCode::FORBIDDEN);
    assert_eq!(customer.code(), "admins_only");
}

#[tokio::test]
async fn events_record_the_actors_roles_and_the_outcome() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff, Role::Reviewer])
        .await;
    app.send(
        Method::PATCH,
        &format!("/api/v1/orders/{order}"),
        &[("authorization", &staff), ("if-match", "\"v1\"")],
        Some(&serde_json::json!({ "jurisdiction": "HK" })),
    )
    .await;
    app.send_anonymous(Method::POST, "/api/v1/auth/login", &[], Some(&serde_json::json!({ "email": "customer@example.com", "password": "wrong wrong wrong" })))
        .await;
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let events = app
        .send(
            Method::GET,
            "/api/v1/audit?limit=200",
            &[("authorization", &admin)],
            None,
        )
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .clone();
    let find = |action: &str| {
        events
            .iter()
            .find(|e| e["action"] == action)
            .cloned()
            .unwrap_or_else(|| panic!("no {action}"))
    };

    let created = find("order.created");
    assert_eq!(
        (created["actor_roles"].as_str(), created["outcome"].as_str()),
        (Some("customer"), Some("success"))
    );
    let denied = find("access.denied");
    assert_eq!(
        (denied["actor_roles"].as_str(), denied["outcome"].as_str()),
        (Some("staff,reviewer"), Some("refused"))
    );
    let failed = find("auth.login_failed");
    assert_eq!(
        (failed["actor"].as_str(), failed["outcome"].as_str()),
        (Some("anonymous"), Some("failure"))
    );
    assert!(failed["actor_roles"].is_null());
}

#[tokio::test]
async fn a_full_order_flow_leaves_a_complete_trail() {
    use keepsake::media::samples;
    let app = TestApp::spawn().await;
    let me = app.get("/api/v1/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let photo = app
        .upload_sample(&order, "photo", "image/jpeg", &samples::jpeg(640, 640))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.send(
        Method::PATCH,
        &format!("/api/v1/orders/{order}"),
        &[("if-match", "\"v1\"")],
        Some(&serde_json::json!({ "jurisdiction": "HK" })),
    )
    .await;
    app.send(
        Method::POST,
        &format!("/api/v1/orders/{order}/actions/submit"),
        &[("if-match", "\"v2\"")],
        None,
    )
    .await;
    app.get(&format!("/api/v1/orders/{order}/samples/{photo}/download"))
        .await;
    app.send(Method::POST, "/api/v1/auth/logout", &[], None)
        .await;

    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let trail = app
        .send(
            Method::GET,
            &format!("/api/v1/audit?actor=user:{me}&limit=200"),
            &[("authorization", &admin)],
            None,
        )
        .await;
    let mut actions: Vec<String> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    actions.reverse();
    assert_eq!(
        actions,
        vec![
            "auth.login",
            "order.created",
            "sample.upload_started",
            "sample.verification_started",
            "sample.verified",
            "order.updated",
            "order.submitted",
            "sample.download_url_issued",
            "auth.logout",
        ]
    );
    let items = trail.body["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|e| e["request_id"].is_string() && e["outcome"] == "success")
    );
}
