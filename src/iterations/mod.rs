//! Follow-up iterations: paid work on a delivered order (PRODUCT.md, "Follow-up iterations").
//! Staff record one with what it needs and its price ([`create`]); if it needs more than the
//! consents on file grant, it waits for the customer's fresh consent for that iteration alone;
//! staff then take it through its own stages to delivery ([`act`]).
//!
//! Iterations are made and worked on only while their order is delivered (or closed) and not
//! erased: a withdrawal stops follow-up work as it stops the order. Every change takes the
//! order's row lock and reads the order again under it, so a withdrawal that lands meanwhile
//! wins.

mod act;
mod create;
mod view;

pub use act::act;
pub use create::{NewIterationCommand, PreparedIteration, prepare, store};
pub use view::{ConsentCover, IterationView, Price, cover, view};

use crate::domain::ids::OrderId;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::actor::Actor;
use crate::orders;
use uuid::Uuid;

use crate::db::{self, iterations::IterationRow, orders::OrderRecord};
use crate::domain::iteration;
use crate::error::{AppError, AppResult, Code};

/// 409 `order_not_delivered` unless the order takes iterations now.
pub fn order_open(order: &OrderRecord) -> AppResult<()> {
    if iteration::order_takes_iterations(order.status) && order.erased_at.is_none() {
        return Ok(());
    }
    Err(AppError::conflict(
        Code::OrderNotDelivered,
        format!(
            "iterations follow a delivered order; this one is {}",
            order.status
        ),
    ))
}

/// The order's iterations, first first (its customer and the studio).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
) -> AppResult<Vec<IterationView>> {
    orders::load(db, actor, order_id).await?;
    let mut out = Vec::new();
    for row in db::iterations::for_order(db, order_id).await? {
        out.push(view(db, &row).await?);
    }
    Ok(out)
}

/// One of the order's iterations (its customer and the studio).
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: OrderId,
    id: Uuid,
) -> AppResult<IterationView> {
    orders::load(db, actor, order_id.uuid()).await?;
    view(db, &load(db, order_id, id).await?).await
}

/// The order's iteration `id` (404 `iteration_not_found`).
pub async fn load(
    conn: &impl ConnectionTrait,
    order_id: OrderId,
    id: Uuid,
) -> AppResult<IterationRow> {
    db::iterations::find(conn, order_id, id)
        .await?
        .ok_or_else(|| AppError::not_found(Code::IterationNotFound, "no such iteration"))
}
