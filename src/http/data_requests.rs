//! `/api/v1/data-requests`: the data-rights queue (PRODUCT.md, "Data-rights requests").
//!
//! Anyone signed in files a request about an order they name by reference — its customer, or
//! a close relative of the deceased. A reviewer records how the requester's identity was
//! verified, then approves or denies with a mandatory reason; approval carries the request
//! out at once: an export (access, copy), the correction of the subject's details, or the
//! order's erasure. The rules and transactions live in [`crate::privacy::requests`]; this
//! module translates.
//!
//! References are sequential, so they can be guessed. A requester who is not the order's
//! customer therefore gets one answer whatever they name: `202`, "queued for identity
//! verification", the request stored (with the order when the reference matched one, without
//! when not) and audited — the same work, the same body. Their correction is checked only by
//! itself, never against the order's stored details, and they see which order their request
//! names only once a reviewer has verified who they are. A reviewer denies a request whose
//! reference matched nothing.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::session::Caller;
use crate::db::data_requests::DataRequestRow;
use crate::domain::data_rights::{IdentityMethod, RequestDecision, RequestKind, RequestStatus};
use crate::domain::order::Relationship;
use crate::error::{AppResult, Problem};
use crate::privacy::requests::{self, Corrections, ExportDownload};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(file_request, list_requests))
        .routes(routes!(get_request))
        .routes(routes!(verify_identity))
        .routes(routes!(decide))
        .routes(routes!(download_export))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRequest {
    pub kind: RequestKind,
    /// The order's reference, e.g. `KS-2026-000123` (any case; surrounding blanks are dropped).
    #[schema(pattern = r"^[ \t\n\f\r]*[A-Za-z0-9-]{1,40}[ \t\n\f\r]*$")]
    pub order_reference: String,
    /// The requester's relationship to the subject (`self` for the subject of a living twin).
    pub relationship_to_subject: Relationship,
    /// What the requester asks, in their words.
    pub details: Option<String>,
    /// Required for `correction`.
    pub corrections: Option<Corrections>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityView {
    pub method: String,
    pub note: Option<String>,
    pub verified_by: Option<Uuid>,
    pub verified_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DataRequestView {
    pub id: Uuid,
    pub kind: RequestKind,
    /// The order's reference as the requester gave it.
    pub order_reference: String,
    /// The order the reference names. Shown to reviewers and admins (absent when it matched
    /// no order), and to the requester once their identity is verified — at once if they are
    /// the order's own customer.
    pub order_id: Option<Uuid>,
    pub requester_id: Uuid,
    pub relationship_to_subject: String,
    pub details: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub corrections: Option<serde_json::Value>,
    pub status: RequestStatus,
    pub identity: Option<IdentityView>,
    pub decision: Option<DecisionView>,
    /// For a completed access or copy request: `GET …/export` downloads it.
    pub export_ready: bool,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl DataRequestView {
    /// The request as its reader may see it: `reveal_order` says whether they may learn
    /// which order it names.
    fn new(r: &DataRequestRow, reveal_order: bool) -> AppResult<Self> {
        Ok(Self {
            id: r.id,
            kind: r.kind,
            order_reference: r.order_reference.clone(),
            order_id: r.order_id.filter(|_| reveal_order),
            requester_id: r.requester_id,
            relationship_to_subject: r.relationship.clone(),
            details: r.details.clone(),
            corrections: r.corrections.clone(),
            status: r.status,
            identity: r.identity_method.as_ref().map(|m| IdentityView {
                method: m.as_str().to_owned(),
                note: r.identity_note.clone(),
                verified_by: r.identity_verified_by,
                verified_at: r.identity_verified_at,
            }),
            decision: r.decided_at.map(|at| DecisionView {
                decided_by: r.decided_by,
                decided_at: Some(at),
                reason: r.decision_reason.clone(),
            }),
            export_ready: r.export_key.is_some(),
            completed_at: r.completed_at,
            created_at: r.created_at,
        })
    }
}

/// What a requester who is not the order's customer is told: that the request is queued for
/// identity verification — nothing about the order, not even whether the reference exists.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedRequest {
    /// The request's own id: `GET /api/v1/data-requests/{id}` follows it.
    pub id: Uuid,
    pub kind: RequestKind,
    /// The reference as it was read (trimmed, upper case).
    pub order_reference: String,
    /// Always `submitted`.
    pub status: RequestStatus,
    /// What happens next, in words.
    pub next_step: String,
}

const QUEUED_NEXT_STEP: &str = "Your request is queued. A reviewer will first verify who you \
     are and your relationship to the person the order is about; nothing about the order is \
     looked at or shared before that. The reviewer will contact you.";

/// File a data-rights request about an order (anyone signed in). The order's own customer
/// gets the request back (201). Anyone else — a close relative of the deceased may file too —
/// gets the same 202 whether the reference exists or not, and learns nothing about the order
/// until a reviewer has verified who they are.
#[utoipa::path(
    post, path = "/api/v1/data-requests", tag = "data-rights",
    request_body = FileRequest,
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 201, description = "Filed by the order's customer: a reviewer verifies the requester's identity next", body = DataRequestView),
        (status = 202, description = "Filed by someone else: queued for identity verification (the same answer whether the reference exists or not)", body = QueuedRequest),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 409, description = "request_open (the same request is already open), too_many_open_requests, order_erased (the customer's own order)", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "invalid_reference, corrections_required, corrections_not_taken, details_too_long, invalid_intake (a correction that is not valid), invalid_body", body = Problem),
    )
)]
async fn file_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<FileRequest>,
) -> AppResult<Response> {
    let command = requests::FileCommand {
        kind: req.kind,
        order_reference: req.order_reference,
        relationship_to_subject: req.relationship_to_subject,
        details: req.details,
        corrections: req.corrections,
    };
    let requests::Filed { row, by_customer } =
        requests::file(&state.db, &caller.acting(), command).await?;
    if by_customer {
        let view = DataRequestView::new(&row, true)?;
        return Ok((StatusCode::CREATED, Json(view)).into_response());
    }
    let queued = QueuedRequest {
        id: row.id,
        kind: row.kind,
        status: row.status,
        order_reference: row.order_reference,
        next_step: QUEUED_NEXT_STEP.to_owned(),
    };
    Ok((StatusCode::ACCEPTED, Json(queued)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    pub status: Option<RequestStatus>,
    /// The last id of the previous page.
    pub after: Option<Uuid>,
    /// Page size, 1–100 (default 50); anything else is refused with 422 `invalid_limit`.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DataRequestPage {
    pub items: Vec<DataRequestView>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<Uuid>,
}

/// The queue, oldest first: every request for reviewers and admins, one's own for anyone else.
#[utoipa::path(
    get, path = "/api/v1/data-requests", tag = "data-rights",
    params(QueueParams),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "A page of requests", body = DataRequestPage),
        (status = 400, description = "Malformed query", body = Problem),
        (status = 422, description = "limit out of range", body = Problem),
    )
)]
async fn list_requests(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<QueueParams>,
) -> AppResult<Json<DataRequestPage>> {
    let limit = u64::from(super::paging::limit(params.limit, 50, 100)?);
    let seen = requests::page(
        &state.db,
        &caller.acting(),
        params.status,
        params.after,
        limit,
    )
    .await?;
    let next = (seen.len() as u64 == limit)
        .then(|| seen.last().map(|s| s.row.id))
        .flatten();
    let items = seen
        .iter()
        .map(|s| DataRequestView::new(&s.row, s.reveals_order))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Json(DataRequestPage { items, next }))
}

