//! Cleans up after uploads that will never finish, so no byte of someone's photos or voice
//! lingers without a sample that owns it:
//!
//! - **abandoned**: an upload untouched (not started, resumed or released) for longer than
//!   `abandon_after_secs`, or a verification whose process died, becomes `aborted` and its
//!   parts and object are removed;
//! - **purge**: a `rejected` or `aborted` sample's key is emptied once more after every
//!   presigned URL that could have put bytes back has expired, and the purge is recorded
//!   (`purged_at`); a delete that failed earlier is retried here too.
//!
//! Both passes claim rows with conditional updates, so sweepers on several replicas never
//! abort or purge the same sample twice.

use std::time::Duration;

use crate::db::WriteTransaction;
use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::every::{Pass, run_every};
use crate::audit::{self, Actor, Target};
use crate::db::{self, samples::SampleRow};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

const BATCH: u64 = 100;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub aborted: usize,
    pub purged: usize,
}

impl Pass for Swept {
    fn report(&self) {
        if *self != Self::default() {
            tracing::info!(aborted = self.aborted, purged = self.purged, "upload sweep");
        }
    }
}

pub async fn sweep_once(state: &AppState, now: DateTime<Utc>) -> AppResult<Swept> {
    Ok(Swept {
        aborted: abort_abandoned(state, now).await?,
        purged: purge_finished(state, now).await?,
    })
}

fn seconds(n: u64) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(n).unwrap_or(i64::MAX / 1000))
}

async fn abort_abandoned(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let cutoff = now - seconds(state.settings.uploads.abandon_after_secs);
    let mut aborted = 0;
    loop {
        let rows = db::samples::abandoned(&state.db, cutoff, BATCH).await?;
        let mut progressed = false;
        for row in &rows {
            if abort_one(state, row, cutoff, now).await? {
                progressed = true;
                aborted += 1;
                if let Err(err) = crate::uploads::discard(state, row).await {
                    tracing::error!(sample_id = %row.id, error = %err, "could not remove an abandoned upload; the purge pass will retry");
                }
            }
        }
        if !progressed {
            return Ok(aborted);
        }
    }
}

async fn abort_one(
    state: &AppState,
    row: &SampleRow,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let from = row.status;
    let (id, order_id) = (row.id, row.order_id);
    state
        .db
        .write_transaction::<_, bool, AppError>(|txn| {
            Box::pin(async move {
                let moved = db::samples::abandon(txn, id, from, cutoff, now).await?;
                if moved {
                    let detail = serde_json::json!({ "order_id": order_id, "was": from });
                    audit::record(
                        txn,
                        &Actor::system("upload-sweeper"),
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
        .await
}

async fn purge_finished(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let urls_dead_before =
        now - seconds(state.settings.uploads.url_ttl_secs) - chrono::Duration::seconds(60);
    let mut purged = 0;
    loop {
        let rows = db::samples::awaiting_purge(&state.db, urls_dead_before, BATCH).await?;
        let mut progressed = false;
        for row in &rows {
            if let Err(err) = crate::uploads::discard(state, row).await {
                tracing::error!(sample_id = %row.id, error = %err, "could not purge a finished upload; will retry");
                continue;
            }
            if purge_one(state, row, now).await? {
                progressed = true;
                purged += 1;
            }
        }
        if !progressed {
            return Ok(purged);
        }
    }
}

async fn purge_one(state: &AppState, row: &SampleRow, now: DateTime<Utc>) -> AppResult<bool> {
    let (id, order_id, status) = (row.id, row.order_id, row.status);
    state
        .db
        .write_transaction::<_, bool, AppError>(|txn| {
            Box::pin(async move {
                let marked = db::samples::mark_purged(txn, id, now).await?;
                if marked {
                    let detail = serde_json::json!({ "order_id": order_id, "status": status });
                    audit::record(
                        txn,
                        &Actor::system("upload-sweeper"),
                        "sample.bytes_purged",
                        Target::sample(id),
                        None,
                        detail,
                    )
                    .await?;
                }
                Ok(marked)
            })
        })
        .await
}

/// Run [`sweep_once`] every `sweep_interval_secs` until `stop` turns true.
pub async fn run(state: AppState, stop: watch::Receiver<bool>) {
    let every = Duration::from_secs(state.settings.uploads.sweep_interval_secs.max(1));
    run_every("upload_sweeper", every, stop, || {
        sweep_once(&state, db::now())
    })
    .await;
}
