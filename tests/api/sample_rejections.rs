//! Every way a sample is refused: at declaration (nothing stored) or at completion (the object
//! is deleted, the sample is `rejected` with a stable code and the verdict is audited).

use keepsake::media::samples;
use reqwest::StatusCode;

use crate::helpers::{MIB, TestApp, order_body, sha256_hex};

async fn new_order(app: &TestApp) -> String {
    app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Upload `bytes` declared as (`kind`, `content_type`, `size`, `sha`) and complete; return the
/// completion reply after checking the rejection left nothing in the store.
async fn rejected(
    app: &TestApp,
    order: &str,
    kind: &str,
    content_type: &str,
    size: u64,
    sha: &str,
    bytes: Vec<u8>,
) -> crate::helpers::Reply {
    let started = app
        .start_upload_declared(order, kind, content_type, size, sha)
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    let upload = &started.body["upload"];
    if upload.get("put").is_some() {
        // The store may refuse the PUT itself (a checksum it verifies); completion must still reject.
        let _ = app.put_presigned(&upload["put"], bytes).await;
    } else {
        app.put_all(upload, &bytes).await;
    }
    let sample_id = started.body["sample"]["id"].as_str().unwrap();
    let reply = app.complete(order, sample_id).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.body["sample_id"], sample_id);

    let sample = app
        .get(&format!("/api/v1/orders/{order}/samples/{sample_id}"))
        .await;
    assert_eq!(sample.body["status"], "rejected");
    assert_eq!(sample.body["rejection"]["code"], reply.body["code"]);
    assert!(
        app.stored_keys(order).await.is_empty(),
        "a rejected object is deleted"
    );
    let events = keepsake::audit::events_for(&app.state.db, sample_id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        events.last().map(|e| e.action.as_str()),
        Some("sample.rejected")
    );
    reply
}

#[tokio::test]
async fn a_file_shorter_than_declared_is_rejected() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let photo = samples::jpeg(600, 600);
    let reply = rejected(
        &app,
        &order,
        "photo",
        "image/jpeg",
        photo.len() as u64 + 10,
        &sha256_hex(&photo),
        photo,
    )
    .await;
    assert_eq!(reply.code(), "size_mismatch");
}

#[tokio::test]
async fn a_single_put_with_other_bytes_than_declared_is_refused_by_the_store_and_can_be_sent_again()
{
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let photo = samples::jpeg(600, 600);
    let mut tampered = photo.clone();
    let last = tampered.len() - 3;
    tampered[last] ^= 0xff;
    let started = app
        .start_upload(&order, "photo", "image/jpeg", &photo)
        .await;
    let put = started.body["upload"]["put"].clone();
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();

    let refused = app.put_presigned(&put, tampered).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(
        refused.text().await.unwrap().contains("BadDigest"),
        "the store checks the signed SHA-256"
    );
    assert!(app.stored_keys(&order).await.is_empty(), "nothing was kept");
    let encoded_key = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("orders/{order}/samples/{sample_id}"))
    };
    assert!(
        app.store_root_files()
            .iter()
            .all(|name| !name.contains(&encoded_key)),
        "no record of the refused bytes either: {:?}",
        app.store_root_files()
    );
    let early = app.complete(&order, &sample_id).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{:?}", early.body);
    assert_eq!(early.code(), "upload_incomplete");

    assert!(
        app.put_presigned(&put, photo.clone())
            .await
            .status()
            .is_success()
    );
    let head = app
        .state
        .store
        .head(&format!("orders/{order}/samples/{sample_id}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        head.full_object_sha256().map(hex::encode),
        Some(sha256_hex(&photo)),
        "the store reports the SHA-256 it checked"
    );
    let done = app.complete(&order, &sample_id).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["metadata"]["width"], 600);
}

/// The client hashed and sent a damaged copy: every part matches the SHA-256 it was signed
/// with, but the whole file is not the one declared.
#[tokio::test]
async fn a_multipart_upload_with_a_corrupted_part_is_rejected() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let video = samples::mp4(640, 480, 3_000, true, 7 * MIB);
    let mut corrupted = video.clone();
    corrupted[6 * MIB] ^= 0x01;
    let reply = rejected(
        &app,
        &order,
        "video",
        "video/mp4",
        video.len() as u64,
        &sha256_hex(&video),
        corrupted,
    )
    .await;
    assert_eq!(reply.code(), "checksum_mismatch");
}

