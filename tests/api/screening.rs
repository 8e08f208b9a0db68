//! The screening report: intake, time since death, sufficiency and the risk flags the system
//! raises itself — for the studio only.

use keepsake::domain::account::Role;
use keepsake::media::samples;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, order_body};

#[tokio::test]
async fn the_studio_sees_risk_flags_that_follow_the_evidence() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reviewer = app
        .studio_member("reviewer@studio.example", &[Role::Reviewer])
        .await;
    let path = format!("/api/v1/orders/{order}/screening");
    let report = app
        .send(Method::GET, &path, &[("authorization", &reviewer)], None)
        .await;
    assert_eq!(report.status, StatusCode::OK, "{:?}", report.body);
    assert_eq!(report.body["risk_flags"], json!(["evidence_missing"]));
    assert!(report.body["days_since_death"].as_i64().unwrap() > 0);
    assert_eq!(report.body["sufficiency"]["passed"], false);
    assert_eq!(
        report.body["order"]["intake"]["purpose"],
        "to hear her voice once more on her birthday"
    );

    let certificate = app
        .upload_sample(&order, "document", "application/pdf", &samples::pdf())
        .await;
    assert_eq!(certificate.status, StatusCode::OK, "{:?}", certificate.body);
    let after = app
        .send(Method::GET, &path, &[("authorization", &reviewer)], None)
        .await;
    assert_eq!(after.body["risk_flags"], json!([]));

    let customer = app.get(&path).await;
    assert_eq!(customer.status, StatusCode::FORBIDDEN);
    assert_eq!(customer.code(), "studio_only");
}

#[tokio::test]
async fn a_living_minor_who_is_not_the_customer_raises_two_flags() {
    let app = TestApp::spawn().await;
    let mut body = order_body("human_driven");
    body["subject"] = json!({ "name": "Xiao Ming", "requester_relationship": "parent", "birth_date": "2015-03-01", "living": true });
    let order = app.create_order(&body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let report = app
        .send(
            Method::GET,
            &format!("/api/v1/orders/{order}/screening"),
            &[("authorization", &staff)],
            None,
        )
        .await;
    assert_eq!(
        report.body["risk_flags"],
        json!(["living_subject_not_customer", "minor_subject"])
    );
    assert!(report.body["days_since_death"].is_null());
}

#[tokio::test]
async fn the_studio_marks_a_public_figure_with_if_match_and_an_audit_record() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let path = format!("/api/v1/orders/{order}/screening");
    let mark = json!({ "public_figure": true });

    let without = app
        .send(
            Method::PATCH,
            &path,
            &[("authorization", &staff)],
            Some(&mark),
        )
        .await;
    assert_eq!(without.status, StatusCode::PRECONDITION_REQUIRED);
    let marked = app
        .send(
            Method::PATCH,
            &path,
            &[("authorization", &staff), ("if-match", "\"v1\"")],
            Some(&mark),
        )
        .await;
    assert_eq!(marked.status, StatusCode::OK, "{:?}", marked.body);
    assert_eq!(
        marked.body["risk_flags"],
        json!(["public_figure", "evidence_missing"])
    );
    assert_eq!(marked.etag(), "\"v2\"");
    let stale = app
        .send(
            Method::PATCH,
            &path,
            &[("authorization", &staff), ("if-match", "\"v1\"")],
            Some(&mark),
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);

    let by_customer = app
        .send(Method::PATCH, &path, &[("if-match", "\"v2\"")], Some(&mark))
        .await;
    assert_eq!(by_customer.code(), "studio_only");
    let order_view = app.get(&format!("/api/v1/orders/{order}")).await;
    assert!(
        order_view.body.get("public_figure").is_none(),
        "the studio's mark is not shown to the customer"
    );
    let events = keepsake::audit::events_for(&app.state.db, order.parse().unwrap())
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.action == "order.public_figure_set"));
}
