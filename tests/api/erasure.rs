//! Erasure and retention: every object of an order deleted (the prefix listed empty, no file
//! left on the embedded store's disk), personal data scrubbed, a tombstone and a ledger that
//! still verifies, the certificate of destruction; erasures due after a withdrawal; raw
//! samples purged after delivery unless the customer keeps them. Time is injected.

use base64::Engine;
use chrono::{Duration, Utc};
use keepsake::domain::account::Role;
use keepsake::media::samples;
use keepsake::privacy::retention;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, order_body};
use crate::reports::funnel_around_now;

/// Every file name under the embedded store's directory.
fn files_on_disk(app: &TestApp) -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            }
            out.push(path.to_string_lossy().into_owned());
        }
    }
    let mut out = Vec::new();
    walk(&app.data_dir().join("objects"), &mut out);
    out
}

async fn count(app: &TestApp, sql: &str, order: &str) -> i64 {
    let backend = app.state.db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => sql.replace('?', "$1"),
        _ => sql.to_owned(),
    };
    let id = uuid::Uuid::parse_str(order).unwrap();
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [id.into()]))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn reference_of(app: &TestApp, order: &str) -> String {
    app.get(&format!("/api/v1/orders/{order}")).await.body["reference"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_customer_erases_a_delivered_order_leaving_no_object_and_a_verifying_ledger() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let (order, deliverable) = app.delivered_order(&reviewer, &staff, &texts).await;
    let before = app.stored_keys(&order).await;
    assert!(before.len() >= 3, "samples and the deliverable: {before:?}");
    assert!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM ledger_events WHERE order_id = ? AND personal IS NOT NULL",
            &order
        )
        .await
            > 0
    );

    // Money recorded with an Idempotency-Key: its stored answer carries the note.
    let paid = app
        .send(
            Method::POST,
            "/api/v1/payments",
            &[("authorization", &staff), ("idempotency-key", "deposit-1")],
            Some(&json!({ "order_id": order, "kind": "quote", "amount_minor": 880_000, "currency": "CNY", "note": "quoted to Chen Jun by phone" })),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{:?}", paid.body);

    let not_yet = app
        .get(&format!("/api/v1/orders/{order}/destruction-certificate"))
        .await;
    assert_eq!(not_yet.code(), "not_erased");
    let other = app.customer("other@example.com").await;
    let reference = reference_of(&app, &order).await;
    let by_other = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{order}/erasure"),
            &[("authorization", &other)],
            Some(&json!({ "confirm_reference": reference })),
        )
        .await;
    assert_eq!(by_other.status, StatusCode::NOT_FOUND);
    let unconfirmed = app
        .post(
            &format!("/api/v1/orders/{order}/erasure"),
            &json!({ "confirm_reference": "KS-0000-000000" }),
        )
        .await;
    assert_eq!(unconfirmed.code(), "confirmation_mismatch");
    assert_eq!(
        app.stored_keys(&order).await.len(),
        before.len(),
        "nothing changed"
    );

    let erased = app
        .post(
            &format!("/api/v1/orders/{order}/erasure"),
            &json!({ "confirm_reference": reference }),
        )
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{:?}", erased.body);
    let cert = &erased.body;
    assert_eq!(cert["reason"], "customer_request");
    assert_eq!(cert["reference"], reference);
    let listed: Vec<&str> = cert["objects_deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    for key in &before {
        assert!(
            listed.contains(&key.as_str()),
            "{key} is on the certificate"
        );
    }
    assert!(
        cert["objects_deleted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["purpose"] == "deliverable"
                && o["key"].as_str().unwrap().ends_with(&deliverable))
    );
    assert_eq!(cert["verification"]["prefix"], format!("orders/{order}/"));
    assert!(cert["records_scrubbed"]["ledger_events"].as_u64().unwrap() > 0);
    assert_eq!(
        cert["records_scrubbed"]["idempotency_keys"], 2,
        "the stored answers to the order's creation (the subject's name) and the payment (its note)"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM idempotency_keys WHERE CAST(response_body AS TEXT) LIKE '%Chen%' AND ? IS NOT NULL", &order).await,
        0
    );
    assert_eq!(cert["records_scrubbed"]["payments"], 1);
    assert_eq!(cert["digest"].as_str().unwrap().len(), 64);

    // Nothing left: not in a listing, not on disk (data files and s3s-fs's sidecars alike).
    assert!(app.stored_keys(&order).await.is_empty());
    let files = files_on_disk(&app);
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    for key in &before {
        assert!(
            !files
                .iter()
                .any(|f| f.contains(&b64(key)) || f.ends_with(key.as_str())),
            "{key} left a file: {files:?}"
        );
    }

    // A tombstone without personal data; the decision history survives and still verifies.
    // The order keeps its outcome: erasure is not a withdrawal.
    let tomb = app.get(&format!("/api/v1/orders/{order}")).await.body;
    assert_eq!(tomb["status"], "delivered");
    assert!(tomb["withdrawn_at"].is_null(), "{tomb}");
    assert_eq!(tomb["subject"]["name"], "[erased]");
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM ledger_events WHERE order_id = ? AND (personal IS NOT NULL OR personal_salt IS NOT NULL)", &order).await,
        0
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM consents WHERE order_id = ? AND (signer_name IS NOT NULL OR signer_ip IS NOT NULL OR signer_user_agent IS NOT NULL)", &order).await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM samples WHERE order_id = ? AND file_name <> '[erased]'",
            &order
        )
        .await,
        0
    );
    let report = app.verify_ledger(&admin).await;
    assert_eq!(report["ok"], true, "{report}");
    let timeline = app.get(&format!("/api/v1/orders/{order}/events")).await;
    assert_eq!(timeline.status, StatusCode::OK);
    assert!(
        !timeline.body.to_string().contains("Chen"),
        "no names in the timeline after erasure"
    );

    let again = app
        .post(
            &format!("/api/v1/orders/{order}/erasure"),
            &json!({ "confirm_reference": reference }),
        )
        .await;
    assert_eq!(again.code(), "already_erased");
    let by_staff = app
        .send(
            Method::GET,
            &format!("/api/v1/orders/{order}/destruction-certificate"),
            &[("authorization", &staff)],
            None,
        )
        .await;
    assert_eq!(by_staff.body["certificate_id"], cert["certificate_id"]);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM outbox WHERE order_id = ? AND kind = 'order.erased'",
            &order
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM audit_events WHERE target_id = ? AND action = 'order.erased'", &order).await,
        1
    );
    // Mailed as what it is, in the request's transaction; never as a withdrawn consent.
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM outbox WHERE order_id = ? AND kind = 'order.erasure_requested'", &order).await,
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM outbox WHERE order_id = ? AND kind = 'order.status_changed' AND CAST(payload AS TEXT) LIKE '%withdrawn%'", &order).await,
        0
    );

    // The certificate issued once is the certificate: every read returns the same bytes.
    let raw = |token: String| {
        let url = app.url(&format!("/api/v1/orders/{order}/destruction-certificate"));
        let client = app.client.clone();
        async move {
            let reply = client
                .get(url)
                .header("authorization", token)
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status(), StatusCode::OK);
            reply.bytes().await.unwrap()
        }
    };
    let first = raw(app.auth.clone()).await;
    let second = raw(staff.clone()).await;
    assert_eq!(first, second, "the same bytes on every read");
    let reread: Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(
        reread, erased.body,
        "the certificate the erasure answered with"
    );
    assert_eq!(reread["digest"], cert["digest"]);
    let digest = reread["digest"].as_str().unwrap();
    let unsigned = String::from_utf8(first.to_vec())
        .unwrap()
        .replace(&format!("\"digest\":\"{digest}\""), "\"digest\":\"\"");
    assert_eq!(
        digest,
        crate::helpers::sha256_hex(unsigned.as_bytes()),
        "the digest is over the other fields, as sent"
    );
}

