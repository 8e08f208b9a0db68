//! Notifications: the outbox relayed to a real SMTP listener started by each test
//! (`smtp_listener`). The relay is driven by hand with chosen times (`relay_once(…, now)`), so
//! retries and backoff run without waiting; one test lets `serve` run the relay by itself.

use chrono::{DateTime, Duration, Utc};
use keepsake::config::{SmtpSettings, SmtpTls};
use keepsake::domain::account::Role;
use keepsake::domain::order::OrderStatus;
use keepsake::jobs::outbox_relay::{Relayed, relay_once};
use keepsake::notifications::mailer::Mailer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::smtp_listener::{Received, SmtpListener};

const FROM: &str = "Keepsake Studio <noreply@studio.example>";
const STAFF: &str = "studio@studio.example";
const CUSTOMER: &str = "customer@example.com";

/// An app whose background relay does not run (SMTP host unset): the tests relay by hand.
async fn app() -> TestApp {
    TestApp::spawn_with(|s| {
        s.smtp.from = Some(FROM.into());
        s.notifications.staff_email = Some(STAFF.into());
        s.notifications.public_base_url = "https://desk.studio.example".into();
        s.notifications.backoff_base_secs = 60;
        s.notifications.backoff_cap_secs = 3600;
        s.notifications.max_attempts = 4;
        s.notifications.lease_secs = 300;
        s.sla.sweep_interval_secs = 24 * 3600;
    })
    .await
}

fn smtp_to(listener: &SmtpListener) -> SmtpSettings {
    SmtpSettings {
        host: Some("127.0.0.1".into()),
        port: Some(listener.port),
        tls: SmtpTls::None,
        from: Some(FROM.into()),
        timeout_secs: Some(20),
        ..SmtpSettings::default()
    }
}

fn mailer(listener: &SmtpListener) -> Mailer {
    Mailer::from_settings(&smtp_to(listener)).unwrap().unwrap()
}

async fn admin(app: &TestApp) -> String {
    app.studio_member(
        &format!("admin-{}@studio.example", Uuid::new_v4().simple()),
        &[Role::Admin],
    )
    .await
}

async fn outbox(app: &TestApp, admin: &str, query: &str) -> Value {
    let reply = app
        .send(
            Method::GET,
            &format!("/api/v1/outbox{query}"),
            &[("authorization", admin)],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body
}

/// A draft of the default customer: (id, reference).
async fn draft(app: &TestApp) -> (Uuid, String) {
    let order = app
        .create_order(&crate::helpers::order_body("machine_driven"))
        .await;
    (
        order["id"].as_str().unwrap().parse().unwrap(),
        order["reference"].as_str().unwrap().to_owned(),
    )
}

/// `n` "received" messages for one draft, written as a submission would write them.
async fn enqueue_received(app: &TestApp, n: usize) -> Vec<Uuid> {
    let (order, reference) = draft(app).await;
    for _ in 0..n {
        keepsake::outbox::status_changed(
            &app.state.db,
            order,
            &reference,
            OrderStatus::Draft,
            OrderStatus::Submitted,
        )
        .await
        .unwrap();
    }
    let rows = keepsake::db::outbox::page(&app.state.db, None, None, 1000)
        .await
        .unwrap();
    rows.iter()
        .filter(|r| r.order_id == Some(order))
        .map(|r| r.id)
        .collect()
}

async fn row(app: &TestApp, id: Uuid) -> keepsake::db::outbox::OutboxRow {
    keepsake::db::outbox::find(&app.state.db, id)
        .await
        .unwrap()
        .unwrap()
}

fn message_id(id: Uuid) -> String {
    format!("<outbox.{id}@studio.example>")
}

fn by_subject<'a>(mails: &'a [Received], needle: &str) -> &'a Received {
    let found: Vec<_> = mails
        .iter()
        .filter(|m| m.subject().contains(needle))
        .collect();
    assert_eq!(found.len(), 1, "one mail titled {needle:?} in {mails:#?}");
    found[0]
}

