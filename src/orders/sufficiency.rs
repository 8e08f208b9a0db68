//! Are an order's verified samples enough for its delivery mode? Measured against the
//! thresholds the studio configured for that mode.

use crate::db::{self, orders::OrderRecord};
use crate::domain::order::DeliveryMode;
use crate::domain::sufficiency::{self, SufficiencyReport};
use crate::error::AppResult;
use crate::state::AppState;

/// The sufficiency report of `order` (the caller has already checked who may see it).
pub async fn sufficiency(state: &AppState, order: &OrderRecord) -> AppResult<SufficiencyReport> {
    let facts = db::samples::verified_facts(&state.db, order.id).await?;
    let thresholds = match order.delivery_mode {
        DeliveryMode::MachineDriven => &state.settings.sufficiency.machine_driven,
        DeliveryMode::HumanDriven => &state.settings.sufficiency.human_driven,
    };
    Ok(sufficiency::assess(order.delivery_mode, thresholds, &facts))
}
