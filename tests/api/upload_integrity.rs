//! What keeps a verified sample equal to its declaration when clients (or crashes) misbehave:
//! create-only PUT URLs, part lists checked against the store, recovery after a crash between
//! assembly and verdict, lost uploads, stale verification claims, audio-only MP4s.

use keepsake::media::samples;
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{MIB, TestApp, order_body, sha256_hex};

async fn new_order(app: &TestApp) -> String {
    app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn stored_sha(app: &TestApp, order: &str, sample_id: &str) -> String {
    let key = format!("orders/{order}/samples/{sample_id}");
    hex::encode(app.state.store.sha256(&key).await.unwrap())
}

#[tokio::test]
async fn a_single_put_url_cannot_replace_the_file() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let photo = samples::jpeg(700, 700);
    let other = samples::jpeg(900, 900);
    let started = app
        .start_upload(&order, "photo", "image/jpeg", &photo)
        .await;
    let put = started.body["upload"]["put"].clone();
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    assert_eq!(put["headers"]["if-none-match"], "*", "{put}");

    assert!(
        app.put_presigned(&put, photo.clone())
            .await
            .status()
            .is_success()
    );
    let again = app.put_presigned(&put, other.clone()).await;
    assert_eq!(
        again.status(),
        StatusCode::PRECONDITION_FAILED,
        "a second PUT cannot replace the first"
    );
    let done = app.complete(&order, &sample_id).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["metadata"]["width"], 700);

    let after = app.put_presigned(&put, other).await;
    assert_eq!(
        after.status(),
        StatusCode::PRECONDITION_FAILED,
        "nor after verification"
    );
    assert_eq!(
        stored_sha(&app, &order, &sample_id).await,
        sha256_hex(&photo)
    );
}

#[tokio::test]
async fn listed_parts_are_checked_against_the_store_and_may_come_in_any_order() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let video = samples::mp4(640, 360, 5_000, true, 12 * MIB);
    let started = app.start_upload(&order, "video", "video/mp4", &video).await;
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    let mut parts = app.put_all(&started.body["upload"], &video).await;

    // A part the store does not hold (s3s-fs reports no ETags, so the number is what it checks).
    let mut wrong = parts.clone();
    wrong[1]["part_number"] = 7.into();
    let refused = app.complete_with_parts(&order, &sample_id, &wrong).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.code(), "invalid_parts");
    let sample = app
        .get(&format!("/api/v1/orders/{order}/samples/{sample_id}"))
        .await;
    assert_eq!(
        sample.body["status"], "uploading",
        "nothing was consumed or rejected"
    );

    parts.reverse();
    let done = app.complete_with_parts(&order, &sample_id, &parts).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(
        stored_sha(&app, &order, &sample_id).await,
        sha256_hex(&video)
    );
}

/// The row a test needs to reach behind the API (the store's upload id).
async fn row(app: &TestApp, sample_id: &str) -> keepsake::db::samples::SampleRow {
    keepsake::db::entities::sample::Entity::find_by_id(sample_id.parse::<uuid::Uuid>().unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_completion_after_a_crash_between_assembly_and_verdict_still_verifies() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let video = samples::mp4(800, 600, 4_000, false, 7 * MIB);
    let started = app.start_upload(&order, "video", "video/mp4", &video).await;
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    app.put_all(&started.body["upload"], &video).await;

    // A previous completion assembled the parts, then its process died.
    let r = row(&app, &sample_id).await;
    let parts = app
        .state
        .store
        .list_parts(&r.object_key, r.multipart_upload_id.as_deref().unwrap())
        .await
        .unwrap();
    app.state
        .store
        .complete_multipart(
            &r.object_key,
            r.multipart_upload_id.as_deref().unwrap(),
            &parts,
        )
        .await
        .unwrap();

    let done = app.complete(&order, &sample_id).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["metadata"]["width"], 800);
    assert!(
        row(&app, &sample_id).await.multipart_upload_id.is_none(),
        "the assembly is remembered"
    );
}

