//! Completing an upload: assemble (multipart), prove, probe, record.
//!
//! The sample is first claimed (`uploading → verifying`, a conditional update) so two
//! concurrent completions cannot both run. A missing object or missing parts is not a
//! rejection — the client can still finish — so the claim is handed back (`→ uploading`) and
//! the client told what is missing (409). Anything else that fails verification rejects the
//! sample for good: the object is deleted and the reason recorded.

use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::start::plan_of;
use super::stored_object::StoredObject;
use crate::app::AppState;
use crate::audit::{self, Actor, Target};
use crate::db::{self, samples::SampleRow};
use crate::domain::sample::{self, SampleStatus, UploadMode, UploadPlan};
use crate::error::{AppError, AppResult};
use crate::media::{self, MediaMetadata, MediaType};
use crate::storage::{UploadedPart, base64_of};

/// Why a stored object is not the declared file. `code` is stable; `reason` is for people.
struct Rejection {
    code: &'static str,
    reason: String,
    detected: Option<MediaType>,
}

fn reject(code: &'static str, reason: impl Into<String>) -> Rejection {
    Rejection {
        code,
        reason: reason.into(),
        detected: None,
    }
}

/// What stops a completion without rejecting the sample.
enum Outcome {
    Verified {
        media: MediaType,
        metadata: MediaMetadata,
    },
    Rejected(Rejection),
    NotYet(AppError),
}

pub async fn complete(
    state: &AppState,
    row: SampleRow,
    listed_parts: Option<Vec<ListedPart>>,
    actor: &Actor,
    request_id: Option<&str>,
) -> AppResult<SampleRow> {
    claim(state, &row, actor, request_id).await?;
    let outcome = match verify(state, &row, listed_parts).await {
        Ok(outcome) => outcome,
        Err(err) => {
            release(state, row.id).await;
            return Err(err);
        }
    };
    match outcome {
        Outcome::Verified { media, metadata } => {
            record_verified(state, &row, media, &metadata, actor, request_id).await
        }
        Outcome::Rejected(rejection) => {
            Err(record_rejected(state, &row, rejection, actor, request_id).await)
        }
        Outcome::NotYet(err) => {
            release(state, row.id).await;
            Err(err)
        }
    }
}

async fn claim(
    state: &AppState,
    row: &SampleRow,
    actor: &Actor,
    request_id: Option<&str>,
) -> AppResult<()> {
    let (id, now) = (row.id, db::now());
    let (actor, request_id) = (actor.clone(), request_id.map(str::to_owned));
    let claimed = state
        .db
        .transaction::<_, bool, AppError>(|txn| {
            Box::pin(async move {
                let moved = db::samples::transition(
                    txn,
                    id,
                    SampleStatus::Uploading,
                    SampleStatus::Verifying,
                    now,
                )
                .await?;
                if moved {
                    audit::record(
                        txn,
                        &actor,
                        "sample.verification_started",
                        Target::sample(id),
                        request_id.as_deref(),
                        serde_json::json!({}),
                    )
                    .await?;
                }
                Ok(moved)
            })
        })
        .await?;
    if claimed {
        Ok(())
    } else {
        let current = db::samples::find(&state.db, row.order_id, row.id)
            .await?
            .map(|r| r.status)
            .unwrap_or_default();
        Err(AppError::conflict(
            "sample_not_uploading",
            format!("this sample is {current}, not waiting for completion"),
        ))
    }
}

/// Hand a claim back after a completion that could not finish (nothing was decided).
async fn release(state: &AppState, id: Uuid) {
    if let Err(err) = db::samples::transition(
        &state.db,
        id,
        SampleStatus::Verifying,
        SampleStatus::Uploading,
        db::now(),
    )
    .await
    {
        tracing::error!(sample_id = %id, error = %err, "could not release a verification claim");
    }
}

