//! The harness: start the real binary as a child process on a data directory and a settings
//! file of the test's own, learn its address from its "keepsake is listening" log line, kill it
//! with SIGKILL, start it again on the same directory and database, and talk to it over HTTP.
//!
//! Every wait is a poll with a hard deadline (no sleeping in the hope a server is up), every
//! child process is killed when its handle drops (a failing test leaves nothing running), and
//! a process's output is kept so a failure shows what it logged.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;
use uuid::Uuid;

pub const MIB: usize = 1024 * 1024;
pub const PASSWORD: &str = "a quiet garden in april";

/// Longest a process may take from spawn to listening (a fresh PostgreSQL database is
/// migrated first).
const START_LIMIT: Duration = Duration::from_secs(120);

/// `CI=true`: the pipeline promised every prerequisite, so a missing one is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Say why a test cannot run here: a skip on a developer's machine, a failure in CI.
pub fn missing_prerequisite(why: &str) {
    assert!(!in_ci(), "CI=true and a prerequisite is missing: {why}");
    eprintln!("skipped: {why}");
}

/// A fresh PostgreSQL database under `TEST_DATABASE_URL` (dropped by `.ci/run` with the other
/// `ks_test_*` databases), or `None`: SQLite in the data directory.
pub async fn fresh_database() -> Option<String> {
    let admin_url = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())?;
    Some(create_database(&admin_url).await)
}

/// Create a database named `ks_test_*` through `admin_url`; returns its URL.
pub async fn create_database(admin_url: &str) -> String {
    use sea_orm::ConnectionTrait;
    let name = format!("ks_test_{}", Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(admin_url)
        .await
        .expect("connect to the admin database");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    admin.close().await.ok();
    let (base, _) = admin_url.rsplit_once('/').expect("a URL with a database");
    format!("{base}/{name}")
}

/// Settings written to a `keepsake.toml` (values are TOML literals).
#[derive(Clone, Default)]
pub struct Config {
    tables: BTreeMap<&'static str, BTreeMap<&'static str, String>>,
}

impl Config {
    /// Small upload thresholds, so the multipart path runs on files of a few MiB, and sweeps
    /// that wait (tests that want them set them shorter).
    pub fn for_tests() -> Self {
        Self::default()
            .set("uploads", "single_put_max_bytes", MIB.to_string())
            .set("uploads", "min_part_bytes", (5 * MIB).to_string())
            .set("uploads", "max_photo_bytes", (8 * MIB).to_string())
    }

    pub fn set(mut self, table: &'static str, key: &'static str, value: impl Into<String>) -> Self {
        self.tables
            .entry(table)
            .or_default()
            .insert(key, value.into());
        self
    }

    /// SMTP to a plain-text listener on `port`, relaying every `poll` second(s).
    pub fn smtp(self, port: u16, timeout_secs: u64, lease_secs: u64) -> Self {
        self.set("smtp", "host", "\"127.0.0.1\"")
            .set("smtp", "port", port.to_string())
            .set("smtp", "tls", "\"none\"")
            .set(
                "smtp",
                "from",
                "\"Keepsake Studio <noreply@studio.example>\"",
            )
            .set("smtp", "timeout_secs", timeout_secs.to_string())
            .set("notifications", "staff_email", "\"studio@studio.example\"")
            .set("notifications", "poll_interval_secs", "1")
            .set("notifications", "lease_secs", lease_secs.to_string())
            .set("notifications", "backoff_base_secs", "1")
            .set("notifications", "backoff_cap_secs", "2")
    }

    fn render(&self) -> String {
        let mut text = String::new();
        for (table, keys) in &self.tables {
            text.push_str(&format!("[{table}]\n"));
            for (key, value) in keys {
                text.push_str(&format!("{key} = {value}\n"));
            }
        }
        text
    }
}

/// How to start one Keepsake process: its data directory, settings file and environment.
#[derive(Clone)]
pub struct Launch {
    pub data_dir: PathBuf,
    config_file: PathBuf,
    env: BTreeMap<String, String>,
}

impl Launch {
    /// A process with its data under `root/data` and its settings in `root/keepsake.toml`.
    pub fn new(root: &Path, config: &Config) -> Self {
        let data_dir = root.join("data");
        std::fs::create_dir_all(&data_dir).expect("data dir");
        let config_file = root.join("keepsake.toml");
        std::fs::write(&config_file, config.render()).expect("write keepsake.toml");
        Self {
            data_dir,
            config_file,
            env: BTreeMap::new(),
        }
    }

    pub fn env(mut self, name: &str, value: impl Into<String>) -> Self {
        self.env.insert(name.to_owned(), value.into());
        self
    }

    /// `DATABASE_URL`, when given.
    pub fn database(self, url: Option<&str>) -> Self {
        match url {
            Some(url) => self.env("DATABASE_URL", url),
            None => self,
        }
    }

    /// An external S3 store.
    pub fn s3(self, endpoint: &str, bucket: &str, key: &str, secret: &str) -> Self {
        self.env("S3_ENDPOINT", endpoint)
            .env("S3_BUCKET", bucket)
            .env("S3_ACCESS_KEY_ID", key)
            .env("S3_SECRET_ACCESS_KEY", secret)
    }

    /// The URL the test opens to look at what the process stored.
    pub fn database_url(&self) -> String {
        self.env.get("DATABASE_URL").cloned().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rw",
                self.data_dir.join("keepsake.db").display()
            )
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_keepsake"));
        command
            .arg("--config")
            .arg(&self.config_file)
            .args(args)
            .current_dir(&self.data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // Nothing from the test's own environment chooses the process's services.
        for name in [
            "DATABASE_URL",
            "S3_ENDPOINT",
            "S3_PUBLIC_ENDPOINT",
            "S3_BUCKET",
            "S3_REGION",
            "S3_ACCESS_KEY_ID",
            "S3_SECRET_ACCESS_KEY",
            "SMTP_HOST",
            "SMTP_PORT",
            "SMTP_TLS",
            "SMTP_USERNAME",
            "SMTP_PASSWORD",
            "SMTP_FROM",
            "KEEPSAKE_STAFF_EMAIL",
            "KEEPSAKE_LISTEN",
            "KEEPSAKE_DATA_DIR",
        ] {
            command.env_remove(name);
        }
        command
            .env("NO_COLOR", "1")
            .env(
                "RUST_LOG",
                "info,aws_config=warn,aws_smithy_runtime=warn,s3s=warn",
            )
            .envs(&self.env);
        command
    }

    /// Spawn `keepsake serve` on a free port; [`Starting::listening`] waits for it.
    pub fn spawn(&self) -> Starting {
        let data_dir = self.data_dir.display().to_string();
        let mut child = self
            .command(&["serve", "--listen", "127.0.0.1:0", "--data-dir", &data_dir])
            .spawn()
            .expect("spawn keepsake serve");
        let log = Log::default();
        let (addr_tx, addr_rx) = watch::channel(None);
        let addr_tx = Arc::new(addr_tx);
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            tokio::spawn(collect(stream, log.clone(), addr_tx.clone()));
        }
        Starting {
            child,
            log,
            addr: addr_rx,
        }
    }

    /// Spawn and wait until it listens.
    pub async fn start(&self) -> Server {
        self.spawn().listening().await
    }
}

