//! Parts are signed with their SHA-256s and checked by the store as they arrive. The embedded
//! store writes them in place (Keepsake tells it the part size) and proves the whole object's
//! SHA-256 while completing; an upload created without the part size goes through part files.

use std::time::Duration;

use keepsake::media::samples;
use reqwest::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::{MIB, TestApp, order_body, part_bytes, sha256_hex};

async fn new_order(app: &TestApp) -> String {
    app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn numbers(parts: &serde_json::Value) -> Vec<u64> {
    parts
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| p["part_number"].as_u64().unwrap())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_part_damaged_on_the_way_is_refused_and_can_be_sent_again() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let video = samples::mp4(640, 360, 5_000, false, 12 * MIB);
    let started = app.start_upload(&order, "video", "video/mp4", &video).await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    let upload = &started.body["upload"];
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    assert_eq!(numbers(&upload["parts_to_upload"]), vec![1, 2, 3]);
    assert!(upload.get("parts").is_none(), "no unsigned part URLs");

    let signed = app.sign_parts(upload, &video, &[1, 2, 3]).await;
    assert!(
        signed[1]["request"]["headers"]["x-amz-checksum-sha256"].is_string(),
        "the SHA-256 is a signed header: {}",
        signed[1]
    );
    let mut damaged = part_bytes(upload, &video, 2).to_vec();
    damaged[100] ^= 0x01;
    let refused = app.put_presigned(&signed[1]["request"], damaged).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("BadDigest"));
    for (index, n) in [(0, 1), (2, 3)] {
        let resp = app
            .put_presigned(
                &signed[index]["request"],
                part_bytes(upload, &video, n).to_vec(),
            )
            .await;
        assert!(resp.status().is_success(), "part {n}");
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
        resumed.body["uploaded_parts"][1]["sha256"],
        sha256_hex(part_bytes(upload, &video, 3)),
        "the store reports each part's SHA-256"
    );
    let early = app.complete(&order, &sample_id).await;
    assert_eq!(early.code(), "upload_incomplete");
    assert_eq!(early.body["missing_parts"], json!([2]));

    let resent = app
        .put_presigned(
            &signed[1]["request"],
            part_bytes(upload, &video, 2).to_vec(),
        )
        .await;
    assert!(resent.status().is_success());
    let done = app.complete(&order, &sample_id).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["metadata"]["width"], 640);

    let key = format!("orders/{order}/samples/{sample_id}");
    let head = app.state.store.head(&key).await.unwrap().unwrap();
    let whole: [u8; 32] = Sha256::digest(&video).into();
    assert_eq!(
        head.full_object_sha256(),
        Some(whole),
        "the store proved the whole file's SHA-256 while completing"
    );
    assert_eq!(app.state.store.sha256(&key).await.unwrap(), whole);
    assert!(
        app.stray_part_files().is_empty(),
        "nothing of the upload is left: {:?}",
        app.stray_part_files()
    );
}

#[tokio::test]
async fn parts_sent_at_once_and_out_of_order_assemble_to_the_declared_file() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let video = samples::mp4(1280, 720, 8_000, true, 23 * MIB);
    let started = app.start_upload(&order, "video", "video/mp4", &video).await;
    let upload = &started.body["upload"];
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    let count = upload["part_count"].as_u64().unwrap();
    assert_eq!(count, 5);
    let all: Vec<u64> = (1..=count).rev().collect();
    let signed = app.sign_parts(upload, &video, &all).await;
    let puts = signed.iter().map(|part| {
        let n = part["part_number"].as_u64().unwrap();
        app.put_presigned(&part["request"], part_bytes(upload, &video, n).to_vec())
    });
    for resp in futures::future::join_all(puts).await {
        assert!(resp.status().is_success());
    }
    let done = app.complete(&order, &sample_id).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["metadata"]["duration_ms"], 8000);
    let key = format!("orders/{order}/samples/{sample_id}");
    assert_eq!(
        hex::encode(app.state.store.sha256(&key).await.unwrap()),
        sha256_hex(&video)
    );
}

