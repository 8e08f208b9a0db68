//! Typed settings: built-in defaults, then an optional `keepsake.toml`, then environment variables,
//! then command-line flags (each layer overrides the one before).
//!
//! With nothing configured the service runs on the embedded default: SQLite under the data
//! directory and an S3-compatible store started in-process. `DATABASE_URL` and `S3_ENDPOINT`
//! switch to external services; the code path is the same either way. Every setting in the
//! file can also be given as `KEEPSAKE_<SECTION>__<KEY>` ([`env_overlay`]), besides the short
//! names below (`DATABASE_URL`, `S3_*`, `SMTP_*`, …), which win. Secrets are wrapped in
//! [`Secret`] so `Debug` output (and therefore logs) never shows them.

use crate::domain::sufficiency::ModeThresholds;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod env_overlay;

/// A value that must never reach a log line.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Serialized only to list the settings' names and types ([`env_overlay`]): never its value.
impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("[redacted]")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address the HTTP API listens on.
    pub listen: SocketAddr,
    /// Where the embedded database, object files and generated credentials live.
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; unset means SQLite at `{data_dir}/keepsake.db`.
    pub database_url: Option<Secret>,
    /// Most connections this replica opens to the database (unset: twice the machine's cores,
    /// 4 to 20, on PostgreSQL; 8 on SQLite). Replicas × this must stay under PostgreSQL's `max_connections`; on a small
    /// machine a few connections per core answer more evenly than many.
    pub database_max_connections: Option<u32>,
    pub s3: S3Settings,
    pub uploads: UploadSettings,
    pub sufficiency: SufficiencySettings,
    pub auth: AuthSettings,
    pub consent: ConsentSettings,
    pub sla: SlaSettings,
    pub studio: StudioSettings,
    pub delivery: DeliverySettings,
    pub smtp: SmtpSettings,
    pub notifications: NotificationSettings,
    pub idempotency: IdempotencySettings,
    pub content_credentials: ContentCredentialSettings,
    pub metrics: MetricsSettings,
    pub traces: TracesSettings,
    /// Largest JSON request body accepted, in bytes.
    pub max_json_body_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            database_max_connections: None,
            s3: S3Settings::default(),
            uploads: UploadSettings::default(),
            sufficiency: SufficiencySettings::default(),
            auth: AuthSettings::default(),
            consent: ConsentSettings::default(),
            sla: SlaSettings::default(),
            studio: StudioSettings::default(),
            delivery: DeliverySettings::default(),
            smtp: SmtpSettings::default(),
            notifications: NotificationSettings::default(),
            idempotency: IdempotencySettings::default(),
            content_credentials: ContentCredentialSettings::default(),
            metrics: MetricsSettings::default(),
            traces: TracesSettings::default(),
            max_json_body_bytes: 64 * 1024,
        }
    }
}

/// Object storage. With no `endpoint` an embedded store is started on `embedded_listen`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    pub endpoint: Option<String>,
    /// The endpoint put into presigned URLs when clients reach the store under another name.
    pub public_endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    /// Loopback address of the embedded store (port 0: any free port).
    pub embedded_listen: SocketAddr,
}

impl Default for S3Settings {
    fn default() -> Self {
        Self {
            endpoint: None,
            public_endpoint: None,
            bucket: "keepsake".into(),
            region: "us-east-1".into(),
            access_key_id: None,
            secret_access_key: None,
            embedded_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadSettings {
    /// Files up to this size get one presigned PUT; larger ones a multipart upload.
    pub single_put_max_bytes: u64,
    /// Smallest part the server hands out (S3 requires ≥ 5 MiB for all but the last part).
    pub min_part_bytes: u64,
    /// Lifetime of every presigned URL, in seconds (≤ 900).
    pub url_ttl_secs: u64,
    /// An upload not completed within this many seconds is aborted and its parts deleted.
    pub abandon_after_secs: u64,
    /// How often the abandoned-upload sweep runs, in seconds.
    pub sweep_interval_secs: u64,
    pub max_photo_bytes: u64,
    pub max_voice_bytes: u64,
    pub max_video_bytes: u64,
    pub max_document_bytes: u64,
}

impl UploadSettings {
    pub fn part_limits(&self) -> crate::domain::sample::PartLimits {
        crate::domain::sample::PartLimits {
            single_put_max_bytes: self.single_put_max_bytes,
            min_part_bytes: self.min_part_bytes,
        }
    }

    /// The largest file of `kind` the studio accepts.
    pub fn max_bytes_for(&self, kind: crate::domain::sample::SampleKind) -> u64 {
        use crate::domain::sample::SampleKind;
        match kind {
            SampleKind::Photo => self.max_photo_bytes,
            SampleKind::Voice => self.max_voice_bytes,
            SampleKind::Video => self.max_video_bytes,
            SampleKind::Document => self.max_document_bytes,
        }
    }
}

const MIB: u64 = 1024 * 1024;

impl Default for UploadSettings {
    fn default() -> Self {
        Self {
            single_put_max_bytes: 32 * MIB,
            min_part_bytes: 16 * MIB,
            url_ttl_secs: 900,
            abandon_after_secs: 24 * 3600,
            sweep_interval_secs: 600,
            max_photo_bytes: 50 * MIB,
            max_voice_bytes: 2048 * MIB,
            max_video_bytes: 10 * 1024 * MIB,
            max_document_bytes: 50 * MIB,
        }
    }
}

/// Login sessions.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// A session unused this long ends (seconds).
    pub session_idle_secs: u64,
    /// A session ends this long after login whatever its use (seconds).
    pub session_absolute_secs: u64,
    /// Mark the session cookie `Secure` (HTTPS only). Turn off only for plain-HTTP development.
    pub secure_cookies: bool,
    /// Failed logins allowed for one account from one client address within
    /// `failure_window_secs`; past it, that address waits (the owner elsewhere does not).
    pub max_failures_per_account_client: usize,
    /// Failed logins allowed for one account from all addresses together within the window;
    /// past it, addresses the account has not logged in from within `known_client_days` wait
    /// too (slows a guesser spread over many addresses; the owner on a known one gets in).
    pub max_failures_per_account: usize,
    /// Failed logins allowed per client address (any account) within the window.
    pub max_failures_per_client: usize,
    pub failure_window_secs: u64,
    /// An address the account logged in from within this many days is known to it.
    pub known_client_days: u32,
    /// Behind a trusted proxy: the header carrying the client's address (first entry of e.g.
    /// `X-Forwarded-For`). Unset (the default): the TCP peer address, and such headers are
    /// ignored — anyone can send them.
    pub client_address_header: Option<String>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 3600,
            secure_cookies: true,
            max_failures_per_account_client: 5,
            max_failures_per_account: 20,
            max_failures_per_client: 30,
            failure_window_secs: 15 * 60,
            known_client_days: 90,
            client_address_header: None,
        }
    }
}

