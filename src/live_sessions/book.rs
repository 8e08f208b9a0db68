//! Booking a live session: checked outside the transaction (the order's mode and status, a
//! time within the next year, 1–20 participants), then recorded under the order's lock with
//! the actor's consent checked again, its audit event and the customer's message.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::{actor_consent_ok, invalid, load_for_staff, refused};
use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, live_sessions::SessionRow};
use crate::domain::live_session::{self, Participant};
use crate::error::{AppError, AppResult, Code};
use crate::orders;
use crate::outbox::{self, Audience};

/// What staff book.
#[derive(Debug, Clone)]
pub struct BookSession {
    pub scheduled_at: DateTime<Utc>,
    /// The actor's consent on this order.
    pub actor_consent_id: Uuid,
    pub participants: Vec<Participant>,
}

/// A checked booking; [`store`] records it.
pub struct PreparedBooking(db::live_sessions::NewSession);

pub async fn prepare(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
    booking: BookSession,
) -> AppResult<PreparedBooking> {
    let order = load_for_staff(db, actor, order_id).await?;
    let now = db::now();
    let participants =
        live_session::validate_booking(booking.scheduled_at, booking.participants, now)
            .map_err(invalid)?;
    live_session::schedulable(order.delivery_mode, order.status).map_err(refused)?;
    Ok(PreparedBooking(db::live_sessions::NewSession {
        order_id: order.id,
        scheduled_at: db::truncate_to_micros(booking.scheduled_at),
        actor_consent_id: booking.actor_consent_id,
        participants,
        scheduled_by: actor.id,
        now,
    }))
}

/// Record a prepared booking in the caller's transaction (which also keeps the request's
/// idempotent answer).
pub async fn store(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    booking: PreparedBooking,
) -> AppResult<SessionRow> {
    let PreparedBooking(new) = booking;
    let order_id = new.order_id;
    let order = orders::locked(txn, order_id).await?;
    live_session::schedulable(order.delivery_mode, order.status).map_err(refused)?;
    if !actor_consent_ok(txn, order_id, new.actor_consent_id).await? {
        return Err(AppError::conflict(
            Code::ActorConsentMissing,
            "name the actor by their consent on this order: given, not withdrawn, granting the face for the live call",
        ));
    }
    let participants = new.participants.len();
    let row = db::live_sessions::insert(txn, new).await?;
    let detail = serde_json::json!({
        "session_id": row.id,
        "scheduled_at": row.scheduled_at,
        "actor_consent_id": row.actor_consent_id,
        "participants": participants,
    });
    audit::record(
        txn,
        &actor.audit(),
        "live_session.scheduled",
        Target::order(order_id),
        actor.request_id(),
        detail,
    )
    .await?;
    let message = serde_json::json!({
        "reference": order.reference, "session_id": row.id, "scheduled_at": row.scheduled_at,
    });
    outbox::enqueue(
        txn,
        "live_session.scheduled",
        Some(order_id),
        Audience::Customer,
        message,
    )
    .await?;
    Ok(row)
}