/// GET as the customer (`None`) or with `token`.
async fn get_as(app: &TestApp, path: &str, token: Option<&str>) -> crate::helpers::Reply {
    match token {
        Some(token) => {
            app.send(Method::GET, path, &[("authorization", token)], None)
                .await
        }
        None => app.get(path).await,
    }
}

#[tokio::test]
async fn erased_files_show_as_purged_and_download_as_gone() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let (order, deliverable) = app.delivered_order(&reviewer, &staff, &texts).await;
    let samples = app.get(&format!("/api/v1/orders/{order}/samples")).await;
    let sample = samples.body["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(samples.body["items"][0]["status"], "verified");
    let reference = reference_of(&app, &order).await;
    let erased = app
        .post(
            &format!("/api/v1/orders/{order}/erasure"),
            &json!({ "confirm_reference": reference }),
        )
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{:?}", erased.body);
    let issued_before = count(&app, "SELECT COUNT(*) AS n FROM audit_events WHERE action LIKE '%download_url_issued' AND ? IS NOT NULL", &order).await;

    for token in [None, Some(staff.as_str())] {
        let list = get_as(&app, &format!("/api/v1/orders/{order}/samples"), token).await;
        let items = list.body["items"].as_array().unwrap();
        assert!(!items.is_empty());
        for item in items {
            assert_eq!(item["status"], "purged", "{item}");
            assert!(item["purged_at"].is_string());
        }
        let one = get_as(
            &app,
            &format!("/api/v1/orders/{order}/samples/{sample}"),
            token,
        )
        .await;
        assert_eq!(one.body["status"], "purged");
        let download = get_as(
            &app,
            &format!("/api/v1/orders/{order}/samples/{sample}/download"),
            token,
        )
        .await;
        assert_eq!(download.status, StatusCode::GONE, "{:?}", download.body);
        assert_eq!(download.code(), "sample_purged");

        let list = get_as(&app, &format!("/api/v1/orders/{order}/deliverables"), token).await;
        let items = list.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{:?}", list.body);
        assert_eq!(items[0]["status"], "purged");
        let one = get_as(
            &app,
            &format!("/api/v1/orders/{order}/deliverables/{deliverable}"),
            token,
        )
        .await;
        assert_eq!(one.body["status"], "purged");
        let download = get_as(
            &app,
            &format!("/api/v1/orders/{order}/deliverables/{deliverable}/download"),
            token,
        )
        .await;
        assert_eq!(download.status, StatusCode::GONE, "{:?}", download.body);
        assert_eq!(download.code(), "deliverable_purged");
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM audit_events WHERE action LIKE '%download_url_issued' AND ? IS NOT NULL", &order).await,
        issued_before,
        "no download of nothing is audited as issued"
    );
}

