//! `/api/v1/orders`: create (idempotent), read (with ETag), list (keyset), edit the intake
//! (If-Match), and lifecycle actions such as `submit`.

use crate::db::WriteTransaction;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{
    ApiJson, ApiPath, ApiQuery, IdempotencyKey, IfMatch, OptionalJson, RequestId, etag,
};
use super::idempotent::{Once, answer_body, create_once};
use super::paging::{decode_cursor, encode_cursor};
use super::session::{Caller, refuse};
use crate::audit::{self, Target};
use crate::db::{self, orders::OrderRecord};
use crate::domain::access;
use crate::domain::account::Role;
use crate::domain::intake::{self, IntakeAnswers, Subject};
use crate::domain::order::{ActionBy, DeliveryMode, OrderAction, OrderStatus, next_status};
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_order, list_orders))
        .routes(routes!(get_order, update_order))
        .routes(routes!(order_action))
}

/// An order as clients see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    pub id: Uuid,
    /// Human reference, e.g. `KS-2026-000123`.
    pub reference: String,
    pub status: OrderStatus,
    pub delivery_mode: DeliveryMode,
    pub jurisdiction: String,
    pub subject: Subject,
    pub intake: IntakeAnswers,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// While `needs_info` or `on_hold`: the status it returns to.
    pub resume_status: Option<OrderStatus>,
    /// While `on_hold`: why.
    pub hold_reason: Option<String>,
    /// Set when consent review approves: queued, the studio's target and the promise.
    pub queued_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub promised_at: Option<DateTime<Utc>>,
    /// Set when a withdrawal stopped the order, with the time its erasure falls due.
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub erasure_due_at: Option<DateTime<Utc>>,
}

