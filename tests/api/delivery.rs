//! Delivery: deliverables upload through the verified path with their AI-generated-content
//! label, the gate reads the label back from the stored object before `deliver`, and the
//! customer's downloads are audited.

use keepsake::domain::account::Role;
use keepsake::media::samples;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn audit_of(app: &TestApp, admin: &str, target: &str) -> Vec<Value> {
    let trail = app
        .send(
            Method::GET,
            &format!("/api/v1/audit?target_id={target}&limit=100"),
            &[("authorization", admin)],
            None,
        )
        .await;
    assert_eq!(trail.status, StatusCode::OK, "{:?}", trail.body);
    trail.body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_order_is_delivered_only_with_signed_off_quality_and_a_labeled_verified_deliverable() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let video = samples::mp4(640, 480, 2_000, false, 8192);

    // Before production no deliverable is taken.
    let queued = app.queued_order("machine_driven", &reviewer, &texts).await;
    let early = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{queued}/deliverables"),
            &[("authorization", &staff)],
            Some(&json!({ "kind": "video", "file_name": "x.mp4", "size": video.len(), "sha256": crate::helpers::sha256_hex(&video), "content_type": "video/mp4" })),
        )
        .await;
    assert_eq!(early.code(), "order_not_accepting_deliverables");

    let order = app
        .order_in_quality_check("machine_driven", &reviewer, &staff, &texts)
        .await;
    let by_customer = app
        .post(
            &format!("/api/v1/orders/{order}/deliverables"),
            &json!({ "kind": "video", "file_name": "x.mp4", "size": video.len(), "sha256": crate::helpers::sha256_hex(&video), "content_type": "video/mp4" }),
        )
        .await;
    assert_eq!(by_customer.status, StatusCode::FORBIDDEN);
    let document = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{order}/deliverables"),
            &[("authorization", &staff)],
            Some(&json!({ "kind": "document", "file_name": "x.pdf", "size": 10, "sha256": "00".repeat(32), "content_type": "application/pdf" })),
        )
        .await;
    assert_eq!(document.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(document.code(), "invalid_body");
    assert_eq!(document.body["field"], "kind", "{:?}", document.body);

    let unsigned = app.act(&order, "deliver", &staff, None).await;
    assert_eq!(unsigned.status, StatusCode::CONFLICT);
    assert_eq!(unsigned.code(), "quality_not_signed_off");
    let signed = app.act(&order, "sign_off_quality", &reviewer, None).await;
    assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
    let empty = app.act(&order, "deliver", &staff, None).await;
    assert_eq!(empty.code(), "no_deliverable");

    let verified = app
        .upload_deliverable(&order, &staff, "video", "video/mp4", &video)
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    assert_eq!(verified.body["status"], "verified");
    assert_eq!(verified.body["metadata"]["width"], 640);
    let content_id = verified.body["label"]["content_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(content_id.starts_with("ks-"));
    assert_eq!(verified.body["label"]["provider"], "keepsake-studio");
    assert!(
        verified.body["label"]["text"]
            .as_str()
            .unwrap()
            .contains("AI-generated")
    );
    assert!(verified.body["label"]["checked_at"].is_null());
    let deliverable = verified.body["id"].as_str().unwrap().to_owned();
    let key = format!("orders/{order}/deliverables/{deliverable}");
    let head = app.state.store.head(&key).await.unwrap().unwrap();
    assert_eq!(head.metadata["aigc-content-id"], content_id);
    assert_eq!(head.metadata["aigc-label"], "ai-generated");

    // The customer sees nothing before delivery; the studio does.
    let customer_list = app
        .get(&format!("/api/v1/orders/{order}/deliverables"))
        .await;
    assert_eq!(customer_list.body["items"].as_array().unwrap().len(), 0);
    let early_download = app
        .get(&format!(
            "/api/v1/orders/{order}/deliverables/{deliverable}/download"
        ))
        .await;
    assert_eq!(early_download.status, StatusCode::NOT_FOUND);
    let studio_list = app
        .send(
            Method::GET,
            &format!("/api/v1/orders/{order}/deliverables"),
            &[("authorization", &staff)],
            None,
        )
        .await;
    assert_eq!(studio_list.body["items"].as_array().unwrap().len(), 1);
    let sample_route = app
        .get(&format!("/api/v1/orders/{order}/samples/{deliverable}"))
        .await;
    assert_eq!(
        sample_route.status,
        StatusCode::NOT_FOUND,
        "a deliverable is not a sample"
    );

    let by_reviewer = app.act(&order, "deliver", &reviewer, None).await;
    assert_eq!(by_reviewer.status, StatusCode::FORBIDDEN);
    let delivered = app.act(&order, "deliver", &staff, None).await;
    assert_eq!(delivered.status, StatusCode::OK, "{:?}", delivered.body);
    assert_eq!(delivered.body["status"], "delivered");
    let one = app
        .get(&format!(
            "/api/v1/orders/{order}/deliverables/{deliverable}"
        ))
        .await;
    assert_eq!(one.status, StatusCode::OK, "{:?}", one.body);
    assert!(
        one.body["label"]["checked_at"].is_string(),
        "read back at delivery"
    );
    let late = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{order}/deliverables"),
            &[("authorization", &staff)],
            Some(&json!({ "kind": "video", "file_name": "x.mp4", "size": 10, "sha256": "00".repeat(32), "content_type": "video/mp4" })),
        )
        .await;
    assert_eq!(late.code(), "order_not_accepting_deliverables");

    // The customer downloads the delivered file; the URL is short-lived and audited.
    let download = app
        .get(&format!(
            "/api/v1/orders/{order}/deliverables/{deliverable}/download"
        ))
        .await;
    assert_eq!(download.status, StatusCode::OK, "{:?}", download.body);
    let fetched = app
        .client
        .get(download.body["request"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(fetched.status().is_success());
    // The labeled copy: the same video, the GB 45438 label inside naming the studio, this
    // content id and the order, and the studio's C2PA manifest over all of it.
    let got = fetched.bytes().await.unwrap();
    crate::workflow::assert_labeled_copy_of(&got, &video, keepsake::media::MediaType::Mp4).await;
    let inside = keepsake::labels::read(keepsake::media::MediaType::Mp4, &got)
        .await
        .unwrap()
        .expect("the label inside the downloaded file");
    assert_eq!(inside.label, "1");
    assert_eq!(inside.produce_id, content_id);
    assert_eq!(inside.content_producer, "Keepsake Studio");
    let reference = app.get(&format!("/api/v1/orders/{order}")).await.body["reference"].clone();
    assert_eq!(inside.propagate_id, reference.as_str().unwrap());
    let expires: chrono::DateTime<chrono::Utc> = download.body["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(expires <= chrono::Utc::now() + chrono::Duration::minutes(15));

    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let trail = audit_of(&app, &admin, &deliverable).await;
    let downloads: Vec<&Value> = trail
        .iter()
        .filter(|e| e["action"] == "deliverable.download_url_issued")
        .collect();
    assert_eq!(downloads.len(), 1, "{trail:?}");
    assert_eq!(downloads[0]["detail"]["content_id"], content_id);
    assert_eq!(downloads[0]["detail"]["labeled_copy"], true);
    assert!(
        trail.iter().any(|e| e["action"] == "deliverable.verified"),
        "{trail:?}"
    );
    let order_trail = audit_of(&app, &admin, &order).await;
    assert!(order_trail.iter().any(|e| e["action"] == "order.delivered"));

    let closed = app.act(&order, "close", &staff, None).await;
    assert_eq!(closed.body["status"], "closed", "{:?}", closed.body);
}

#[tokio::test]
async fn a_deliverable_whose_stored_object_lost_its_metadata_label_blocks_delivery() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let order = app
        .order_in_quality_check("machine_driven", &reviewer, &staff, &texts)
        .await;
    app.act(&order, "sign_off_quality", &reviewer, None).await;
    let video = samples::mp4(320, 240, 1_000, true, 2048);
    let verified = app
        .upload_deliverable(&order, &staff, "video", "video/mp4", &video)
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    let deliverable = verified.body["id"].as_str().unwrap();

    // Someone rewrites the labeled copy: its metadata label kept, its bytes changed. The gate
    // reads the bytes back and refuses — first because they are not the bytes recorded when
    // the copy was made; then, with the record made to agree, because of what is inside.
    let key = format!("orders/{order}/deliverables/{deliverable}.labeled");
    let head = app
        .state
        .store
        .head(&key)
        .await
        .unwrap()
        .expect("the labeled copy");
    let metadata: std::collections::BTreeMap<String, String> =
        head.metadata.clone().into_iter().collect();
    let labeled = app
        .state
        .store
        .read_range(&key, 0, head.size)
        .await
        .unwrap()
        .to_vec();
    let replace = |bytes: Vec<u8>| {
        let app = &app;
        let (key, metadata) = (&key, &metadata);
        async move {
            let put = app
                .state
                .store
                .presign_put(
                    key,
                    None,
                    None,
                    false,
                    metadata,
                    std::time::Duration::from_secs(60),
                )
                .await
                .unwrap();
            let put = serde_json::to_value(&put).unwrap();
            assert!(
                app.put_presigned(&put, bytes.clone())
                    .await
                    .status()
                    .is_success()
            );
            let sha = crate::helpers::sha256_hex(&bytes);
            let id: uuid::Uuid = deliverable.parse().unwrap();
            (sha, id)
        }
    };
    let refused_for = |wanted: &'static str| {
        let app = &app;
        let (order, staff) = (&order, &staff);
        async move {
            let refused = app.act(order, "deliver", staff, None).await;
            assert_eq!(
                refused.code(),
                "label_metadata_mismatch",
                "{:?}",
                refused.body
            );
            let detail = refused.body["detail"].as_str().unwrap().to_owned();
            assert!(detail.contains(wanted), "{wanted:?} in {detail:?}");
        }
    };
    // The record made to agree with the new bytes, so the gate reads what is inside them.
    let agree = |sha: String, id: uuid::Uuid| {
        let app = &app;
        async move {
            use keepsake::db::entities::deliverable;
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
            deliverable::Entity::update_many()
                .col_expr(deliverable::Column::LabeledSha256, Expr::value(sha))
                .filter(deliverable::Column::Id.eq(id))
                .exec(&app.state.db)
                .await
                .unwrap();
        }
    };

    // The original bytes: no label inside at all.
    let (sha, id) = replace(video.clone()).await;
    refused_for("the stored copy is not the file that was labeled").await;
    agree(sha, id).await;
    refused_for("holds no GB 45438 label").await;

    // The labeled copy with one byte of the video's header changed after signing: the GB
    // label still right, the C2PA manifest no longer bound to the bytes.
    let mut changed = labeled.clone();
    let mvhd = changed.windows(4).position(|w| w == b"mvhd").unwrap();
    changed[mvhd + 8] ^= 0x01;
    let (sha, id) = replace(changed).await;
    agree(sha, id).await;
    refused_for("C2PA manifest does not validate").await;

    // Put back as it was made, it passes the gate again (checked below without its metadata).
    let (sha, id) = replace(labeled.clone()).await;
    agree(sha, id).await;

    // And without its metadata label too (same bytes, no metadata).
    let bare = app
        .state
        .store
        .presign_put(
            &key,
            None,
            None,
            false,
            &Default::default(),
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap();
    let bare = serde_json::to_value(&bare).unwrap();
    assert!(
        app.put_presigned(&bare, labeled.clone())
            .await
            .status()
            .is_success()
    );

    let refused = app.act(&order, "deliver", &staff, None).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.code(), "label_metadata_mismatch");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains(deliverable),
        "{:?}",
        refused.body
    );
    assert_eq!(
        app.status_of(&order).await,
        "quality_check",
        "nothing changed"
    );
}

