//! The SLA sweeper's work queue on the orders table: orders whose `sla_next_check_at` has come
//! are claimed with a lease (`sla_lease_owner`, `sla_lease_until`) so that sweepers in several
//! replicas never process one order at once, and a crashed sweeper's claim lapses.
//!
//! PostgreSQL claims with `FOR UPDATE SKIP LOCKED` (concurrent claimers take disjoint rows
//! without waiting); SQLite has one writer at a time, so the same single UPDATE is atomic there.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, Statement,
};
use uuid::Uuid;

use super::entities::order::{self, Entity as Orders};

/// Claim up to `limit` orders due for a look, for `owner` until `lease_until`.
pub async fn claim(
    conn: &impl ConnectionTrait,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Uuid>, DbErr> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE orders SET sla_lease_owner = $1, sla_lease_until = $2 \
             WHERE id IN (SELECT id FROM orders WHERE sla_next_check_at <= $3 \
               AND (sla_lease_until IS NULL OR sla_lease_until < $3) \
               ORDER BY sla_next_check_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING id"
        }
        _ => {
            "UPDATE orders SET sla_lease_owner = ?, sla_lease_until = ? \
             WHERE id IN (SELECT id FROM orders WHERE sla_next_check_at <= ? \
               AND (sla_lease_until IS NULL OR sla_lease_until < ?) \
               ORDER BY sla_next_check_at LIMIT ?) \
             RETURNING id"
        }
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let values: Vec<sea_orm::Value> = match backend {
        DatabaseBackend::Postgres => {
            vec![owner.into(), lease_until.into(), now.into(), limit.into()]
        }
        _ => vec![
            owner.into(),
            lease_until.into(),
            now.into(),
            now.into(),
            limit.into(),
        ],
    };
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.iter().map(|r| r.try_get::<Uuid>("", "id")).collect()
}

/// Hand back every claim `owner` still holds (a sweeper stopping mid-batch), so another
/// replica's next sweep takes those orders at once rather than when the lease lapses. How
/// many were handed back.
pub async fn release_all(conn: &impl ConnectionTrait, owner: &str) -> Result<u64, DbErr> {
    let result = Orders::update_many()
        .col_expr(order::Column::SlaLeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(
            order::Column::SlaLeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(order::Column::SlaLeaseOwner.eq(owner))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// What a look at an order concluded.
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    pub at_risk: bool,
    pub overdue: bool,
    pub next_check_at: Option<DateTime<Utc>>,
}

/// Store the verdict and release the lease — only if `owner` still holds it and the flags are
/// still the ones it read (`was_*`): a sweeper whose lease lapsed changes nothing. `false`: the
/// order was taken over; do not announce anything.
pub async fn settle(
    conn: &impl ConnectionTrait,
    id: Uuid,
    owner: &str,
    was_at_risk: bool,
    was_overdue: bool,
    verdict: Verdict,
) -> Result<bool, DbErr> {
    let result = Orders::update_many()
        .col_expr(order::Column::AtRisk, Expr::value(verdict.at_risk))
        .col_expr(order::Column::Overdue, Expr::value(verdict.overdue))
        .col_expr(
            order::Column::SlaNextCheckAt,
            Expr::value(verdict.next_check_at),
        )
        .col_expr(
            order::Column::SlaLeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            order::Column::SlaLeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(order::Column::Id.eq(id))
        .filter(order::Column::SlaLeaseOwner.eq(owner))
        .filter(order::Column::AtRisk.eq(was_at_risk))
        .filter(order::Column::Overdue.eq(was_overdue))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
