//! A TCP proxy between a Keepsake process (and the test's own presigned PUTs) and an S3
//! store — a double at the network boundary, which the test can *cut* (every connection,
//! open or new, is dropped: the store is unreachable), *hold* (connections are accepted and
//! nothing is passed either way: the store hangs) and *open* again.
//!
//! The store behind it is moto when `TEST_S3_ENDPOINT` names one, otherwise an embedded store
//! (Keepsake's own s3s store) started inside the test.

use std::net::SocketAddr;
use std::time::Duration;

use keepsake::storage::embedded::EmbeddedStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Open,
    Cut,
    Hold,
}

pub struct Proxy {
    pub addr: SocketAddr,
    mode: watch::Sender<Mode>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Listen on a free loopback port and pass connections to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let (mode, _) = watch::channel(Mode::Open);
        let modes = mode.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mode = modes.subscribe();
                tokio::spawn(async move {
                    let _ = relay(client, upstream, mode).await;
                });
            }
        });
        Self { addr, mode, task }
    }

    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

/// One connection: wait while held, drop when cut, copy both ways while open.
async fn relay(
    mut client: TcpStream,
    upstream: SocketAddr,
    mut mode: watch::Receiver<Mode>,
) -> std::io::Result<()> {
    wait_unless_held(&mut mode).await;
    if *mode.borrow() == Mode::Cut {
        return Ok(());
    }
    let mut server = TcpStream::connect(upstream).await?;
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let (mut up, mut down) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        tokio::select! {
            n = cr.read(&mut up) => {
                let n = n?;
                if n == 0 { return Ok(()); }
                wait_unless_held(&mut mode).await;
                if *mode.borrow() == Mode::Cut { return Ok(()); }
                sw.write_all(&up[..n]).await?;
            }
            n = sr.read(&mut down) => {
                let n = n?;
                if n == 0 { return Ok(()); }
                wait_unless_held(&mut mode).await;
                if *mode.borrow() == Mode::Cut { return Ok(()); }
                cw.write_all(&down[..n]).await?;
            }
            changed = mode.changed() => {
                if changed.is_err() || *mode.borrow() == Mode::Cut { return Ok(()); }
                wait_unless_held(&mut mode).await;
                if *mode.borrow() == Mode::Cut { return Ok(()); }
            }
        }
    }
}

async fn wait_unless_held(mode: &mut watch::Receiver<Mode>) {
    while *mode.borrow_and_update() == Mode::Hold {
        if mode.changed().await.is_err() {
            return;
        }
    }
}

/// An S3 store reached only through a [`Proxy`].
pub struct StoreBehindProxy {
    pub proxy: Proxy,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Kept running for the test's lifetime (an embedded store).
    _embedded: Option<EmbeddedStore>,
    _dir: tempfile::TempDir,
}

impl StoreBehindProxy {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("store dir");
        let bucket = format!("ks-test-{}", uuid::Uuid::new_v4().simple());
        let moto = std::env::var("TEST_S3_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty());
        let (endpoint, key, secret, embedded) = match moto {
            Some(endpoint) => (endpoint, "testing".to_owned(), "testing".to_owned(), None),
            None => {
                let store = EmbeddedStore::start(dir.path(), "127.0.0.1:0".parse().unwrap())
                    .await
                    .expect("start an embedded store");
                (
                    store.endpoint.clone(),
                    store.access_key_id.clone(),
                    store.secret_access_key.expose().to_owned(),
                    Some(store),
                )
            }
        };
        let upstream = upstream_addr(&endpoint).await;
        Self {
            proxy: Proxy::start(upstream).await,
            bucket,
            access_key_id: key,
            secret_access_key: secret,
            _embedded: embedded,
            _dir: dir,
        }
    }

    /// The endpoint the process (and presigned URLs) use: the proxy.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.proxy.addr)
    }
}

/// `http://127.0.0.1:9000` → its socket address.
async fn upstream_addr(endpoint: &str) -> SocketAddr {
    let host = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::lookup_host(host.clone()),
    )
    .await
    .expect("resolve the store in time")
    .unwrap_or_else(|e| panic!("resolve {host}: {e}"))
    .next()
    .expect("an address for the store")
}
