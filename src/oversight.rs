//! What admins read to oversee the studio's system: the audit trail (filtered, newest first)
//! and the outbox (counts per delivery status and its messages, and trying a failed one again).
//! Admins only; a refusal is itself audited.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::Target;
use crate::db::WriteTransaction;
use crate::db::{self, entities::audit_event, outbox::DeliveryStatus, outbox::OutboxRow};
use crate::error::{AppError, AppResult, Code};

/// What an admin looks for in the trail (every filter optional).
#[derive(Debug, Clone, Default)]
pub struct TrailQuery {
    /// e.g. `user:{id}`, `anonymous`, `system:upload-sweeper`.
    pub actor: Option<String>,
    /// e.g. `order.submitted`.
    pub action: Option<String>,
    pub target_id: Option<Uuid>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
    /// The last event of the previous page.
    pub before: Option<Uuid>,
}

/// The trail, newest first, at most `fetch` events matching `query` (admins; a refusal is
/// itself recorded).
pub async fn audit_trail(
    db: &DatabaseConnection,
    actor: &Actor,
    query: TrailQuery,
    fetch: u64,
) -> AppResult<Vec<audit_event::Model>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    crate::orders::require_admin(db, actor, "only admins read the audit trail").await?;
    let mut find = audit_event::Entity::find();
    if let Some(who) = query.actor {
        find = find.filter(audit_event::Column::Actor.eq(who));
    }
    if let Some(action) = query.action {
        find = find.filter(audit_event::Column::Action.eq(action));
    }
    if let Some(target) = query.target_id {
        find = find.filter(audit_event::Column::TargetId.eq(target));
    }
    if let Some(since) = query.since {
        find = find.filter(audit_event::Column::OccurredAt.gte(since));
    }
    if let Some(until) = query.until {
        find = find.filter(audit_event::Column::OccurredAt.lt(until));
    }
    if let Some(before) = query.before {
        find = find.filter(audit_event::Column::Id.lt(before));
    }
    Ok(find
        .order_by_desc(audit_event::Column::Id)
        .limit(fetch)
        .all(db)
        .await?)
}

/// What an admin reads of the outbox: counts per delivery status, and at most `fetch`
/// messages (newest first, optionally of one status, from before message `before`).
pub async fn outbox_page(
    db: &DatabaseConnection,
    actor: &Actor,
    status: Option<DeliveryStatus>,
    before: Option<Uuid>,
    fetch: u64,
) -> AppResult<(Vec<(String, i64)>, Vec<OutboxRow>)> {
    crate::orders::require_admin(db, actor, "only admins read the outbox").await?;
    let rows = db::outbox::page(db, status, before, fetch).await?;
    let counts = db::outbox::counts(db).await?;
    Ok((counts, rows))
}

/// Try a failed message again now (admins): it is queued afresh, with its audit event in the
/// same transaction, on its order (or on itself). 409 `invalid_transition` unless it is
/// `failed` at this moment.
pub async fn retry_message(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> AppResult<OutboxRow> {
    crate::orders::require_admin(db, actor, "only admins retry mail").await?;
    let actor = actor.clone();
    db.write_transaction::<_, OutboxRow, AppError>(|txn| {
        Box::pin(async move {
            let Some(row) = db::outbox::requeue_failed(txn, id, db::now()).await? else {
                return Err(AppError::conflict(
                    Code::InvalidTransition,
                    "only a failed message is tried again",
                ));
            };
            let target = row.order_id.map_or(
                Target {
                    kind: "outbox_message",
                    id: row.id,
                },
                Target::order,
            );
            let detail = serde_json::json!({ "outbox_id": row.id, "kind": row.kind, "audience": row.audience });
            crate::audit::record(
                txn,
                &actor.audit(),
                "notification.retried",
                target,
                actor.request_id(),
                detail,
            )
            .await?;
            Ok(row)
        })
    })
    .await
}
