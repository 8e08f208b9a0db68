//! Screening decisions: each path and the state it leads to, the sufficiency override, who may
//! decide (separation of duties), and the ledger events they leave.

use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn proceeding_needs_passing_samples_or_a_written_override() {
    let app = TestApp::spawn().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let order = app.submitted_order("machine_driven").await;

    let early = app
        .decide_screening(&order, &reviewer, &json!({ "decision": "proceed" }))
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{:?}", early.body);
    assert_eq!(
        early.code(),
        "invalid_transition",
        "decisions wait for screening"
    );

    let started = app.act(&order, "start_screening", &reviewer, None).await;
    assert_eq!(started.body["status"], "screening", "{:?}", started.body);

    let refused = app
        .decide_screening(&order, &reviewer, &json!({ "decision": "proceed" }))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.code(), "sufficiency_not_met");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("more photos")
    );
    let blank = app
        .decide_screening(
            &order,
            &reviewer,
            &json!({ "decision": "proceed", "sufficiency_override_reason": "   " }),
        )
        .await;
    assert_eq!(blank.code(), "sufficiency_not_met");
    assert_eq!(
        app.status_of(&order).await,
        "screening",
        "refusals change nothing"
    );

    let proceeded = app
        .decide_screening(
            &order,
            &reviewer,
            &json!({ "decision": "proceed", "sufficiency_override_reason": "few photos, but the voice notes are long and clear" }),
        )
        .await;
    assert_eq!(proceeded.status, StatusCode::OK, "{:?}", proceeded.body);
    assert_eq!(proceeded.body["status"], "consent_review");

    let events = keepsake::db::ledger::for_order(&app.state.db, order.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let content: serde_json::Value = serde_json::from_str(&events[0].content).unwrap();
    assert_eq!(content["decision"], "proceed");
    assert_eq!(content["sufficiency_overridden"], true);
    assert!(
        !events[0].content.contains("voice notes"),
        "free text stays out of the hashed bytes"
    );
    assert!(
        events[0]
            .personal
            .as_deref()
            .unwrap()
            .contains("voice notes")
    );
}

#[tokio::test]
async fn sufficient_samples_proceed_without_an_override() {
    let app = TestApp::spawn_with(|s| {
        s.sufficiency.machine_driven.min_photos = 1;
        s.sufficiency.machine_driven.min_voice_secs = 0;
        s.sufficiency.machine_driven.min_video_secs = 0;
    })
    .await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let order = app.submitted_order("machine_driven").await;
    app.act(&order, "start_screening", &reviewer, None).await;
    let proceeded = app
        .decide_screening(&order, &reviewer, &json!({ "decision": "proceed" }))
        .await;
    assert_eq!(proceeded.status, StatusCode::OK, "{:?}", proceeded.body);
    assert_eq!(proceeded.body["status"], "consent_review");
}

