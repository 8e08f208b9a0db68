//! The embedded object store: an S3-compatible server (s3s + s3s-fs over `{data_dir}/objects`)
//! started inside the process on its own loopback port, so a fresh clone runs with no services.
//!
//! Browsers may talk to it directly (CORS allowed for presigned GET/PUT, `ETag` exposed).
//! It is reached exactly like production storage — through `aws-sdk-s3` over HTTP with SigV4 —
//! so there is no second "local" code path. Its credentials are generated on first start and
//! kept (mode 0600) in `{data_dir}/s3-credentials.json`, so presigned URLs survive restarts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::http::{Method, header};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use hyper_util::service::TowerToHyperService;
use rand::Rng;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceBuilder;

/// hyper's read buffer per connection of the embedded store (see `serve`).
const READ_BUF_PER_CONNECTION: usize = 256 * 1024;
use tower_http::cors::{Any, CorsLayer};

use super::StorageError;
use crate::config::Secret;

/// A running embedded store; dropping it (or calling [`EmbeddedStore::shutdown`]) stops it.
pub struct EmbeddedStore {
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

#[derive(Serialize, Deserialize)]
struct StoredCredentials {
    access_key_id: String,
    secret_access_key: String,
}

impl EmbeddedStore {
    pub async fn start(data_dir: &Path, listen: SocketAddr) -> Result<Self, StorageError> {
        let root = data_dir.join("objects");
        tokio::fs::create_dir_all(&root)
            .await
            .map_err(|e| StorageError::new("create object directory", e))?;
        let creds = load_or_create_credentials(&data_dir.join("s3-credentials.json"))?;

        let fs = s3s_fs::FileSystem::new(&root)
            .map_err(|e| StorageError::new("open object directory", format!("{e:?}")))?;
        let fs = super::embedded_fs::EmbeddedFs::new(fs, root.clone());
        match fs.sweep_orphans().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "removed files of uploads a crash interrupted"),
            Err(err) => tracing::warn!(error = %err, "could not sweep interrupted uploads"),
        }
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(
            creds.access_key_id.clone(),
            creds.secret_access_key.clone(),
        ));
        // Browsers upload and download straight to this store with presigned URLs, from the
        // app's pages on another origin: answer CORS preflights and let scripts read the ETag
        // (needed to complete a multipart upload). The presigned signature is the authority,
        // so any origin may ask.
        let cors = CorsLayer::new()
            .allow_origin(Any)
            .allow_methods([Method::GET, Method::PUT, Method::HEAD])
            .allow_headers(Any)
            .expose_headers([header::ETAG])
            .max_age(std::time::Duration::from_secs(600));
        let s3 = builder.build();
        let logged = tower::service_fn(move |req: axum::http::Request<hyper::body::Incoming>| {
            let s3 = s3.clone();
            async move {
                let (method, path) = (req.method().clone(), req.uri().path().to_owned());
                let response = s3.call(req.map(s3s::Body::from)).await?;
                log_refusal(&method, &path, &response);
                Ok::<_, s3s::HttpError>(response)
            }
        });
        let service = TowerToHyperService::new(ServiceBuilder::new().layer(cors).service(logged));

        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| StorageError::new("bind embedded store", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StorageError::new("bind embedded store", e))?;
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut http = ConnBuilder::new(TokioExecutor::new());
            // Each upload in flight holds at most this much unread request data (hyper's
            // default lets it grow to ~400 KiB per connection). 256 KiB matches the part
            // writer's writes; measured: the same raw PUT speed as the default, 4 uploads of 4
            // parts each at ~21 MiB above idle instead of ~33 (64 KiB slowed PUTs by a quarter).
            http.http1().max_buf_size(READ_BUF_PER_CONNECTION);
            let graceful = hyper_util::server::graceful::GracefulShutdown::new();
            loop {
                let socket = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((socket, _)) => socket,
                        Err(err) => { tracing::warn!(error = %err, "embedded store accept failed"); continue; }
                    },
                    _ = stopped.changed() => break,
                };
                let conn = http.serve_connection(TokioIo::new(socket), service.clone());
                let conn = graceful.watch(conn.into_owned());
                tokio::spawn(async move {
                    if let Err(err) = conn.await {
                        tracing::debug!(error = %err, "embedded store connection ended with an error");
                    }
                });
            }
            graceful.shutdown().await;
        });
        tracing::info!(%addr, root = %root.display(), "embedded object store started");
        Ok(Self {
            endpoint: format!("http://{addr}"),
            access_key_id: creds.access_key_id,
            secret_access_key: Secret::new(creds.secret_access_key),
            stop,
            task: Some(task),
        })
    }

    /// Stop accepting connections and wait for those in flight to finish.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// s3s logs every request it refuses at ERROR (target `s3s::ops`): a browser's expired link or
/// a tampered signature as loudly as a disk failure. That target is off (see `telemetry`);
/// a refusal is a client's mistake and is logged here at the level it deserves — WARN for a
/// refused signature or access (someone presented a link that is not valid), DEBUG for a
/// missing object or a failed precondition (routine answers), INFO for the rest. Server
/// faults (5xx) stay at ERROR: s3s logs them with the answer (target `s3s::service`). The
/// presigned query string (credentials, signature) is never logged; the path holds ids only.
fn log_refusal(method: &Method, path: &str, response: &s3s::HttpResponse) {
    let status = response.status();
    if !status.is_client_error() {
        return;
    }
    let body = response.body().bytes().unwrap_or_default();
    let code = s3_error_code(&body).unwrap_or("-");
    let status = status.as_u16();
    match status {
        401 | 403 => {
            tracing::warn!(%method, path, status, code, "embedded store refused a request")
        }
        404 | 304 | 412 => {
            tracing::debug!(%method, path, status, code, "embedded store refused a request")
        }
        _ => tracing::info!(%method, path, status, code, "embedded store refused a request"),
    }
}

/// The `<Code>` of an S3 error document.
fn s3_error_code(body: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let len = text[start..].find("</Code>")?;
    Some(&text[start..start + len])
}

fn load_or_create_credentials(path: &PathBuf) -> Result<StoredCredentials, StorageError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| StorageError::new("read s3-credentials.json", e)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let creds = StoredCredentials {
                access_key_id: format!("KS{}", random_token(18).to_uppercase()),
                secret_access_key: random_token(40),
            };
            write_private(
                path,
                &serde_json::to_vec_pretty(&creds)
                    .map_err(|e| StorageError::new("encode credentials", e))?,
            )?;
            Ok(creds)
        }
        Err(err) => Err(StorageError::new("read s3-credentials.json", err)),
    }
}

fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StorageError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| StorageError::new("write s3-credentials.json", e))?;
    file.write_all(bytes)
        .map_err(|e| StorageError::new("write s3-credentials.json", e))
}
