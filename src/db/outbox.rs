//! The outbox relay's queries: claim due messages with a lease, record each one's fate only
//! while still holding that lease, and the admin's keyset-paginated listing.
//!
//! A message is due when it is `queued`, its `available_at` has come and nobody holds a live
//! lease on it. PostgreSQL claims with `FOR UPDATE SKIP LOCKED` (relays in several replicas take
//! disjoint messages without waiting on each other); SQLite has one writer at a time, so the
//! same single conditional UPDATE is atomic there. A relay that dies holding a lease loses the
//! message to the next relay once the lease lapses.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use uuid::Uuid;

use super::entities::outbox_message::{self, Entity as Outbox};

crate::domain::order::string_enum!(
    /// Where a message stands: waiting (or between tries), accepted by the SMTP server, given up
    /// after the last try or refused for good, or deliberately not mailed.
    DeliveryStatus {
        Queued => "queued",
        Sent => "sent",
        Failed => "failed",
        Skipped => "skipped",
    }
);

pub type OutboxRow = outbox_message::Model;

/// Claim up to `limit` due messages for `owner` until `lease_until`, oldest first.
pub async fn claim(
    conn: &impl ConnectionTrait,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<OutboxRow>, DbErr> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE outbox SET lease_owner = $1, lease_until = $2 \
             WHERE id IN (SELECT id FROM outbox WHERE status = 'queued' AND available_at <= $3 \
               AND (lease_until IS NULL OR lease_until < $3) \
               ORDER BY available_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING *"
        }
        _ => {
            "UPDATE outbox SET lease_owner = ?, lease_until = ? \
             WHERE id IN (SELECT id FROM outbox WHERE status = 'queued' AND available_at <= ? \
               AND (lease_until IS NULL OR lease_until < ?) \
               ORDER BY available_at, id LIMIT ?) \
             RETURNING *"
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
    let mut rows = Outbox::find()
        .from_raw_sql(Statement::from_sql_and_values(backend, sql, values))
        .all(conn)
        .await?;
    // RETURNING keeps no order; hand them back oldest first.
    rows.sort_by_key(|r| (r.available_at, r.id));
    Ok(rows)
}

/// What became of one try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// The SMTP server accepted it.
    Sent,
    /// Try again at `next_at`.
    Retry {
        next_at: DateTime<Utc>,
        error: String,
    },
    /// Given up: the last try failed, or the server refused for good.
    Failed { error: String },
    /// Deliberately not mailed.
    Skipped { reason: String },
}

/// Record `fate` and release the lease — only if `owner` still holds it on a queued message.
/// `false`: the lease lapsed and another relay took the message over; it records the outcome.
pub async fn settle(
    conn: &impl ConnectionTrait,
    id: Uuid,
    owner: &str,
    now: DateTime<Utc>,
    fate: Fate,
) -> Result<bool, DbErr> {
    use outbox_message::Column as C;
    let tried = Expr::col(C::Attempts).add(1);
    let mut update = Outbox::update_many()
        .col_expr(C::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(C::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None));
    update = match fate {
        Fate::Sent => update
            .col_expr(C::Status, Expr::value(DeliveryStatus::Sent.as_str()))
            .col_expr(C::SentAt, Expr::value(now))
            .col_expr(C::LastAttemptAt, Expr::value(now))
            .col_expr(C::Attempts, tried),
        Fate::Retry { next_at, error } => update
            .col_expr(C::AvailableAt, Expr::value(next_at))
            .col_expr(C::LastError, Expr::value(error))
            .col_expr(C::LastAttemptAt, Expr::value(now))
            .col_expr(C::Attempts, tried),
        Fate::Failed { error } => update
            .col_expr(C::Status, Expr::value(DeliveryStatus::Failed.as_str()))
            .col_expr(C::LastError, Expr::value(error))
            .col_expr(C::LastAttemptAt, Expr::value(now))
            .col_expr(C::Attempts, tried),
        Fate::Skipped { reason } => update
            .col_expr(C::Status, Expr::value(DeliveryStatus::Skipped.as_str()))
            .col_expr(C::SkipReason, Expr::value(reason)),
    };
    let result = update
        .filter(C::Id.eq(id))
        .filter(C::LeaseOwner.eq(owner))
        .filter(C::Status.eq(DeliveryStatus::Queued.as_str()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// One page of messages, newest first, optionally of one status; `before`: the last id of the
/// previous page.
pub async fn page(
    conn: &impl ConnectionTrait,
    status: Option<DeliveryStatus>,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<OutboxRow>, DbErr> {
    let mut query = Outbox::find();
    if let Some(status) = status {
        query = query.filter(outbox_message::Column::Status.eq(status.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(outbox_message::Column::Id.lt(before));
    }
    query
        .order_by_desc(outbox_message::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Hand back every message `owner` still holds unsettled (a relay stopping), so another
/// replica's relay can send it at once rather than when the lease lapses. How many.
pub async fn release_all(conn: &impl ConnectionTrait, owner: &str) -> Result<u64, DbErr> {
    use outbox_message::Column as C;
    let result = Outbox::update_many()
        .col_expr(C::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(C::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(C::LeaseOwner.eq(owner))
        .filter(C::Status.eq(DeliveryStatus::Queued.as_str()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<OutboxRow>, DbErr> {
    Outbox::find_by_id(id).one(conn).await
}

/// How many messages are in each status (statuses with none are absent).
pub async fn counts(conn: &impl ConnectionTrait) -> Result<Vec<(String, i64)>, DbErr> {
    Outbox::find()
        .select_only()
        .column(outbox_message::Column::Status)
        .column_as(Expr::col(outbox_message::Column::Id).count(), "n")
        .group_by(outbox_message::Column::Status)
        .into_tuple::<(String, i64)>()
        .all(conn)
        .await
}

/// Put a failed message back in the queue to be tried now, its tries counted afresh; only a
/// message still `failed` (two admins retrying at once requeue it once). The row, if requeued.
pub async fn requeue_failed(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<OutboxRow>, DbErr> {
    use outbox_message::Column as C;
    let result = Outbox::update_many()
        .col_expr(C::Status, Expr::value(DeliveryStatus::Queued.as_str()))
        .col_expr(C::AvailableAt, Expr::value(now))
        .col_expr(C::Attempts, Expr::value(0))
        .filter(C::Id.eq(id))
        .filter(C::Status.eq(DeliveryStatus::Failed.as_str()))
        .exec(conn)
        .await?;
    if result.rows_affected == 0 {
        return Ok(None);
    }
    Outbox::find_by_id(id).one(conn).await
}