#[tokio::test]
async fn samples_purged_by_retention_show_as_purged_and_download_as_gone() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let (order, deliverable) = app.delivered_order(&reviewer, &staff, &texts).await;
    retention::sweep_once(&app.state, Utc::now() + Duration::days(31))
        .await
        .unwrap();
    let list = app.get(&format!("/api/v1/orders/{order}/samples")).await;
    let sample = list.body["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "purged")
    );
    let download = app
        .get(&format!("/api/v1/orders/{order}/samples/{sample}/download"))
        .await;
    assert_eq!(download.code(), "sample_purged");
    let kept = app
        .get(&format!(
            "/api/v1/orders/{order}/deliverables/{deliverable}"
        ))
        .await;
    assert_eq!(
        kept.body["status"], "verified",
        "retention keeps deliverables"
    );
    let download = app
        .get(&format!(
            "/api/v1/orders/{order}/deliverables/{deliverable}/download"
        ))
        .await;
    assert_eq!(download.status, StatusCode::OK, "{:?}", download.body);
}

#[tokio::test]
async fn concurrent_first_reads_of_a_certificate_agree() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let order = withdrawn_order(&app, &texts).await;
    let swept = retention::sweep_once(&app.state, Utc::now() + Duration::days(31))
        .await
        .unwrap();
    assert_eq!(swept.erased, 1);
    let url = app.url(&format!("/api/v1/orders/{order}/destruction-certificate"));
    let reads = (0..6).map(|_| {
        let (client, url, token) = (app.client.clone(), url.clone(), app.auth.clone());
        async move {
            let reply = client
                .get(url)
                .header("authorization", token)
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status(), StatusCode::OK);
            reply.bytes().await.unwrap()
        }
    });
    let bodies = futures::future::join_all(reads).await;
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "one certificate");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM audit_events WHERE target_id = ? AND action = 'order.destruction_certificate_issued'",
            &order
        )
        .await,
        6,
        "each read is audited"
    );
}

