//! `POST /api/v1/orders/{id}/consent-review`: a reviewer's decision on the order's consents.
//! `approve` needs every consent the policy requires (and no documented refusal) and moves the
//! order to `queued` with its delivery due times; `reject` declines it; `needs_info` asks the
//! customer for more (the order returns to consent review when they resubmit).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::consents::status_of;
use super::decisions::{self, Decision};
use super::extract::{ApiJson, ApiPath, IfMatch, RequestId};
use super::orders::{OrderView, order_response};
use super::session::Caller;
use crate::db;
use crate::domain::order::{ReviewDecision, after_review};
use crate::error::{AppError, AppResult, Problem};
use crate::orders;
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
    request_id: RequestId,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> AppResult<Response> {
    let expected = if_match.required()?;
    let order = orders::load_for_review(&state.db, &caller.acting(), id).await?;
    orders::check_version(&order, expected)?;
    let step = after_review(order.status, req.decision)
        .map_err(|r| AppError::conflict(r.code, r.reason))?;
    let reason = orders::decision_reason(
        req.reason.as_deref(),
        req.decision != ReviewDecision::Approve,
        req.decision.as_str(),
    )?;
    let status = status_of(&state, &order).await?;
    if req.decision == ReviewDecision::Approve {
        if let Some(blocked) = &status.blocked {
            return Err(AppError::conflict(
                "subject_refused",
                format!("cannot approve: {blocked}"),
            ));
        }
        let missing: Vec<&str> = status
            .requirements
            .iter()
            .filter_map(|r| r.missing.as_deref())
            .collect();
        if !missing.is_empty() {
            return Err(AppError::conflict(
                "consents_missing",
                format!(
                    "cannot approve while consents are missing: {}",
                    missing.join("; ")
                ),
            ));
        }
    }
    let now = db::now();
    let mut change = order.unchanged(now);
    change.status = step.to;
    change.resume_status = step.resume_status;
    if req.decision == ReviewDecision::Approve {
        let sla = state.settings.sla.for_mode(order.delivery_mode);
        change.queued_at = Some(now);
        change.due_at = Some(now + chrono::Duration::days(i64::from(sla.target_days)));
        change.promised_at = Some(now + chrono::Duration::days(i64::from(sla.promise_days)));
        change.production.sla_next_check_at = Some(now);
    }
    let consent_ids: Vec<Uuid> = status
        .requirements
        .iter()
        .flat_map(|r| r.satisfied_by.iter().copied())
        .collect();
    let decision = Decision {
        kind: "consent_review.decided",
        content: serde_json::json!({
            "decision": req.decision,
            "reviewer_id": caller.user.id,
            "from": order.status,
            "to": step.to,
            "policy": status.policy,
            "complete": status.complete,
            "consent_ids": consent_ids,
            "due_at": change.due_at,
            "promised_at": change.promised_at,
        }),
        personal: reason.map(|r| serde_json::json!({ "reason": r })),
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
    Ok(order_response(StatusCode::OK, &updated))
}
