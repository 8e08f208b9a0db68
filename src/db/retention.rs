//! Retention queries: which delivered orders' raw samples are due for the purge, the claim on
//! one, and the sample rows a claimed purge has not finished.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};
use uuid::Uuid;

use super::entities::{order, sample};
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