#[tokio::test]
async fn an_erased_delivered_order_counts_once_in_the_funnel() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let (order, _) = app.delivered_order(&reviewer, &staff, &texts).await;
    let before = funnel_around_now(&app, &staff).await;
    assert_eq!(before["delivered"], 1, "{before}");
    let reference = reference_of(&app, &order).await;
    let erased = app
        .post(
            &format!("/api/v1/orders/{order}/erasure"),
            &json!({ "confirm_reference": reference }),
        )
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{:?}", erased.body);
    let after = funnel_around_now(&app, &staff).await;
    for key in [
        "inquiries",
        "submitted",
        "screened_in",
        "consent_approved",
        "delivered",
        "stopped",
    ] {
        assert_eq!(after[key], before[key], "erasure changes no outcome: {key}");
    }
    assert_eq!(after["stopped"]["withdrawn"], 0);

    // The timeline tells it as an erasure, to the customer and the studio alike.
    let timeline = app.get(&format!("/api/v1/orders/{order}/events")).await;
    let messages: Vec<&str> = timeline
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(&"You asked for this order's data to be erased."),
        "{messages:?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("withdrawn")),
        "{messages:?}"
    );
}

/// An order still in production stops when its customer has it erased (its data is gone),
/// and the mail says why.
#[tokio::test]
async fn an_erasure_stops_work_in_progress() {
    let app = TestApp::spawn().await;
    let order = app.create_order(&order_body("machine_driven")).await;
    let id = order["id"].as_str().unwrap();
    let erased = app
        .post(
            &format!("/api/v1/orders/{id}/erasure"),
            &json!({ "confirm_reference": order["reference"] }),
        )
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{:?}", erased.body);
    let tomb = app.get(&format!("/api/v1/orders/{id}")).await.body;
    assert_eq!(tomb["status"], "withdrawn");
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM outbox WHERE order_id = ? AND kind = 'order.erasure_requested' AND CAST(payload AS TEXT) LIKE '%work_stopped%true%'", id).await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM outbox WHERE order_id = ? AND kind = 'order.status_changed'",
            id
        )
        .await,
        0,
        "not mailed as a withdrawn consent"
    );
}

/// A submitted order with a signed requester consent, withdrawn now.
async fn withdrawn_order(
    app: &TestApp,
    texts: &std::collections::HashMap<String, String>,
) -> String {
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let uploaded = app
        .upload_sample(&order, "photo", "image/jpeg", &samples::jpeg(600, 600))
        .await;
    assert_eq!(uploaded.status, StatusCode::OK, "{:?}", uploaded.body);
    let signed = app
        .sign_requester(&order, &texts["requester"], "machine_driven")
        .await;
    let cid = signed.body["id"].as_str().unwrap().to_owned();
    let withdrawn = app
        .post(
            &format!("/api/v1/orders/{order}/consents/{cid}/withdraw"),
            &json!({ "reason": "not ready" }),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{:?}", withdrawn.body);
    order
}

#[tokio::test]
async fn a_withdrawal_is_erased_when_due_once_even_with_two_jobs_racing() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let first = withdrawn_order(&app, &texts).await;
    let second = withdrawn_order(&app, &texts).await;

    let early = retention::sweep_once(&app.state, Utc::now() + Duration::days(29))
        .await
        .unwrap();
    assert_eq!(early.erased, 0);
    assert!(!app.stored_keys(&first).await.is_empty());

    let due = Utc::now() + Duration::days(31);
    let (a, b) = tokio::join!(
        retention::sweep_once(&app.state, due),
        retention::sweep_once(&app.state, due)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.erased + b.erased, 2, "{a:?} {b:?}");
    for order in [&first, &second] {
        assert!(app.stored_keys(order).await.is_empty());
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM erasures WHERE order_id = ?",
                order
            )
            .await,
            1
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM audit_events WHERE target_id = ? AND action = 'order.erased'", order).await,
            1
        );
        let cert = app
            .get(&format!("/api/v1/orders/{order}/destruction-certificate"))
            .await;
        assert_eq!(cert.status, StatusCode::OK, "{:?}", cert.body);
        assert_eq!(cert.body["reason"], "withdrawal");
    }
    let later = retention::sweep_once(&app.state, due).await.unwrap();
    assert_eq!(later.erased, 0, "nothing is erased twice");

    // An upload URL issued before the erasure, used late, puts an object back: the next run
    // removes it (within the URL's lifetime after the erasure).
    let late_key = format!("orders/{first}/samples/{}", uuid::Uuid::now_v7());
    let put = app
        .state
        .store
        .presign_put(
            &late_key,
            None,
            None,
            false,
            &Default::default(),
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap();
    let put = serde_json::to_value(&put).unwrap();
    assert!(
        app.put_presigned(&put, b"late".to_vec())
            .await
            .status()
            .is_success()
    );
    let swept = retention::sweep_once(&app.state, Utc::now()).await.unwrap();
    assert_eq!(swept.stragglers_deleted, 1, "{swept:?}");
    assert!(app.stored_keys(&first).await.is_empty());
}