impl From<&OrderRecord> for OrderView {
    fn from(o: &OrderRecord) -> Self {
        Self {
            id: o.id,
            reference: o.reference.clone(),
            status: o.status,
            delivery_mode: o.delivery_mode,
            jurisdiction: o.jurisdiction.clone(),
            subject: o.subject.clone(),
            intake: o.intake.clone(),
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
            submitted_at: o.submitted_at,
            resume_status: o.resume_status,
            hold_reason: o.hold_reason.clone(),
            queued_at: o.queued_at,
            due_at: o.due_at,
            promised_at: o.promised_at,
            withdrawn_at: o.withdrawn_at,
            erasure_due_at: o.erasure_due_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    pub subject: Subject,
    pub delivery_mode: DeliveryMode,
    /// ISO 3166-1 alpha-2; selects the policy. Default `CN`.
    pub jurisdiction: Option<String>,
    pub intake: Option<IntakeAnswers>,
}

/// Fields present replace the stored ones; absent fields stay as they are.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrder {
    pub subject: Option<Subject>,
    pub delivery_mode: Option<DeliveryMode>,
    pub jurisdiction: Option<String>,
    pub intake: Option<IntakeAnswers>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Studio only: one customer's orders. Ignored for customers, who only ever see their own.
    pub customer_id: Option<Uuid>,
    pub status: Option<OrderStatus>,
    pub delivery_mode: Option<DeliveryMode>,
    /// Cursor from the previous page's `next`.
    /// An opaque cursor: the `next` of the previous page (22 URL-safe base64 characters).
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub after: Option<String>,
    /// Page size, 1–100 (default 20); anything else is refused with 422 `invalid_limit`.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderPage {
    pub items: Vec<OrderView>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next: Option<String>,
}

const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 100;

pub(crate) fn validate(
    subject: &Subject,
    intake: &IntakeAnswers,
    jurisdiction: &str,
) -> AppResult<()> {
    let today = Utc::now().date_naive();
    intake::validate_subject(subject, today)
        .and_then(|()| intake::validate_answers(intake))
        .and_then(|()| intake::validate_jurisdiction(jurisdiction))
        .map_err(|invalid| AppError::Unprocessable {
            code: "invalid_intake",
            detail: format!("{}: {}", invalid.field, invalid.reason),
            extra: Some(serde_json::Map::from_iter([(
                "field".to_owned(),
                invalid.field.into(),
            )])),
        })
}

pub(crate) fn order_response(status: StatusCode, order: &OrderRecord) -> Response {
    let mut response = (status, Json(OrderView::from(order))).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag(order.version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// Create an order in `draft`.
#[utoipa::path(
    post, path = "/api/v1/orders", tag = "orders",
    request_body = CreateOrder,
    params(IdempotencyKey),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the order's customer (or not a customer account)", body = Problem),
        (status = 201, description = "Created", body = OrderView),
        (status = 400, description = "Missing or malformed Idempotency-Key, malformed JSON", body = Problem),
        (status = 409, description = "A request with this key is still being processed", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "Invalid intake, or the key was used for a different request", body = Problem),
    )
)]
async fn create_order(
    State(state): State<AppState>,
    caller: Caller,
    IdempotencyKey(key): IdempotencyKey,
    request_id: RequestId,
    ApiJson(req): ApiJson<CreateOrder>,
) -> AppResult<Response> {
    if !access::can_place_orders(caller.who()) {
        let refusal = AppError::Forbidden {
            code: "customers_only",
            detail: "only customer accounts place orders".into(),
        };
        return Err(refuse(&state, &caller, Target::user(caller.user.id), refusal).await);
    }
    // Keys are per person: one customer's key never answers another's request.
    let owner = caller.user.id.to_string();
    let jurisdiction = req.jurisdiction.clone().unwrap_or_else(|| "CN".to_owned());
    let answers = req.intake.clone().unwrap_or_default();
    validate(&req.subject, &answers, &jurisdiction)?;

    let new = db::orders::NewOrder {
        id: Uuid::now_v7(),
        customer_id: caller.user.id,
        delivery_mode: req.delivery_mode,
        jurisdiction,
        subject: req.subject.clone(),
        intake: answers,
        now: db::now(),
    };
    let (actor, request_id) = (caller.actor(), request_id.0);
    let created = create_once(&state, &owner, &key, &req, move |txn| {
        Box::pin(async move {
            let order = db::orders::insert(txn, new).await?;
            let detail = serde_json::json!({ "reference": order.reference, "delivery_mode": order.delivery_mode });
            audit::record(txn, &actor, "order.created", Target::order(order.id), request_id.as_deref(), detail).await?;
            let body = answer_body(&OrderView::from(&order))?;
            Ok((order, body))
        })
    })
    .await?;
    let order = match created {
        Once::Created(order) => order,
        Once::Replayed(answer) => return Ok(answer),
    };
    let mut response = order_response(StatusCode::CREATED, &order);
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/orders/{}", order.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// List orders, newest first.
#[utoipa::path(
    get, path = "/api/v1/orders", tag = "orders",
    params(ListParams),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "One page of orders", body = OrderPage),
        (status = 400, description = "Unknown filter value or malformed cursor", body = Problem),
        (status = 422, description = "limit out of range", body = Problem),
    )
)]
async fn list_orders(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<OrderPage>> {
    let limit = super::paging::limit(params.limit, DEFAULT_PAGE, MAX_PAGE)?;
    let before_id = params.after.as_deref().map(decode_cursor).transpose()?;
    let customer_id = if access::sees_only_own_orders(caller.who()) {
        Some(caller.user.id)
    } else {
        params.customer_id
    };
    let filter = db::orders::ListFilter {
        customer_id,
        status: params.status,
        delivery_mode: params.delivery_mode,
        before_id,
    };
    let mut rows = db::orders::list(&state.db, &filter, u64::from(limit) + 1).await?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|o| encode_cursor(o.id))
    } else {
        None
    };
    Ok(Json(OrderPage {
        items: rows.iter().map(OrderView::from).collect(),
        next,
    }))
}

