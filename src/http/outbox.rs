//! `GET /api/v1/outbox`: the mail the service owes or has sent, for admins — each message's
//! kind, audience, delivery status, tries, next try, last error and order reference, newest
//! first, filtered by status and keyset-paginated, with the count per status on top. Without
//! SMTP configured every message stays `queued` here; a `failed` one is where an admin learns
//! that a customer was never told. Recipients' addresses are not shown.

use std::collections::BTreeMap;

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
use crate::db::{outbox::DeliveryStatus, outbox::OutboxRow};
use crate::error::{AppResult, Problem};
use crate::notifications::mailer;
use crate::oversight;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_outbox))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboxParams {
    /// Only messages in this status.
    pub status: Option<DeliveryStatus>,
    /// Cursor from the previous page's `next`.
    /// An opaque cursor: the `next` of the previous page (22 URL-safe base64 characters).
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub after: Option<String>,
    /// Page size, 1–200 (default 50); anything else is refused with 422 `invalid_limit`.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMessage {
    pub id: Uuid,
    /// e.g. `order.status_changed`, `sla.overdue`
    pub kind: String,
    /// customer | staff
    pub audience: String,
    pub status: DeliveryStatus,
    pub order_id: Option<Uuid>,
    pub order_reference: Option<String>,
    /// What the status change was, for `order.status_changed` (e.g. `consent_review → queued`).
    pub change: Option<String>,
    /// Tries that reached an outcome (sent, refused, or failed to connect).
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    /// When a queued message is tried (next); `null` once it is no longer queued.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    /// The last failure (addresses blanked out).
    pub last_error: Option<String>,
    /// Why a `skipped` message is not mailed.
    pub skip_reason: Option<String>,
    /// The mail's `Message-ID` (the same on every try); `null` without `smtp.from`.
    pub message_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxPage {
    /// Messages per status, over the whole outbox.
    pub counts: BTreeMap<String, i64>,
    /// Whether a relay runs in this process (SMTP configured).
    pub smtp_configured: bool,
    pub items: Vec<OutboxMessage>,
    pub next: Option<String>,
}

fn item(row: OutboxRow, from: Option<&str>) -> OutboxMessage {
    let status = row.status;
    let text = |key: &str| row.payload[key].as_str().map(str::to_owned);
    let change = (row.kind == "order.status_changed")
        .then(|| Some(format!("{} → {}", text("from")?, text("to")?)))
        .flatten();
    OutboxMessage {
        id: row.id,
        order_reference: text("reference"),
        change,
        message_id: from.and_then(|f| mailer::message_id_for(f, row.id)),
        kind: row.kind,
        audience: row.audience,
        status,
        order_id: row.order_id,
        attempts: row.attempts,
        created_at: row.created_at,
        next_attempt_at: (status == DeliveryStatus::Queued).then_some(row.available_at),
        last_attempt_at: row.last_attempt_at,
        sent_at: row.sent_at,
        last_error: row.last_error,
        skip_reason: row.skip_reason,
    }
}

/// The outbox (admins only).
#[utoipa::path(
    get, path = "/api/v1/outbox", tag = "notifications",
    params(OutboxParams),
    responses(
        (status = 200, description = "Counts per status and one page of messages, newest first", body = OutboxPage),
        (status = 400, description = "Unknown status or malformed cursor", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 422, description = "limit out of range", body = Problem),
    )
)]
async fn list_outbox(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<OutboxParams>,
) -> AppResult<Json<OutboxPage>> {
    let limit = u64::from(super::paging::limit(p.limit, 50, 200)?);
    let before = p.after.as_deref().map(decode_cursor).transpose()?;
    let (counts, mut rows) =
        oversight::outbox_page(&state.db, &caller.acting(), p.status, before, limit + 1).await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| encode_cursor(r.id))
    } else {
        None
    };
    let smtp = &state.settings.smtp;
    let from = smtp.from.as_deref();
    Ok(Json(OutboxPage {
        counts: DeliveryStatus::ALL
            .iter()
            .map(|s| {
                let n = counts
                    .iter()
                    .find(|(k, _)| k == s.as_str())
                    .map_or(0, |c| c.1);
                (s.as_str().to_owned(), n)
            })
            .collect(),
        smtp_configured: smtp.configured(),
        items: rows.into_iter().map(|r| item(r, from)).collect(),
        next,
    }))
}
