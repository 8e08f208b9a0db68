//! Completing an upload: claim, assemble (multipart), inspect, record the verdict.
//!
//! The sample is claimed first (`uploading → verifying`, a conditional update), so concurrent
//! completions cannot both run. The verifier renews its claim every [`RENEW_EVERY`] while it
//! works, however long the file takes to hash; a claim not renewed for [`VERIFY_LEASE`] is
//! stale (its process died) and may be taken over, so a client retrying after a crash waits
//! seconds, not the length of the longest verification. The work runs in its own task, so a
//! client that hangs up does not cancel a verification half-way. Missing bytes or parts are not a rejection — the client
//! can still finish — so the claim is handed back and the client told what is missing. Anything
//! else that fails rejects the sample for good: its bytes are deleted and the reason recorded.

use crate::db::WriteTransaction;
use crate::domain::ids::OrderId;

use super::Rejection;
use super::assemble::{Assembly, ListedPart, assemble};
use super::label_copy::{self, Labeled};
use super::start::plan_of;
use super::verify::{Inspection, Proven, inspect};
use crate::audit::{self, Actor, Target};
use crate::db::{self, samples::SampleRow};
use crate::domain::sample::{SampleStatus, UploadMode, UploadPurpose};
use crate::error::{AppError, AppResult, Code};
use crate::state::AppState;

/// How long a claim holds without renewal before another completion may take the sample over.
pub const VERIFY_LEASE: chrono::Duration = chrono::Duration::seconds(30);

/// How often a running verification renews its claim (a third of the lease: two renewals may
/// be slow or fail before the claim lapses).
pub const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Who asked, for the audit trail.
#[derive(Clone)]
struct Caller {
    actor: Actor,
    request_id: Option<String>,
    /// Sample or deliverable: names the audit events.
    purpose: UploadPurpose,
}

pub async fn complete(
    state: &AppState,
    row: SampleRow,
    listed_parts: Option<Vec<ListedPart>>,
    actor: &Actor,
    request_id: Option<&str>,
) -> AppResult<SampleRow> {
    let caller = Caller {
        actor: actor.clone(),
        request_id: request_id.map(str::to_owned),
        purpose: row.purpose,
    };
    claim(state, &row, &caller).await?;
    let task = tokio::spawn(run_holding_claim(state.clone(), row, listed_parts, caller));
    task.await
        .map_err(|e| AppError::internal(format!("verification task failed: {e}")))?
}

/// [`run`], renewing the claim until it ends.
async fn run_holding_claim(
    state: AppState,
    row: SampleRow,
    listed: Option<Vec<ListedPart>>,
    caller: Caller,
) -> AppResult<SampleRow> {
    let renewing = keep_claim(state.clone(), row.id);
    tokio::select! {
        outcome = run(state, row, listed, caller) => outcome,
        never = renewing => match never {},
    }
}

/// Renew the claim on `sample_id` every [`RENEW_EVERY`], for as long as it is polled.
async fn keep_claim(state: AppState, sample_id: uuid::Uuid) -> std::convert::Infallible {
    let mut ticker = tokio::time::interval(RENEW_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        if let Err(err) = db::samples::renew_verification(&state.db, sample_id, db::now()).await {
            tracing::warn!(%sample_id, error = %err, "could not renew a verification claim");
        }
    }
}

async fn run(
    state: AppState,
    row: SampleRow,
    listed: Option<Vec<ListedPart>>,
    caller: Caller,
) -> AppResult<SampleRow> {
    let outcome = match decide(&state, &row, listed, &caller).await {
        Ok(outcome) => outcome,
        Err(err) => {
            release(&state, &row, &caller, "error").await;
            return Err(err);
        }
    };
    match outcome {
        Verdict::Verified(proven, labeled) => {
            match record_verified(&state, &row, &proven, labeled.as_ref(), &caller).await {
                Ok(verified) => {
                    let bytes = u64::try_from(row.declared_size).unwrap_or_default();
                    crate::monitoring::record::upload_verified(bytes);
                    Ok(verified)
                }
                Err(err) => {
                    release(&state, &row, &caller, "error").await;
                    Err(err)
                }
            }
        }
        Verdict::Rejected(rejection) => {
            crate::monitoring::record::upload_rejected(rejection.code.as_str());
            Err(record_rejected(&state, &row, rejection, &caller).await)
        }
        Verdict::NotYet(err) => {
            release(&state, &row, &caller, err.code().as_str()).await;
            Err(err)
        }
    }
}

