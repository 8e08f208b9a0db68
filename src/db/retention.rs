//! Retention queries: which delivered orders' raw samples are due for the purge, the claim on
//! one, and the sample rows and deliverable originals a claimed purge has not finished.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};
use uuid::Uuid;

use super::entities::{deliverable, order, sample};
use super::samples::SampleRow;
use crate::domain::sample::UploadPurpose;

/// Delivered on or before `cutoff`, samples not kept, not purged, not erased.
pub async fn due(
    conn: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Uuid>, DbErr> {
    order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .filter(order::Column::DeliveredAt.lte(cutoff))
        .filter(order::Column::KeepSamples.eq(false))
        .filter(order::Column::SamplesPurgedAt.is_null())
        .filter(order::Column::ErasedAt.is_null())
        .order_by_asc(order::Column::DeliveredAt)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await
}

/// Claim the purge of an order's samples (conditional on the same facts as [`due`]).
pub async fn claim(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    // The version moves too: a customer's keep-the-samples change read before this claim
    // must lose (412) rather than be recorded after the purge started.
    let result = order::Entity::update_many()
        .col_expr(order::Column::SamplesPurgedAt, Expr::value(now))
        .col_expr(
            order::Column::Version,
            Expr::col(order::Column::Version).add(1),
        )
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::KeepSamples.eq(false))
        .filter(order::Column::SamplesPurgedAt.is_null())
        .filter(order::Column::ErasedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The order's raw samples whose bytes are still stored.
pub async fn samples_of(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<SampleRow>, DbErr> {
    sample::Entity::find()
        .filter(sample::Column::OrderId.eq(order_id))
        .filter(sample::Column::Purpose.eq(UploadPurpose::Sample.as_str()))
        .filter(sample::Column::PurgedAt.is_null())
        .order_by_asc(sample::Column::Id)
        .all(conn)
        .await
}

/// Raw samples of orders whose purge was claimed, not yet purged.
pub async fn unpurged_samples(
    conn: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<SampleRow>, DbErr> {
    sample::Entity::find()
        .join(sea_orm::JoinType::InnerJoin, sample::Relation::Order.def())
        .filter(order::Column::SamplesPurgedAt.is_not_null())
        .filter(sample::Column::Purpose.eq(UploadPurpose::Sample.as_str()))
        .filter(sample::Column::PurgedAt.is_null())
        .order_by_asc(sample::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Deliverables of orders whose purge was claimed whose original upload is still stored
/// (only those with a labeled copy: without one the original is the only file).
pub async fn unpurged_deliverable_originals(
    conn: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<SampleRow>, DbErr> {
    stored_originals()
        .join(sea_orm::JoinType::InnerJoin, sample::Relation::Order.def())
        .filter(order::Column::SamplesPurgedAt.is_not_null())
        .order_by_asc(sample::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// The order's deliverables whose original upload is still stored beside a labeled copy.
pub async fn deliverable_originals_of(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<SampleRow>, DbErr> {
    stored_originals()
        .filter(sample::Column::OrderId.eq(order_id))
        .order_by_asc(sample::Column::Id)
        .all(conn)
        .await
}

fn stored_originals() -> sea_orm::Select<sample::Entity> {
    sample::Entity::find()
        .filter(sample::Column::Purpose.eq(UploadPurpose::Deliverable.as_str()))
        .filter(
            sample::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(deliverable::Column::Id)
                    .from(deliverable::Entity)
                    .and_where(deliverable::Column::LabeledKey.is_not_null())
                    .and_where(deliverable::Column::OriginalPurgedAt.is_null())
                    .to_owned(),
            ),
        )
}

/// Record that a deliverable's original is gone; `false` when another run already did.
pub async fn mark_original_purged(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = deliverable::Entity::update_many()
        .col_expr(deliverable::Column::OriginalPurgedAt, Expr::value(now))
        .filter(deliverable::Column::Id.eq(id))
        .filter(deliverable::Column::OriginalPurgedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