/// Consent invitations and what a withdrawal schedules.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsentSettings {
    /// An invitation link can be used for this long (hours).
    pub invitation_ttl_hours: u32,
    /// Erasure falls due this many days after a withdrawal (the legal "without undue delay":
    /// one month leaves time for a hold on disputed orders, never for more processing).
    pub erasure_after_days: u32,
}

impl Default for ConsentSettings {
    fn default() -> Self {
        Self {
            invitation_ttl_hours: 7 * 24,
            erasure_after_days: 30,
        }
    }
}

/// Delivery targets per mode (PRODUCT.md, "Order lifecycle": queuing sets the due time).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaSettings {
    pub machine_driven: ModeSla,
    pub human_driven: ModeSla,
    /// How often the SLA sweeper looks for orders due for a check (seconds).
    pub sweep_interval_secs: u64,
    /// How long a sweeper's claim on an order lasts before another may take it over (seconds).
    pub lease_secs: u64,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ModeSla {
    /// The studio's target (days after approval).
    pub target_days: u32,
    /// The promise made to the customer (days after approval).
    pub promise_days: u32,
}

impl Default for SlaSettings {
    fn default() -> Self {
        let days = ModeSla {
            target_days: 5,
            promise_days: 7,
        };
        Self {
            machine_driven: days,
            human_driven: days,
            sweep_interval_secs: 60,
            lease_secs: 300,
        }
    }
}

impl SlaSettings {
    pub fn for_mode(&self, mode: crate::domain::order::DeliveryMode) -> ModeSla {
        match mode {
            crate::domain::order::DeliveryMode::MachineDriven => self.machine_driven,
            crate::domain::order::DeliveryMode::HumanDriven => self.human_driven,
        }
    }
}

/// Who the studio is, as named on consent receipts (the data controller).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StudioSettings {
    pub name: String,
    pub contact_email: String,
    pub privacy_policy_url: String,
    /// The studio's time zone as a UTC offset (`+08:00`: Asia/Shanghai, which keeps no DST);
    /// the board shows times in it beside the stored UTC.
    pub utc_offset: String,
    /// The typical price range the landing page names (minor units, CNY).
    pub price_from_minor: i64,
    pub price_to_minor: i64,
}

impl StudioSettings {
    pub fn zone(&self) -> chrono::FixedOffset {
        use chrono::Offset;
        // `validate` refuses an offset that does not parse; UTC is only a formal fallback.
        parse_offset(&self.utc_offset).unwrap_or_else(|| chrono::Utc.fix())
    }
}

/// `+08:00` / `-05:30` → the offset.
fn parse_offset(text: &str) -> Option<chrono::FixedOffset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    chrono::FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

impl Default for StudioSettings {
    fn default() -> Self {
        Self {
            name: "Keepsake Studio".into(),
            contact_email: "privacy@keepsake.example".into(),
            privacy_policy_url: "https://keepsake.example/privacy".into(),
            utc_offset: "+08:00".into(),
            price_from_minor: 300_000,
            price_to_minor: 1_000_000,
        }
    }
}

