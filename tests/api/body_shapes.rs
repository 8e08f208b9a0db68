//! Every body is a JSON object (an array, a scalar or `null` changes nothing and is refused with
//! one code on every route), and a refused body or query string names the field at fault in
//! plain words — in `detail` and apart, as the problem's `field` member.

use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, order_body};

fn not_objects() -> Vec<Value> {
    vec![
        json!([null, true]),
        json!([]),
        json!("disabled"),
        json!(1),
        json!(true),
        Value::Null,
    ]
}

fn assert_refused(reply: &crate::helpers::Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {:?}",
        reply.body
    );
    assert_eq!(reply.code(), "body_not_object", "{what}");
    assert_eq!(
        reply.headers["content-type"], "application/problem+json",
        "{what}"
    );
}

#[tokio::test]
async fn an_array_cannot_disable_a_user_nor_any_scalar_change_anything() {
    let app = TestApp::spawn().await;
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    app.studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let staff = keepsake::db::users::find_by_email(
        &app.state.db,
        &keepsake::domain::account::Email::parse("staff@studio.example").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let path = format!("/api/v1/users/{}", staff.id);
    for body in not_objects() {
        let reply = app
            .send(
                Method::PATCH,
                &path,
                &[("authorization", &admin)],
                Some(&body),
            )
            .await;
        assert_refused(&reply, &body.to_string());
    }
    let after = keepsake::db::users::find(&app.state.db, staff.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!after.disabled, "the array did not disable the account");
    assert_eq!(after.roles, vec![Role::Staff]);
    // The staff member still logs in: nothing changed.
    app.login("staff@studio.example").await;
    // And a real object still works.
    let disabled = app
        .send(
            Method::PATCH,
            &path,
            &[("authorization", &admin)],
            Some(&json!({ "disabled": true })),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{:?}", disabled.body);
}

#[tokio::test]
async fn registration_orders_and_actions_take_objects_only() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await;
    let id = order["id"].as_str().unwrap();
    for body in not_objects() {
        let what = body.to_string();
        let register = app
            .send_anonymous(Method::POST, "/api/v1/auth/register", &[], Some(&body))
            .await;
        assert_refused(&register, &format!("register {what}"));
        let create = app
            .send(
                Method::POST,
                "/api/v1/orders",
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
                Some(&body),
            )
            .await;
        assert_refused(&create, &format!("create {what}"));
        let patch = app
            .send(
                Method::PATCH,
                &format!("/api/v1/orders/{id}"),
                &[("if-match", "\"v1\"")],
                Some(&body),
            )
            .await;
        assert_refused(&patch, &format!("patch {what}"));
        // An optional body (`OptionalJson`) is held to the same rule.
        let action = app
            .send(
                Method::POST,
                &format!("/api/v1/orders/{id}/actions/cancel"),
                &[("if-match", "\"v1\"")],
                Some(&body),
            )
            .await;
        assert_refused(&action, &format!("action {what}"));
    }
    let listed = app.get("/api/v1/orders").await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    let unchanged = app.get(&format!("/api/v1/orders/{id}")).await;
    assert_eq!(unchanged.body["status"], "draft");
    assert_eq!(unchanged.etag(), "\"v1\"");
    assert_eq!(
        app.send_anonymous(
            Method::POST,
            "/api/v1/auth/login",
            &[],
            Some(&json!({ "email": "1", "password": "x" }))
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED,
        "no account was registered from a scalar"
    );
}

#[tokio::test]
async fn refusals_name_the_field_and_say_what_is_wrong() {
    let app = TestApp::spawn().await;
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let new_user = |body: Value| {
        let (app, admin) = (&app, &admin);
        async move {
            app.send(
                Method::POST,
                "/api/v1/users",
                &[("authorization", admin)],
                Some(&body),
            )
            .await
        }
    };
    let password = crate::helpers::TEST_PASSWORD;
    let cases = [
        (
            json!({ "email": "a@studio.example", "password": password, "roles": ["staff", "boss"] }),
            "roles[1]",
            "`roles[1]`: unknown value `boss`; expected one of customer, staff, reviewer, admin",
        ),
        (
            json!({ "password": password, "roles": ["staff"] }),
            "email",
            "`email`: this field is required",
        ),
        (
            json!({ "email": "a@studio.example", "password": password, "roles": ["staff"], "colour": "red" }),
            "colour",
            "",
        ),
        (
            json!({ "email": 7, "password": password, "roles": ["staff"] }),
            "email",
            "`email`: got integer `7`; expected a string",
        ),
    ];
    for (body, field, detail) in cases {
        let reply = new_user(body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.code(), "invalid_body", "{body}");
        assert_eq!(reply.body["field"], field, "{body}: {:?}", reply.body);
        let said = reply.body["detail"].as_str().unwrap();
        if detail.is_empty() {
            assert!(
                said.starts_with("`colour`: this request has no such field; its fields are "),
                "{said}"
            );
        } else {
            assert_eq!(said, detail);
        }
        assert!(!said.contains("line 1"), "no parser positions: {said}");
        assert!(!said.contains("Failed to deserialize"), "{said}");
        for serde_words in [
            "missing field",
            "unknown field",
            "invalid type",
            "unknown variant",
        ] {
            assert!(!said.contains(serde_words), "no parser wording: {said}");
        }
    }

    // JSON that does not parse still says where.
    let broken = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body(r#"{"email": "a@b.example",, }"#)
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    let problem: Value = broken.json().await.unwrap();
    assert_eq!(problem["code"], "malformed_json");

    // Query strings too.
    let bad_limit = app
        .send(
            Method::GET,
            "/api/v1/audit?limit=lots",
            &[("authorization", &admin)],
            None,
        )
        .await;
    assert_eq!(bad_limit.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_limit.code(), "invalid_query");
    assert_eq!(bad_limit.body["field"], "limit", "{:?}", bad_limit.body);
    assert_eq!(
        bad_limit.body["detail"], "`limit`: expected a whole number",
        "{:?}",
        bad_limit.body
    );
    let users = app
        .send(
            Method::GET,
            "/api/v1/users",
            &[("authorization", &admin)],
            None,
        )
        .await;
    assert_eq!(
        users.body["items"].as_array().unwrap().len(),
        2,
        "none of the refused bodies created an account: {:?}",
        users.body
    );
}
