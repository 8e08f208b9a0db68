//! Backup and restore of the embedded default, and the check of stored objects: a backup
//! taken while orders are being written restores elsewhere into a service whose ledger
//! verifies and whose every verified sample downloads byte for byte; a damaged backup
//! restores nothing; a non-empty data directory is never restored over.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use keepsake::backup::{BackupError, check, restore, take};
use keepsake::media::samples;
use reqwest::{Method, StatusCode};

use crate::helpers::{MIB, TestApp, order_body, test_settings};

/// A verified sample: its order, id and the bytes uploaded.
struct Kept {
    order: String,
    id: String,
    bytes: Vec<u8>,
}

async fn upload(app: &TestApp, order: &str, kind: &str, content_type: &str, bytes: Vec<u8>) -> Kept {
    let reply = app.upload_sample(order, kind, content_type, &bytes).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["status"], "verified");
    Kept {
        order: order.to_owned(),
        id: reply.body["id"].as_str().expect("sample id").to_owned(),
        bytes,
    }
}

/// The embedded default only: under PostgreSQL the commands refuse, naming the guide.
async fn embedded(app: &TestApp) -> bool {
    if app.state.settings.database_url.is_none() {
        return true;
    }
    let dir = tempfile::tempdir().expect("dir");
    let refused = take::take(&app.state.settings, &dir.path().join("b")).await;
    assert!(
        matches!(&refused, Err(BackupError::NotEmbedded(_)))
            && refused.as_ref().is_err_and(|e| e.to_string().contains("docs/operations.md")),
        "{refused:?}"
    );
    false
}

/// A service on the embedded default with one order, or `None` under PostgreSQL.
async fn app_with_an_order() -> Option<(TestApp, String)> {
    let app = TestApp::spawn().await;
    if !embedded(&app).await {
        return None;
    }
    let order = app.create_order(&order_body("machine_driven")).await;
    let order = order["id"].as_str().expect("order id").to_owned();
    Some((app, order))
}