/// Delivery and retention (PRODUCT.md, "Delivery, retention, erasure").
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliverySettings {
    /// The visible AI-generated-content label recorded for a deliverable unless staff give
    /// another text.
    pub ai_label_text: String,
    /// The provider named in each deliverable's metadata label (an ASCII token: it travels in
    /// an object metadata header).
    pub label_provider: String,
    /// GB 45438 `ContentProducer`, written inside every delivered file: the studio's name or
    /// its registration code with the regulator.
    pub content_producer: String,
    /// GB 45438 `ContentPropagator`, written inside every delivered file: the service that
    /// gives the file to the family.
    pub content_propagator: String,
    /// Raw samples are purged this many days after delivery unless the customer keeps them
    /// for follow-up iterations.
    pub sample_retention_days: u32,
    /// The name, contact and words of a landing-page inquiry are blanked this many days after
    /// it was left (the row stays, counted in the funnel).
    pub inquiry_retention_days: u32,
    /// How often the retention and erasure job looks for due work (seconds).
    pub retention_interval_secs: u64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            ai_label_text: "本内容由人工智能生成 / AI-generated content".into(),
            label_provider: "keepsake-studio".into(),
            content_producer: "Keepsake Studio".into(),
            content_propagator: "Keepsake".into(),
            sample_retention_days: 30,
            inquiry_retention_days: 180,
            retention_interval_secs: 3600,
        }
    }
}

/// The studio's C2PA signing identity (issue 16): a PEM certificate chain (the signer first)
/// and its PKCS#8 private key, as a file or, for containers, the PEM itself in
/// `KEEPSAKE_C2PA_PRIVATE_KEY`. With neither a development certificate is made in the data
/// directory, and everything it signs says so when checked.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContentCredentialSettings {
    pub certificate_chain_file: Option<PathBuf>,
    pub private_key_file: Option<PathBuf>,
    pub private_key: Option<Secret>,
    /// `es256`, `es384`, `es512`, `ps256`, `ps384`, `ps512` or `ed25519`, matching the key.
    pub signing_algorithm: String,
}

/// Prometheus metrics (`/metrics`): never public by default. On their own listener (`listen`,
/// reached only from inside the cluster), or on the main one to a scraper that sends
/// `Authorization: Bearer <token>`; with neither, `/metrics` does not exist.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    pub listen: Option<SocketAddr>,
    pub token: Option<Secret>,
}

/// OpenTelemetry trace export (OTLP over HTTP/protobuf), off unless `otlp_endpoint` is set —
/// the collector's traces URL, e.g. `http://otel-collector:4318/v1/traces`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TracesSettings {
    pub otlp_endpoint: Option<String>,
    /// `service.name` on every span.
    pub service_name: String,
}

impl Default for TracesSettings {
    fn default() -> Self {
        Self {
            otlp_endpoint: None,
            service_name: "keepsake".into(),
        }
    }
}

impl Default for ContentCredentialSettings {
    fn default() -> Self {
        Self {
            certificate_chain_file: None,
            private_key_file: None,
            private_key: None,
            signing_algorithm: "es256".into(),
        }
    }
}

impl ContentCredentialSettings {
    /// Whether the studio configured its own identity (else the development one is used).
    pub fn configured(&self) -> bool {
        self.certificate_chain_file.is_some()
    }

    /// The private key's PEM: given inline, or read from its file.
    pub fn private_key(&self) -> Result<Option<String>, std::io::Error> {
        if let Some(key) = &self.private_key {
            return Ok(Some(key.expose().to_owned()));
        }
        self.private_key_file
            .as_deref()
            .map(std::fs::read_to_string)
            .transpose()
    }
}

/// The SMTP server the outbox relay hands mail to. Without `host` SMTP is not configured: the
/// relay does not run and messages stay queued (visible to admins at `GET /api/v1/outbox`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: Option<String>,
    /// Default by `tls`: 25 (none), 587 (starttls), 465 (tls).
    pub port: Option<u16>,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// The sender, e.g. `Keepsake Studio <noreply@keepsake.example>`; its domain also names
    /// every message's `Message-ID`.
    pub from: Option<String>,
    /// Longest wait for the server on one step of the conversation (seconds).
    pub timeout_secs: Option<u64>,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a relay on the same host or private network only).
    None,
    /// Plain connection upgraded with STARTTLS, which is required (submission, port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (implicit TLS, port 465).
    Tls,
}

impl SmtpTls {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "none" => Some(Self::None),
            "starttls" => Some(Self::Starttls),
            "tls" => Some(Self::Tls),
            _ => None,
        }
    }
}

impl SmtpSettings {
    pub fn configured(&self) -> bool {
        self.host.is_some()
    }
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        })
    }
    pub fn effective_timeout_secs(&self) -> u64 {
        self.timeout_secs.unwrap_or(30)
    }
}

/// Who gets which mail, and how the outbox relay retries.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationSettings {
    /// Where staff alerts (SLA at risk / overdue) go; required when SMTP is configured.
    pub staff_email: Option<String>,
    /// Put before the link paths in mails (e.g. `https://desk.keepsake.example`); empty: the
    /// paths alone.
    pub public_base_url: String,
    /// How often the relay looks for messages due to be sent (seconds).
    pub poll_interval_secs: u64,
    /// How long a relay's claim on a message lasts before another may take it over (seconds);
    /// longer than one SMTP conversation.
    pub lease_secs: u64,
    /// Tries before a message is given up as `failed`.
    pub max_attempts: u32,
    /// Wait after the first failed try (seconds); doubled after each further one…
    pub backoff_base_secs: u64,
    /// …up to this (seconds).
    pub backoff_cap_secs: u64,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            staff_email: None,
            public_base_url: String::new(),
            poll_interval_secs: 15,
            lease_secs: 300,
            max_attempts: 8,
            backoff_base_secs: 60,
            backoff_cap_secs: 6 * 3600,
        }
    }
}

