//! The object store becomes unreachable under a running process (a proxy between them drops
//! every connection): `/readyz` answers 503, writes that need the store answer
//! `503 storage_unavailable` (a problem document, never a bare 500) and leave nothing half-done;
//! when the store is back, the same requests succeed without a restart.

use std::time::Duration;

use keepsake::media::samples;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{
    Api, Config, Launch, MIB, Reply, database, eventually, fresh_database, sample_status,
    sha256_hex,
};
use crate::proxy::{Mode, StoreBehindProxy};

async fn readyz(api: &Api) -> Option<Reply> {
    api.try_send(Method::GET, "/readyz", &[], None).await.ok()
}

fn start_video(
    api: &Api,
    token: &str,
    order: &str,
    video: &[u8],
) -> impl std::future::Future<Output = Reply> {
    let body = json!({ "kind": "video", "file_name": "memory.mp4", "size": video.len(), "sha256": sha256_hex(video), "content_type": "video/mp4" });
    let (api, token, path) = (
        api.clone(),
        token.to_owned(),
        format!("/api/v1/orders/{order}/samples"),
    );
    async move { api.post(&path, &token, &body).await }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_answers_503_and_work_resumes_when_it_returns() {
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
    let mut server = launch.start().await;
    let api = server.api();
    let token = api.customer("mourner@example.com").await;
    let (order, _) = api.draft(&token).await;
    assert_eq!(readyz(&api).await.map(|r| r.status), Some(StatusCode::OK));

    // A photo is in the store; its completion comes after the store went away.
    let photo = samples::jpeg(800, 600);
    let started = api
        .start_upload(&token, &order, "photo", "image/jpeg", &photo)
        .await;
    let sample = started.body["sample"]["id"].as_str().unwrap().to_owned();
    let (put, _) = api
        .put_presigned(&started.body["upload"]["put"], photo)
        .await;
    assert!(put.is_success(), "{put}");

    store.proxy.set(Mode::Cut);
    let not_ready = eventually(
        "/readyz to say the store is gone",
        Duration::from_secs(60),
        || async {
            readyz(&api)
                .await
                .filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE)
        },
    )
    .await;
    assert!(not_ready.is_problem(), "{not_ready:?}");

    let completion = api.try_complete(&token, &order, &sample).await.unwrap();
    assert_eq!(
        (completion.status, completion.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
        "{completion:?}"
    );
    assert!(completion.is_problem(), "{completion:?}");
    let db = database(&launch.database_url()).await;
    assert_eq!(
        sample_status(&db, sample.parse().unwrap()).await,
        "uploading",
        "the claim was handed back"
    );
    let video = samples::mp4(640, 360, 4_000, false, 6 * MIB);
    let multipart = start_video(&api, &token, &order, &video).await;
    assert_eq!(
        (multipart.status, multipart.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
        "{multipart:?}"
    );
    assert!(multipart.is_problem(), "{multipart:?}");

    store.proxy.set(Mode::Open);
    eventually(
        "/readyz to see the store again",
        Duration::from_secs(60),
        || async { readyz(&api).await.filter(|r| r.status == StatusCode::OK) },
    )
    .await;
    let completion = api.try_complete(&token, &order, &sample).await.unwrap();
    assert_eq!(completion.status, StatusCode::OK, "{completion:?}");
    assert_eq!(completion.body["status"], "verified");
    let multipart = start_video(&api, &token, &order, &video).await;
    assert_eq!(multipart.status, StatusCode::CREATED, "{multipart:?}");
    assert!(server.alive(), "the process lived through the outage");
}

/// Longest a request may wait on a store that accepts connections and never answers.
const HANG_LIMIT: Duration = Duration::from_secs(45);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_hangs_is_given_up_on_in_bounded_time_and_work_resumes() {
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
    let photo = samples::jpeg(800, 600);
    let started = api
        .start_upload(&token, &order, "photo", "image/jpeg", &photo)
        .await;
    let sample = started.body["sample"]["id"].as_str().unwrap().to_owned();
    let (put, _) = api
        .put_presigned(&started.body["upload"]["put"], photo)
        .await;
    assert!(put.is_success(), "{put}");

    // Connections are taken and nothing comes back, as behind a stuck load balancer.
    store.proxy.set(Mode::Hold);
    let not_ready = tokio::time::timeout(HANG_LIMIT, readyz(&api))
        .await
        .expect("/readyz answers while the store hangs");
    assert_eq!(
        not_ready.map(|r| r.status),
        Some(StatusCode::SERVICE_UNAVAILABLE)
    );
    let completion = tokio::time::timeout(HANG_LIMIT, api.try_complete(&token, &order, &sample))
        .await
        .expect("a completion answers while the store hangs")
        .unwrap();
    assert_eq!(
        (completion.status, completion.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
        "{completion:?}"
    );
    let db = database(&launch.database_url()).await;
    assert_eq!(
        sample_status(&db, sample.parse().unwrap()).await,
        "uploading",
        "the claim was handed back, not renewed forever"
    );

    store.proxy.set(Mode::Open);
    let completion = api.try_complete(&token, &order, &sample).await.unwrap();
    assert_eq!(completion.status, StatusCode::OK, "{completion:?}");
}