#[tokio::test]
async fn a_backup_taken_mid_workload_restores_elsewhere_whole() {
    let Some((app, order)) = app_with_an_order().await else {
        return;
    };
    let second = app.create_order(&order_body("human_driven")).await;
    let second = second["id"].as_str().expect("order id").to_owned();
    let kept = vec![
        upload(&app, &order, "photo", "image/jpeg", samples::jpeg(640, 480)).await,
        upload(&app, &order, "photo", "image/png", samples::png(200, 300)).await,
        // Over the single-PUT limit: assembled from parts.
        upload(&app, &second, "voice", "audio/wav", samples::wav(40_000, 44_100)).await,
    ];
    assert!(kept[2].bytes.len() > 2 * MIB, "the WAV goes up in parts");
    // An order screened and consented to: events in the consent ledger.
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    app.queued_order("machine_driven", &reviewer, &texts).await;
    let ledger_before = keepsake::ledger::verify(&app.state.db).await.expect("ledger");
    assert!(ledger_before.ok && ledger_before.events_checked > 0, "{ledger_before:?}");
    let stored = check::live(&app.state.settings).await.expect("live check");
    assert!(stored.ok && stored.named > kept.len(), "{stored:?}");

    // Orders keep coming while the backup is taken.
    let (stop, made) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let workload = {
        let (client, base, auth) = (app.client.clone(), app.base.clone(), app.auth.clone());
        let (stop, made) = (stop.clone(), made.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let created = client
                    .post(format!("{base}/api/v1/orders"))
                    .header("authorization", &auth)
                    .header("idempotency-key", uuid::Uuid::new_v4().to_string())
                    .json(&order_body("machine_driven"))
                    .send()
                    .await
                    .expect("create");
                assert_eq!(created.status(), StatusCode::CREATED);
                made.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    while made.load(Ordering::Relaxed) < 3 {
        tokio::task::yield_now().await;
    }
    let backups = tempfile::tempdir().expect("dir");
    let backup = backups.path().join("tonight");
    let taken = take::take(&app.state.settings, &backup).await.expect("backup");
    stop.store(true, Ordering::Relaxed);
    workload.await.expect("workload");
    assert!(taken.check.ok, "{:?}", taken.check);
    assert_eq!(taken.check.named, stored.named, "every verified sample is named");
    let checked = check::backup_dir(&backup).await.expect("check the backup");
    assert!(checked.ok && checked.named == stored.named, "{checked:?}");

    // Restored into a new data directory elsewhere, the service starts on it.
    let elsewhere = tempfile::tempdir().expect("dir");
    let target = elsewhere.path().join("data");
    let restored = restore::restore(&test_settings(&target), &backup)
        .await
        .expect("restore");
    assert!(restored.check.ok, "{:?}", restored.check);
    assert_eq!(restored.files, taken.files);
    let refused = restore::restore(&test_settings(&target), &backup).await;
    assert!(
        matches!(refused, Err(BackupError::NotEmpty { .. })),
        "never over a data directory that holds something: {refused:?}"
    );
    let live = check::live(&test_settings(&target)).await.expect("live check");
    assert!(live.ok && live.named == stored.named, "{live:?}");

    let mut back = TestApp::start(test_settings(&target), elsewhere).await;
    back.auth = back.login("customer@example.com").await;
    let ledger = keepsake::ledger::verify(&back.state.db).await.expect("ledger");
    assert!(ledger.ok, "{ledger:?}");
    assert_eq!(
        (ledger.events_checked, &ledger.head_hash),
        (ledger_before.events_checked, &ledger_before.head_hash),
        "the whole ledger came back"
    );

    // Every verified sample downloads byte for byte, through the restored service.
    for sample in &kept {
        let link = back
            .get(&format!("/api/v1/orders/{}/samples/{}/download", sample.order, sample.id))
            .await;
        assert_eq!(link.status, StatusCode::OK, "{:?}", link.body);
        let request = &link.body["request"];
        let url = request["url"].as_str().expect("url");
        let method = Method::from_bytes(request["method"].as_str().unwrap_or("GET").as_bytes())
            .expect("method");
        let mut download = back.client.request(method, url);
        for (name, value) in request["headers"].as_object().into_iter().flatten() {
            download = download.header(name, value.as_str().unwrap_or_default());
        }
        let bytes = download.send().await.expect("download");
        assert_eq!(bytes.status(), StatusCode::OK);
        let bytes = bytes.bytes().await.expect("bytes");
        assert!(bytes[..] == sample.bytes[..], "sample {} differs", sample.id);
    }

    // The orders written before the snapshot are there; none is half there.
    let counts = keepsake::db::gauges::orders(&back.state.db).await.expect("count");
    let restored_orders = counts.by_status.iter().map(|(_, n)| *n as usize).sum::<usize>();
    let written = 3 + made.load(Ordering::Relaxed);
    assert!(
        (3 + 3..=written).contains(&restored_orders),
        "{restored_orders} orders restored of {written} written"
    );
}

#[tokio::test]
async fn a_damaged_backup_is_found_out_and_restores_nothing() {
    let Some((app, order)) = app_with_an_order().await else {
        return;
    };
    upload(&app, &order, "photo", "image/jpeg", samples::jpeg(320, 240)).await;
    let backups = tempfile::tempdir().expect("dir");
    let backup = backups.path().join("b");
    let taken = take::take(&app.state.settings, &backup).await.expect("backup");
    assert!(taken.check.ok, "{:?}", taken.check);

    // Not into a directory that holds something, nor inside the data directory.
    let again = take::take(&app.state.settings, &backup).await;
    assert!(matches!(again, Err(BackupError::NotEmpty { .. })), "{again:?}");
    let inside = take::take(&app.state.settings, &app.data_dir().join("backup")).await;
    assert!(matches!(inside, Err(BackupError::Refused(_))), "{inside:?}");

    // One byte of the photo changed.
    let key = &app.stored_keys(&order).await[0];
    let file = backup.join("objects").join(&app.state.settings.s3.bucket).join(key);
    let mut bytes = std::fs::read(&file).expect("the photo is in the backup");
    bytes[100] ^= 0x01;
    std::fs::write(&file, &bytes).expect("damage");
    let checked = check::backup_dir(&backup).await.expect("check");
    assert!(!checked.ok, "{checked:?}");
    assert_eq!(checked.damaged.len(), 1, "{checked:?}");

    let elsewhere = tempfile::tempdir().expect("dir");
    let target = elsewhere.path().join("data");
    let refused = restore::restore(&test_settings(&target), &backup).await;
    assert!(matches!(refused, Err(BackupError::Damaged { count: 1, .. })), "{refused:?}");
    assert!(!target.exists(), "nothing restored");
    let leftovers: Vec<_> = std::fs::read_dir(elsewhere.path()).expect("dir").collect();
    assert!(leftovers.is_empty(), "no staging left behind: {leftovers:?}");

    // Gone from the live store: the live check names it.
    app.state.store.delete(key).await.expect("delete");
    let live = check::live(&app.state.settings).await.expect("live check");
    assert!(!live.ok && live.missing.len() == 1, "{live:?}");
}
