//! Live sessions of human_driven orders (PRODUCT.md, "Live sessions"): staff book one (time,
//! the actor's consent, participants), log it after the fact (duration, whether the on-screen
//! AI label was shown, notes) or cancel it; a session logged without the label is flagged, and
//! a reviewer who did not work on the order records a review of it with a reason.
//!
//! Booking and logging take the order's row lock first (`db::order_lock`), so they see a
//! withdrawal that stops the order, and a withdrawal that comes later sees the session.

mod book;
mod log;

pub use book::{BookSession, PreparedBooking, prepare, store};
pub use log::{SessionLog, cancel, log, review};

use crate::domain::ids::OrderId;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::Target;
use crate::db::{self, live_sessions::SessionRow, orders::OrderRecord};
use crate::domain::account::Role;
use crate::domain::live_session::{self, SessionStatus};
use crate::error::{AppError, AppResult, Code};
use crate::orders;

/// The studio-wide list: everything, or only the reviewers' queue (`flagged`: flagged and not
/// yet reviewed), oldest booking first, from after the session `after`.
pub async fn studio_list(
    db: &DatabaseConnection,
    actor: &Actor,
    flagged: bool,
    after: Option<Uuid>,
    fetch: u64,
) -> AppResult<Vec<SessionRow>> {
    let why = "the studio's list of live sessions is the studio's";
    orders::require_studio(db, actor, Target::user(actor.id), why).await?;
    Ok(if flagged {
        db::live_sessions::awaiting_review(db, after, fetch).await?
    } else {
        db::live_sessions::all(db, after, fetch).await?
    })
}

/// The order's sessions by time, for anyone who may see the order.
pub async fn for_order(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
) -> AppResult<Vec<SessionRow>> {
    let order = orders::load(db, actor, order_id).await?;
    Ok(db::live_sessions::for_order(db, order.id).await?)
}

/// The order, if the actor is studio staff (or an admin).
async fn load_for_staff(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> AppResult<OrderRecord> {
    let order = orders::load(db, actor, id).await?;
    if actor.has(Role::Staff) || actor.has(Role::Admin) {
        return Ok(order);
    }
    let refusal = AppError::Forbidden {
        code: Code::StaffOnly,
        detail: "only studio staff book and log live sessions".into(),
    };
    Err(crate::actor::refuse(db, actor, Target::order(id), refusal).await)
}

/// The order's session `id` (404 `session_not_found`).
async fn find(conn: &impl ConnectionTrait, order_id: OrderId, id: Uuid) -> AppResult<SessionRow> {
    db::live_sessions::find(conn, order_id, id)
        .await?
        .ok_or_else(session_not_found)
}

/// Is `consent_id` a usable actor consent of `order_id` (given, not withdrawn, face for the
/// live call)?
async fn actor_consent_ok(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    consent_id: Uuid,
) -> AppResult<bool> {
    let Some(row) = db::consents::find(conn, consent_id).await? else {
        return Ok(false);
    };
    if row.order_id != order_id {
        return Ok(false);
    }
    Ok(live_session::actor_consent_usable(&db::consents::facts(
        &row,
    )?))
}

/// Why a session that is no longer `scheduled` cannot change.
fn not_scheduled(row: &SessionRow) -> AppError {
    match row.status {
        SessionStatus::Cancelled => {
            AppError::conflict(Code::SessionCancelled, "this session was cancelled")
        }
        _ => AppError::conflict(Code::AlreadyLogged, "this session was already logged"),
    }
}

fn refused(r: live_session::Refusal) -> AppError {
    AppError::conflict(r.code, r.reason)
}

fn invalid(r: live_session::Refusal) -> AppError {
    AppError::unprocessable(r.code, r.reason)
}

fn session_not_found() -> AppError {
    AppError::not_found(Code::SessionNotFound, "no such live session on this order")
}
