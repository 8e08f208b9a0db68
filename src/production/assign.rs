//! Taking a job or assigning it: staff and admins, once the order is queued or in production,
//! to an active staff account (or nobody).

use crate::domain::ids::UserId;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::Target;
use crate::db::{self, orders::OrderRecord};
use crate::domain::account::Role;
use crate::error::{AppError, AppResult, Code};
use crate::orders;

/// Assign order `id` (at version `expected`) to `assignee`, or unassign it with `None`.
pub async fn assign(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected: i32,
    assignee: Option<UserId>,
) -> AppResult<OrderRecord> {
    let order = orders::load(db, actor, id).await?;
    let staff = actor.has(Role::Staff) || actor.has(Role::Admin);
    let detail = "only studio staff assign jobs";
    orders::require(db, actor, Target::order(id), staff, Code::StaffOnly, detail).await?;
    orders::check_version(&order, expected)?;
    if !order.status.under_sla(order.resume_status) {
        return Err(AppError::conflict(
            Code::NotInProduction,
            format!(
                "jobs are assigned once an order is queued; this one is {}",
                order.status
            ),
        ));
    }
    if let Some(assignee) = assignee {
        let user = db::users::find(db, assignee.uuid()).await?;
        if !user.is_some_and(|u| u.has(Role::Staff) && !u.disabled) {
            return Err(AppError::unprocessable(
                Code::NotStaff,
                "the assignee must be an active staff account",
            ));
        }
    }
    let mut change = order.unchanged(db::now());
    change.production.assignee_id = assignee.map(UserId::uuid);
    let detail =
        serde_json::json!({ "assignee_id": assignee, "previous": order.production.assignee_id });
    orders::apply(
        db,
        actor,
        &order,
        expected,
        change,
        "order.assigned",
        detail,
    )
    .await
}
