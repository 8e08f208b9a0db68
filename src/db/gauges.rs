//! The counts `/metrics` reports as gauges, read from the database when it is scraped: they are
//! facts about the shared data (every replica reports the same), not about one process.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::entities::{order, outbox_message};
use super::outbox::DeliveryStatus;

/// How many orders are in each status (statuses with none are absent), and how many are
/// flagged at risk or overdue.
pub struct OrderCounts {
    pub by_status: Vec<(String, i64)>,
    pub at_risk: i64,
    pub overdue: i64,
}

pub async fn orders(conn: &impl ConnectionTrait) -> Result<OrderCounts, DbErr> {
    let by_status = order::Entity::find()
        .select_only()
        .column(order::Column::Status)
        .column_as(Expr::col(order::Column::Id).count(), "n")
        .group_by(order::Column::Status)
        .into_tuple::<(String, i64)>()
        .all(conn)
        .await?;
    let flagged = |column: order::Column| async move {
        order::Entity::find()
            .select_only()
            .column_as(Expr::col(order::Column::Id).count(), "n")
            .filter(column.eq(true))
            .into_tuple::<i64>()
            .one(conn)
            .await
            .map(Option::unwrap_or_default)
    };
    Ok(OrderCounts {
        by_status,
        at_risk: flagged(order::Column::AtRisk).await?,
        overdue: flagged(order::Column::Overdue).await?,
    })
}

/// When the oldest message still waiting to be sent was queued (none: nothing waits).
pub async fn oldest_queued_message(
    conn: &impl ConnectionTrait,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    outbox_message::Entity::find()
        .select_only()
        .column_as(Expr::col(outbox_message::Column::CreatedAt).min(), "oldest")
        .filter(outbox_message::Column::Status.eq(DeliveryStatus::Queued.as_str()))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(conn)
        .await
        .map(Option::flatten)
}