#[tokio::test]
async fn raw_samples_are_purged_after_delivery_unless_the_customer_keeps_them() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let (purged, purged_deliverable) = app.delivered_order(&reviewer, &staff, &texts).await;
    let (kept, _) = app.delivered_order(&reviewer, &staff, &texts).await;
    let etag = app.etag_of(&kept, None).await;
    let keep = app
        .send(
            Method::PUT,
            &format!("/api/v1/orders/{kept}/sample-retention"),
            &[("if-match", &etag)],
            Some(&json!({ "keep_for_iterations": true })),
        )
        .await;
    assert_eq!(keep.status, StatusCode::OK, "{:?}", keep.body);
    let kept_before = app.stored_keys(&kept).await;

    let quiet = retention::sweep_once(&app.state, Utc::now() + Duration::days(29))
        .await
        .unwrap();
    assert_eq!(quiet.retention_orders, 0);

    let swept = retention::sweep_once(&app.state, Utc::now() + Duration::days(31))
        .await
        .unwrap();
    assert_eq!(swept.retention_orders, 1, "{swept:?}");
    assert!(swept.samples_purged >= 2, "{swept:?}");
    let left = app.stored_keys(&purged).await;
    assert_eq!(
        left,
        vec![format!(
            "orders/{purged}/deliverables/{purged_deliverable}.labeled"
        )],
        "only the labeled copy the family downloads stays; the original went with the samples"
    );
    assert_eq!(swept.originals_purged, 1, "{swept:?}");
    // The family still downloads its file: the labeled copy.
    let link = app
        .get(&format!(
            "/api/v1/orders/{purged}/deliverables/{purged_deliverable}/download"
        ))
        .await;
    assert_eq!(link.status, StatusCode::OK, "{:?}", link.body);
    assert_eq!(
        app.stored_keys(&kept).await,
        kept_before,
        "kept for iterations"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM audit_events WHERE target_id = ? AND action = 'order.samples_purged'", &purged).await,
        1
    );

    let etag = app.etag_of(&purged, None).await;
    let too_late = app
        .send(
            Method::PUT,
            &format!("/api/v1/orders/{purged}/sample-retention"),
            &[("if-match", &etag)],
            Some(&json!({ "keep_for_iterations": true })),
        )
        .await;
    assert_eq!(too_late.code(), "samples_already_purged");

    // Erasing later still lists the samples the purge removed, with the time they went.
    let reference = reference_of(&app, &purged).await;
    let erased = app
        .post(
            &format!("/api/v1/orders/{purged}/erasure"),
            &json!({ "confirm_reference": reference }),
        )
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{:?}", erased.body);
    let objects: &Vec<Value> = erased.body["objects_deleted"].as_array().unwrap();
    assert!(
        objects.iter().any(|o| o["purpose"] == "sample"),
        "{objects:?}"
    );
}
