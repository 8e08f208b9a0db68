//! `/api/v1/data-requests`: the data-rights queue (PRODUCT.md, "Data-rights requests").
//!
//! Anyone signed in files a request about an order they name by reference — its customer, or
//! a close relative of the deceased. A reviewer records how the requester's identity was
//! verified, then approves or denies with a mandatory reason; approval carries the request
//! out at once: an export (access, copy), the correction of the subject's details, or the
//! order's erasure. Each step is a conditional update with its audit event.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, RequestId};
use super::orders::{apply_change, required_text, validate};
use super::samples::Download;
use super::session::{Caller, refuse};
use crate::app::AppState;
use crate::audit::{self, Target};
use crate::db::{self, data_requests::DataRequestRow, orders::OrderRecord};
use crate::domain::account::Role;
use crate::domain::data_rights::{
    self, IdentityMethod, RequestDecision, RequestKind, RequestStatus,
};
use crate::domain::order::{OrderStatus, Relationship};
use crate::domain::sample::{SampleStatus, UploadPurpose};
use crate::error::{AppError, AppResult, Problem};
use crate::privacy::{erasure, export};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(file_request, list_requests))
        .routes(routes!(get_request))
        .routes(routes!(verify_identity))
        .routes(routes!(decide))
        .routes(routes!(download_export))
}

