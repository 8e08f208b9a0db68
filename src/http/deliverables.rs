//! `/api/v1/orders/{id}/deliverables`: the studio uploads the likeness through the same
//! verified path as samples, with its AI-generated-content label; the customer downloads it
//! once the order is delivered. Every download URL issued is audited.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, OptionalJson, RequestId};
use super::samples::{CompleteUpload, SampleView};
use super::session::Caller;
use crate::db::{deliverables::DeliverableRow, samples::SampleRow};
use crate::domain::ids::OrderId;
use crate::domain::sample::DeliverableKind;
use crate::error::{AppResult, Problem};
use crate::state::AppState;
use crate::uploads::download::{self, Download};
use crate::uploads::{self, SignParts, SignedParts, StartUpload, UploadInstructions, files};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_deliverable, list_deliverables))
        .routes(routes!(get_deliverable))
        .routes(routes!(resume_deliverable))
        .routes(routes!(sign_deliverable_parts))
        .routes(routes!(complete_deliverable))
        .routes(routes!(download_deliverable))
}

/// The AI-generated-content label of a deliverable.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LabelView {
    /// Shown with the likeness.
    pub text: String,
    /// Metadata label: who generated it …
    pub provider: String,
    /// … and this content's id; both are stored in the object's own metadata.
    pub content_id: String,
    /// When the metadata was last read back from the stored object and matched (at delivery).
    pub checked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliverableView {
    #[serde(flatten)]
    pub file: SampleView,
    pub label: LabelView,
}

fn view(row: &SampleRow, label: &DeliverableRow) -> AppResult<DeliverableView> {
    Ok(DeliverableView {
        file: SampleView::try_from(row)?,
        label: LabelView {
            text: label.label_text.clone(),
            provider: label.label_provider.clone(),
            content_id: label.content_id.clone(),
            checked_at: label.label_checked_at,
        },
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StartedDeliverable {
    pub deliverable: DeliverableView,
    pub upload: UploadInstructions,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliverableList {
    pub items: Vec<DeliverableView>,
}

/// A deliverable to upload: the file's declaration (as for samples) and, optionally, the
/// visible AI label text (the studio's configured text otherwise).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartDeliverable {
    /// photo, voice or video (documents are not deliverables).
    pub kind: DeliverableKind,
    /// As for a sample: 1 to 255 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub file_name: String,
    #[schema(minimum = 1)]
    pub size: u64,
    #[schema(pattern = "^[0-9A-Fa-f]{64}$")]
    pub sha256: String,
    pub content_type: String,
    /// The visible AI label (the studio's configured text when absent): 1 to 500 characters,
    /// not only blanks, no control characters.
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub label_text: Option<String>,
}

/// Start uploading a deliverable (staff): declare it, get presigned URLs. The object's
/// metadata label (provider, content id) is part of the signed upload: the store keeps it or
/// refuses the upload.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/deliverables", tag = "delivery",
    request_body = StartDeliverable,
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not studio staff", body = Problem),
        (status = 201, description = "Upload started: PUT the bytes as instructed (with the given headers), then complete", body = StartedDeliverable),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "The order is not in production or quality check", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "Declaration refused (as for samples), invalid_label_text, invalid_body (a kind that is not deliverable)", body = Problem),
        (status = 502, description = "The object store failed or sent a reply that cannot be used (storage_error); nothing was decided", body = Problem),
        (status = 503, description = "The object store cannot be reached (storage_unavailable, with Retry-After); nothing was decided", body = Problem),
    )
)]
async fn start_deliverable(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(order_id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<StartDeliverable>,
) -> AppResult<(StatusCode, Json<StartedDeliverable>)> {
    let declaration = StartUpload {
        kind: req.kind.into(),
        file_name: req.file_name,
        size: req.size,
        sha256: req.sha256,
        content_type: req.content_type,
    };
    let (started, upload) = uploads::begin_deliverable(
        &state,
        &caller.acting(),
        order_id,
        declaration,
        req.label_text,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(StartedDeliverable {
            deliverable: view(&started.file, &started.label)?,
            upload,
        }),
    ))
}

/// The order's deliverables: all of them for the studio; the verified ones for the customer
/// once the order is delivered.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/deliverables", tag = "delivery",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "Deliverables", body = DeliverableList),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn list_deliverables(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(order_id): ApiPath<Uuid>,
) -> AppResult<Json<DeliverableList>> {
    let found = files::deliverables(&state.db, &caller.acting(), order_id).await?;
    let items = found
        .iter()
        .map(|d| view(&d.file, &d.label))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Json(DeliverableList { items }))
}

#[utoipa::path(
    get, path = "/api/v1/orders/{id}/deliverables/{did}", tag = "delivery",
    params(("id" = Uuid, Path, description = "Order id"), ("did" = Uuid, Path, description = "Deliverable id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "The deliverable", body = DeliverableView),
        (status = 404, description = "No such order or deliverable (or not delivered yet, for the customer)", body = Problem),
    )
)]
async fn get_deliverable(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((order_id, id)): ApiPath<(OrderId, Uuid)>,
) -> AppResult<Json<DeliverableView>> {
    let found = files::deliverable(&state.db, &caller.acting(), order_id, id).await?;
    Ok(Json(view(&found.file, &found.label)?))
}