async fn verify(
    state: &AppState,
    row: &SampleRow,
    listed_parts: Option<Vec<ListedPart>>,
) -> AppResult<Outcome> {
    let plan = plan_of(row)?;
    let declared_size = u64::try_from(row.declared_size).map_err(AppError::internal)?;
    if plan.mode == UploadMode::Multipart
        && let Some(outcome) = assemble(state, row, &plan, declared_size, listed_parts).await?
    {
        return Ok(outcome);
    }

    let Some(head) = state.store.head(&row.object_key).await? else {
        return Ok(Outcome::NotYet(AppError::conflict(
            "upload_incomplete",
            "the file has not been uploaded yet; PUT it to the presigned URL first",
        )));
    };
    if head.size == 0 {
        return Ok(Outcome::Rejected(reject(
            "empty_file",
            "the uploaded file is empty (0 bytes)",
        )));
    }
    if head.size != declared_size {
        return Ok(Outcome::Rejected(reject(
            "size_mismatch",
            format!(
                "declared {declared_size} bytes but {} bytes arrived",
                head.size
            ),
        )));
    }

    let object = StoredObject {
        store: &state.store,
        key: &row.object_key,
        size: head.size,
    };
    let media = match check_type(state, row, &object).await? {
        Ok(media) => media,
        Err(rejection) => return Ok(Outcome::Rejected(rejection)),
    };
    let metadata = match media::probe(&object, media).await {
        Ok(metadata) => metadata,
        Err(media::ProbeError::Read(e)) => {
            return Err(AppError::internal(format!("probe read: {e}")));
        }
        Err(media::ProbeError::Malformed(why)) => {
            return Ok(Outcome::Rejected(Rejection {
                code: "unreadable_media",
                reason: format!("the file's headers could not be read: {why}"),
                detected: Some(media),
            }));
        }
    };

    let declared_sha = sample::parse_sha256_hex(&row.declared_sha256)
        .ok_or_else(|| AppError::internal("stored sha256 is malformed"))?;
    if !checksum_matches(state, row, &head.sha256_base64, &declared_sha).await? {
        return Ok(Outcome::Rejected(Rejection {
            code: "checksum_mismatch",
            reason: "the file's SHA-256 differs from the one declared: it was damaged or changed in transit".into(),
            detected: Some(media),
        }));
    }
    Ok(Outcome::Verified { media, metadata })
}

/// A part as the client lists it at completion (its number and the ETag the store returned).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListedPart {
    pub part_number: u32,
    pub etag: String,
}

/// Put the parts together: the parts the client listed, or else the parts the store lists.
/// `Some(outcome)`: stop here (parts missing, unknown to the store, or of the wrong size).
async fn assemble(
    state: &AppState,
    row: &SampleRow,
    plan: &UploadPlan,
    size: u64,
    listed: Option<Vec<ListedPart>>,
) -> AppResult<Option<Outcome>> {
    let upload_id = row
        .multipart_upload_id
        .as_deref()
        .ok_or_else(|| AppError::internal("multipart sample without upload id"))?;
    let parts = match listed {
        Some(listed) => listed
            .into_iter()
            .map(|p| UploadedPart {
                part_number: p.part_number,
                size: 0,
                etag: p.etag,
            })
            .collect(),
        None => state.store.list_parts(&row.object_key, upload_id).await?,
    };
    if let Some(stop) = check_parts(plan, size, &parts) {
        return Ok(Some(stop));
    }
    match state
        .store
        .complete_multipart(&row.object_key, upload_id, &parts)
        .await
    {
        Ok(()) => Ok(None),
        Err(err) => match err.code.as_deref() {
            Some("InvalidPart" | "InvalidPartOrder" | "NoSuchUpload") => {
                Ok(Some(Outcome::NotYet(AppError::unprocessable(
                    "invalid_parts",
                    "the store does not hold the parts listed; GET the upload to see what it holds",
                ))))
            }
            Some("EntityTooSmall") => Ok(Some(Outcome::Rejected(reject(
                "size_mismatch",
                "a part other than the last is smaller than the store allows",
            )))),
            _ => Err(err.into()),
        },
    }
}

/// Every planned part present exactly once, none beyond the plan, and (where the size is
/// known) each of its planned size.
fn check_parts(plan: &UploadPlan, size: u64, parts: &[UploadedPart]) -> Option<Outcome> {
    let missing: Vec<u32> = (1..=plan.part_count)
        .filter(|n| !parts.iter().any(|p| p.part_number == *n))
        .collect();
    if !missing.is_empty() {
        return Some(Outcome::NotYet(AppError::Unprocessable {
            code: "upload_incomplete",
            detail: format!(
                "{} of {} parts are still missing",
                missing.len(),
                plan.part_count
            ),
            extra: Some(serde_json::Map::from_iter([(
                "missing_parts".to_owned(),
                serde_json::json!(missing),
            )])),
        }));
    }
    if parts.len() != plan.part_count as usize {
        return Some(Outcome::NotYet(AppError::unprocessable(
            "invalid_parts",
            format!("list each of the {} parts exactly once", plan.part_count),
        )));
    }
    if let Some(part) = parts.iter().find(|p| p.part_number > plan.part_count) {
        return Some(Outcome::Rejected(reject(
            "size_mismatch",
            format!(
                "part {} is beyond the {} parts planned",
                part.part_number, plan.part_count
            ),
        )));
    }
    let wrong_size = parts
        .iter()
        .find(|p| p.size != 0 && p.size != sample::expected_part_size(plan, size, p.part_number));
    wrong_size.map(|part| {
        Outcome::Rejected(reject(
            "size_mismatch",
            format!(
                "part {} carries {} bytes but {} were planned",
                part.part_number,
                part.size,
                sample::expected_part_size(plan, size, part.part_number)
            ),
        ))
    })
}