#[tokio::test]
async fn each_template_reaches_its_recipient_with_no_more_than_it_needs() {
    let app = app().await;
    let listener = SmtpListener::start().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;

    // received → needs info → (answered) → approved → production.
    let order = app.submitted_order("machine_driven").await;
    app.act(&order, "start_screening", &reviewer, None).await;
    let asked = app
        .decide_screening(
            &order,
            &reviewer,
            &json!({ "decision": "needs_info", "reason": "please upload proof that you are her son" }),
        )
        .await;
    assert_eq!(asked.body["status"], "needs_info", "{:?}", asked.body);
    let answered = app.act(&order, "submit", &app.auth, None).await;
    assert_eq!(answered.status, StatusCode::OK, "{:?}", answered.body);
    let proceeded = app
        .decide_screening(
            &order,
            &reviewer,
            &json!({ "decision": "proceed", "sufficiency_override_reason": "few but sharp photos" }),
        )
        .await;
    assert_eq!(proceeded.body["status"], "consent_review");
    let signed = app
        .sign_requester(&order, &texts["requester"], "machine_driven")
        .await;
    assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);
    let approved = app
        .review_consents(&order, &reviewer, &json!({ "decision": "approve" }))
        .await;
    assert_eq!(approved.body["status"], "queued");
    let staff_id = app
        .send(
            Method::GET,
            "/api/v1/me",
            &[("authorization", &staff)],
            None,
        )
        .await
        .body["id"]
        .clone();
    let etag = app.etag_of(&order, Some(&staff)).await;
    let taken = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{order}/assign"),
            &[("authorization", &staff), ("if-match", &etag)],
            Some(&json!({ "assignee_id": staff_id })),
        )
        .await;
    assert_eq!(taken.status, StatusCode::OK, "{:?}", taken.body);
    app.act(&order, "start_production", &staff, None).await;
    app.act(
        &order,
        "advance",
        &staff,
        Some(&json!({ "stage": "data_prep" })),
    )
    .await;
    let view = app.get(&format!("/api/v1/orders/{order}")).await.body;
    let reference = view["reference"].as_str().unwrap().to_owned();
    let promised: DateTime<Utc> = view["promised_at"].as_str().unwrap().parse().unwrap();

    // The promise passes: the sweeper alerts the studio.
    keepsake::jobs::sla_sweeper::sweep_once(&app.state, "sweeper", promised + Duration::hours(1))
        .await
        .unwrap();
    // Delivery and erasure are written by their own features; their messages look like this.
    let id: Uuid = order.parse().unwrap();
    keepsake::outbox::status_changed(
        &app.state.db,
        id,
        &reference,
        OrderStatus::QualityCheck,
        OrderStatus::Delivered,
    )
    .await
    .unwrap();
    keepsake::outbox::enqueue(
        &app.state.db,
        "order.erased",
        Some(id),
        keepsake::outbox::Audience::Customer,
        json!({ "reference": reference, "certificate_url": format!("/api/v1/orders/{id}/destruction-certificate") }),
    )
    .await
    .unwrap();

    let relayed = relay_once(&app.state, &mailer(&listener), "relay-a", Utc::now())
        .await
        .unwrap();
    let mails = listener.accepted();
    assert_eq!(relayed.sent, mails.len(), "{relayed:?}");
    assert!(
        relayed.skipped >= 4,
        "internal steps, progress, assignment: {relayed:?}"
    );
    assert_eq!((relayed.retried, relayed.failed, relayed.lost), (0, 0, 0));

    let customer: Vec<Received> = mails
        .iter()
        .filter(|m| m.rcpt_to == [CUSTOMER])
        .cloned()
        .collect();
    let studio: Vec<Received> = mails
        .iter()
        .filter(|m| m.rcpt_to == [STAFF])
        .cloned()
        .collect();
    assert_eq!(customer.len(), 5, "{customer:#?}");
    assert_eq!(
        customer.len() + studio.len(),
        mails.len(),
        "nobody else got mail"
    );
    assert!(!studio.is_empty());
    for mail in &studio {
        assert!(mail.subject().starts_with("[SLA] Order "), "{mail:?}");
        assert!(mail.text().contains(&reference));
    }
    by_subject(&studio, "is overdue");

    let received = by_subject(&customer, "We have received order");
    assert!(received.text().contains(&reference));
    let needs = by_subject(&customer, "we need a little more");
    assert!(
        needs.body.contains("Sign in to see what is needed"),
        "{}",
        needs.body
    );
    assert!(needs.body.contains(&format!("/orders/{order}#timeline")));
    let approval = by_subject(&customer, "is approved");
    let local = keepsake::notifications::templates::local_time(
        promised,
        chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
    );
    assert!(
        approval.body.contains(&local),
        "{local} in {}",
        approval.body
    );
    assert!(local.ends_with("(UTC+08:00)"));
    by_subject(&customer, "has been delivered");
    let erased = by_subject(&customer, "destroyed");
    assert!(erased.body.contains(&format!(
        "https://desk.studio.example/orders/{order}/certificate"
    )));

    let rows = keepsake::db::outbox::page(&app.state.db, None, None, 1000)
        .await
        .unwrap();
    for mail in &mails {
        assert_eq!(mail.mail_from, "noreply@studio.example");
        let text = mail.text();
        for private in ["Chen", "proof that you are her son", "Wang"] {
            assert!(!text.contains(private), "{private:?} leaked into {text}");
        }
        assert!(
            rows.iter().any(|r| message_id(r.id) == mail.message_id()),
            "the Message-ID names an outbox message: {}",
            mail.message_id()
        );
    }

    // The admin sees each message's fate; the skipped ones say why.
    let admin = admin(&app).await;
    let view = outbox(&app, &admin, "?limit=200").await;
    assert_eq!(view["counts"]["sent"], mails.len());
    assert_eq!(view["counts"]["queued"], 0);
    let skipped = outbox(&app, &admin, "?status=skipped").await;
    let items = skipped["items"].as_array().unwrap();
    assert_eq!(items.len(), relayed.skipped);
    assert!(items.iter().all(|i| i["skip_reason"].as_str().is_some()));
    for kind in ["order.progress", "order.assigned"] {
        assert!(
            items.iter().any(|i| i["kind"] == kind),
            "{kind}: {items:#?}"
        );
    }
    assert!(
        relay_once(&app.state, &mailer(&listener), "relay-b", Utc::now())
            .await
            .unwrap()
            == Relayed::default(),
        "nothing is sent twice"
    );
}

