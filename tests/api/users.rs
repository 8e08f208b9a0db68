//! Account administration: admins create studio accounts, change roles, disable accounts
//! (their sessions end at once) — all audited; nobody else may; nobody locks themself out.

use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TEST_PASSWORD, TestApp};

#[tokio::test]
async fn an_admin_manages_a_staff_account_from_creation_to_disabling() {
    let app = TestApp::spawn().await;
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let as_admin = |extra: &[(&'static str, &'static str)]| -> Vec<(&'static str, String)> {
        let mut h: Vec<(&'static str, String)> =
            extra.iter().map(|(k, v)| (*k, v.to_string())).collect();
        h.push(("authorization", admin.clone()));
        h
    };
    let send = |method: Method, path: String, body: Option<serde_json::Value>| {
        let app = &app;
        let headers = as_admin(&[]);
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.send(method, &path, &headers, body.as_ref()).await
        }
    };

    let created = send(Method::POST, "/api/v1/users".into(), Some(json!({ "email": "Zhao@Studio.example", "password": TEST_PASSWORD, "roles": ["staff", "staff"] }))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["roles"], json!(["staff"]));
    let id = created.body["id"].as_str().unwrap().to_owned();
    let staff = app.login("zhao@studio.example").await;

    let promoted = send(
        Method::PATCH,
        format!("/api/v1/users/{id}"),
        Some(json!({ "roles": ["staff", "reviewer"] })),
    )
    .await;
    assert_eq!(promoted.status, StatusCode::OK, "{:?}", promoted.body);
    let me = app
        .send(
            Method::GET,
            "/api/v1/me",
            &[("authorization", &staff)],
            None,
        )
        .await;
    assert_eq!(me.body["roles"], json!(["staff", "reviewer"]));

    let disabled = send(
        Method::PATCH,
        format!("/api/v1/users/{id}"),
        Some(json!({ "disabled": true })),
    )
    .await;
    assert_eq!(disabled.body["disabled"], true);
    assert_eq!(
        app.send(
            Method::GET,
            "/api/v1/me",
            &[("authorization", &staff)],
            None
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED,
        "the session ended"
    );
    let refused = app
        .send_anonymous(
            Method::POST,
            "/api/v1/auth/login",
            &[],
            Some(&json!({ "email": "zhao@studio.example", "password": TEST_PASSWORD })),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    send(
        Method::PATCH,
        format!("/api/v1/users/{id}"),
        Some(json!({ "disabled": false })),
    )
    .await;
    app.login("zhao@studio.example").await;

    let events = keepsake::audit::events_for(&app.state.db, id.parse().unwrap())
        .await
        .unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e.action.as_str())
        .filter(|a| a.starts_with("user."))
        .collect();
    assert_eq!(
        actions,
        vec![
            "user.created",
            "user.roles_changed",
            "user.disabled",
            "user.enabled"
        ]
    );

    let page = send(Method::GET, "/api/v1/users?limit=2".into(), None).await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 2);
    let rest = send(
        Method::GET,
        format!(
            "/api/v1/users?limit=2&after={}",
            page.body["next"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(
        rest.body["items"].as_array().unwrap().len(),
        1,
        "customer, admin, staff"
    );
}

#[tokio::test]
async fn only_admins_manage_accounts_and_none_locks_themself_out() {
    let app = TestApp::spawn().await;
    let body =
        json!({ "email": "x@studio.example", "password": TEST_PASSWORD, "roles": ["admin"] });
    let by_customer = app.post("/api/v1/users", &body).await;
    assert_eq!(by_customer.status, StatusCode::FORBIDDEN);
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let by_staff = app
        .send(
            Method::POST,
            "/api/v1/users",
            &[("authorization", &staff)],
            Some(&body),
        )
        .await;
    assert_eq!(by_staff.code(), "admins_only");

    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let me = app
        .send(
            Method::GET,
            "/api/v1/me",
            &[("authorization", &admin)],
            None,
        )
        .await;
    let path = format!("/api/v1/users/{}", me.body["id"].as_str().unwrap());
    for change in [json!({ "disabled": true }), json!({ "roles": ["staff"] })] {
        let reply = app
            .send(
                Method::PATCH,
                &path,
                &[("authorization", &admin)],
                Some(&change),
            )
            .await;
        assert_eq!(reply.code(), "cannot_lock_out_yourself", "{change}");
    }
    let empty = app
        .send(
            Method::PATCH,
            &path,
            &[("authorization", &admin)],
            Some(&json!({ "roles": [] })),
        )
        .await;
    assert_eq!(empty.code(), "no_roles");
    let missing = app
        .send(
            Method::PATCH,
            "/api/v1/users/01a2225f-0000-7000-8000-000000000000",
            &[("authorization", &admin)],
            Some(&json!({ "disabled": true })),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}