/// The order, if the caller may see it; otherwise 404, exactly as if it did not exist (a
/// refused look at an existing order is audited).
pub(crate) async fn load_order(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> AppResult<OrderRecord> {
    let not_found = || AppError::not_found("order_not_found", "no such order");
    let order = db::orders::find(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    if access::can_see_order(caller.who(), order.customer_id) {
        Ok(order)
    } else {
        Err(refuse(state, caller, Target::order(id), not_found()).await)
    }
}

/// The order, if the caller is its customer (403 for studio roles, 404 for anyone else).
pub(crate) async fn load_own_order(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> AppResult<OrderRecord> {
    let order = load_order(state, caller, id).await?;
    if access::can_act_as_customer(caller.who(), order.customer_id) {
        Ok(order)
    } else {
        let refusal = AppError::Forbidden {
            code: "not_the_customer",
            detail: "only the order's customer may do this".into(),
        };
        Err(refuse(state, caller, Target::order(id), refusal).await)
    }
}

/// Read one order; its `ETag` is what `If-Match` must carry to change it.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}", tag = "orders",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "The order", body = OrderView, headers(("ETag" = String, description = "\"v{version}\""))),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn get_order(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Response> {
    let order = load_order(&state, &caller, id).await?;
    Ok(order_response(StatusCode::OK, &order))
}

/// Edit the intake while the order is `draft` or `needs_info`.
#[utoipa::path(
    patch, path = "/api/v1/orders/{id}", tag = "orders",
    request_body = UpdateOrder,
    params(IfMatch, ("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the order's customer (or not a customer account)", body = Problem),
        (status = 200, description = "Updated", body = OrderView),
        (status = 400, description = "Malformed JSON or If-Match", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "The order is no longer editable", body = Problem),
        (status = 412, description = "The order changed since it was read", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "Invalid intake", body = Problem),
        (status = 428, description = "If-Match missing", body = Problem),
    )
)]
async fn update_order(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    if_match: IfMatch,
    request_id: RequestId,
    ApiJson(req): ApiJson<UpdateOrder>,
) -> AppResult<Response> {
    let expected = if_match.required()?;
    let order = load_own_order(&state, &caller, id).await?;
    check_version(&order, expected)?;
    if !order.status.intake_editable() {
        return Err(AppError::conflict(
            "order_not_editable",
            format!(
                "the intake can only be edited while the order is draft or needs_info; it is {}",
                order.status
            ),
        ));
    }
    let mut change = order.unchanged(db::now());
    let changed_fields: Vec<&str> = [
        req.subject.as_ref().map(|_| "subject"),
        req.delivery_mode.map(|_| "delivery_mode"),
        req.jurisdiction.as_ref().map(|_| "jurisdiction"),
        req.intake.as_ref().map(|_| "intake"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(subject) = req.subject {
        change.subject = subject;
    }
    if let Some(mode) = req.delivery_mode {
        change.delivery_mode = mode;
    }
    if let Some(jurisdiction) = req.jurisdiction {
        change.jurisdiction = jurisdiction;
    }
    if let Some(answers) = req.intake {
        change.intake = answers;
    }
    validate(&change.subject, &change.intake, &change.jurisdiction)?;

    let detail = serde_json::json!({ "fields": changed_fields });
    let updated = apply_change(
        &state,
        &caller,
        &order,
        expected,
        change,
        "order.updated",
        detail,
        request_id.as_deref(),
    )
    .await?;
    Ok(order_response(StatusCode::OK, &updated))
}

/// The answer when a conditional update found the order at another version than `expected`:
/// 412 naming the version it is at now.
pub(crate) async fn lost_race(
    conn: &impl sea_orm::ConnectionTrait,
    id: Uuid,
    expected: i32,
) -> AppError {
    match db::orders::find(conn, id).await {
        Ok(current) => AppError::PreconditionFailed {
            current_etag: etag(current.map_or(expected, |o| o.version)),
        },
        Err(err) => err.into(),
    }
}

pub(crate) fn check_version(order: &OrderRecord, expected: i32) -> AppResult<()> {
    if order.version == expected {
        Ok(())
    } else {
        Err(AppError::PreconditionFailed {
            current_etag: etag(order.version),
        })
    }
}

/// One transaction: the conditional update and its audit event.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply_change(
    state: &AppState,
    caller: &Caller,
    order: &OrderRecord,
    expected: i32,
    change: db::orders::OrderChange,
    action: &'static str,
    detail: serde_json::Value,
    request_id: Option<&str>,
) -> AppResult<OrderRecord> {
    apply_with(
        state,
        caller,
        order,
        expected,
        change,
        SideWork::None,
        action,
        detail,
        request_id,
    )
    .await
}

/// Production bookkeeping that commits with an order change.
pub(crate) enum SideWork {
    None,
    /// Copy the template's stages onto the order, the first started now.
    StartStages(Vec<crate::domain::production::StageSpec>),
    /// Complete the stage at this position and start the next.
    CompleteStage(i32),
    /// A hold ended: move the open stage's due time later by the time it lasted.
    ExtendStage(i32, chrono::Duration),
    /// Delivery: these deliverables' metadata labels were read back and matched.
    LabelsChecked(Vec<Uuid>),
}

/// [`apply_change`] with production bookkeeping in the same transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply_with(
    state: &AppState,
    caller: &Caller,
    order: &OrderRecord,
    expected: i32,
    change: db::orders::OrderChange,
    side: SideWork,
    action: &'static str,
    detail: serde_json::Value,
    request_id: Option<&str>,
) -> AppResult<OrderRecord> {
    let (user_id, now) = (caller.user.id, change.now);
    let (id, actor, from) = (order.id, caller.actor(), order.status);
    let request_id = request_id.map(str::to_owned);
    state
        .db
        .write_transaction::<_, OrderRecord, AppError>(|txn| {
            Box::pin(async move {
                let Some(updated) =
                    db::orders::update_if_version(txn, id, expected, change).await?
                else {
                    return Err(lost_race(txn, id, expected).await);
                };
                crate::outbox::status_changed(txn, id, &updated.reference, from, updated.status)
                    .await?;
                crate::outbox::for_action(txn, action, &updated, &detail).await?;
                match side {
                    SideWork::None => {}
                    SideWork::StartStages(stages) => {
                        db::production::create_stages(txn, id, &stages, now).await?;
                    }
                    SideWork::CompleteStage(position) => {
                        if !db::production::complete_stage(txn, id, position, user_id, now).await? {
                            return Err(lost_race(txn, id, expected).await);
                        }
                    }
                    SideWork::ExtendStage(position, by) => {
                        db::production::extend_open_stage(txn, id, position, by).await?;
                    }
                    SideWork::LabelsChecked(ids) => {
                        db::deliverables::mark_checked(txn, &ids, now).await?;
                    }
                }
                audit::record(
                    txn,
                    &actor,
                    action,
                    Target::order(id),
                    request_id.as_deref(),
                    detail,
                )
                .await?;
                Ok(updated)
            })
        })
        .await
        .map_err(Into::into)
}

