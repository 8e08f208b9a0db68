//! `keepsake bench label`: how fast a deliverable's labeled copy is written, next to a plain
//! copy of the same object through the same streamed upload into the same store (the embedded
//! S3 of a `keepsake serve` child), and how far this process's resident memory rises while it
//! labels above what it held before any object was read (peak RSS, reset before each labeling
//! through `/proc/self/clear_refs`, so an earlier upload's peak does not count).
//! Each format is measured in a process of its own (this command runs itself once per format
//! with `--only`), so memory the allocator kept after one format's copies is not counted as
//! the next one's growth.
//! Targets (issue 16): labeling at least half the copy's speed, RSS growth at most 64 MiB.

use std::time::Instant;

use std::sync::Arc;

use crate::labels::credentials::StudioCredentials;
use crate::labels::{AigcLabel, LabeledCopy, Splice};
use crate::media::{MediaType, samples};
use crate::storage::ObjectStore;
use crate::storage::streamed::StreamedObject;
use crate::uploads::StoredObject;

use super::synthetic::SyntheticVideo;
use super::upload::{BenchResult, Server, tempfile_dir};

#[derive(Debug, clap::Args)]
pub struct LabelBench {
    /// Size of the video, in MiB.
    #[arg(long, default_value_t = 256)]
    video_mib: u64,
    /// Size of the photo, in MiB.
    #[arg(long, default_value_t = 20)]
    photo_mib: u64,
    /// Rounds per measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Measure one format in this process (without it, each runs in a child of its own).
    #[arg(long, value_enum)]
    only: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Mp4,
    Jpeg,
}

const MIB: u64 = 1024 * 1024;
const WRITE_CHUNK: u64 = 8 * MIB;

pub async fn run(args: LabelBench) -> BenchResult<()> {
    let Some(format) = args.only else {
        println!(
            "labeled copy vs plain copy, same store, median of {} rounds",
            args.rounds
        );
        for format in ["mp4", "jpeg"] {
            let status = tokio::process::Command::new(std::env::current_exe()?)
                .args(["bench", "label", "--only", format])
                .args(["--video-mib", &args.video_mib.to_string()])
                .args(["--photo-mib", &args.photo_mib.to_string()])
                .args(["--rounds", &args.rounds.to_string()])
                .status()
                .await?;
            if !status.success() {
                return Err(format!("the {format} measurement failed: {status}").into());
            }
        }
        return Ok(());
    };
    let dir = tempfile_dir()?;
    let server = Server::start(&dir).await?;
    let outcome = measure(&server, &args, format, &dir).await;
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

async fn measure(
    server: &Server,
    args: &LabelBench,
    format: Format,
    dir: &std::path::Path,
) -> BenchResult<()> {
    let credentials = Arc::new(StudioCredentials::throwaway_development()?);
    let work_dir = dir.join("work");
    let store = server.store()?;
    let label = AigcLabel::generated("Keepsake Studio", "ks-bench", "Keepsake", "KS-2026-000001");
    let (name, key, media, size) = match format {
        Format::Mp4 => {
            let video = SyntheticVideo::new(args.video_mib * MIB);
            put_video(&store, "bench/video.mp4", &video).await?;
            ("MP4", "bench/video.mp4", MediaType::Mp4, video.len())
        }
        Format::Jpeg => {
            let photo = big_jpeg(args.photo_mib * MIB);
            let photo_len = photo.len() as u64;
            store
                .put_small("bench/photo.jpg", "image/jpeg", photo)
                .await?;
            ("JPEG", "bench/photo.jpg", MediaType::Jpeg, photo_len)
        }
    };
    // Once the input is stored and before any copy: what copying adds is measured from here.
    let start_kib = status_kib("VmRSS:")?;
    {
        let mut plain = Vec::new();
        let mut labeled = Vec::new();
        let (mut plain_peak_kib, mut peak_kib) = (0u64, 0u64);
        for _ in 0..args.rounds {
            reset_peak_rss()?;
            plain.push(timed(copy(&store, key, size, media)).await?);
            plain_peak_kib = plain_peak_kib.max(peak_rss_kib()?);
            reset_peak_rss()?;
            let seconds = timed(async {
                LabeledCopy {
                    store: &store,
                    credentials: &credentials,
                    work_dir: &work_dir,
                    source_key: key,
                    size,
                    media,
                    label: &label,
                    dest_key: "bench/labeled",
                    metadata: &Default::default(),
                }
                .write()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string().into())
            })
            .await?;
            labeled.push(seconds);
            peak_kib = peak_kib.max(peak_rss_kib()?);
        }
        let mb = size as f64 / 1e6;
        let (plain, labeled) = (median(&mut plain), median(&mut labeled));
        println!(
            "{name} {:.0} MiB: plain copy {:.1} MB/s, labeled copy {:.1} MB/s (ratio {:.2}); \
             peak RSS over the {} KiB before any copy: +{} KiB labeling, +{} KiB plain copy",
            size as f64 / MIB as f64,
            mb / plain,
            mb / labeled,
            plain / labeled,
            start_kib,
            peak_kib.saturating_sub(start_kib),
            plain_peak_kib.saturating_sub(start_kib),
        );
    }
    Ok(())
}

/// The same streamed upload as a labeled copy, with nothing inserted.
async fn copy(store: &ObjectStore, key: &str, size: u64, media: MediaType) -> BenchResult<()> {
    let original = StoredObject::new(store, key, size);
    let mut splice = Splice::default();
    splice.copy(0, size);
    let mut out =
        StreamedObject::start(store, "bench/plain", media.mime(), &Default::default()).await?;
    splice.write_to(&original, &mut out).await?;
    out.finish().await?;
    Ok(())
}

async fn put_video(store: &ObjectStore, key: &str, video: &SyntheticVideo) -> BenchResult<()> {
    let mut out = StreamedObject::start(store, key, "video/mp4", &Default::default()).await?;
    let mut at = 0;
    let mut buf = vec![0u8; WRITE_CHUNK as usize];
    while at < video.len() {
        let n = WRITE_CHUNK.min(video.len() - at) as usize;
        video.read_at(at, &mut buf[..n]);
        out.write(&buf[..n]).await?;
        at += n as u64;
    }
    out.finish().await?;
    Ok(())
}

/// A JPEG of about `size` bytes: a small picture whose scan data is padded out.
fn big_jpeg(size: u64) -> Vec<u8> {
    let small = samples::jpeg(1920, 1080);
    let (body, end) = small.split_at(small.len() - 2);
    let mut out = body.to_vec();
    let pad = usize::try_from(size)
        .unwrap_or(0)
        .saturating_sub(small.len());
    out.resize(out.len() + pad, 0x55);
    out.extend_from_slice(end);
    out
}

async fn timed(work: impl Future<Output = BenchResult<()>>) -> BenchResult<f64> {
    let started = Instant::now();
    work.await?;
    Ok(started.elapsed().as_secs_f64())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Reset this process's peak RSS to its current RSS (Linux).
fn reset_peak_rss() -> BenchResult<()> {
    std::fs::write("/proc/self/clear_refs", "5")?;
    Ok(())
}

fn peak_rss_kib() -> BenchResult<u64> {
    status_kib("VmHWM:")
}

fn status_kib(field: &str) -> BenchResult<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/self/status").into())
}