#[tokio::test]
async fn a_multipart_deliverable_carries_its_label_into_the_assembled_object() {
    let app = TestApp::spawn_with(|s| {
        s.uploads.single_put_max_bytes = 64 * 1024;
    })
    .await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let order = app
        .order_in_quality_check("machine_driven", &reviewer, &staff, &texts)
        .await;
    // Someone with both roles uploads the deliverable: they worked on the order, so another
    // reviewer signs off its quality.
    let both = app
        .studio_member("both@studio.example", &[Role::Staff, Role::Reviewer])
        .await;
    let video = samples::mp4(1280, 720, 3_000, true, 6 * 1024 * 1024);
    let verified = app
        .upload_deliverable(&order, &both, "video", "video/mp4", &video)
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    assert_eq!(verified.body["upload_mode"], "multipart");
    let own = app.act(&order, "sign_off_quality", &both, None).await;
    assert_eq!(own.code(), "separation_of_duties");
    let signed = app.act(&order, "sign_off_quality", &reviewer, None).await;
    assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);

    // A second deliverable still uploading holds the delivery: it would reach the customer
    // without its label read back.
    let clip = samples::mp4(320, 240, 1_000, false, 2048);
    let started = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{order}/deliverables"),
            &[("authorization", &staff)],
            Some(&json!({ "kind": "video", "file_name": "clip.mp4", "size": clip.len(), "sha256": crate::helpers::sha256_hex(&clip), "content_type": "video/mp4" })),
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    let held = app.act(&order, "deliver", &staff, None).await;
    assert_eq!(held.code(), "deliverable_in_progress");
    app.put_all_as(&started.body["upload"], &clip, &[("authorization", &staff)])
        .await;
    let clip_id = started.body["deliverable"]["id"].as_str().unwrap();
    let done = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{order}/deliverables/{clip_id}/complete"),
            &[("authorization", &staff)],
            None,
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    let delivered = app.act(&order, "deliver", &staff, None).await;
    assert_eq!(
        delivered.body["status"], "delivered",
        "{:?}",
        delivered.body
    );
}

