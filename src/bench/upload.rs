//! `keepsake bench upload`: runs `keepsake serve` as a child process on the embedded default
//! (SQLite + embedded S3 in a temporary data directory) and measures, from outside it:
//!
//! 1. one large upload through the whole flow (start → signed parts → complete/verify) against
//!    a raw presigned PUT of the same bytes to the same store, in MB/s and their ratio (median
//!    of a few rounds, each step after `sync`);
//! 2. the server's peak RSS above idle while several such uploads run at once;
//! 3. the bytes read from the store to sniff and probe a large moov-at-end video.
//!
//! The server is a separate process so the client's buffers never count in its memory.
//! `KEEPSAKE_BENCH_SERVER_LOG=<filter>` shows the server's log (e.g. `keepsake=debug`).

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

use super::synthetic::SyntheticVideo;
use crate::config::Secret;
use crate::media::{self, BlockReader, MediaType};
use crate::storage::{ObjectStore, StoreConfig, UploadedPart};
use crate::uploads::StoredObject;

pub(super) type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// What a client computes before it uploads (one pass over its file): the whole file's
/// SHA-256 it declares, and each part's, which it sends when signing the parts. The part size
/// is the server's (the same rule, same default settings); a mismatch is reported, not
/// silently measured.
struct Digests {
    whole: [u8; 32],
    part_size: u64,
    parts: Vec<[u8; 32]>,
}

