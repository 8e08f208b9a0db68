//! Placing an order: only customers place orders; the intake is checked before anything is
//! stored; the order starts in `draft` with its `order.created` audit event.
//!
//! In two steps so a caller can wrap the second in its own transaction (the JSON API stores its
//! idempotent answer in the same one): [`prepare`] checks, [`store`] writes.

use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, orders::NewOrder, orders::OrderRecord};
use crate::domain::access;
use crate::domain::intake::{IntakeAnswers, Subject};
use crate::domain::order::DeliveryMode;
use crate::error::{AppError, AppResult, Code};

/// An order as its customer describes it.
pub struct NewOrderCommand {
    pub subject: Subject,
    pub delivery_mode: DeliveryMode,
    /// ISO 3166-1 alpha-2; default `CN`.
    pub jurisdiction: Option<String>,
    pub intake: Option<IntakeAnswers>,
}

/// A checked order, ready to store.
pub struct PreparedOrder(NewOrder);

/// Check that `actor` places orders (403 `customers_only`, audited) and that the intake is
/// valid (422 `invalid_intake`).
pub async fn prepare(
    db: &DatabaseConnection,
    actor: &Actor,
    command: NewOrderCommand,
) -> AppResult<PreparedOrder> {
    if !access::can_place_orders(actor.who()) {
        let refusal = AppError::Forbidden {
            code: Code::CustomersOnly,
            detail: "only customer accounts place orders".into(),
        };
        return Err(crate::actor::refuse(db, actor, Target::user(actor.id), refusal).await);
    }
    let jurisdiction = command.jurisdiction.unwrap_or_else(|| "CN".to_owned());
    let intake = command.intake.unwrap_or_default();
    super::validate(&command.subject, &intake, &jurisdiction)?;
    Ok(PreparedOrder(NewOrder {
        id: Uuid::now_v7(),
        customer_id: actor.id,
        delivery_mode: command.delivery_mode,
        jurisdiction,
        subject: command.subject,
        intake,
        now: db::now(),
    }))
}

/// Store the order with its audit event, on `txn` (which the caller commits).
pub async fn store(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    order: PreparedOrder,
) -> AppResult<OrderRecord> {
    let order = db::orders::insert(txn, order.0).await?;
    let detail =
        serde_json::json!({ "reference": order.reference, "delivery_mode": order.delivery_mode });
    let target = Target::order(order.id);
    audit::record(
        txn,
        &actor.audit(),
        "order.created",
        target,
        actor.request_id(),
        detail,
    )
    .await?;
    Ok(order)
}
