//! Iteration queries. Numbers are per order (`max + 1`, a unique index settles races); status
//! changes are conditional on the version the caller read.

use crate::domain::ids::OrderId;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::{consent, iteration};
use crate::domain::consent::{ConsentDecision, ConsentParty, Grants};
use crate::domain::iteration::{IterationStatus, Needs};

pub use iteration::Model as IterationRow;

impl IterationRow {
    pub fn needs(&self) -> Result<Needs, DbErr> {
        serde_json::from_value(self.needs.clone())
            .map_err(|e| DbErr::Custom(format!("stored iteration needs are unreadable: {e}")))
    }
}

pub struct NewIteration {
    pub id: Uuid,
    pub order_id: Uuid,
    pub description: String,
    pub needs: Needs,
    pub status: IterationStatus,
    pub created_by: Uuid,
    pub now: DateTime<Utc>,
}

/// Insert with the order's next number. A concurrent insert that took the same number makes
/// this fail with a unique violation; the caller retries.
pub async fn insert(conn: &impl ConnectionTrait, new: NewIteration) -> Result<IterationRow, DbErr> {
    let last: Option<i32> = iteration::Entity::find()
        .select_only()
        .column_as(iteration::Column::Number.max(), "n")
        .filter(iteration::Column::OrderId.eq(new.order_id))
        .into_tuple::<Option<i32>>()
        .one(conn)
        .await?
        .flatten();
    let needs = serde_json::to_value(&new.needs).map_err(|e| DbErr::Custom(e.to_string()))?;
    iteration::ActiveModel {
        id: Set(new.id),
        order_id: Set(new.order_id),
        number: Set(last.unwrap_or(0) + 1),
        description: Set(new.description),
        needs: Set(needs),
        status: Set(new.status),
        due_at: Set(None),
        started_at: Set(None),
        delivered_at: Set(None),
        cancelled_at: Set(None),
        created_by: Set(new.created_by),
        created_at: Set(new.now),
        updated_at: Set(new.now),
        version: Set(1),
    }
    .insert(conn)
    .await
}

pub async fn find(
    conn: &impl ConnectionTrait,
    order_id: OrderId,
    id: Uuid,
) -> Result<Option<IterationRow>, DbErr> {
    iteration::Entity::find_by_id(id)
        .filter(iteration::Column::OrderId.eq(order_id))
        .one(conn)
        .await
}

pub async fn for_order(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<IterationRow>, DbErr> {
    iteration::Entity::find()
        .filter(iteration::Column::OrderId.eq(order_id))
        .order_by_asc(iteration::Column::Number)
        .all(conn)
        .await
}

/// What a status change sets besides the status.
#[derive(Debug, Clone, Default)]
pub struct Stamps {
    pub due_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// Move the iteration to `to` if it is still at `expected_version`. `None`: it changed.
pub async fn transition(
    conn: &impl ConnectionTrait,
    row: &IterationRow,
    expected_version: i32,
    to: IterationStatus,
    stamps: Stamps,
    now: DateTime<Utc>,
) -> Result<Option<IterationRow>, DbErr> {
    let result = iteration::Entity::update_many()
        .col_expr(iteration::Column::Status, Expr::value(to.as_str()))
        .col_expr(
            iteration::Column::DueAt,
            Expr::value(stamps.due_at.or(row.due_at)),
        )
        .col_expr(
            iteration::Column::StartedAt,
            Expr::value(stamps.started_at.or(row.started_at)),
        )
        .col_expr(
            iteration::Column::DeliveredAt,
            Expr::value(stamps.delivered_at.or(row.delivered_at)),
        )
        .col_expr(
            iteration::Column::CancelledAt,
            Expr::value(stamps.cancelled_at.or(row.cancelled_at)),
        )
        .col_expr(iteration::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            iteration::Column::Version,
            Expr::col(iteration::Column::Version).add(1),
        )
        .filter(iteration::Column::Id.eq(row.id))
        .filter(iteration::Column::Version.eq(expected_version))
        .exec(conn)
        .await?;
    if result.rows_affected == 1 {
        find(conn, OrderId(row.order_id), row.id).await
    } else {
        Ok(None)
    }
}

/// The grants of the live consents that count for an iteration: given, not withdrawn, by the
/// requester or the living subject, on the order itself or for this iteration.
pub async fn granted(
    conn: &impl ConnectionTrait,
    order_id: OrderId,
    iteration_id: Uuid,
) -> Result<Vec<Grants>, DbErr> {
    use sea_orm::Condition;
    let rows = consent::Entity::find()
        .filter(consent::Column::OrderId.eq(order_id))
        .filter(consent::Column::WithdrawnAt.is_null())
        .filter(consent::Column::Decision.eq(ConsentDecision::Given.as_str()))
        .filter(consent::Column::Party.is_in([
            ConsentParty::Requester.as_str(),
            ConsentParty::LivingSubject.as_str(),
        ]))
        .filter(
            Condition::any()
                .add(consent::Column::IterationId.is_null())
                .add(consent::Column::IterationId.eq(iteration_id)),
        )
        .all(conn)
        .await?;
    rows.iter()
        .map(|c| {
            serde_json::from_value(c.grants.clone())
                .map_err(|e| DbErr::Custom(format!("stored grants are unreadable: {e}")))
        })
        .collect()
}
