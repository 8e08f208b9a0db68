//! `keepsake bench board`: the board query's latency as the order history grows, and the SLA
//! sweeper's cost over a large open workload.
//!
//! Seeds a fresh database (a temporary SQLite file, or `--database-url`: an empty database you
//! can throw away) with orders in bulk — a fixed open workload (`--open`, across queued,
//! in production and quality check, some at risk or overdue, ten assignees) plus delivered,
//! closed, cancelled and declined history — up to each size in `--sizes`. At each size it runs
//! the board's queries (a filtered page, the two risk lists and the counts, as one board request
//! does) `--samples` times with varied filters and prints p50/p95, and then what the studio's
//! `/desk` board page reads per request (every column, the staff list) the same way. Then it
//! marks `--due` of
//! `--sweep-open` open orders due for an SLA look and times one sweep.

use std::time::Instant;

use chrono::{Duration, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, Statement};
use uuid::Uuid;

use crate::db::{self, board::BoardFilter, entities::order};
use crate::domain::order::{DeliveryMode, OrderStatus};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Debug, clap::Args)]
pub struct BoardBench {
    /// Total orders at each measuring point, ascending, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [10_000u64, 1_000_000])]
    sizes: Vec<u64>,
    /// Open orders among them (the board's working set).
    #[arg(long, default_value_t = 2_000)]
    open: u64,
    /// Board requests timed at each size.
    #[arg(long, default_value_t = 200)]
    samples: usize,
    /// Open orders for the sweeper measurement (0 to skip it).
    #[arg(long, default_value_t = 0)]
    sweep_open: u64,
    /// Of those, how many are due for a look in the timed sweep.
    #[arg(long, default_value_t = 10_000)]
    due: u64,
    #[arg(long)]
    database_url: Option<String>,
}

const BATCH: usize = 400;
const STAGES: [&str; 4] = ["data_prep", "training", "avatar_build", "qa"];

fn seed_order(i: u64, open: bool, assignees: &[Uuid]) -> order::ActiveModel {
    let now = Utc::now();
    let created = now - Duration::minutes(i64::try_from(i % 500_000).unwrap_or(0));
    let mode = if i.is_multiple_of(3) {
        DeliveryMode::HumanDriven
    } else {
        DeliveryMode::MachineDriven
    };
    let (status, stage) = if open {
        match i % 5 {
            0 => (OrderStatus::Queued, None),
            4 => (OrderStatus::QualityCheck, None),
            n => (
                OrderStatus::InProduction,
                Some(STAGES[usize::try_from(n).unwrap_or(0) % STAGES.len()]),
            ),
        }
    } else {
        match i % 4 {
            0 => (OrderStatus::Closed, None),
            1 => (OrderStatus::Delivered, None),
            2 => (OrderStatus::Cancelled, None),
            _ => (OrderStatus::Declined, None),
        }
    };
    let promised = matches!(status, OrderStatus::Cancelled | OrderStatus::Declined)
        .then_some(None)
        .unwrap_or(Some(
            created + Duration::days(7) + Duration::seconds(i64::try_from(i % 86_400).unwrap_or(0)),
        ));
    order::ActiveModel {
        id: Set(Uuid::now_v7()),
        reference: Set(format!("KS-BENCH-{i:09}")),
        customer_id: Set(None),
        status: Set(status.as_str().to_owned()),
        delivery_mode: Set(mode.as_str().to_owned()),
        jurisdiction: Set("CN".into()),
        subject_name: Set("Bench Subject".into()),
        requester_relationship: Set("child".into()),
        subject_birth_date: Set(None),
        subject_death_date: Set(None),
        subject_living: Set(false),
        living_twin: Set(false),
        public_figure: Set(false),
        intake: Set(serde_json::json!({})),
        version: Set(1),
        created_at: Set(created),
        updated_at: Set(created),
        submitted_at: Set(Some(created)),
        resume_status: Set(None),
        hold_reason: Set(None),
        queued_at: Set(promised.map(|p| p - Duration::days(7))),
        due_at: Set(promised.map(|p| p - Duration::days(2))),
        promised_at: Set(promised),
        withdrawn_at: Set(None),
        erasure_due_at: Set(None),
        template_id: Set(None),
        assignee_id: Set(open.then(|| assignees[usize::try_from(i).unwrap_or(0) % assignees.len()])),
        stage_index: Set(stage.map(|_| 0)),
        at_risk: Set(open && i.is_multiple_of(10)),
        overdue: Set(open && i.is_multiple_of(33)),
        sla_next_check_at: Set(None),
        sla_lease_owner: Set(None),
        sla_lease_until: Set(None),
        held_at: Set(None),
        qc_signed_off_at: Set(None),
        qc_signed_off_by: Set(None),
        current_stage: Set(stage.map(str::to_owned)),
        delivered_at: Set(
            matches!(status, OrderStatus::Delivered | OrderStatus::Closed)
                .then(|| created + Duration::days(6)),
        ),
        keep_samples: Set(false),
        samples_purged_at: Set(None),
        erasure_reason: Set(None),
        erased_at: Set(None),
    }
}