/// Everything a process wrote, line by line.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn text(&self) -> String {
        self.0.lock().map(|l| l.join("\n")).unwrap_or_default()
    }
    pub fn contains(&self, needle: &str) -> bool {
        self.0
            .lock()
            .is_ok_and(|l| l.iter().any(|line| line.contains(needle)))
    }
}

async fn collect(
    stream: Box<dyn AsyncRead + Send + Unpin>,
    log: Log,
    addr: Arc<watch::Sender<Option<SocketAddr>>>,
) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let line = strip_ansi(&line);
        if line.contains("keepsake is listening")
            && let Some(found) = listening_address(&line)
        {
            addr.send_replace(Some(found));
        }
        if let Ok(mut all) = log.0.lock() {
            all.push(line);
        }
    }
}

/// `… keepsake is listening addr=127.0.0.1:41234` (or the same as a JSON line's `addr`) →
/// the address.
fn listening_address(line: &str) -> Option<SocketAddr> {
    if let Ok(json) = serde_json::from_str::<Value>(line) {
        return json["addr"].as_str().and_then(|a| a.parse().ok());
    }
    line.split_whitespace()
        .find_map(|word| word.strip_prefix("addr="))
        .and_then(|a| a.parse().ok())
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A process spawned and not yet listening.
pub struct Starting {
    child: Child,
    log: Log,
    addr: watch::Receiver<Option<SocketAddr>>,
}

impl Starting {
    /// Wait until the process says where it listens; panics (with its log) when it exits
    /// first or takes longer than [`START_LIMIT`].
    pub async fn listening(self) -> Server {
        self.try_listening()
            .await
            .unwrap_or_else(|(why, log)| panic!("keepsake did not start: {why}\n{log}"))
    }

    /// The same, with the failure as a value: (why, the process's log).
    pub async fn try_listening(mut self) -> Result<Server, (String, String)> {
        let deadline = Instant::now() + START_LIMIT;
        loop {
            let listening = *self.addr.borrow();
            if let Some(addr) = listening {
                return Ok(Server {
                    child: self.child,
                    base: format!("http://{addr}"),
                    log: self.log,
                });
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the readers drain what the process wrote before it died.
                let _ = tokio::time::timeout(Duration::from_secs(2), self.addr.changed()).await;
                return Err((format!("it exited with {status}"), self.log.text()));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err((
                    format!("not listening after {START_LIMIT:?}"),
                    self.log.text(),
                ));
            }
            let _ = tokio::time::timeout(left.min(Duration::from_millis(200)), self.addr.changed())
                .await;
        }
    }
}

/// A running `keepsake serve`; SIGKILLed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub log: Log,
}