/// What some actions take: `hold` needs a reason (kept in the order's hold reason).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// `hold`: why (required).
    pub reason: Option<String>,
    /// `advance`: the stage being completed (must be the current one: no stage is skipped).
    pub stage: Option<String>,
}

const MAX_REASON_CHARS: usize = 2000;

/// A reason text: present, not blank, not too long.
pub(crate) fn required_text(
    value: Option<&str>,
    field: &'static str,
    what: &str,
) -> AppResult<String> {
    let text = value.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(AppError::Unprocessable {
            code: "reason_required",
            detail: format!("{what} needs `{field}`"),
            extra: Some(serde_json::Map::from_iter([(
                "field".to_owned(),
                field.into(),
            )])),
        });
    }
    if text.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::unprocessable(
            "reason_too_long",
            format!("`{field}` is longer than {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// A reviewer decision's reason: optional for the decision that lets the order go on,
/// required (and checked like any reason) for the others.
pub(crate) fn decision_reason(
    reason: Option<&str>,
    required: bool,
    decision: &str,
) -> AppResult<Option<String>> {
    match (reason, required) {
        (None, false) => Ok(None),
        (given, true) => required_text(given, "reason", &format!("`{decision}`")).map(Some),
        (Some(r), false) => required_text(Some(r), "reason", "a decision").map(Some),
    }
}

/// Move the order through its lifecycle. The customer `submit`s (guard: intake complete and at
/// least one verified sample; from `needs_info` it returns to the state that asked) and
/// `cancel`s (before production); staff `hold` (with a reason) and `resume`; a reviewer
/// `start_screening` on a submitted order.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/actions/{action}", tag = "orders",
    request_body(content = Option<ActionBody>, description = "`{\"reason\": …}` for hold, `{\"stage\": …}` for advance"),
    params(IfMatch,
        ("id" = Uuid, Path, description = "Order id"),
        ("action" = OrderAction, Path, description = "The action"),
    ),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the order's customer (or not a customer account)", body = Problem),
        (status = 200, description = "The order after the action", body = OrderView),
        (status = 400, description = "Malformed If-Match or body", body = Problem),
        (status = 404, description = "No such order or action", body = Problem),
        (status = 409, description = "Refused: the reason says why (e.g. intake incomplete, no verified sample)", body = Problem),
        (status = 412, description = "The order changed since it was read", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "A hold without a reason", body = Problem),
        (status = 428, description = "If-Match missing", body = Problem),
    )
)]
async fn order_action(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, action)): ApiPath<(Uuid, String)>,
    if_match: IfMatch,
    request_id: RequestId,
    OptionalJson(body): OptionalJson<ActionBody>,
) -> AppResult<Response> {
    let action = OrderAction::parse(&action).ok_or_else(|| {
        AppError::not_found(
            "unknown_action",
            format!("there is no order action `{action}`"),
        )
    })?;
    let expected = if_match.required()?;
    let order = load_for_action(&state, &caller, id, action.by()).await?;
    check_version(&order, expected)?;
    let hold_reason = match action {
        OrderAction::Hold => Some(required_text(
            body.as_ref().and_then(|b| b.reason.as_deref()),
            "reason",
            "a hold",
        )?),
        _ => None,
    };
    let step = next_status(order.status, order.resume_status, action)
        .map_err(|r| AppError::conflict(r.code, r.reason))?;
    if action == OrderAction::Submit {
        check_submit_guard(&state, &order).await?;
    }
    let now = db::now();
    let mut change = order.unchanged(now);
    change.status = step.to;
    change.resume_status = step.resume_status;
    change.hold_reason = hold_reason;
    if order.status == OrderStatus::Draft && action == OrderAction::Submit {
        change.submitted_at = Some(now);
    }
    let mut detail = serde_json::json!({ "from": order.status, "to": step.to });
    let side = super::production::plan(
        &state,
        &caller,
        &order,
        action,
        body.as_ref(),
        &mut change,
        &mut detail,
    )
    .await?;
    let updated = apply_with(
        &state,
        &caller,
        &order,
        expected,
        change,
        side,
        action_event(action, order.status),
        detail,
        request_id.as_deref(),
    )
    .await?;
    Ok(order_response(StatusCode::OK, &updated))
}