/// Insert orders numbered `from..to`; the first `open_until` of all numbers are open.
async fn seed(
    conn: &impl ConnectionTrait,
    from: u64,
    to: u64,
    open_until: u64,
    assignees: &[Uuid],
) -> BenchResult<()> {
    let mut i = from;
    while i < to {
        let end = (i + BATCH as u64).min(to);
        let rows: Vec<order::ActiveModel> = (i..end)
            .map(|n| seed_order(n, n < open_until, assignees))
            .collect();
        order::Entity::insert_many(rows).exec(conn).await?;
        i = end;
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(rank).copied().unwrap_or(0.0)
}

/// One board request's queries, as `GET /api/v1/board` runs them.
async fn board_request(conn: &impl ConnectionTrait, filter: &BoardFilter) -> BenchResult<()> {
    db::board::page(conn, filter, 51).await?;
    let flagged = |at_risk: Option<bool>, overdue: Option<bool>| BoardFilter {
        at_risk,
        overdue,
        ..BoardFilter::default()
    };
    db::board::page(conn, &flagged(Some(true), None), 20).await?;
    db::board::page(conn, &flagged(None, Some(true)), 20).await?;
    db::board::counts(conn).await?;
    Ok(())
}

fn filters(assignees: &[Uuid]) -> Vec<BoardFilter> {
    vec![
        BoardFilter::default(),
        BoardFilter {
            mode: Some(DeliveryMode::HumanDriven),
            ..BoardFilter::default()
        },
        BoardFilter {
            stage: Some("training".into()),
            ..BoardFilter::default()
        },
        BoardFilter {
            assignee: assignees.first().copied(),
            ..BoardFilter::default()
        },
        BoardFilter {
            at_risk: Some(true),
            ..BoardFilter::default()
        },
        BoardFilter {
            due_before: Some(Utc::now() + Duration::days(3)),
            ..BoardFilter::default()
        },
    ]
}

pub async fn run(args: BoardBench) -> BenchResult<()> {
    let dir = std::env::temp_dir().join(format!("keepsake-board-bench-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()));
    let conn = db::connect(&url).await?;
    db::migrate(&conn).await?;
    let assignees: Vec<Uuid> = (0..10).map(|_| Uuid::now_v7()).collect();
    let filters = filters(&assignees);
    let mut seeded = 0;
    let mut p95s = Vec::new();
    for &size in &args.sizes {
        let started = Instant::now();
        seed(&conn, seeded, size, args.open, &assignees).await?;
        seeded = size;
        if conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            conn.execute_unprepared("ANALYZE orders").await?;
        } else {
            conn.execute_unprepared("ANALYZE").await?;
        }
        let seed_secs = started.elapsed().as_secs_f64();
        for filter in &filters {
            board_request(&conn, filter).await?; // warm the cache
        }
        let mut times = Vec::with_capacity(args.samples);
        for n in 0..args.samples {
            let started = Instant::now();
            board_request(&conn, &filters[n % filters.len()]).await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let (p50, p95) = (percentile(&times, 0.5), percentile(&times, 0.95));
        p95s.push(p95);
        println!(
            "board at {size} orders ({} open): p50 {p50:.2} ms, p95 {p95:.2} ms over {} requests (seeded in {seed_secs:.1} s)",
            args.open.min(size),
            args.samples
        );
        let (p50, p95) = desk_page(&conn, &assignees, args.samples).await?;
        println!(
            "desk page's reads at {size} orders: p50 {p50:.2} ms, p95 {p95:.2} ms over {} pages",
            args.samples
        );
    }
    if let (Some(first), Some(last)) = (p95s.first(), p95s.last()) {
        println!(
            "board p95 ratio largest / smallest: {:.2} (target <= 1.5)",
            last / first
        );
    }
    if args.sweep_open > 0 {
        sweep(&conn, args.sweep_open, args.due, &assignees).await?;
    }
    conn.close().await.ok();
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// What the `/desk` page reads per request (every column's count and first 25 cards, and the
/// staff list), with varied filters: p50 and p95 in milliseconds.
async fn desk_page(
    conn: &sea_orm::DatabaseConnection,
    assignees: &[Uuid],
    samples: usize,
) -> BenchResult<(f64, f64)> {
    use crate::production::desk::{self, ColumnKey, DeskQuery};
    let actor = crate::actor::Actor {
        id: Uuid::now_v7(),
        roles: vec![crate::domain::account::Role::Staff],
        request_id: None,
    };
    let queries = [
        DeskQuery::default(),
        DeskQuery {
            mode: Some(DeliveryMode::HumanDriven),
            ..DeskQuery::default()
        },
        DeskQuery {
            assignee: assignees.first().copied(),
            ..DeskQuery::default()
        },
        DeskQuery {
            at_risk: true,
            ..DeskQuery::default()
        },
        DeskQuery {
            column: Some(ColumnKey::Stage("training".into())),
            ..DeskQuery::default()
        },
    ];
    for query in &queries {
        desk::desk(conn, &actor, query, 25).await?; // warm the cache
    }
    let mut times = Vec::with_capacity(samples);
    for n in 0..samples {
        let started = Instant::now();
        desk::desk(conn, &actor, &queries[n % queries.len()], 25).await?;
        desk::staff(conn, &actor).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok((percentile(&times, 0.5), percentile(&times, 0.95)))
}

/// Time one SLA sweep over `open` open orders of which `due` are due for a look.
async fn sweep(
    conn: &sea_orm::DatabaseConnection,
    open: u64,
    due: u64,
    assignees: &[Uuid],
) -> BenchResult<()> {
    let base = 10_000_000_000;
    let started = Instant::now();
    seed(conn, base, base + open, base + open, assignees).await?;
    let backend = conn.get_database_backend();
    let now = db::now();
    // Mark the first `due` of them (by id) due now; the rest are watched but not yet due.
    let mark = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "UPDATE orders SET sla_next_check_at = CASE WHEN reference < $1 THEN $2 ELSE $3 END WHERE reference >= 'KS-BENCH-010000000000'"
        }
        _ => {
            "UPDATE orders SET sla_next_check_at = CASE WHEN reference < ? THEN ? ELSE ? END WHERE reference >= 'KS-BENCH-010000000000'"
        }
    };
    let cutoff = format!("KS-BENCH-{:09}", base + due);
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        mark,
        [cutoff.into(), now.into(), (now + Duration::days(2)).into()],
    ))
    .await?;
    println!(
        "sweeper: seeded {open} more open orders in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The sweeper never touches the object store; this one points nowhere.
    let store = crate::storage::ObjectStore::new(&crate::storage::StoreConfig {
        endpoint: "http://127.0.0.1:9".into(),
        public_endpoint: None,
        bucket: "unused".into(),
        region: "us-east-1".into(),
        access_key_id: "unused".into(),
        secret_access_key: crate::config::Secret::new("unused"),
        proves_assembled_sha256: false,
    });
    let state = crate::state::AppState {
        db: conn.clone(),
        store,
        settings: std::sync::Arc::new(crate::config::Settings::default()),
        credentials: std::sync::Arc::new(
            crate::labels::credentials::StudioCredentials::throwaway_development()?,
        ),
    };
    let started = Instant::now();
    let swept = crate::jobs::sla_sweeper::sweep_once(&state, "bench", now).await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "sweeper: one sweep over {open} open orders with {due} due looked at {} in {secs:.2} s ({:.0} orders/s); {} turned at risk, {} overdue",
        swept.looked_at,
        swept.looked_at as f64 / secs,
        swept.turned_at_risk,
        swept.turned_overdue
    );
    let started = Instant::now();
    let idle = crate::jobs::sla_sweeper::sweep_once(&state, "bench", now).await?;
    println!(
        "sweeper: the next sweep (nothing due) took {:.1} ms, looked at {}",
        started.elapsed().as_secs_f64() * 1000.0,
        idle.looked_at
    );
    Ok(())
}
