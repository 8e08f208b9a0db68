//! `/api/v1/orders/{id}/iterations`: paid follow-up work on a delivered order (PRODUCT.md,
//! "Follow-up iterations"). Staff record an iteration with what it needs; if that goes beyond
//! the consents on file it waits for fresh consent, which the customer gives for that
//! iteration alone; staff then take it through its own stages to delivery.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::consents::{ConsentView, CustomerSignature};
use super::extract::{ApiJson, ApiPath, IdempotencyKey, IfMatch, OptionalJson};
use super::idempotent::{Once, answer_body, create_once, replay};
use super::session::Caller;
use crate::consents;
use crate::domain::ids::OrderId;
use crate::domain::iteration::{IterationAction, Needs};
use crate::error::{AppError, AppResult, Code, Problem};
use crate::iterations::{self, IterationView, NewIterationCommand, Price};
use crate::orders;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_iteration, list_iterations))
        .routes(routes!(get_iteration))
        .routes(routes!(iteration_action))
        .routes(routes!(sign_iteration_consent))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIteration {
    /// What the customer asked for ("a new clip for the anniversary").
    pub description: String,
    pub needs: Needs,
    /// The iteration's price: recorded as a quote in the order's money ledger, carrying the
    /// iteration's id (so the order's balance includes it and nothing is stored twice).
    pub price: Price,
}

/// Record a follow-up iteration of a delivered order (staff). It is `ready` when the consents
/// on file cover its needs, else `awaiting_consent` (and the customer is told).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/iterations", tag = "iterations",
    request_body = CreateIteration,
    params(IdempotencyKey,
        ("id" = Uuid, Path, description = "Order id"),
    ),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not studio staff", body = Problem),
        (status = 201, description = "Recorded (a repeat with the same Idempotency-Key and body answers the same, with Idempotent-Replayed: true)", body = IterationView),
        (status = 400, description = "Malformed JSON, Idempotency-Key missing or invalid", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "order_not_delivered (or erased), idempotency_request_in_progress", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "reason_required (description), reason_too_long, invalid_currency, invalid_amount, currency_mismatch (not the order's currency), idempotency_key_reused, invalid_body", body = Problem),
    )
)]
async fn create_iteration(
    State(state): State<AppState>,
    caller: Caller,
    IdempotencyKey(key): IdempotencyKey,
    ApiPath(order_id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<CreateIteration>,
) -> AppResult<Response> {
    let actor = caller.acting();
    let command = NewIterationCommand {
        description: req.description.clone(),
        needs: req.needs.clone(),
        price: req.price.clone(),
    };
    let prepared = iterations::prepare(&state.db, &actor, order_id, command).await?;
    let owner = format!("iterations:{}", caller.user.id);
    let created = create_once(&state, &owner, &key, &(order_id, &req), move |txn| {
        Box::pin(async move {
            let view = iterations::store(txn, &actor, prepared).await?;
            let body = answer_body(&view)?;
            Ok((view, body))
        })
    })
    .await?;
    match created {
        Once::Created(view) => Ok((StatusCode::CREATED, Json(view)).into_response()),
        Once::Replayed { status, body } => Ok(replay(status, body)),
    }
}

/// The order's iterations (its customer and the studio).
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/iterations", tag = "iterations",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "Iterations, first first", body = Vec<IterationView>),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn list_iterations(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(order_id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<IterationView>>> {
    Ok(Json(
        iterations::list(&state.db, &caller.acting(), order_id).await?,
    ))
}

#[utoipa::path(
    get, path = "/api/v1/orders/{id}/iterations/{iid}", tag = "iterations",
    params(("id" = Uuid, Path, description = "Order id"), ("iid" = Uuid, Path, description = "Iteration id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "The iteration", body = IterationView),
        (status = 404, description = "No such order or iteration", body = Problem),
    )
)]
async fn get_iteration(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((order_id, id)): ApiPath<(OrderId, Uuid)>,
) -> AppResult<Json<IterationView>> {
    Ok(Json(
        iterations::get(&state.db, &caller.acting(), order_id, id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IterationActionBody {
    /// `cancel`: why (required).
    pub reason: Option<String>,
}

/// Move an iteration (staff, `If-Match: "v{version}"`): `start` (only when the consents cover
/// it; sets its due time), `advance` (to quality check), `deliver`, `cancel` (with a reason).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/iterations/{iid}/actions/{action}", tag = "iterations",
    request_body(content = Option<IterationActionBody>, description = "`{\"reason\": …}` for cancel"),
    params(IfMatch,
        ("id" = Uuid, Path, description = "Order id"),
        ("iid" = Uuid, Path, description = "Iteration id"),
        ("action" = IterationAction, Path, description = "The action"),
    ),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not studio staff", body = Problem),
        (status = 200, description = "The iteration after the action", body = IterationView),
        (status = 400, description = "Malformed If-Match or body", body = Problem),
        (status = 404, description = "No such order, iteration or action", body = Problem),
        (status = 409, description = "consent_required (naming what is missing), invalid_transition", body = Problem),
        (status = 412, description = "The iteration changed since it was read", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "A cancel without a reason", body = Problem),
        (status = 428, description = "If-Match missing", body = Problem),
    )
)]
async fn iteration_action(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((order_id, id, action)): ApiPath<(OrderId, Uuid, String)>,
    if_match: IfMatch,
    OptionalJson(body): OptionalJson<IterationActionBody>,
) -> AppResult<Json<IterationView>> {
    let action = IterationAction::parse(&action).ok_or_else(|| {
        AppError::not_found(
            Code::UnknownAction,
            format!("there is no iteration action `{action}`"),
        )
    })?;
    let expected = if_match.required()?;
    let reason = body.as_ref().and_then(|b| b.reason.as_deref());
    let view = iterations::act(
        &state,
        &caller.acting(),
        order_id,
        id,
        expected,
        action,
        reason,
    )
    .await?;
    Ok(Json(view))
}

/// Give fresh consent for one iteration (the order's customer, as the requester — or as the
/// living subject of a living twin). It counts for this iteration only.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/iterations/{iid}/consents", tag = "iterations",
    request_body = CustomerSignature,
    params(("id" = Uuid, Path, description = "Order id"), ("iid" = Uuid, Path, description = "Iteration id")),
    responses(
        (status = 201, description = "Recorded (and chained into the ledger)", body = ConsentView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the order's customer", body = Problem),
        (status = 404, description = "No such order or iteration", body = Problem),
        (status = 409, description = "The iteration already started (consents_closed), text outdated, or already signed", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "Wrong text, party or grants", body = Problem),
    )
)]
async fn sign_iteration_consent(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    caller: Caller,
    ApiPath((order_id, id)): ApiPath<(OrderId, Uuid)>,
    ApiJson(req): ApiJson<CustomerSignature>,
) -> AppResult<(StatusCode, Json<ConsentView>)> {
    let actor = caller.acting();
    orders::load_own(&state.db, &actor, order_id.uuid()).await?;
    iterations::load(&state.db, order_id, id).await?;
    let own = super::consents::own_signature(&state, &headers, peer, req, Some(id));
    let row = consents::sign_own(&state, &actor, order_id.uuid(), own).await?;
    Ok((StatusCode::CREATED, Json(ConsentView::from(&row))))
}