#[tokio::test]
async fn signing_parts_checks_the_list_and_the_upload() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let video = samples::mp4(640, 360, 5_000, false, 12 * MIB);
    let started = app.start_upload(&order, "video", "video/mp4", &video).await;
    let url = started.body["upload"]["sign_parts_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let sha = sha256_hex(b"part");
    for (parts, code) in [
        (json!([]), "invalid_part_list"),
        (
            json!([{ "part_number": 0, "sha256": sha }]),
            "invalid_part_number",
        ),
        (
            json!([{ "part_number": 4, "sha256": sha }]),
            "invalid_part_number",
        ),
        (
            json!([{ "part_number": 2, "sha256": sha }, { "part_number": 2, "sha256": sha }]),
            "invalid_part_list",
        ),
        (
            json!([{ "part_number": 1, "sha256": "zz" }]),
            "invalid_sha256",
        ),
        (json!([{ "part_number": 1 }]), "invalid_body"),
    ] {
        let reply = app.post(&url, &json!({ "parts": parts })).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{parts}: {:?}",
            reply.body
        );
        assert_eq!(reply.code(), code, "{parts}");
    }

    let photo = samples::jpeg(600, 600);
    let single = app
        .start_upload(&order, "photo", "image/jpeg", &photo)
        .await;
    let single_id = single.body["sample"]["id"].as_str().unwrap();
    assert!(single.body["upload"].get("sign_parts_url").is_none());
    let refused = app
        .post(
            &format!("/api/v1/orders/{order}/samples/{single_id}/parts"),
            &json!({ "parts": [{ "part_number": 1, "sha256": sha }] }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.code(), "not_multipart");

    let stranger = app.customer("stranger@example.com").await;
    let foreign = app
        .send(
            reqwest::Method::POST,
            &url,
            &[("authorization", &stranger)],
            Some(&json!({ "parts": [{ "part_number": 1, "sha256": sha }] })),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{:?}", foreign.body);
}

#[tokio::test]
async fn a_part_larger_than_the_upload_part_size_is_refused() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let video = samples::mp4(640, 360, 5_000, false, 12 * MIB);
    let started = app.start_upload(&order, "video", "video/mp4", &video).await;
    let sample_id = started.body["sample"]["id"].as_str().unwrap();
    let row = keepsake::db::samples::find(
        &app.state.db,
        order.parse().unwrap(),
        sample_id.parse().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    // Part 1 one byte too long would overwrite the start of part 2.
    let oversized = video[..5 * MIB + 1].to_vec();
    let sha: [u8; 32] = Sha256::digest(&oversized).into();
    let request = app
        .state
        .store
        .presign_part(
            &row.object_key,
            row.multipart_upload_id.as_deref().unwrap(),
            1,
            Some(&sha),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let resp = app
        .put_presigned(&serde_json::to_value(&request).unwrap(), oversized)
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("EntityTooLarge"));
}

/// What any S3 client gets from the embedded store when it does not say the part size:
/// parts in files of their own, MD5 ETags, one copy at completion that also proves the
/// object's SHA-256.
#[tokio::test]
async fn an_upload_created_without_the_part_size_uses_part_files() {
    let app = TestApp::spawn().await;
    let store = &app.state.store;
    let bytes: Vec<u8> = (0..(6 * MIB as u32))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let key = "bench/any-client";
    let upload_id = store
        .create_multipart(key, "application/octet-stream", &Default::default(), None)
        .await
        .unwrap();
    for (n, range) in [(1, 0..5 * MIB), (2, 5 * MIB..bytes.len())] {
        let request = store
            .presign_part(key, &upload_id, n, None, Duration::from_secs(60))
            .await
            .unwrap();
        let resp = app
            .put_presigned(
                &serde_json::to_value(&request).unwrap(),
                bytes[range].to_vec(),
            )
            .await;
        assert!(resp.status().is_success());
    }
    let parts = store.list_parts(key, &upload_id).await.unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].size, 5 * MIB as u64);
    assert_eq!(
        parts[0].etag.trim_matches('"'),
        hex::encode(md5_of(&bytes[..5 * MIB])),
        "an MD5 ETag"
    );
    store
        .complete_multipart(key, &upload_id, &parts)
        .await
        .unwrap();
    let head = store.head(key).await.unwrap().unwrap();
    let whole: [u8; 32] = Sha256::digest(&bytes).into();
    assert_eq!(head.full_object_sha256(), Some(whole));
    assert_eq!(head.size, bytes.len() as u64);
    assert_eq!(
        store.read_range(key, 5 * MIB as u64 - 2, 4).await.unwrap(),
        bytes[5 * MIB - 2..5 * MIB + 2]
    );
    assert!(app.stray_part_files().is_empty());
}