/// The audit actions that count as working on an order as staff (separation of duties: such a
/// person never reviews it). Production work joins this list as it is built.
pub(crate) const STAFF_WORK: &[&str] = &[
    "order.held",
    "order.resumed",
    "order.assigned",
    "production.started",
    "production.stage_completed",
    "order.note_added",
    "live_session.scheduled",
    "live_session.logged",
    "live_session.cancelled",
    "order.delivered",
    "order.closed",
    "iteration.created",
    "iteration.start",
    "iteration.advance",
    "iteration.deliver",
    "iteration.cancel",
];

/// The order, if the caller may take this kind of action on it (403 otherwise, 404 if they may
/// not even see it).
async fn load_for_action(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    by: ActionBy,
) -> AppResult<OrderRecord> {
    match by {
        ActionBy::Customer => load_own_order(state, caller, id).await,
        ActionBy::Staff => load_staff_order(state, caller, id, "only studio staff do this").await,
        ActionBy::Reviewer => load_for_review(state, caller, id).await,
    }
}

/// The order, if the caller is studio staff or an admin (403 `staff_only` for anyone else who
/// may see it).
pub(crate) async fn load_staff_order(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    detail: &str,
) -> AppResult<OrderRecord> {
    let order = load_order(state, caller, id).await?;
    if caller.user.has(Role::Staff) || caller.user.has(Role::Admin) {
        return Ok(order);
    }
    let refusal = AppError::Forbidden {
        code: "staff_only",
        detail: detail.into(),
    };
    Err(refuse(state, caller, Target::order(id), refusal).await)
}