#[tokio::test]
async fn a_stale_verification_claim_is_taken_over_and_a_fresh_one_is_not() {
    use keepsake::db::entities::sample;
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let photo = samples::png(640, 640);
    let started = app.start_upload(&order, "photo", "image/png", &photo).await;
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    app.put_all(&started.body["upload"], &photo).await;

    let set_verifying = |age: chrono::Duration| {
        let id: uuid::Uuid = sample_id.parse().unwrap();
        let db = app.state.db.clone();
        async move {
            sample::Entity::update_many()
                .col_expr(
                    sample::Column::Status,
                    sea_orm::sea_query::Expr::value("verifying"),
                )
                .col_expr(
                    sample::Column::UpdatedAt,
                    sea_orm::sea_query::Expr::value(keepsake::db::now() - age),
                )
                .filter(sample::Column::Id.eq(id))
                .exec(&db)
                .await
                .unwrap();
        }
    };
    // A claim renewed a moment ago belongs to a live verifier; one not renewed for the whole
    // lease belongs to a dead one.
    set_verifying(chrono::Duration::seconds(5)).await;
    let busy = app.complete(&order, &sample_id).await;
    assert_eq!(
        busy.code(),
        "sample_not_uploading",
        "a live verification is not interrupted"
    );
    set_verifying(keepsake::uploads::VERIFY_LEASE + chrono::Duration::seconds(1)).await;
    let done = app.complete(&order, &sample_id).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
}

#[tokio::test]
async fn an_android_voice_memo_in_an_mp4_container_is_audio() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let mut memo = samples::m4a(65_000);
    let brand = memo
        .windows(4)
        .position(|w| w == b"M4A ")
        .expect("ftyp brand");
    memo[brand..brand + 4].copy_from_slice(b"mp42");

    let voice = app.upload_sample(&order, "voice", "audio/mp4", &memo).await;
    assert_eq!(voice.status, StatusCode::OK, "{:?}", voice.body);
    assert_eq!(voice.body["metadata"]["duration_ms"], 65000);
    assert_eq!(voice.body["detected_content_type"], "audio/mp4");

    let as_video = app.upload_sample(&order, "video", "video/mp4", &memo).await;
    assert_eq!(as_video.code(), "wrong_kind", "{:?}", as_video.body);
}

#[tokio::test]
async fn a_cancelled_order_takes_no_completions() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let photo = samples::jpeg(640, 640);
    let started = app
        .start_upload(&order, "photo", "image/jpeg", &photo)
        .await;
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    app.put_all(&started.body["upload"], &photo).await;
    let cancelled = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{order}/actions/cancel"),
            &[("if-match", "\"v1\"")],
            None,
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK);

    assert_eq!(
        app.complete(&order, &sample_id).await.code(),
        "order_not_accepting_samples"
    );
    let resume = app
        .get(&format!(
            "/api/v1/orders/{order}/samples/{sample_id}/upload"
        ))
        .await;
    assert_eq!(resume.code(), "order_not_accepting_samples");
}

#[tokio::test]
async fn the_embedded_store_serves_exact_ranges_and_whole_objects() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let video = samples::mp4(640, 480, 2_000, true, 3 * MIB + 12_345);
    let done = app
        .upload_sample(&order, "video", "video/mp4", &video)
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    let key = format!(
        "orders/{order}/samples/{}",
        done.body["id"].as_str().unwrap()
    );
    for (offset, len) in [
        (0u64, 10u64),
        (1, 300_000),
        (MIB as u64 - 7, MIB as u64 + 11),
        (video.len() as u64 - 5, 5),
    ] {
        let got = app.state.store.read_range(&key, offset, len).await.unwrap();
        assert_eq!(
            &got[..],
            &video[offset as usize..(offset + len) as usize],
            "range {offset}+{len}"
        );
    }
    assert_eq!(
        hex::encode(app.state.store.sha256(&key).await.unwrap()),
        sha256_hex(&video)
    );
}

#[tokio::test]
async fn a_browser_may_upload_to_the_embedded_store_from_another_origin() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let photo = samples::jpeg(640, 640);
    let started = app
        .start_upload(&order, "photo", "image/jpeg", &photo)
        .await;
    let url = started.body["upload"]["put"]["url"]
        .as_str()
        .unwrap()
        .to_owned();

    let preflight = app
        .client
        .request(Method::OPTIONS, &url)
        .header("origin", "https://studio.example")
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "content-type,x-amz-checksum-sha256,if-none-match",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert!(
        preflight.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("PUT")
    );

    let mut put = app
        .client
        .put(&url)
        .header("origin", "https://studio.example")
        .body(photo.clone());
    for (k, v) in started.body["upload"]["put"]["headers"]
        .as_object()
        .unwrap()
    {
        put = put.header(k.as_str(), v.as_str().unwrap());
    }
    let resp = put.send().await.unwrap();
    assert!(resp.status().is_success());
    assert!(
        resp.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("etag")
    );
    let sample_id = started.body["sample"]["id"].as_str().unwrap();
    assert_eq!(app.complete(&order, sample_id).await.status, StatusCode::OK);
}