fn md5_of(bytes: &[u8]) -> [u8; 16] {
    use s3s::crypto::Checksum;
    let mut md5 = s3s::crypto::Md5::new();
    md5.update(bytes);
    md5.finalize()
}

#[tokio::test]
async fn a_part_of_the_wrong_size_is_sent_again_not_rejected() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let video = samples::mp4(640, 360, 5_000, false, 12 * MIB);
    let started = app.start_upload(&order, "video", "video/mp4", &video).await;
    let upload = &started.body["upload"];
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    app.put_all(upload, &video).await;

    // The client re-sends part 1 short (its own bug), signed with the short bytes' SHA-256.
    let short = &video[..4 * MIB];
    let url = upload["sign_parts_url"].as_str().unwrap();
    let signed = app
        .post(
            url,
            &json!({ "parts": [{ "part_number": 1, "sha256": sha256_hex(short) }] }),
        )
        .await;
    let resp = app
        .put_presigned(&signed.body["parts"][0]["request"], short.to_vec())
        .await;
    assert!(resp.status().is_success(), "the store takes a short part");
    let refused = app.complete(&order, &sample_id).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        refused.body
    );
    assert_eq!(refused.code(), "invalid_parts", "not a rejection");
    let resumed = app
        .get(&format!(
            "/api/v1/orders/{order}/samples/{sample_id}/upload"
        ))
        .await;
    assert_eq!(numbers(&resumed.body["parts_to_upload"]), vec![1]);

    app.put_all(&resumed.body, &video).await;
    let done = app.complete(&order, &sample_id).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
}

#[tokio::test]
async fn an_aborted_upload_leaves_nothing_and_takes_no_more_parts() {
    let app = TestApp::spawn().await;
    let order = new_order(&app).await;
    let video = samples::mp4(640, 360, 5_000, false, 12 * MIB);
    let started = app.start_upload(&order, "video", "video/mp4", &video).await;
    let upload = &started.body["upload"];
    let sample_id = started.body["sample"]["id"].as_str().unwrap();
    let signed = app.sign_parts(upload, &video, &[1, 2]).await;
    let first = app
        .put_presigned(
            &signed[0]["request"],
            part_bytes(upload, &video, 1).to_vec(),
        )
        .await;
    assert!(first.status().is_success());
    assert!(!app.stray_part_files().is_empty());

    let row = keepsake::db::samples::find(
        &app.state.db,
        order.parse().unwrap(),
        sample_id.parse().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let upload_id = row.multipart_upload_id.as_deref().unwrap();
    app.state
        .store
        .abort_multipart(&row.object_key, upload_id)
        .await
        .unwrap();
    assert!(
        app.stray_part_files().is_empty(),
        "every file of the upload is gone: {:?}",
        app.stray_part_files()
    );
    app.state
        .store
        .abort_multipart(&row.object_key, upload_id)
        .await
        .expect("aborting again is fine");
    let late = app
        .put_presigned(
            &signed[1]["request"],
            part_bytes(upload, &video, 2).to_vec(),
        )
        .await;
    assert!(late.status().is_client_error(), "{}", late.status());
    assert!(app.stray_part_files().is_empty());
}
