//! The retention job: erasures that fell due, objects a late upload left under an erased
//! order, raw samples kept past their time, and the personal words of old landing-page
//! inquiries.
//!
//! Raw samples are purged `delivery.sample_retention_days` after delivery unless the customer
//! chose to keep them for follow-up iterations; with them go the original uploads of the
//! deliverables, whose labeled copies — the files the family has — stay. An order is claimed first (its
//! `samples_purged_at` set with a conditional update, audited in the same transaction); its
//! sample objects are then deleted and each row marked purged. A run that dies half-way leaves
//! rows unmarked under a claimed order, and the next run finishes them, so nothing is left
//! behind and nothing is purged twice.

use crate::db::WriteTransaction;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::erasure;
use crate::audit::{self, Actor, Target};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub erased: usize,
    pub retention_orders: usize,
    pub samples_purged: usize,
    /// Deliverables' original uploads removed (their labeled copies stay).
    pub originals_purged: usize,
    /// Objects that appeared under an erased order's prefix after its erasure (an upload URL
    /// issued before it, used late) and were deleted.
    pub stragglers_deleted: usize,
    /// Landing-page inquiries whose name, contact and words were blanked.
    pub inquiries_forgotten: u64,
    pub failures: usize,
}

const BATCH: u64 = 100;

/// One pass at `now` (injectable, so tests move time instead of waiting).
pub async fn sweep_once(state: &AppState, now: DateTime<Utc>) -> AppResult<Swept> {
    let actor = Actor::system("retention");
    let mut swept = Swept::default();
    for order_id in db::orders::erasure_due(&state.db, now, BATCH).await? {
        match erasure::erase(state, order_id, &actor, None, now).await {
            Ok(erasure::Outcome::Erased { .. }) => swept.erased += 1,
            Ok(erasure::Outcome::AlreadyErased) => {}
            Err(err) => {
                swept.failures += 1;
                tracing::error!(%order_id, error = %err, "erasure failed; will retry");
            }
        }
    }
    swept.stragglers_deleted = sweep_erased_prefixes(state, &actor, now).await?;
    let days = i64::from(state.settings.delivery.sample_retention_days);
    let cutoff = now - chrono::Duration::days(days);
    for order_id in db::retention::due(&state.db, cutoff, BATCH).await? {
        if claim(state, &actor, order_id, now).await? {
            swept.retention_orders += 1;
        }
    }
    for row in db::retention::unpurged_samples(&state.db, BATCH).await? {
        if let Some(upload_id) = &row.multipart_upload_id {
            state
                .store
                .abort_multipart(&row.object_key, upload_id)
                .await?;
        }
        state.store.delete(&row.object_key).await?;
        if db::samples::mark_purged(&state.db, row.id, now).await? {
            swept.samples_purged += 1;
        }
    }
    // Deliverables' unlabeled originals go with the samples; the labeled copies stay.
    for row in db::retention::unpurged_deliverable_originals(&state.db, BATCH).await? {
        state.store.delete(&row.object_key).await?;
        if db::retention::mark_original_purged(&state.db, row.id, now).await? {
            swept.originals_purged += 1;
        }
    }
    let days = i64::from(state.settings.delivery.inquiry_retention_days);
    swept.inquiries_forgotten =
        db::inquiries::forget_before(&state.db, now - chrono::Duration::days(days), now).await?;
    Ok(swept)
}

/// Look again under the prefixes of orders erased within an upload URL's lifetime (plus a
/// margin for clock skew) and delete whatever a late upload put there, audited.
async fn sweep_erased_prefixes(
    state: &AppState,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let window = i64::try_from(state.settings.uploads.url_ttl_secs).unwrap_or(900) + 3600;
    let mut deleted = 0;
    for order_id in
        db::erasure::erased_since(&state.db, now - chrono::Duration::seconds(window)).await?
    {
        let keys = state
            .store
            .list_keys(&crate::domain::sample::order_prefix(order_id))
            .await?;
        if keys.is_empty() {
            continue;
        }
        for key in &keys {
            state.store.delete(key).await?;
        }
        deleted += keys.len();
        let detail = serde_json::json!({ "keys": keys });
        audit::record(
            &state.db,
            actor,
            "order.erasure_straggler_deleted",
            Target::order(order_id),
            None,
            detail,
        )
        .await?;
    }
    Ok(deleted)
}

/// Claim an order's samples for the purge, with its audit event. `false`: another run did, or
/// the customer chose to keep them a moment ago.
async fn claim(
    state: &AppState,
    actor: &Actor,
    order_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let actor = actor.clone();
    let days = state.settings.delivery.sample_retention_days;
    state
        .db
        .write_transaction::<_, bool, AppError>(|txn| {
            Box::pin(async move {
                if !db::retention::claim(txn, order_id, now).await? {
                    return Ok(false);
                }
                let samples = db::retention::samples_of(txn, order_id).await?;
                let originals = db::retention::deliverable_originals_of(txn, order_id).await?;
                let detail = serde_json::json!({
                    "retention_days": days,
                    "samples": samples.len(),
                    "keys": samples.iter().map(|s| s.object_key.clone()).collect::<Vec<_>>(),
                    "deliverable_originals": originals
                        .iter()
                        .map(|s| s.object_key.clone())
                        .collect::<Vec<_>>(),
                });
                audit::record(
                    txn,
                    &actor,
                    "order.samples_purged",
                    Target::order(order_id),
                    None,
                    detail,
                )
                .await?;
                Ok(true)
            })
        })
        .await
}
