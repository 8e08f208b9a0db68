//! Login throttling that a known email cannot turn against its owner: failures are counted per
//! account *and* address (tight), per address, and per account over all addresses (looser, and
//! not applied to an address the account logged in from). The owner is told once per trip.
//! Tests reach the server from several loopback addresses (127.0.0.x), so the TCP peer — the
//! only address trusted by default — really differs.

use std::net::{IpAddr, Ipv4Addr};

use keepsake::config::{SmtpSettings, SmtpTls};
use keepsake::db::entities::{audit_event, outbox_message};
use keepsake::domain::account::Role;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TEST_PASSWORD, TestApp};
use crate::smtp_listener::SmtpListener;

const ADMIN: &str = "admin@studio.example";

/// A client whose connections come from `127.0.0.{last}`.
fn from(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .build()
        .unwrap()
}

async fn login(
    app: &TestApp,
    client: &reqwest::Client,
    password: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": ADMIN, "password": password }));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn audit(app: &TestApp, action: &str) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn alerts(app: &TestApp) -> Vec<outbox_message::Model> {
    outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq("account.login_throttled"))
        .all(&app.state.db)
        .await
        .unwrap()
}

/// An app whose outbox is relayed by hand (mail settings, no SMTP host), with the admin
/// created and logged in once from 127.0.0.1 — their known address.
async fn app_with(adjust: impl FnOnce(&mut keepsake::config::Settings)) -> (TestApp, uuid::Uuid) {
    let app = TestApp::spawn_with(|s| {
        s.smtp.from = Some("Keepsake Studio <noreply@studio.example>".into());
        s.notifications.staff_email = Some("studio@studio.example".into());
        adjust(s);
    })
    .await;
    app.studio_member(ADMIN, &[Role::Admin]).await;
    let admin = keepsake::db::users::find_by_email(
        &app.state.db,
        &keepsake::domain::account::Email::parse(ADMIN).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    (app, admin.id)
}

#[tokio::test]
async fn an_attacker_on_one_address_is_held_back_while_the_owner_gets_in() {
    let (app, admin) = app_with(|_| {}).await;
    let attacker = from(2);
    for n in 1..=5 {
        let reply = login(&app, &attacker, "wrong guess number one", &[]).await;
        assert_eq!(reply.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let held = login(&app, &attacker, TEST_PASSWORD, &[]).await;
    assert_eq!(held.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = held.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    let problem: Value = held.json().await.unwrap();
    assert_eq!(problem["code"], "too_many_attempts");

    // The owner, on their known address and on a new one, is not held back.
    let owner = login(&app, &from(1), TEST_PASSWORD, &[]).await;
    assert_eq!(owner.status(), StatusCode::OK);
    let elsewhere = login(&app, &from(3), TEST_PASSWORD, &[]).await;
    assert_eq!(elsewhere.status(), StatusCode::OK);
    // …and their success forgave nothing of the attacker's.
    assert_eq!(
        login(&app, &attacker, TEST_PASSWORD, &[]).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // Each failure is audited with the address it came from; so is the refusal.
    let failed = audit(&app, "auth.login_failed").await;
    assert_eq!(failed.len(), 5);
    assert!(failed.iter().all(|e| e.detail["client"] == "127.0.0.2"));
    assert!(failed.iter().all(|e| e.target_id == admin));
    let throttled = audit(&app, "auth.login_throttled").await;
    assert_eq!(throttled.len(), 2);
    assert!(throttled.iter().all(|e| e.detail["client"] == "127.0.0.2"));

    // The owner was told once, and the mail reaches them.
    let queued = alerts(&app).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].payload["user_id"], admin.to_string());
    assert_eq!(audit(&app, "auth.login_alerted").await.len(), 1);
    let listener = SmtpListener::start().await;
    let mailer = keepsake::notifications::mailer::Mailer::from_settings(&SmtpSettings {
        host: Some("127.0.0.1".into()),
        port: Some(listener.port),
        tls: SmtpTls::None,
        from: Some("Keepsake Studio <noreply@studio.example>".into()),
        timeout_secs: Some(20),
        ..SmtpSettings::default()
    })
    .unwrap()
    .unwrap();
    let relayed =
        keepsake::jobs::outbox_relay::relay_once(&app.state, &mailer, "test", chrono::Utc::now())
            .await
            .unwrap();
    assert_eq!(relayed.sent, 1, "{relayed:?}");
    let mails = listener.accepted();
    assert_eq!(mails[0].rcpt_to, vec![ADMIN.to_owned()]);
    assert_eq!(
        mails[0].subject(),
        "Failed sign-in attempts on your account"
    );
    assert!(
        !mails[0].text().contains("127.0.0.2"),
        "no address in the mail"
    );
}

#[tokio::test]
async fn many_addresses_together_slow_every_address_but_the_owners() {
    let (app, _) = app_with(|s| s.auth.max_failures_per_account = 6).await;
    // Three addresses, two guesses each: no address reaches its own limit of 5.
    for last in [2, 3, 4] {
        for _ in 0..2 {
            let reply = login(&app, &from(last), "wrong guess number two", &[]).await;
            assert_eq!(reply.status(), StatusCode::UNAUTHORIZED, "from .{last}");
        }
    }
    // Now any address the account never logged in from waits, even with the right password…
    let fresh = login(&app, &from(5), TEST_PASSWORD, &[]).await;
    assert_eq!(fresh.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(fresh.headers().contains_key("retry-after"));
    // …but the owner's known address gets in, typos and all.
    let typo = login(&app, &from(1), "wrong guess number three", &[]).await;
    assert_eq!(typo.status(), StatusCode::UNAUTHORIZED);
    let owner = login(&app, &from(1), TEST_PASSWORD, &[]).await;
    assert_eq!(owner.status(), StatusCode::OK);

    // One trip (the sixth failure), one mail: the owner's typo during it is not another.
    assert_eq!(alerts(&app).await.len(), 1);
    assert_eq!(audit(&app, "auth.login_alerted").await.len(), 1);
}

#[tokio::test]
async fn a_forwarded_address_is_believed_only_behind_a_configured_proxy() {
    let spoofed = [("x-forwarded-for", "203.0.113.9, 10.0.0.1")];
    let (direct, _) = app_with(|_| {}).await;
    login(&direct, &from(2), "wrong guess number four", &spoofed).await;
    let failed = audit(&direct, "auth.login_failed").await;
    assert_eq!(
        failed[0].detail["client"], "127.0.0.2",
        "the header is ignored"
    );

    let (proxied, _) =
        app_with(|s| s.auth.client_address_header = Some("x-forwarded-for".into())).await;
    login(&proxied, &from(2), "wrong guess number four", &spoofed).await;
    let failed = audit(&proxied, "auth.login_failed").await;
    assert_eq!(failed[0].detail["client"], "203.0.113.9");
}

#[tokio::test]
async fn a_refused_access_is_audited_with_its_request_id() {
    let app = TestApp::spawn().await;
    let reply = app
        .send(
            reqwest::Method::GET,
            "/api/v1/audit",
            &[("x-request-id", "edges-denied-42")],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.headers["x-request-id"], "edges-denied-42");
    let denied = audit(&app, "access.denied").await;
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].request_id.as_deref(), Some("edges-denied-42"));
}
