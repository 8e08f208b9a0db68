//! The facts behind the reports, over a date range: deliveries (for on-time rate and
//! turnaround) and the funnel's counts (orders created in the range, followed to where they
//! got, plus the inquiries left on the landing page in the range).

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, Statement,
    Value,
};

use super::entities::order::{self, Entity as Orders};
use crate::domain::order::DeliveryMode;
use crate::domain::reports::Delivery;

/// Orders of `mode` delivered in `[from, to)`.
pub async fn deliveries(
    conn: &impl ConnectionTrait,
    mode: DeliveryMode,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Delivery>, DbErr> {
    let rows = Orders::find()
        .filter(order::Column::DeliveryMode.eq(mode.as_str()))
        .filter(order::Column::DeliveredAt.gte(from))
        .filter(order::Column::DeliveredAt.lt(to))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|o| {
            Some(Delivery {
                queued_at: o.queued_at?,
                promised_at: o.promised_at?,
                delivered_at: o.delivered_at?,
            })
        })
        .collect())
}

/// `?` placeholders, numbered for PostgreSQL.
fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DatabaseBackend::Postgres {
        let mut n = 0;
        sql.chars()
            .map(|c| {
                if c == '?' {
                    n += 1;
                    format!("${n}")
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// How many of the orders created in `[from, to)` satisfy `condition` (SQL over `o`).
async fn count(
    conn: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    condition: &str,
) -> Result<i64, DbErr> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM orders o WHERE o.created_at >= ? AND o.created_at < ? AND ({condition})"
    );
    let row = conn
        .query_one_raw(statement(
            conn.get_database_backend(),
            &sql,
            vec![from.into(), to.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("COUNT returned no row".into()))?;
    row.try_get("", "n")
}

/// An order with a recorded decision `decision` of kind `action`.
fn decided(action: &str, decision: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM audit_events a WHERE a.target_id = o.id AND a.action = '{action}' \
         AND a.outcome = 'success' AND a.detail ->> 'decision' = '{decision}')"
    )
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunnelCounts {
    /// Orders created plus landing-page inquiries left.
    pub inquiries: i64,
    /// Of those, the landing-page inquiries.
    pub inquiry_forms: i64,
    pub submitted: i64,
    pub screened_in: i64,
    pub consent_approved: i64,
    pub delivered: i64,
    pub declined_at_screening: i64,
    pub referred_at_screening: i64,
    pub rejected_at_consent_review: i64,
    pub cancelled: i64,
    pub withdrawn: i64,
}

pub async fn funnel(
    conn: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<FunnelCounts, DbErr> {
    let orders = count(conn, from, to, "1 = 1").await?;
    let inquiry_forms = super::inquiries::count_between(conn, from, to).await?;
    Ok(FunnelCounts {
        inquiries: orders + inquiry_forms,
        inquiry_forms,
        submitted: count(conn, from, to, "o.submitted_at IS NOT NULL").await?,
        screened_in: count(conn, from, to, &decided("screening.decided", "proceed")).await?,
        consent_approved: count(conn, from, to, "o.queued_at IS NOT NULL").await?,
        delivered: count(conn, from, to, "o.delivered_at IS NOT NULL").await?,
        declined_at_screening: count(conn, from, to, &decided("screening.decided", "decline"))
            .await?,
        referred_at_screening: count(conn, from, to, &decided("screening.decided", "refer"))
            .await?,
        rejected_at_consent_review: count(
            conn,
            from,
            to,
            &decided("consent_review.decided", "reject"),
        )
        .await?,
        cancelled: count(conn, from, to, "o.status = 'cancelled'").await?,
        withdrawn: count(conn, from, to, "o.withdrawn_at IS NOT NULL").await?,
    })
}
