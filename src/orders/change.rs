//! The order's unit of work: one transaction holding the conditional update (only if the order
//! is still at the version the actor read), the mail the change triggers, the production
//! bookkeeping that goes with it, and its audit event.

use chrono::Duration;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, WriteTransaction, orders::OrderChange, orders::OrderRecord};
use crate::domain::production::StageSpec;
use crate::error::{AppError, AppResult};

/// Production bookkeeping that commits with an order change.
pub enum SideWork {
    None,
    /// Copy the template's stages onto the order, the first started now.
    StartStages(Vec<StageSpec>),
    /// Complete the stage at this position and start the next.
    CompleteStage(i32),
    /// A hold ended: move the open stage's due time later by the time it lasted.
    ExtendStage(i32, Duration),
    /// Delivery: these deliverables' metadata labels were read back and matched.
    LabelsChecked(Vec<Uuid>),
}

/// 412 unless the order is at the version the actor read.
pub fn check_version(order: &OrderRecord, expected: i32) -> AppResult<()> {
    if order.version == expected {
        Ok(())
    } else {
        Err(AppError::PreconditionFailed {
            current_version: order.version,
        })
    }
}

/// The answer when a conditional update found the order at another version than `expected`:
/// 412 naming the version it is at now.
pub async fn lost_race(conn: &impl ConnectionTrait, id: Uuid, expected: i32) -> AppError {
    match db::orders::find(conn, id).await {
        Ok(current) => AppError::PreconditionFailed {
            current_version: current.map_or(expected, |o| o.version),
        },
        Err(err) => err.into(),
    }
}

/// [`apply_with`] without production bookkeeping.
pub async fn apply(
    db: &DatabaseConnection,
    actor: &Actor,
    order: &OrderRecord,
    expected: i32,
    change: OrderChange,
    action: &'static str,
    detail: serde_json::Value,
) -> AppResult<OrderRecord> {
    apply_with(
        db,
        actor,
        order,
        expected,
        change,
        SideWork::None,
        action,
        detail,
    )
    .await
}

/// Change the order if it is still at version `expected`, with its mail, `side` work and the
/// audit event `action` in one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn apply_with(
    db: &DatabaseConnection,
    actor: &Actor,
    order: &OrderRecord,
    expected: i32,
    change: OrderChange,
    side: SideWork,
    action: &'static str,
    detail: serde_json::Value,
) -> AppResult<OrderRecord> {
    let (user_id, now) = (actor.id, change.now);
    let (id, from) = (order.id, order.status);
    let (audit_actor, request_id) = (actor.audit(), actor.request_id.clone());
    db.write_transaction::<_, OrderRecord, AppError>(|txn| {
        Box::pin(async move {
            let Some(updated) = db::orders::update_if_version(txn, id, expected, change).await?
            else {
                return Err(lost_race(txn, id, expected).await);
            };
            crate::outbox::status_changed(txn, id, &updated.reference, from, updated.status)
                .await?;
            crate::outbox::for_action(txn, action, &updated, &detail).await?;
            match side {
                SideWork::None => {}
                SideWork::StartStages(stages) => {
                    db::production::create_stages(txn, id, &stages, now).await?;
                }
                SideWork::CompleteStage(position) => {
                    if !db::production::complete_stage(txn, id, position, user_id, now).await? {
                        return Err(lost_race(txn, id, expected).await);
                    }
                }
                SideWork::ExtendStage(position, by) => {
                    db::production::extend_open_stage(txn, id, position, by).await?;
                }
                SideWork::LabelsChecked(ids) => {
                    db::deliverables::mark_checked(txn, &ids, now).await?;
                }
            }
            let target = Target::order(id);
            audit::record(
                txn,
                &audit_actor,
                action,
                target,
                request_id.as_deref(),
                detail,
            )
            .await?;
            Ok(updated)
        })
    })
    .await
}
