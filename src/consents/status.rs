//! Where an order's consents stand: its facts put to the jurisdiction's policy with every
//! consent recorded on it (what is required, what satisfies it, what is missing or refused).

use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use crate::actor::Actor;
use crate::db::{self, consents::ConsentRow, orders::OrderRecord};
use crate::domain::consent_policy::{self, ConsentStatus, OrderFacts};
use crate::error::AppResult;
use crate::orders;

/// The facts about an order the consent policy decides on.
pub fn order_facts(order: &OrderRecord) -> OrderFacts {
    OrderFacts {
        mode: order.delivery_mode,
        subject_living: order.subject.living,
        living_twin: order.subject.living_twin,
        requester_relationship: order.subject.requester_relationship,
    }
}

/// The consent status of `order` (the caller has already checked who may see it).
pub async fn status_of(
    conn: &impl ConnectionTrait,
    order: &OrderRecord,
) -> AppResult<ConsentStatus> {
    let rows = db::consents::for_order(conn, order.id).await?;
    let facts = rows
        .iter()
        .map(db::consents::facts)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(consent_policy::status(
        &order.jurisdiction,
        order_facts(order),
        &facts,
    ))
}

/// Order `id`'s consent records, oldest first, withdrawn ones included (anyone who may see
/// the order).
pub async fn records(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Vec<ConsentRow>> {
    let order = orders::load(db, actor, id).await?;
    Ok(db::consents::for_order(db, order.id).await?)
}

/// Order `id` with where its consents stand (anyone who may see the order).
pub async fn status(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(OrderRecord, ConsentStatus)> {
    let order = orders::load(db, actor, id).await?;
    let status = status_of(db, &order).await?;
    Ok((order, status))
}