enum Verdict {
    /// Proven; a deliverable with its labeled copy made.
    Verified(Proven, Option<Labeled>),
    Rejected(Rejection),
    NotYet(AppError),
}

async fn decide(
    state: &AppState,
    row: &SampleRow,
    listed: Option<Vec<ListedPart>>,
    caller: &Caller,
) -> AppResult<Verdict> {
    let plan = plan_of(row)?;
    if let (UploadMode::Multipart, Some(upload_id)) = (plan.mode, &row.multipart_upload_id) {
        let size = u64::try_from(row.declared_size).map_err(AppError::internal)?;
        match assemble(state, row, upload_id, &plan, size, listed).await? {
            Assembly::Done => record_assembled(state, row, caller).await?,
            Assembly::NotYet(err) => return Ok(Verdict::NotYet(err)),
            Assembly::Rejected(rejection) => return Ok(Verdict::Rejected(rejection)),
        }
    }
    Ok(match inspect(state, row).await? {
        Inspection::Proven(proven) if row.purpose == UploadPurpose::Deliverable => {
            match label_copy::make(state, row, &proven).await? {
                Ok(labeled) => Verdict::Verified(proven, Some(labeled)),
                Err(rejection) => Verdict::Rejected(rejection),
            }
        }
        Inspection::Proven(proven) => Verdict::Verified(proven, None),
        Inspection::Rejected(rejection) => Verdict::Rejected(rejection),
        Inspection::Missing if plan.mode == UploadMode::Multipart => {
            Verdict::Rejected(Rejection::new(
                Code::UploadLost,
                "the assembled file is no longer in the store; start a new upload",
            ))
        }
        Inspection::Missing => Verdict::NotYet(AppError::conflict(
            Code::UploadIncomplete,
            "the file has not been uploaded yet; PUT it to the presigned URL first",
        )),
    })
}

async fn claim(state: &AppState, row: &SampleRow, caller: &Caller) -> AppResult<()> {
    let (id, now) = (row.id, db::now());
    let caller_tx = caller.clone();
    let claimed = state
        .db
        .write_transaction::<_, bool, AppError>(|txn| {
            Box::pin(async move {
                let claimed =
                    db::samples::claim_for_verification(txn, id, now - VERIFY_LEASE, now).await?;
                if claimed {
                    audit::record(
                        txn,
                        &caller_tx.actor,
                        &caller_tx.purpose.event("verification_started"),
                        Target::sample(id),
                        caller_tx.request_id.as_deref(),
                        serde_json::json!({}),
                    )
                    .await?;
                }
                Ok(claimed)
            })
        })
        .await?;
    if claimed {
        return Ok(());
    }
    let current = db::samples::find(&state.db, OrderId(row.order_id), row.id)
        .await?
        .map_or("gone", |r| r.status.as_str());
    Err(AppError::conflict(
        Code::SampleNotUploading,
        format!("this sample is {current}, not waiting for completion"),
    ))
}

