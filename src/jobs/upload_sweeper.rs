//! Aborts uploads that were started and never completed (or whose verification died with its
//! process): the sample becomes `aborted` and its parts and object are removed from the store,
//! so abandoned bytes of someone's photos or voice do not linger.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use tokio::sync::watch;

use crate::app::AppState;
use crate::audit::{self, Actor, Target};
use crate::db;
use crate::error::{AppError, AppResult};

const BATCH: u64 = 100;

/// Abort every upload untouched for longer than the configured time. Returns how many this
/// call aborted (another replica may take some of them first).
pub async fn sweep_once(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let age = chrono::Duration::seconds(
        i64::try_from(state.settings.uploads.abandon_after_secs).unwrap_or(i64::MAX / 2),
    );
    let cutoff = now - age;
    let actor = Actor::system("upload-sweeper");
    let mut aborted = 0;
    loop {
        let rows = db::samples::abandoned(&state.db, cutoff, BATCH).await?;
        if rows.is_empty() {
            break;
        }
        let mut progressed = false;
        for row in rows {
            let from = row.status()?;
            let (id, order_id) = (row.id, row.order_id);
            let actor = actor.clone();
            let won = state
                .db
                .transaction::<_, bool, AppError>(|txn| {
                    Box::pin(async move {
                        let moved = db::samples::transition(
                            txn,
                            id,
                            from,
                            crate::domain::sample::SampleStatus::Aborted,
                            now,
                        )
                        .await?;
                        if moved {
                            let detail = serde_json::json!({ "order_id": order_id, "was": from });
                            audit::record(
                                txn,
                                &actor,
                                "sample.upload_abandoned",
                                Target::sample(id),
                                None,
                                detail,
                            )
                            .await?;
                        }
                        Ok(moved)
                    })
                })
                .await?;
            if won {
                progressed = true;
                aborted += 1;
                if let Err(err) = crate::uploads::discard(state, &row).await {
                    tracing::error!(sample_id = %id, error = %err, "could not remove an abandoned upload from the store");
                }
            }
        }
        if !progressed {
            break;
        }
    }
    Ok(aborted)
}

/// Run [`sweep_once`] every `sweep_interval_secs` until `stop` turns true.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let every = Duration::from_secs(state.settings.uploads.sweep_interval_secs.max(1));
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => return,
        }
        match sweep_once(&state, db::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(aborted = n, "abandoned uploads aborted"),
            Err(err) => tracing::error!(error = %err, "upload sweep failed"),
        }
    }
}