/// Subject details a correction asks to change (only those given change).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Corrections {
    pub name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub death_date: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRequest {
    pub kind: RequestKind,
    /// The order's reference, e.g. `KS-2026-000123`.
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
    pub order_id: Uuid,
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

impl TryFrom<&DataRequestRow> for DataRequestView {
    type Error = AppError;
    fn try_from(r: &DataRequestRow) -> AppResult<Self> {
        Ok(Self {
            id: r.id,
            kind: r.kind()?,
            order_id: r.order_id,
            requester_id: r.requester_id,
            relationship_to_subject: r.relationship.clone(),
            details: r.details.clone(),
            corrections: r.corrections.clone(),
            status: r.status()?,
            identity: r.identity_method.as_ref().map(|m| IdentityView {
                method: m.clone(),
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

fn is_reviewer_or_admin(caller: &Caller) -> bool {
    caller.user.has(Role::Reviewer) || caller.user.has(Role::Admin)
}

const MAX_DETAILS_CHARS: usize = 4000;

/// File a data-rights request about an order (anyone signed in).
#[utoipa::path(
    post, path = "/api/v1/data-requests", tag = "data-rights",
    request_body = FileRequest,
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 201, description = "Filed: a reviewer verifies the requester's identity next", body = DataRequestView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 404, description = "No order has this reference", body = Problem),
        (status = 409, description = "request_open (the same request is already open), order_erased", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "corrections_required, details_too_long, invalid_intake (a correction that is not valid), invalid_body", body = Problem),
    )
)]
async fn file_request(
    State(state): State<AppState>,
    caller: Caller,
    request_id: RequestId,
    ApiJson(req): ApiJson<FileRequest>,
) -> AppResult<(StatusCode, Json<DataRequestView>)> {
    let order = db::orders::find_by_reference(&state.db, req.order_reference.trim())
        .await?
        .ok_or_else(|| AppError::not_found("order_not_found", "no order has this reference"))?;
    if order.erased_at.is_some() {
        return Err(AppError::conflict(
            "order_erased",
            "this order was erased: the studio holds no personal data of it any more",
        ));
    }
    let details = req
        .details
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if details
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DETAILS_CHARS)
    {
        return Err(AppError::unprocessable(
            "details_too_long",
            format!("details are at most {MAX_DETAILS_CHARS} characters"),
        ));
    }
    let corrections = match (req.kind, req.corrections) {
        (RequestKind::Correction, Some(c))
            if c.name.is_some() || c.birth_date.is_some() || c.death_date.is_some() =>
        {
            validate(
                &corrected(&order, &c).subject,
                &order.intake,
                &order.jurisdiction,
            )?;
            Some(serde_json::to_value(c).map_err(AppError::internal)?)
        }
        (RequestKind::Correction, _) => {
            return Err(AppError::unprocessable(
                "corrections_required",
                "a correction names the subject details to correct (name, birth_date, death_date)",
            ));
        }
        _ => None,
    };
    let new = db::data_requests::NewRequest {
        id: Uuid::now_v7(),
        kind: req.kind,
        order_id: order.id,
        requester_id: caller.user.id,
        relationship: req.relationship_to_subject.as_str().to_owned(),
        details,
        corrections,
        now: db::now(),
    };
    let (actor, request_id) = (caller.actor(), request_id.0);
    let row = state
        .db
        .transaction::<_, DataRequestRow, AppError>(|txn| {
            Box::pin(async move {
                let row = db::data_requests::insert(txn, new).await.map_err(|err| {
                    if db::is_unique_violation(&err) {
                        AppError::conflict(
                            "request_open",
                            "you already have an open request of this kind for this order",
                        )
                    } else {
                        err.into()
                    }
                })?;
                let detail = serde_json::json!({ "request_id": row.id, "kind": row.kind });
                audit::record(
                    txn,
                    &actor,
                    "data_request.filed",
                    Target::order(row.order_id),
                    request_id.as_deref(),
                    detail,
                )
                .await?;
                Ok(row)
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(DataRequestView::try_from(&row)?)))
}

/// The order as a correction would leave it.
fn corrected(order: &OrderRecord, c: &Corrections) -> db::orders::OrderChange {
    let mut change = order.unchanged(db::now());
    if let Some(name) = &c.name {
        change.subject.name = name.trim().to_owned();
    }
    if let Some(date) = c.birth_date {
        change.subject.birth_date = Some(date);
    }
    if let Some(date) = c.death_date {
        change.subject.death_date = Some(date);
    }
    change
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
    let requester = (!is_reviewer_or_admin(&caller)).then_some(caller.user.id);
    let rows =
        db::data_requests::page(&state.db, params.status, requester, params.after, limit).await?;
    let next = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let items = rows
        .iter()
        .map(DataRequestView::try_from)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Json(DataRequestPage { items, next }))
}

/// A request the caller may see: their own, or any for reviewers and admins (404 otherwise).
async fn load_visible(state: &AppState, caller: &Caller, id: Uuid) -> AppResult<DataRequestRow> {
    let not_found = || AppError::not_found("request_not_found", "no such request");
    let row = db::data_requests::find(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    if row.requester_id == caller.user.id || is_reviewer_or_admin(caller) {
        Ok(row)
    } else {
        Err(refuse(state, caller, Target::order(row.order_id), not_found()).await)
    }
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
    let row = load_visible(&state, &caller, id).await?;
    Ok(Json(DataRequestView::try_from(&row)?))
}

/// The request, if the caller may act on it as its reviewer: a reviewer who did not file it,
/// is not the order's customer and never worked on the order as staff.
async fn load_for_reviewer(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> AppResult<(DataRequestRow, OrderRecord)> {
    let row = load_visible(state, caller, id).await?;
    let order = db::orders::find(&state.db, row.order_id)
        .await?
        .ok_or_else(|| AppError::internal("a data request's order is missing"))?;
    let (code, detail) = if !caller.user.has(Role::Reviewer) {
        ("reviewers_only", "reviewers handle data-rights requests")
    } else if row.requester_id == caller.user.id || order.customer_id == Some(caller.user.id) {
        (
            "separation_of_duties",
            "another reviewer must handle your own request or order",
        )
    } else if super::orders::worked_on(state, caller, &order).await? {
        (
            "separation_of_duties",
            "you worked on this order as staff; another reviewer must decide",
        )
    } else {
        return Ok((row, order));
    };
    let refusal = AppError::Forbidden {
        code,
        detail: detail.into(),
    };
    Err(refuse(state, caller, Target::order(row.order_id), refusal).await)
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
        (status = 409, description = "Not a submitted request (invalid_transition)", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "method_insufficient (signing in proves only the order's customer), invalid_body", body = Problem),
    )
)]
async fn verify_identity(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    request_id: RequestId,
    ApiJson(req): ApiJson<IdentityCheck>,
) -> AppResult<Json<DataRequestView>> {
    let (row, order) = load_for_reviewer(&state, &caller, id).await?;
    let is_customer = order.customer_id == Some(row.requester_id);
    if !data_rights::method_suffices(req.method, is_customer) {
        return Err(AppError::unprocessable(
            "method_insufficient",
            "signing in proves only the account: verify a relative by document, video call or in person",
        ));
    }
    let from = row.status()?;
    let to = data_rights::after_verification(from)
        .map_err(|reason| AppError::conflict("invalid_transition", reason))?;
    let note = match req.note.as_deref() {
        Some(n) => Some(required_text(Some(n), "note", "an identity note")?),
        None => None,
    };
    let step = db::data_requests::Step {
        identity: Some((req.method.as_str().to_owned(), note, caller.user.id)),
        ..Default::default()
    };
    let detail = serde_json::json!({ "request_id": id, "method": req.method });
    step_with_audit(
        &state,
        &caller,
        &row,
        from,
        to,
        step,
        "data_request.identity_verified",
        detail,
        request_id.0,
    )
    .await?;
    reload(&state, id).await
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
        (status = 409, description = "identity not verified yet, or already decided (invalid_transition)", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "reason_required, reason_too_long, invalid_intake (the correction is no longer valid)", body = Problem),
    )
)]
async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    request_id: RequestId,
    ApiJson(req): ApiJson<DecisionBody>,
) -> AppResult<Json<DataRequestView>> {
    let (row, order) = load_for_reviewer(&state, &caller, id).await?;
    let reason = required_text(
        req.reason.as_deref(),
        "reason",
        "a decision on a data-rights request",
    )?;
    let from = row.status()?;
    if req.decision == RequestDecision::Approve {
        if order.erased_at.is_some() && row.kind()? != RequestKind::Erasure {
            return Err(AppError::conflict(
                "order_erased",
                "the order was erased since this request was filed: there is nothing left to \
                 export or correct; deny it with that reason",
            ));
        }
        if from == RequestStatus::Approved {
            // Approved before, but carrying it out failed: try again.
            carry_out(&state, &caller, &row, request_id.0).await?;
            return reload(&state, id).await;
        }
    }
    let to = data_rights::after_decision(from, req.decision)
        .map_err(|reason| AppError::conflict("invalid_transition", reason))?;
    let step = db::data_requests::Step {
        decision: Some((caller.user.id, reason)),
        ..Default::default()
    };
    let detail = serde_json::json!({ "request_id": id, "decision": req.decision });
    let event = match req.decision {
        RequestDecision::Approve => "data_request.approved",
        RequestDecision::Deny => "data_request.denied",
    };
    step_with_audit(
        &state,
        &caller,
        &row,
        from,
        to,
        step,
        event,
        detail,
        request_id.0.clone(),
    )
    .await?;
    if req.decision == RequestDecision::Approve {
        carry_out(&state, &caller, &row, request_id.0).await?;
    }
    reload(&state, id).await
}

