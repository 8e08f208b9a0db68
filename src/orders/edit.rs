//! Editing the intake: only the customer, only while the order is `draft` or `needs_info`, only
//! from the version they read; the audit event lists the fields that were sent.

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::actor::Actor;
use crate::db::{self, orders::OrderRecord};
use crate::domain::intake::{IntakeAnswers, Subject};
use crate::domain::order::DeliveryMode;
use crate::error::{AppError, AppResult, Code};

/// Fields present replace the stored ones; absent fields stay as they are.
#[derive(Default)]
pub struct OrderEdit {
    pub subject: Option<Subject>,
    pub delivery_mode: Option<DeliveryMode>,
    pub jurisdiction: Option<String>,
    pub intake: Option<IntakeAnswers>,
}

/// Apply `edit` to order `id` if it is still at version `expected` (412 otherwise, 409
/// `order_not_editable` once it left draft/needs_info, 422 `invalid_intake`).
pub async fn edit(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected: i32,
    edit: OrderEdit,
) -> AppResult<OrderRecord> {
    let order = super::load_own(db, actor, id).await?;
    super::check_version(&order, expected)?;
    if !order.status.intake_editable() {
        return Err(AppError::conflict(
            Code::OrderNotEditable,
            format!(
                "the intake can only be edited while the order is draft or needs_info; it is {}",
                order.status
            ),
        ));
    }
    let mut change = order.unchanged(db::now());
    let changed_fields: Vec<&str> = [
        edit.subject.as_ref().map(|_| "subject"),
        edit.delivery_mode.map(|_| "delivery_mode"),
        edit.jurisdiction.as_ref().map(|_| "jurisdiction"),
        edit.intake.as_ref().map(|_| "intake"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(subject) = edit.subject {
        change.subject = subject;
    }
    if let Some(mode) = edit.delivery_mode {
        change.delivery_mode = mode;
    }
    if let Some(jurisdiction) = edit.jurisdiction {
        change.jurisdiction = jurisdiction;
    }
    if let Some(answers) = edit.intake {
        change.intake = answers;
    }
    super::validate(&change.subject, &change.intake, &change.jurisdiction)?;
    let detail = serde_json::json!({ "fields": changed_fields });
    super::apply(db, actor, &order, expected, change, "order.updated", detail).await
}
