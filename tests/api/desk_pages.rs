//! The studio's board page over HTTP (the browser test looks at it in Chromium): who may open
//! it, which column each order stands in with its count, filters kept in the address and a
//! filter that cannot be read said at its field; and the desk service paging one column by
//! keyset without losing or repeating a card.

use keepsake::domain::account::Role;
use keepsake::production::desk::{self, ColumnKey, DeskQuery};
use reqwest::StatusCode;
use sea_orm::EntityTrait;

use crate::helpers::TestApp;
use crate::pages::{browserish, header, page_session};

async fn board(app: &TestApp, session: &str, query: &str) -> (StatusCode, String) {
    let reply = browserish()
        .get(app.url(&format!("/desk{query}")))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    (reply.status(), reply.text().await.unwrap())
}

/// The text of the column whose heading links to `?column=<key>`, up to the next column.
fn column<'a>(html: &'a str, key: &str) -> &'a str {
    let needle = format!("column={}", key.replace(':', "%3A"));
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no column {key}"));
    let rest = &html[start..];
    let end = rest.find("<section class=\"column\"").unwrap_or(rest.len());
    &rest[..end]
}

#[tokio::test]
async fn the_board_puts_each_order_in_its_step_for_the_studio_only() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let screening = app.submitted_order("machine_driven").await;
    let queued = app.queued_order("human_driven", &reviewer, &texts).await;
    let in_qc = app
        .order_in_quality_check("machine_driven", &reviewer, &staff, &texts)
        .await;
    let reference = |id: &str| {
        let app = &app;
        let id = id.to_owned();
        async move {
            app.send(
                reqwest::Method::GET,
                &format!("/api/v1/orders/{id}"),
                &[("authorization", app.auth.as_str())],
                None,
            )
            .await
            .body["reference"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let (screening_ref, queued_ref, qc_ref) = (
        reference(&screening).await,
        reference(&queued).await,
        reference(&in_qc).await,
    );

    // Signed out: to the sign-in page. A customer: not available.
    let reply = browserish().get(app.url("/desk")).send().await.unwrap();
    assert_eq!(reply.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(reply.headers(), "location"), "/signin");
    let customer = page_session(&app, "customer@example.com").await;
    let (status, _) = board(&app, &customer, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let session = page_session(&app, "staff@studio.example").await;
    let (status, html) = board(&app, &session, "").await;
    assert_eq!(status, StatusCode::OK);
    let screening_column = column(&html, "screening");
    assert!(
        screening_column.contains(&screening_ref),
        "{screening_column}"
    );
    assert!(screening_column.contains("<span class=\"count\">1</span>"));
    let queued_column = column(&html, "queued");
    assert!(queued_column.contains(&queued_ref) && queued_column.contains("On track"));
    assert!(column(&html, "quality_check").contains(&qc_ref));
    assert!(column(&html, "stage:training").contains("Nothing here."));
    for reference in [&screening_ref, &queued_ref, &qc_ref] {
        assert_eq!(
            html.matches(reference.as_str()).count(),
            1,
            "{reference} once"
        );
    }

    // A filter: only human-driven orders; the review columns stay (mode applies to them).
    let (_, html) = board(&app, &session, "?mode=human_driven").await;
    assert!(
        html.contains(&queued_ref) && !html.contains(&qc_ref) && !html.contains(&screening_ref)
    );
    // Mine: nobody took anything yet, and orders not yet approved have no assignee at all.
    let (_, html) = board(&app, &session, "?assignee=mine").await;
    assert!(
        !html.contains("column=screening"),
        "review columns left out"
    );
    assert!(!html.contains(&queued_ref));
    // A filter that cannot be read is said at its field and not applied.
    let (status, html) = board(&app, &session, "?due_before=tomorrow&mode=human_driven").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"due_before-error\""), "{html}");
    assert!(html.contains(&queued_ref), "the other filters still apply");
}

#[tokio::test]
async fn one_column_pages_by_keyset_without_losing_or_repeating_a_card() {
    let app = TestApp::spawn().await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let _ = staff;
    let mut made = Vec::new();
    for _ in 0..5 {
        made.push(app.submitted_order("machine_driven").await);
    }
    let user = keepsake::db::users::find_by_email(
        &app.state.db,
        &keepsake::domain::account::Email::parse("staff@studio.example").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let actor = keepsake::actor::Actor {
        id: user.id,
        roles: user.roles.clone(),
        request_id: None,
    };
    let mut query = DeskQuery {
        column: Some(ColumnKey::Screening),
        ..DeskQuery::default()
    };
    let mut seen = Vec::new();
    loop {
        let columns = desk::desk(&app.state.db, &actor, &query, 2).await.unwrap();
        assert_eq!(columns.len(), 1, "the one column asked for");
        assert_eq!(columns[0].count, 5);
        seen.extend(columns[0].cards.iter().map(|o| o.id.to_string()));
        match columns[0].next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, made, "every card once, oldest first");

    // A customer may not read the desk.
    let customer = keepsake::db::users::find_by_email(
        &app.state.db,
        &keepsake::domain::account::Email::parse("customer@example.com").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let refused = desk::desk(
        &app.state.db,
        &keepsake::actor::Actor {
            id: customer.id,
            roles: customer.roles,
            request_id: None,
        },
        &DeskQuery::default(),
        2,
    )
    .await;
    assert!(refused.is_err());
}

/// Post an action form from the workbench page as it is now (its token and version).
async fn act(
    app: &TestApp,
    session: &str,
    order: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let (_, html) = get(app, session, &format!("/desk/orders/{order}")).await;
    let token = crate::pages::form_token(&html);
    let at = html
        .find("name=\"version\" value=\"")
        .expect("a version field")
        + 22;
    let version = html[at..].split('"').next().unwrap().to_owned();
    let mut all = fields.to_vec();
    all.push(("csrf", &token));
    all.push(("version", &version));
    let reply = browserish()
        .post(app.url(&format!("/desk/orders/{order}/act")))
        .header("cookie", session)
        .form(&all)
        .send()
        .await
        .unwrap();
    let status = reply.status();
    (status, reply.text().await.unwrap())
}

async fn get(app: &TestApp, session: &str, path: &str) -> (StatusCode, String) {
    let reply = browserish()
        .get(app.url(path))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    (reply.status(), reply.text().await.unwrap())
}

#[tokio::test]
async fn the_workbench_takes_starts_advances_holds_and_refuses_a_stale_page() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    app.studio_member("other@studio.example", &[Role::Staff])
        .await;
    let order = app.queued_order("machine_driven", &reviewer, &texts).await;
    let session = page_session(&app, "staff@studio.example").await;
    let path = format!("/desk/orders/{order}");

    let customer = page_session(&app, "customer@example.com").await;
    assert_eq!(get(&app, &customer, &path).await.0, StatusCode::FORBIDDEN);

    let (status, html) = get(&app, &session, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Chen Mei") && html.contains("to hear her voice once more"));
    assert!(html.contains("id=\"take\"") && html.contains("id=\"action-start_production\""));

    // Take it, start production, finish the first stage.
    for (action, stage) in [
        ("take", ""),
        ("start_production", ""),
        ("advance", "data_prep"),
    ] {
        let (status, html) = act(
            &app,
            &session,
            &order,
            &[("action", action), ("stage", stage)],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{action}: {html}");
    }
    let (_, html) = get(&app, &session, &path).await;
    assert!(
        html.contains("staff@studio.example"),
        "the assignee is named"
    );
    assert!(
        html.contains("done") && html.contains("by staff@studio.example"),
        "{html}"
    );
    assert_eq!(app.status_as(&order, &staff).await, "in_production");

    // A hold needs its reason, said at the field; nothing changes without it.
    let (status, html) = act(
        &app,
        &session,
        &order,
        &[("action", "hold"), ("reason", " ")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"reason-error\""), "{html}");
    assert_eq!(app.status_as(&order, &staff).await, "in_production");

    // Someone else changes the order after this page was made: the page says who and what,
    // and applies nothing.
    let (_, stale) = get(&app, &session, &path).await;
    let token = crate::pages::form_token(&stale);
    let at = stale.find("name=\"version\" value=\"").unwrap() + 22;
    let version = stale[at..].split('"').next().unwrap().to_owned();
    let other = app.login("other@studio.example").await;
    let held = app
        .act(
            &order,
            "hold",
            &other,
            Some(&serde_json::json!({ "reason": "the family asked to wait" })),
        )
        .await;
    assert_eq!(held.status, StatusCode::OK, "{:?}", held.body);
    let reply = browserish()
        .post(app.url(&format!("/desk/orders/{order}/act")))
        .header("cookie", &session)
        .form(&[
            ("csrf", token.as_str()),
            ("version", version.as_str()),
            ("action", "advance"),
            ("stage", "training"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::PRECONDITION_FAILED);
    let html = reply.text().await.unwrap();
    assert!(html.contains("id=\"changed\""), "{html}");
    assert!(
        html.contains("other@studio.example"),
        "who changed it: {html}"
    );
    assert_eq!(
        app.status_as(&order, &staff).await,
        "on_hold",
        "nothing applied"
    );
    assert!(
        html.contains("id=\"action-resume\""),
        "the page shows the order as it is now"
    );

    // Notes: an empty one is refused at its field; a real one is listed.
    let (_, html) = get(&app, &session, &path).await;
    let token = crate::pages::form_token(&html);
    let note = |text: &'static str| {
        let token = token.clone();
        let session = session.clone();
        let url = app.url(&format!("/desk/orders/{order}/notes"));
        async move {
            browserish()
                .post(url)
                .header("cookie", session)
                .form(&[("csrf", token.as_str()), ("note", text)])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(note("   ").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        note("Called the family: they are fine with a week's wait.")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (_, html) = get(&app, &session, &path).await;
    assert!(html.contains("they are fine with a week"), "{html}");
}

#[tokio::test]
async fn the_reports_page_draws_what_the_reports_count() {
    let app = TestApp::spawn().await;
    app.studio_member("staff@studio.example", &[Role::Staff])
        .await;
    app.submitted_order("machine_driven").await;
    app.create_order(&crate::helpers::order_body("human_driven"))
        .await;
    let session = page_session(&app, "staff@studio.example").await;
    let (status, html) = get(&app, &session, "/desk/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("role=\"img\"").count(), 3, "three charts");
    // The funnel's numbers stand beside its bars: two asked, one sent.
    let funnel = &html[html
        .find("id=\"funnel-numbers\"")
        .expect("the funnel's numbers")..];
    let cells: Vec<&str> = funnel
        .split("<td>")
        .skip(1)
        .take(5)
        .map(|c| c.split('<').next().unwrap_or_default())
        .collect();
    assert_eq!(cells, ["2", "1", "0", "0", "0"], "{funnel}");
    assert!(html.contains("None delivered in this range"));

    let (status, html) = get(&app, &session, "/desk/reports?from=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"from-error\""), "{html}");
    let (status, html) = get(
        &app,
        &session,
        "/desk/reports?from=2026-12-10&to=2026-12-01",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"to-error\""), "{html}");

    let customer = page_session(&app, "customer@example.com").await;
    assert_eq!(
        get(&app, &customer, "/desk/reports").await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_admin_pages_are_for_admins_and_an_admin_cannot_lock_themself_out() {
    let app = TestApp::spawn().await;
    app.studio_member("staff@studio.example", &[Role::Staff])
        .await;
    app.studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let staff = page_session(&app, "staff@studio.example").await;
    assert_eq!(
        get(&app, &staff, "/desk/admin").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, &staff, "/desk/audit").await.0,
        StatusCode::FORBIDDEN
    );

    let admin = page_session(&app, "admin@studio.example").await;
    let (status, html) = get(&app, &admin, "/desk/admin").await;
    assert_eq!(status, StatusCode::OK);
    let token = crate::pages::form_token(&html);
    let me = keepsake::db::users::find_by_email(
        &app.state.db,
        &keepsake::domain::account::Email::parse("admin@studio.example").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    // Dropping one's own admin role is refused, said on the page, and changes nothing.
    let reply = browserish()
        .post(app.url(&format!("/desk/admin/users/{}", me.id)))
        .header("cookie", &admin)
        .form(&[("csrf", token.as_str()), ("role", "staff")])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::CONFLICT);
    assert!(reply.text().await.unwrap().contains("your own admin role"));
    let still = keepsake::db::users::find(&app.state.db, me.id)
        .await
        .unwrap()
        .unwrap();
    assert!(still.roles.contains(&Role::Admin));

    // An audit search for an object that is not there is said at its field.
    let (status, html) = get(&app, &admin, "/desk/audit?object=KS-2026-999999").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"object-error\""));
}

#[tokio::test]
async fn an_admin_tries_a_failed_mail_again_and_verifies_the_ledger() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn().await;
    app.studio_member("staff@studio.example", &[Role::Staff])
        .await;
    app.studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let order = app.submitted_order("machine_driven").await;
    // The submission's mail failed for good at the server (as the relay records it).
    let backend = app.state.db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "UPDATE outbox SET status = 'failed', attempts = 6, last_error = '550 mailbox unavailable' WHERE order_id = $1"
        }
        _ => {
            "UPDATE outbox SET status = 'failed', attempts = 6, last_error = '550 mailbox unavailable' WHERE order_id = ?"
        }
    };
    let id = uuid::Uuid::parse_str(&order).unwrap();
    app.state
        .db
        .execute_raw(Statement::from_sql_and_values(backend, sql, [id.into()]))
        .await
        .unwrap();

    let staff = page_session(&app, "staff@studio.example").await;
    assert_eq!(
        get(&app, &staff, "/desk/outbox").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, &staff, "/desk/ledger?run=1").await.0,
        StatusCode::FORBIDDEN
    );

    let admin = page_session(&app, "admin@studio.example").await;
    let (status, html) = get(&app, &admin, "/desk/outbox?status=failed").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("550 mailbox unavailable"), "{html}");
    let at = html.find("/retry\"").expect("a try-again form");
    let start = html[..at].rfind("/desk/outbox/").unwrap();
    let action = html[start..at + 6].to_owned();
    let token = crate::pages::form_token(&html);
    let retry = || {
        browserish()
            .post(app.url(&action))
            .header("cookie", &admin)
            .form(&[("csrf", token.as_str())])
            .send()
    };
    assert_eq!(retry().await.unwrap().status(), StatusCode::SEE_OTHER);
    let rows = keepsake::db::entities::outbox_message::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    let row = rows.iter().find(|r| r.order_id == Some(id)).unwrap();
    assert_eq!(row.status.as_str(), "queued");
    assert_eq!(row.attempts, 0);
    let retried = keepsake::db::entities::audit_event::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "notification.retried")
        .count();
    assert_eq!(retried, 1);
    // Once queued again it is not failed any more: a second try is refused, in words.
    let again = retry().await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);

    let (status, html) = get(&app, &admin, "/desk/ledger?run=1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("The ledger verifies"), "{html}");
}
