//! `POST /api/v1/orders/{id}/consent-review`: a reviewer's decision on the order's consents
//! (the rules are [`crate::review::decide_consents`]).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, IfMatch};
use super::orders::{OrderView, order_response};
use super::session::Caller;
use crate::domain::order::ReviewDecision;
use crate::error::{AppResult, Problem};
use crate::review;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(review_consents))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub decision: ReviewDecision,
    /// Required for `reject` and `needs_info` (for `needs_info`: what the customer must add).
    pub reason: Option<String>,
}

/// Decide on the order's consents (reviewer; never on an order they placed or worked on).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/consent-review", tag = "consent",
    request_body = ReviewRequest,
    params(IfMatch, ("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order after the decision (queued orders carry due_at and promised_at)", body = OrderView),
        (status = 400, description = "Malformed JSON or If-Match", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not a reviewer, or a reviewer who placed or worked on this order", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "Not in consent review, required consents missing, or a documented refusal", body = Problem),
        (status = 412, description = "The order changed since it was read", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "A reason is missing", body = Problem),
        (status = 428, description = "If-Match missing", body = Problem),
    )
)]
async fn review_consents(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    if_match: IfMatch,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> AppResult<Response> {
    let expected = if_match.required()?;
    let review = review::ConsentReview {
        decision: req.decision,
        reason: req.reason,
    };
    let (db, sla) = (&state.db, &state.settings.sla);
    let updated = review::decide_consents(db, sla, &caller.acting(), id, expected, review).await?;
    Ok(order_response(StatusCode::OK, &updated))
}