#[tokio::test]
async fn temporary_refusals_are_retried_with_backoff_until_accepted() {
    let app = app().await;
    let listener = SmtpListener::start().await;
    let mailer = mailer(&listener);
    let id = enqueue_received(&app, 1).await[0];
    listener.refuse_temporarily(2);

    let t0 = Utc::now() + Duration::seconds(5);
    let first = relay_once(&app.state, &mailer, "a", t0).await.unwrap();
    assert_eq!(first.retried, 1, "{first:?}");
    let after_one = row(&app, id).await;
    assert_eq!(
        (after_one.status.as_str(), after_one.attempts),
        ("queued", 1)
    );
    let wait = after_one.available_at - t0;
    assert!(
        wait <= Duration::seconds(60) && wait >= Duration::seconds(48),
        "base backoff less at most a fifth: {wait}"
    );
    assert!(
        after_one
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("451")
    );
    assert!(after_one.lease_owner.is_none(), "the lease is released");

    let early = relay_once(
        &app.state,
        &mailer,
        "a",
        after_one.available_at - Duration::seconds(1),
    )
    .await
    .unwrap();
    assert_eq!(early, Relayed::default(), "not before its time");

    let t1 = after_one.available_at;
    assert_eq!(
        relay_once(&app.state, &mailer, "b", t1)
            .await
            .unwrap()
            .retried,
        1
    );
    let after_two = row(&app, id).await;
    let wait = after_two.available_at - t1;
    assert!(
        wait <= Duration::seconds(120) && wait >= Duration::seconds(96),
        "doubled: {wait}"
    );

    let done = relay_once(&app.state, &mailer, "a", after_two.available_at)
        .await
        .unwrap();
    assert_eq!(done.sent, 1, "{done:?}");
    let sent = row(&app, id).await;
    assert_eq!((sent.status.as_str(), sent.attempts), ("sent", 3));
    assert_eq!(sent.sent_at, Some(after_two.available_at));
    assert_eq!(listener.refused(), 2);
    let mails = listener.accepted();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].message_id(), message_id(id));
}

