//! `kill -9` during a multipart upload: once while a part is on its way into the embedded
//! store (the process holds half of it), once while the completion is assembling the parts
//! (the store behind a proxy that holds every byte, so the process is caught inside the
//! completion). After a restart on the same data directory and database the client resumes
//! and completes; the file is whole, and verified once.

use std::time::Duration;

use keepsake::media::samples;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{
    Config, Launch, MIB, audit_of, database, eventually, fresh_database, part_bytes, part_numbers,
    sample_status, sha256_hex,
};
use crate::proxy::{Mode, StoreBehindProxy};

/// How many times `action` appears in `events`.
fn count(events: &[String], action: &str) -> usize {
    events.iter().filter(|e| *e == action).count()
}

/// Files of unfinished uploads at the root of the embedded store (parts, records, temporary
/// files): none may outlive a completed upload.
fn stray_upload_files(data_dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(data_dir.join("objects"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    n.starts_with(".upload") || n.starts_with(".tmp.") || n.contains(".upload-")
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_during_a_part_upload_then_resume_assembles_the_whole_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = fresh_database().await;
    let launch = Launch::new(dir.path(), &Config::for_tests()).database(db_url.as_deref());
    let server = launch.start().await;
    let api = server.api();
    let token = api.customer("mourner@example.com").await;
    let (order, _) = api.draft(&token).await;
    let video = samples::mp4(1280, 720, 9_000, true, 11 * MIB);
    let started = api
        .start_upload(&token, &order, "video", "video/mp4", &video)
        .await;
    let upload = started.body["upload"].clone();
    let sample = started.body["sample"]["id"].as_str().unwrap().to_owned();
    assert_eq!(part_numbers(&upload, "parts_to_upload"), [1, 2, 3]);
    api.put_parts(&token, &upload, &video, &[1]).await;

    // Part 2 goes out half-way: the store inside the process is writing it when it dies.
    let signed = api.sign_parts(&token, &upload, &video, &[2]).await;
    let part2 = part_bytes(&upload, &video, 2);
    let (tx, rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(1);
    let put = tokio::spawn(
        api.clone()
            .put_streamed(signed[0]["request"].clone(), part2.len(), rx),
    );
    let half = part2.len() / 2;
    tx.send(bytes::Bytes::copy_from_slice(&part2[..half]))
        .await
        .unwrap();
    // Room for one chunk: this send returns once the connection took the first half.
    tx.send(bytes::Bytes::copy_from_slice(&part2[half..half + 1]))
        .await
        .unwrap();
    server.kill().await;
    drop(tx);
    let cut_off = put.await.unwrap();
    assert!(
        cut_off.is_err() || cut_off.as_ref().is_ok_and(|s| !s.is_success()),
        "{cut_off:?}"
    );

    let server = launch.start().await;
    let api = server.api();
    let resumed = api
        .get(
            &format!("/api/v1/orders/{order}/samples/{sample}/upload"),
            &token,
        )
        .await;
    assert_eq!(resumed.status, StatusCode::OK, "{:?}", resumed.body);
    assert_eq!(
        part_numbers(&resumed.body, "uploaded_parts"),
        [1],
        "only whole parts count: {:?}",
        resumed.body
    );
    assert_eq!(part_numbers(&resumed.body, "parts_to_upload"), [2, 3]);
    api.put_parts(&token, &resumed.body, &video, &[2, 3]).await;
    let done = api.try_complete(&token, &order, &sample).await.unwrap();
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["status"], "verified");

    assert_eq!(
        sha256_hex(&api.download(&token, &order, &sample).await),
        sha256_hex(&video)
    );
    let db = database(&launch.database_url()).await;
    let events = audit_of(&db, sample.parse().unwrap()).await;
    assert_eq!(count(&events, "sample.verified"), 1, "{events:?}");
    assert_eq!(count(&events, "sample.parts_assembled"), 1, "{events:?}");
    assert!(
        stray_upload_files(&launch.data_dir).is_empty(),
        "{:?}",
        stray_upload_files(&launch.data_dir)
    );
    let again = api.try_complete(&token, &order, &sample).await.unwrap();
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "sample_not_uploading")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_during_a_completion_then_retry_verifies_once_within_seconds() {
    let store = StoreBehindProxy::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db_url = fresh_database().await;
    let launch = Launch::new(dir.path(), &Config::for_tests())
        .database(db_url.as_deref())
        .s3(
            &store.endpoint(),
            &store.bucket,
            &store.access_key_id,
            &store.secret_access_key,
        );
    let server = launch.start().await;
    let api = server.api();
    let token = api.customer("mourner@example.com").await;
    let (order, _) = api.draft(&token).await;
    let video = samples::mp4(640, 360, 5_000, false, 11 * MIB);
    let started = api
        .start_upload(&token, &order, "video", "video/mp4", &video)
        .await;
    let sample = started.body["sample"]["id"].as_str().unwrap().to_owned();
    let sample_id: Uuid = sample.parse().unwrap();
    let parts = api
        .put_parts(&token, &started.body["upload"], &video, &[1, 2, 3])
        .await;
    let listed = json!({ "parts": parts });

    // The store stops answering; the completion claims the sample and waits inside.
    store.proxy.set(Mode::Hold);
    let completing = {
        let (api, token, order, sample, listed) = (
            api.clone(),
            token.clone(),
            order.clone(),
            sample.clone(),
            listed.clone(),
        );
        tokio::spawn(async move {
            api.try_complete_with(&token, &order, &sample, &listed)
                .await
        })
    };
    let db = database(&launch.database_url()).await;
    eventually(
        "the completion to claim the sample",
        Duration::from_secs(30),
        || async { (sample_status(&db, sample_id).await == "verifying").then_some(()) },
    )
    .await;
    server.kill().await;
    assert!(
        completing.await.unwrap().is_err(),
        "the process died mid-completion"
    );
    store.proxy.set(Mode::Open);

    // A dead verifier's claim must not keep the customer waiting: a retry succeeds within
    // seconds (not after the 30-minute lease it had).
    let server = launch.start().await;
    let api = server.api();
    let done: Value = eventually(
        "a retried completion to verify",
        Duration::from_secs(90),
        || async {
            let reply = api
                .try_complete_with(&token, &order, &sample, &listed)
                .await
                .ok()?;
            match (reply.status, reply.code()) {
                (StatusCode::OK, _) => Some(reply.body),
                (StatusCode::CONFLICT, "sample_not_uploading") => None,
                _ => panic!("unexpected answer to a retried completion: {reply:?}"),
            }
        },
    )
    .await;
    assert_eq!(done["status"], "verified");
    assert_eq!(
        sha256_hex(&api.download(&token, &order, &sample).await),
        sha256_hex(&video)
    );
    let events = audit_of(&db, sample_id).await;
    assert_eq!(count(&events, "sample.verified"), 1, "{events:?}");
    assert_eq!(
        count(&events, "sample.verification_started"),
        2,
        "{events:?}"
    );
    let listed_samples = api
        .send(
            Method::GET,
            &format!("/api/v1/orders/{order}/samples"),
            &[("authorization", &token)],
            None,
        )
        .await;
    let items = listed_samples.body["items"]
        .as_array()
        .or(listed_samples.body.as_array())
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 1, "one sample, not two: {items:?}");
}
