use sea_orm::entity::prelude::*;

use crate::domain::iteration::IterationStatus;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "iterations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    /// 1, 2, … within the order.
    pub number: i32,
    pub description: String,
    /// Modalities, purposes and uses the iteration needs consent for.
    pub needs: Json,
    #[sea_orm(column_type = "Text")]
    pub status: IterationStatus,
    pub due_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
