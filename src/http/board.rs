//! `GET /api/v1/board`: the studio's production board — counts per status and stage, the
//! at-risk and overdue lists, and the open orders filtered by mode, stage, assignee, due-before
//! and risk, sorted by the delivery promise and keyset-paginated. Times are UTC with the
//! studio's local rendering beside them.

use axum::Json;
use axum::extract::State;
use base64::Engine;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::ApiQuery;
use super::session::Caller;
use crate::db::{board::BoardFilter, orders::OrderRecord};
use crate::domain::order::{DeliveryMode, OrderStatus};
use crate::error::{AppError, AppResult, Code, Problem};
use crate::production;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(board))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoardParams {
    pub mode: Option<DeliveryMode>,
    /// The current stage's name, e.g. `training`.
    pub stage: Option<String>,
    pub assignee: Option<Uuid>,
    /// Only orders promised before this time (RFC 3339).
    pub due_before: Option<DateTime<Utc>>,
    pub at_risk: Option<bool>,
    pub overdue: Option<bool>,
    /// Cursor from the previous page's `next` (32 URL-safe base64 characters).
    #[param(pattern = "^[A-Za-z0-9_-]{32}$")]
    pub after: Option<String>,
    /// Page size, 1–100 (default 50); anything else is refused with 422 `invalid_limit`.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardItem {
    pub id: Uuid,
    pub reference: String,
    pub status: OrderStatus,
    pub delivery_mode: DeliveryMode,
    pub current_stage: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub at_risk: bool,
    pub overdue: bool,
    pub promised_at: Option<DateTime<Utc>>,
    /// `promised_at` in the studio's zone.
    pub promised_at_local: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardCounts {
    pub by_status: BTreeMap<String, i64>,
    pub by_stage: BTreeMap<String, i64>,
    pub at_risk: i64,
    pub overdue: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Board {
    pub counts: BoardCounts,
    /// The first at-risk orders by promise (up to 20).
    pub at_risk: Vec<BoardItem>,
    /// The first overdue orders by promise (up to 20).
    pub overdue: Vec<BoardItem>,
    /// One page of the filtered list.
    pub items: Vec<BoardItem>,
    pub next: Option<String>,
}

fn item(order: &OrderRecord, zone: FixedOffset) -> BoardItem {
    BoardItem {
        id: order.id,
        reference: order.reference.clone(),
        status: order.status,
        delivery_mode: order.delivery_mode,
        current_stage: order.production.current_stage.clone(),
        assignee_id: order.production.assignee_id,
        at_risk: order.production.at_risk,
        overdue: order.production.overdue,
        promised_at: order.promised_at,
        promised_at_local: order
            .promised_at
            .map(|t| t.with_timezone(&zone).to_rfc3339()),
        due_at: order.due_at,
    }
}

/// The cursor: the promise time (microseconds, big-endian i64) and the id, 24 bytes as 32
/// URL-safe base64 characters, so the document can give its exact pattern: every string of
/// that pattern is a cursor (a time outside chrono's range is taken as its nearest end).
fn encode_cursor(promised: DateTime<Utc>, id: Uuid) -> String {
    let mut bytes = promised.timestamp_micros().to_be_bytes().to_vec();
    bytes.extend_from_slice(id.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_cursor(text: &str) -> AppResult<(DateTime<Utc>, Uuid)> {
    let invalid = || {
        AppError::bad_request(
            Code::InvalidCursor,
            "the `after` cursor is not one this API issued",
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| invalid())?;
    let (micros, id) = bytes
        .split_first_chunk::<8>()
        .filter(|(_, id)| id.len() == 16)
        .ok_or_else(invalid)?;
    let micros = i64::from_be_bytes(*micros);
    let promised = DateTime::from_timestamp_micros(micros).unwrap_or(if micros < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    });
    Ok((promised, Uuid::from_slice(id).map_err(|_| invalid())?))
}

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 100;

/// The production board (staff, reviewers, admins).
#[utoipa::path(
    get, path = "/api/v1/board", tag = "production",
    params(BoardParams),
    responses(
        (status = 200, description = "Counts, risk lists and one page of open orders", body = Board),
        (status = 400, description = "Unknown filter value or malformed cursor", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the studio", body = Problem),
        (status = 422, description = "limit out of range", body = Problem),
    )
)]
async fn board(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<BoardParams>,
) -> AppResult<Json<Board>> {
    let limit = super::paging::limit(params.limit, DEFAULT_PAGE, MAX_PAGE)?;
    let filter = BoardFilter {
        step: None,
        mode: params.mode,
        stage: params.stage,
        assignee: params.assignee,
        due_before: params.due_before,
        at_risk: params.at_risk,
        overdue: params.overdue,
        after: params.after.as_deref().map(decode_cursor).transpose()?,
    };
    let zone = state.settings.studio.zone();
    let production::BoardSnapshot {
        counts,
        at_risk,
        overdue,
        page: mut rows,
    } = production::board(&state.db, &caller.acting(), &filter, u64::from(limit) + 1).await?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last()
            .and_then(|o| o.promised_at.map(|p| encode_cursor(p, o.id)))
    } else {
        None
    };
    Ok(Json(Board {
        counts: BoardCounts {
            by_status: counts.by_status.into_iter().collect(),
            by_stage: counts.by_stage.into_iter().collect(),
            at_risk: counts.at_risk,
            overdue: counts.overdue,
        },
        at_risk: at_risk.iter().map(|o| item(o, zone)).collect(),
        overdue: overdue.iter().map(|o| item(o, zone)).collect(),
        items: rows.iter().map(|o| item(o, zone)).collect(),
        next,
    }))
}
