//! Accounts and sessions: registration, login (Bearer and cookie + CSRF), logout, timeouts,
//! disabled accounts, and `keepsake user create` bootstrapping an admin.

use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::TestApp;

const PASSWORD: &str = "a quiet garden in april";

async fn register(app: &TestApp, email: &str) -> crate::helpers::Reply {
    app.post(
        "/api/v1/auth/register",
        &json!({ "email": email, "password": PASSWORD }),
    )
    .await
}

async fn login(app: &TestApp, email: &str, password: &str) -> crate::helpers::Reply {
    app.post(
        "/api/v1/auth/login",
        &json!({ "email": email, "password": password }),
    )
    .await
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn a_customer_registers_logs_in_and_out() {
    let app = TestApp::spawn().await;
    let created = register(&app, "Li.Wei@Example.com").await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["email"], "li.wei@example.com");
    assert_eq!(created.body["roles"], json!(["customer"]));
    assert!(created.body.get("password_hash").is_none());

    let session = login(&app, "li.wei@example.com", PASSWORD).await;
    assert_eq!(session.status, StatusCode::OK, "{:?}", session.body);
    let token = session.body["token"].as_str().unwrap().to_owned();
    let auth = bearer(&token);
    let me = app
        .send(Method::GET, "/api/v1/me", &[("authorization", &auth)], None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["id"], created.body["id"]);

    let out = app
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            &[("authorization", &auth)],
            None,
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = app
        .send(Method::GET, "/api/v1/me", &[("authorization", &auth)], None)
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.code(), "unauthenticated");
    assert_eq!(after.headers["www-authenticate"], "Bearer");

    let id: uuid::Uuid = created.body["id"].as_str().unwrap().parse().unwrap();
    let actions: Vec<String> = keepsake::audit::events_for(&app.state.db, id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, vec!["user.created", "auth.login", "auth.logout"]);
}