impl Server {
    /// SIGKILL (no shutdown hook runs, nothing is flushed by the process) and reap it.
    pub async fn kill(mut self) -> Log {
        self.child.start_kill().expect("SIGKILL");
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        self.log
    }

    /// SIGTERM, as Kubernetes (or systemd) stops a process: it should drain and exit.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("the process is running");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "SIGTERM sent");
    }

    /// Wait up to `limit` for the process to exit by itself: its exit status (`None` if it
    /// did not, and was then SIGKILLed) and its log.
    pub async fn wait_exit(mut self, limit: Duration) -> (Option<std::process::ExitStatus>, Log) {
        let status = tokio::time::timeout(limit, self.child.wait())
            .await
            .ok()
            .and_then(Result::ok);
        if status.is_none() {
            let _ = self.child.start_kill();
        }
        (status, self.log)
    }

    /// Still running (no exit, no panic that ended it)?
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn api(&self) -> Api {
        Api::new(&self.base)
    }
}

/// Poll `probe` until it gives a value; panics naming `what` after `limit`.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "gave up waiting for {what} after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A response reduced to what the tests look at.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub etag: String,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or("").to_owned()
    }
    /// An error answered as RFC 9457 problem+json with a code.
    pub fn is_problem(&self) -> bool {
        self.content_type.starts_with("application/problem+json") && !self.code().is_empty()
    }
}

/// An HTTP client for one process.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    client: reqwest::Client,
    /// Requests sent to the process (shared by clones).
    sent: Arc<std::sync::atomic::AtomicUsize>,
}

