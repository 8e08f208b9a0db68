//! The desk's casework pages over HTTP (the browser tests look at them in Chromium): live
//! sessions booked, logged and — without the AI label — reviewed by someone who did not work
//! on the order; data-rights requests checked and decided from the reviewers' queue; money
//! recorded and follow-ups moved from the workbench; stage templates published and who signed
//! a consent text. Every refusal is said next to its field and changes nothing; a double
//! click records once; separation of duties is shown before anyone tries.

use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::data_requests::order_with_a_photo;
use crate::helpers::TestApp;
use crate::pages::{browserish, form_token, page_session};
use crate::workflow::human_order_in_production;

async fn get(app: &TestApp, session: &str, path: &str) -> (StatusCode, String) {
    let reply = browserish()
        .get(app.url(path))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    (reply.status(), reply.text().await.unwrap())
}

/// Post `fields` to `path` as a form of the page `from` (its token).
async fn post(
    app: &TestApp,
    session: &str,
    from: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let (_, html) = get(app, session, from).await;
    let token = form_token(&html);
    let mut all = fields.to_vec();
    all.push(("csrf", &token));
    let reply = browserish()
        .post(app.url(path))
        .header("cookie", session)
        .form(&all)
        .send()
        .await
        .unwrap();
    (reply.status(), reply.text().await.unwrap())
}

