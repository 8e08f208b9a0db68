//! Uploads that succeed: single PUT and multipart, resume after listing parts, metadata probes
//! on generated media, and the completion's own refusals (not yet uploaded, already done).

use keepsake::media::samples;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{MIB, TestApp, order_body};

async fn new_order(app: &TestApp) -> String {
    app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

type Dimensions = (Value, Value, Value);

fn meta(reply: &Value) -> Dimensions {
    let m = &reply["metadata"];
    (
        m["width"].clone(),
        m["height"].clone(),
        m["duration_ms"].clone(),
    )
}

#[tokio::test]
async fn single_put_photos_are_verified_with_their_dimensions() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;

    let jpeg = app
        .upload_sample(&order, "photo", "image/jpeg", &samples::jpeg(640, 480))
        .await;
    assert_eq!(jpeg.status, StatusCode::OK, "{:?}", jpeg.body);
    assert_eq!(jpeg.body["status"], "verified");
    assert_eq!(jpeg.body["upload_mode"], "single");
    assert_eq!(jpeg.body["detected_content_type"], "image/jpeg");
    assert_eq!(meta(&jpeg.body), (640.into(), 480.into(), Value::Null));
    assert!(
        jpeg.body.get("object_key").is_none(),
        "storage keys are never exposed"
    );

    let png = app
        .upload_sample(&order, "photo", "image/png", &samples::png(300, 1200))
        .await;
    assert_eq!(png.status, StatusCode::OK, "{:?}", png.body);
    assert_eq!(meta(&png.body), (300.into(), 1200.into(), Value::Null));

    let keys = app.stored_keys(&order).await;
    assert_eq!(keys.len(), 2);
    for key in &keys {
        assert!(
            key.starts_with(&format!("orders/{order}/samples/")),
            "{key}"
        );
    }
    let list = app.get(&format!("/api/v1/orders/{order}/samples")).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn audio_and_video_durations_are_read_from_headers() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let cases: Vec<(&str, &str, Vec<u8>, Dimensions)> = vec![
        (
            "voice",
            "audio/wav",
            samples::wav(2_500, 8_000),
            (Value::Null, Value::Null, 2500.into()),
        ),
        (
            "voice",
            "audio/mp4",
            samples::m4a(95_000),
            (Value::Null, Value::Null, 95000.into()),
        ),
        (
            "video",
            "video/mp4",
            samples::mp4(1280, 720, 12_000, false, 4096),
            (1280.into(), 720.into(), 12000.into()),
        ),
        (
            "video",
            "video/mp4",
            samples::mp4(720, 1280, 7_250, true, 4096),
            (720.into(), 1280.into(), 7250.into()),
        ),
    ];
    for (kind, content_type, bytes, expected) in cases {
        let reply = app.upload_sample(&order, kind, content_type, &bytes).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{content_type}: {:?}",
            reply.body
        );
        assert_eq!(meta(&reply.body), expected, "{content_type}");
    }
}

#[tokio::test]
async fn mp3_voice_is_accepted_with_its_duration() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let reply = app
        .upload_sample(
            &order,
            "voice",
            "audio/mpeg",
            &samples::mp3_cbr(10_000, 128),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let ms = reply.body["metadata"]["duration_ms"].as_u64().unwrap();
    assert!((9_950..=10_050).contains(&ms), "{ms}");
}

#[tokio::test]
async fn multipart_upload_with_the_index_at_the_end_is_verified() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let video = samples::mp4(1920, 1080, 42_000, true, 11 * MIB);
    let reply = app
        .upload_sample(&order, "video", "video/mp4", &video)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["upload_mode"], "multipart");
    assert_eq!(meta(&reply.body), (1920.into(), 1080.into(), 42000.into()));
    assert_eq!(
        app.stored_keys(&order).await.len(),
        1,
        "parts were assembled into one object"
    );
}

