//! `TestApp`: one running Keepsake per test, on port 0, with its own data directory, its own
//! embedded object store and its own database, shut down when the test drops it.

use std::time::Duration;

use keepsake::app::Application;
use keepsake::config::Settings;
use keepsake::state::AppState;
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

pub const MIB: usize = 1024 * 1024;
pub const TEST_PASSWORD: &str = "a quiet garden in april";

pub struct TestApp {
    pub base: String,
    /// The metrics listener's base URL, when `metrics.listen` is set.
    pub metrics_base: Option<String>,
    pub client: reqwest::Client,
    pub state: AppState,
    /// `Bearer …` of the customer every request acts as unless it names another caller.
    pub auth: String,
    _shutdown: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

/// A response reduced to what tests look at.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
    pub fn etag(&self) -> String {
        self.headers
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }
}

/// Test settings: small thresholds so the multipart path runs on files of a few MiB.
pub fn test_settings(dir: &std::path::Path) -> Settings {
    let mut settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.to_path_buf(),
        ..Settings::default()
    };
    settings.uploads.single_put_max_bytes = MIB as u64;
    settings.uploads.min_part_bytes = 5 * MIB as u64;
    settings.uploads.max_photo_bytes = 8 * MIB as u64;
    settings
}

/// A database of its own for one test: a fresh PostgreSQL database under `TEST_DATABASE_URL`,
/// or `None` for the default SQLite file in the test's data directory.
pub async fn test_database_url() -> Option<String> {
    let admin_url = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())?;
    let name = format!("ks_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(admin_url.as_str())
        .await
        .expect("connect TEST_DATABASE_URL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL has a database path");
    Some(format!("{base}/{name}"))
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        // Logs are captured per test and shown only when it fails.
        keepsake::telemetry::init();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = test_settings(dir.path());
        if let Some(url) = test_database_url().await {
            settings.database_url = Some(keepsake::config::Secret::new(url));
        }
        adjust(&mut settings);
        let mut app = Self::start(settings, dir).await;
        app.auth = app.customer("customer@example.com").await;
        app
    }

    /// Serve `settings` (a data directory that may already hold data, owned by `dir`) with
    /// no caller logged in yet.
    pub async fn start(settings: Settings, dir: tempfile::TempDir) -> Self {
        let app = Application::build(settings).await.expect("build app");
        let addr = app.local_addr().expect("local addr");
        let metrics_base = app.metrics_addr().map(|a| format!("http://{a}"));
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(app.serve(async move {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        Self {
            base: format!("http://{addr}"),
            metrics_base,
            client,
            state,
            auth: String::new(),
            _shutdown: tx,
            _dir: dir,
        }
    }

    /// Register a customer and log them in; returns the `Bearer …` header value.
    pub async fn customer(&self, email: &str) -> String {
        let body = serde_json::json!({ "email": email, "password": TEST_PASSWORD });
        let created = self
            .send_anonymous(Method::POST, "/api/v1/auth/register", &[], Some(&body))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        self.login(email).await
    }

    /// Create a studio account with `roles` (as an admin would) and log it in.
    pub async fn studio_member(
        &self,
        email: &str,
        roles: &[keepsake::domain::account::Role],
    ) -> String {
        let account = keepsake::accounts::NewAccount {
            email: email.to_owned(),
            password: TEST_PASSWORD.to_owned(),
            roles: roles.to_vec(),
        };
        keepsake::accounts::create(
            &self.state.db,
            &keepsake::audit::Actor::system("test"),
            account,
            None,
        )
        .await
        .expect("create account");
        self.login(email).await
    }

    pub async fn login(&self, email: &str) -> String {
        let body = serde_json::json!({ "email": email, "password": TEST_PASSWORD });
        let session = self
            .send_anonymous(Method::POST, "/api/v1/auth/login", &[], Some(&body))
            .await;
        assert_eq!(session.status, StatusCode::OK, "{:?}", session.body);
        format!("Bearer {}", session.body["token"].as_str().expect("token"))
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Leftovers of multipart uploads in the embedded store: at the root of its directory,
    /// parts, records, layouts and data (`.upload_id-*`), upload ids (`.upload-*`), an
    /// upload's attributes (`….upload-{id}.metadata.json`) and temporary files (`.tmp.*`).
    pub fn stray_part_files(&self) -> Vec<String> {
        self.store_root_files()
            .into_iter()
            .filter(|name| {
                name.starts_with(".upload")
                    || name.starts_with(".tmp.")
                    || name.contains(".upload-")
            })
            .collect()
    }

    /// Every file at the root of the embedded store's directory (s3s-fs's records and ours).
    pub fn store_root_files(&self) -> Vec<String> {
        std::fs::read_dir(self.data_dir().join("objects"))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request as the default customer, unless `headers` name another caller
    /// (`authorization` or `cookie`).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let names_caller = headers.iter().any(|(k, _)| {
            k.eq_ignore_ascii_case("authorization") || k.eq_ignore_ascii_case("cookie")
        });
        if names_caller {
            return self.send_anonymous(method, path, headers, body).await;
        }
        let mut with_auth = headers.to_vec();
        with_auth.push(("authorization", &self.auth));
        self.send_anonymous(method, path, &with_auth, body).await
    }

    /// A request with exactly the headers given (no session unless they carry one).
    pub async fn send_anonymous(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, &[], None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, &[], Some(body)).await
    }

    /// Create an order (fresh idempotency key) and return its JSON.
    pub async fn create_order(&self, body: &Value) -> Value {
        let key = uuid::Uuid::new_v4().to_string();
        let reply = self
            .send(
                Method::POST,
                "/api/v1/orders",
                &[("idempotency-key", &key)],
                Some(body),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body
    }

    /// Start an upload for `bytes`, declaring `declared` (defaults to the true size and hash).
    pub async fn start_upload(
        &self,
        order_id: &str,
        kind: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Reply {
        self.start_upload_declared(
            order_id,
            kind,
            content_type,
            bytes.len() as u64,
            &sha256_hex(bytes),
        )
        .await
    }

    pub async fn start_upload_declared(
        &self,
        order_id: &str,
        kind: &str,
        content_type: &str,
        size: u64,
        sha256: &str,
    ) -> Reply {
        self.post(
            &format!("/api/v1/orders/{order_id}/samples"),
            &json!({ "kind": kind, "file_name": format!("memory.{kind}"), "size": size, "sha256": sha256, "content_type": content_type }),
        )
        .await
    }

    /// PUT bytes to a presigned request exactly as instructed.
    pub async fn put_presigned(&self, request: &Value, bytes: Vec<u8>) -> reqwest::Response {
        let mut req = self.client.put(request["url"].as_str().expect("url"));
        if let Some(headers) = request["headers"].as_object() {
            for (k, v) in headers {
                req = req.header(k.as_str(), v.as_str().unwrap_or(""));
            }
        }
        req.body(bytes).send().await.expect("presigned PUT")
    }

    /// Upload every part (or the single PUT) of `upload` from `bytes`, as the default
    /// customer; returns the parts uploaded with the ETags the store answered (empty for a
    /// single PUT).
    pub async fn put_all(&self, upload: &Value, bytes: &[u8]) -> Vec<Value> {
        self.put_all_as(upload, bytes, &[]).await
    }

    /// `put_all` with the caller named by `auth` headers (staff uploading a deliverable).
    pub async fn put_all_as(
        &self,
        upload: &Value,
        bytes: &[u8],
        auth: &[(&str, &str)],
    ) -> Vec<Value> {
        if let Some(put) = upload.get("put") {
            let resp = self.put_presigned(put, bytes.to_vec()).await;
            assert!(
                resp.status().is_success(),
                "PUT failed: {}",
                resp.text().await.unwrap_or_default()
            );
            return Vec::new();
        }
        let numbers: Vec<u64> = upload["parts_to_upload"]
            .as_array()
            .expect("parts_to_upload")
            .iter()
            .map(|p| p["part_number"].as_u64().expect("part_number"))
            .collect();
        let signed = self.sign_parts_as(upload, bytes, &numbers, auth).await;
        let mut uploaded = Vec::new();
        for part in signed {
            let n = part["part_number"].as_u64().expect("part_number");
            let resp = self
                .put_presigned(&part["request"], part_bytes(upload, bytes, n).to_vec())
                .await;
            let etag = resp
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            assert!(
                resp.status().is_success(),
                "part {n} failed: {}",
                resp.text().await.unwrap_or_default()
            );
            uploaded.push(serde_json::json!({ "part_number": n, "etag": etag }));
        }
        uploaded
    }

    /// Sign parts `numbers` of `upload` with the SHA-256s of their bytes in `bytes` (as the
    /// default customer); returns the part instructions.
    pub async fn sign_parts(&self, upload: &Value, bytes: &[u8], numbers: &[u64]) -> Vec<Value> {
        self.sign_parts_as(upload, bytes, numbers, &[]).await
    }

    pub async fn sign_parts_as(
        &self,
        upload: &Value,
        bytes: &[u8],
        numbers: &[u64],
        auth: &[(&str, &str)],
    ) -> Vec<Value> {
        let url = upload["sign_parts_url"].as_str().expect("sign_parts_url");
        let parts: Vec<Value> = numbers
            .iter()
            .map(|&n| json!({ "part_number": n, "sha256": sha256_hex(part_bytes(upload, bytes, n)) }))
            .collect();
        let signed = self
            .send(Method::POST, url, auth, Some(&json!({ "parts": parts })))
            .await;
        assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
        signed.body["parts"].as_array().expect("parts").clone()
    }

    /// Complete listing the parts as the client uploaded them (no ListParts needed).
    pub async fn complete_with_parts(
        &self,
        order_id: &str,
        sample_id: &str,
        parts: &[Value],
    ) -> Reply {
        self.post(
            &format!("/api/v1/orders/{order_id}/samples/{sample_id}/complete"),
            &serde_json::json!({ "parts": parts }),
        )
        .await
    }

    pub async fn complete(&self, order_id: &str, sample_id: &str) -> Reply {
        self.post(
            &format!("/api/v1/orders/{order_id}/samples/{sample_id}/complete"),
            &json!({}),
        )
        .await
    }

    /// The whole happy path: start, upload, complete. Returns the completion reply.
    pub async fn upload_sample(
        &self,
        order_id: &str,
        kind: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Reply {
        let started = self.start_upload(order_id, kind, content_type, bytes).await;
        assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
        let parts = self.put_all(&started.body["upload"], bytes).await;
        let sample_id = started.body["sample"]["id"].as_str().expect("sample id");
        if parts.is_empty() {
            self.complete(order_id, sample_id).await
        } else {
            self.complete_with_parts(order_id, sample_id, &parts).await
        }
    }

    /// Keys the store holds under an order's prefix.
    pub async fn stored_keys(&self, order_id: &str) -> Vec<String> {
        self.state
            .store
            .list_keys(&format!("orders/{order_id}/"))
            .await
            .expect("list keys")
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A consistent order for a deceased parent, intake complete.
pub fn order_body(mode: &str) -> Value {
    json!({
        "subject": {
            "name": "Chen Mei",
            "requester_relationship": "child",
            "birth_date": "1948-05-02",
            "death_date": "2026-08-14",
            "living": false
        },
        "delivery_mode": mode,
        "intake": {
            "purpose": "to hear her voice once more on her birthday",
            "family_awareness": "my brother and my father know and agree",
            "support_network": "my husband; a grief counsellor every two weeks"
        }
    })
}

/// The bytes of part `n` of `upload` (1-based) within the whole file.
pub fn part_bytes<'a>(upload: &Value, bytes: &'a [u8], n: u64) -> &'a [u8] {
    let part_size = upload["part_size"].as_u64().expect("part_size") as usize;
    let start = (n as usize - 1) * part_size;
    &bytes[start..(start + part_size).min(bytes.len())]
}
