//! Money: `POST /api/v1/payments` records a quote, deposit, payment or refund on an order
//! (staff and admins; `Idempotency-Key` required, so a retried recording never counts twice),
//! and `GET /api/v1/orders/{id}/payments` shows the order's entries with the totals derived
//! from them (the order's customer and the studio).
//!
//! Recording runs in one transaction that first takes the order's row lock, then reads the
//! ledger, checks the rules of `domain::money` against it, inserts the entry, and writes its
//! audit event and the customer's outbox message: two concurrent refunds are checked one after
//! the other, so together they never exceed what was paid.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, IdempotencyKey, RequestId};
use super::idempotent::{Once, answer_body, create_once};
use super::session::{Caller, refuse};
use crate::audit::{self, Target};
use crate::db::{self, payments::PaymentRow};
use crate::domain::account::Role;
use crate::domain::money::{self, Currency, EntryKind, Totals};
use crate::error::{AppError, AppResult, Problem};
use crate::orders;
use crate::outbox::{self, Audience};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(record_payment))
        .routes(routes!(order_payments))
}

const MAX_NOTE_CHARS: usize = 500;

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
            kind: EntryKind::parse(&row.kind)
                .ok_or_else(|| AppError::internal("stored payment has an unknown kind"))?,
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

pub(crate) fn refusal(r: money::Refusal) -> AppError {
    if r.invalid_input {
        AppError::unprocessable(r.code, r.reason)
    } else {
        AppError::conflict(r.code, r.reason)
    }
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
    request_id: RequestId,
    ApiJson(req): ApiJson<NewPayment>,
) -> AppResult<Response> {
    if !(caller.user.has(Role::Staff) || caller.user.has(Role::Admin)) {
        let refusal = AppError::Forbidden {
            code: "staff_only",
            detail: "only studio staff record money".into(),
        };
        return Err(refuse(&state, &caller, Target::user(caller.user.id), refusal).await);
    }
    if !money::valid_amount(req.amount_minor) {
        return Err(AppError::unprocessable(
            "invalid_amount",
            format!(
                "amount_minor is a whole number of minor units from 1 to {}",
                money::MAX_AMOUNT_MINOR
            ),
        ));
    }
    let currency = Currency::parse(&req.currency).ok_or_else(|| {
        AppError::unprocessable(
            "invalid_currency",
            "currency is an ISO 4217 code: three uppercase letters such as CNY",
        )
    })?;
    let note = req
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(AppError::unprocessable(
            "invalid_note",
            format!("a note is at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    let order_id = req.order_id;
    db::orders::find(&state.db, order_id)
        .await?
        .ok_or_else(order_not_found)?;

    let owner = format!("payments:{}", caller.user.id);
    let new_entry = money::Entry {
        kind: req.kind,
        amount_minor: req.amount_minor,
        currency: currency.clone(),
        iteration_id: req.iteration_id,
    };
    let new = db::payments::NewPayment {
        order_id,
        iteration_id: req.iteration_id,
        kind: req.kind,
        amount_minor: req.amount_minor,
        currency,
        note,
        recorded_by: caller.user.id,
        recorded_at: db::now(),
    };
    let (actor, request_id) = (caller.actor(), request_id.0);
    let recorded = create_once(&state, &owner, &key, &req, move |txn| {
        Box::pin(async move {
            if !db::order_lock::lock(txn, order_id).await? {
                return Err(order_not_found());
            }
            let order = db::orders::find(txn, order_id)
                .await?
                .ok_or_else(order_not_found)?;
            let entries = db::payments::for_order(txn, order_id)
                .await?
                .iter()
                .map(db::payments::entry)
                .collect::<Result<Vec<_>, _>>()?;
            money::check(&entries, &new_entry, order.status).map_err(refusal)?;
            let row = db::payments::insert(txn, new).await?;
            let detail = serde_json::json!({
                "payment_id": row.id,
                "kind": row.kind,
                "amount_minor": row.amount_minor,
                "currency": row.currency,
                "iteration_id": row.iteration_id,
            });
            audit::record(
                txn,
                &actor,
                "payment.recorded",
                Target::order(order_id),
                request_id.as_deref(),
                detail,
            )
            .await?;
            let message = serde_json::json!({
                "reference": order.reference,
                "kind": row.kind,
                "amount_minor": row.amount_minor,
                "currency": row.currency,
            });
            outbox::enqueue(
                txn,
                "payment.recorded",
                Some(order_id),
                Audience::Customer,
                message,
            )
            .await?;
            let view = PaymentView::new(&row, true)?;
            let body = answer_body(&view)?;
            Ok((view, body))
        })
    })
    .await?;
    let view = match recorded {
        Once::Created(view) => view,
        Once::Replayed(answer) => return Ok(answer),
    };
    let mut response = (StatusCode::CREATED, Json(view)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/orders/{order_id}/payments")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

fn order_not_found() -> AppError {
    AppError::not_found("order_not_found", "no such order")
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
    let order = orders::load(&state.db, &caller.acting(), id).await?;
    let rows = db::payments::for_order(&state.db, order.id).await?;
    let entries = rows
        .iter()
        .map(db::payments::entry)
        .collect::<Result<Vec<_>, _>>()?;
    let summary = money::summarize(&entries);
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
