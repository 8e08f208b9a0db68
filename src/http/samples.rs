//! `/api/v1/orders/{id}/samples`: start an upload (presigned URLs), resume it, complete it
//! (verification), and read samples back. File bytes never pass through this service.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, OptionalJson, RequestId};
use super::session::Caller;
use crate::db::samples::SampleRow;
use crate::domain::ids::OrderId;
use crate::domain::sample::{SampleKind, SampleStatus, UploadMode, shown_status};
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;
use crate::uploads::download::{self, Download};
use crate::uploads::{
    self, ListedPart, SignParts, SignedParts, StartUpload, UploadInstructions, files,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_upload, list_samples))
        .routes(routes!(get_sample))
        .routes(routes!(resume_upload))
        .routes(routes!(sign_sample_parts))
        .routes(routes!(complete_upload))
        .routes(routes!(download_sample))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SampleMetadata {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rejection {
    /// Stable code, e.g. `checksum_mismatch`, `type_mismatch`, `size_mismatch`.
    pub code: String,
    pub reason: String,
}

/// A sample as clients see it (never its storage key).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SampleView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub kind: SampleKind,
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
    pub declared_content_type: String,
    pub detected_content_type: Option<String>,
    /// `purged` once the file's bytes were destroyed (retention purge or erasure).
    pub status: SampleStatus,
    /// When the file's bytes were destroyed.
    pub purged_at: Option<DateTime<Utc>>,
    pub rejection: Option<Rejection>,
    pub metadata: SampleMetadata,
    pub upload_mode: UploadMode,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl TryFrom<&SampleRow> for SampleView {
    type Error = AppError;
    fn try_from(row: &SampleRow) -> AppResult<Self> {
        Ok(Self {
            id: row.id,
            order_id: row.order_id,
            kind: row.kind,
            file_name: row.file_name.clone(),
            size: u64::try_from(row.declared_size).map_err(AppError::internal)?,
            sha256: row.declared_sha256.clone(),
            declared_content_type: row.declared_content_type.clone(),
            detected_content_type: row.detected_content_type.clone(),
            status: shown_status(row.status, row.purged_at.is_some()),
            purged_at: row.purged_at,
            rejection: row.rejection_code.as_ref().map(|code| Rejection {
                code: code.clone(),
                reason: row.rejection_reason.clone().unwrap_or_default(),
            }),
            metadata: SampleMetadata {
                width: row.width.and_then(|v| u32::try_from(v).ok()),
                height: row.height.and_then(|v| u32::try_from(v).ok()),
                duration_ms: row.duration_ms.and_then(|v| u64::try_from(v).ok()),
            },
            upload_mode: row.upload_mode,
            created_at: row.created_at,
            completed_at: row.completed_at,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StartedUpload {
    pub sample: SampleView,
    pub upload: UploadInstructions,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SampleList {
    pub items: Vec<SampleView>,
}

/// Start uploading a sample: declare it, get presigned URLs.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/samples", tag = "samples",
    request_body = StartUpload,
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the order's customer (or not a customer account)", body = Problem),
        (status = 201, description = "Upload started: PUT the bytes as instructed, then complete", body = StartedUpload),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "The order no longer accepts samples", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "Declaration refused: empty_file, file_too_large, invalid_sha256, content_type_not_allowed, invalid_file_name, invalid_body", body = Problem),
        (status = 502, description = "The object store failed or sent a reply that cannot be used (storage_error); nothing was decided", body = Problem),
        (status = 503, description = "The object store cannot be reached (storage_unavailable, with Retry-After); nothing was decided", body = Problem),
    )
)]
async fn start_upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(order_id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<StartUpload>,
) -> AppResult<(StatusCode, Json<StartedUpload>)> {
    let (row, upload) = uploads::begin_sample(&state, &caller.acting(), order_id, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(StartedUpload {
            sample: SampleView::try_from(&row)?,
            upload,
        }),
    ))
}

/// The order's samples, oldest first.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/samples", tag = "samples",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "Samples", body = SampleList),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn list_samples(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(order_id): ApiPath<Uuid>,
) -> AppResult<Json<SampleList>> {
    let rows = files::samples(&state.db, &caller.acting(), order_id).await?;
    let items = rows
        .iter()
        .map(SampleView::try_from)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Json(SampleList { items }))
}

#[utoipa::path(
    get, path = "/api/v1/orders/{id}/samples/{sid}", tag = "samples",
    params(("id" = Uuid, Path, description = "Order id"), ("sid" = Uuid, Path, description = "Sample id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "The sample", body = SampleView),
        (status = 404, description = "No such order or sample", body = Problem),
    )
)]
async fn get_sample(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((order_id, sample_id)): ApiPath<(OrderId, Uuid)>,
) -> AppResult<Json<SampleView>> {
    let row = files::sample(&state.db, &caller.acting(), order_id, sample_id).await?;
    Ok(Json(SampleView::try_from(&row)?))
}

