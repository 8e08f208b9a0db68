//! `/api/v1/data-requests`: the data-rights queue (PRODUCT.md, "Data-rights requests").
//!
//! Anyone signed in files a request about an order they name by reference — its customer, or
//! a close relative of the deceased. A reviewer records how the requester's identity was
//! verified, then approves or denies with a mandatory reason; approval carries the request
//! out at once: an export (access, copy), the correction of the subject's details, or the
//! order's erasure. Each step is a conditional update with its audit event.
//!
//! References are sequential, so they can be guessed. A requester who is not the order's
//! customer therefore gets one answer whatever they name: `202`, "queued for identity
//! verification", the request stored (with the order when the reference matched one, without
//! when not) and audited — the same work, the same body. Their correction is checked only by
//! itself, never against the order's stored details, and they see which order their request
//! names only once a reviewer has verified who they are. A reviewer denies a request whose
//! reference matched nothing.

use crate::db::WriteTransaction;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, RequestId};
use super::samples::Download;
use super::session::{Caller, refuse};
use crate::audit::{self, Target};
use crate::db::{self, data_requests::DataRequestRow, orders::OrderRecord};
use crate::domain::account::Role;
use crate::domain::data_rights::{
    self, IdentityMethod, RequestDecision, RequestKind, RequestStatus,
};
use crate::domain::order::{OrderStatus, Relationship};
use crate::domain::sample::{SampleStatus, UploadPurpose};
use crate::error::{AppError, AppResult, Problem};
use crate::orders;
use crate::privacy::{erasure, export};
use crate::state::AppState;

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
    /// 1 to 200 characters once surrounding blanks are dropped.
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub death_date: Option<NaiveDate>,
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
            kind: r.kind()?,
            order_reference: r.order_reference.clone(),
            order_id: r.order_id.filter(|_| reveal_order),
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

/// Whether `caller` may learn which order `row` names: the studio's reviewers and admins
/// always; the requester once their identity is verified, or at once when `owns_order` (they
/// are its customer).
fn reveals_order(caller: &Caller, row: &DataRequestRow, owns_order: bool) -> bool {
    is_reviewer_or_admin(caller) || row.identity_verified_at.is_some() || owns_order
}

fn is_reviewer_or_admin(caller: &Caller) -> bool {
    caller.user.has(Role::Reviewer) || caller.user.has(Role::Admin)
}

const MAX_DETAILS_CHARS: usize = 4000;

/// How many requests one person may have open at once: a bound on what anyone can put in
/// the reviewers' queue (the same answer whether the references they name exist or not).
const MAX_OPEN_REQUESTS: u64 = 10;

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
    request_id: RequestId,
    ApiJson(req): ApiJson<FileRequest>,
) -> AppResult<Response> {
    let reference = data_rights::normalize_reference(&req.order_reference).ok_or_else(|| {
        AppError::unprocessable(
            "invalid_reference",
            "order_reference is an order's reference such as KS-2026-000123",
        )
    })?;
    let details = filed_details(req.details)?;
    let order = db::orders::find_by_reference(&state.db, &reference).await?;
    let own_order = order
        .as_ref()
        .filter(|o| o.customer_id == Some(caller.user.id));
    let corrections = match own_order {
        Some(order) => {
            if order.erased_at.is_some() {
                return Err(AppError::conflict(
                    "order_erased",
                    "this order was erased: the studio holds no personal data of it any more",
                ));
            }
            filed_corrections(req.kind, req.corrections, Some(order))?
        }
        None => filed_corrections(req.kind, req.corrections, None)?,
    };
    let new = db::data_requests::NewRequest {
        id: Uuid::now_v7(),
        kind: req.kind,
        order_id: order.as_ref().map(|o| o.id),
        order_reference: reference,
        requester_id: caller.user.id,
        relationship: req.relationship_to_subject.as_str().to_owned(),
        details,
        corrections,
        now: db::now(),
    };
    let by_customer = own_order.is_some();
    let row = insert_with_audit(&state, &caller, new, by_customer, request_id.0).await?;
    if by_customer {
        let view = DataRequestView::new(&row, true)?;
        return Ok((StatusCode::CREATED, Json(view)).into_response());
    }
    let queued = QueuedRequest {
        id: row.id,
        kind: row.kind()?,
        status: row.status()?,
        order_reference: row.order_reference,
        next_step: QUEUED_NEXT_STEP.to_owned(),
    };
    Ok((StatusCode::ACCEPTED, Json(queued)).into_response())
}

fn filed_details(details: Option<String>) -> AppResult<Option<String>> {
    let details = details
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
    Ok(details)
}

