//! The AI label inside the file, read by an independent reader: Debian's `exiftool` finds the
//! GB 45438 `AIGC` entry (the TC260 XMP property) in every supported format Keepsake labels.
//! Without exiftool the test says why it was skipped; with `CI=true` a missing exiftool fails
//! it (`.ci/run` installs it).

use bytes::Bytes;
use keepsake::labels::{self, AigcLabel};
use keepsake::media::{MediaType, samples};

fn exiftool() -> Option<&'static str> {
    let found = std::process::Command::new("exiftool")
        .arg("-ver")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "exiftool is missing (apt-get install libimage-exiftool-perl)"
        );
        eprintln!("skipped: no exiftool on this machine");
        return None;
    }
    Some("exiftool")
}

/// What exiftool finds as the `AIGC` entry of the file at `path`.
fn exiftool_aigc(tool: &str, path: &std::path::Path) -> AigcLabel {
    let out = std::process::Command::new(tool)
        .args(["-j", "-XMP:all"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // exiftool names a property of a namespace it has no table for by its spelling,
    // capitalised its own way ("Aigc").
    let aigc = json[0]
        .as_object()
        .and_then(|tags| tags.iter().find(|(k, _)| k.eq_ignore_ascii_case("AIGC")))
        .and_then(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{}: exiftool found no AIGC entry: {json}", path.display()));
    serde_json::from_str(aigc).unwrap()
}

/// Every format through the real flow — uploaded as a deliverable, verified, labeled, signed,
/// delivered, downloaded by the family — carries the GB 45438 entry (read by exiftool and by
/// Keepsake) and a C2PA manifest that validates against the downloaded bytes, signed by the
/// studio's (development) certificate.
#[tokio::test]
async fn every_delivered_format_carries_both_labels_in_the_downloaded_bytes() {
    let tool = exiftool();
    let app = crate::helpers::TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member(
            "staff@studio.example",
            &[keepsake::domain::account::Role::Staff],
        )
        .await;
    let order = app
        .order_in_quality_check("machine_driven", &reviewer, &staff, &texts)
        .await;
    let signed = app.act(&order, "sign_off_quality", &reviewer, None).await;
    assert_eq!(signed.status, reqwest::StatusCode::OK, "{:?}", signed.body);
    let files = [
        (
            "photo.jpg",
            "photo",
            MediaType::Jpeg,
            samples::jpeg(640, 480),
        ),
        ("photo.png", "photo", MediaType::Png, samples::png(320, 200)),
        (
            "video.mp4",
            "video",
            MediaType::Mp4,
            samples::mp4(640, 360, 2_000, true, 4096),
        ),
        ("voice.m4a", "voice", MediaType::M4a, samples::m4a(1_500)),
        (
            "voice.wav",
            "voice",
            MediaType::Wav,
            samples::wav(1_000, 16_000),
        ),
        (
            "voice.mp3",
            "voice",
            MediaType::Mp3,
            samples::mp3_cbr(3_000, 128),
        ),
    ];
    let mut ids = Vec::new();
    for (name, kind, media, bytes) in &files {
        let verified = app
            .upload_deliverable(&order, &staff, kind, media.mime(), bytes)
            .await;
        assert_eq!(
            verified.status,
            reqwest::StatusCode::OK,
            "{name}: {:?}",
            verified.body
        );
        ids.push(verified.body["id"].as_str().unwrap().to_owned());
    }
    let delivered = app.act(&order, "deliver", &staff, None).await;
    assert_eq!(
        delivered.status,
        reqwest::StatusCode::OK,
        "{:?}",
        delivered.body
    );

    let dir = tempfile::tempdir().unwrap();
    for ((name, _, media, original), id) in files.iter().zip(&ids) {
        let link = app
            .get(&format!(
                "/api/v1/orders/{order}/deliverables/{id}/download"
            ))
            .await;
        let url = link.body["request"]["url"].as_str().unwrap().to_owned();
        let bytes = app
            .client
            .get(url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_ne!(
            &bytes[..],
            &original[..],
            "{name}: the labeled copy is what is issued"
        );
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();

        let report = keepsake::labels::file_check::check(
            &path,
            Some(std::sync::Arc::clone(&app.state.credentials)),
        )
        .await
        .unwrap();
        assert_eq!(report.content_type, media.mime(), "{name}");
        assert!(report.passes(), "{name}: {report:?}");
        let aigc = report.aigc.clone().unwrap();
        assert_eq!(aigc.label, labels::GENERATED, "{name}");
        assert_eq!(aigc.content_producer, "Keepsake Studio", "{name}");
        let manifest = report.content_credentials.clone().unwrap();
        assert_eq!(manifest.state, "trusted", "{name}: {manifest:?}");
        assert!(manifest.development_certificate, "{name}");
        assert_eq!(
            manifest.digital_source_type.as_deref(),
            Some("http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia")
        );
        let says = manifest.aigc.unwrap();
        assert_eq!(
            says.produce_id, aigc.produce_id,
            "{name}: one content id in both"
        );
        assert!(
            !serde_json::to_string(&says)
                .unwrap()
                .contains(&aigc.propagate_id),
            "{name}: the order reference is hashed in the manifest"
        );
        if let Some(tool) = tool {
            assert_eq!(exiftool_aigc(tool, &path), aigc, "{name}: exiftool agrees");
        }
    }
}

#[tokio::test]
async fn a_labeled_copy_is_streamed_into_the_store_in_parts_and_the_original_kept() {
    let app = crate::helpers::TestApp::spawn().await;
    let store = &app.state.store;
    let work_dir = app.state.settings.work_dir();
    let label = AigcLabel::generated("Keepsake Studio", "content-9", "Keepsake", "KS-2026-000009");
    // 20 MiB of media data: more than one part (8 MiB each).
    let video = samples::mp4(640, 360, 2_000, false, 20 * 1024 * 1024);
    let photo = samples::jpeg(640, 480);
    for (key, media, original) in [
        ("tests/originals/video.mp4", MediaType::Mp4, video),
        ("tests/originals/photo.jpg", MediaType::Jpeg, photo),
    ] {
        store
            .put_small(key, media.mime(), original.clone())
            .await
            .unwrap();
        let dest = format!("{key}.labeled");
        let mut metadata = std::collections::BTreeMap::new();
        metadata.insert("aigc-content-id".to_owned(), "content-9".to_owned());
        let written = labels::LabeledCopy {
            store,
            credentials: &app.state.credentials,
            work_dir: &work_dir,
            source_key: key,
            size: original.len() as u64,
            media,
            label: &label,
            dest_key: &dest,
            metadata: &metadata,
        }
        .write()
        .await
        .unwrap();
        let head = store.head(&dest).await.unwrap().expect("the copy");
        assert_eq!(head.size, written.size);
        assert_eq!(store.sha256(&dest).await.unwrap(), written.sha256, "{key}");
        assert_eq!(
            head.metadata.get("aigc-content-id").map(String::as_str),
            Some("content-9")
        );
        let copy = keepsake::uploads::StoredObject::new(store, &dest, head.size);
        assert_eq!(
            labels::read(media, &copy).await.unwrap(),
            Some(label.clone()),
            "{key}"
        );
        let local = tempfile::NamedTempFile::new().unwrap();
        store.download_to(&dest, local.path()).await.unwrap();
        let manifest = labels::credentials::check_file(
            local.path(),
            media.mime(),
            Some(&app.state.credentials),
        )
        .unwrap()
        .expect("a manifest");
        assert_eq!(manifest.state, "trusted", "{key}: {manifest:?}");
        let kept = store.head(key).await.unwrap().expect("the original");
        assert_eq!(
            kept.size,
            original.len() as u64,
            "the original is left as it was"
        );
    }

    // A file that cannot carry the label leaves nothing behind.
    store
        .put_small(
            "tests/originals/notes.pdf",
            "application/pdf",
            samples::pdf(),
        )
        .await
        .unwrap();
    let refused = labels::LabeledCopy {
        store,
        credentials: &app.state.credentials,
        work_dir: &work_dir,
        source_key: "tests/originals/notes.pdf",
        size: samples::pdf().len() as u64,
        media: MediaType::Pdf,
        label: &label,
        dest_key: "tests/originals/notes.pdf.labeled",
        metadata: &std::collections::BTreeMap::new(),
    }
    .write()
    .await;
    assert!(matches!(
        refused,
        Err(labels::CopyError::Label(labels::LabelError::Unsupported(_)))
    ));
    assert!(
        store
            .head("tests/originals/notes.pdf.labeled")
            .await
            .unwrap()
            .is_none()
    );
    let left: Vec<_> = std::fs::read_dir(&work_dir).unwrap().collect();
    assert!(left.is_empty(), "no work files are left behind: {left:?}");
}

#[tokio::test]
async fn anyone_can_ask_whether_the_studio_delivered_a_file_by_its_sha256() {
    use sha2::{Digest, Sha256};
    let app = crate::helpers::TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let staff = app
        .studio_member(
            "staff@studio.example",
            &[keepsake::domain::account::Role::Staff],
        )
        .await;
    let (order, deliverable) = app.delivered_order(&reviewer, &staff, &texts).await;
    let link = app
        .get(&format!(
            "/api/v1/orders/{order}/deliverables/{deliverable}/download"
        ))
        .await;
    let url = link.body["request"]["url"].as_str().unwrap().to_owned();
    let delivered = app
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let ask = |sha: String| {
        let app = &app;
        async move {
            app.send(
                reqwest::Method::GET,
                &format!("/api/v1/labels/{sha}"),
                &[],
                None,
            )
            .await
        }
    };

    // The file the family downloaded: produced here, with the content id inside it.
    let inside = labels::read(MediaType::Mp4, &delivered)
        .await
        .unwrap()
        .unwrap();
    let found = ask(hex::encode(Sha256::digest(&delivered)).to_uppercase()).await;
    assert_eq!(found.status, reqwest::StatusCode::OK, "{:?}", found.body);
    assert_eq!(found.body["produced_here"], true);
    assert_eq!(found.body["content_id"], inside.produce_id.as_str());
    assert_eq!(
        found.body["sha256"],
        hex::encode(Sha256::digest(&delivered)),
        "normalised"
    );
    assert!(found.body.get("reference").is_none() && !found.body.to_string().contains("KS-"));

    // The unlabeled original, and a file never seen: not produced here.
    let original = crate::helpers::TestApp::delivered_video();
    for sha in [hex::encode(Sha256::digest(&original)), "ab".repeat(32)] {
        let unknown = ask(sha).await;
        assert_eq!(unknown.status, reqwest::StatusCode::OK);
        assert_eq!(unknown.body["produced_here"], false);
        assert!(unknown.body["content_id"].is_null());
    }
    // A platform sends the file itself: the same answer, and the labels inside read for it.
    let send = |bytes: Vec<u8>| {
        let app = &app;
        async move {
            let reply = app
                .client
                .post(app.url("/api/v1/labels/check"))
                .header("content-type", "application/octet-stream")
                .body(bytes)
                .send()
                .await
                .unwrap();
            let status = reply.status();
            (status, reply.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, checked) = send(delivered.to_vec()).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{checked}");
    assert_eq!(checked["produced_here"], true);
    assert_eq!(checked["content_id"], inside.produce_id.as_str());
    assert_eq!(checked["content_type"], "video/mp4");
    assert_eq!(checked["gb45438"]["ai_generated"], true);
    assert_eq!(checked["gb45438"]["produce_id"], inside.produce_id.as_str());
    assert_eq!(checked["content_credentials"]["state"], "trusted");
    assert_eq!(
        checked["content_credentials"]["development_certificate"],
        true
    );
    assert!(
        !checked.to_string().contains("KS-"),
        "nothing about the order: {checked}"
    );
    let (status, checked) = send(crate::helpers::TestApp::delivered_video()).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{checked}");
    assert_eq!(checked["produced_here"], false);
    assert!(checked["gb45438"].is_null() && checked["content_credentials"].is_null());
    // Any other file: an answer all the same — not produced here, no label to read.
    let (status, words) = send(b"just words".to_vec()).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{words}");
    assert_eq!(words["produced_here"], false);
    assert!(words["content_type"].is_null() && words["gb45438"].is_null());
    assert_eq!(
        words["sha256"],
        hex::encode(Sha256::digest(b"just words")),
        "hashed as it arrived"
    );
    let nothing = app
        .client
        .post(app.url("/api/v1/labels/check"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        nothing.status(),
        reqwest::StatusCode::BAD_REQUEST,
        "no file sent"
    );
    let (status, refused) = send(vec![0u8; 64 * 1024 * 1024 + 1]).await;
    assert_eq!(status, reqwest::StatusCode::PAYLOAD_TOO_LARGE, "{refused}");
    let left: Vec<_> = std::fs::read_dir(app.state.settings.work_dir())
        .unwrap()
        .collect();
    assert!(
        left.is_empty(),
        "nothing of the checked files is kept: {left:?}"
    );

    let malformed = ask("not-a-hash".into()).await;
    assert_eq!(malformed.status, reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(malformed.code(), "invalid_sha256");

    // The same check as a page, for people: yes with the content id, no, or the field's error.
    let page = |query: String| {
        let app = &app;
        async move {
            let reply = crate::pages::browserish()
                .get(app.url(&format!("/check{query}")))
                .header("cookie", "keepsake_lang=en")
                .send()
                .await
                .unwrap();
            (reply.status(), reply.text().await.unwrap())
        }
    };
    let (status, html) = page(format!(
        "?sha256={}",
        hex::encode(Sha256::digest(&delivered))
    ))
    .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(
        html.contains("Yes — this studio made this file") && html.contains(&inside.produce_id),
        "{html}"
    );
    assert!(!html.contains("KS-2026"), "nothing about the order");
    let (_, html) = page(format!("?sha256={}", "ab".repeat(32))).await;
    assert!(html.contains("No — this studio did not deliver this file"));
    let (status, html) = page("?sha256=xyz".into()).await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"sha256-error\""));
    let (status, html) = page(String::new()).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(!html.contains("id=\"answer\""));
}

#[tokio::test]
async fn label_verify_reports_both_labels_and_fails_when_either_is_missing_or_broken() {
    let dir = tempfile::tempdir().unwrap();
    let label = AigcLabel::generated(
        "Keepsake Studio",
        "content-cli",
        "Keepsake",
        "KS-2026-000003",
    );
    let voice = samples::m4a(1_500);
    let source = Bytes::from(voice.clone());
    let labeled = labels::plan(MediaType::M4a, &source, &label)
        .await
        .unwrap()
        .to_vec(&source)
        .await
        .unwrap();
    std::fs::write(dir.path().join("unsigned.m4a"), &labeled).unwrap();
    // Signed by a studio whose certificate this machine does not hold.
    let studio = labels::credentials::StudioCredentials::throwaway_development().unwrap();
    labels::credentials::sign_file(
        &studio,
        &label,
        "audio/mp4",
        &dir.path().join("unsigned.m4a"),
        &dir.path().join("signed.m4a"),
    )
    .unwrap();
    let signed = std::fs::read(dir.path().join("signed.m4a")).unwrap();
    // After signing, the GB label's content id is changed by one letter.
    let mut changed = signed.clone();
    let gb = changed.windows(9).position(|w| w == b"ProduceID").unwrap();
    let id = gb
        + changed[gb..]
            .windows(11)
            .position(|w| w == b"content-cli")
            .unwrap();
    changed[id + 10] = b'j';
    let files = [
        ("changed.m4a", changed),
        ("plain.m4a", voice),
        ("notes.txt", b"just words".to_vec()),
    ];
    for (name, bytes) in &files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let verify = |name: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_keepsake"))
            .args(["label", "verify"])
            .arg(dir.path().join(name))
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("KEEPSAKE_DATA_DIR")
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let ok = verify("signed.m4a");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let json = |out: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{e}: the report is not JSON:\n{}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    };
    let report = json(&ok);
    assert_eq!(report["content_type"], "audio/mp4");
    assert_eq!(report["aigc"]["ProduceID"], "content-cli");
    assert_eq!(report["labeled"], true);
    let manifest = &report["content_credentials"];
    assert_eq!(manifest["state"], "valid", "{report}");
    assert_eq!(manifest["development_certificate"], true);
    assert_eq!(manifest["signed_by"], "Keepsake development certificate");
    assert_eq!(manifest["aigc"]["produce_id"], "content-cli");
    assert_eq!(
        manifest["digital_source_type"],
        "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    );
    use sha2::Digest;
    assert_eq!(report["sha256"], hex::encode(sha2::Sha256::digest(&signed)));

    let stderr = |out: &std::process::Output| String::from_utf8_lossy(&out.stderr).into_owned();
    let unsigned = verify("unsigned.m4a");
    assert_eq!(unsigned.status.code(), Some(1));
    assert!(
        stderr(&unsigned).contains("no C2PA manifest"),
        "{}",
        stderr(&unsigned)
    );
    let changed = verify("changed.m4a");
    assert_eq!(changed.status.code(), Some(1));
    assert!(
        stderr(&changed).contains("does not validate"),
        "{}",
        stderr(&changed)
    );
    let report = json(&changed);
    assert_eq!(report["content_credentials"]["state"], "invalid");
    let plain = verify("plain.m4a");
    assert_eq!(plain.status.code(), Some(1));
    assert!(
        stderr(&plain).contains("no GB 45438 label"),
        "{}",
        stderr(&plain)
    );
    let text = verify("notes.txt");
    assert_eq!(text.status.code(), Some(1));
    assert!(stderr(&text).contains("not a photo, recording or video"));
}
