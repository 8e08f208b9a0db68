use sea_orm::entity::prelude::*;

use crate::domain::money::EntryKind;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub iteration_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub kind: EntryKind,
    pub amount_minor: i64,
    pub currency: String,
    pub note: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
