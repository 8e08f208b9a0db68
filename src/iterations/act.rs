//! Moving an iteration: `start` (only when the consents cover it; sets its due time from the
//! order's delivery mode), `advance` (to quality check), `deliver`, `cancel` (with a reason,
//! and even after a withdrawal stopped the order). Each move is the iteration's conditional
//! update (its version), its audit event and the customer's message, in one transaction.

use crate::domain::ids::OrderId;
use uuid::Uuid;

use super::{IterationView, cover, load, order_open, view};
use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, WriteTransaction, iterations::Stamps};
use crate::domain::iteration::{self, IterationAction, IterationStatus};
use crate::error::{AppError, AppResult, Code};
use crate::orders;
use crate::outbox::{self, Audience};
use crate::state::AppState;

/// Take `action` on the order's iteration `id` if it is still at version `expected`.
pub async fn act(
    state: &AppState,
    actor: &Actor,
    order_id: OrderId,
    id: Uuid,
    expected: i32,
    action: IterationAction,
    reason: Option<&str>,
) -> AppResult<IterationView> {
    let db = &state.db;
    let order = orders::load_staff(
        db,
        actor,
        order_id.uuid(),
        "only studio staff move iterations",
    )
    .await?;
    let row = load(db, order_id, id).await?;
    if action != IterationAction::Cancel {
        order_open(&order)?;
    }
    if row.version != expected {
        return Err(AppError::PreconditionFailed {
            current_version: row.version,
        });
    }
    let reason = match action {
        IterationAction::Cancel => Some(orders::required_text(reason, "reason", "a cancellation")?),
        _ => None,
    };
    let cover = cover(db, &row).await?;
    if action == IterationAction::Start && !cover.covered {
        return Err(AppError::conflict(
            Code::ConsentRequired,
            format!(
                "this iteration needs fresh consent first: {}",
                cover.missing.join("; ")
            ),
        ));
    }
    let from = row.status;
    let to = iteration::next(from, action, cover.covered)
        .map_err(|reason| AppError::conflict(Code::InvalidTransition, reason))?;
    let now = db::now();
    let target_days = state.settings.sla.for_mode(order.delivery_mode).target_days;
    let stamps = match to {
        IterationStatus::InProduction => Stamps {
            started_at: Some(now),
            due_at: Some(now + chrono::Duration::days(i64::from(target_days))),
            ..Default::default()
        },
        IterationStatus::Delivered => Stamps {
            delivered_at: Some(now),
            ..Default::default()
        },
        IterationStatus::Cancelled => Stamps {
            cancelled_at: Some(now),
            ..Default::default()
        },
        _ => Stamps::default(),
    };
    let detail = serde_json::json!({
        "iteration_id": row.id, "number": row.number, "from": from, "to": to, "reason": reason,
    });
    let actor = actor.clone();
    let reference = order.reference.clone();
    let event = format!("iteration.{action}");
    let updated = db
        .write_transaction::<_, _, AppError>(|txn| {
            Box::pin(async move {
                if action == IterationAction::Cancel {
                    db::order_lock::lock(txn, order_id.uuid()).await?;
                } else {
                    order_open(&orders::locked(txn, order_id.uuid()).await?)?;
                }
                let updated = db::iterations::transition(txn, &row, expected, to, stamps, now)
                    .await?
                    .ok_or_else(|| AppError::PreconditionFailed {
                        current_version: expected + 1,
                    })?;
                audit::record(
                    txn,
                    &actor.audit(),
                    &event,
                    Target::order(order_id.uuid()),
                    actor.request_id(),
                    detail,
                )
                .await?;
                let payload = serde_json::json!({
                    "reference": reference, "iteration": updated.number, "to": to,
                    "due_at": updated.due_at,
                });
                outbox::enqueue(
                    txn,
                    "iteration.status_changed",
                    Some(order_id.uuid()),
                    Audience::Customer,
                    payload,
                )
                .await?;
                Ok(updated)
            })
        })
        .await?;
    view(db, &updated).await
}
