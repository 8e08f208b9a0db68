//! `/api/v1/orders`: create (idempotent), read (with ETag), list (keyset), edit the intake
//! (If-Match), and lifecycle actions such as `submit`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, IdempotencyKey, IfMatch, OptionalJson, etag};
use super::idempotent::{Once, answer_body, create_once, replay};
use super::paging::{decode_cursor, encode_cursor};
use super::session::Caller;
use crate::db::orders::OrderRecord;
use crate::domain::intake::{IntakeAnswers, Subject};
use crate::domain::order::{DeliveryMode, OrderAction, OrderStatus};
use crate::error::{AppError, AppResult, Code, Problem};
use crate::orders;
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

impl From<CreateOrder> for orders::NewOrderCommand {
    fn from(req: CreateOrder) -> Self {
        Self {
            subject: req.subject,
            delivery_mode: req.delivery_mode,
            jurisdiction: req.jurisdiction,
            intake: req.intake,
        }
    }
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
    ApiJson(req): ApiJson<CreateOrder>,
) -> AppResult<Response> {
    // Keys are per person: one customer's key never answers another's request.
    let owner = caller.user.id.to_string();
    let actor = caller.acting();
    let prepared = orders::prepare(&state.db, &actor, req.clone().into()).await?;
    let created = create_once(&state, &owner, &key, &req, move |txn| {
        Box::pin(async move {
            let order = orders::store(txn, &actor, prepared).await?;
            let body = answer_body(&OrderView::from(&order))?;
            Ok((order, body))
        })
    })
    .await?;
    let order = match created {
        Once::Created(order) => order,
        Once::Replayed { status, body } => return Ok(replay(status, body)),
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
    let query = orders::OrderQuery {
        customer_id: params.customer_id,
        status: params.status,
        delivery_mode: params.delivery_mode,
        before_id,
    };
    let fetch = u64::from(limit) + 1;
    let mut rows = orders::list(&state.db, &caller.acting(), query, fetch).await?;
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
    let order = orders::load(&state.db, &caller.acting(), id).await?;
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
    ApiJson(req): ApiJson<UpdateOrder>,
) -> AppResult<Response> {
    let expected = if_match.required()?;
    let edit = orders::OrderEdit {
        subject: req.subject,
        delivery_mode: req.delivery_mode,
        jurisdiction: req.jurisdiction,
        intake: req.intake,
    };
    let updated = orders::edit(&state.db, &caller.acting(), id, expected, edit).await?;
    Ok(order_response(StatusCode::OK, &updated))
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
    OptionalJson(body): OptionalJson<ActionBody>,
) -> AppResult<Response> {
    let action = OrderAction::parse(&action).ok_or_else(|| {
        AppError::not_found(
            Code::UnknownAction,
            format!("there is no order action `{action}`"),
        )
    })?;
    let expected = if_match.required()?;
    let input = body.map_or_else(orders::ActionInput::default, |b| orders::ActionInput {
        reason: b.reason,
        stage: b.stage,
    });
    let updated = orders::act(&state, &caller.acting(), id, expected, action, input).await?;
    Ok(order_response(StatusCode::OK, &updated))
}