#[tokio::test]
async fn an_interrupted_multipart_upload_resumes_from_the_listed_parts() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let video = samples::mp4(640, 360, 5_000, false, 12 * MIB);
    let started = app.start_upload(&order, "video", "video/mp4", &video).await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    let upload = &started.body["upload"];
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    assert_eq!(upload["mode"], "multipart");
    assert_eq!(upload["part_size"], 5 * MIB);
    assert_eq!(upload["part_count"], 3);
    assert_eq!(upload["parts_to_upload"].as_array().unwrap().len(), 3);

    // The client uploads part 1, then "restarts".
    let part1 = app.sign_parts(upload, &video, &[1]).await;
    let resp = app
        .put_presigned(&part1[0]["request"], video[..5 * MIB].to_vec())
        .await;
    assert!(resp.status().is_success());

    let early = app.complete(&order, &sample_id).await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        early.body
    );
    assert_eq!(early.code(), "upload_incomplete");
    assert_eq!(early.body["missing_parts"], serde_json::json!([2, 3]));

    let resumed = app
        .get(&format!(
            "/api/v1/orders/{order}/samples/{sample_id}/upload"
        ))
        .await;
    assert_eq!(resumed.status, StatusCode::OK, "{:?}", resumed.body);
    let uploaded: Vec<u64> = resumed.body["uploaded_parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part_number"].as_u64().unwrap())
        .collect();
    assert_eq!(uploaded, vec![1]);
    let remaining: Vec<u64> = resumed.body["parts_to_upload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part_number"].as_u64().unwrap())
        .collect();
    assert_eq!(remaining, vec![2, 3]);

    app.put_all(&resumed.body, &video).await;
    let done = app.complete(&order, &sample_id).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(meta(&done.body), (640.into(), 360.into(), 5000.into()));
}

#[tokio::test]
async fn completion_before_upload_and_twice_are_refused() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let photo = samples::jpeg(800, 800);
    let started = app
        .start_upload(&order, "photo", "image/jpeg", &photo)
        .await;
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();

    let early = app.complete(&order, &sample_id).await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(early.code(), "upload_incomplete");
    let still = app
        .get(&format!("/api/v1/orders/{order}/samples/{sample_id}"))
        .await;
    assert_eq!(
        still.body["status"], "uploading",
        "an early completion rejects nothing"
    );

    app.put_all(&started.body["upload"], &photo).await;
    assert_eq!(
        app.complete(&order, &sample_id).await.status,
        StatusCode::OK
    );
    let again = app.complete(&order, &sample_id).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "sample_not_uploading");
    let resume = app
        .get(&format!(
            "/api/v1/orders/{order}/samples/{sample_id}/upload"
        ))
        .await;
    assert_eq!(resume.code(), "sample_not_uploading");
}

#[tokio::test]
async fn concurrent_completions_verify_once() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let photo = samples::png(700, 700);
    let started = app.start_upload(&order, "photo", "image/png", &photo).await;
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    app.put_all(&started.body["upload"], &photo).await;
    let replies = futures::future::join_all((0..4).map(|_| app.complete(&order, &sample_id))).await;
    assert_eq!(
        replies
            .iter()
            .filter(|r| r.status == StatusCode::OK)
            .count(),
        1
    );
    assert!(
        replies
            .iter()
            .all(|r| r.status == StatusCode::OK || r.code() == "sample_not_uploading")
    );
    let sid: uuid::Uuid = sample_id.parse().unwrap();
    let events = keepsake::audit::events_for(&app.state.db, sid)
        .await
        .unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "sample.verified")
            .count(),
        1
    );
}

#[tokio::test]
async fn presigned_urls_are_refused_when_tampered() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let photo = samples::jpeg(600, 600);
    let started = app
        .start_upload(&order, "photo", "image/jpeg", &photo)
        .await;
    let mut put = started.body["upload"]["put"].clone();
    let url = put["url"]
        .as_str()
        .unwrap()
        .replace("/samples/", "/samples/x");
    put["url"] = url.into();
    let resp = app.put_presigned(&put, photo).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_completion_listing_too_few_parts_changes_nothing() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let video = samples::mp4(640, 360, 5_000, false, 12 * MIB);
    let started = app.start_upload(&order, "video", "video/mp4", &video).await;
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    let parts = app.put_all(&started.body["upload"], &video).await;

    let short = app
        .complete_with_parts(&order, &sample_id, &parts[..2])
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short.code(), "upload_incomplete");
    assert_eq!(short.body["missing_parts"], serde_json::json!([3]));
    let twice = [parts.clone(), parts[..1].to_vec()].concat();
    assert_eq!(
        app.complete_with_parts(&order, &sample_id, &twice)
            .await
            .code(),
        "invalid_parts"
    );
    let garbage = app
        .post(
            &format!("/api/v1/orders/{order}/samples/{sample_id}/complete"),
            &serde_json::json!({ "parts": "all" }),
        )
        .await;
    assert_eq!(garbage.code(), "invalid_body");

    let done = app.complete_with_parts(&order, &sample_id, &parts).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
}