/// Resume a deliverable's upload (staff): what the store holds and what is left to send.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/deliverables/{did}/upload", tag = "delivery",
    params(("id" = Uuid, Path, description = "Order id"), ("did" = Uuid, Path, description = "Deliverable id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not studio staff", body = Problem),
        (status = 200, description = "What is uploaded and what is left", body = UploadInstructions),
        (status = 404, description = "No such order or deliverable", body = Problem),
        (status = 409, description = "The upload is finished, or the order no longer takes deliverables", body = Problem),
        (status = 502, description = "The object store failed or sent a reply that cannot be used (storage_error); nothing was decided", body = Problem),
        (status = 503, description = "The object store cannot be reached (storage_unavailable, with Retry-After); nothing was decided", body = Problem),
    )
)]
async fn resume_deliverable(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((order_id, id)): ApiPath<(OrderId, Uuid)>,
) -> AppResult<Json<UploadInstructions>> {
    let row = files::open_deliverable(&state.db, &caller.acting(), order_id, id)
        .await?
        .file;
    Ok(Json(uploads::resume(&state, &row).await?))
}

/// Presigned URLs for a deliverable's parts (staff), each with its SHA-256 signed in.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/deliverables/{did}/parts", tag = "delivery",
    request_body = SignParts,
    params(("id" = Uuid, Path, description = "Order id"), ("did" = Uuid, Path, description = "Deliverable id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not studio staff", body = Problem),
        (status = 200, description = "One presigned PUT per part", body = SignedParts),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 404, description = "No such order or deliverable", body = Problem),
        (status = 409, description = "Not a multipart upload, the upload is finished, or the order no longer takes deliverables", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "invalid_part_number, invalid_part_list, invalid_sha256, invalid_body", body = Problem),
    )
)]
async fn sign_deliverable_parts(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((order_id, id)): ApiPath<(OrderId, Uuid)>,
    ApiJson(req): ApiJson<SignParts>,
) -> AppResult<Json<SignedParts>> {
    let row = files::open_deliverable(&state.db, &caller.acting(), order_id, id)
        .await?
        .file;
    Ok(Json(uploads::sign_parts(&state, &row, req).await?))
}

/// Finish a deliverable's upload (staff): verified exactly like a sample (size, SHA-256, real
/// type, metadata); a failed verification rejects it and deletes the object.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/deliverables/{did}/complete", tag = "delivery",
    params(("id" = Uuid, Path, description = "Order id"), ("did" = Uuid, Path, description = "Deliverable id")),
    request_body(content = Option<CompleteUpload>, description = "Optional: the uploaded parts and their ETags"),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not studio staff", body = Problem),
        (status = 200, description = "Verified", body = DeliverableView),
        (status = 404, description = "No such order or deliverable", body = Problem),
        (status = 409, description = "Not uploaded yet, already completed, or the order no longer takes deliverables", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "A body was sent that is not JSON", body = Problem),
        (status = 422, description = "Rejected (size_mismatch, checksum_mismatch, type_mismatch, …) or parts missing", body = Problem),
        (status = 502, description = "The object store failed or sent a reply that cannot be used (storage_error); nothing was decided", body = Problem),
        (status = 503, description = "The object store cannot be reached (storage_unavailable, with Retry-After); nothing was decided", body = Problem),
    )
)]
async fn complete_deliverable(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((order_id, id)): ApiPath<(OrderId, Uuid)>,
    request_id: RequestId,
    OptionalJson(body): OptionalJson<CompleteUpload>,
) -> AppResult<Json<DeliverableView>> {
    let files::Deliverable { file: row, label } =
        files::open_deliverable(&state.db, &caller.acting(), order_id, id).await?;
    let parts = body.and_then(|b| b.parts);
    let verified =
        uploads::complete(&state, row, parts, &caller.actor(), request_id.as_deref()).await?;
    Ok(Json(view(&verified, &label)?))
}

/// A short-lived download URL (≤ 15 minutes) for a verified deliverable: the customer once
/// the order is delivered, the studio any time. Every URL issued is an audit event.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/deliverables/{did}/download", tag = "delivery",
    params(("id" = Uuid, Path, description = "Order id"), ("did" = Uuid, Path, description = "Deliverable id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "A presigned GET, valid at most 15 minutes", body = Download),
        (status = 404, description = "No such order or deliverable (or not delivered yet, for the customer)", body = Problem),
        (status = 409, description = "The deliverable is not verified", body = Problem),
        (status = 410, description = "deliverable_purged: its file was destroyed (erasure)", body = Problem),
    )
)]
async fn download_deliverable(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((order_id, id)): ApiPath<(OrderId, Uuid)>,
) -> AppResult<Json<Download>> {
    let download = download::deliverable(&state, &caller.acting(), order_id, id).await?;
    Ok(Json(download))
}