/// Hand a claim back after a completion that could not finish (nothing was decided).
async fn release(state: &AppState, row: &SampleRow, caller: &Caller, why: &str) {
    let (id, now, caller) = (row.id, db::now(), caller.clone());
    let detail = serde_json::json!({ "reason": why });
    let released = state
        .db
        .write_transaction::<_, (), AppError>(|txn| {
            Box::pin(async move {
                if db::samples::transition(
                    txn,
                    id,
                    SampleStatus::Verifying,
                    SampleStatus::Uploading,
                    now,
                )
                .await?
                {
                    audit::record(
                        txn,
                        &caller.actor,
                        &caller.purpose.event("verification_released"),
                        Target::sample(id),
                        caller.request_id.as_deref(),
                        detail,
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await;
    if let Err(err) = released {
        tracing::error!(sample_id = %id, error = %err, "could not release a verification claim");
    }
}

/// The parts are one object now: remember that, so a retry does not look for the parts.
async fn record_assembled(state: &AppState, row: &SampleRow, caller: &Caller) -> AppResult<()> {
    let (id, now, caller) = (row.id, db::now(), caller.clone());
    state
        .db
        .write_transaction::<_, (), AppError>(|txn| {
            Box::pin(async move {
                db::samples::mark_assembled(txn, id, now).await?;
                audit::record(
                    txn,
                    &caller.actor,
                    &caller.purpose.event("parts_assembled"),
                    Target::sample(id),
                    caller.request_id.as_deref(),
                    serde_json::json!({}),
                )
                .await?;
                Ok(())
            })
        })
        .await
}

async fn record_verified(
    state: &AppState,
    row: &SampleRow,
    proven: &Proven,
    labeled: Option<&Labeled>,
    caller: &Caller,
) -> AppResult<SampleRow> {
    let (id, order_id, now, caller) = (row.id, row.order_id, db::now(), caller.clone());
    let (media, metadata, etag) = (proven.media, proven.metadata.clone(), proven.etag.clone());
    let detail = serde_json::json!({
        "order_id": order_id, "content_type": media.mime(),
        "width": metadata.width, "height": metadata.height, "duration_ms": metadata.duration_ms,
        "labeled_sha256": labeled.map(|l| l.sha256_hex.clone()),
    });
    let labeled = labeled.map(|l| (l.key.clone(), l.sha256_hex.clone(), l.size));
    state
        .db
        .write_transaction::<_, SampleRow, AppError>(|txn| {
            Box::pin(async move {
                if !db::samples::mark_verified(
                    txn,
                    id,
                    media.mime(),
                    etag.as_deref(),
                    &metadata,
                    now,
                )
                .await?
                {
                    return Err(AppError::conflict(
                        Code::SampleNotUploading,
                        "the sample changed during verification",
                    ));
                }
                if let Some((key, sha256_hex, size)) = &labeled {
                    db::deliverables::set_labeled(txn, id, key, sha256_hex, *size).await?;
                }
                audit::record(
                    txn,
                    &caller.actor,
                    &caller.purpose.event("verified"),
                    Target::sample(id),
                    caller.request_id.as_deref(),
                    detail,
                )
                .await?;
                db::samples::find(txn, OrderId(order_id), id)
                    .await?
                    .ok_or_else(|| AppError::internal("verified sample vanished"))
            })
        })
        .await
}

/// Delete what was stored, record the verdict, and answer 422 with the reason. (Bytes a still
/// valid presigned URL could put back are removed again by the sweeper once the URLs expire.)
async fn record_rejected(
    state: &AppState,
    row: &SampleRow,
    rejection: Rejection,
    caller: &Caller,
) -> AppError {
    if let Err(err) = discard(state, row).await {
        tracing::error!(sample_id = %row.id, error = %err, "could not delete a rejected upload; the sweeper will retry");
    }
    let (id, now, caller) = (row.id, db::now(), caller.clone());
    let (code, reason, detected) = (
        rejection.code,
        rejection.reason.clone(),
        rejection.detected.map(|m| m.mime()),
    );
    let detail = serde_json::json!({ "order_id": row.order_id, "code": code, "detected_content_type": detected });
    let saved = state
        .db
        .write_transaction::<_, (), AppError>(|txn| {
            Box::pin(async move {
                if db::samples::mark_rejected(txn, id, code.as_str(), &reason, detected, now)
                    .await?
                {
                    audit::record(
                        txn,
                        &caller.actor,
                        &caller.purpose.event("rejected"),
                        Target::sample(id),
                        caller.request_id.as_deref(),
                        detail,
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await;
    if let Err(err) = saved {
        return err;
    }
    AppError::Unprocessable {
        code: rejection.code,
        detail: format!("the sample was rejected: {}", rejection.reason),
        extra: Some(serde_json::Map::from_iter([(
            "sample_id".to_owned(),
            serde_json::json!(row.id),
        )])),
    }
}

/// Remove every trace of an upload from the store: unfinished parts and the object. Both steps
/// are always tried: an upload already assembled has no parts left to abort.
pub async fn discard(
    state: &AppState,
    row: &SampleRow,
) -> Result<(), crate::storage::StorageError> {
    if let Some(upload_id) = &row.multipart_upload_id
        && let Err(err) = state
            .store
            .abort_multipart(&row.object_key, upload_id)
            .await
    {
        tracing::warn!(sample_id = %row.id, error = %err, "aborting the multipart upload failed (already completed?)");
    }
    state.store.delete(&row.object_key).await
}