#[tokio::test]
async fn an_unreachable_server_is_a_temporary_failure() {
    let app = app().await;
    // A port nothing listens on any more.
    let closed = {
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        socket.local_addr().unwrap().port()
    };
    let smtp = SmtpSettings {
        host: Some("127.0.0.1".into()),
        port: Some(closed),
        tls: SmtpTls::None,
        from: Some(FROM.into()),
        timeout_secs: Some(5),
        ..SmtpSettings::default()
    };
    let mailer = Mailer::from_settings(&smtp).unwrap().unwrap();
    let id = enqueue_received(&app, 1).await[0];
    let relayed = relay_once(&app.state, &mailer, "a", Utc::now() + Duration::seconds(5))
        .await
        .unwrap();
    assert_eq!(relayed.retried, 1, "{relayed:?}");
    let queued = row(&app, id).await;
    assert_eq!((queued.status.as_str(), queued.attempts), ("queued", 1));
    assert!(queued.last_error.is_some());
}

#[tokio::test]
async fn after_the_last_try_a_message_fails_and_stays_visible() {
    let app = app().await;
    let listener = SmtpListener::start().await;
    let mailer = mailer(&listener);
    let ids = enqueue_received(&app, 1).await;
    let id = ids[0];
    listener.refuse_temporarily(100);

    let mut now = Utc::now() + Duration::seconds(5);
    for attempt in 1..=4 {
        let relayed = relay_once(&app.state, &mailer, "a", now).await.unwrap();
        if attempt < 4 {
            assert_eq!(relayed.retried, 1, "try {attempt}: {relayed:?}");
            now = row(&app, id).await.available_at;
        } else {
            assert_eq!(relayed.failed, 1, "try {attempt}: {relayed:?}");
        }
    }
    assert_eq!(
        relay_once(&app.state, &mailer, "a", now + Duration::days(30))
            .await
            .unwrap(),
        Relayed::default(),
        "a failed message is not tried again"
    );
    assert_eq!(listener.refused(), 4);

    // A permanent refusal fails at once.
    listener.refuse_permanently(1);
    let permanent = enqueue_received(&app, 1).await[0];
    let relayed = relay_once(&app.state, &mailer, "a", now + Duration::days(31))
        .await
        .unwrap();
    assert_eq!(relayed.failed, 1, "{relayed:?}");

    let admin = admin(&app).await;
    let failed = outbox(&app, &admin, "?status=failed").await;
    let items = failed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{failed}");
    assert_eq!(failed["counts"]["failed"], 2);
    let worn_out = items.iter().find(|i| i["id"] == id.to_string()).unwrap();
    assert_eq!(worn_out["attempts"], 4);
    assert_eq!(worn_out["status"], "failed");
    assert!(worn_out["next_attempt_at"].is_null());
    assert!(worn_out["last_error"].as_str().unwrap().contains("451"));
    assert_eq!(worn_out["message_id"], message_id(id));
    assert!(
        worn_out["order_reference"]
            .as_str()
            .unwrap()
            .starts_with("KS-")
    );
    assert_eq!(worn_out["change"], "draft → submitted");
    let refused = items
        .iter()
        .find(|i| i["id"] == permanent.to_string())
        .unwrap();
    assert_eq!(refused["attempts"], 1);
    let error = refused["last_error"].as_str().unwrap();
    assert!(error.contains("550"), "{error}");
    assert!(!error.contains('@'), "addresses are blanked out: {error}");

    // A mail given up is on its order's audit trail.
    for message in [id, permanent] {
        let order = row(&app, message).await.order_id.unwrap();
        let events = keepsake::audit::events_for(&app.state.db, order)
            .await
            .unwrap();
        let failed: Vec<_> = events
            .iter()
            .filter(|e| e.action == "notification.failed")
            .collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].detail["outbox_id"], message.to_string());
    }
}

