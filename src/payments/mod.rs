//! Money on an order: recording a quote, deposit, payment or refund, and reading the order's
//! ledger with the totals derived from it (PRODUCT.md, "Money").
//!
//! Every entry goes through [`add_entry`], under the order's row lock: it reads the ledger,
//! checks the rules of `domain::money` against it and inserts — so two concurrent refunds are
//! checked one after the other and together never exceed what was paid, whether they come from
//! the money desk ([`store`]) or from a follow-up iteration's price
//! ([`crate::iterations::store`]).

use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, orders::OrderRecord, payments::PaymentRow};
use crate::domain::account::Role;
use crate::domain::money::{self, Currency, EntryKind, Summary};
use crate::domain::order::OrderStatus;
use crate::error::{AppError, AppResult, Code};
use crate::orders;
use crate::outbox::{self, Audience};

const MAX_NOTE_CHARS: usize = 500;

/// What the money desk records.
#[derive(Debug, Clone)]
pub struct RecordPayment {
    pub order_id: Uuid,
    pub kind: EntryKind,
    pub amount_minor: i64,
    pub currency: String,
    pub note: Option<String>,
    pub iteration_id: Option<Uuid>,
}

/// A [`RecordPayment`] whose input has been checked; [`store`] records it.
pub struct PreparedPayment(db::payments::NewPayment);

/// Check who records and what (staff and admins; a positive amount, an ISO 4217 currency, a
/// note of at most 500 characters, an order that exists). Nothing is written but the refusal's
/// audit event.
pub async fn prepare(
    db: &DatabaseConnection,
    actor: &Actor,
    command: RecordPayment,
) -> AppResult<PreparedPayment> {
    if !(actor.has(Role::Staff) || actor.has(Role::Admin)) {
        let refusal = AppError::Forbidden {
            code: Code::StaffOnly,
            detail: "only studio staff record money".into(),
        };
        return Err(crate::actor::refuse(db, actor, Target::user(actor.id), refusal).await);
    }
    if !money::valid_amount(command.amount_minor) {
        return Err(AppError::unprocessable(
            Code::InvalidAmount,
            format!(
                "amount_minor is a whole number of minor units from 1 to {}",
                money::MAX_AMOUNT_MINOR
            ),
        ));
    }
    let currency = parse_currency(&command.currency)?;
    let note = command
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
            Code::InvalidNote,
            format!("a note is at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    db::orders::find(db, command.order_id)
        .await?
        .ok_or_else(order_not_found)?;
    Ok(PreparedPayment(db::payments::NewPayment {
        order_id: command.order_id,
        iteration_id: command.iteration_id,
        kind: command.kind,
        amount_minor: command.amount_minor,
        currency,
        note,
        recorded_by: actor.id,
        recorded_at: db::now(),
    }))
}

/// Record a prepared entry in the caller's transaction (which also keeps the request's
/// idempotent answer): the order's lock, the ledger check, the entry, its audit event and the
/// customer's message.
pub async fn store(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    payment: PreparedPayment,
) -> AppResult<PaymentRow> {
    let PreparedPayment(new) = payment;
    let order_id = new.order_id;
    let order = orders::locked(txn, order_id).await?;
    let row = add_entry(txn, order.status, new).await?;
    let detail = serde_json::json!({
        "payment_id": row.id,
        "kind": row.kind,
        "amount_minor": row.amount_minor,
        "currency": row.currency,
        "iteration_id": row.iteration_id,
    });
    audit::record(
        txn,
        &actor.audit(),
        "payment.recorded",
        Target::order(order_id),
        actor.request_id(),
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
    Ok(row)
}

/// Check `new` against the order's ledger and insert it. The caller holds the order's row lock
/// (so the ledger it checks against is the one it adds to) and writes the audit event.
pub async fn add_entry(
    txn: &impl ConnectionTrait,
    order_status: OrderStatus,
    new: db::payments::NewPayment,
) -> AppResult<PaymentRow> {
    let entries = db::payments::for_order(txn, new.order_id)
        .await?
        .iter()
        .map(db::payments::entry)
        .collect::<Result<Vec<_>, _>>()?;
    let entry = money::Entry {
        kind: new.kind,
        amount_minor: new.amount_minor,
        currency: new.currency.clone(),
        iteration_id: new.iteration_id,
    };
    money::check(&entries, &entry, order_status).map_err(refusal)?;
    Ok(db::payments::insert(txn, new).await?)
}

/// The order's money as its customer or the studio sees it: every entry, oldest first, and
/// the totals derived from them.
pub struct Ledger {
    pub order: OrderRecord,
    pub entries: Vec<PaymentRow>,
    pub summary: Summary,
}

pub async fn ledger(db: &DatabaseConnection, actor: &Actor, order_id: Uuid) -> AppResult<Ledger> {
    let order = orders::load(db, actor, order_id).await?;
    let entries = db::payments::for_order(db, order.id).await?;
    let parsed = entries
        .iter()
        .map(db::payments::entry)
        .collect::<Result<Vec<_>, _>>()?;
    let summary = money::summarize(&parsed);
    Ok(Ledger {
        order,
        entries,
        summary,
    })
}

/// An ISO 4217 code (422 `invalid_currency` otherwise).
pub fn parse_currency(code: &str) -> AppResult<Currency> {
    Currency::parse(code).ok_or_else(|| {
        AppError::unprocessable(
            Code::InvalidCurrency,
            "currency is an ISO 4217 code: three uppercase letters such as CNY",
        )
    })
}

/// A money rule's refusal: bad input is 422, a conflict with the ledger 409.
fn refusal(r: money::Refusal) -> AppError {
    if r.invalid_input {
        AppError::unprocessable(r.code, r.reason)
    } else {
        AppError::conflict(r.code, r.reason)
    }
}

fn order_not_found() -> AppError {
    AppError::not_found(Code::OrderNotFound, "no such order")
}