/// A one-second FLAC file: the marker and a STREAMINFO block (44.1 kHz, stereo, 16-bit).
fn flac() -> Vec<u8> {
    let mut out = b"fLaC".to_vec();
    out.extend_from_slice(&[0x80, 0x00, 0x00, 0x22]); // last block, STREAMINFO, 34 bytes
    out.extend_from_slice(&[0x10, 0x00, 0x10, 0x00]); // block sizes
    out.extend_from_slice(&[0; 6]); // frame sizes unknown
    let packed: u64 = (44_100u64 << 44) | (1 << 41) | (15 << 36) | 44_100;
    out.extend_from_slice(&packed.to_be_bytes());
    out.extend_from_slice(&[0; 16]); // MD5 unknown
    out.extend_from_slice(&[0xFF, 0xF8, 0x69, 0x18, 0, 0]); // the start of a frame
    out
}

#[tokio::test]
async fn every_supported_format_is_labeled_inside_and_one_that_cannot_be_is_refused() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    let order = app
        .order_in_quality_check("machine_driven", &reviewer, &staff, &texts)
        .await;

    // FLAC has no place for the label: refused with its code, and nothing kept.
    let refused = app
        .upload_deliverable(&order, &staff, "voice", "audio/flac", &flac())
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        refused.body
    );
    assert_eq!(refused.code(), "unlabelable_file", "{:?}", refused.body);
    let rejected = refused.body["sample_id"].as_str().unwrap();
    let keys = app.stored_keys(&order).await;
    assert!(
        !keys.iter().any(|k| k.contains(rejected)),
        "nothing of it is kept: {keys:?}"
    );

    // A photo, a voice recording in each format: each stored with its labeled copy.
    for (kind, mime, bytes) in [
        ("photo", "image/jpeg", samples::jpeg(640, 480)),
        ("photo", "image/png", samples::png(320, 200)),
        ("voice", "audio/wav", samples::wav(1_000, 16_000)),
        ("voice", "audio/mpeg", samples::mp3_cbr(3_000, 128)),
        ("voice", "audio/mp4", samples::m4a(1_500)),
    ] {
        let verified = app
            .upload_deliverable(&order, &staff, kind, mime, &bytes)
            .await;
        assert_eq!(
            verified.status,
            StatusCode::OK,
            "{mime}: {:?}",
            verified.body
        );
        let id = verified.body["id"].as_str().unwrap();
        let key = format!("orders/{order}/deliverables/{id}.labeled");
        let head = app
            .state
            .store
            .head(&key)
            .await
            .unwrap()
            .expect("a labeled copy");
        let copy = keepsake::uploads::StoredObject::new(&app.state.store, &key, head.size);
        let media = keepsake::media::MediaType::from_mime(mime).unwrap();
        let inside = keepsake::labels::read(media, &copy).await.unwrap();
        assert_eq!(
            inside.map(|l| l.produce_id),
            verified.body["label"]["content_id"]
                .as_str()
                .map(str::to_owned),
            "{mime}"
        );
    }
    app.act(&order, "sign_off_quality", &reviewer, None).await;
    let delivered = app.act(&order, "deliver", &staff, None).await;
    assert_eq!(delivered.status, StatusCode::OK, "{:?}", delivered.body);
}