#[tokio::test]
async fn decline_refer_and_needs_info_need_reasons_and_lead_where_they_should() {
    let app = TestApp::spawn().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;

    // decline → declined, with a reason.
    let declined = app.submitted_order("machine_driven").await;
    app.act(&declined, "start_screening", &reviewer, None).await;
    let no_reason = app
        .decide_screening(&declined, &reviewer, &json!({ "decision": "decline" }))
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.code(), "reason_required");
    let reply = app
        .decide_screening(
            &declined,
            &reviewer,
            &json!({ "decision": "decline", "reason": "the requester is not a close relative" }),
        )
        .await;
    assert_eq!(reply.body["status"], "declined", "{:?}", reply.body);

    // refer → on hold (counselling suggested); staff resume it to screening.
    let referred = app.submitted_order("human_driven").await;
    app.act(&referred, "start_screening", &reviewer, None).await;
    let reply = app
        .decide_screening(
            &referred,
            &reviewer,
            &json!({ "decision": "refer", "reason": "acute grief: suggest a counsellor first" }),
        )
        .await;
    assert_eq!(reply.body["status"], "on_hold", "{:?}", reply.body);
    let customer_resume = app.act(&referred, "resume", &app.auth, None).await;
    assert_eq!(customer_resume.status, StatusCode::FORBIDDEN);
    let resumed = app.act(&referred, "resume", &staff, None).await;
    assert_eq!(resumed.body["status"], "screening", "{:?}", resumed.body);

    // needs_info → needs_info; the customer answers and resubmits → back to screening.
    let asked = app.submitted_order("machine_driven").await;
    app.act(&asked, "start_screening", &reviewer, None).await;
    let reply = app
        .decide_screening(
            &asked,
            &reviewer,
            &json!({ "decision": "needs_info", "reason": "please upload proof that you are her son" }),
        )
        .await;
    assert_eq!(reply.body["status"], "needs_info", "{:?}", reply.body);
    let timeline = app.get(&format!("/api/v1/orders/{asked}/events")).await;
    assert_eq!(timeline.status, StatusCode::OK, "{:?}", timeline.body);
    let last = timeline.body.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "screening.decided");
    assert_eq!(last["status"], "needs_info");
    assert_eq!(
        last["message"],
        "The studio asks: please upload proof that you are her son"
    );
    assert!(
        last.get("actor").is_none(),
        "the customer is not told who decided"
    );
    let studio_view = app
        .send(
            Method::GET,
            &format!("/api/v1/orders/{asked}/events"),
            &[("authorization", &staff)],
            None,
        )
        .await;
    let studio_last = studio_view.body.as_array().unwrap().last().unwrap().clone();
    assert!(studio_last["actor"].as_str().unwrap().starts_with("user:"));
    let etag = app.etag_of(&asked, None).await;
    let edited = app
        .send(
            Method::PATCH,
            &format!("/api/v1/orders/{asked}"),
            &[("if-match", &etag)],
            Some(&json!({ "intake": {
                "purpose": "to hear her voice once more",
                "family_awareness": "my father and brother know",
                "support_network": "my wife and a counsellor"
            } })),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    let resubmitted = app.act(&asked, "submit", &app.auth, None).await;
    assert_eq!(
        resubmitted.body["status"], "screening",
        "{:?}",
        resubmitted.body
    );

    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let verified = app.verify_ledger(&admin).await;
    assert_eq!(verified["ok"], true, "{verified}");
    assert_eq!(verified["events_checked"], 3);
}

#[tokio::test]
async fn only_reviewers_who_never_worked_on_the_order_decide() {
    let app = TestApp::spawn().await;
    let order = app.submitted_order("machine_driven").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let both = app
        .studio_member("both@studio.example", &[Role::Staff, Role::Reviewer])
        .await;
    for (token, code) in [
        (&app.auth, "reviewers_only"),
        (&staff, "reviewers_only"),
        (&admin, "reviewers_only"),
    ] {
        let reply = app.act(&order, "start_screening", token, None).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{:?}", reply.body);
        assert_eq!(reply.code(), code);
    }
    let started = app.act(&order, "start_screening", &both, None).await;
    assert_eq!(
        started.status,
        StatusCode::OK,
        "a staff+reviewer may review others' work"
    );

    // The same person holds and resumes the order as staff: now another reviewer must decide.
    let held = app
        .act(
            &order,
            "hold",
            &both,
            Some(&json!({ "reason": "waiting for the deposit" })),
        )
        .await;
    assert_eq!(held.body["status"], "on_hold", "{:?}", held.body);
    app.act(&order, "resume", &both, None).await;
    let refused = app
        .decide_screening(
            &order,
            &both,
            &json!({ "decision": "decline", "reason": "x" }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    assert_eq!(refused.code(), "separation_of_duties");
    assert_eq!(app.status_of(&order).await, "screening");

    let other = app.reviewer("other-reviewer@studio.example").await;
    let decided = app
        .decide_screening(
            &order,
            &other,
            &json!({ "decision": "decline", "reason": "no evidence of relationship" }),
        )
        .await;
    assert_eq!(decided.body["status"], "declined", "{:?}", decided.body);
}

#[tokio::test]
async fn a_hold_needs_a_reason() {
    let app = TestApp::spawn().await;
    let order = app.submitted_order("machine_driven").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let reply = app.act(&order, "hold", &staff, None).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.code(), "reason_required");
    assert_eq!(app.status_of(&order).await, "submitted");
}

#[tokio::test]
async fn a_reviewer_never_screens_their_own_order() {
    let app = TestApp::spawn().await;
    let order = app.submitted_order("machine_driven").await;
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let me = app.get("/api/v1/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let promoted = app
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{me}"),
            &[("authorization", &admin)],
            Some(&json!({ "roles": ["customer", "reviewer"] })),
        )
        .await;
    assert_eq!(promoted.status, StatusCode::OK, "{:?}", promoted.body);
    let own = app.act(&order, "start_screening", &app.auth, None).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{:?}", own.body);
    assert_eq!(own.code(), "separation_of_duties");
    assert_eq!(app.status_of(&order).await, "submitted");
}
