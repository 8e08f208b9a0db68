//! `GET /api/v1/audit`: the audit trail for admins, newest first, filtered by actor, action,
//! object or time, keyset-paginated. There is no route that changes or deletes an event.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::ApiQuery;
use super::paging::{decode_cursor, encode_cursor};
use super::session::Caller;
use crate::error::{AppResult, Problem};
use crate::oversight;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// e.g. `user:{id}`, `anonymous`, `system:upload-sweeper`
    pub actor: Option<String>,
    /// e.g. `order.submitted`
    pub action: Option<String>,
    pub target_id: Option<Uuid>,
    /// Only events at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// An opaque cursor: the `next` of the previous page (22 URL-safe base64 characters).
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub after: Option<String>,
    /// Page size, 1–200 (default 50); anything else is refused with 422 `invalid_limit`.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    /// The actor's roles when it acted.
    pub actor_roles: Option<String>,
    pub action: String,
    /// success | failure | refused
    pub outcome: String,
    pub target_type: String,
    pub target_id: Uuid,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEvent>,
    pub next: Option<String>,
}

/// The audit trail (admins only).
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "audit",
    params(AuditParams),
    responses(
        (status = 200, description = "One page of events, newest first", body = AuditPage),
        (status = 400, description = "Malformed filter or cursor", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
    )
)]
async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> AppResult<Json<AuditPage>> {
    let limit = u64::from(super::paging::limit(p.limit, 50, 200)?);
    let query = oversight::TrailQuery {
        actor: p.actor,
        action: p.action,
        target_id: p.target_id,
        since: p.since,
        until: p.until,
        before: p.after.as_deref().map(decode_cursor).transpose()?,
    };
    let mut rows = oversight::audit_trail(&state.db, &caller.acting(), query, limit + 1).await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|e| encode_cursor(e.id))
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|e| AuditEvent {
            id: e.id,
            occurred_at: e.occurred_at,
            actor: e.actor,
            actor_roles: e.actor_roles,
            action: e.action,
            outcome: e.outcome,
            target_type: e.target_type,
            target_id: e.target_id,
            request_id: e.request_id,
            detail: e.detail,
        })
        .collect();
    Ok(Json(AuditPage { items, next }))
}
