//! Turning the parts of a multipart upload into one object.
//!
//! The store's own list of parts is authoritative: a part list sent by the client is checked
//! against it (numbers, sizes, and ETags where the store reports them — s3s-fs does not)
//! before the store is asked to assemble anything, because some stores (s3s-fs) consume parts
//! while assembling and cannot undo a failed attempt. (moto's ListParts reply, which the SDK
//! refuses, is read by `storage::list_parts_xml`.) Only a store whose ListParts reply cannot be
//! used at all is trusted with the client's list as given; a store that cannot be reached is
//! not asked to assemble anything (`503 storage_unavailable`, the claim handed back).
//! An upload the store no longer knows was either assembled already (its object exists) or lost.

use super::Rejection;
use crate::db::samples::SampleRow;
use crate::domain::sample::{self, UploadPlan};
use crate::error::{AppError, AppResult, Code};
use crate::state::AppState;
use crate::storage::{StorageError, StorageErrorKind, UploadedPart};

/// A part as the client lists it at completion (its number and the ETag the store returned).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListedPart {
    pub part_number: u32,
    pub etag: String,
}

/// How an assembly attempt ended.
pub(super) enum Assembly {
    /// The object exists now (assembled by this call or an earlier one).
    Done,
    /// Not yet: the client can fix this (upload missing parts, list the right ones).
    NotYet(AppError),
    /// The upload can never become the declared file.
    Rejected(Rejection),
}

pub(super) async fn assemble(
    state: &AppState,
    row: &SampleRow,
    upload_id: &str,
    plan: &UploadPlan,
    size: u64,
    listed: Option<Vec<ListedPart>>,
) -> AppResult<Assembly> {
    let stored = state.store.list_parts(&row.object_key, upload_id).await;
    if let Ok(stored) = &stored
        && stored.is_empty()
        && state.store.head(&row.object_key).await?.is_some()
    {
        // No parts but an object: an earlier completion assembled it and died before
        // recording that (s3s-fs lists an assembled upload as empty rather than unknown).
        return Ok(Assembly::Done);
    }
    let parts = match (stored, listed) {
        (Err(err), _) if upload_gone(&err) => return after_upload_gone(state, row).await,
        (Ok(stored), None) => stored,
        (Ok(stored), Some(listed)) => match match_listed(&stored, listed) {
            Ok(parts) => parts,
            Err(not_yet) => return Ok(Assembly::NotYet(not_yet)),
        },
        (Err(err), _) if err.kind == StorageErrorKind::Unavailable => return Err(err.into()),
        (Err(err), Some(listed)) => {
            tracing::warn!(error = %err, "the store cannot list parts; assembling the client's list");
            let mut parts: Vec<UploadedPart> = listed
                .into_iter()
                .map(|p| UploadedPart {
                    part_number: p.part_number,
                    size: 0,
                    etag: p.etag,
                    sha256: None,
                })
                .collect();
            parts.sort_by_key(|p| p.part_number);
            parts
        }
        (Err(err), None) => return Err(err.into()),
    };
    if let Some(stop) = check_parts(plan, size, &parts) {
        return Ok(stop);
    }
    match state
        .store
        .complete_multipart(&row.object_key, upload_id, &parts)
        .await
    {
        Ok(()) => Ok(Assembly::Done),
        Err(err) if upload_gone(&err) => after_upload_gone(state, row).await,
        Err(err) => match err.code.as_deref() {
            Some("InvalidPart" | "InvalidPartOrder") => Ok(Assembly::NotYet(invalid_parts(
                "the store does not hold the parts listed; GET the upload to see what it holds",
            ))),
            Some("EntityTooSmall") => Ok(Assembly::Rejected(Rejection::new(
                Code::SizeMismatch,
                "a part other than the last is smaller than the store allows",
            ))),
            _ => Err(err.into()),
        },
    }
}

/// The store does not know the upload (AWS: NoSuchUpload; s3s-fs: AccessDenied).
fn upload_gone(err: &StorageError) -> bool {
    matches!(err.code.as_deref(), Some("NoSuchUpload" | "AccessDenied"))
}

async fn after_upload_gone(state: &AppState, row: &SampleRow) -> AppResult<Assembly> {
    if state.store.head(&row.object_key).await?.is_some() {
        return Ok(Assembly::Done);
    }
    Ok(Assembly::Rejected(Rejection::new(
        Code::UploadLost,
        "the store no longer holds this upload or its parts; start a new upload",
    )))
}

fn invalid_parts(detail: impl Into<String>) -> AppError {
    AppError::unprocessable(Code::InvalidParts, detail)
}

/// The client's list, in order, each part as the store holds it (so its size is known).
fn match_listed(
    stored: &[UploadedPart],
    mut listed: Vec<ListedPart>,
) -> Result<Vec<UploadedPart>, AppError> {
    listed.sort_by_key(|p| p.part_number);
    listed
        .into_iter()
        .map(|p| {
            stored
                .iter()
                .find(|s| s.part_number == p.part_number && (s.etag.is_empty() || same_etag(&s.etag, &p.etag)))
                .map(|s| UploadedPart { etag: p.etag.clone(), ..s.clone() })
                .ok_or_else(|| {
                    invalid_parts(format!(
                        "part {} with that ETag is not in the store; GET the upload to see what it holds",
                        p.part_number
                    ))
                })
        })
        .collect()
}

fn same_etag(a: &str, b: &str) -> bool {
    a.trim_matches('"') == b.trim_matches('"')
}

/// Every planned part present exactly once, none beyond the plan, and (where the size is
/// known) each of its planned size — a part of another size can be sent again.
fn check_parts(plan: &UploadPlan, size: u64, parts: &[UploadedPart]) -> Option<Assembly> {
    let missing: Vec<u32> = (1..=plan.part_count)
        .filter(|n| !parts.iter().any(|p| p.part_number == *n))
        .collect();
    if !missing.is_empty() {
        return Some(Assembly::NotYet(AppError::Unprocessable {
            code: Code::UploadIncomplete,
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
    if let Some(part) = parts.iter().find(|p| p.part_number > plan.part_count) {
        return Some(Assembly::Rejected(Rejection::new(
            Code::SizeMismatch,
            format!(
                "part {} is beyond the {} parts planned",
                part.part_number, plan.part_count
            ),
        )));
    }
    if parts.len() != plan.part_count as usize {
        return Some(Assembly::NotYet(invalid_parts(format!(
            "list each of the {} parts exactly once",
            plan.part_count
        ))));
    }
    let wrong_size = parts
        .iter()
        .find(|p| p.size != 0 && p.size != sample::expected_part_size(plan, size, p.part_number));
    // Not a rejection: the client can send that part again (resuming lists it as to upload).
    wrong_size.map(|part| {
        Assembly::NotYet(invalid_parts(format!(
            "part {} carries {} bytes but {} were planned; upload it again",
            part.part_number,
            part.size,
            sample::expected_part_size(plan, size, part.part_number)
        )))
    })
}