#[tokio::test]
async fn a_png_declared_as_jpeg_is_rejected() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let png = samples::png(600, 600);
    let reply = rejected(
        &app,
        &order,
        "photo",
        "image/jpeg",
        png.len() as u64,
        &sha256_hex(&png),
        png,
    )
    .await;
    assert_eq!(reply.code(), "type_mismatch");
    assert!(reply.body["detail"].as_str().unwrap().contains("image/png"));
}

#[tokio::test]
async fn an_html_page_declared_as_a_photo_is_rejected() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let html = b"<!doctype html><html><body><script>alert(1)</script></body></html>".to_vec();
    let reply = rejected(
        &app,
        &order,
        "photo",
        "image/jpeg",
        html.len() as u64,
        &sha256_hex(&html),
        html,
    )
    .await;
    assert_eq!(reply.code(), "unrecognized_type");
}

#[tokio::test]
async fn a_recording_uploaded_as_a_photo_is_rejected() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let wav = samples::wav(1_000, 8_000);
    let reply = rejected(
        &app,
        &order,
        "photo",
        "image/jpeg",
        wav.len() as u64,
        &sha256_hex(&wav),
        wav,
    )
    .await;
    assert_eq!(reply.code(), "wrong_kind");
}

#[tokio::test]
async fn a_photo_with_broken_headers_is_rejected() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let mut broken = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    broken.extend(b"JFIF\0 but then nothing sensible at all".iter());
    let reply = rejected(
        &app,
        &order,
        "photo",
        "image/jpeg",
        broken.len() as u64,
        &sha256_hex(&broken),
        broken,
    )
    .await;
    assert_eq!(reply.code(), "unreadable_media");
}

#[tokio::test]
async fn bad_declarations_are_refused_before_anything_is_stored() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let sha = "a".repeat(64);
    let cases = [
        ("photo", "image/jpeg", 0, sha.clone(), "empty_file"),
        (
            "photo",
            "image/jpeg",
            9 * MIB as u64,
            sha.clone(),
            "file_too_large",
        ),
        (
            "video",
            "video/mp4",
            11 * 1024 * MIB as u64,
            sha.clone(),
            "file_too_large",
        ),
        (
            "photo",
            "audio/wav",
            1000,
            sha.clone(),
            "content_type_not_allowed",
        ),
        (
            "voice",
            "image/png",
            1000,
            sha.clone(),
            "content_type_not_allowed",
        ),
        (
            "photo",
            "text/html",
            1000,
            sha.clone(),
            "content_type_not_allowed",
        ),
        (
            "photo",
            "image/jpeg",
            1000,
            "xyz".to_owned(),
            "invalid_sha256",
        ),
    ];
    for (kind, content_type, size, sha, code) in cases {
        let reply = app
            .start_upload_declared(&order, kind, content_type, size, &sha)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{code}: {:?}",
            reply.body
        );
        assert_eq!(reply.code(), code);
    }
    let unknown_kind = app
        .post(&format!("/api/v1/orders/{order}/samples"), &serde_json::json!({ "kind": "hologram", "file_name": "a", "size": 1, "sha256": sha, "content_type": "image/png" }))
        .await;
    assert_eq!(unknown_kind.code(), "invalid_body");
    assert!(
        app.get(&format!("/api/v1/orders/{order}/samples"))
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_file_name_is_only_a_label() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let photo = samples::jpeg(600, 600);
    let reply = app
        .post(
            &format!("/api/v1/orders/{order}/samples"),
            &serde_json::json!({ "kind": "photo", "file_name": "../../etc/passwd", "size": photo.len(), "sha256": sha256_hex(&photo), "content_type": "image/jpeg" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    app.put_all(&reply.body["upload"], &photo).await;
    let sample_id = reply.body["sample"]["id"].as_str().unwrap();
    assert_eq!(app.complete(&order, sample_id).await.status, StatusCode::OK);
    assert_eq!(
        app.stored_keys(&order).await,
        vec![format!("orders/{order}/samples/{sample_id}")]
    );
}

/// A client whose file picker read nothing: it declared the photo's size but hashed (and sent)
/// zero bytes, so the store's checksum check passes.
#[tokio::test]
async fn an_empty_upload_is_rejected() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let photo = samples::jpeg(600, 600);
    let reply = rejected(
        &app,
        &order,
        "photo",
        "image/jpeg",
        photo.len() as u64,
        &sha256_hex(&[]),
        Vec::new(),
    )
    .await;
    assert_eq!(reply.code(), "empty_file");
}