/// A correction's fields, checked against the order only when it is the requester's own
/// (`own_order`); anyone else's is checked by itself, so its answer never depends on what
/// the order holds.
fn filed_corrections(
    kind: RequestKind,
    corrections: Option<Corrections>,
    own_order: Option<&OrderRecord>,
) -> AppResult<Option<serde_json::Value>> {
    let c = match (kind, corrections) {
        (RequestKind::Correction, Some(c))
            if c.name.is_some() || c.birth_date.is_some() || c.death_date.is_some() =>
        {
            c
        }
        (RequestKind::Correction, _) => {
            return Err(AppError::unprocessable(
                "corrections_required",
                "a correction names the subject details to correct (name, birth_date, death_date)",
            ));
        }
        (_, Some(_)) => {
            // Not dropped unread: the requester meant something by them, and should know
            // that only a correction request changes the order's details.
            return Err(AppError::Unprocessable {
                code: "corrections_not_taken",
                detail: "only a correction request takes corrections; file one with kind \
                         `correction`"
                    .into(),
                extra: Some(serde_json::Map::from_iter([(
                    "field".to_owned(),
                    "corrections".into(),
                )])),
            });
        }
        (_, None) => return Ok(None),
    };
    match own_order {
        Some(order) => orders::validate(
            &corrected(order, &c).subject,
            &order.intake,
            &order.jurisdiction,
        )?,
        None => data_rights::check_correction_alone(
            c.name.as_deref(),
            c.birth_date,
            c.death_date,
            Utc::now().date_naive(),
        )
        .map_err(|(field, reason)| AppError::Unprocessable {
            code: "invalid_intake",
            detail: format!("{field}: {reason}"),
            extra: Some(serde_json::Map::from_iter([(
                "field".to_owned(),
                field.into(),
            )])),
        })?,
    }
    Ok(Some(serde_json::to_value(c).map_err(AppError::internal)?))
}

/// Store the request with its audit event: on the order when the reference matched one, on
/// the request itself otherwise. The same work either way.
async fn insert_with_audit(
    state: &AppState,
    caller: &Caller,
    new: db::data_requests::NewRequest,
    by_customer: bool,
    request_id: Option<String>,
) -> AppResult<DataRequestRow> {
    let actor = caller.actor();
    state
        .db
        .write_transaction::<_, DataRequestRow, AppError>(|txn| {
            Box::pin(async move {
                let requester = new.requester_id;
                // The insert comes first (the write lock before any read); too many open
                // requests roll it back.
                let row = db::data_requests::insert(txn, new).await.map_err(|err| {
                    if db::is_unique_violation(&err) {
                        AppError::conflict(
                            "request_open",
                            "you already have an open request of this kind for this reference",
                        )
                    } else {
                        err.into()
                    }
                })?;
                if db::data_requests::open_count(txn, requester).await? > MAX_OPEN_REQUESTS {
                    return Err(AppError::conflict(
                        "too_many_open_requests",
                        format!(
                            "you have {MAX_OPEN_REQUESTS} requests waiting for a reviewer; file \
                             more once they are answered"
                        ),
                    ));
                }
                let detail = serde_json::json!({
                    "request_id": row.id,
                    "kind": row.kind,
                    "by_customer": by_customer,
                    "reference_matched": row.order_id.is_some(),
                });
                audit::record(
                    txn,
                    &actor,
                    "data_request.filed",
                    request_target(&row),
                    request_id.as_deref(),
                    detail,
                )
                .await?;
                Ok(row)
            })
        })
        .await
        .map_err(Into::into)
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
    let named: Vec<Uuid> = rows.iter().filter_map(|r| r.order_id).collect();
    let owned = db::data_requests::orders_of(&state.db, caller.user.id, &named).await?;
    let items = rows
        .iter()
        .map(|r| {
            let owns = r.order_id.is_some_and(|id| owned.contains(&id));
            DataRequestView::new(r, reveals_order(&caller, r, owns))
        })
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
        Err(refuse(state, caller, request_target(&row), not_found()).await)
    }
}

/// What a request's audit events are about: its order when the reference matched one, the
/// request itself otherwise.
fn request_target(row: &DataRequestRow) -> Target {
    row.order_id.map_or(
        Target {
            kind: "data_request",
            id: row.id,
        },
        Target::order,
    )
}

/// The request as `caller` may see it.
async fn view_for(
    state: &AppState,
    caller: &Caller,
    row: &DataRequestRow,
) -> AppResult<Json<DataRequestView>> {
    let named: Vec<Uuid> = row.order_id.into_iter().collect();
    let owns = !db::data_requests::orders_of(&state.db, caller.user.id, &named)
        .await?
        .is_empty();
    Ok(Json(DataRequestView::new(
        row,
        reveals_order(caller, row, owns),
    )?))
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
    view_for(&state, &caller, &row).await
}

