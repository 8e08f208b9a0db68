//! `GET /api/v1/orders/{id}/screening`: what a reviewer screens — the intake, the time since
//! death, the sample sufficiency report and the risk flags the system raises itself. Studio
//! only (it is the studio's assessment of the customer's request, not a customer view).

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::extract::{ApiJson, ApiPath, IfMatch, etag};
use super::orders::{OrderView, order_response};
use super::session::Caller;
use crate::db::orders::OrderRecord;
use crate::domain::order::ScreeningDecision;
use crate::domain::risk::RiskFlag;
use crate::domain::sufficiency::SufficiencyReport;
use crate::error::{AppResult, Problem};
use crate::review;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_screening, mark_screening))
        .routes(routes!(decide_screening))
}

/// What the studio may record on the screening view.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningChange {
    /// The subject is a public figure (raises the `public_figure` risk flag).
    pub public_figure: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScreeningReport {
    pub order: OrderView,
    /// Days between the death and today (none for a living subject).
    pub days_since_death: Option<i64>,
    pub risk_flags: Vec<RiskFlag>,
    pub sufficiency: SufficiencyReport,
}

impl ScreeningReport {
    fn new(order: &OrderRecord, report: review::ScreeningReport) -> Self {
        Self {
            order: OrderView::from(order),
            days_since_death: report.days_since_death,
            risk_flags: report.risk_flags,
            sufficiency: report.sufficiency,
        }
    }
}

/// The screening view of an order (staff, reviewers, admins).
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/screening", tag = "screening",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The screening report", body = ScreeningReport),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Customers do not see the studio's screening", body = Problem),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn get_screening(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<ScreeningReport>> {
    let (order, report) = review::screening_of(&state, &caller.acting(), id).await?;
    Ok(Json(ScreeningReport::new(&order, report)))
}

/// Record a screening fact the system cannot know (studio; If-Match).
#[utoipa::path(
    patch, path = "/api/v1/orders/{id}/screening", tag = "screening",
    request_body = ScreeningChange,
    params(IfMatch, ("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The updated screening report", body = ScreeningReport),
        (status = 400, description = "Malformed JSON or If-Match", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the studio", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 412, description = "The order changed since it was read", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "invalid_body", body = Problem),
        (status = 428, description = "If-Match missing", body = Problem),
    )
)]
async fn mark_screening(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    if_match: IfMatch,
    ApiJson(change): ApiJson<ScreeningChange>,
) -> AppResult<Response> {
    let expected = if_match.required()?;
    let actor = caller.acting();
    let updated =
        review::mark_public_figure(&state.db, &actor, id, expected, change.public_figure).await?;
    let report = review::report(&state, &updated).await?;
    let mut response = Json(ScreeningReport::new(&updated, report)).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag(updated.version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

/// A reviewer's screening decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningDecisionRequest {
    pub decision: ScreeningDecision,
    /// Required for `decline`, `refer` and `needs_info` (for `needs_info` it is what the customer
    /// is asked for, shown in their timeline).
    pub reason: Option<String>,
    /// Required to `proceed` when the sufficiency report fails: why the samples suffice anyway.
    pub sufficiency_override_reason: Option<String>,
}

/// Record the screening decision (reviewer; never on an order they placed or worked on as
/// staff): `proceed` → `consent_review`, `decline` → `declined`, `refer` → `on_hold` (counselling
/// suggested; staff resume it to screening), `needs_info` → `needs_info` (returns to screening
/// when the customer resubmits).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/screening/decision", tag = "screening",
    request_body = ScreeningDecisionRequest,
    params(IfMatch, ("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order after the decision", body = OrderView),
        (status = 400, description = "Malformed JSON or If-Match", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not a reviewer, or a reviewer who placed or worked on this order", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "Not in screening, or the sufficiency report fails without an override", body = Problem),
        (status = 412, description = "The order changed since it was read", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "A reason is missing", body = Problem),
        (status = 428, description = "If-Match missing", body = Problem),
    )
)]
async fn decide_screening(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    if_match: IfMatch,
    ApiJson(req): ApiJson<ScreeningDecisionRequest>,
) -> AppResult<Response> {
    let expected = if_match.required()?;
    let command = review::ScreeningDecisionCommand {
        decision: req.decision,
        reason: req.reason,
        sufficiency_override_reason: req.sufficiency_override_reason,
    };
    let updated = review::decide_screening(&state, &caller.acting(), id, expected, command).await?;
    Ok(order_response(StatusCode::OK, &updated))
}
