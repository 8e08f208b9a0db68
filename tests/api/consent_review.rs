//! The reviewer's consent decision: refused while consents are missing or the subject refused,
//! approve → queued with due times, reject → declined, needs_info → back after resubmission;
//! separation of duties.

use chrono::{DateTime, Utc};
use keepsake::domain::account::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn approval_waits_for_every_required_consent_then_queues_with_due_times() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let order = app.screened_order("machine_driven", &reviewer).await;

    let early = app
        .review_consents(&order, &reviewer, &json!({ "decision": "approve" }))
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{:?}", early.body);
    assert_eq!(early.code(), "consents_missing");
    assert!(
        early.body["detail"]
            .as_str()
            .unwrap()
            .contains("death certificate")
    );
    assert_eq!(app.status_of(&order).await, "consent_review");

    let signed = app
        .sign_requester(&order, &texts["requester"], "machine_driven")
        .await;
    assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);
    let approved = app
        .review_consents(&order, &reviewer, &json!({ "decision": "approve" }))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_eq!(approved.body["status"], "queued");
    let at = |field: &str| {
        approved.body[field]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap()
    };
    assert_eq!((at("due_at") - at("queued_at")).num_days(), 5);
    assert_eq!((at("promised_at") - at("queued_at")).num_days(), 7);

    let again = app
        .review_consents(&order, &reviewer, &json!({ "decision": "approve" }))
        .await;
    assert_eq!(again.code(), "invalid_transition", "decided once");

    let events = keepsake::db::ledger::for_order(&app.state.db, order.parse().unwrap())
        .await
        .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "screening.decided",
            "consent.signed",
            "consent_review.decided"
        ]
    );
}

#[tokio::test]
async fn reject_and_needs_info_need_reasons_and_lead_where_they_should() {
    let app = TestApp::spawn().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let rejected = app.screened_order("machine_driven", &reviewer).await;
    let no_reason = app
        .review_consents(&rejected, &reviewer, &json!({ "decision": "reject" }))
        .await;
    assert_eq!(no_reason.code(), "reason_required");
    let reply = app
        .review_consents(&rejected, &reviewer, &json!({ "decision": "reject", "reason": "the proof of relationship is someone else's" }))
        .await;
    assert_eq!(reply.body["status"], "declined", "{:?}", reply.body);

    let asked = app.screened_order("machine_driven", &reviewer).await;
    let reply = app
        .review_consents(
            &asked,
            &reviewer,
            &json!({ "decision": "needs_info", "reason": "please add your father's consent" }),
        )
        .await;
    assert_eq!(reply.body["status"], "needs_info", "{:?}", reply.body);
    assert_eq!(reply.body["resume_status"], "consent_review");
    let back = app.act(&asked, "submit", &app.auth, None).await;
    assert_eq!(back.body["status"], "consent_review", "{:?}", back.body);
}

#[tokio::test]
async fn a_documented_refusal_blocks_screening_and_approval() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let order = app.submitted_order("machine_driven").await;
    app.sign_requester(&order, &texts["requester"], "machine_driven")
        .await;
    let docs = app.document_ids(&order).await;
    let wishes = app
        .post(
            &format!("/api/v1/orders/{order}/consents"),
            &json!({ "party": "subject_wishes", "text_id": texts["subject_wishes"], "signer_name": "Chen Jun", "decision": "refused",
                     "grants": { "modalities": [], "purposes": [] },
                     "evidence": [{ "sample_id": docs[0], "document_type": "written_wishes" }] }),
        )
        .await;
    assert_eq!(wishes.status, StatusCode::CREATED, "{:?}", wishes.body);
    let status = app
        .get(&format!("/api/v1/orders/{order}/consent-status"))
        .await;
    assert_eq!(status.body["complete"], false);
    assert!(status.body["blocked"].as_str().unwrap().contains("wishes"));

    app.act(&order, "start_screening", &reviewer, None).await;
    let report = app
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/orders/{order}/screening"),
            &[("authorization", &reviewer)],
            None,
        )
        .await;
    assert!(
        report.body["risk_flags"]
            .as_array()
            .unwrap()
            .contains(&json!("subject_refused"))
    );
    let proceed = app
        .decide_screening(
            &order,
            &reviewer,
            &json!({ "decision": "proceed", "sufficiency_override_reason": "enough" }),
        )
        .await;
    assert_eq!(proceed.status, StatusCode::CONFLICT);
    assert_eq!(proceed.code(), "subject_refused");
    let declined = app
        .decide_screening(
            &order,
            &reviewer,
            &json!({ "decision": "decline", "reason": "she wrote that she did not want this" }),
        )
        .await;
    assert_eq!(declined.body["status"], "declined");
}

#[tokio::test]
async fn a_reviewer_who_worked_on_the_order_as_staff_may_not_approve_it() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let both = app
        .studio_member("both@studio.example", &[Role::Staff, Role::Reviewer])
        .await;
    let order = app.screened_order("machine_driven", &reviewer).await;
    app.sign_requester(&order, &texts["requester"], "machine_driven")
        .await;
    app.act(
        &order,
        "hold",
        &both,
        Some(&json!({ "reason": "checking the payment" })),
    )
    .await;
    app.act(&order, "resume", &both, None).await;
    let refused = app
        .review_consents(&order, &both, &json!({ "decision": "approve" }))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.code(), "separation_of_duties");
    let customer = app
        .review_consents(&order, &app.auth, &json!({ "decision": "approve" }))
        .await;
    assert_eq!(customer.code(), "reviewers_only");
    let approved = app
        .review_consents(&order, &reviewer, &json!({ "decision": "approve" }))
        .await;
    assert_eq!(approved.body["status"], "queued", "{:?}", approved.body);
}
