//! Money: `POST /api/v1/payments` records a quote, deposit, payment or refund on an order
//! (staff and admins; `Idempotency-Key` required, so a retried recording never counts twice),
//! and `GET /api/v1/orders/{id}/payments` shows the order's entries with the totals derived
//! from them (the order's customer and the studio).
//!
//! The rules and the transaction live in [`crate::payments`]; this module translates.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, IdempotencyKey};
use super::idempotent::{Once, answer_body, create_once, replay};
use super::session::Caller;
use crate::db::payments::PaymentRow;
use crate::domain::money::{EntryKind, Totals};
use crate::error::{AppResult, Problem};
use crate::payments;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(record_payment))
        .routes(routes!(order_payments))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPayment {
    pub order_id: Uuid,
    pub kind: EntryKind,
    /// A positive whole number of minor units (fen for CNY), at most 1 000 000 000.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub amount_minor: i64,
    /// ISO 4217 code, e.g. `CNY`; the order's first quote fixes it for every later entry.
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: String,
    /// Shown to the customer too (at most 500 characters).
    pub note: Option<String>,
    /// The follow-up iteration this entry belongs to, if any.
    pub iteration_id: Option<Uuid>,
}

/// One ledger entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub iteration_id: Option<Uuid>,
    pub kind: EntryKind,
    pub amount_minor: i64,
    pub currency: String,
    pub note: Option<String>,
    /// The staff member who recorded it (shown to the studio only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<Uuid>,
    pub recorded_at: DateTime<Utc>,
}

impl PaymentView {
    fn new(row: &PaymentRow, for_studio: bool) -> AppResult<Self> {
        Ok(Self {
            id: row.id,
            order_id: row.order_id,
            iteration_id: row.iteration_id,
            kind: row.kind,
            amount_minor: row.amount_minor,
            currency: row.currency.clone(),
            note: row.note.clone(),
            recorded_by: for_studio.then_some(row.recorded_by),
            recorded_at: row.recorded_at,
        })
    }
}

/// The totals of one iteration's entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct IterationTotals {
    pub iteration_id: Uuid,
    #[serde(flatten)]
    pub totals: Totals,
}

/// Derived on every read from the entries; nothing here is stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentSummary {
    /// The order's currency (its first quote's); absent before any quote.
    pub currency: Option<String>,
    #[serde(flatten)]
    pub totals: Totals,
    /// Subtotals of the entries that name an iteration.
    pub iterations: Vec<IterationTotals>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderPayments {
    pub summary: PaymentSummary,
    /// Every entry, oldest first.
    pub entries: Vec<PaymentView>,
}

/// Record a quote, deposit, payment or refund (staff, admins).
#[utoipa::path(
    post, path = "/api/v1/payments", tag = "money",
    request_body = NewPayment,
    params(IdempotencyKey),
    responses(
        (status = 201, description = "Recorded", body = PaymentView),
        (status = 400, description = "Missing or malformed Idempotency-Key, malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not staff", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "Refused by the ledger: no_quote, overpayment, refund_exceeds_paid, order_stopped; or the key is still being processed", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "invalid_amount, invalid_currency, currency_mismatch, invalid_note, or the key was used for a different request", body = Problem),
    )
)]
async fn record_payment(
    State(state): State<AppState>,
    caller: Caller,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(req): ApiJson<NewPayment>,
) -> AppResult<Response> {
    let actor = caller.acting();
    let order_id = req.order_id;
    let prepared = payments::prepare(&state.db, &actor, req.clone().into()).await?;
    let owner = format!("payments:{}", caller.user.id);
    let recorded = create_once(&state, &owner, &key, &req, move |txn| {
        Box::pin(async move {
            let row = payments::store(txn, &actor, prepared).await?;
            let view = PaymentView::new(&row, true)?;
            let body = answer_body(&view)?;
            Ok((view, body))
        })
    })
    .await?;
    let view = match recorded {
        Once::Created(view) => view,
        Once::Replayed { status, body } => return Ok(replay(status, body)),
    };
    let mut response = (StatusCode::CREATED, Json(view)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/orders/{order_id}/payments")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

impl From<NewPayment> for payments::RecordPayment {
    fn from(req: NewPayment) -> Self {
        Self {
            order_id: req.order_id,
            kind: req.kind,
            amount_minor: req.amount_minor,
            currency: req.currency,
            note: req.note,
            iteration_id: req.iteration_id,
        }
    }
}

/// The order's money: every entry and the totals derived from them (the order's customer and
/// the studio).
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/payments", tag = "money",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "Entries and derived totals", body = OrderPayments),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn order_payments(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<OrderPayments>> {
    let payments::Ledger {
        entries: rows,
        summary,
        ..
    } = payments::ledger(&state.db, &caller.acting(), id).await?;
    let studio = caller.who().is_studio();
    Ok(Json(OrderPayments {
        summary: PaymentSummary {
            currency: summary.currency.map(|c| c.as_str().to_owned()),
            totals: summary.totals,
            iterations: summary
                .iterations
                .into_iter()
                .map(|(iteration_id, totals)| IterationTotals {
                    iteration_id,
                    totals,
                })
                .collect(),
        },
        entries: rows
            .iter()
            .map(|r| PaymentView::new(r, studio))
            .collect::<AppResult<_>>()?,
    }))
}