impl Digests {
    fn of(video: &SyntheticVideo) -> Self {
        let plan = crate::domain::sample::plan_upload(
            video.len(),
            crate::config::UploadSettings::default().part_limits(),
        );
        let parts = if plan.mode == crate::domain::sample::UploadMode::Multipart {
            (0..u64::from(plan.part_count))
                .map(|i| {
                    let start = i * plan.part_size;
                    video.sha256_of(start, (start + plan.part_size).min(video.len()))
                })
                .collect()
        } else {
            Vec::new()
        };
        Self {
            whole: video.sha256(),
            part_size: plan.part_size,
            parts,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct UploadBench {
    /// Size of each uploaded file, in MiB.
    #[arg(long, default_value_t = 256)]
    size_mib: u64,
    /// How many uploads run at once for the memory measurement.
    #[arg(long, default_value_t = 4)]
    concurrent: usize,
    /// Size of the video probed for the bytes-read measurement, in MiB.
    #[arg(long, default_value_t = 1024)]
    probe_mib: u64,
    /// Parts each upload sends at once.
    #[arg(long, default_value_t = 4)]
    parallel_parts: usize,
    /// Rounds of the throughput measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
}

const MIB: u64 = 1024 * 1024;

pub async fn run(args: UploadBench) -> BenchResult<()> {
    let dir = tempfile_dir()?;
    let server = Server::start(&dir).await?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3600))
        .build()?;
    let store = server.store()?;
    let token = bench_customer(&client, &server.base).await?;

    // Warm up (connections, migrations, first allocations), then read the idle RSS.
    let video = SyntheticVideo::new(args.size_mib * MIB);
    let sha = Digests::of(&video);
    let warm = SyntheticVideo::new(40 * MIB);
    flow_upload(
        &client,
        &server.base,
        &token,
        &warm,
        &Digests::of(&warm),
        args.parallel_parts,
    )
    .await?;

    let idle_kib = server.rss_kib()?;

    let times = measure_rounds(&client, &server, &store, &token, &video, &sha, &args).await?;
    let mb = video.len() as f64 / 1e6;
    let rate = |secs: f64| mb / secs;
    println!(
        "throughput, median of {} rounds (each step after `sync`, the order rotating):",
        args.rounds
    );
    println!(
        "upload of {} MiB through the whole flow: {:.1} MB/s ({:.2} s; rounds {})",
        args.size_mib,
        rate(times.flow.median()),
        times.flow.median(),
        times.flow.list()
    );
    println!(
        "raw presigned PUT of the same bytes:     {:.1} MB/s ({:.2} s; rounds {})",
        rate(times.raw_put.median()),
        times.raw_put.median(),
        times.raw_put.list()
    );
    println!(
        "raw multipart upload to the same store:  {:.1} MB/s ({:.2} s; rounds {}; flow / raw multipart {:.2})",
        rate(times.raw_multipart.median()),
        times.raw_multipart.median(),
        times.raw_multipart.list(),
        times.raw_multipart.median() / times.flow.median()
    );
    println!(
        "ratio flow / raw: {:.2} (target >= 0.9)",
        times.raw_put.median() / times.flow.median()
    );
    let phases = &times.flow_phases;
    println!(
        "  flow phases (last round): start {:.2} s, sign parts {:.2} s, parts PUT {:.2} s, complete (SHA-256 + rename + probe) {:.2} s",
        phases.start, phases.sign, phases.parts, phases.complete
    );

    let started = Instant::now();
    store.sha256("bench/raw-put").await?;
    let hash_secs = started.elapsed().as_secs_f64();
    println!(
        "  SHA-256 of the stored {} MiB streamed from the store: {:.1} MB/s",
        args.size_mib,
        mb / hash_secs
    );

    let peak_kib = concurrent_peak(
        &client,
        &server,
        &token,
        &video,
        &sha,
        args.concurrent,
        args.parallel_parts,
    )
    .await?;
    println!(
        "server RSS: idle {:.1} MiB, peak during {} concurrent uploads {:.1} MiB, above idle {:.1} MiB (target <= 32)",
        idle_kib as f64 / 1024.0,
        args.concurrent,
        peak_kib as f64 / 1024.0,
        (peak_kib.saturating_sub(idle_kib)) as f64 / 1024.0
    );

    let probe_video = SyntheticVideo::new(args.probe_mib * MIB);
    raw_put(&client, &store, "bench/probe.mp4", &probe_video).await?;
    let object = StoredObject::new(&store, "bench/probe.mp4", probe_video.len());
    let prefix = store
        .read_range("bench/probe.mp4", 0, media::SNIFF_LEN as u64)
        .await?;
    let kind = media::sniff(&prefix).ok_or("the synthetic video was not recognised")?;
    let reader = BlockReader::new(&object);
    let metadata = media::probe_cached(&reader, kind).await?;
    println!(
        "probe of a {} MiB moov-at-end {}: {} bytes read from the store ({} sniff + {} probe in {} requests; target <= 2 MiB) -> {:?}",
        args.probe_mib,
        MediaType::mime(kind),
        prefix.len() as u64 + reader.bytes_fetched(),
        prefix.len(),
        reader.bytes_fetched(),
        reader.requests(),
        metadata
    );
    server.stop().await;
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// Seconds of one measured step, one per round.
#[derive(Default)]
struct Samples(Vec<f64>);

impl Samples {
    fn median(&self) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
    }

    fn list(&self) -> String {
        self.0
            .iter()
            .map(|s| format!("{s:.2}"))
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[derive(Default)]
struct RoundTimes {
    flow: Samples,
    raw_put: Samples,
    raw_multipart: Samples,
    flow_phases: Phases,
}

/// The flow, a raw PUT and a raw multipart upload of the same bytes, `rounds` times. Each
/// step starts after `sync` (so none pays for the previous one's dirty pages: writes to the
/// page cache are throttled here once enough are pending), and the order rotates each round.
async fn measure_rounds(
    client: &reqwest::Client,
    server: &Server,
    store: &ObjectStore,
    token: &str,
    video: &SyntheticVideo,
    digests: &Digests,
    args: &UploadBench,
) -> BenchResult<RoundTimes> {
    let mut times = RoundTimes::default();
    for round in 0..args.rounds.max(1) {
        for step in 0..3 {
            settle().await;
            let started = Instant::now();
            match (round + step) % 3 {
                0 => {
                    times.flow_phases = flow_upload(
                        client,
                        &server.base,
                        token,
                        video,
                        digests,
                        args.parallel_parts,
                    )
                    .await?;
                    times.flow.0.push(started.elapsed().as_secs_f64());
                }
                1 => {
                    raw_put(client, store, "bench/raw-put", video).await?;
                    times.raw_put.0.push(started.elapsed().as_secs_f64());
                }
                _ => {
                    raw_multipart(
                        client,
                        store,
                        "bench/raw-multipart",
                        video,
                        args.parallel_parts,
                    )
                    .await?;
                    times.raw_multipart.0.push(started.elapsed().as_secs_f64());
                }
            }
        }
    }
    Ok(times)
}

/// Flush dirty pages to disk (`sync`), so the next step starts from the same state. A machine
/// without the command just measures without it.
async fn settle() {
    let _ = tokio::process::Command::new("sync").status().await;
}

pub(super) fn tempfile_dir() -> BenchResult<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("keepsake-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A `keepsake serve` child process on free loopback ports.
pub(super) struct Server {
    child: tokio::process::Child,
    pub(super) base: String,
    /// The database it runs on when not its embedded SQLite.
    pub(super) database_url: Option<String>,
    data_dir: std::path::PathBuf,
    s3_endpoint: String,
}

fn free_port() -> BenchResult<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Server {
    pub(super) async fn start(dir: &Path) -> BenchResult<Self> {
        Self::start_with(dir, None).await
    }

    /// [`Self::start`] on the database `database_url` names (its embedded SQLite without).
    pub(super) async fn start_with(dir: &Path, database_url: Option<&str>) -> BenchResult<Self> {
        let (api, s3) = (free_port()?, free_port()?);
        let config = dir.join("keepsake.toml");
        std::fs::write(
            &config,
            format!("[s3]\nembedded_listen = \"127.0.0.1:{s3}\"\n"),
        )?;
        let mut command = tokio::process::Command::new(std::env::current_exe()?);
        if let Some(url) = database_url {
            command.env("DATABASE_URL", url);
        }
        let child = command
            .args([
                "--config",
                &config.display().to_string(),
                "serve",
                "--listen",
                &format!("127.0.0.1:{api}"),
            ])
            .arg("--data-dir")
            .arg(dir)
            .env(
                "RUST_LOG",
                std::env::var("KEEPSAKE_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stderr(if std::env::var_os("KEEPSAKE_BENCH_SERVER_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .kill_on_drop(true)
            .spawn()?;
        let base = format!("http://127.0.0.1:{api}");
        let probe = reqwest::Client::new();
        for _ in 0..600 {
            if probe
                .get(format!("{base}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(Self {
                    child,
                    base,
                    database_url: database_url.map(str::to_owned),
                    data_dir: dir.to_path_buf(),
                    s3_endpoint: format!("http://127.0.0.1:{s3}"),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("the server did not become ready within 60 s".into())
    }

    /// A client of the server's embedded store, with the credentials it generated.
    pub(super) fn store(&self) -> BenchResult<ObjectStore> {
        let creds: Value =
            serde_json::from_slice(&std::fs::read(self.data_dir.join("s3-credentials.json"))?)?;
        Ok(ObjectStore::new(&StoreConfig {
            endpoint: self.s3_endpoint.clone(),
            public_endpoint: None,
            bucket: "keepsake".into(),
            region: "us-east-1".into(),
            access_key_id: creds["access_key_id"]
                .as_str()
                .ok_or("no access key")?
                .to_owned(),
            secret_access_key: Secret::new(creds["secret_access_key"].as_str().ok_or("no secret")?),
            proves_assembled_sha256: true,
        }))
    }

    /// The server process's id.
    pub(super) fn pid(&self) -> BenchResult<u32> {
        Ok(self.child.id().ok_or("the server exited")?)
    }

    /// Current resident set of the server process, in KiB (Linux /proc).
    pub(super) fn rss_kib(&self) -> BenchResult<u64> {
        rss_kib_of(self.pid()?).ok_or_else(|| "no VmRSS in /proc status".into())
    }

    pub(super) async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The resident set of process `pid`, in KiB (Linux /proc); `None` once it is gone.
pub(super) fn rss_kib_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Register a customer for the benchmark and log in; returns the session token.
pub(super) async fn bench_customer(client: &reqwest::Client, base: &str) -> BenchResult<String> {
    let credentials =
        json!({ "email": "bench@keepsake.invalid", "password": "benchmark passphrase 2026" });
    json_ok(
        client
            .post(format!("{base}/api/v1/auth/register"))
            .json(&credentials)
            .send()
            .await?,
    )
    .await?;
    let session = json_ok(
        client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&credentials)
            .send()
            .await?,
    )
    .await?;
    Ok(session["token"]
        .as_str()
        .ok_or("no session token")?
        .to_owned())
}

async fn json_ok(resp: reqwest::Response) -> BenchResult<Value> {
    let status = resp.status();
    let body: Value = resp.json().await?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("{status}: {body}").into())
    }
}

/// Seconds spent in each step of one upload.
#[derive(Default)]
struct Phases {
    start: f64,
    sign: f64,
    parts: f64,
    complete: f64,
}

/// Create an order, start the upload, PUT every part, complete it.
async fn flow_upload(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    video: &SyntheticVideo,
    digests: &Digests,
    parallel: usize,
) -> BenchResult<Phases> {
    let t0 = Instant::now();
    let order = json_ok(
        client
            .post(format!("{base}/api/v1/orders"))
            .bearer_auth(token)
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .json(&json!({
                "subject": { "name": "Bench", "requester_relationship": "child", "living": false, "death_date": "2026-01-01" },
                "delivery_mode": "machine_driven"
            }))
            .send()
            .await?,
    )
    .await?;
    let order_id = order["id"].as_str().ok_or("no order id")?;
    let started = json_ok(
        client
            .post(format!("{base}/api/v1/orders/{order_id}/samples"))
            .bearer_auth(token)
            .json(&json!({ "kind": "video", "file_name": "bench.mp4", "size": video.len(), "sha256": hex::encode(digests.whole), "content_type": "video/mp4" }))
            .send()
            .await?,
    )
    .await?;
    let upload = &started["upload"];
    let t1 = Instant::now();
    let signed = sign_parts(client, base, token, upload, digests).await?;
    let t_signed = Instant::now();
    let requests: Vec<(u64, u64, &Value)> = match upload.get("put") {
        Some(put) => vec![(0, video.len(), put)],
        None => signed["parts"]
            .as_array()
            .ok_or("no parts")?
            .iter()
            .map(|p| {
                let start = (p["part_number"].as_u64().unwrap_or(1) - 1) * digests.part_size;
                (
                    start,
                    (start + digests.part_size).min(video.len()),
                    &p["request"],
                )
            })
            .collect(),
    };
    // Parts go up several at a time, as browser and CLI uploaders do.
    let puts = requests
        .into_iter()
        .map(|(start, end, request)| put_stream(client, request, video, start, end));
    let results: Vec<BenchResult<String>> = futures::stream::iter(puts)
        .buffer_unordered(parallel)
        .collect()
        .await;
    for result in results {
        result?;
    }
    let t2 = Instant::now();
    let sample_id = started["sample"]["id"].as_str().ok_or("no sample id")?;
    json_ok(
        client
            .post(format!(
                "{base}/api/v1/orders/{order_id}/samples/{sample_id}/complete"
            ))
            .bearer_auth(token)
            .send()
            .await?,
    )
    .await?;
    Ok(Phases {
        start: t1.duration_since(t0).as_secs_f64(),
        sign: t_signed.duration_since(t1).as_secs_f64(),
        parts: t2.duration_since(t_signed).as_secs_f64(),
        complete: t2.elapsed().as_secs_f64(),
    })
}

/// For a multipart upload, presigned URLs for every part with its SHA-256 signed in
/// (`Value::Null` for a single PUT).
async fn sign_parts(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    upload: &Value,
    digests: &Digests,
) -> BenchResult<Value> {
    let Some(url) = upload["sign_parts_url"].as_str() else {
        return Ok(Value::Null);
    };
    if upload["part_size"].as_u64() != Some(digests.part_size) {
        return Err(format!(
            "the server chose parts of {} bytes, the benchmark hashed {}",
            upload["part_size"], digests.part_size
        )
        .into());
    }
    let parts: Vec<Value> = digests
        .parts
        .iter()
        .enumerate()
        .map(|(i, sha)| json!({ "part_number": i + 1, "sha256": hex::encode(sha) }))
        .collect();
    json_ok(
        client
            .post(format!("{base}{url}"))
            .bearer_auth(token)
            .json(&json!({ "parts": parts }))
            .send()
            .await?,
    )
    .await
}

async fn put_stream(
    client: &reqwest::Client,
    request: &Value,
    video: &SyntheticVideo,
    start: u64,
    end: u64,
) -> BenchResult<String> {
    let mut req = client.put(request["url"].as_str().ok_or("no url")?);
    if let Some(headers) = request["headers"].as_object() {
        for (k, v) in headers {
            req = req.header(k.as_str(), v.as_str().unwrap_or(""));
        }
    }
    let resp = req
        .header("content-length", end - start)
        .body(reqwest::Body::wrap_stream(video.stream(start, end)))
        .send()
        .await?;
    if !resp.status().is_success() {
        return Err(format!(
            "PUT failed: {} {}",
            resp.status(),
            resp.text().await.unwrap_or_default()
        )
        .into());
    }
    let etag = resp
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    Ok(etag.to_owned())
}

/// The store's own multipart path with no Keepsake in between: the same parts, 4 at a time,
/// then the store assembles them.
async fn raw_multipart(
    client: &reqwest::Client,
    store: &ObjectStore,
    key: &str,
    video: &SyntheticVideo,
    parallel: usize,
) -> BenchResult<()> {
    const PART: u64 = 16 * MIB;
    let upload_id = store
        .create_multipart(key, "application/octet-stream", &Default::default(), None)
        .await?;
    let count = u32::try_from(video.len().div_ceil(PART))?;
    let puts = (1..=count).map(|number| {
        let upload_id = upload_id.clone();
        async move {
            let start = u64::from(number - 1) * PART;
            let end = (start + PART).min(video.len());
            let request = store
                .presign_part(key, &upload_id, number, None, Duration::from_secs(900))
                .await?;
            let etag =
                put_stream(client, &serde_json::to_value(&request)?, video, start, end).await?;
            BenchResult::Ok(UploadedPart {
                part_number: number,
                size: end - start,
                etag,
                sha256: None,
            })
        }
    });
    let mut parts = futures::stream::iter(puts)
        .buffer_unordered(parallel)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<BenchResult<Vec<_>>>()?;
    parts.sort_by_key(|p| p.part_number);
    store.complete_multipart(key, &upload_id, &parts).await?;
    Ok(())
}

/// One presigned PUT with no checksum: the store's own write speed, the baseline.
async fn raw_put(
    client: &reqwest::Client,
    store: &ObjectStore,
    key: &str,
    video: &SyntheticVideo,
) -> BenchResult<()> {
    let request = store
        .presign_put(
            key,
            None,
            None,
            false,
            &Default::default(),
            Duration::from_secs(900),
        )
        .await?;
    put_stream(
        client,
        &serde_json::to_value(&request)?,
        video,
        0,
        video.len(),
    )
    .await
    .map(|_| ())
}

/// Peak server RSS (KiB) while `n` uploads run at once, sampled every 10 ms.
async fn concurrent_peak(
    client: &reqwest::Client,
    server: &Server,
    token: &str,
    video: &SyntheticVideo,
    digests: &Digests,
    n: usize,
    parallel: usize,
) -> BenchResult<u64> {
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let pid = server.child.id().ok_or("the server exited")?;
    let sampler = {
        let (done, peak) = (done.clone(), peak.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
                    && let Some(kib) = status
                        .lines()
                        .find_map(|l| l.strip_prefix("VmRSS:"))
                        .and_then(|v| v.split_whitespace().next())
                        .and_then(|v| v.parse::<u64>().ok())
                {
                    peak.fetch_max(kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let uploads = (0..n).map(|_| async {
        flow_upload(client, &server.base, token, video, digests, parallel)
            .await
            .map(|_| ())
    });
    let results = futures::future::join_all(uploads).await;
    done.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    for result in results {
        result?;
    }
    Ok(peak.load(Ordering::Relaxed))
}
