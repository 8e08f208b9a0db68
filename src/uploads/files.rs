//! Finding an order's uploaded files for someone: its samples (the customer's evidence) and
//! its deliverables (the studio's work, each with its label). The customer sees deliverables
//! only once the order is delivered, and only verified ones; the studio sees all of them.
//! A file that may still be uploaded to ("open") needs its order to take that purpose now.

use crate::domain::ids::OrderId;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::closed_for;
use crate::actor::Actor;
use crate::db::{self, deliverables::DeliverableRow, orders::OrderRecord, samples::SampleRow};
use crate::domain::order::OrderStatus;
use crate::domain::sample::{SampleStatus, UploadPurpose};
use crate::error::{AppError, AppResult, Code};
use crate::orders;

/// A deliverable: its upload and its label.
pub struct Deliverable {
    pub file: SampleRow,
    pub label: DeliverableRow,
}

/// The order's samples, oldest first (anyone who may see the order).
pub async fn samples(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
) -> AppResult<Vec<SampleRow>> {
    orders::load(db, actor, order_id).await?;
    Ok(db::samples::list_for_order(db, UploadPurpose::Sample, order_id).await?)
}

/// One of the order's samples (anyone who may see the order).
pub async fn sample(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: OrderId,
    id: Uuid,
) -> AppResult<SampleRow> {
    orders::load(db, actor, order_id.uuid()).await?;
    find_sample(db, order_id, id).await
}

/// A sample of the actor's own order that may still be uploaded to (409
/// `order_not_accepting_samples` once the order stopped taking samples).
pub async fn open_sample(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: OrderId,
    id: Uuid,
) -> AppResult<SampleRow> {
    let order = orders::load_own(db, actor, order_id.uuid()).await?;
    let row = find_sample(db, order_id, id).await?;
    if !order.status.accepts_samples() {
        return Err(AppError::conflict(
            Code::OrderNotAcceptingSamples,
            format!(
                "samples can no longer be added to an order that is {}",
                order.status
            ),
        ));
    }
    Ok(row)
}

/// The order's deliverables the actor may see, oldest first.
pub async fn deliverables(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
) -> AppResult<Vec<Deliverable>> {
    let order = orders::load(db, actor, order_id).await?;
    let rows = db::samples::list_for_order(db, UploadPurpose::Deliverable, order_id).await?;
    let mut labels = db::deliverables::list_for_order(db, order_id).await?;
    let mut out = Vec::new();
    for file in rows.into_iter().filter(|r| visible(actor, &order, r)) {
        if let Some(at) = labels.iter().position(|l| l.id == file.id) {
            out.push(Deliverable {
                file,
                label: labels.swap_remove(at),
            });
        }
    }
    Ok(out)
}

/// One of the order's deliverables, if the actor may see it (404 `deliverable_not_found` as
/// if it did not exist otherwise).
pub async fn deliverable(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: OrderId,
    id: Uuid,
) -> AppResult<Deliverable> {
    let order = orders::load(db, actor, order_id.uuid()).await?;
    let found = find_deliverable(db, order_id, id).await?;
    if !visible(actor, &order, &found.file) {
        return Err(deliverable_not_found());
    }
    Ok(found)
}

/// A deliverable the studio may still upload to: its order must be in production or QC.
pub async fn open_deliverable(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: OrderId,
    id: Uuid,
) -> AppResult<Deliverable> {
    let order = orders::load_staff(
        db,
        actor,
        order_id.uuid(),
        "only studio staff upload deliverables",
    )
    .await?;
    let found = find_deliverable(db, order_id, id).await?;
    if !UploadPurpose::Deliverable.open_for(order.status) {
        return Err(closed_for(UploadPurpose::Deliverable, &order));
    }
    Ok(found)
}

/// A deliverable with its label, whoever asks (the caller decided they may).
pub(super) async fn find_deliverable(
    db: &DatabaseConnection,
    order_id: OrderId,
    id: Uuid,
) -> AppResult<Deliverable> {
    let file = db::samples::find_of(db, UploadPurpose::Deliverable, order_id, id)
        .await?
        .ok_or_else(deliverable_not_found)?;
    let label = db::deliverables::find(db, id)
        .await?
        .ok_or_else(deliverable_not_found)?;
    Ok(Deliverable { file, label })
}

async fn find_sample(db: &DatabaseConnection, order_id: OrderId, id: Uuid) -> AppResult<SampleRow> {
    db::samples::find_of(db, UploadPurpose::Sample, order_id, id)
        .await?
        .ok_or_else(|| AppError::not_found(Code::SampleNotFound, "no such sample"))
}

/// The customer sees deliverables once the order is delivered; the studio always.
fn visible(actor: &Actor, order: &OrderRecord, row: &SampleRow) -> bool {
    actor.who().is_studio()
        || (matches!(order.status, OrderStatus::Delivered | OrderStatus::Closed)
            && row.status == SampleStatus::Verified)
}

fn deliverable_not_found() -> AppError {
    AppError::not_found(Code::DeliverableNotFound, "no such deliverable")
}