#[utoipa::path(
    get, path = "/api/v1/data-requests/{rid}", tag = "data-rights",
    params(("rid" = Uuid, Path, description = "Request id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "The request", body = DataRequestView),
        (status = 404, description = "No such request (or not yours)", body = Problem),
    )
)]
async fn get_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<DataRequestView>> {
    let seen = requests::get(&state.db, &caller.acting(), id).await?;
    Ok(Json(DataRequestView::new(&seen.row, seen.reveals_order)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityCheck {
    /// account_session (the order's own customer only), id_document, video_call, in_person.
    pub method: IdentityMethod,
    /// What was checked (e.g. which document); kept with the request.
    pub note: Option<String>,
}

/// Record how the requester's identity was verified (a reviewer).
#[utoipa::path(
    post, path = "/api/v1/data-requests/{rid}/identity", tag = "data-rights",
    request_body = IdentityCheck,
    params(("rid" = Uuid, Path, description = "Request id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "reviewers_only, separation_of_duties", body = Problem),
        (status = 200, description = "Recorded", body = DataRequestView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 404, description = "No such request", body = Problem),
        (status = 409, description = "Not a submitted request (invalid_transition), or its reference matches no order (no_matching_order)", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "method_insufficient (signing in proves only the order's customer), invalid_body", body = Problem),
    )
)]
async fn verify_identity(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<IdentityCheck>,
) -> AppResult<Json<DataRequestView>> {
    let check = requests::IdentityCheck {
        method: req.method,
        note: req.note,
    };
    let row = requests::verify_identity(&state, &caller.acting(), id, check).await?;
    Ok(Json(DataRequestView::new(&row, true)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub decision: RequestDecision,
    /// Mandatory for approval and denial alike.
    pub reason: Option<String>,
}

/// Approve or deny (a reviewer, with a reason). Approval carries the request out: an access or
/// copy request gets its export, a correction is applied, an erasure erases the order.
#[utoipa::path(
    post, path = "/api/v1/data-requests/{rid}/decision", tag = "data-rights",
    request_body = DecisionBody,
    params(("rid" = Uuid, Path, description = "Request id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "reviewers_only, separation_of_duties", body = Problem),
        (status = 200, description = "Decided (and carried out when approved)", body = DataRequestView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 404, description = "No such request", body = Problem),
        (status = 409, description = "identity not verified yet, or already decided (invalid_transition); approving a request whose reference matches no order (no_matching_order); order_erased", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "reason_required, reason_too_long, invalid_intake (the correction is no longer valid)", body = Problem),
    )
)]
async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<DecisionBody>,
) -> AppResult<Json<DataRequestView>> {
    let reason = req.reason.as_deref();
    let row = requests::decide(&state, &caller.acting(), id, req.decision, reason).await?;
    Ok(Json(DataRequestView::new(&row, true)?))
}

/// Download a completed access or copy request's export: the JSON document and a link to each
/// file still held (the requester; links ≤ 15 minutes; audited).
#[utoipa::path(
    get, path = "/api/v1/data-requests/{rid}/export", tag = "data-rights",
    params(("rid" = Uuid, Path, description = "Request id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "Links to the export and the files", body = ExportDownload),
        (status = 404, description = "No such request (or not yours)", body = Problem),
        (status = 409, description = "no_export: not a completed access or copy request", body = Problem),
        (status = 410, description = "export_gone: the order was erased since", body = Problem),
    )
)]
async fn download_export(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<ExportDownload>> {
    let links = requests::export_links(&state, &caller.acting(), id).await?;
    Ok(Json(links))
}