/// The request, if the caller may act on it as its reviewer: a reviewer who did not file it,
/// is not the order's customer and never worked on the order as staff. The order is absent
/// when the reference matched none.
async fn load_for_reviewer(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> AppResult<(DataRequestRow, Option<OrderRecord>)> {
    let row = load_visible(state, caller, id).await?;
    let order = match row.order_id {
        Some(order_id) => Some(
            db::orders::find(&state.db, order_id)
                .await?
                .ok_or_else(|| AppError::internal("a data request's order is missing"))?,
        ),
        None => None,
    };
    let own = order
        .as_ref()
        .is_some_and(|o| o.customer_id == Some(caller.user.id));
    let (code, detail) = if !caller.user.has(Role::Reviewer) {
        ("reviewers_only", "reviewers handle data-rights requests")
    } else if row.requester_id == caller.user.id || own {
        (
            "separation_of_duties",
            "another reviewer must handle your own request or order",
        )
    } else if let Some(order) = &order
        && orders::worked_on(&state.db, &caller.acting(), order).await?
    {
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
    Err(refuse(state, caller, request_target(&row), refusal).await)
}

/// The order a request names, for a step that needs one: a request whose reference matched
/// no order can only be denied.
fn matched(order: Option<OrderRecord>) -> AppResult<OrderRecord> {
    order.ok_or_else(|| {
        AppError::conflict(
            "no_matching_order",
            "the reference matches no order: deny the request, telling the requester why",
        )
    })
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
    request_id: RequestId,
    ApiJson(req): ApiJson<IdentityCheck>,
) -> AppResult<Json<DataRequestView>> {
    let (row, order) = load_for_reviewer(&state, &caller, id).await?;
    let order = matched(order)?;
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
        Some(n) => Some(orders::required_text(Some(n), "note", "an identity note")?),
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
    request_id: RequestId,
    ApiJson(req): ApiJson<DecisionBody>,
) -> AppResult<Json<DataRequestView>> {
    let (row, order) = load_for_reviewer(&state, &caller, id).await?;
    let reason = orders::required_text(
        req.reason.as_deref(),
        "reason",
        "a decision on a data-rights request",
    )?;
    let from = row.status()?;
    if req.decision == RequestDecision::Approve {
        let order = matched(order)?;
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
    let order_id = row
        .order_id
        .ok_or_else(|| AppError::internal("an approved data request names no order"))?;
    let order = db::orders::find(&state.db, order_id)
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
            orders::validate(&change.subject, &change.intake, &change.jurisdiction)?;
            let fields: Vec<&str> = [
                corrections.name.as_ref().map(|_| "name"),
                corrections.birth_date.map(|_| "birth_date"),
                corrections.death_date.map(|_| "death_date"),
            ]
            .into_iter()
            .flatten()
            .collect();
            let detail = serde_json::json!({ "request_id": row.id, "fields": fields });
            orders::apply(
                &state.db,
                &caller.acting(),
                order,
                order.version,
                change,
                "order.corrected",
                detail,
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
    let (id, target, actor, now) = (row.id, request_target(row), caller.actor(), db::now());
    let (requester, order_id, mut detail) = (row.requester_id, row.order_id, detail);
    state
        .db
        .write_transaction::<_, (), AppError>(|txn| {
            Box::pin(async move {
                // Whether the order's own customer asked: their timeline shows their requests.
                let named: Vec<Uuid> = order_id.into_iter().collect();
                let owned = db::data_requests::orders_of(txn, requester, &named).await?;
                detail["by_customer"] = (!owned.is_empty()).into();
                if !db::data_requests::advance(txn, id, from, to, step, now).await? {
                    return Err(AppError::conflict(
                        "invalid_transition",
                        "the request changed meanwhile; read it again",
                    ));
                }
                audit::record(txn, &actor, event, target, request_id.as_deref(), detail).await?;
                Ok(())
            })
        })
        .await
        .map_err(Into::into)
}

/// The request after a reviewer's step, as the reviewer sees it.
async fn reload(state: &AppState, id: Uuid) -> AppResult<Json<DataRequestView>> {
    let row = db::data_requests::find(&state.db, id)
        .await?
        .ok_or_else(|| AppError::internal("a data request vanished"))?;
    Ok(Json(DataRequestView::new(&row, true)?))
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
        request: state
            .store
            .presign_get(&key, ttl, &format!("export-{}.json", row.id))
            .await?,
        expires_at,
    };
    let order_id = row
        .order_id
        .ok_or_else(|| AppError::internal("an exported data request names no order"))?;
    let order = db::orders::find(&state.db, order_id)
        .await?
        .ok_or_else(|| AppError::internal("a data request's order is missing"))?;
    let delivered = matches!(order.status, OrderStatus::Delivered | OrderStatus::Closed);
    let mut files = Vec::new();
    for purpose in [UploadPurpose::Sample, UploadPurpose::Deliverable] {
        if purpose == UploadPurpose::Deliverable && !delivered {
            continue;
        }
        for file in db::samples::list_for_order(&state.db, purpose, order_id).await? {
            if file.status != SampleStatus::Verified.as_str() || file.purged_at.is_some() {
                continue;
            }
            // Each file's link is audited like any download of it.
            let detail = serde_json::json!({ "order_id": order_id, "data_request_id": id });
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
    let detail = serde_json::json!({
        "request_id": id, "files": files.len(), "expires_at": expires_at,
        "by_customer": order.customer_id == Some(row.requester_id),
    });
    audit::record(
        &state.db,
        &caller.actor(),
        "data_request.export_downloaded",
        Target::order(order_id),
        request_id.as_deref(),
        detail,
    )
    .await?;
    Ok(Json(ExportDownload { export, files }))
}
