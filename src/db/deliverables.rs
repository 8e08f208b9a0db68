//! Deliverable labels. The upload itself is a `samples` row with purpose `deliverable`; this
//! table holds the AI-generated-content label recorded for it and when the metadata label was
//! last read back from the stored object.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entities::deliverable::{self, Entity as Deliverables};
use crate::domain::delivery::AiLabel;

pub use deliverable::Model as DeliverableRow;

impl DeliverableRow {
    pub fn label(&self) -> AiLabel {
        AiLabel {
            content_id: self.content_id.clone(),
            text: self.label_text.clone(),
            provider: self.label_provider.clone(),
        }
    }
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    id: Uuid,
    order_id: Uuid,
    label: &AiLabel,
    created_by: Uuid,
    now: DateTime<Utc>,
) -> Result<DeliverableRow, DbErr> {
    deliverable::ActiveModel {
        id: Set(id),
        order_id: Set(order_id),
        content_id: Set(label.content_id.clone()),
        label_text: Set(label.text.clone()),
        label_provider: Set(label.provider.clone()),
        label_checked_at: Set(None),
        created_by: Set(Some(created_by)),
        created_at: Set(now),
        labeled_key: Set(None),
        labeled_sha256: Set(None),
        labeled_size: Set(None),
        original_purged_at: Set(None),
    }
    .insert(conn)
    .await
}

pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<DeliverableRow>, DbErr> {
    Deliverables::find_by_id(id).one(conn).await
}

pub async fn list_for_order(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<DeliverableRow>, DbErr> {
    Deliverables::find()
        .filter(deliverable::Column::OrderId.eq(order_id))
        .order_by_asc(deliverable::Column::Id)
        .all(conn)
        .await
}

/// Whether `user_id` uploaded any deliverable of the order (separation of duties).
pub async fn uploaded_by(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    user_id: Uuid,
) -> Result<bool, DbErr> {
    use sea_orm::PaginatorTrait;
    Ok(Deliverables::find()
        .filter(deliverable::Column::OrderId.eq(order_id))
        .filter(deliverable::Column::CreatedBy.eq(user_id))
        .count(conn)
        .await?
        > 0)
}

/// Record that these deliverables' metadata labels were read back and matched at `now`.
pub async fn mark_checked(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    Deliverables::update_many()
        .col_expr(deliverable::Column::LabelCheckedAt, Expr::value(now))
        .filter(deliverable::Column::Id.is_in(ids.iter().copied()))
        .exec(conn)
        .await?;
    Ok(())
}

/// The labeled copy made for deliverable `id` (at its verification, in the same transaction).
pub async fn set_labeled(
    conn: &impl ConnectionTrait,
    id: Uuid,
    key: &str,
    sha256_hex: &str,
    size: u64,
) -> Result<(), DbErr> {
    let size = i64::try_from(size).map_err(|e| DbErr::Custom(e.to_string()))?;
    Deliverables::update_many()
        .col_expr(deliverable::Column::LabeledKey, Expr::value(key))
        .col_expr(deliverable::Column::LabeledSha256, Expr::value(sha256_hex))
        .col_expr(deliverable::Column::LabeledSize, Expr::value(size))
        .filter(deliverable::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The deliverable whose labeled copy has this SHA-256 (hex, lower case), if any.
pub async fn by_labeled_sha256(
    conn: &impl ConnectionTrait,
    sha256_hex: &str,
) -> Result<Option<DeliverableRow>, DbErr> {
    Deliverables::find()
        .filter(deliverable::Column::LabeledSha256.eq(sha256_hex))
        .one(conn)
        .await
}