impl Api {
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        Self {
            base: base.to_owned(),
            client,
            sent: Arc::default(),
        }
    }

    /// How many API requests this client (and its clones) sent.
    pub fn requests(&self) -> usize {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// One request; `Err` when the connection failed (the process is gone, say).
    pub async fn try_send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Reply, reqwest::Error> {
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (content_type, etag) = (header("content-type"), header("etag"));
        let bytes = resp.bytes().await?;
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Ok(Reply {
            status,
            content_type,
            etag,
            body,
        })
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        self.try_send(method.clone(), path, headers, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Register a customer and log in: the `Bearer …` header value.
    pub async fn customer(&self, email: &str) -> String {
        let body = json!({ "email": email, "password": PASSWORD });
        let created = self
            .send(Method::POST, "/api/v1/auth/register", &[], Some(&body))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        self.login(email).await
    }

    pub async fn login(&self, email: &str) -> String {
        let body = json!({ "email": email, "password": PASSWORD });
        let session = self
            .send(Method::POST, "/api/v1/auth/login", &[], Some(&body))
            .await;
        assert_eq!(session.status, StatusCode::OK, "{:?}", session.body);
        format!("Bearer {}", session.body["token"].as_str().expect("token"))
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, &[("authorization", token)], None)
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, &[("authorization", token)], Some(body))
            .await
    }

    /// `POST /api/v1/orders` with `key` as Idempotency-Key.
    pub async fn try_create_order(&self, token: &str, key: &str) -> Result<Reply, reqwest::Error> {
        self.try_send(
            Method::POST,
            "/api/v1/orders",
            &[("authorization", token), ("idempotency-key", key)],
            Some(&order_body()),
        )
        .await
    }

    /// A new draft order; returns (id, ETag).
    pub async fn draft(&self, token: &str) -> (String, String) {
        let created = self
            .try_create_order(token, &Uuid::new_v4().to_string())
            .await
            .expect("create order");
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        (created.id(), created.etag)
    }

    /// `POST …/actions/{action}` with `etag` as If-Match.
    pub async fn try_act(
        &self,
        token: &str,
        order: &str,
        action: &str,
        etag: &str,
    ) -> Result<Reply, reqwest::Error> {
        self.try_send(
            Method::POST,
            &format!("/api/v1/orders/{order}/actions/{action}"),
            &[("authorization", token), ("if-match", etag)],
            None,
        )
        .await
    }

    /// Start a sample upload of `bytes`; the reply carries `sample` and `upload`.
    pub async fn start_upload(
        &self,
        token: &str,
        order: &str,
        kind: &str,
        mime: &str,
        bytes: &[u8],
    ) -> Reply {
        let body = json!({ "kind": kind, "file_name": format!("memory.{kind}"), "size": bytes.len(), "sha256": sha256_hex(bytes), "content_type": mime });
        let started = self
            .post(&format!("/api/v1/orders/{order}/samples"), token, &body)
            .await;
        assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
        started
    }

    /// Presigned PUT requests for parts `numbers` of `upload` (the reply of a start or resume).
    pub async fn sign_parts(
        &self,
        token: &str,
        upload: &Value,
        bytes: &[u8],
        numbers: &[u64],
    ) -> Vec<Value> {
        let parts: Vec<Value> = numbers
            .iter()
            .map(|&n| json!({ "part_number": n, "sha256": sha256_hex(part_bytes(upload, bytes, n)) }))
            .collect();
        let url = upload["sign_parts_url"].as_str().expect("sign_parts_url");
        let signed = self.post(url, token, &json!({ "parts": parts })).await;
        assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
        signed.body["parts"].as_array().expect("parts").clone()
    }

    /// PUT one presigned request with `bytes`; the store's status and ETag.
    pub async fn put_presigned(&self, request: &Value, bytes: Vec<u8>) -> (StatusCode, String) {
        let mut req = self.client.put(request["url"].as_str().expect("url"));
        for (k, v) in request["headers"].as_object().into_iter().flatten() {
            req = req.header(k.as_str(), v.as_str().unwrap_or(""));
        }
        let resp = req.body(bytes).send().await.expect("presigned PUT");
        let etag = resp
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (resp.status(), etag)
    }

    /// PUT a presigned request whose `len` bytes arrive through `chunks`, as slowly as the
    /// test sends them; the store's status, or the error when the connection broke.
    pub async fn put_streamed(
        self,
        request: Value,
        len: usize,
        chunks: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    ) -> Result<StatusCode, reqwest::Error> {
        let stream = futures::stream::unfold(chunks, |mut rx| async move {
            rx.recv().await.map(|c| (Ok::<_, std::io::Error>(c), rx))
        });
        let mut req = self
            .client
            .put(request["url"].as_str().expect("url"))
            .header("content-length", len);
        for (k, v) in request["headers"].as_object().into_iter().flatten() {
            req = req.header(k.as_str(), v.as_str().unwrap_or(""));
        }
        let resp = req.body(reqwest::Body::wrap_stream(stream)).send().await?;
        Ok(resp.status())
    }

    /// Sign and PUT parts `numbers` of `upload`; the parts as a completion lists them.
    pub async fn put_parts(
        &self,
        token: &str,
        upload: &Value,
        bytes: &[u8],
        numbers: &[u64],
    ) -> Vec<Value> {
        let mut done = Vec::new();
        for part in self.sign_parts(token, upload, bytes, numbers).await {
            let n = part["part_number"].as_u64().expect("part_number");
            let (status, etag) = self
                .put_presigned(&part["request"], part_bytes(upload, bytes, n).to_vec())
                .await;
            assert!(status.is_success(), "part {n}: {status}");
            done.push(json!({ "part_number": n, "etag": etag }));
        }
        done
    }

    /// A photo uploaded with one presigned PUT and verified.
    pub async fn verified_photo(&self, token: &str, order: &str) {
        let photo = keepsake::media::samples::jpeg(600, 600);
        let started = self
            .start_upload(token, order, "photo", "image/jpeg", &photo)
            .await;
        let (status, _) = self
            .put_presigned(&started.body["upload"]["put"], photo)
            .await;
        assert!(status.is_success(), "photo PUT: {status}");
        let sample = started.body["sample"]["id"].as_str().expect("sample id");
        let done = self
            .try_complete(token, order, sample)
            .await
            .expect("complete the photo");
        assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    }

    /// A draft with a verified photo, ready to submit; returns (id, ETag).
    pub async fn ready_draft(&self, token: &str) -> (String, String) {
        let (order, _) = self.draft(token).await;
        self.verified_photo(token, &order).await;
        let current = self.get(&format!("/api/v1/orders/{order}"), token).await;
        assert_eq!(current.status, StatusCode::OK, "{:?}", current.body);
        (order, current.etag)
    }

    pub async fn try_complete(
        &self,
        token: &str,
        order: &str,
        sample: &str,
    ) -> Result<Reply, reqwest::Error> {
        self.try_complete_with(token, order, sample, &json!({}))
            .await
    }

    /// A completion with `body` (`{"parts": [...]}` or `{}`).
    pub async fn try_complete_with(
        &self,
        token: &str,
        order: &str,
        sample: &str,
        body: &Value,
    ) -> Result<Reply, reqwest::Error> {
        self.try_send(
            Method::POST,
            &format!("/api/v1/orders/{order}/samples/{sample}/complete"),
            &[("authorization", token)],
            Some(body),
        )
        .await
    }

    /// Download a verified sample through its presigned GET; the bytes.
    pub async fn download(&self, token: &str, order: &str, sample: &str) -> Vec<u8> {
        let link = self
            .get(
                &format!("/api/v1/orders/{order}/samples/{sample}/download"),
                token,
            )
            .await;
        assert_eq!(link.status, StatusCode::OK, "{:?}", link.body);
        let url = link.body["request"]["url"].as_str().expect("download url");
        let resp = self.client.get(url).send().await.expect("download");
        assert!(resp.status().is_success(), "download: {}", resp.status());
        resp.bytes().await.expect("downloaded bytes").to_vec()
    }
}