async fn check_type(
    state: &AppState,
    row: &SampleRow,
    object: &StoredObject<'_>,
) -> AppResult<Result<MediaType, Rejection>> {
    let len = (media::SNIFF_LEN as u64).min(object.size);
    let prefix = state.store.read_range(&row.object_key, 0, len).await?;
    let kind = row.kind()?;
    let Some(detected) = media::sniff(&prefix) else {
        return Ok(Err(reject(
            "unrecognized_type",
            format!("the file is not a {kind} in a format we accept"),
        )));
    };
    if !kind.accepts(detected) {
        return Ok(Err(Rejection {
            code: "wrong_kind",
            reason: format!(
                "the file is {}, which is not accepted as a {kind}",
                detected.mime()
            ),
            detected: Some(detected),
        }));
    }
    if MediaType::from_mime(&row.declared_content_type) != Some(detected) {
        return Ok(Err(Rejection {
            code: "type_mismatch",
            reason: format!(
                "declared {} but the file is {}",
                row.declared_content_type,
                detected.mime()
            ),
            detected: Some(detected),
        }));
    }
    Ok(Ok(detected))
}

/// A checksum the store verified on write is trusted; otherwise the object is streamed once.
async fn checksum_matches(
    state: &AppState,
    row: &SampleRow,
    stored: &Option<String>,
    declared: &[u8; 32],
) -> AppResult<bool> {
    if let Some(stored) = stored {
        return Ok(*stored == base64_of(declared));
    }
    Ok(state.store.sha256(&row.object_key).await? == *declared)
}

async fn record_verified(
    state: &AppState,
    row: &SampleRow,
    media: MediaType,
    metadata: &MediaMetadata,
    actor: &Actor,
    request_id: Option<&str>,
) -> AppResult<SampleRow> {
    let (id, order_id, now) = (row.id, row.order_id, db::now());
    let detail = serde_json::json!({
        "order_id": order_id, "content_type": media.mime(),
        "width": metadata.width, "height": metadata.height, "duration_ms": metadata.duration_ms,
    });
    let metadata = metadata.clone();
    let (actor, request_id) = (actor.clone(), request_id.map(str::to_owned));
    state
        .db
        .transaction::<_, SampleRow, AppError>(|txn| {
            Box::pin(async move {
                if !db::samples::mark_verified(txn, id, media.mime(), &metadata, now).await? {
                    return Err(AppError::conflict(
                        "sample_not_uploading",
                        "the sample changed during verification",
                    ));
                }
                audit::record(
                    txn,
                    &actor,
                    "sample.verified",
                    Target::sample(id),
                    request_id.as_deref(),
                    detail,
                )
                .await?;
                db::samples::find(txn, order_id, id)
                    .await?
                    .ok_or_else(|| AppError::internal("verified sample vanished"))
            })
        })
        .await
        .map_err(Into::into)
}

/// Delete what was stored, record the verdict, and answer 422 with the reason.
async fn record_rejected(
    state: &AppState,
    row: &SampleRow,
    rejection: Rejection,
    actor: &Actor,
    request_id: Option<&str>,
) -> AppError {
    if let Err(err) = discard(state, row).await {
        tracing::error!(sample_id = %row.id, error = %err, "could not delete a rejected upload");
    }
    let (id, now) = (row.id, db::now());
    let (code, reason, detected) = (
        rejection.code,
        rejection.reason.clone(),
        rejection.detected.map(MediaType::mime),
    );
    let detail = serde_json::json!({ "order_id": row.order_id, "code": code, "detected_content_type": detected });
    let (actor, request_id) = (actor.clone(), request_id.map(str::to_owned));
    let saved = state
        .db
        .transaction::<_, (), AppError>(|txn| {
            let reason = reason.clone();
            Box::pin(async move {
                if db::samples::mark_rejected(txn, id, code, &reason, detected, now).await? {
                    audit::record(
                        txn,
                        &actor,
                        "sample.rejected",
                        Target::sample(id),
                        request_id.as_deref(),
                        detail,
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await;
    if let Err(err) = saved {
        return err.into();
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

/// Remove every trace of an upload from the store: the object and any unfinished parts.
/// Both steps are always tried: an upload that was already assembled has no parts left to
/// abort (stores answer that differently), but its object must still go.
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