/// Do what an approved request asks, then mark it completed (with its audit event). The order
/// is read afresh: it may have changed since the request was read. A failure leaves the
/// request approved; approving it again retries.
async fn carry_out(
    state: &AppState,
    caller: &Caller,
    row: &DataRequestRow,
    request_id: Option<String>,
) -> AppResult<()> {
    let order = db::orders::find(&state.db, row.order_id)
        .await?
        .ok_or_else(|| AppError::internal("a data request's order is missing"))?;
    let order = &order;
    let now = db::now();
    let mut step = db::data_requests::Step {
        completed: true,
        ..Default::default()
    };
    match row.kind()? {
        RequestKind::Access | RequestKind::Copy => {
            if order.erased_at.is_some() {
                return Err(AppError::conflict("order_erased", "the order was erased"));
            }
            let for_customer = order.customer_id == Some(row.requester_id);
            step.export_key = Some(export::write(state, order, row.id, for_customer, now).await?);
        }
        RequestKind::Correction => {
            let corrections: Corrections = row
                .corrections
                .clone()
                .map(serde_json::from_value)
                .transpose()
                .map_err(AppError::internal)?
                .unwrap_or_default();
            let change = corrected(order, &corrections);
            validate(&change.subject, &change.intake, &change.jurisdiction)?;
            let fields: Vec<&str> = [
                corrections.name.as_ref().map(|_| "name"),
                corrections.birth_date.map(|_| "birth_date"),
                corrections.death_date.map(|_| "death_date"),
            ]
            .into_iter()
            .flatten()
            .collect();
            let detail = serde_json::json!({ "request_id": row.id, "fields": fields });
            apply_change(
                state,
                caller,
                order,
                order.version,
                change,
                "order.corrected",
                detail,
                request_id.as_deref(),
            )
            .await?;
        }
        RequestKind::Erasure => {
            erasure::request(
                state,
                order.id,
                "data_rights_request",
                &caller.actor(),
                request_id.as_deref(),
            )
            .await?;
        }
    }
    let detail = serde_json::json!({ "request_id": row.id, "kind": row.kind });
    step_with_audit(
        state,
        caller,
        row,
        RequestStatus::Approved,
        RequestStatus::Completed,
        step,
        "data_request.completed",
        detail,
        request_id,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn step_with_audit(
    state: &AppState,
    caller: &Caller,
    row: &DataRequestRow,
    from: RequestStatus,
    to: RequestStatus,
    step: db::data_requests::Step,
    event: &'static str,
    detail: serde_json::Value,
    request_id: Option<String>,
) -> AppResult<()> {
    let (id, order_id, actor, now) = (row.id, row.order_id, caller.actor(), db::now());
    state
        .db
        .transaction::<_, (), AppError>(|txn| {
            Box::pin(async move {
                if !db::data_requests::advance(txn, id, from, to, step, now).await? {
                    return Err(AppError::conflict(
                        "invalid_transition",
                        "the request changed meanwhile; read it again",
                    ));
                }
                audit::record(
                    txn,
                    &actor,
                    event,
                    Target::order(order_id),
                    request_id.as_deref(),
                    detail,
                )
                .await?;
                Ok(())
            })
        })
        .await
        .map_err(Into::into)
}

async fn reload(state: &AppState, id: Uuid) -> AppResult<Json<DataRequestView>> {
    let row = db::data_requests::find(&state.db, id)
        .await?
        .ok_or_else(|| AppError::internal("a data request vanished"))?;
    Ok(Json(DataRequestView::try_from(&row)?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportFile {
    pub id: Uuid,
    /// sample or deliverable.
    pub purpose: String,
    pub kind: String,
    pub file_name: String,
    pub download: Download,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportDownload {
    /// The export document (JSON).
    pub export: Download,
    /// The order's files still held, each with its own short-lived link.
    pub files: Vec<ExportFile>,
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
    request_id: RequestId,
) -> AppResult<Json<ExportDownload>> {
    let row = load_visible(&state, &caller, id).await?;
    if row.requester_id != caller.user.id {
        return Err(AppError::not_found("request_not_found", "no such request"));
    }
    let Some(key) = row.export_key.clone() else {
        return Err(AppError::conflict(
            "no_export",
            "only a completed access or copy request has an export",
        ));
    };
    if state.store.head(&key).await?.is_none() {
        return Err(AppError::Gone {
            code: "export_gone",
            detail: "the order was erased since this export was made".into(),
        });
    }
    let ttl = std::time::Duration::from_secs(state.settings.uploads.url_ttl_secs);
    let expires_at =
        db::now() + chrono::Duration::seconds(i64::try_from(ttl.as_secs()).unwrap_or(900));
    let export = Download {
        request: state.store.presign_get(&key, ttl).await?,
        expires_at,
    };
    let order = db::orders::find(&state.db, row.order_id)
        .await?
        .ok_or_else(|| AppError::internal("a data request's order is missing"))?;
    let delivered = matches!(order.status, OrderStatus::Delivered | OrderStatus::Closed);
    let mut files = Vec::new();
    for purpose in [UploadPurpose::Sample, UploadPurpose::Deliverable] {
        if purpose == UploadPurpose::Deliverable && !delivered {
            continue;
        }
        for file in db::samples::list_for_order(&state.db, purpose, row.order_id).await? {
            if file.status != SampleStatus::Verified.as_str() || file.purged_at.is_some() {
                continue;
            }
            // Each file's link is audited like any download of it.
            let detail = serde_json::json!({ "order_id": row.order_id, "data_request_id": id });
            let download = super::samples::issue_download(
                &state,
                &caller,
                &file,
                &purpose.event("download_url_issued"),
                Target::sample(file.id),
                request_id.as_deref(),
                detail,
            )
            .await?;
            files.push(ExportFile {
                id: file.id,
                purpose: purpose.as_str().to_owned(),
                kind: file.kind.clone(),
                file_name: file.file_name.clone(),
                download,
            });
        }
    }
    let detail =
        serde_json::json!({ "request_id": id, "files": files.len(), "expires_at": expires_at });
    audit::record(
        &state.db,
        &caller.actor(),
        "data_request.export_downloaded",
        Target::order(row.order_id),
        request_id.as_deref(),
        detail,
    )
    .await?;
    Ok(Json(ExportDownload { export, files }))
}
