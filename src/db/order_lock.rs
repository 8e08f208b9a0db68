//! Serialising work on one order that is not itself an order change (recording money, booking
//! and logging live sessions) against everything else that touches the order.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entities::order::{self, Entity as Orders};

/// Take the order's row lock for the rest of the transaction with a write that changes nothing
/// (PostgreSQL locks the row; SQLite takes its single writer lock before anything is read), so
/// a rule checked against what the transaction reads next still holds when it commits: two
/// refunds on one order, or a session logged while a withdrawal stops the order, run one after
/// the other. The version is untouched, so nobody's ETag goes stale. `false`: no such order.
pub async fn lock(conn: &impl ConnectionTrait, order_id: Uuid) -> Result<bool, DbErr> {
    let result = Orders::update_many()
        .col_expr(order::Column::Version, Expr::col(order::Column::Version))
        .filter(order::Column::Id.eq(order_id))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
