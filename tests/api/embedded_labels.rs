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

#[tokio::test]
async fn exiftool_reads_the_aigc_entry_from_every_labeled_format() {
    let Some(tool) = exiftool() else { return };
    let dir = tempfile::tempdir().unwrap();
    let label = AigcLabel::generated(
        "Keepsake Studio",
        "content-7f3a",
        "Keepsake",
        "KS-2026-000042",
    );
    for (name, media, original) in [
        ("photo.jpg", MediaType::Jpeg, samples::jpeg(640, 480)),
        ("photo.png", MediaType::Png, samples::png(320, 200)),
        (
            "video.mp4",
            MediaType::Mp4,
            samples::mp4(640, 360, 2_000, true, 4096),
        ),
        ("voice.m4a", MediaType::M4a, samples::m4a(1_500)),
        ("voice.wav", MediaType::Wav, samples::wav(1_000, 16_000)),
        ("voice.mp3", MediaType::Mp3, samples::mp3_cbr(3_000, 128)),
    ] {
        let source = Bytes::from(original);
        let splice = labels::plan(media, &source, &label).await.unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, splice.to_vec(&source).await.unwrap()).unwrap();
        let out = std::process::Command::new(tool)
            .args(["-j", "-XMP:all"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // exiftool names a property of a namespace it has no table for by its spelling,
        // capitalised its own way ("Aigc").
        let aigc = json[0]
            .as_object()
            .and_then(|tags| tags.iter().find(|(k, _)| k.eq_ignore_ascii_case("AIGC")))
            .and_then(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{name}: exiftool found no AIGC entry: {json}"));
        let read: AigcLabel = serde_json::from_str(aigc).unwrap();
        assert_eq!(read, label, "{name}");
    }
}

#[tokio::test]
async fn a_labeled_copy_is_streamed_into_the_store_in_parts_and_the_original_kept() {
    let app = crate::helpers::TestApp::spawn().await;
    let store = &app.state.store;
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
        let written = labels::write_labeled_copy(
            store,
            key,
            original.len() as u64,
            media,
            &label,
            &dest,
            &metadata,
        )
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
    let refused = labels::write_labeled_copy(
        store,
        "tests/originals/notes.pdf",
        samples::pdf().len() as u64,
        MediaType::Pdf,
        &label,
        "tests/originals/notes.pdf.labeled",
        &std::collections::BTreeMap::new(),
    )
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
async fn label_verify_reports_the_label_inside_a_file_and_fails_without_one() {
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
    let files = [
        ("labeled.m4a", labeled.clone()),
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
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let ok = verify("labeled.m4a");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(report["content_type"], "audio/mp4");
    assert_eq!(report["aigc"]["ProduceID"], "content-cli");
    assert_eq!(report["labeled"], true);
    use sha2::Digest;
    assert_eq!(
        report["sha256"],
        hex::encode(sha2::Sha256::digest(&labeled))
    );

    let plain = verify("plain.m4a");
    assert_eq!(plain.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&plain.stderr).contains("carries no AI-generated label"));
    let text = verify("notes.txt");
    assert_eq!(text.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&text.stderr).contains("not a photo, recording or video"));
}
