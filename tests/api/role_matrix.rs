//! The role matrix: every route in the OpenAPI document × {anonymous, the order's customer,
//! another customer, staff, reviewer, admin} → the status each must get. The routes come from
//! the router's own description, so a new route without a row here fails this test.
//!
//! Each probe is built to stop right after the authorization decision where it can (a stale
//! If-Match, an empty declaration), so the matrix changes nothing it later depends on.

use keepsake::domain::account::Role;
use keepsake::media::samples;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TEST_PASSWORD, TestApp, order_body};

const CALLERS: [&str; 6] = [
    "anonymous",
    "owner",
    "other customer",
    "staff",
    "reviewer",
    "admin",
];

struct Probe {
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<Value>,
    /// Expected status per caller, in CALLERS order.
    expect: [u16; 6],
    /// Log each caller in afresh for this probe (it ends the session).
    fresh_session: bool,
}

fn probe(path: String, expect: [u16; 6]) -> Probe {
    Probe {
        path,
        headers: Vec::new(),
        body: None,
        expect,
        fresh_session: false,
    }
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_matrix_says() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sample = app
        .upload_sample(&order, "photo", "image/jpeg", &samples::jpeg(600, 600))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.customer("other@example.com").await;
    let other_id = app
        .send(
            Method::GET,
            "/api/v1/me",
            &[("authorization", &other)],
            None,
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let emails = [
        "",
        "customer@example.com",
        "other@example.com",
        "staff@studio.example",
        "reviewer@studio.example",
        "admin@studio.example",
    ];
    let tokens = [
        String::new(),
        app.auth.clone(),
        other.clone(),
        app.studio_member(emails[3], &[Role::Staff]).await,
        app.studio_member(emails[4], &[Role::Reviewer]).await,
        app.studio_member(emails[5], &[Role::Admin]).await,
    ];

    let text = app
        .send(
            Method::POST,
            "/api/v1/consent-texts",
            &[("authorization", &tokens[5])],
            Some(&json!({ "jurisdiction": "CN", "party": "requester", "language": "en", "body": "I agree." })),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let o = format!("/api/v1/orders/{order}");
    let invitation = app
        .invite(
            &order,
            &json!({ "party": "relative", "relationship": "parent", "invitee_name": "Chen Hua" }),
        )
        .await;
    assert_eq!(
        invitation.status,
        StatusCode::CREATED,
        "{:?}",
        invitation.body
    );
    let link = invitation.body["path"].as_str().unwrap().to_owned();
    let wrong_signature = json!({ "party": "relative", "text_id": text, "signer_name": "x", "grants": { "modalities": [], "purposes": [] } });
    let s = format!("{o}/samples/{sample}");
    // No deliverable exists on a draft: every caller who may look learns only that.
    let d = format!("{o}/deliverables/{}", uuid::Uuid::nil());
    let it = format!("{o}/iterations/{}", uuid::Uuid::nil());
    let dr = format!("/api/v1/data-requests/{}", uuid::Uuid::nil());
    let stale = || vec![("if-match", "\"v999\"".to_owned())];
    let rows: Vec<(Method, &str, Probe)> = vec![
        (Method::GET, "/healthz", probe("/healthz".into(), [200; 6])),
        (Method::GET, "/readyz", probe("/readyz".into(), [200; 6])),
        (
            Method::GET,
            "/api/openapi.json",
            probe("/api/openapi.json".into(), [200; 6]),
        ),
        (
            Method::POST,
            "/api/v1/auth/register",
            Probe {
                body: Some(json!({ "email": "{unique}", "password": TEST_PASSWORD })),
                ..probe("/api/v1/auth/register".into(), [201; 6])
            },
        ),
        (
            Method::POST,
            "/api/v1/auth/login",
            Probe {
                body: Some(json!({ "email": "{unique}", "password": "not it at all" })),
                ..probe("/api/v1/auth/login".into(), [401; 6])
            },
        ),
        (
            Method::POST,
            "/api/v1/auth/logout",
            Probe {
                fresh_session: true,
                ..probe("/api/v1/auth/logout".into(), [401, 204, 204, 204, 204, 204])
            },
        ),
        (
            Method::GET,
            "/api/v1/me",
            probe("/api/v1/me".into(), [401, 200, 200, 200, 200, 200]),
        ),
        (
            Method::GET,
            "/api/v1/audit",
            probe("/api/v1/audit".into(), [401, 403, 403, 403, 403, 200]),
        ),
        (
            Method::GET,
            "/api/v1/users",
            probe("/api/v1/users".into(), [401, 403, 403, 403, 403, 200]),
        ),
        (
            Method::POST,
            "/api/v1/users",
            Probe {
                body: Some(
                    json!({ "email": "{unique}", "password": TEST_PASSWORD, "roles": ["staff"] }),
                ),
                ..probe("/api/v1/users".into(), [401, 403, 403, 403, 403, 201])
            },
        ),
        (
            Method::PATCH,
            "/api/v1/users/{id}",
            Probe {
                body: Some(json!({ "roles": ["customer"] })),
                ..probe(
                    format!("/api/v1/users/{other_id}"),
                    [401, 403, 403, 403, 403, 200],
                )
            },
        ),
        (
            Method::GET,
            "/api/v1/consent-texts",
            probe("/api/v1/consent-texts".into(), [200; 6]),
        ),
        (
            Method::GET,
            "/api/v1/consent-texts/{id}",
            probe(format!("/api/v1/consent-texts/{text}"), [200; 6]),
        ),
        (
            Method::POST,
            "/api/v1/consent-texts",
            Probe {
                body: Some(
                    json!({ "jurisdiction": "CN", "party": "actor", "language": "en", "body": "I agree to {unique}." }),
                ),
                ..probe(
                    "/api/v1/consent-texts".into(),
                    [401, 403, 403, 403, 403, 201],
                )
            },
        ),
        (
            Method::GET,
            "/api/v1/orders",
            probe("/api/v1/orders".into(), [401, 200, 200, 200, 200, 200]),
        ),
        (
            Method::POST,
            "/api/v1/orders",
            Probe {
                headers: vec![("idempotency-key", "{unique}".into())],
                body: Some(order_body("human_driven")),
                ..probe("/api/v1/orders".into(), [401, 201, 201, 403, 403, 403])
            },
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}",
            probe(o.clone(), [401, 200, 404, 200, 200, 200]),
        ),
        (
            Method::PATCH,
            "/api/v1/orders/{id}",
            Probe {
                headers: stale(),
                body: Some(json!({ "jurisdiction": "HK" })),
                ..probe(o.clone(), [401, 412, 404, 403, 403, 403])
            },
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/actions/{action}",
            Probe {
                headers: stale(),
                ..probe(
                    format!("{o}/actions/submit"),
                    [401, 412, 404, 403, 403, 403],
                )
            },
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/samples",
            probe(format!("{o}/samples"), [401, 200, 404, 200, 200, 200]),
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/samples",
            Probe {
                body: Some(
                    json!({ "kind": "photo", "file_name": "a.jpg", "size": 0, "sha256": "a".repeat(64), "content_type": "image/jpeg" }),
                ),
                ..probe(format!("{o}/samples"), [401, 422, 404, 403, 403, 403])
            },
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/samples/{sid}",
            probe(s.clone(), [401, 200, 404, 200, 200, 200]),
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/samples/{sid}/upload",
            probe(format!("{s}/upload"), [401, 409, 404, 403, 403, 403]),
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/samples/{sid}/parts",
            Probe {
                body: Some(json!({ "parts": [{ "part_number": 1, "sha256": "a".repeat(64) }] })),
                ..probe(format!("{s}/parts"), [401, 409, 404, 403, 403, 403])
            },
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/samples/{sid}/complete",
            probe(format!("{s}/complete"), [401, 409, 404, 403, 403, 403]),
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/samples/{sid}/download",
            probe(format!("{s}/download"), [401, 200, 404, 200, 200, 200]),
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/deliverables",
            probe(format!("{o}/deliverables"), [401, 200, 404, 200, 200, 200]),
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/deliverables",
            Probe {
                body: Some(
                    json!({ "kind": "video", "file_name": "a.mp4", "size": 0, "sha256": "a".repeat(64), "content_type": "video/mp4" }),
                ),
                ..probe(format!("{o}/deliverables"), [401, 403, 404, 409, 403, 409])
            },
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/deliverables/{did}",
            probe(d.clone(), [401, 404, 404, 404, 404, 404]),
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/deliverables/{did}/upload",
            probe(format!("{d}/upload"), [401, 403, 404, 404, 403, 404]),
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/deliverables/{did}/parts",
            Probe {
                body: Some(json!({ "parts": [{ "part_number": 1, "sha256": "a".repeat(64) }] })),
                ..probe(format!("{d}/parts"), [401, 403, 404, 404, 403, 404])
            },
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/deliverables/{did}/complete",
            probe(format!("{d}/complete"), [401, 403, 404, 404, 403, 404]),
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/deliverables/{did}/download",
            probe(format!("{d}/download"), [401, 404, 404, 404, 404, 404]),
        ),
        (
            Method::PUT,
            "/api/v1/orders/{id}/sample-retention",
            Probe {
                headers: stale(),
                body: Some(json!({ "keep_for_iterations": true })),
                ..probe(
                    format!("{o}/sample-retention"),
                    [401, 412, 404, 403, 403, 403],
                )
            },
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/erasure",
            Probe {
                body: Some(json!({ "confirm_reference": "not the reference" })),
                ..probe(format!("{o}/erasure"), [401, 422, 404, 403, 403, 403])
            },
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/destruction-certificate",
            probe(
                format!("{o}/destruction-certificate"),
                [401, 404, 404, 404, 404, 404],
            ),
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/iterations",
            probe(format!("{o}/iterations"), [401, 200, 404, 200, 200, 200]),
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/iterations",
            Probe {
                headers: vec![("idempotency-key", "{unique}".to_owned())],
                body: Some(
                    json!({ "description": "a new clip", "needs": { "modalities": ["voice"] }, "price": { "amount_minor": 100, "currency": "CNY" } }),
                ),
                ..probe(format!("{o}/iterations"), [401, 403, 404, 409, 403, 409])
            },
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/iterations/{iid}",
            probe(it.clone(), [401, 404, 404, 404, 404, 404]),
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/iterations/{iid}/actions/{action}",
            Probe {
                headers: stale(),
                ..probe(
                    format!("{it}/actions/start"),
                    [401, 403, 404, 404, 403, 404],
                )
            },
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/iterations/{iid}/consents",
            Probe {
                body: Some(
                    json!({ "party": "requester", "text_id": uuid::Uuid::nil(), "signer_name": "x", "grants": { "modalities": ["face"], "purposes": ["training"] } }),
                ),
                ..probe(format!("{it}/consents"), [401, 404, 404, 403, 403, 403])
            },
        ),
        (
            Method::POST,
            "/api/v1/data-requests",
            Probe {
                body: Some(
                    json!({ "kind": "access", "order_reference": "KS-1999-000001", "relationship_to_subject": "child" }),
                ),
                // No order has this reference: queued all the same (issue 12, defect 3).
                ..probe(
                    "/api/v1/data-requests".into(),
                    [401, 202, 202, 202, 202, 202],
                )
            },
        ),
        (
            Method::GET,
            "/api/v1/data-requests",
            probe(
                "/api/v1/data-requests".into(),
                [401, 200, 200, 200, 200, 200],
            ),
        ),
        (
            Method::GET,
            "/api/v1/data-requests/{rid}",
            probe(dr.clone(), [401, 404, 404, 404, 404, 404]),
        ),
        (
            Method::POST,
            "/api/v1/data-requests/{rid}/identity",
            Probe {
                body: Some(json!({ "method": "id_document" })),
                ..probe(format!("{dr}/identity"), [401, 404, 404, 404, 404, 404])
            },
        ),
        (
            Method::POST,
            "/api/v1/data-requests/{rid}/decision",
            Probe {
                body: Some(json!({ "decision": "deny", "reason": "no" })),
                ..probe(format!("{dr}/decision"), [401, 404, 404, 404, 404, 404])
            },
        ),
        (
            Method::GET,
            "/api/v1/data-requests/{rid}/export",
            probe(format!("{dr}/export"), [401, 404, 404, 404, 404, 404]),
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/screening",
            probe(format!("{o}/screening"), [401, 403, 404, 200, 200, 200]),
        ),
        (
            Method::PATCH,
            "/api/v1/orders/{id}/screening",
            Probe {
                headers: stale(),
                body: Some(json!({ "public_figure": false })),
                ..probe(format!("{o}/screening"), [401, 403, 404, 412, 412, 412])
            },
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/screening/decision",
            Probe {
                headers: stale(),
                body: Some(json!({ "decision": "proceed" })),
                ..probe(
                    format!("{o}/screening/decision"),
                    [401, 403, 404, 403, 412, 403],
                )
            },
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/consents",
            Probe {
                body: Some(wrong_signature.clone()),
                ..probe(format!("{o}/consents"), [401, 422, 404, 403, 403, 403])
            },
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/consents",
            probe(format!("{o}/consents"), [401, 200, 404, 200, 200, 200]),
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/consents/{cid}/withdraw",
            probe(
                format!("{o}/consents/{}/withdraw", uuid::Uuid::now_v7()),
                [401, 404, 404, 404, 404, 404],
            ),
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/events",
            probe(format!("{o}/events"), [401, 200, 404, 200, 200, 200]),
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/consent-status",
            probe(
                format!("{o}/consent-status"),
                [401, 200, 404, 200, 200, 200],
            ),
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/consent-receipt",
            probe(
                format!("{o}/consent-receipt"),
                [401, 409, 404, 409, 409, 409],
            ),
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/consent-invitations",
            Probe {
                body: Some(json!({ "party": "requester", "invitee_name": "x" })),
                ..probe(
                    format!("{o}/consent-invitations"),
                    [401, 422, 404, 403, 403, 403],
                )
            },
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/consent-invitations",
            probe(
                format!("{o}/consent-invitations"),
                [401, 200, 404, 200, 200, 200],
            ),
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/consent-invitations/{token}",
            probe(link.clone(), [200; 6]),
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/consent-invitations/{token}/sign",
            Probe {
                body: Some(
                    json!({ "text_id": text, "signer_name": "x", "grants": { "modalities": ["face"], "purposes": ["training"] } }),
                ),
                ..probe(format!("{link}/sign"), [422; 6])
            },
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/consent-invitations/{token}/withdraw",
            probe(format!("{link}/withdraw"), [409; 6]),
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/consent-review",
            Probe {
                headers: stale(),
                body: Some(json!({ "decision": "approve" })),
                ..probe(
                    format!("{o}/consent-review"),
                    [401, 403, 404, 403, 412, 403],
                )
            },
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/assign",
            Probe {
                headers: stale(),
                body: Some(json!({ "assignee_id": null })),
                ..probe(format!("{o}/assign"), [401, 403, 404, 412, 403, 412])
            },
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/notes",
            Probe {
                body: Some(json!({ "body": " " })),
                ..probe(format!("{o}/notes"), [401, 403, 404, 422, 422, 422])
            },
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/notes",
            probe(format!("{o}/notes"), [401, 403, 404, 200, 200, 200]),
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/production",
            probe(format!("{o}/production"), [401, 403, 404, 200, 200, 200]),
        ),
        (
            Method::GET,
            "/api/v1/board",
            probe("/api/v1/board".into(), [401, 403, 403, 200, 200, 200]),
        ),
        (
            Method::GET,
            "/api/v1/outbox",
            probe("/api/v1/outbox".into(), [401, 403, 403, 403, 403, 200]),
        ),
        (
            Method::GET,
            "/api/v1/inquiries",
            probe("/api/v1/inquiries".into(), [401, 403, 403, 200, 200, 200]),
        ),
        (
            Method::GET,
            "/api/v1/labels/{sha256}",
            probe(format!("/api/v1/labels/{}", "0".repeat(64)), [200; 6]),
        ),
        (
            // Public: anyone may send a file; the probe sends none, which is the same 400 for all.
            Method::POST,
            "/api/v1/labels/check",
            probe("/api/v1/labels/check".into(), [400; 6]),
        ),
        (
            Method::GET,
            "/api/v1/reports/sla",
            probe(
                "/api/v1/reports/sla?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z".into(),
                [401, 403, 403, 200, 200, 200],
            ),
        ),
        (
            Method::GET,
            "/api/v1/reports/funnel",
            probe(
                "/api/v1/reports/funnel?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z".into(),
                [401, 403, 403, 200, 200, 200],
            ),
        ),
        (
            Method::GET,
            "/api/v1/stage-templates",
            probe(
                "/api/v1/stage-templates".into(),
                [401, 403, 403, 200, 200, 200],
            ),
        ),
        (
            Method::POST,
            "/api/v1/stage-templates",
            Probe {
                body: Some(json!({ "delivery_mode": "machine_driven", "stages": [] })),
                ..probe(
                    "/api/v1/stage-templates".into(),
                    [401, 403, 403, 403, 403, 422],
                )
            },
        ),
        (
            Method::GET,
            "/api/v1/ledger/verify",
            probe(
                "/api/v1/ledger/verify".into(),
                [401, 403, 403, 403, 200, 200],
            ),
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/sufficiency",
            probe(format!("{o}/sufficiency"), [401, 200, 404, 200, 200, 200]),
        ),
        (
            Method::POST,
            "/api/v1/payments",
            Probe {
                headers: vec![("idempotency-key", "{unique}".to_owned())],
                body: Some(
                    json!({ "order_id": order, "kind": "deposit", "amount_minor": 0, "currency": "CNY" }),
                ),
                ..probe("/api/v1/payments".into(), [401, 403, 403, 422, 403, 422])
            },
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/payments",
            probe(format!("{o}/payments"), [401, 200, 404, 200, 200, 200]),
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/live-sessions",
            Probe {
                headers: vec![("idempotency-key", "{unique}".to_owned())],
                body: Some(
                    json!({ "scheduled_at": "2020-01-01T00:00:00Z", "actor_consent_id": uuid::Uuid::nil(), "participants": [] }),
                ),
                ..probe(format!("{o}/live-sessions"), [401, 403, 404, 422, 403, 422])
            },
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}/live-sessions",
            probe(format!("{o}/live-sessions"), [401, 200, 404, 200, 200, 200]),
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/live-sessions/{sid}/log",
            Probe {
                body: Some(json!({ "duration_minutes": 30, "ai_label_shown": true })),
                ..probe(
                    format!("{o}/live-sessions/{}/log", uuid::Uuid::nil()),
                    [401, 403, 404, 404, 403, 404],
                )
            },
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/live-sessions/{sid}/cancel",
            Probe {
                body: Some(json!({ "reason": "probe" })),
                ..probe(
                    format!("{o}/live-sessions/{}/cancel", uuid::Uuid::nil()),
                    [401, 403, 404, 404, 403, 404],
                )
            },
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/live-sessions/{sid}/review",
            Probe {
                body: Some(json!({ "reason": "probe" })),
                ..probe(
                    format!("{o}/live-sessions/{}/review", uuid::Uuid::nil()),
                    [401, 403, 404, 403, 404, 403],
                )
            },
        ),
        (
            Method::GET,
            "/api/v1/live-sessions",
            probe(
                "/api/v1/live-sessions?flagged=true".into(),
                [401, 403, 403, 200, 200, 200],
            ),
        ),
    ];

    let doc = app.get("/api/openapi.json").await.body;
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    for (method, path) in &documented {
        assert!(
            rows.iter()
                .any(|(m, p, _)| m.as_str() == method && p == path),
            "{method} {path} has no row in the role matrix: add one"
        );
    }
    assert_eq!(
        rows.len(),
        documented.len(),
        "every row is a documented route"
    );

    let mut counter = 0;
    let mut failures = Vec::new();
    for (method, route, probe) in &rows {
        for (who, caller) in CALLERS.iter().enumerate() {
            counter += 1;
            let unique = format!("matrix{counter}@example.com");
            let token = if probe.fresh_session && who > 0 {
                app.login(emails[who]).await
            } else {
                tokens[who].clone()
            };
            let mut headers: Vec<(&str, String)> = probe
                .headers
                .iter()
                .map(|(k, v)| (*k, v.replace("{unique}", &unique)))
                .collect();
            if who > 0 {
                headers.push(("authorization", token));
            }
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let body = probe.body.as_ref().map(|b| {
                serde_json::from_str::<Value>(&b.to_string().replace("{unique}", &unique)).unwrap()
            });
            let reply = app
                .send_anonymous(method.clone(), &probe.path, &headers, body.as_ref())
                .await;
            let expected = StatusCode::from_u16(probe.expect[who]).unwrap();
            if reply.status != expected {
                failures.push(format!(
                    "{method} {route} as {caller}: expected {expected}, got {} {}",
                    reply.status, reply.body
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "role matrix mismatches:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn fields_a_customer_may_not_set_are_refused() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for field in [
        json!({ "status": "queued" }),
        json!({ "customer_id": uuid::Uuid::nil() }),
        json!({ "price": 1 }),
        json!({ "version": 9 }),
    ] {
        let reply = app
            .send(
                Method::PATCH,
                &format!("/api/v1/orders/{order}"),
                &[("if-match", "\"v1\"")],
                Some(&field),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert_eq!(reply.code(), "invalid_body");
    }
    assert_eq!(
        app.get(&format!("/api/v1/orders/{order}")).await.body["status"],
        "draft"
    );
}
