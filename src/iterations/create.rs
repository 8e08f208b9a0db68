//! Recording an iteration: the next number (serialised per order), its status (ready when the
//! consents on file already grant what it needs, else awaiting consent and the customer told),
//! its price as a quote in the order's money ledger (so the balance includes it and nothing is
//! stored twice), and its audit event — in one transaction.

use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::{IterationView, Price, order_open, view};
use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db;
use crate::domain::ids::OrderId;
use crate::domain::iteration::{self, IterationStatus, Needs};
use crate::domain::money::{Currency, EntryKind};
use crate::error::AppResult;
use crate::outbox::{self, Audience};
use crate::{orders, payments};

/// What staff ask for.
#[derive(Debug, Clone)]
pub struct NewIterationCommand {
    /// What the customer asked for ("a new clip for the anniversary").
    pub description: String,
    pub needs: Needs,
    pub price: Price,
}

/// A checked [`NewIterationCommand`] for one order; [`store`] records it.
pub struct PreparedIteration {
    order_id: Uuid,
    reference: String,
    description: String,
    needs: Needs,
    amount_minor: i64,
    currency: Currency,
}

/// Check who records (studio staff) on which order (delivered, not erased) and what (a
/// description, a currency). Nothing is written but a refusal's audit event.
pub async fn prepare(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
    command: NewIterationCommand,
) -> AppResult<PreparedIteration> {
    let order =
        orders::load_staff(db, actor, order_id, "only studio staff record iterations").await?;
    order_open(&order)?;
    let description =
        orders::required_text(Some(&command.description), "description", "an iteration")?;
    let currency = payments::parse_currency(&command.price.currency)?;
    Ok(PreparedIteration {
        order_id: order.id,
        reference: order.reference,
        description,
        needs: command.needs.normalized(),
        amount_minor: command.price.amount_minor,
        currency,
    })
}

/// Record a prepared iteration in the caller's transaction (which also keeps the request's
/// idempotent answer).
pub async fn store(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    prepared: PreparedIteration,
) -> AppResult<IterationView> {
    let PreparedIteration {
        order_id,
        reference,
        description,
        needs,
        amount_minor,
        currency,
    } = prepared;
    let granted = db::iterations::granted(txn, OrderId(order_id), Uuid::nil()).await?;
    let status = if iteration::missing(&needs, &granted).is_empty() {
        IterationStatus::Ready
    } else {
        IterationStatus::AwaitingConsent
    };
    // Serialised per order: the next number is read and used in one writer's turn, on the
    // order as it is now (a withdrawal may have stopped it meanwhile).
    let order = orders::locked(txn, order_id).await?;
    order_open(&order)?;
    let new = db::iterations::NewIteration {
        id: Uuid::now_v7(),
        order_id,
        description,
        needs,
        status,
        created_by: actor.id,
        now: db::now(),
    };
    let row = db::iterations::insert(txn, new).await?;
    let quote = db::payments::NewPayment {
        order_id,
        iteration_id: Some(row.id),
        kind: EntryKind::Quote,
        amount_minor,
        currency: currency.clone(),
        note: None,
        recorded_by: actor.id,
        recorded_at: row.created_at,
    };
    payments::add_entry(txn, order.status, quote).await?;
    let detail = serde_json::json!({
        "iteration_id": row.id, "number": row.number, "status": row.status,
        "price_minor": amount_minor, "currency": currency.as_str(),
    });
    audit::record(
        txn,
        &actor.audit(),
        "iteration.created",
        Target::order(order_id),
        actor.request_id(),
        detail,
    )
    .await?;
    if status == IterationStatus::AwaitingConsent {
        let payload = serde_json::json!({ "reference": reference, "iteration": row.number });
        outbox::enqueue(
            txn,
            "iteration.consent_needed",
            Some(order_id),
            Audience::Customer,
            payload,
        )
        .await?;
    }
    view(txn, &row).await
}