/// A consistent order for a deceased parent, intake complete.
pub fn order_body() -> Value {
    json!({
        "subject": {
            "name": "Chen Mei",
            "requester_relationship": "child",
            "birth_date": "1948-05-02",
            "death_date": "2026-08-14",
            "living": false
        },
        "delivery_mode": "machine_driven",
        "intake": {
            "purpose": "to hear her voice once more on her birthday",
            "family_awareness": "my brother and my father know and agree",
            "support_network": "my husband; a grief counsellor every two weeks"
        }
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Part part numbers listed under `key` (`parts_to_upload`, `uploaded_parts`) of an upload.
pub fn part_numbers(upload: &Value, key: &str) -> Vec<u64> {
    upload[key]
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| p["part_number"].as_u64())
                .collect()
        })
        .unwrap_or_default()
}

/// The bytes of part `n` (1-based) of `upload` within the whole file.
pub fn part_bytes<'a>(upload: &Value, bytes: &'a [u8], n: u64) -> &'a [u8] {
    let part_size = upload["part_size"].as_u64().expect("part_size") as usize;
    let start = (n as usize - 1) * part_size;
    &bytes[start..(start + part_size).min(bytes.len())]
}

/// Open what the process stored (while it runs or after it died).
pub async fn database(url: &str) -> DatabaseConnection {
    keepsake::db::connect(url).await.expect("open the database")
}

/// Every audit event about `target`, oldest first.
pub async fn audit_of(db: &DatabaseConnection, target: Uuid) -> Vec<String> {
    use keepsake::db::entities::audit_event::{Column, Entity};
    use sea_orm::QueryOrder;
    Entity::find()
        .filter(Column::TargetId.eq(target))
        .order_by_asc(Column::OccurredAt)
        .all(db)
        .await
        .expect("read audit events")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

/// Every outbox message about `order`.
pub async fn outbox_of(
    db: &DatabaseConnection,
    order: Uuid,
) -> Vec<keepsake::db::entities::outbox_message::Model> {
    use keepsake::db::entities::outbox_message::{Column, Entity};
    Entity::find()
        .filter(Column::OrderId.eq(order))
        .all(db)
        .await
        .expect("read the outbox")
}

/// A sample's stored status.
pub async fn sample_status(db: &DatabaseConnection, id: Uuid) -> String {
    keepsake::db::entities::sample::Entity::find_by_id(id)
        .one(db)
        .await
        .expect("read the sample")
        .map(|s| s.status.as_str().to_owned())
        .unwrap_or_default()
}

/// The stored order row.
pub async fn order_row(db: &DatabaseConnection, id: Uuid) -> keepsake::db::entities::order::Model {
    keepsake::db::entities::order::Entity::find_by_id(id)
        .one(db)
        .await
        .expect("read the order")
        .expect("the order exists")
}
