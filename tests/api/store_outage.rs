//! The object store goes away and comes back, with no restart: `/readyz` says 503, every
//! request that needs the store answers `503 storage_unavailable` (with `Retry-After`) and
//! changes nothing, and the same requests work again once the store answers.
//!
//! The store is an embedded one this test starts itself, reached by the app through a TCP
//! proxy the test controls (a network-boundary double): taking the proxy down refuses new
//! connections and cuts the open ones, as a store that died or a broken network would.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use keepsake::media::samples;
use keepsake::storage::embedded::EmbeddedStore;
use reqwest::StatusCode;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::helpers::{MIB, Reply, TestApp, order_body};

/// A TCP proxy in front of the store that can be taken down and brought back.
struct StoreProxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    /// Flipped on every outage: connections open at that moment are cut.
    outages: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl StoreProxy {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let (outages, _) = watch::channel(0u64);
        let (up_in_task, outages_in_task) = (up.clone(), outages.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !up_in_task.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                tokio::spawn(relay(inbound, target, outages_in_task.subscribe()));
            }
        });
        Self {
            addr,
            up,
            outages,
            task,
        }
    }

    fn take_down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.outages.send_modify(|n| *n += 1);
    }

    fn bring_back(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for StoreProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copy bytes both ways until either side closes or an outage cuts the connection.
async fn relay(mut inbound: TcpStream, target: SocketAddr, mut outage: watch::Receiver<u64>) {
    let Ok(mut outbound) = TcpStream::connect(target).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = outage.changed() => {}
    }
}

/// An app whose store (an embedded one in its own directory) sits behind a proxy.
async fn app_behind_proxy() -> (TestApp, StoreProxy, EmbeddedStore, tempfile::TempDir) {
    let store_dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::start(store_dir.path(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let target: SocketAddr = store
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let proxy = StoreProxy::start(target).await;
    let (endpoint, key, secret) = (
        format!("http://{}", proxy.addr),
        store.access_key_id.clone(),
        store.secret_access_key.clone(),
    );
    let app = TestApp::spawn_with(move |s| {
        s.s3.endpoint = Some(endpoint);
        s.s3.access_key_id = Some(key);
        s.s3.secret_access_key = Some(secret);
    })
    .await;
    (app, proxy, store, store_dir)
}

fn assert_storage_unavailable(reply: &Reply) {
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.code(), "storage_unavailable", "{:?}", reply.body);
    assert_eq!(reply.body["status"], 503);
    assert_eq!(
        reply.headers["content-type"], "application/problem+json",
        "a problem document"
    );
    assert!(
        reply.headers.contains_key("retry-after"),
        "{:?}",
        reply.headers
    );
    let detail = reply.body["detail"].as_str().unwrap_or("");
    assert!(
        !detail.contains("127.0.0.1") && !detail.contains("dispatch"),
        "the store's failure stays in the log: {detail}"
    );
}

async fn sample_count(app: &TestApp, order: &str) -> usize {
    let listed = app.get(&format!("/api/v1/orders/{order}/samples")).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    listed.body["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn an_unreachable_store_is_a_503_and_work_resumes_when_it_returns() {
    let (app, proxy, _store, _dir) = app_behind_proxy().await;
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let photo = samples::jpeg(800, 600);
    let started = app
        .start_upload(&order, "photo", "image/jpeg", &photo)
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    app.put_all(&started.body["upload"], &photo).await;
    let sample_id = started.body["sample"]["id"].as_str().unwrap().to_owned();
    let video = samples::mp4(640, 360, 4_000, false, 7 * MIB);

    proxy.take_down();
    assert_storage_unavailable(&app.get("/readyz").await);
    assert_storage_unavailable(&app.complete(&order, &sample_id).await);
    let sample = app
        .get(&format!("/api/v1/orders/{order}/samples/{sample_id}"))
        .await;
    assert_eq!(
        sample.body["status"], "uploading",
        "handed back, not decided"
    );
    assert_storage_unavailable(&app.start_upload(&order, "video", "video/mp4", &video).await);
    assert_eq!(sample_count(&app, &order).await, 1, "nothing was recorded");

    proxy.bring_back();
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    let done = app.complete(&order, &sample_id).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["status"], "verified");
    let again = app
        .upload_sample(&order, "video", "video/mp4", &video)
        .await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(sample_count(&app, &order).await, 2);
}
