//! The production side of an order action: checks it, completes the order change and its audit
//! detail, and names the stage bookkeeping to commit with it. Every production change asks the
//! SLA sweeper to look at the order again at once.

use crate::actor::Actor;
use crate::db::{self, orders::OrderChange, orders::OrderRecord};
use crate::domain::order::{OrderAction, OrderStatus, advance_stage};
use crate::error::{AppError, AppResult, Code};
use crate::orders::{ActionInput, SideWork, required_text};
use crate::state::AppState;

pub async fn plan(
    state: &AppState,
    actor: &Actor,
    order: &OrderRecord,
    action: OrderAction,
    input: &ActionInput,
    change: &mut OrderChange,
    detail: &mut serde_json::Value,
) -> AppResult<SideWork> {
    let now = change.now;
    let side = match action {
        OrderAction::StartProduction => {
            let template = db::production::current_template(&state.db, order.delivery_mode)
                .await?
                .ok_or_else(|| AppError::internal("no stage template for this mode"))?;
            change.production.template_id = Some(template.id);
            change.production.stage_index = Some(0);
            change.production.assignee_id = order.production.assignee_id.or(Some(actor.id));
            change.production.current_stage = template.stages.first().map(|s| s.name.clone());
            detail["template_version"] = template.version.into();
            detail["stage"] = template.stages.first().map(|s| s.name.clone()).into();
            SideWork::StartStages(template.stages)
        }
        OrderAction::Advance => advance(state, order, input, change, detail).await?,
        OrderAction::Hold if order.status.under_sla(None) => {
            change.production.held_at = Some(now);
            SideWork::None
        }
        OrderAction::Resume => match (order.production.held_at, order.production.stage_index) {
            (Some(since), Some(position))
                if order.resume_status == Some(OrderStatus::InProduction) =>
            {
                change.production.held_at = None;
                let held = now - since;
                detail["held_secs"] = held.num_seconds().into();
                SideWork::ExtendStage(position, held)
            }
            _ => {
                change.production.held_at = None;
                SideWork::None
            }
        },
        OrderAction::SignOffQuality => {
            if order.production.qc_signed_off_at.is_some() {
                return Err(AppError::conflict(
                    Code::AlreadySignedOff,
                    "quality was already signed off",
                ));
            }
            change.production.qc_signed_off_at = Some(now);
            change.production.qc_signed_off_by = Some(actor.id);
            SideWork::None
        }
        OrderAction::Deliver => {
            let checked = crate::delivery::check_gate(state, order).await?;
            change.delivered_at = Some(now);
            detail["deliverables"] = checked.len().into();
            SideWork::LabelsChecked(checked)
        }
        _ => SideWork::None,
    };
    if change.status.under_sla(change.resume_status) {
        change.production.sla_next_check_at = Some(now);
    }
    Ok(side)
}

/// `advance` completes the named stage, which must be the current one (409 `stage_mismatch`:
/// no stage is skipped); after the last one the order goes to quality check.
async fn advance(
    state: &AppState,
    order: &OrderRecord,
    input: &ActionInput,
    change: &mut OrderChange,
    detail: &mut serde_json::Value,
) -> AppResult<SideWork> {
    let named = required_text(input.stage.as_deref(), "stage", "advancing")?;
    let stages = db::production::stages_of(&state.db, order.id).await?;
    let position = order.production.stage_index.unwrap_or(0);
    let current = stages
        .iter()
        .find(|s| s.position == position)
        .ok_or_else(|| AppError::internal("the order's current stage is missing"))?;
    if current.name != named {
        return Err(AppError::conflict(
            Code::StageMismatch,
            format!(
                "the current stage is {}; stages are completed in order",
                current.name
            ),
        ));
    }
    detail["stage"] = current.name.clone().into();
    match advance_stage(position, stages.len()) {
        Some(next) => {
            let next_name = stages
                .iter()
                .find(|s| s.position == next)
                .map(|s| s.name.clone());
            change.production.stage_index = Some(next);
            change.production.current_stage = next_name.clone();
            detail["next_stage"] = next_name.into();
        }
        None => {
            change.status = OrderStatus::QualityCheck;
            change.production.current_stage = None;
        }
    }
    detail["to"] = serde_json::to_value(change.status).map_err(AppError::internal)?;
    Ok(SideWork::CompleteStage(position))
}
