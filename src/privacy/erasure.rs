//! Erasure of one order: every object under its prefix deleted (and the prefix listed again to
//! prove it empty), every personal field scrubbed, the order left as a tombstone, and the
//! record of what was destroyed kept for the certificate of destruction.
//!
//! The order of steps makes a crash harmless: objects go first (repeatable), then one
//! transaction claims the order (`erased_at IS NULL`), scrubs, appends the ledger event, writes
//! the erasure record, its audit event and the customer's notification. A run that dies
//! between the two leaves `erasure_due_at` in place, so the retention job finishes it.

use std::collections::BTreeSet;

use crate::db::WriteTransaction;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit::{self, Actor, Target};
use crate::db::{self, erasure::DeletedObject, samples::SampleRow};
use crate::domain::order::OrderStatus;
use crate::domain::sample::{SampleStatus, order_prefix};
use crate::error::{AppError, AppResult, Code};
use crate::outbox::{self, Audience};
use crate::state::AppState;

/// What an erasure run found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Erased {
        objects: usize,
    },
    /// Someone erased it first (or earlier).
    AlreadyErased,
}

/// Erase `order_id` now (its `erasure_reason` says why; a withdrawal when none was recorded).
pub async fn erase(
    state: &AppState,
    order_id: Uuid,
    actor: &Actor,
    request_id: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Outcome> {
    let order = db::orders::find(&state.db, order_id)
        .await?
        .ok_or_else(|| AppError::not_found(Code::OrderNotFound, "no such order"))?;
    if order.erased_at.is_some() {
        return Ok(Outcome::AlreadyErased);
    }
    let rows = db::samples::all_of_order(&state.db, order_id).await?;
    let objects = delete_objects(state, order_id, &rows, now).await?;
    let prefix_empty_at = db::now();

    let reason = order
        .erasure_reason
        .clone()
        .unwrap_or_else(|| "withdrawal".to_owned());
    let requested_at = order.erasure_due_at.unwrap_or(now);
    let (actor, request_id) = (actor.clone(), request_id.map(str::to_owned));
    let count = objects.iter().filter(|o| o.deleted_at >= now).count();
    let erased = state
        .db
        .write_transaction::<_, bool, AppError>(|txn| {
            Box::pin(async move {
                if order.status.stops_on_erasure() {
                    db::orders::withdraw(
                        txn,
                        order_id,
                        &OrderStatus::stopped_by_erasure(),
                        now,
                        &reason,
                        now,
                    )
                    .await?;
                }
                if !db::erasure::claim(txn, order_id, now).await? {
                    return Ok(false);
                }
                let scrubbed = db::erasure::scrub(txn, order_id, &order.reference, now).await?;
                let content = serde_json::json!({
                    "reason": reason,
                    "objects_deleted": objects.len(),
                    "records_scrubbed": scrubbed,
                });
                let event = db::ledger::append(
                    txn,
                    db::ledger::NewEvent::<_, ()> {
                        order_id,
                        kind: "order.erased",
                        content: &content,
                        personal: None,
                        now,
                    },
                )
                .await?;
                db::erasure::insert(
                    txn,
                    db::erasure::NewErasure {
                        order_id,
                        reason: &reason,
                        requested_at,
                        objects: &objects,
                        scrubbed: &scrubbed,
                        prefix_empty_at,
                        now,
                    },
                )
                .await?;
                let detail = serde_json::json!({
                    "reason": reason,
                    "objects_deleted": objects.len(),
                    "records_scrubbed": scrubbed,
                    "ledger_event_id": event.id,
                });
                audit::record(
                    txn,
                    &actor,
                    "order.erased",
                    Target::order(order_id),
                    request_id.as_deref(),
                    detail,
                )
                .await?;
                let certificate = format!("/api/v1/orders/{order_id}/destruction-certificate");
                outbox::enqueue(
                    txn,
                    "order.erased",
                    Some(order_id),
                    Audience::Customer,
                    serde_json::json!({ "reference": order.reference, "certificate_url": certificate }),
                )
                .await?;
                Ok(true)
            })
        })
        .await?;
    Ok(if erased {
        Outcome::Erased { objects: count }
    } else {
        Outcome::AlreadyErased
    })
}

/// Delete every object of the order: whatever its prefix holds, every key an upload row names,
/// and unfinished multipart uploads. Then list the prefix again: it must be empty. Objects
/// purged earlier (retention, rejected uploads) are listed with the time they went.
async fn delete_objects(
    state: &AppState,
    order_id: Uuid,
    rows: &[SampleRow],
    now: DateTime<Utc>,
) -> AppResult<Vec<DeletedObject>> {
    for row in rows {
        let open = matches!(
            row.status,
            SampleStatus::Uploading | SampleStatus::Verifying
        );
        if let (true, Some(upload_id)) = (open, &row.multipart_upload_id) {
            state
                .store
                .abort_multipart(&row.object_key, upload_id)
                .await?;
        }
    }
    let prefix = order_prefix(order_id);
    let listed: BTreeSet<String> = state.store.list_keys(&prefix).await?.into_iter().collect();
    let mut objects = Vec::new();
    for key in &listed {
        state.store.delete(key).await?;
        let row = rows.iter().find(|r| &r.object_key == key);
        objects.push(deleted(key, row, now));
    }
    for row in rows.iter().filter(|r| !listed.contains(&r.object_key)) {
        // A key no listing showed may still exist on a store that lists lazily: delete it too.
        state.store.delete(&row.object_key).await?;
        if let Some(purged_at) = row.purged_at {
            objects.push(deleted(&row.object_key, Some(row), purged_at));
        }
    }
    let left = state.store.list_keys(&prefix).await?;
    if !left.is_empty() {
        return Err(AppError::internal(format!(
            "{} objects are still under {prefix} after deleting; erasure will be retried",
            left.len()
        )));
    }
    Ok(objects)
}

fn deleted(key: &str, row: Option<&SampleRow>, at: DateTime<Utc>) -> DeletedObject {
    DeletedObject {
        key: key.to_owned(),
        purpose: row.map_or("unknown", |r| r.purpose.as_str()).to_owned(),
        kind: row.map(|r| r.kind.as_str().to_owned()),
        size: row.and_then(|r| u64::try_from(r.declared_size).ok()),
        deleted_at: at,
    }
}

/// Ask for an order's erasure now (`reason`: customer_request or data_rights_request): work
/// still in progress stops (`withdrawn`), an order that reached its outcome (delivered,
/// closed, …) keeps it, the schedule is brought forward to now, and the request is audited and
/// announced to the customer (`order.erasure_requested`, not a withdrawal's mail) — one
/// transaction. The erasure itself follows at once (and is retried by the retention job if it
/// cannot finish now).
pub async fn request(
    state: &AppState,
    order_id: Uuid,
    reason: &'static str,
    actor: &Actor,
    request_id: Option<&str>,
) -> AppResult<Outcome> {
    let now = db::now();
    let (txn_actor, txn_request) = (actor.clone(), request_id.map(str::to_owned));
    let order = db::orders::find(&state.db, order_id)
        .await?
        .ok_or_else(|| AppError::not_found(Code::OrderNotFound, "no such order"))?;
    if order.erased_at.is_some() {
        return Ok(Outcome::AlreadyErased);
    }
    state
        .db
        .write_transaction::<_, (), AppError>(|txn| {
            Box::pin(async move {
                let stopped = db::orders::withdraw(
                    txn,
                    order_id,
                    &OrderStatus::stopped_by_erasure(),
                    now,
                    reason,
                    now,
                )
                .await?;
                if stopped.is_none() {
                    db::orders::schedule_erasure(txn, order_id, now, reason, now).await?;
                }
                let stopped_from = stopped.as_ref().map(|_| order.status);
                let detail = serde_json::json!({
                    "reason": reason,
                    "stopped_from": stopped_from,
                    "to": stopped.as_ref().map(|updated| updated.status),
                });
                audit::record(
                    txn,
                    &txn_actor,
                    "order.erasure_requested",
                    Target::order(order_id),
                    txn_request.as_deref(),
                    detail,
                )
                .await?;
                let message = serde_json::json!({
                    "reference": order.reference,
                    "reason": reason,
                    "work_stopped": stopped.is_some(),
                });
                outbox::enqueue(
                    txn,
                    "order.erasure_requested",
                    Some(order_id),
                    Audience::Customer,
                    message,
                )
                .await?;
                Ok(())
            })
        })
        .await?;
    erase(state, order_id, actor, request_id, now).await
}
