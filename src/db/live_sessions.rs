//! Live sessions. Each change is a conditional update on the session's current state (logged
//! once, cancelled once, reviewed once), so two racing requests cannot both succeed.

use crate::domain::ids::OrderId;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::live_session::{self, Entity as Sessions};
use crate::domain::live_session::{Participant, SessionLog, SessionStatus};

pub use live_session::Model as SessionRow;

pub struct NewSession {
    pub order_id: Uuid,
    pub scheduled_at: DateTime<Utc>,
    pub actor_consent_id: Uuid,
    pub participants: Vec<Participant>,
    pub scheduled_by: Uuid,
    pub now: DateTime<Utc>,
}

pub async fn insert(conn: &impl ConnectionTrait, new: NewSession) -> Result<SessionRow, DbErr> {
    let participants =
        serde_json::to_value(&new.participants).map_err(|e| DbErr::Custom(e.to_string()))?;
    live_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(new.order_id),
        scheduled_at: Set(new.scheduled_at),
        actor_consent_id: Set(new.actor_consent_id),
        participants: Set(participants),
        status: Set(SessionStatus::Scheduled),
        scheduled_by: Set(new.scheduled_by),
        created_at: Set(new.now),
        duration_minutes: Set(None),
        ai_label_shown: Set(None),
        notes: Set(None),
        logged_by: Set(None),
        logged_at: Set(None),
        cancel_reason: Set(None),
        cancelled_by: Set(None),
        cancelled_at: Set(None),
        flagged_for_review: Set(false),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        review_note: Set(None),
    }
    .insert(conn)
    .await
}

/// The session, if it belongs to this order.
pub async fn find(
    conn: &impl ConnectionTrait,
    order_id: OrderId,
    id: Uuid,
) -> Result<Option<SessionRow>, DbErr> {
    Sessions::find_by_id(id)
        .filter(live_session::Column::OrderId.eq(order_id))
        .one(conn)
        .await
}

/// The order's sessions by scheduled time.
pub async fn for_order(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<SessionRow>, DbErr> {
    Sessions::find()
        .filter(live_session::Column::OrderId.eq(order_id))
        .order_by_asc(live_session::Column::ScheduledAt)
        .order_by_asc(live_session::Column::Id)
        .all(conn)
        .await
}

/// Record what happened, if the session is still scheduled. `false`: it was logged or
/// cancelled first.
pub async fn log(
    conn: &impl ConnectionTrait,
    id: Uuid,
    log: &SessionLog,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use live_session::Column as C;
    let result = Sessions::update_many()
        .col_expr(C::Status, Expr::value(SessionStatus::Held.as_str()))
        .col_expr(C::DurationMinutes, Expr::value(log.duration_minutes))
        .col_expr(C::AiLabelShown, Expr::value(log.ai_label_shown))
        .col_expr(C::Notes, Expr::value(log.notes.clone()))
        .col_expr(C::LoggedBy, Expr::value(by))
        .col_expr(C::LoggedAt, Expr::value(now))
        .col_expr(C::FlaggedForReview, Expr::value(log.flagged()))
        .filter(C::Id.eq(id))
        .filter(C::Status.eq(SessionStatus::Scheduled.as_str()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Cancel the session, if it is still scheduled.
pub async fn cancel(
    conn: &impl ConnectionTrait,
    id: Uuid,
    reason: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use live_session::Column as C;
    let result = Sessions::update_many()
        .col_expr(C::Status, Expr::value(SessionStatus::Cancelled.as_str()))
        .col_expr(C::CancelReason, Expr::value(reason))
        .col_expr(C::CancelledBy, Expr::value(by))
        .col_expr(C::CancelledAt, Expr::value(now))
        .filter(C::Id.eq(id))
        .filter(C::Status.eq(SessionStatus::Scheduled.as_str()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Record a reviewer's review of a flagged session, if none was recorded yet.
pub async fn review(
    conn: &impl ConnectionTrait,
    id: Uuid,
    note: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use live_session::Column as C;
    let result = Sessions::update_many()
        .col_expr(C::ReviewedBy, Expr::value(by))
        .col_expr(C::ReviewedAt, Expr::value(now))
        .col_expr(C::ReviewNote, Expr::value(note))
        .filter(C::Id.eq(id))
        .filter(C::FlaggedForReview.eq(true))
        .filter(C::ReviewedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Flagged sessions awaiting review across the studio, oldest first, after `after_id`.
pub async fn awaiting_review(
    conn: &impl ConnectionTrait,
    after_id: Option<Uuid>,
    limit: u64,
) -> Result<Vec<SessionRow>, DbErr> {
    use live_session::Column as C;
    let mut query = Sessions::find()
        .filter(C::FlaggedForReview.eq(true))
        .filter(C::ReviewedAt.is_null());
    if let Some(after) = after_id {
        query = query.filter(C::Id.gt(after));
    }
    query.order_by_asc(C::Id).limit(limit).all(conn).await
}

/// Every session across the studio, by id (creation order), after `after_id`.
pub async fn all(
    conn: &impl ConnectionTrait,
    after_id: Option<Uuid>,
    limit: u64,
) -> Result<Vec<SessionRow>, DbErr> {
    use live_session::Column as C;
    let mut query = Sessions::find();
    if let Some(after) = after_id {
        query = query.filter(C::Id.gt(after));
    }
    query.order_by_asc(C::Id).limit(limit).all(conn).await
}
