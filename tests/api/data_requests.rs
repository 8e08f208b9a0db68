//! Data-rights requests: filed by the customer or a close relative, the requester's identity
//! verified and recorded, a reviewer's decision with its mandatory reason, and the outcome —
//! an export with file links, a correction, an erasure.

use keepsake::domain::account::Role;
use keepsake::media::samples;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, order_body};

async fn file(app: &TestApp, token: &str, body: Value) -> Reply {
    app.send(
        Method::POST,
        "/api/v1/data-requests",
        &[("authorization", token)],
        Some(&body),
    )
    .await
}

async fn step(app: &TestApp, token: &str, request: &str, what: &str, body: Value) -> Reply {
    app.send(
        Method::POST,
        &format!("/api/v1/data-requests/{request}/{what}"),
        &[("authorization", token)],
        Some(&body),
    )
    .await
}

/// A submitted order with one verified photo; returns (id, reference).
pub(crate) async fn order_with_a_photo(app: &TestApp) -> (String, String) {
    let order = app.create_order(&order_body("machine_driven")).await;
    let id = order["id"].as_str().unwrap().to_owned();
    let photo = app
        .upload_sample(&id, "photo", "image/jpeg", &samples::jpeg(600, 600))
        .await;
    assert_eq!(photo.status, StatusCode::OK, "{:?}", photo.body);
    (id, order["reference"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_relatives_access_request_is_verified_decided_and_exported() {
    let app = TestApp::spawn().await;
    let (order, reference) = order_with_a_photo(&app).await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let sister = app.customer("sister@example.com").await;
    let stranger = app.customer("stranger@example.com").await;

    let filed = file(&app, &sister, json!({ "kind": "access", "order_reference": reference, "relationship_to_subject": "sibling", "details": "what do you hold about our mother?" })).await;
    assert_eq!(
        filed.status,
        StatusCode::ACCEPTED,
        "queued for identity verification: {:?}",
        filed.body
    );
    assert_eq!(filed.body["status"], "submitted");
    assert!(filed.body.get("order_id").is_none(), "{:?}", filed.body);
    let request = filed.body["id"].as_str().unwrap().to_owned();
    let again = file(&app, &sister, json!({ "kind": "access", "order_reference": reference, "relationship_to_subject": "sibling" })).await;
    assert_eq!(again.code(), "request_open");

    let peek = app
        .send(
            Method::GET,
            &format!("/api/v1/data-requests/{request}"),
            &[("authorization", &stranger)],
            None,
        )
        .await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);
    let too_early = step(
        &app,
        &reviewer,
        &request,
        "decision",
        json!({ "decision": "approve", "reason": "ok" }),
    )
    .await;
    assert_eq!(too_early.code(), "invalid_transition");
    let by_staff = step(
        &app,
        &staff,
        &request,
        "identity",
        json!({ "method": "id_document" }),
    )
    .await;
    assert_eq!(
        by_staff.status,
        StatusCode::NOT_FOUND,
        "the queue is not the staff's"
    );
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let before_verification = app
        .send(
            Method::GET,
            &format!("/api/v1/data-requests/{request}"),
            &[("authorization", &sister)],
            None,
        )
        .await;
    assert!(before_verification.body["order_id"].is_null());
    let by_admin = step(
        &app,
        &admin,
        &request,
        "identity",
        json!({ "method": "id_document" }),
    )
    .await;
    assert_eq!(
        by_admin.code(),
        "reviewers_only",
        "admins see the queue; reviewers decide"
    );
    let login_only = step(
        &app,
        &reviewer,
        &request,
        "identity",
        json!({ "method": "account_session" }),
    )
    .await;
    assert_eq!(
        login_only.code(),
        "method_insufficient",
        "a relative is not proven by signing in"
    );
    let verified = step(
        &app,
        &reviewer,
        &request,
        "identity",
        json!({ "method": "id_document", "note": "passport and household register checked" }),
    )
    .await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    assert_eq!(verified.body["status"], "identity_verified");
    assert_eq!(verified.body["identity"]["method"], "id_document");
    let after_verification = app
        .send(
            Method::GET,
            &format!("/api/v1/data-requests/{request}"),
            &[("authorization", &sister)],
            None,
        )
        .await;
    assert_eq!(
        after_verification.body["order_id"], order,
        "verified: the requester may know which order it is"
    );
    let reasonless = step(
        &app,
        &reviewer,
        &request,
        "decision",
        json!({ "decision": "approve" }),
    )
    .await;
    assert_eq!(reasonless.code(), "reason_required");
    let approved = step(&app, &reviewer, &request, "decision", json!({ "decision": "approve", "reason": "close relative of the deceased, identity checked" })).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_eq!(approved.body["status"], "completed");
    assert_eq!(approved.body["export_ready"], true);
    assert_eq!(
        approved.body["decision"]["reason"],
        "close relative of the deceased, identity checked"
    );
    let twice = step(
        &app,
        &reviewer,
        &request,
        "decision",
        json!({ "decision": "deny", "reason": "changed my mind" }),
    )
    .await;
    assert_eq!(twice.code(), "invalid_transition");

    // The requester downloads the export: the JSON and a link to each file.
    let by_reviewer = app
        .send(
            Method::GET,
            &format!("/api/v1/data-requests/{request}/export"),
            &[("authorization", &reviewer)],
            None,
        )
        .await;
    assert_eq!(
        by_reviewer.status,
        StatusCode::NOT_FOUND,
        "the export is the requester's"
    );
    let export = app
        .send(
            Method::GET,
            &format!("/api/v1/data-requests/{request}/export"),
            &[("authorization", &sister)],
            None,
        )
        .await;
    assert_eq!(export.status, StatusCode::OK, "{:?}", export.body);
    let document: Value = app
        .client
        .get(export.body["export"]["request"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["order"]["reference"], reference);
    assert_eq!(document["order"]["subject"]["name"], "Chen Mei");
    assert_eq!(document["samples"].as_array().unwrap().len(), 1);
    let files = export.body["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    let photo = app
        .client
        .get(files[0]["download"]["request"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(photo.status().is_success());
    assert_eq!(
        photo.bytes().await.unwrap().as_ref(),
        samples::jpeg(600, 600).as_slice()
    );

    let mine = app
        .send(
            Method::GET,
            "/api/v1/data-requests",
            &[("authorization", &sister)],
            None,
        )
        .await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1);
    let theirs = app
        .send(
            Method::GET,
            "/api/v1/data-requests",
            &[("authorization", &stranger)],
            None,
        )
        .await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 0);
    let queue = app
        .send(
            Method::GET,
            "/api/v1/data-requests?status=completed",
            &[("authorization", &reviewer)],
            None,
        )
        .await;
    assert_eq!(queue.body["items"].as_array().unwrap().len(), 1);

    let trail = app
        .send(
            Method::GET,
            &format!("/api/v1/audit?target_id={order}&limit=100"),
            &[("authorization", &admin)],
            None,
        )
        .await;
    let actions: Vec<&str> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "data_request.filed",
        "data_request.identity_verified",
        "data_request.approved",
        "data_request.completed",
        "data_request.export_downloaded",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
}

#[tokio::test]
async fn a_correction_is_applied_a_denial_keeps_its_reason_and_an_erasure_erases() {
    let app = TestApp::spawn().await;
    let (order, reference) = order_with_a_photo(&app).await;
    let reviewer = app.reviewer("reviewer@studio.example").await;

    let incomplete = file(&app, &app.auth, json!({ "kind": "correction", "order_reference": reference, "relationship_to_subject": "child" })).await;
    assert_eq!(incomplete.code(), "corrections_required");
    for kind in ["access", "copy", "erasure"] {
        let misplaced = file(&app, &app.auth, json!({ "kind": kind, "order_reference": reference, "relationship_to_subject": "child", "corrections": { "name": "\u{c}" } })).await;
        assert_eq!(misplaced.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert_eq!(misplaced.code(), "corrections_not_taken", "{kind}");
        assert_eq!(misplaced.body["field"], "corrections", "{kind}");
    }
    let listed = app.get("/api/v1/data-requests").await;
    assert_eq!(
        listed.body["items"].as_array().map(Vec::len),
        Some(0),
        "nothing filed by the refusals: {:?}",
        listed.body
    );
    let correction = file(&app, &app.auth, json!({ "kind": "correction", "order_reference": reference, "relationship_to_subject": "child", "corrections": { "name": "Chen Meihua" } })).await;
    assert_eq!(
        correction.status,
        StatusCode::CREATED,
        "{:?}",
        correction.body
    );
    let id = correction.body["id"].as_str().unwrap();
    let verified = step(
        &app,
        &reviewer,
        id,
        "identity",
        json!({ "method": "account_session" }),
    )
    .await;
    assert_eq!(
        verified.status,
        StatusCode::OK,
        "the order's own customer: {:?}",
        verified.body
    );
    let applied = step(
        &app,
        &reviewer,
        id,
        "decision",
        json!({ "decision": "approve", "reason": "her registered name" }),
    )
    .await;
    assert_eq!(applied.body["status"], "completed", "{:?}", applied.body);
    let now = app.get(&format!("/api/v1/orders/{order}")).await;
    assert_eq!(now.body["subject"]["name"], "Chen Meihua");

    // A customer who is also a reviewer cannot handle their own request.
    let access = file(&app, &app.auth, json!({ "kind": "access", "order_reference": reference, "relationship_to_subject": "child" })).await;
    let access_id = access.body["id"].as_str().unwrap().to_owned();
    step(
        &app,
        &reviewer,
        &access_id,
        "identity",
        json!({ "method": "account_session" }),
    )
    .await;
    step(
        &app,
        &reviewer,
        &access_id,
        "decision",
        json!({ "decision": "approve", "reason": "the customer" }),
    )
    .await;

    let denied_request = file(
        &app,
        &app.auth,
        json!({ "kind": "copy", "order_reference": reference, "relationship_to_subject": "child" }),
    )
    .await;
    let denied_id = denied_request.body["id"].as_str().unwrap();
    let denied = step(
        &app,
        &reviewer,
        denied_id,
        "decision",
        json!({ "decision": "deny", "reason": "an identical copy was just issued" }),
    )
    .await;
    assert_eq!(denied.body["status"], "denied", "{:?}", denied.body);
    assert_eq!(
        denied.body["decision"]["reason"],
        "an identical copy was just issued"
    );

    // Filed and verified before the erasure, approved after it: nothing is left to export.
    let sister = app.customer("sister@example.com").await;
    let pending = file(&app, &sister, json!({ "kind": "access", "order_reference": reference, "relationship_to_subject": "sibling" })).await;
    let pending_id = pending.body["id"].as_str().unwrap().to_owned();
    step(
        &app,
        &reviewer,
        &pending_id,
        "identity",
        json!({ "method": "video_call" }),
    )
    .await;
    let erasure = file(&app, &app.auth, json!({ "kind": "erasure", "order_reference": reference, "relationship_to_subject": "child" })).await;
    let erasure_id = erasure.body["id"].as_str().unwrap();
    step(
        &app,
        &reviewer,
        erasure_id,
        "identity",
        json!({ "method": "account_session" }),
    )
    .await;
    let erased = step(
        &app,
        &reviewer,
        erasure_id,
        "decision",
        json!({ "decision": "approve", "reason": "the customer asked" }),
    )
    .await;
    assert_eq!(erased.body["status"], "completed", "{:?}", erased.body);
    assert!(
        app.stored_keys(&order).await.is_empty(),
        "samples and the export are gone"
    );
    let cert = app
        .get(&format!("/api/v1/orders/{order}/destruction-certificate"))
        .await;
    assert_eq!(cert.body["reason"], "data_rights_request");
    let gone = app
        .get(&format!("/api/v1/data-requests/{access_id}/export"))
        .await;
    assert_eq!(gone.status, StatusCode::GONE);
    let request_after = app
        .get(&format!(
            "/api/v1/data-requests/{}",
            correction.body["id"].as_str().unwrap()
        ))
        .await;
    assert!(
        request_after.body["corrections"].is_null(),
        "scrubbed with the order"
    );
    let after = step(
        &app,
        &reviewer,
        &pending_id,
        "decision",
        json!({ "decision": "approve", "reason": "sister" }),
    )
    .await;
    assert_eq!(after.code(), "order_erased");
    assert!(
        app.stored_keys(&order).await.is_empty(),
        "no export was written"
    );
    let denied_after = step(
        &app,
        &reviewer,
        &pending_id,
        "decision",
        json!({ "decision": "deny", "reason": "the order was erased" }),
    )
    .await;
    assert_eq!(denied_after.body["status"], "denied");
    let late = file(&app, &app.auth, json!({ "kind": "access", "order_reference": reference, "relationship_to_subject": "child" })).await;
    assert_eq!(late.code(), "order_erased");
}

/// Another reference of the same year, one that no order has.
fn missing_reference(existing: &str) -> String {
    let (prefix, number) = existing.rsplit_once('-').unwrap();
    let number: u64 = number.parse().unwrap();
    format!("{prefix}-{:06}", number + 500)
}

/// What an answer tells its reader, with the parts that differ by construction (the new
/// request's own id, the reference as typed) taken out.
fn shape(reply: &Reply) -> (StatusCode, Value) {
    let mut body = reply.body.clone();
    for key in ["id", "order_reference", "created_at"] {
        if let Some(value) = body.get_mut(key) {
            *value = json!("…");
        }
    }
    (reply.status, body)
}

#[tokio::test]
async fn a_stranger_cannot_tell_an_existing_reference_from_a_missing_one() {
    let app = TestApp::spawn().await;
    let (order, reference) = order_with_a_photo(&app).await;
    let missing = missing_reference(&reference);
    let stranger = app.customer("stranger@example.com").await;
    let about = |reference: &str, kind: &str| json!({ "kind": kind, "order_reference": reference, "relationship_to_subject": "sibling" });

    let existing = file(&app, &stranger, about(&reference, "access")).await;
    let nowhere = file(&app, &stranger, about(&missing, "access")).await;
    assert_eq!(existing.status, StatusCode::ACCEPTED, "{:?}", existing.body);
    assert_eq!(shape(&existing), shape(&nowhere));
    assert!(
        !existing.body.to_string().contains(&order),
        "no order id: {}",
        existing.body
    );
    assert!(
        existing.body["next_step"]
            .as_str()
            .unwrap()
            .contains("verify who you are")
    );

    // Asking again is refused alike.
    let again = file(&app, &stranger, about(&reference, "access")).await;
    let again_nowhere = file(&app, &stranger, about(&missing, "access")).await;
    assert_eq!(again.code(), "request_open");
    assert_eq!(shape(&again), shape(&again_nowhere));

    // Reading them back tells nothing either.
    let read = |id: &str| {
        let path = format!("/api/v1/data-requests/{id}");
        let token = stranger.clone();
        let app = &app;
        async move {
            app.send(Method::GET, &path, &[("authorization", &token)], None)
                .await
        }
    };
    let mine = read(existing.body["id"].as_str().unwrap()).await;
    let mine_nowhere = read(nowhere.body["id"].as_str().unwrap()).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.body["order_id"].is_null());
    assert_eq!(shape(&mine), shape(&mine_nowhere));
    let listed = app
        .send(
            Method::GET,
            "/api/v1/data-requests",
            &[("authorization", &stranger)],
            None,
        )
        .await;
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["order_id"].is_null()));
    assert!(!listed.body.to_string().contains(&order));
}

#[tokio::test]
async fn a_strangers_correction_is_never_checked_against_the_stored_dates() {
    let app = TestApp::spawn().await;
    let (order, reference) = order_with_a_photo(&app).await;
    let missing = missing_reference(&reference);
    let stranger = app.customer("stranger@example.com").await;
    // The order's subject died on 2026-08-14: a birth date after it is wrong for this order
    // (its customer is told so), a birth date before it is plausible.
    let correction = |reference: &str, birth_date: &str| {
        json!({ "kind": "correction", "order_reference": reference, "relationship_to_subject": "child",
                "corrections": { "birth_date": birth_date } })
    };
    let own_wrong = file(&app, &app.auth, correction(&reference, "2026-09-01")).await;
    assert_eq!(
        own_wrong.code(),
        "invalid_intake",
        "the customer's own order is checked"
    );

    let mut answers = Vec::new();
    for (i, birth_date) in ["1948-05-02", "2026-09-01"].iter().enumerate() {
        for (j, target) in [&reference, &missing].iter().enumerate() {
            // Each probe from a fresh account: one open request per reference and kind.
            let prober = app.customer(&format!("prober{i}{j}@example.com")).await;
            let reply = file(&app, &prober, correction(target, birth_date)).await;
            assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
            assert!(!reply.body.to_string().contains(&order));
            answers.push(shape(&reply));
        }
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "right or wrong date, existing or not: one answer {answers:?}"
    );

    // What a correction says by itself is still checked — the same for every reference.
    let future = file(&app, &stranger, correction(&reference, "2999-01-01")).await;
    let future_nowhere = file(&app, &stranger, correction(&missing, "2999-01-01")).await;
    assert_eq!(future.code(), "invalid_intake");
    assert_eq!(shape(&future), shape(&future_nowhere));
}

#[tokio::test]
async fn a_reviewer_sees_which_reference_matched_and_denies_what_matched_nothing() {
    let app = TestApp::spawn().await;
    let (order, reference) = order_with_a_photo(&app).await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let cousin = app.customer("cousin@example.com").await;
    let typo = file(&app, &cousin, json!({ "kind": "copy", "order_reference": missing_reference(&reference).to_lowercase(), "relationship_to_subject": "grandchild" })).await;
    assert_eq!(typo.status, StatusCode::ACCEPTED);
    assert_eq!(
        typo.body["order_reference"],
        missing_reference(&reference),
        "read as upper case"
    );
    let id = typo.body["id"].as_str().unwrap().to_owned();

    let queue = app
        .send(
            Method::GET,
            "/api/v1/data-requests?status=submitted",
            &[("authorization", &reviewer)],
            None,
        )
        .await;
    let item = &queue.body["items"][0];
    assert_eq!(item["order_reference"], missing_reference(&reference));
    assert!(item["order_id"].is_null(), "matched no order");
    let verify = step(
        &app,
        &reviewer,
        &id,
        "identity",
        json!({ "method": "id_document" }),
    )
    .await;
    assert_eq!(verify.code(), "no_matching_order");
    let denied = step(&app, &reviewer, &id, "decision", json!({ "decision": "deny", "reason": "no order has this reference; we wrote to ask for the right one" })).await;
    assert_eq!(denied.body["status"], "denied", "{:?}", denied.body);
    let seen = app
        .send(
            Method::GET,
            &format!("/api/v1/data-requests/{id}"),
            &[("authorization", &cousin)],
            None,
        )
        .await;
    assert_eq!(
        seen.body["decision"]["reason"],
        "no order has this reference; we wrote to ask for the right one"
    );

    // The order's own customer is answered at once with the request and its order.
    let own = file(
        &app,
        &app.auth,
        json!({ "kind": "copy", "order_reference": reference, "relationship_to_subject": "child" }),
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{:?}", own.body);
    assert_eq!(own.body["order_id"], order);
    let malformed = file(&app, &cousin, json!({ "kind": "copy", "order_reference": "KS 2026; DROP", "relationship_to_subject": "child" })).await;
    assert_eq!(malformed.code(), "invalid_reference");
}

#[tokio::test]
async fn one_person_cannot_fill_the_queue() {
    let app = TestApp::spawn().await;
    let (_, reference) = order_with_a_photo(&app).await;
    let prober = app.customer("prober@example.com").await;
    let (prefix, _) = reference.rsplit_once('-').unwrap();
    for n in 0..10 {
        let reply = file(&app, &prober, json!({ "kind": "access", "order_reference": format!("{prefix}-{:06}", 900 + n), "relationship_to_subject": "child" })).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{n}: {:?}", reply.body);
    }
    let eleventh = file(&app, &prober, json!({ "kind": "access", "order_reference": reference, "relationship_to_subject": "child" })).await;
    assert_eq!(eleventh.code(), "too_many_open_requests");
}
