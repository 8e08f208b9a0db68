//! Moving an order through its lifecycle. The customer `submit`s (guard: intake complete and at
//! least one verified sample; from `needs_info` it returns to the state that asked) and
//! `cancel`s (before production); staff `hold` (with a reason) and `resume`, start production,
//! `advance` its stages, `deliver` and `close`; a reviewer starts screening and signs off
//! quality. The production side of each action is [`crate::production::plan`].

use uuid::Uuid;

use crate::actor::Actor;
use crate::db::{self, orders::OrderRecord};
use crate::domain::intake;
use crate::domain::order::{ActionBy, OrderAction, OrderStatus, next_status};
use crate::error::{AppError, AppResult, Code};
use crate::state::AppState;

/// What some actions take: `hold` a reason, `advance` the stage being completed.
#[derive(Debug, Default)]
pub struct ActionInput {
    pub reason: Option<String>,
    pub stage: Option<String>,
}

/// Take `action` on order `id` if it is still at version `expected`.
pub async fn act(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    expected: i32,
    action: OrderAction,
    input: ActionInput,
) -> AppResult<OrderRecord> {
    let db = &state.db;
    let order = load_for(db, actor, id, action.by()).await?;
    super::check_version(&order, expected)?;
    let hold_reason = match action {
        OrderAction::Hold => Some(super::required_text(
            input.reason.as_deref(),
            "reason",
            "a hold",
        )?),
        _ => None,
    };
    let step = next_status(order.status, order.resume_status, action)
        .map_err(|r| AppError::conflict(r.code, r.reason))?;
    if action == OrderAction::Submit {
        check_submit_guard(db, &order).await?;
    }
    let now = db::now();
    let mut change = order.unchanged(now);
    change.status = step.to;
    change.resume_status = step.resume_status;
    change.hold_reason = hold_reason;
    if order.status == OrderStatus::Draft && action == OrderAction::Submit {
        change.submitted_at = Some(now);
    }
    let mut detail = serde_json::json!({ "from": order.status, "to": step.to });
    let side = crate::production::plan(
        state,
        actor,
        &order,
        action,
        &input,
        &mut change,
        &mut detail,
    )
    .await?;
    let event = action_event(action, order.status);
    super::apply_with(db, actor, &order, expected, change, side, event, detail).await
}

/// The order, if `actor` may take this kind of action on it (403 otherwise, 404 if they may
/// not even see it).
async fn load_for(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    by: ActionBy,
) -> AppResult<OrderRecord> {
    match by {
        ActionBy::Customer => super::load_own(db, actor, id).await,
        ActionBy::Staff => super::load_staff(db, actor, id, "only studio staff do this").await,
        ActionBy::Reviewer => super::load_for_review(db, actor, id).await,
    }
}

fn action_event(action: OrderAction, from: OrderStatus) -> &'static str {
    match action {
        OrderAction::Submit if from == OrderStatus::NeedsInfo => "order.resubmitted",
        OrderAction::Submit => "order.submitted",
        OrderAction::Cancel => "order.cancelled",
        OrderAction::Hold => "order.held",
        OrderAction::Resume => "order.resumed",
        OrderAction::StartScreening => "screening.started",
        OrderAction::StartProduction => "production.started",
        OrderAction::Advance => "production.stage_completed",
        OrderAction::SignOffQuality => "quality.signed_off",
        OrderAction::Deliver => "order.delivered",
        OrderAction::Close => "order.closed",
    }
}

/// Submitting needs a complete intake (409 `intake_incomplete`, naming what is missing) and at
/// least one verified sample (409 `no_verified_sample`).
async fn check_submit_guard(
    db: &sea_orm::DatabaseConnection,
    order: &OrderRecord,
) -> AppResult<()> {
    let missing = intake::missing_for_submit(&order.subject, &order.intake, order.delivery_mode);
    if !missing.is_empty() {
        return Err(AppError::Conflict {
            code: Code::IntakeIncomplete,
            detail: format!(
                "the intake is not complete; missing: {}",
                missing.join(", ")
            ),
        });
    }
    if db::samples::count_verified(db, order.id).await? == 0 {
        return Err(AppError::conflict(
            Code::NoVerifiedSample,
            "upload at least one sample and wait for it to be verified before submitting",
        ));
    }
    Ok(())
}
