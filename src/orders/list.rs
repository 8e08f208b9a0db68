//! Lists of orders: a customer sees their own (whatever filter they send); the studio sees
//! every order, optionally one customer's. Newest first, one page at a time.

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::actor::Actor;
use crate::db::{self, orders::OrderRecord};
use crate::domain::access;
use crate::domain::order::{DeliveryMode, OrderStatus};
use crate::error::AppResult;

/// What a list asks for.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    /// The studio's filter by customer (ignored for a customer: they see their own).
    pub customer_id: Option<Uuid>,
    pub status: Option<OrderStatus>,
    pub delivery_mode: Option<DeliveryMode>,
    /// The last order of the previous page.
    pub before_id: Option<Uuid>,
}

/// At most `fetch` orders the actor may see, matching `query`.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    query: OrderQuery,
    fetch: u64,
) -> AppResult<Vec<OrderRecord>> {
    let customer_id = if access::sees_only_own_orders(actor.who()) {
        Some(actor.id)
    } else {
        query.customer_id
    };
    let filter = db::orders::ListFilter {
        customer_id,
        status: query.status,
        delivery_mode: query.delivery_mode,
        before_id: query.before_id,
    };
    Ok(db::orders::list(db, &filter, fetch).await?)
}
