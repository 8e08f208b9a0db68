//! `GET /api/v1/orders/{id}/screening`: what a reviewer screens — the intake, the time since
//! death, the sample sufficiency report and the risk flags the system raises itself. Studio
//! only (it is the studio's assessment of the customer's request, not a customer view).

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::db::WriteTransaction;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::decisions::{self, Decision};
use super::extract::{ApiJson, ApiPath, IfMatch, RequestId, etag};
use super::orders::{OrderView, order_response};
use super::session::{Caller, refuse};
use crate::audit::{self, Target};
use crate::db::{self, orders::OrderRecord};
use crate::domain::order::{ScreeningDecision, after_screening};
use crate::domain::risk::{self, RiskFlag};
use crate::domain::sample::SampleKind;
use crate::domain::sufficiency::SufficiencyReport;
use crate::error::{AppError, AppResult, Problem};
use crate::orders;
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

async fn require_studio(state: &AppState, caller: &Caller, id: Uuid) -> AppResult<()> {
    if caller.who().is_studio() {
        return Ok(());
    }
    let refusal = AppError::Forbidden {
        code: "studio_only",
        detail: "the screening report is for the studio".into(),
    };
    Err(refuse(state, caller, Target::order(id), refusal).await)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScreeningReport {
    pub order: OrderView,
    /// Days between the death and today (none for a living subject).
    pub days_since_death: Option<i64>,
    pub risk_flags: Vec<RiskFlag>,
    pub sufficiency: SufficiencyReport,
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
    let order = orders::load(&state.db, &caller.acting(), id).await?;
    require_studio(&state, &caller, id).await?;
    Ok(Json(report(&state, &order).await?))
}

async fn report(state: &AppState, order: &OrderRecord) -> AppResult<ScreeningReport> {
    let today = chrono::Utc::now().date_naive();
    let documents =
        db::samples::count_verified_of_kind(&state.db, order.id, SampleKind::Document).await?;
    let sufficiency = super::sufficiency::report_for(state, order).await?;
    let consents = super::consents::status_of(state, order).await?;
    let findings = risk::Findings {
        public_figure: order.public_figure,
        verified_documents: documents,
        subject_refused: consents.blocked.is_some(),
    };
    Ok(ScreeningReport {
        days_since_death: order
            .subject
            .death_date
            .map(|death| (today - death).num_days()),
        risk_flags: risk::flags(&order.subject, findings, today),
        sufficiency,
        order: OrderView::from(order),
    })
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
    request_id: RequestId,
    ApiJson(change): ApiJson<ScreeningChange>,
) -> AppResult<Response> {
    let expected = if_match.required()?;
    let order = orders::load(&state.db, &caller.acting(), id).await?;
    require_studio(&state, &caller, id).await?;
    orders::check_version(&order, expected)?;
    let (actor, request_id, now) = (caller.actor(), request_id.0, db::now());
    let updated = state
        .db
        .write_transaction::<_, OrderRecord, AppError>(|txn| {
            Box::pin(async move {
                let Some(updated) =
                    db::orders::set_public_figure(txn, id, expected, change.public_figure, now)
                        .await?
                else {
                    return Err(orders::lost_race(txn, id, expected).await);
                };
                let detail = serde_json::json!({ "public_figure": change.public_figure });
                audit::record(
                    txn,
                    &actor,
                    "order.public_figure_set",
                    Target::order(id),
                    request_id.as_deref(),
                    detail,
                )
                .await?;
                Ok(updated)
            })
        })
        .await?;
    let mut response = Json(report(&state, &updated).await?).into_response();
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
    request_id: RequestId,
    ApiJson(req): ApiJson<ScreeningDecisionRequest>,
) -> AppResult<Response> {
    let expected = if_match.required()?;
    let order = orders::load_for_review(&state.db, &caller.acting(), id).await?;
    orders::check_version(&order, expected)?;
    let step = after_screening(order.status, req.decision)
        .map_err(|r| AppError::conflict(r.code, r.reason))?;
    let reason = orders::decision_reason(
        req.reason.as_deref(),
        req.decision != ScreeningDecision::Proceed,
        req.decision.as_str(),
    )?;
    let screened = report(&state, &order).await?;
    if req.decision == ScreeningDecision::Proceed
        && screened.risk_flags.contains(&RiskFlag::SubjectRefused)
    {
        return Err(AppError::conflict(
            "subject_refused",
            "the subject's documented wishes refuse a likeness: the order cannot proceed",
        ));
    }
    let override_reason =
        if req.decision == ScreeningDecision::Proceed && !screened.sufficiency.passed {
            Some(
                orders::required_text(
                    req.sufficiency_override_reason.as_deref(),
                    "sufficiency_override_reason",
                    "proceeding with samples that fail the sufficiency report",
                )
                .map_err(|_| {
                    AppError::conflict(
                        "sufficiency_not_met",
                        format!(
                            "the samples do not pass the sufficiency report ({}); give \
                         `sufficiency_override_reason` to proceed anyway",
                            screened.sufficiency.summary
                        ),
                    )
                })?,
            )
        } else {
            None
        };
    let now = db::now();
    let mut change = order.unchanged(now);
    change.status = step.to;
    change.resume_status = step.resume_status;
    change.hold_reason = (req.decision == ScreeningDecision::Refer)
        .then(|| "referred: counselling suggested".to_owned());
    let decision = Decision {
        kind: "screening.decided",
        content: serde_json::json!({
            "decision": req.decision,
            "reviewer_id": caller.user.id,
            "from": order.status,
            "to": step.to,
            "sufficiency_passed": screened.sufficiency.passed,
            "sufficiency_overridden": override_reason.is_some(),
            "risk_flags": screened.risk_flags,
        }),
        personal: (reason.is_some() || override_reason.is_some()).then(|| {
            serde_json::json!({
                "reason": reason,
                "sufficiency_override_reason": override_reason,
            })
        }),
    };
    let (updated, _) = decisions::commit(
        &state,
        &caller,
        &order,
        expected,
        change,
        decision,
        request_id.as_deref(),
    )
    .await?;
    Ok(order_response(axum::http::StatusCode::OK, &updated))
}