async fn api(app: &TestApp, token: &str, path: &str) -> serde_json::Value {
    let reply = app
        .send(Method::GET, path, &[("authorization", token)], None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
    reply.body
}

/// Tomorrow at 15:00, as a `datetime-local` field holds it.
fn tomorrow_afternoon() -> String {
    (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT15:00")
        .to_string()
}

#[tokio::test]
async fn a_live_session_is_booked_and_logged_and_one_without_the_label_is_reviewed() {
    let app = TestApp::spawn().await;
    let order = human_order_in_production(&app).await;
    app.studio_member("both@studio.example", &[Role::Staff, Role::Reviewer])
        .await;
    let workbench = format!("/desk/orders/{}", order.order);
    let staff = page_session(&app, "both@studio.example").await;

    // Only the actor whose consent covers the face for the live call can be booked.
    let (status, html) = get(&app, &staff, &workbench).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"book-session\""), "{html}");
    assert!(html.contains(&order.actor_consent) && html.contains("Wang Lei"));
    assert!(
        !html.contains(&order.voice_only_consent),
        "voice only: not offered"
    );

    // A booking without its time is refused at the field; nothing is booked.
    let sessions = format!("/desk/orders/{}/sessions", order.order);
    let (status, html) = post(
        &app,
        &staff,
        &workbench,
        &sessions,
        &[
            ("once", &uuid::Uuid::new_v4().to_string()),
            ("at", ""),
            ("actor", &order.actor_consent),
            ("participants", "Chen Jun, son"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"session_at-error\""), "{html}");
    let listed = format!("/api/v1/orders/{}/live-sessions", order.order);
    assert_eq!(
        api(&app, &order.staff, &listed)
            .await
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // The same form sent twice (a double click) books once.
    let once = uuid::Uuid::new_v4().to_string();
    let at = tomorrow_afternoon();
    let form = [
        ("once", once.as_str()),
        ("at", at.as_str()),
        ("actor", order.actor_consent.as_str()),
        ("participants", "Chen Jun, son\nChen Hua"),
    ];
    for _ in 0..2 {
        let (status, html) = post(&app, &staff, &workbench, &sessions, &form).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    }
    let booked = api(&app, &order.staff, &listed).await;
    assert_eq!(booked.as_array().unwrap().len(), 1, "{booked}");
    let sid = booked[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(booked[0]["participants"][0]["relationship"], "son");
    assert_eq!(booked[0]["participants"][1]["name"], "Chen Hua");
    let (_, html) = get(&app, &staff, &workbench).await;
    assert!(
        html.contains("Taking part: Chen Jun (son), Chen Hua"),
        "{html}"
    );

    // The log must say whether the label was shown.
    let log = format!("/desk/orders/{}/sessions/{sid}", order.order);
    let (status, html) = post(
        &app,
        &staff,
        &workbench,
        &log,
        &[("step", "log"), ("duration", "45")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Please say whether the on-screen AI label was shown."));
    assert_eq!(
        api(&app, &order.staff, &listed).await[0]["status"],
        "scheduled"
    );
    let (status, _) = post(
        &app,
        &staff,
        &workbench,
        &log,
        &[
            ("step", "log"),
            ("duration", "45"),
            ("label", "no"),
            ("notes", "the overlay crashed"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = get(&app, &staff, &workbench).await;
    assert!(html.contains("The on-screen AI label was not shown.") && html.contains("45 minutes"));
    assert!(html.contains("Open the review"), "flagged on the workbench");

    // The reviewers' queue lists it. The one who logged it sees why they may not review it.
    let reference = api(
        &app,
        &order.staff,
        &format!("/api/v1/orders/{}", order.order),
    )
    .await["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let reviewer = page_session(&app, "reviewer@studio.example").await;
    let (_, queues) = get(&app, &reviewer, "/desk/review").await;
    let queue = &queues[queues
        .find("id=\"sessions-queue\"")
        .expect("the sessions queue")..];
    assert!(queue.contains(&reference), "{queue}");
    let (status, html) = get(&app, &staff, &log).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("id=\"barred\"") && html.contains("disabled"),
        "{html}"
    );
    let (status, _) = post(
        &app,
        &staff,
        &log,
        &format!("{log}/review"),
        &[("reason", "looks fine")],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the server refuses all the same"
    );

    // Another reviewer: a reason is needed, then the review is recorded once.
    let (status, html) = post(
        &app,
        &reviewer,
        &log,
        &format!("{log}/review"),
        &[("reason", "  ")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"reason-error\""));
    let (status, _) = post(
        &app,
        &reviewer,
        &log,
        &format!("{log}/review"),
        &[(
            "reason",
            "the family was told the next day; the overlay is fixed",
        )],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = get(&app, &reviewer, &log).await;
    assert!(
        html.contains("by reviewer@studio.example: the family was told"),
        "{html}"
    );
    assert!(!html.contains("id=\"decide\""), "no second review");
    let (_, queues) = get(&app, &reviewer, "/desk/review").await;
    assert!(
        !queues.contains("id=\"sessions-queue\""),
        "the queue is empty again"
    );

    // A customer may not open the review page.
    let customer = page_session(&app, "customer@example.com").await;
    assert_eq!(get(&app, &customer, &log).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_relatives_request_is_checked_then_decided_from_the_queue() {
    let app = TestApp::spawn().await;
    let (_order, reference) = order_with_a_photo(&app).await;
    let reviewer_token = app.reviewer("reviewer@studio.example").await;
    let colleague = app.reviewer("colleague@studio.example").await;
    let sister = app.customer("sister@example.com").await;
    let filed = app
        .send(
            Method::POST,
            "/api/v1/data-requests",
            &[("authorization", sister.as_str())],
            Some(&json!({ "kind": "access", "order_reference": reference, "relationship_to_subject": "sibling", "details": "what do you hold about our mother?" })),
        )
        .await;
    assert_eq!(filed.status, StatusCode::ACCEPTED, "{:?}", filed.body);
    let id = filed.body["id"].as_str().unwrap().to_owned();
    // A reviewer files one too, as a relative: they may not handle their own.
    let own = app
        .send(
            Method::POST,
            "/api/v1/data-requests",
            &[("authorization", colleague.as_str())],
            Some(&json!({ "kind": "copy", "order_reference": reference, "relationship_to_subject": "child" })),
        )
        .await;
    assert_eq!(own.status, StatusCode::ACCEPTED, "{:?}", own.body);
    let own_id = own.body["id"].as_str().unwrap().to_owned();

    let reviewer = page_session(&app, "reviewer@studio.example").await;
    let (_, queues) = get(&app, &reviewer, "/desk/review").await;
    let queue = &queues[queues
        .find("id=\"requests-queue\"")
        .expect("the requests queue")..];
    assert!(
        queue.contains(&format!("/desk/requests/{id}"))
            && queue.contains(&format!("See what is held — {reference}")),
        "{queue}"
    );

    let page = format!("/desk/requests/{id}");
    let (status, html) = get(&app, &reviewer, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("sister@example.com") && html.contains("what do you hold about our mother?")
    );
    assert!(
        html.contains("not the order&#39;s customer") || html.contains("not the order's customer"),
        "{html}"
    );

    // Signing in is not enough for a relative: said at the field, nothing recorded.
    let identity = format!("{page}/identity");
    let (status, html) = post(
        &app,
        &reviewer,
        &page,
        &identity,
        &[("method", "account_session")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"method-error\"") && html.contains("Signing in proves only the account"),
        "{html}"
    );
    let seen = api(
        &app,
        &reviewer_token,
        &format!("/api/v1/data-requests/{id}"),
    )
    .await;
    assert_eq!(seen["status"], "submitted");
    let (status, _) = post(
        &app,
        &reviewer,
        &page,
        &identity,
        &[
            ("method", "video_call"),
            ("note", "video call with her ID card shown"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // The decision needs its reason; then approval carries it out at once.
    let decision = format!("{page}/decision");
    let (status, html) = post(
        &app,
        &reviewer,
        &page,
        &decision,
        &[("decision", "approve"), ("reason", "")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"reason-error\""));
    let seen = api(
        &app,
        &reviewer_token,
        &format!("/api/v1/data-requests/{id}"),
    )
    .await;
    assert_eq!(seen["status"], "identity_verified");
    let (status, _) = post(
        &app,
        &reviewer,
        &page,
        &decision,
        &[
            ("decision", "approve"),
            ("reason", "her sister, verified on a call"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let seen = api(
        &app,
        &reviewer_token,
        &format!("/api/v1/data-requests/{id}"),
    )
    .await;
    assert_eq!(seen["status"], "completed", "{seen}");
    let (_, html) = get(&app, &reviewer, &page).await;
    assert!(html.contains("Done") && html.contains("her sister, verified on a call"));
    assert!(
        !html.contains("id=\"decision-form\""),
        "nothing left to decide"
    );

    // Their own request: the reviewer sees why before trying, and the server refuses.
    let colleague_page = page_session(&app, "colleague@studio.example").await;
    let own_page = format!("/desk/requests/{own_id}");
    let (_, html) = get(&app, &colleague_page, &own_page).await;
    assert!(
        html.contains("id=\"barred\"") && html.contains("id=\"verify\" disabled"),
        "{html}"
    );
    let (status, _) = post(
        &app,
        &colleague_page,
        &own_page,
        &format!("{own_page}/identity"),
        &[("method", "id_document")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Anyone outside the studio: not available.
    let sister_page = page_session(&app, "sister@example.com").await;
    assert_eq!(
        get(&app, &sister_page, &page).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn money_is_recorded_once_and_a_follow_up_moves_from_the_workbench() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff_token = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let (order, _) = app.delivered_order(&reviewer, &staff_token, &texts).await;
    let staff = page_session(&app, "staff@studio.example").await;
    let workbench = format!("/desk/orders/{order}");
    let payments = format!("{workbench}/payments");
    let ledger = format!("/api/v1/orders/{order}/payments");

    // An amount that cannot be read: said at the field, nothing recorded.
    let (status, html) = post(
        &app,
        &staff,
        &workbench,
        &payments,
        &[
            ("once", &uuid::Uuid::new_v4().to_string()),
            ("kind", "quote"),
            ("amount", "eight thousand"),
            ("currency", "CNY"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"payment_amount-error\""), "{html}");
    // A quote sent twice (a double click) is recorded once.
    let once = uuid::Uuid::new_v4().to_string();
    for _ in 0..2 {
        let (status, html) = post(
            &app,
            &staff,
            &workbench,
            &payments,
            &[
                ("once", &once),
                ("kind", "quote"),
                ("amount", "8,800"),
                ("currency", "cny"),
                ("note", "as agreed on the phone"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    }
    let (status, _) = post(
        &app,
        &staff,
        &workbench,
        &payments,
        &[
            ("once", &uuid::Uuid::new_v4().to_string()),
            ("kind", "payment"),
            ("amount", "3000.50"),
            ("currency", "CNY"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let money = api(&app, &staff_token, &ledger).await;
    assert_eq!(money["entries"].as_array().unwrap().len(), 2, "{money}");
    assert_eq!(money["summary"]["quoted"], 880_000);
    assert_eq!(money["summary"]["paid"], 300_050);
    // A refund beyond what was paid is refused in words; nothing recorded.
    let (status, html) = post(
        &app,
        &staff,
        &workbench,
        &payments,
        &[
            ("once", &uuid::Uuid::new_v4().to_string()),
            ("kind", "refund"),
            ("amount", "4000"),
            ("currency", "CNY"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        html.contains("A refund cannot be more than what was paid."),
        "{html}"
    );
    assert_eq!(
        api(&app, &staff_token, &ledger).await["entries"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (_, html) = get(&app, &staff, &workbench).await;
    let entries = &html[html
        .find("id=\"money-entries\"")
        .expect("the ledger's entries")..];
    assert!(
        entries.contains("as agreed on the phone") && entries.contains("staff@studio.example"),
        "{entries}"
    );

    // A follow-up needing fresh consent: its start is disabled and says why; a stale page
    // changes nothing; a cancellation needs its reason.
    let created = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{order}/iterations"),
            &[("authorization", staff_token.as_str()), ("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            Some(&json!({ "description": "a new clip for her birthday", "needs": { "modalities": ["face"] }, "price": { "amount_minor": 88_000, "currency": "CNY" } })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let iid = created.body["id"].as_str().unwrap().to_owned();
    let (_, html) = get(&app, &staff, &workbench).await;
    let listed = &html[html.find("id=\"iterations\"").expect("the follow-ups")..];
    assert!(
        listed.contains("Follow-up 1") && listed.contains("a new clip for her birthday"),
        "{listed}"
    );
    assert!(
        listed.contains("disabled aria-describedby=\"needs-")
            && listed.contains("It waits for fresh consent"),
        "{listed}"
    );
    assert!(listed.contains("Price: ¥880.00"), "{listed}");
    let act = format!("{workbench}/iterations/{iid}");
    let version = created.body["version"].to_string();
    let (status, html) = post(
        &app,
        &staff,
        &workbench,
        &act,
        &[("action", "start"), ("version", &version)],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the server refuses all the same"
    );
    assert!(
        html.contains("This follow-up needs fresh consent before it can start."),
        "{html}"
    );
    let stale = (created.body["version"].as_i64().unwrap() - 1).to_string();
    let (status, html) = post(
        &app,
        &staff,
        &workbench,
        &act,
        &[
            ("action", "cancel"),
            ("version", &stale),
            ("reason", "the family changed their mind"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert!(html.contains("changed"), "{html}");
    let (status, html) = post(
        &app,
        &staff,
        &workbench,
        &act,
        &[("action", "cancel"), ("version", &version), ("reason", " ")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("Please give a reason."), "{html}");
    let follow_ups = api(
        &app,
        &staff_token,
        &format!("/api/v1/orders/{order}/iterations"),
    )
    .await;
    assert_eq!(
        follow_ups[0]["status"], "awaiting_consent",
        "nothing changed: {follow_ups}"
    );
    let (status, html) = post(
        &app,
        &staff,
        &workbench,
        &act,
        &[
            ("action", "cancel"),
            ("version", &version),
            ("reason", "the family changed their mind"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let follow_ups = api(
        &app,
        &staff_token,
        &format!("/api/v1/orders/{order}/iterations"),
    )
    .await;
    assert_eq!(follow_ups[0]["status"], "cancelled", "{follow_ups}");
}

#[tokio::test]
async fn an_admin_publishes_stage_targets_and_sees_who_signed_a_text() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let admin_token = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    app.studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let order = app.queued_order("machine_driven", &reviewer, &texts).await;
    let admin = page_session(&app, "admin@studio.example").await;
    let staff = page_session(&app, "staff@studio.example").await;
    assert_eq!(
        get(&app, &staff, "/desk/admin/stages").await.0,
        StatusCode::FORBIDDEN
    );

    let (status, html) = get(&app, &admin, "/desk/admin/stages").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("id=\"template-machine_driven\"")
            && html.contains("id=\"template-human_driven\"")
    );
    assert!(
        html.contains("value=\"avatar_build\"") && html.contains("Publish version 2"),
        "{html}"
    );

    // A name that breaks the rule: said at the form, the rows kept as typed, nothing published.
    let rows = |first: &'static str| {
        vec![
            ("mode", "machine_driven"),
            ("name", first),
            ("hours", "24"),
            ("name", "training"),
            ("hours", "48"),
            ("name", "avatar_build"),
            ("hours", "24"),
            ("name", "qa"),
            ("hours", "12"),
            ("name", ""),
            ("hours", ""),
        ]
    };
    let (status, html) = post(
        &app,
        &admin,
        "/desk/admin/stages",
        "/desk/admin/stages",
        &rows("Data Prep"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"machine_driven-error\"")
            && html.contains("Stage 1: the name may use only"),
        "{html}"
    );
    assert!(html.contains("value=\"Data Prep\""), "the rows as typed");
    let published = api(&app, &admin_token, "/api/v1/stage-templates").await;
    assert!(
        published
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["version"] == 1),
        "{published}"
    );

    let (status, _) = post(
        &app,
        &admin,
        "/desk/admin/stages",
        "/desk/admin/stages",
        &rows("data_prep"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let published = api(&app, &admin_token, "/api/v1/stage-templates").await;
    let newest = published
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["delivery_mode"] == "machine_driven" && t["version"] == 2)
        .unwrap_or_else(|| panic!("version 2: {published}"));
    assert_eq!(
        newest["stages"].as_array().unwrap().len(),
        4,
        "the blank row dropped"
    );
    assert_eq!(newest["stages"][1]["target_hours"], 48);
    let (_, html) = get(&app, &admin, "/desk/admin/stages").await;
    assert!(
        html.contains("Version 2") && html.contains("108 hours"),
        "{html}"
    );

    // Which orders signed the requester's text: this one.
    let reference = api(&app, &admin_token, &format!("/api/v1/orders/{order}")).await["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, html) = get(&app, &admin, "/desk/admin").await;
    let text_page = format!("/desk/admin/consent-texts/{}", texts["requester"]);
    assert!(
        html.contains(&text_page),
        "the admin page links each version"
    );
    let (status, html) = get(&app, &admin, &text_page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Consents signed with this version: 1.") && html.contains(&reference),
        "{html}"
    );
    assert!(html.contains(&format!("/desk/orders/{order}")));
    assert_eq!(get(&app, &staff, &text_page).await.0, StatusCode::FORBIDDEN);
}