#[tokio::test]
async fn a_change_committed_while_no_relay_ran_is_sent_once_by_a_later_relay() {
    let app = app().await;
    let listener = SmtpListener::start().await;
    // The submission commits with its message; nothing sends it yet (a crash, or a deploy).
    let order = app.submitted_order("machine_driven").await;
    let admin = admin(&app).await;
    let queued = outbox(&app, &admin, "?status=queued").await;
    assert_eq!(queued["items"].as_array().unwrap().len(), 1, "{queued}");
    let id: Uuid = queued["items"][0]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(listener.accepted().len(), 0);

    // A relay started later sends it, once, however often relays run.
    let mailer = mailer(&listener);
    let now = Utc::now() + Duration::seconds(5);
    assert_eq!(
        relay_once(&app.state, &mailer, "late", now)
            .await
            .unwrap()
            .sent,
        1
    );
    for worker in ["late", "other"] {
        assert_eq!(
            relay_once(&app.state, &mailer, worker, now + Duration::hours(1))
                .await
                .unwrap(),
            Relayed::default()
        );
    }
    let mails = listener.accepted();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].message_id(), message_id(id));
    assert!(mails[0].body.contains(&format!("/orders/{order}")));
    let events = keepsake::audit::events_for(&app.state.db, order.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "notification.sent")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_relay_that_died_after_the_server_accepted_is_followed_by_the_same_message_id() {
    let app = app().await;
    let listener = SmtpListener::start().await;
    let mailer = mailer(&listener);
    let id = enqueue_received(&app, 1).await[0];

    // Relay "crashed" claims the message, the server accepts the mail, and the relay dies
    // before recording it.
    let now = Utc::now() + Duration::seconds(5);
    let claimed = keepsake::db::outbox::claim(
        &app.state.db,
        "crashed",
        now,
        now + Duration::seconds(300),
        10,
    )
    .await
    .unwrap();
    assert_eq!(claimed.len(), 1);
    let fate = keepsake::jobs::outbox_relay::attempt(&app.state, &mailer, &claimed[0], now)
        .await
        .unwrap();
    assert_eq!(fate, keepsake::db::outbox::Fate::Sent);
    assert_eq!(listener.accepted().len(), 1);

    // While the lease holds nobody else touches it; once it lapses, another relay sends again.
    let blocked = relay_once(&app.state, &mailer, "b", now + Duration::seconds(60))
        .await
        .unwrap();
    assert_eq!(blocked, Relayed::default());
    let taken_over = relay_once(&app.state, &mailer, "b", now + Duration::seconds(301))
        .await
        .unwrap();
    assert_eq!(taken_over.sent, 1);

    let mails = listener.accepted();
    assert_eq!(mails.len(), 2, "delivered twice on the wire…");
    assert_eq!(mails[0].message_id(), message_id(id));
    assert_eq!(
        mails[1].message_id(),
        mails[0].message_id(),
        "…as one message"
    );
    assert_eq!(mails[1].header("date"), mails[0].header("date"));
    assert_eq!(mails[1].body, mails[0].body);
    let unique: std::collections::HashSet<&str> = mails.iter().map(|m| m.message_id()).collect();
    assert_eq!(unique.len(), 1);

    // The dead relay's late word changes nothing.
    let late = keepsake::db::outbox::settle(
        &app.state.db,
        id,
        "crashed",
        now + Duration::seconds(400),
        keepsake::db::outbox::Fate::Sent,
    )
    .await
    .unwrap();
    assert!(!late);
    let sent = row(&app, id).await;
    assert_eq!((sent.status.as_str(), sent.attempts), ("sent", 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_relays_hand_every_message_to_the_server_exactly_once() {
    let app = app().await;
    let listener = SmtpListener::start().await;
    let (a, b, c) = (mailer(&listener), mailer(&listener), mailer(&listener));
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.extend(enqueue_received(&app, 10).await);
    }
    assert_eq!(ids.len(), 40);
    let now = Utc::now() + Duration::seconds(5);
    let (ra, rb, rc) = tokio::join!(
        relay_once(&app.state, &a, "a", now),
        relay_once(&app.state, &b, "b", now),
        relay_once(&app.state, &c, "c", now),
    );
    let all = [ra.unwrap(), rb.unwrap(), rc.unwrap()];
    assert_eq!(all.iter().map(|r| r.sent).sum::<usize>(), 40, "{all:?}");
    assert_eq!(all.iter().map(|r| r.lost).sum::<usize>(), 0, "{all:?}");

    let mails = listener.accepted();
    assert_eq!(mails.len(), 40, "each accepted exactly once");
    let mut seen: Vec<&str> = mails.iter().map(|m| m.message_id()).collect();
    seen.sort_unstable();
    let mut expected: Vec<String> = ids.iter().map(|id| message_id(*id)).collect();
    expected.sort_unstable();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn without_smtp_messages_stay_queued_and_admins_page_through_them() {
    let app = TestApp::spawn().await;
    let (order, reference) = draft(&app).await;
    for _ in 0..5 {
        keepsake::outbox::status_changed(
            &app.state.db,
            order,
            &reference,
            OrderStatus::Draft,
            OrderStatus::Submitted,
        )
        .await
        .unwrap();
    }
    let admin = admin(&app).await;
    let first = outbox(&app, &admin, "?status=queued&limit=2").await;
    assert_eq!(first["smtp_configured"], false);
    assert_eq!(first["counts"]["queued"], 5);
    assert_eq!(first["counts"]["sent"], 0);
    let mut seen = Vec::new();
    let mut page = first;
    loop {
        for item in page["items"].as_array().unwrap() {
            assert_eq!(item["status"], "queued");
            assert_eq!(item["attempts"], 0);
            assert_eq!(item["order_reference"], reference.as_str());
            assert!(item["next_attempt_at"].as_str().is_some());
            assert!(item["message_id"].is_null(), "no sender configured");
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        let Some(next) = page["next"].as_str() else {
            break;
        };
        page = outbox(
            &app,
            &admin,
            &format!("?status=queued&limit=2&after={next}"),
        )
        .await;
    }
    assert_eq!(seen.len(), 5);
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    sorted.reverse();
    assert_eq!(seen, sorted, "newest first, no repeats");
    assert_eq!(
        outbox(&app, &admin, "?status=sent").await["items"],
        json!([])
    );

    for (query, status, code) in [
        ("?status=lost", StatusCode::BAD_REQUEST, "invalid_query"),
        (
            "?after=nonsense!",
            StatusCode::BAD_REQUEST,
            "invalid_cursor",
        ),
        (
            "?limit=0",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_limit",
        ),
    ] {
        let reply = app
            .send(
                Method::GET,
                &format!("/api/v1/outbox{query}"),
                &[("authorization", &admin)],
                None,
            )
            .await;
        assert_eq!((reply.status, reply.code()), (status, code), "{query}");
    }
    let refused = app.get("/api/v1/outbox").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.code(), "admins_only");
}

#[tokio::test]
async fn serve_relays_by_itself_when_smtp_is_configured() {
    let listener = SmtpListener::start().await;
    let smtp = smtp_to(&listener);
    let app = TestApp::spawn_with(move |s| {
        s.smtp = smtp;
        s.notifications.staff_email = Some(STAFF.into());
        s.notifications.poll_interval_secs = 1;
    })
    .await;
    let order = app.submitted_order("machine_driven").await;
    let mails = listener.wait_for(1).await;
    assert_eq!(mails[0].rcpt_to, [CUSTOMER]);
    assert!(mails[0].subject().starts_with("We have received order KS-"));
    assert!(mails[0].body.contains(&format!("/orders/{order}")));
}

#[tokio::test]
async fn a_relay_told_to_stop_finishes_the_message_in_hand_and_leaves_the_rest_unclaimed() {
    let app = app().await;
    let listener = SmtpListener::start().await;
    let ids = enqueue_received(&app, 3).await;
    let asked = std::sync::atomic::AtomicUsize::new(0);
    // Told to stop after the first claim: one message sent, nothing else taken.
    let stopping = || asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= 1;
    let relayed = keepsake::jobs::outbox_relay::relay_until(
        &app.state,
        &mailer(&listener),
        "leaving",
        Utc::now() + Duration::seconds(5),
        stopping,
    )
    .await
    .unwrap();
    assert_eq!(relayed, Relayed { sent: 1, ..Relayed::default() });
    let mut leased = 0;
    for id in &ids {
        let message = row(&app, *id).await;
        leased += usize::from(message.lease_owner.is_some());
        assert!(message.status.as_str() == "sent" || message.status.as_str() == "queued");
    }
    assert_eq!(leased, 0, "no message left claimed by the relay that stopped");
    // Another relay sends the other two at once.
    let rest = relay_once(&app.state, &mailer(&listener), "staying", Utc::now() + Duration::seconds(6))
        .await
        .unwrap();
    assert_eq!(rest.sent, 2, "{rest:?}");
}
