//! The studio's reports over a time range: on-time delivery and turnaround per delivery mode
//! (orders delivered in the range) and the funnel (orders created in the range, and how far
//! they got). The studio only; the range must not be empty.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::actor::Actor;
use crate::audit::Target;
use crate::db::{self, reports::FunnelCounts};
use crate::domain::order::DeliveryMode;
use crate::domain::reports::{self, SlaSummary};
use crate::error::{AppError, AppResult, Code};
use crate::orders;

/// The SLA summary per mode: (machine_driven, human_driven).
pub async fn sla(
    db: &DatabaseConnection,
    actor: &Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<(SlaSummary, SlaSummary)> {
    studio_range(db, actor, from, to).await?;
    let summary = |mode| async move {
        let deliveries = db::reports::deliveries(db, mode, from, to).await?;
        AppResult::Ok(reports::summarize(&deliveries))
    };
    Ok((
        summary(DeliveryMode::MachineDriven).await?,
        summary(DeliveryMode::HumanDriven).await?,
    ))
}

pub async fn funnel(
    db: &DatabaseConnection,
    actor: &Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<FunnelCounts> {
    studio_range(db, actor, from, to).await?;
    Ok(db::reports::funnel(db, from, to).await?)
}

async fn studio_range(
    db: &DatabaseConnection,
    actor: &Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<()> {
    orders::require_studio(
        db,
        actor,
        Target::user(actor.id),
        "reports are the studio's",
    )
    .await?;
    if to <= from {
        return Err(AppError::unprocessable(
            Code::InvalidRange,
            "`to` must be after `from`",
        ));
    }
    Ok(())
}