/// Whether the caller worked on the order as staff: its assignee, any staff action recorded on
/// it, or a deliverable they uploaded (those events are the upload's, not the order's).
pub(crate) async fn worked_on(
    state: &AppState,
    caller: &Caller,
    order: &OrderRecord,
) -> AppResult<bool> {
    Ok(order.production.assignee_id == Some(caller.user.id)
        || audit::acted_on(&state.db, &caller.actor(), order.id, STAFF_WORK).await?
        || db::deliverables::uploaded_by(&state.db, order.id, caller.user.id).await?)
}

/// The order, if the caller may make reviewer decisions on it: a reviewer who did not place it
/// and never worked on it as staff.
pub(crate) async fn load_for_review(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> AppResult<OrderRecord> {
    let order = load_order(state, caller, id).await?;
    let worked_on = worked_on(state, caller, &order).await?;
    if access::may_review(caller.who(), order.customer_id, worked_on) {
        return Ok(order);
    }
    let detail = if !caller.user.has(Role::Reviewer) {
        "only reviewers decide on screening and consent"
    } else if worked_on {
        "you worked on this order as staff, so another reviewer must decide"
    } else {
        "you cannot review your own order"
    };
    let refusal = AppError::Forbidden {
        code: if caller.user.has(Role::Reviewer) {
            "separation_of_duties"
        } else {
            "reviewers_only"
        },
        detail: detail.into(),
    };
    Err(refuse(state, caller, Target::order(id), refusal).await)
}

fn action_event(action: OrderAction, from: OrderStatus) -> &'static str {
    match action {
        OrderAction::Submit if from == OrderStatus::NeedsInfo => "order.resubmitted",
        OrderAction::Submit => "order.submitted",
        OrderAction::Cancel => "order.cancelled",
        OrderAction::Hold => "order.held",
        OrderAction::Resume => "order.resumed",
        OrderAction::StartScreening => "screening.started",
        OrderAction::StartProduction => "production.started",
        OrderAction::Advance => "production.stage_completed",
        OrderAction::SignOffQuality => "quality.signed_off",
        OrderAction::Deliver => "order.delivered",
        OrderAction::Close => "order.closed",
    }
}

async fn check_submit_guard(state: &AppState, order: &OrderRecord) -> AppResult<()> {
    let missing = intake::missing_for_submit(&order.subject, &order.intake, order.delivery_mode);
    if !missing.is_empty() {
        return Err(AppError::Conflict {
            code: "intake_incomplete",
            detail: format!(
                "the intake is not complete; missing: {}",
                missing.join(", ")
            ),
        });
    }
    if db::samples::count_verified(&state.db, order.id).await? == 0 {
        return Err(AppError::conflict(
            "no_verified_sample",
            "upload at least one sample and wait for it to be verified before submitting",
        ));
    }
    Ok(())
}