/// How long a request's claim on an `Idempotency-Key` holds without renewal, and how often the
/// request renews it while it works. A retry after a crash waits at most one lease.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdempotencySettings {
    /// A claim not renewed for this long may be taken over by a retry (seconds).
    pub lease_secs: u64,
    /// How often a running request renews its claim (seconds); well under `lease_secs`, so a
    /// renewal delayed by a busy database still lands in time.
    pub renew_secs: u64,
}

impl Default for IdempotencySettings {
    fn default() -> Self {
        Self {
            lease_secs: 15,
            renew_secs: 5,
        }
    }
}

impl IdempotencySettings {
    /// The lease (`validate` bounds it to an hour; the bound here keeps unvalidated settings
    /// from overflowing a timestamp).
    pub fn lease(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.lease_secs.min(3600) as i64)
    }
    /// The renewal period (never zero, which would spin).
    pub fn renew_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.renew_secs.max(1))
    }
}

/// Sample sufficiency thresholds per delivery mode (PRODUCT.md, "Samples").
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SufficiencySettings {
    pub machine_driven: ModeThresholds,
    pub human_driven: ModeThresholds,
}

impl Default for SufficiencySettings {
    fn default() -> Self {
        Self {
            machine_driven: ModeThresholds {
                min_photos: 10,
                min_photo_short_side_px: 512,
                min_voice_secs: 180,
                min_video_secs: 30,
            },
            human_driven: ModeThresholds {
                min_photos: 20,
                min_photo_short_side_px: 512,
                min_voice_secs: 0,
                min_video_secs: 60,
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("invalid value for {name}: {reason}")]
    Env { name: &'static str, reason: String },
    #[error("invalid settings from {names}: {reason}")]
    EnvOverlay { names: String, reason: String },
    #[error("invalid setting: {0}")]
    Invalid(String),
}

/// Where settings come from besides the file: one function per source so tests can inject them.
pub trait EnvSource {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Settings {
    /// Where files are written while the server works on them (a deliverable's labeled copy
    /// being made, read back at the delivery gate): on disk beside the data, never in memory.
    pub fn work_dir(&self) -> PathBuf {
        self.data_dir.join("work")
    }

    /// Defaults, overridden by the file (explicit path, or `./keepsake.toml` if present), then env.
    pub fn load(file: Option<&Path>, env: &impl EnvSource) -> Result<Self, ConfigError> {
        let file = match file {
            Some(path) => Some(path),
            None if Path::new("keepsake.toml").exists() => Some(Path::new("keepsake.toml")),
            None => None,
        };
        let overlay = env_overlay::Overlay::from_env(env)?;
        let mut settings = match (file, overlay.is_empty()) {
            (Some(path), true) => Self::from_file(path)?,
            (None, true) => Self::default(),
            (file, false) => {
                let base = match file {
                    Some(path) => Self::file_value(path)?,
                    None => toml::Table::new(),
                };
                overlay.apply(base)?
            }
        };
        settings.apply_env(env)?;
        settings.validate()?;
        Ok(settings)
    }

    /// The file as a table of values, before it is read as settings.
    fn file_value(path: &Path) -> Result<toml::Table, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        text.parse().map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }

    fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }

    fn apply_env(&mut self, env: &impl EnvSource) -> Result<(), ConfigError> {
        if let Some(v) = env.var("KEEPSAKE_LISTEN") {
            self.listen = v.parse().map_err(|e| ConfigError::Env {
                name: "KEEPSAKE_LISTEN",
                reason: format!("{e}"),
            })?;
        }
        if let Some(v) = env.var("KEEPSAKE_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env.var("DATABASE_URL") {
            self.database_url = Some(Secret::new(v));
        }
        let s3 = &mut self.s3;
        if let Some(v) = env.var("S3_ENDPOINT") {
            s3.endpoint = Some(v);
        }
        if let Some(v) = env.var("S3_PUBLIC_ENDPOINT") {
            s3.public_endpoint = Some(v);
        }
        if let Some(v) = env.var("S3_BUCKET") {
            s3.bucket = v;
        }
        if let Some(v) = env.var("S3_REGION") {
            s3.region = v;
        }
        if let Some(v) = env.var("S3_ACCESS_KEY_ID") {
            s3.access_key_id = Some(v);
        }
        if let Some(v) = env.var("S3_SECRET_ACCESS_KEY") {
            s3.secret_access_key = Some(Secret::new(v));
        }
        let smtp = &mut self.smtp;
        if let Some(v) = env.var("SMTP_HOST") {
            smtp.host = Some(v);
        }
        if let Some(v) = env.var("SMTP_PORT") {
            smtp.port = Some(v.parse().map_err(|e| ConfigError::Env {
                name: "SMTP_PORT",
                reason: format!("{e}"),
            })?);
        }
        if let Some(v) = env.var("SMTP_TLS") {
            smtp.tls = SmtpTls::parse(&v).ok_or_else(|| ConfigError::Env {
                name: "SMTP_TLS",
                reason: format!("{v:?} is not none, starttls or tls"),
            })?;
        }
        if let Some(v) = env.var("SMTP_USERNAME") {
            smtp.username = Some(v);
        }
        if let Some(v) = env.var("SMTP_PASSWORD") {
            smtp.password = Some(Secret::new(v));
        }
        if let Some(v) = env.var("SMTP_FROM") {
            smtp.from = Some(v);
        }
        let credentials = &mut self.content_credentials;
        if let Some(v) = env.var("KEEPSAKE_C2PA_CERTIFICATE_CHAIN_FILE") {
            credentials.certificate_chain_file = Some(PathBuf::from(v));
        }
        if let Some(v) = env.var("KEEPSAKE_C2PA_PRIVATE_KEY_FILE") {
            credentials.private_key_file = Some(PathBuf::from(v));
        }
        if let Some(v) = env.var("KEEPSAKE_C2PA_PRIVATE_KEY") {
            credentials.private_key = Some(Secret::new(v));
        }
        if let Some(v) = env.var("KEEPSAKE_C2PA_SIGNING_ALGORITHM") {
            credentials.signing_algorithm = v;
        }
        if let Some(v) = env.var("KEEPSAKE_STAFF_EMAIL") {
            self.notifications.staff_email = Some(v);
        }
        if let Some(v) = env.var("KEEPSAKE_IDEMPOTENCY_LEASE_SECS") {
            self.idempotency.lease_secs = v.parse().map_err(|e| ConfigError::Env {
                name: "KEEPSAKE_IDEMPOTENCY_LEASE_SECS",
                reason: format!("{e}"),
            })?;
        }
        if let Some(v) = env.var("KEEPSAKE_IDEMPOTENCY_RENEW_SECS") {
            self.idempotency.renew_secs = v.parse().map_err(|e| ConfigError::Env {
                name: "KEEPSAKE_IDEMPOTENCY_RENEW_SECS",
                reason: format!("{e}"),
            })?;
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let up = &self.uploads;
        if up.url_ttl_secs == 0 || up.url_ttl_secs > 900 {
            return Err(ConfigError::Invalid(
                "uploads.url_ttl_secs must be 1..=900".into(),
            ));
        }
        if up.min_part_bytes < 5 * MIB {
            return Err(ConfigError::Invalid(
                "uploads.min_part_bytes must be at least 5 MiB".into(),
            ));
        }
        if up.single_put_max_bytes == 0 || up.single_put_max_bytes > 5 * 1024 * MIB {
            return Err(ConfigError::Invalid(
                "uploads.single_put_max_bytes must be 1 byte..5 GiB".into(),
            ));
        }
        if up.abandon_after_secs <= up.url_ttl_secs {
            return Err(ConfigError::Invalid(
                "uploads.abandon_after_secs must be longer than uploads.url_ttl_secs".into(),
            ));
        }
        if self.s3.endpoint.is_none()
            && (self.s3.access_key_id.is_some() || self.s3.secret_access_key.is_some())
        {
            return Err(ConfigError::Invalid(
                "S3 credentials are set but S3_ENDPOINT is not (for AWS, set it to https://s3.<region>.amazonaws.com)".into(),
            ));
        }
        if self.s3.endpoint.is_some()
            && (self.s3.access_key_id.is_none() || self.s3.secret_access_key.is_none())
        {
            return Err(ConfigError::Invalid(
                "S3_ENDPOINT needs S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY".into(),
            ));
        }
        let credentials = &self.content_credentials;
        let has_key = credentials.private_key.is_some() || credentials.private_key_file.is_some();
        if credentials.certificate_chain_file.is_some() != has_key {
            return Err(ConfigError::Invalid(
                "content_credentials: the certificate chain and its private key go together".into(),
            ));
        }
        if credentials.private_key.is_some() && credentials.private_key_file.is_some() {
            return Err(ConfigError::Invalid(
                "content_credentials: give the private key inline or as a file, not both".into(),
            ));
        }
        const ALGORITHMS: [&str; 7] = [
            "es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519",
        ];
        if !ALGORITHMS.contains(&credentials.signing_algorithm.as_str()) {
            return Err(ConfigError::Invalid(
                "content_credentials.signing_algorithm must be es256, es384, es512, ps256, ps384, ps512 or ed25519".into(),
            ));
        }
        if !crate::domain::delivery::is_label_token(&self.delivery.label_provider) {
            return Err(ConfigError::Invalid(
                "delivery.label_provider must be 1-64 ASCII letters, digits, '.', '_' or '-'"
                    .into(),
            ));
        }
        let label_name = |name: &str| {
            let name = name.trim();
            !name.is_empty() && name.chars().count() <= 200 && !name.chars().any(char::is_control)
        };
        if !label_name(&self.delivery.content_producer)
            || !label_name(&self.delivery.content_propagator)
        {
            return Err(ConfigError::Invalid(
                "delivery.content_producer and content_propagator are 1-200 characters, no control characters".into(),
            ));
        }
        if self.delivery.sample_retention_days > 3650
            || !(1..=3650).contains(&self.delivery.inquiry_retention_days)
            || self.delivery.retention_interval_secs == 0
            || self.delivery.retention_interval_secs > 7 * 24 * 3600
        {
            return Err(ConfigError::Invalid(
                "delivery.sample_retention_days is at most 3650, inquiry_retention_days 1 to 3650, and retention_interval_secs 1 second to a week".into(),
            ));
        }
        if self.delivery.ai_label_text.trim().is_empty() {
            return Err(ConfigError::Invalid(
                "delivery.ai_label_text must not be empty".into(),
            ));
        }
        if parse_offset(&self.studio.utc_offset).is_none() {
            return Err(ConfigError::Invalid(
                "studio.utc_offset must look like +08:00".into(),
            ));
        }
        if self.consent.invitation_ttl_hours == 0 {
            return Err(ConfigError::Invalid(
                "consent.invitation_ttl_hours must be at least 1".into(),
            ));
        }
        self.validate_notifications()?;
        if self
            .database_max_connections
            .is_some_and(|n| !(2..=1000).contains(&n))
        {
            return Err(ConfigError::Invalid(
                "database_max_connections must be 2..=1000".into(),
            ));
        }
        if let Some(endpoint) = &self.traces.otlp_endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err(ConfigError::Invalid(
                "traces.otlp_endpoint must be an http:// or https:// URL".into(),
            ));
        }
        if self.metrics.token.as_ref().is_some_and(|t| t.expose().len() < 16) {
            return Err(ConfigError::Invalid(
                "metrics.token must be at least 16 characters".into(),
            ));
        }
        let idem = &self.idempotency;
        if idem.renew_secs == 0 || idem.lease_secs < 2 * idem.renew_secs || idem.lease_secs > 3600 {
            return Err(ConfigError::Invalid(
                "idempotency.renew_secs must be at least 1, and lease_secs at least twice renew_secs and at most 3600".into(),
            ));
        }
        for (mode, sla) in [
            ("machine_driven", self.sla.machine_driven),
            ("human_driven", self.sla.human_driven),
        ] {
            if sla.target_days == 0 || sla.promise_days < sla.target_days {
                return Err(ConfigError::Invalid(format!(
                    "sla.{mode}: target_days must be at least 1 and promise_days at least target_days"
                )));
            }
        }
        Ok(())
    }

    fn validate_notifications(&self) -> Result<(), ConfigError> {
        let (smtp, n) = (&self.smtp, &self.notifications);
        let invalid = |text: &str| Err(ConfigError::Invalid(text.into()));
        if n.poll_interval_secs == 0 || n.lease_secs == 0 || n.max_attempts == 0 {
            return invalid(
                "notifications.poll_interval_secs, lease_secs and max_attempts must be at least 1",
            );
        }
        // Upper bounds keep every time the relay computes from them far inside chrono's range.
        const WEEK: u64 = 7 * 24 * 3600;
        if n.lease_secs > WEEK || n.backoff_cap_secs > 30 * 24 * 3600 || n.poll_interval_secs > WEEK
        {
            return invalid(
                "notifications.lease_secs and poll_interval_secs are at most a week, backoff_cap_secs at most 30 days",
            );
        }
        if n.backoff_base_secs == 0 || n.backoff_cap_secs < n.backoff_base_secs {
            return invalid(
                "notifications.backoff_base_secs must be at least 1 and backoff_cap_secs at least backoff_base_secs",
            );
        }
        if !smtp.configured() {
            return Ok(());
        }
        if smtp.effective_timeout_secs() == 0 || n.lease_secs <= smtp.effective_timeout_secs() {
            return invalid(
                "notifications.lease_secs must be longer than smtp.timeout_secs (at least 1)",
            );
        }
        if smtp.username.is_some() != smtp.password.is_some() {
            return invalid("smtp.username and smtp.password go together");
        }
        if smtp.username.is_some() && smtp.tls == SmtpTls::None {
            return invalid(
                "smtp: a password is never sent without TLS (set tls to starttls or tls)",
            );
        }
        match smtp.from.as_deref() {
            Some(from) if crate::notifications::address::mailbox(from).is_some() => {}
            _ => {
                return invalid(
                    "smtp.from must be a mail address (e.g. Keepsake <noreply@studio.example>)",
                );
            }
        }
        match n.staff_email.as_deref() {
            Some(to) if crate::notifications::address::mailbox(to).is_some() => {}
            _ => {
                return invalid(
                    "notifications.staff_email must be a mail address when smtp.host is set (SLA alerts go there)",
                );
            }
        }
        Ok(())
    }

    /// The size of the database pool.
    pub fn database_pool(&self) -> crate::db::connect::Pool {
        match self.database_max_connections {
            Some(n) => crate::db::connect::Pool::AtMost(n),
            None => crate::db::connect::Pool::Default,
        }
    }

    /// The database to use: the configured URL, or the embedded SQLite file.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("keepsake.db").display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct MapEnv(HashMap<&'static str, &'static str>);
    impl EnvSource for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| v.to_string())
        }
    }

    #[test]
    fn env_overrides_defaults_and_secrets_stay_hidden() {
        let env = MapEnv(HashMap::from([
            ("KEEPSAKE_LISTEN", "0.0.0.0:9000"),
            ("DATABASE_URL", "postgres://u:hunter2@db/keepsake"),
            ("S3_ENDPOINT", "http://minio:9000"),
            ("S3_ACCESS_KEY_ID", "AK"),
            ("S3_SECRET_ACCESS_KEY", "very-secret"),
        ]));
        let s = Settings::load(Some(Path::new("/dev/null")), &env).unwrap();
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(
            s.effective_database_url(),
            "postgres://u:hunter2@db/keepsake"
        );
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("very-secret"), "{shown}");
    }

    #[test]
    fn endpoint_without_credentials_is_refused() {
        let env = MapEnv(HashMap::from([("S3_ENDPOINT", "http://minio:9000")]));
        let err = Settings::load(Some(Path::new("/dev/null")), &env).unwrap_err();
        assert!(err.to_string().contains("S3_ACCESS_KEY_ID"));
    }

    #[test]
    fn the_documented_file_parses_and_validates() {
        let doc = include_str!("../../docs/configuration.md");
        let block = doc
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("docs/configuration.md has a toml example");
        let settings: Settings = toml::from_str(block).expect("the documented file parses");
        settings.validate().expect("and is valid");
        assert_eq!(settings.consent.erasure_after_days, 30);
        assert_eq!(settings.sla.human_driven.promise_days, 7);
    }

    #[test]
    fn smtp_from_the_environment_keeps_its_password_hidden() {
        let env = MapEnv(HashMap::from([
            ("SMTP_HOST", "smtp.studio.example"),
            ("SMTP_USERNAME", "keepsake"),
            ("SMTP_PASSWORD", "mail-hunter2"),
            ("SMTP_FROM", "Keepsake <noreply@studio.example>"),
            ("KEEPSAKE_STAFF_EMAIL", "studio@studio.example"),
        ]));
        let s = Settings::load(Some(Path::new("/dev/null")), &env).unwrap();
        assert!(s.smtp.configured());
        assert_eq!(
            (s.smtp.tls, s.smtp.effective_port()),
            (SmtpTls::Starttls, 587)
        );
        let shown = format!("{s:?}");
        assert!(!shown.contains("mail-hunter2"), "{shown}");
    }

    #[test]
    fn smtp_needs_a_sender_and_a_staff_address_and_tls_for_a_password() {
        let base = [
            ("SMTP_HOST", "smtp.studio.example"),
            ("SMTP_FROM", "Keepsake <noreply@studio.example>"),
            ("KEEPSAKE_STAFF_EMAIL", "studio@studio.example"),
        ];
        let load = |drop: &str, extra: &[(&'static str, &'static str)]| {
            let mut vars: HashMap<&'static str, &'static str> =
                base.iter().copied().filter(|(k, _)| *k != drop).collect();
            vars.extend(extra.iter().copied());
            Settings::load(Some(Path::new("/dev/null")), &MapEnv(vars))
        };
        assert!(load("", &[]).is_ok());
        assert!(
            load("SMTP_FROM", &[])
                .unwrap_err()
                .to_string()
                .contains("smtp.from")
        );
        assert!(
            load("KEEPSAKE_STAFF_EMAIL", &[])
                .unwrap_err()
                .to_string()
                .contains("staff_email")
        );
        let plain = [
            ("SMTP_TLS", "none"),
            ("SMTP_USERNAME", "u"),
            ("SMTP_PASSWORD", "p"),
        ];
        assert!(load("", &plain).unwrap_err().to_string().contains("TLS"));
        assert!(matches!(
            load("", &[("SMTP_TLS", "ssl")]),
            Err(ConfigError::Env {
                name: "SMTP_TLS",
                ..
            })
        ));
        // Without a host nothing else is required: SMTP is simply not configured.
        let none = Settings::load(Some(Path::new("/dev/null")), &MapEnv(HashMap::new())).unwrap();
        assert!(!none.smtp.configured());
    }

    #[test]
    fn metrics_are_configured_by_environment_and_a_short_token_is_refused() {
        let load = |pairs: &[(&'static str, &'static str)]| {
            let env = MapEnv(pairs.iter().copied().collect());
            Settings::load(Some(Path::new("/dev/null")), &env)
        };
        let none = load(&[]).unwrap();
        assert!(none.metrics.listen.is_none() && none.metrics.token.is_none());
        let set = load(&[
            ("KEEPSAKE_METRICS__LISTEN", "0.0.0.0:9090"),
            ("KEEPSAKE_METRICS__TOKEN", "0123456789abcdef"),
        ])
        .unwrap();
        assert_eq!(set.metrics.listen, Some("0.0.0.0:9090".parse().unwrap()));
        assert_eq!(set.metrics.token.as_ref().map(Secret::expose), Some("0123456789abcdef"));
        assert!(!format!("{set:?}").contains("0123456789abcdef"), "never in logs");
        assert!(load(&[("KEEPSAKE_METRICS__TOKEN", "short")]).is_err());
        assert!(load(&[("KEEPSAKE_METRICS__LISTEN", "port nine")]).is_err());
    }

    #[test]
    fn idempotency_leases_come_from_the_environment_and_must_leave_time_to_renew() {
        let load = |lease: &'static str, renew: &'static str| {
            let env = MapEnv(HashMap::from([
                ("KEEPSAKE_IDEMPOTENCY_LEASE_SECS", lease),
                ("KEEPSAKE_IDEMPOTENCY_RENEW_SECS", renew),
            ]));
            Settings::load(Some(Path::new("/dev/null")), &env)
        };
        let s = load("6", "2").unwrap();
        assert_eq!(s.idempotency.lease(), chrono::Duration::seconds(6));
        assert_eq!(
            s.idempotency.renew_interval(),
            std::time::Duration::from_secs(2)
        );
        assert!(
            load("3", "2").is_err(),
            "one late renewal would lose the key"
        );
        assert!(load("6", "0").is_err());
        assert!(matches!(
            load("soon", "1"),
            Err(ConfigError::Env {
                name: "KEEPSAKE_IDEMPOTENCY_LEASE_SECS",
                ..
            })
        ));
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let dir = std::env::temp_dir().join(format!("ks-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keepsake.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\nlisten_typo = 1\n").unwrap();
        assert!(matches!(
            Settings::load(Some(&path), &MapEnv(HashMap::new())),
            Err(ConfigError::Parse { .. })
        ));
    }

    struct OwnedEnv(HashMap<String, String>);
    impl EnvSource for OwnedEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
    }

    #[test]
    fn any_setting_can_come_from_its_keepsake_variable_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keepsake.toml");
        std::fs::write(
            &file,
            "[notifications]\nlease_secs = 90\n[studio]\nname = \"From the file\"\n",
        )
        .unwrap();
        let env = MapEnv(HashMap::from([
            ("KEEPSAKE_NOTIFICATIONS__POLL_INTERVAL_SECS", "7"),
            ("KEEPSAKE_SLA__MACHINE_DRIVEN__TARGET_DAYS", "4"),
            ("KEEPSAKE_STUDIO__NAME", "Lin Studio"),
            ("KEEPSAKE_SMTP__PORT", "2525"),
            ("KEEPSAKE_AUTH__SECURE_COOKIES", "false"),
            ("KEEPSAKE_MAX_JSON_BODY_BYTES", "131072"),
        ]));
        let s = Settings::load(Some(&file), &env).unwrap();
        assert_eq!(s.notifications.poll_interval_secs, 7);
        assert_eq!(s.notifications.lease_secs, 90, "the file's own value stays");
        assert_eq!(s.sla.machine_driven.target_days, 4);
        assert_eq!(
            s.studio.name, "Lin Studio",
            "the variable wins over the file"
        );
        assert_eq!(s.smtp.port, Some(2525));
        assert!(!s.auth.secure_cookies);
        assert_eq!(s.max_json_body_bytes, 131_072);

        // The short names still work, and win.
        let env = MapEnv(HashMap::from([
            ("KEEPSAKE_SMTP__PORT", "2525"),
            ("SMTP_PORT", "587"),
        ]));
        assert_eq!(
            Settings::load(Some(&file), &env).unwrap().smtp.port,
            Some(587)
        );
    }

    #[test]
    fn a_variable_of_the_wrong_type_is_refused_by_name() {
        for (name, value) in [
            ("KEEPSAKE_NOTIFICATIONS__POLL_INTERVAL_SECS", "soon"),
            ("KEEPSAKE_AUTH__SECURE_COOKIES", "maybe"),
            ("KEEPSAKE_SLA__HUMAN_DRIVEN__TARGET_DAYS", "-3"),
        ] {
            let env = MapEnv(HashMap::from([(name, value)]));
            let err = Settings::load(Some(Path::new("/dev/null")), &env).unwrap_err();
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn every_setting_has_a_variable_that_takes_its_own_default() {
        let defaults = serde_json::to_value(Settings::default()).unwrap();
        let mut vars = HashMap::new();
        fn walk(value: &serde_json::Value, path: Vec<String>, vars: &mut HashMap<String, String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, inner) in map {
                        let mut deeper = path.clone();
                        deeper.push(key.clone());
                        walk(inner, deeper, vars);
                    }
                }
                serde_json::Value::Null => {}
                serde_json::Value::String(text) if text == "[redacted]" => {}
                serde_json::Value::String(text) => {
                    vars.insert(env_overlay::variable(&path), text.clone());
                }
                other => {
                    vars.insert(env_overlay::variable(&path), other.to_string());
                }
            }
        }
        walk(&defaults, Vec::new(), &mut vars);
        assert!(vars.len() > 60, "{} settings", vars.len());
        assert!(vars.contains_key("KEEPSAKE_NOTIFICATIONS__LEASE_SECS"));
        let loaded = Settings::load(Some(Path::new("/dev/null")), &OwnedEnv(vars)).unwrap();
        assert_eq!(
            serde_json::to_value(loaded).unwrap(),
            defaults,
            "every default read back from its variable"
        );
    }
}
