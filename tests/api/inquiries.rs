//! Inquiries from the landing page: the form refuses what is wrong field by field and stores
//! nothing; a good one is stored, audited, queued for the studio's mailbox with nothing but
//! its id, listed for the studio (and no one else), counted in the funnel, mailed with its
//! words, throttled per client address, and blanked by retention while still counted.

use chrono::{Duration, Utc};
use keepsake::domain::account::Role;
use keepsake::jobs::outbox_relay::relay_once;
use keepsake::notifications::mailer::Mailer;
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::helpers::TestApp;
use crate::pages::{browserish, form_token, header, set_cookies};
use crate::reports::funnel_around_now;
use crate::smtp_listener::SmtpListener;

const STAFF_MAILBOX: &str = "studio@studio.example";

/// The landing page's form cookie and token, in English.
async fn landing_form(app: &TestApp) -> (String, String) {
    let page = browserish()
        .get(app.url("/"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let cookie = set_cookies(page.headers())
        .into_iter()
        .find(|c| c.starts_with("keepsake_form="))
        .expect("a form cookie");
    (cookie, form_token(&page.text().await.unwrap()))
}

async fn send_inquiry(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let (cookie, token) = landing_form(app).await;
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf", &token));
    browserish()
        .post(app.url("/inquiry"))
        .header("cookie", format!("{cookie}; keepsake_lang=en"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn list(app: &TestApp, token: &str) -> Value {
    let reply = app
        .send(
            Method::GET,
            "/api/v1/inquiries",
            &[("authorization", token)],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body
}

const WORDS: &str = "My father died in October. Could you make him speak to my daughter?";

#[tokio::test]
async fn an_inquiry_reaches_the_studio_and_counts_in_the_funnel() {
    let app = TestApp::spawn_with(|s| {
        s.notifications.staff_email = Some(STAFF_MAILBOX.into());
    })
    .await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;

    // Every wrong field is said next to it at once, what was typed stays, nothing is kept.
    let refused = send_inquiry(
        &app,
        &[("name", "  "), ("contact", "x"), ("message", WORDS)],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(header(refused.headers(), "cache-control"), "no-store");
    let html = refused.text().await.unwrap();
    assert!(html.contains("id=\"name-error\""), "{html}");
    assert!(html.contains("id=\"contact-error\""), "{html}");
    assert!(!html.contains("id=\"message-error\""));
    assert!(html.contains("Please tell us your name"));
    assert!(
        html.contains("My father died in October."),
        "the words stay in the form"
    );
    assert_eq!(list(&app, &staff).await["items"], serde_json::json!([]));

    // Without the form's token: refused, nothing kept.
    let forged = browserish()
        .post(app.url("/inquiry"))
        .form(&[
            ("name", "Ann"),
            ("contact", "ann@example.com"),
            ("message", WORDS),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(list(&app, &staff).await["items"], serde_json::json!([]));

    let sent = send_inquiry(
        &app,
        &[
            ("name", " Ann Lee "),
            ("contact", "wechat: annlee_1970"),
            ("message", WORDS),
        ],
    )
    .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(sent.headers(), "location"), "/inquiry/sent");
    let thanks = browserish()
        .get(app.url("/inquiry/sent"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(thanks.status(), StatusCode::OK);
    assert!(
        thanks
            .text()
            .await
            .unwrap()
            .contains("we have your message")
    );

    // The studio reads it; customers may not.
    let items = list(&app, &staff).await["items"].clone();
    assert_eq!(items.as_array().map(Vec::len), Some(1), "{items}");
    assert_eq!(items[0]["name"], "Ann Lee");
    assert_eq!(items[0]["contact"], "wechat: annlee_1970");
    assert_eq!(items[0]["message"], WORDS);
    assert_eq!(items[0]["language"], "en");
    let customer = app
        .send(
            Method::GET,
            "/api/v1/inquiries",
            &[("authorization", app.auth.as_str())],
            None,
        )
        .await;
    assert_eq!(customer.status, StatusCode::FORBIDDEN);

    // Audited without the words; queued for the studio with only its id.
    let id = uuid::Uuid::parse_str(items[0]["id"].as_str().unwrap()).unwrap();
    let events = keepsake::db::entities::audit_event::Entity::find()
        .filter(keepsake::db::entities::audit_event::Column::TargetId.eq(id))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "inquiry.received");
    assert!(
        !events[0].detail.to_string().contains("Ann"),
        "{:?}",
        events[0].detail
    );
    let queued = keepsake::db::entities::outbox_message::Entity::find()
        .filter(keepsake::db::entities::outbox_message::Column::Kind.eq("inquiry.received"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].audience, "staff");
    assert_eq!(queued[0].payload, serde_json::json!({ "inquiry_id": id }));

    // The funnel counts it at the top, next to the orders.
    let counted = funnel_around_now(&app, &staff).await;
    assert_eq!(counted["inquiries"], 1, "{counted}");
    assert_eq!(counted["inquiry_forms"], 1, "{counted}");
    assert_eq!(counted["submitted"], 0);

    // Mailed to the studio's address with the words, so someone can answer.
    let listener = SmtpListener::start().await;
    let smtp = keepsake::config::SmtpSettings {
        host: Some("127.0.0.1".into()),
        port: Some(listener.port),
        tls: keepsake::config::SmtpTls::None,
        from: Some("Keepsake <noreply@studio.example>".into()),
        timeout_secs: Some(20),
        ..keepsake::config::SmtpSettings::default()
    };
    let mailer = Mailer::from_settings(&smtp).unwrap().unwrap();
    let relayed = relay_once(&app.state, &mailer, "relay", Utc::now())
        .await
        .unwrap();
    assert_eq!(relayed.sent, 1, "{relayed:?}");
    let mails = listener.accepted();
    assert_eq!(mails[0].rcpt_to, [STAFF_MAILBOX]);
    let text = mails[0].text();
    assert!(
        text.contains("Ann Lee") && text.contains("wechat: annlee_1970"),
        "{text}"
    );
    assert!(text.contains("My father died in October."), "{text}");

    // Retention blanks the person's words after its time; the funnel still counts the inquiry.
    let later = Utc::now() + Duration::days(181);
    let swept = keepsake::privacy::retention::sweep_once(&app.state, later)
        .await
        .unwrap();
    assert_eq!(swept.inquiries_forgotten, 1);
    let items = list(&app, &staff).await["items"].clone();
    assert_eq!(items[0]["name"], "");
    assert_eq!(items[0]["message"], "");
    assert!(items[0]["forgotten_at"].is_string(), "{items}");
    assert_eq!(funnel_around_now(&app, &staff).await["inquiry_forms"], 1);
}

#[tokio::test]
async fn one_address_cannot_flood_the_studios_mailbox() {
    let app = TestApp::spawn().await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    for n in 0..5 {
        let name = format!("Sender {n}");
        let sent = send_inquiry(
            &app,
            &[
                ("name", &name),
                ("contact", "a@example.com"),
                ("message", "hello"),
            ],
        )
        .await;
        assert_eq!(sent.status(), StatusCode::SEE_OTHER, "inquiry {n}");
    }
    let throttled = send_inquiry(
        &app,
        &[
            ("name", "Sender 6"),
            ("contact", "a@example.com"),
            ("message", "hello"),
        ],
    )
    .await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = throttled.text().await.unwrap();
    assert!(
        html.contains("Please wait 60 minutes"),
        "the wait is said: {html}"
    );
    let items = list(&app, &staff).await["items"].clone();
    assert_eq!(
        items.as_array().map(Vec::len),
        Some(5),
        "the sixth was not kept"
    );
}