#[tokio::test]
async fn registration_refuses_bad_input_and_taken_emails() {
    let app = TestApp::spawn().await;
    assert_eq!(
        register(&app, "mei@example.com").await.status,
        StatusCode::CREATED
    );
    let again = register(&app, " MEI@example.com ").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "email_taken");
    let weak = app
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "a@example.com", "password": "password123" }),
        )
        .await;
    assert_eq!(weak.code(), "weak_password");
    let short = app
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "a@example.com", "password": "short" }),
        )
        .await;
    assert_eq!(short.code(), "weak_password");
    let email = app
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "not-an-email", "password": PASSWORD }),
        )
        .await;
    assert_eq!(email.code(), "invalid_email");
    let extra = app
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "b@example.com", "password": PASSWORD, "roles": ["admin"] }),
        )
        .await;
    assert_eq!(
        extra.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nobody registers themself as admin"
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same_and_are_audited() {
    let app = TestApp::spawn().await;
    register(&app, "chen@example.com").await;
    let wrong = login(&app, "chen@example.com", "not the password at all").await;
    let unknown = login(&app, "nobody@example.com", PASSWORD).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    let failures = keepsake::db::entities::audit_event::Entity::find()
        .filter(keepsake::db::entities::audit_event::Column::Action.eq("auth.login_failed"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(failures.len(), 2);
    assert!(
        failures.iter().all(|e| !e.detail.to_string().contains('@')),
        "no email in the audit detail"
    );
}

#[tokio::test]
async fn a_cookie_session_needs_its_csrf_token_to_change_anything() {
    let app = TestApp::spawn().await;
    register(&app, "wang@example.com").await;
    let session = login(&app, "wang@example.com", PASSWORD).await;
    let cookies: Vec<&str> = session
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let session_cookie = cookies
        .iter()
        .find(|c| c.starts_with("keepsake_session="))
        .unwrap();
    assert!(
        session_cookie.contains("HttpOnly")
            && session_cookie.contains("SameSite=Strict")
            && session_cookie.contains("Secure")
    );
    let cookie = format!(
        "keepsake_session={}",
        session.body["token"].as_str().unwrap()
    );
    let csrf = session.body["csrf_token"].as_str().unwrap().to_owned();

    assert_eq!(
        app.send(Method::GET, "/api/v1/me", &[("cookie", &cookie)], None)
            .await
            .status,
        StatusCode::OK
    );
    let forged = app
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(forged.code(), "csrf_token_missing");
    let wrong = app
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            &[("cookie", &cookie), ("x-csrf-token", "guess")],
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let ok = app
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
}

async fn shift_session(app: &TestApp, token: &str, idle_minutes: i64, expires_in_minutes: i64) {
    use keepsake::db::entities::session;
    let now = keepsake::db::now();
    session::Entity::update_many()
        .col_expr(
            session::Column::LastSeenAt,
            sea_orm::sea_query::Expr::value(now - chrono::Duration::minutes(idle_minutes)),
        )
        .col_expr(
            session::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(now + chrono::Duration::minutes(expires_in_minutes)),
        )
        .filter(session::Column::TokenHash.eq(keepsake::auth::token::digest(token)))
        .exec(&app.state.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn sessions_end_when_idle_or_old_and_when_the_account_is_disabled() {
    let app = TestApp::spawn().await;
    register(&app, "zhou@example.com").await;
    let me = |token: String| {
        let app = &app;
        async move {
            app.send(
                Method::GET,
                "/api/v1/me",
                &[("authorization", &bearer(&token))],
                None,
            )
            .await
            .status
        }
    };
    let idle = login(&app, "zhou@example.com", PASSWORD).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    shift_session(&app, &idle, 29, 600).await;
    assert_eq!(
        me(idle.clone()).await,
        StatusCode::OK,
        "29 idle minutes are fine"
    );
    shift_session(&app, &idle, 31, 600).await;
    assert_eq!(me(idle).await, StatusCode::UNAUTHORIZED, "31 are not");

    let old = login(&app, "zhou@example.com", PASSWORD).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    shift_session(&app, &old, 0, -1).await;
    assert_eq!(
        me(old).await,
        StatusCode::UNAUTHORIZED,
        "past the absolute lifetime"
    );

    let live = login(&app, "zhou@example.com", PASSWORD).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    use keepsake::db::entities::user;
    user::Entity::update_many()
        .col_expr(
            user::Column::DisabledAt,
            sea_orm::sea_query::Expr::value(keepsake::db::now()),
        )
        .filter(user::Column::Email.eq("zhou@example.com"))
        .exec(&app.state.db)
        .await
        .unwrap();
    assert_eq!(me(live).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login(&app, "zhou@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_cli_bootstraps_an_admin_who_can_log_in() {
    use std::io::Write;
    let app = TestApp::spawn().await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keepsake"))
        .args([
            "user",
            "create",
            "--email",
            "Admin@Studio.example",
            "--role",
            "admin",
            "--role",
            "reviewer",
        ])
        .env("KEEPSAKE_DATA_DIR", app.data_dir())
        .env("DATABASE_URL", app.state.settings.effective_database_url())
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let session = login(&app, "admin@studio.example", PASSWORD).await;
    assert_eq!(session.status, StatusCode::OK, "{:?}", session.body);
    let mut roles: Vec<String> =
        serde_json::from_value(session.body["user"]["roles"].clone()).unwrap();
    roles.sort();
    assert_eq!(roles, vec!["admin", "reviewer"]);

    let weak = std::process::Command::new(env!("CARGO_BIN_EXE_keepsake"))
        .args([
            "user",
            "create",
            "--email",
            "x@studio.example",
            "--role",
            "staff",
        ])
        .env("KEEPSAKE_DATA_DIR", app.data_dir())
        .env("DATABASE_URL", app.state.settings.effective_database_url())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!weak.status.success(), "an empty password is refused");
}

#[tokio::test]
async fn the_audit_trail_refuses_updates_and_deletes_in_the_database() {
    use keepsake::db::entities::audit_event;
    let app = TestApp::spawn().await;
    let before = audit_event::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(!before.is_empty());
    let update = audit_event::Entity::update_many()
        .col_expr(
            audit_event::Column::Action,
            sea_orm::sea_query::Expr::value("tampered"),
        )
        .exec(&app.state.db)
        .await;
    assert!(update.is_err(), "UPDATE must be refused");
    let delete = audit_event::Entity::delete_many().exec(&app.state.db).await;
    assert!(delete.is_err(), "DELETE must be refused");
    let after = audit_event::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(before, after);
}

async fn backdate_failures(app: &TestApp, minutes: i64) {
    use keepsake::db::entities::login_failure;
    login_failure::Entity::update_many()
        .col_expr(
            login_failure::Column::FailedAt,
            sea_orm::sea_query::Expr::value(
                keepsake::db::now() - chrono::Duration::minutes(minutes),
            ),
        )
        .exec(&app.state.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn guessing_one_accounts_password_is_throttled_but_never_locked_out() {
    let app = TestApp::spawn().await;
    register(&app, "guo@example.com").await;
    for _ in 0..5 {
        assert_eq!(
            login(&app, "guo@example.com", "wrong guess number")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let throttled = login(&app, "GUO@example.com", PASSWORD).await;
    assert_eq!(
        throttled.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert_eq!(throttled.code(), "too_many_attempts");
    let retry: u64 = throttled.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert_eq!(
        login(&app, "customer@example.com", PASSWORD).await.status,
        StatusCode::OK,
        "other accounts are unaffected"
    );

    backdate_failures(&app, 16).await;
    assert_eq!(
        login(&app, "guo@example.com", PASSWORD).await.status,
        StatusCode::OK,
        "waiting always works"
    );
}

#[tokio::test]
async fn guessing_many_accounts_from_one_address_is_throttled() {
    let app = TestApp::spawn_with(|s| s.auth.max_failures_per_client = 3).await;
    for n in 0..3 {
        assert_eq!(
            login(&app, &format!("nobody{n}@example.com"), PASSWORD)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let blocked = login(&app, "customer@example.com", PASSWORD).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    backdate_failures(&app, 16).await;
    assert_eq!(
        login(&app, "customer@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}