/// Resume an upload: a fresh URL for a single PUT, or the parts the store already holds and
/// those still to sign and send.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/samples/{sid}/upload", tag = "samples",
    params(("id" = Uuid, Path, description = "Order id"), ("sid" = Uuid, Path, description = "Sample id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the order's customer (or not a customer account)", body = Problem),
        (status = 200, description = "What is uploaded and what is left", body = UploadInstructions),
        (status = 404, description = "No such order or sample", body = Problem),
        (status = 409, description = "The upload is already completed, rejected, aborted or assembled, or the order no longer takes samples", body = Problem),
        (status = 502, description = "The object store failed or sent a reply that cannot be used (storage_error); nothing was decided", body = Problem),
        (status = 503, description = "The object store cannot be reached (storage_unavailable, with Retry-After); nothing was decided", body = Problem),
    )
)]
async fn resume_upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((order_id, sample_id)): ApiPath<(OrderId, Uuid)>,
) -> AppResult<Json<UploadInstructions>> {
    let row = files::open_sample(&state.db, &caller.acting(), order_id, sample_id).await?;
    Ok(Json(uploads::resume(&state, &row).await?))
}

/// Presigned URLs for parts about to be uploaded, each with its SHA-256 signed in: the store
/// refuses a part whose bytes differ (answering 400 `BadDigest`), and the client sends it again.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/samples/{sid}/parts", tag = "samples",
    request_body = SignParts,
    params(("id" = Uuid, Path, description = "Order id"), ("sid" = Uuid, Path, description = "Sample id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the order's customer (or not a customer account)", body = Problem),
        (status = 200, description = "One presigned PUT per part", body = SignedParts),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 404, description = "No such order or sample", body = Problem),
        (status = 409, description = "Not a multipart upload (not_multipart), no longer uploading (sample_not_uploading, upload_assembled), or the order no longer takes samples", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "invalid_part_number, invalid_part_list, invalid_sha256, invalid_body", body = Problem),
    )
)]
async fn sign_sample_parts(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((order_id, sample_id)): ApiPath<(OrderId, Uuid)>,
    ApiJson(req): ApiJson<SignParts>,
) -> AppResult<Json<SignedParts>> {
    let row = files::open_sample(&state.db, &caller.acting(), order_id, sample_id).await?;
    Ok(Json(uploads::sign_parts(&state, &row, req).await?))
}

/// Optional body of a completion: the parts as the client uploaded them. Without it the
/// server asks the store which parts it holds.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteUpload {
    #[serde(default)]
    pub parts: Option<Vec<ListedPart>>,
}

/// Finish an upload: the server verifies size, SHA-256 and real type, reads the metadata,
/// and answers with the verified sample — or 422 with the reason it was rejected.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/samples/{sid}/complete", tag = "samples",
    params(("id" = Uuid, Path, description = "Order id"), ("sid" = Uuid, Path, description = "Sample id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the order's customer (or not a customer account)", body = Problem),
        (status = 200, description = "Verified", body = SampleView),
        (status = 404, description = "No such order or sample", body = Problem),
        (status = 409, description = "Not uploaded yet (upload_incomplete), already completed or being verified (sample_not_uploading), or the order no longer takes samples", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "A body was sent that is not JSON", body = Problem),
        (status = 422, description = "Rejected (size_mismatch, checksum_mismatch, type_mismatch, wrong_kind, unrecognized_type, empty_file, unreadable_media), parts missing (upload_incomplete) or unknown to the store (invalid_parts)", body = Problem),
    ),
    request_body(content = Option<CompleteUpload>, description = "Optional: the uploaded parts and their ETags"),
)]
async fn complete_upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((order_id, sample_id)): ApiPath<(OrderId, Uuid)>,
    request_id: RequestId,
    OptionalJson(body): OptionalJson<CompleteUpload>,
) -> AppResult<Json<SampleView>> {
    let row = files::open_sample(&state.db, &caller.acting(), order_id, sample_id).await?;
    let parts = body.and_then(|b| b.parts);
    let verified =
        uploads::complete(&state, row, parts, &caller.actor(), request_id.as_deref()).await?;
    Ok(Json(SampleView::try_from(&verified)?))
}

/// A short-lived download URL for a verified sample (the order's customer and the studio).
/// Every URL issued is audited.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/samples/{sid}/download", tag = "samples",
    params(("id" = Uuid, Path, description = "Order id"), ("sid" = Uuid, Path, description = "Sample id")),
    responses(
        (status = 200, description = "A presigned GET, valid at most 15 minutes", body = Download),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 404, description = "No such order or sample", body = Problem),
        (status = 409, description = "The sample is not verified", body = Problem),
        (status = 410, description = "sample_purged: its file was destroyed (retention or erasure)", body = Problem),
        (status = 502, description = "The object store failed or sent a reply that cannot be used (storage_error); nothing was decided", body = Problem),
        (status = 503, description = "The object store cannot be reached (storage_unavailable, with Retry-After); nothing was decided", body = Problem),
    )
)]
async fn download_sample(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((order_id, sample_id)): ApiPath<(OrderId, Uuid)>,
) -> AppResult<Json<Download>> {
    let actor = caller.acting();
    Ok(Json(
        download::sample(&state, &actor, order_id, sample_id).await?,
    ))
}
