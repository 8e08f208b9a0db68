//! After a booking: logging the session as held (once; flagged when the AI label was not
//! shown, which the studio is told), cancelling it, and a reviewer's review of a flagged one.
//! Each is the session's conditional update, its audit event and its message, in one
//! transaction.

use crate::domain::ids::OrderId;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{actor_consent_ok, find, invalid, load_for_staff, not_scheduled, refused};
use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, WriteTransaction, live_sessions::SessionRow};
use crate::domain::live_session::{self, SessionStatus};
use crate::error::{AppError, AppResult, Code};
use crate::orders;
use crate::outbox::{self, Audience};

/// What staff log about a held session (each checked by `domain::live_session::validate_log`).
#[derive(Debug, Default)]
pub struct SessionLog {
    /// 1 to 480.
    pub duration_minutes: Option<i64>,
    /// Required: `false` flags the session for a reviewer.
    pub ai_label_shown: Option<bool>,
    /// The studio's notes, never shown to the customer.
    pub notes: Option<String>,
}

/// Log session `sid` as held (staff, admins).
pub async fn log(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: OrderId,
    sid: Uuid,
    entry: SessionLog,
) -> AppResult<SessionRow> {
    let order = load_for_staff(db, actor, order_id.uuid()).await?;
    find(db, OrderId(order.id), sid).await?;
    let log = live_session::validate_log(entry.duration_minutes, entry.ai_label_shown, entry.notes)
        .map_err(invalid)?;
    let actor = actor.clone();
    db.write_transaction::<_, SessionRow, AppError>(|txn| {
        Box::pin(async move {
            let order = orders::locked(txn, order_id.uuid()).await?;
            let session = find(txn, order_id, sid).await?;
            if session.status != SessionStatus::Scheduled {
                return Err(not_scheduled(&session));
            }
            live_session::loggable(order.status).map_err(refused)?;
            if !actor_consent_ok(txn, order_id.uuid(), session.actor_consent_id).await? {
                return Err(AppError::conflict(
                    Code::ActorConsentWithdrawn,
                    "the actor's consent is no longer in force: this session cannot be logged as held",
                ));
            }
            if !db::live_sessions::log(txn, sid, &log, actor.id, db::now()).await? {
                return Err(AppError::conflict(
                    Code::AlreadyLogged,
                    "this session was already logged",
                ));
            }
            let flagged = log.flagged();
            let detail = serde_json::json!({
                "session_id": sid,
                "duration_minutes": log.duration_minutes,
                "ai_label_shown": log.ai_label_shown,
                "flagged_for_review": flagged,
            });
            let (who, target) = (actor.audit(), Target::order(order_id.uuid()));
            audit::record(txn, &who, "live_session.logged", target, actor.request_id(), detail)
                .await?;
            if flagged {
                let detail = serde_json::json!({ "session_id": sid, "why": "ai_label_not_shown" });
                audit::record(txn, &who, "live_session.flagged", target, actor.request_id(), detail)
                    .await?;
                let message = serde_json::json!({
                    "reference": order.reference, "session_id": sid, "why": "ai_label_not_shown",
                });
                outbox::enqueue(
                    txn,
                    "live_session.flagged",
                    Some(order_id.uuid()),
                    Audience::Staff,
                    message,
                )
                .await?;
            }
            find(txn, order_id, sid).await
        })
    })
    .await
}

/// Cancel booked session `sid` (staff, admins), with the reason the customer is shown.
pub async fn cancel(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: OrderId,
    sid: Uuid,
    reason: Option<&str>,
) -> AppResult<SessionRow> {
    let order = load_for_staff(db, actor, order_id.uuid()).await?;
    find(db, OrderId(order.id), sid).await?;
    let reason = orders::required_text(reason, "reason", "cancelling a session")?;
    let (actor, reference) = (actor.clone(), order.reference);
    db.write_transaction::<_, SessionRow, AppError>(|txn| {
        Box::pin(async move {
            if !db::live_sessions::cancel(txn, sid, &reason, actor.id, db::now()).await? {
                return Err(not_scheduled(&find(txn, order_id, sid).await?));
            }
            let row = find(txn, order_id, sid).await?;
            let detail = serde_json::json!({ "session_id": sid, "scheduled_at": row.scheduled_at });
            audit::record(
                txn,
                &actor.audit(),
                "live_session.cancelled",
                Target::order(order_id.uuid()),
                actor.request_id(),
                detail,
            )
            .await?;
            let message = serde_json::json!({
                "reference": reference, "session_id": sid, "scheduled_at": row.scheduled_at,
            });
            outbox::enqueue(
                txn,
                "live_session.cancelled",
                Some(order_id.uuid()),
                Audience::Customer,
                message,
            )
            .await?;
            Ok(row)
        })
    })
    .await
}

/// A reviewer's review of flagged session `sid` (a reviewer who did not place or work on the
/// order), with what they found and decided.
pub async fn review(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: OrderId,
    sid: Uuid,
    reason: Option<&str>,
) -> AppResult<SessionRow> {
    let order = orders::load_for_review(db, actor, order_id.uuid()).await?;
    let session = find(db, OrderId(order.id), sid).await?;
    let reason = orders::required_text(reason, "reason", "a review")?;
    if !session.flagged_for_review {
        return Err(AppError::conflict(
            Code::NotFlagged,
            "only a session flagged for review is reviewed",
        ));
    }
    let actor = actor.clone();
    db.write_transaction::<_, SessionRow, AppError>(|txn| {
        Box::pin(async move {
            if !db::live_sessions::review(txn, sid, &reason, actor.id, db::now()).await? {
                return Err(AppError::conflict(
                    Code::AlreadyReviewed,
                    "this session was already reviewed",
                ));
            }
            let detail = serde_json::json!({ "session_id": sid });
            audit::record(
                txn,
                &actor.audit(),
                "live_session.reviewed",
                Target::order(order_id.uuid()),
                actor.request_id(),
                detail,
            )
            .await?;
            find(txn, order_id, sid).await
        })
    })
    .await
}
