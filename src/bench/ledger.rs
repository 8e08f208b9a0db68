//! `keepsake bench ledger`: how fast the consent ledger takes appends (each in its own
//! transaction, several writers at once, as requests would) and how fast and in how much memory
//! `ledger verify` walks it. Runs in-process against a fresh SQLite file in a temporary
//! directory, or against `--database-url` (an empty PostgreSQL database you can throw away).

use std::sync::Arc;
use std::time::Instant;

use crate::db::WriteTransaction;
use uuid::Uuid;

use crate::db;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Debug, clap::Args)]
pub struct LedgerBench {
    /// Events to append.
    #[arg(long, default_value_t = 100_000)]
    events: u64,
    /// Orders the events are spread over.
    #[arg(long, default_value_t = 10_000)]
    orders: u64,
    /// Concurrent writers.
    #[arg(long, default_value_t = 4)]
    writers: u64,
    /// A throw-away database to use instead of a temporary SQLite file.
    #[arg(long)]
    database_url: Option<String>,
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

pub async fn run(args: LedgerBench) -> BenchResult<()> {
    let dir = std::env::temp_dir().join(format!("keepsake-ledger-bench-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()));
    let conn = db::connect(&url).await?;
    db::migrate(&conn).await?;
    let orders: Arc<Vec<Uuid>> =
        Arc::new((0..args.orders.max(1)).map(|_| Uuid::now_v7()).collect());
    let content = serde_json::json!({
        "decision": "given", "party": "requester", "grants": { "modalities": ["face", "voice"], "purposes": ["training", "avatar"] },
        "text": { "version": 3, "sha256": "9f2c0e5b7d1a4c3e8b6f0a2d4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e" },
    });
    let personal = serde_json::json!({ "signer_name": "Chen Jun", "ip": "203.0.113.7", "user_agent": "Mozilla/5.0" });

    let started = Instant::now();
    let per_writer = args.events / args.writers.max(1);
    let mut tasks = Vec::new();
    for writer in 0..args.writers.max(1) {
        let (conn, orders, content, personal) = (
            conn.clone(),
            orders.clone(),
            content.clone(),
            personal.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for i in 0..per_writer {
                let order_id = orders[((writer * per_writer + i) % orders.len() as u64) as usize];
                let (content, personal) = (content.clone(), personal.clone());
                conn.write_transaction::<_, (), sea_orm::DbErr>(|txn| {
                    Box::pin(async move {
                        db::ledger::append(
                            txn,
                            db::ledger::NewEvent {
                                order_id,
                                kind: "consent.signed",
                                content: &content,
                                personal: Some(&personal),
                                now: db::now(),
                            },
                        )
                        .await?;
                        Ok(())
                    })
                })
                .await
                .map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let appended = per_writer * args.writers.max(1);
    let append_secs = started.elapsed().as_secs_f64();
    println!(
        "append: {appended} events over {} orders by {} writers in {append_secs:.2} s = {:.0} events/s",
        orders.len(),
        args.writers,
        appended as f64 / append_secs
    );

    let rss_before = rss_kib();
    let started = Instant::now();
    let report = crate::ledger::verify(&conn).await?;
    let verify_secs = started.elapsed().as_secs_f64();
    println!(
        "verify: {} events in {verify_secs:.2} s = {:.0} events/s, ok = {}, RSS {} MiB -> {} MiB",
        report.events_checked,
        report.events_checked as f64 / verify_secs,
        report.ok,
        rss_before / 1024,
        rss_kib() / 1024
    );
    conn.close().await.ok();
    std::fs::remove_dir_all(&dir).ok();
    if report.ok {
        Ok(())
    } else {
        Err("the freshly written ledger did not verify".into())
    }
}
