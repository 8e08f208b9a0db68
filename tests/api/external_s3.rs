//! The S3 flows against a second S3 implementation (moto in CI): `TEST_S3_ENDPOINT` names it.
//! Without that variable these tests have nothing to talk to and return at once; `.ci/run`
//! starts moto and runs them with it. (moto verifies neither signatures nor checksums, so the
//! checksum rejections are proven against the embedded store only. Its ListParts answer has the
//! wrong XML root (`ListPartsResponse`), which the AWS SDK refuses; the store module reads it
//! itself, and resuming and body-less completion are proven here too.)

use keepsake::media::samples;
use reqwest::StatusCode;

use crate::helpers::{MIB, TestApp, order_body, part_bytes};

async fn app_on_external_s3() -> Option<TestApp> {
    let endpoint = std::env::var("TEST_S3_ENDPOINT")
        .ok()
        .filter(|v| !v.is_empty())?;
    let bucket = format!("ks-test-{}", uuid::Uuid::new_v4().simple());
    Some(
        TestApp::spawn_with(move |s| {
            s.s3.endpoint = Some(endpoint);
            s.s3.bucket = bucket;
            s.s3.access_key_id = Some("testing".into());
            s.s3.secret_access_key = Some(keepsake::config::Secret::new("testing"));
        })
        .await,
    )
}

#[tokio::test]
async fn external_s3_single_and_multipart_uploads_verify() {
    let Some(app) = app_on_external_s3().await else {
        eprintln!("TEST_S3_ENDPOINT not set: skipped");
        return;
    };
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let photo = app
        .upload_sample(&order, "photo", "image/jpeg", &samples::jpeg(1024, 768))
        .await;
    assert_eq!(photo.status, StatusCode::OK, "{:?}", photo.body);
    assert_eq!(photo.body["metadata"]["width"], 1024);

    let video = samples::mp4(1280, 720, 9_000, true, 11 * MIB);
    let reply = app
        .upload_sample(&order, "video", "video/mp4", &video)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["upload_mode"], "multipart");
    assert_eq!(reply.body["metadata"]["duration_ms"], 9000);
    assert_eq!(app.stored_keys(&order).await.len(), 2);
}

#[tokio::test]
async fn external_s3_listed_parts_and_rejection() {
    let Some(app) = app_on_external_s3().await else {
        eprintln!("TEST_S3_ENDPOINT not set: skipped");
        return;
    };
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let video = samples::mp4(640, 360, 5_000, false, 12 * MIB);
    let started = app.start_upload(&order, "video", "video/mp4", &video).await;
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    let mut parts = app.put_all(&started.body["upload"], &video).await;
    assert_eq!(parts.len(), 3);

    let real_etag = parts[1]["etag"].clone();
    parts[1]["etag"] = "\"0000\"".into();
    let wrong = app.complete_with_parts(&order, &sample_id, &parts).await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        wrong.body
    );
    assert_eq!(wrong.code(), "invalid_parts");

    parts[1]["etag"] = real_etag;
    let done = app.complete_with_parts(&order, &sample_id, &parts).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["metadata"]["width"], 640);

    let png = samples::png(600, 600);
    let mismatch = app.upload_sample(&order, "photo", "image/jpeg", &png).await;
    assert_eq!(mismatch.code(), "type_mismatch");
    assert_eq!(
        app.stored_keys(&order).await.len(),
        1,
        "the rejected object was deleted"
    );
}

#[tokio::test]
async fn external_s3_an_upload_the_store_lost_is_rejected_not_wedged() {
    let Some(app) = app_on_external_s3().await else {
        eprintln!("TEST_S3_ENDPOINT not set: skipped");
        return;
    };
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let video = samples::mp4(800, 600, 4_000, false, 7 * MIB);
    let started = app.start_upload(&order, "video", "video/mp4", &video).await;
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    let parts = app.put_all(&started.body["upload"], &video).await;
    let row = keepsake::db::samples::find(
        &app.state.db,
        order.parse().unwrap(),
        sample_id.parse().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    app.state
        .store
        .abort_multipart(&row.object_key, row.multipart_upload_id.as_deref().unwrap())
        .await
        .unwrap();

    let lost = app.complete_with_parts(&order, &sample_id, &parts).await;
    assert_eq!(
        lost.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        lost.body
    );
    assert_eq!(lost.code(), "upload_lost");
    let sample = app
        .get(&format!("/api/v1/orders/{order}/samples/{sample_id}"))
        .await;
    assert_eq!(sample.body["status"], "rejected");
}

fn numbers(parts: &serde_json::Value) -> Vec<u64> {
    parts
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part_number"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn external_s3_resume_lists_the_store_s_parts_and_completion_needs_no_list() {
    let Some(app) = app_on_external_s3().await else {
        eprintln!("TEST_S3_ENDPOINT not set: skipped");
        return;
    };
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let video = samples::mp4(640, 360, 5_000, false, 12 * MIB);
    let started = app.start_upload(&order, "video", "video/mp4", &video).await;
    let upload = &started.body["upload"];
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    let signed = app.sign_parts(upload, &video, &[1, 2, 3]).await;
    for (index, n) in [(0, 1), (2, 3)] {
        let sent = app
            .put_presigned(
                &signed[index]["request"],
                part_bytes(upload, &video, n).to_vec(),
            )
            .await;
        assert!(sent.status().is_success(), "part {n}");
    }

    let resumed = app
        .get(&format!(
            "/api/v1/orders/{order}/samples/{sample_id}/upload"
        ))
        .await;
    assert_eq!(resumed.status, StatusCode::OK, "{:?}", resumed.body);
    assert_eq!(numbers(&resumed.body["uploaded_parts"]), vec![1, 3]);
    assert_eq!(numbers(&resumed.body["parts_to_upload"]), vec![2]);
    assert_eq!(
        resumed.body["uploaded_parts"][0]["size"].as_u64(),
        Some(part_bytes(upload, &video, 1).len() as u64)
    );
    let early = app.complete(&order, &sample_id).await;
    assert_eq!(early.code(), "upload_incomplete", "{:?}", early.body);
    assert_eq!(early.body["missing_parts"], serde_json::json!([2]));

    let sent = app
        .put_presigned(
            &signed[1]["request"],
            part_bytes(upload, &video, 2).to_vec(),
        )
        .await;
    assert!(sent.status().is_success());
    let done = app.complete(&order, &sample_id).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["status"], "verified");
    assert_eq!(done.body["metadata"]["width"], 640);
}
