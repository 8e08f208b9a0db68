use sea_orm::entity::prelude::*;

use crate::db::outbox::DeliveryStatus;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub order_id: Option<Uuid>,
    pub audience: String,
    pub payload: Json,
    pub created_at: DateTimeUtc,
    pub available_at: DateTimeUtc,
    pub attempts: i32,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub sent_at: Option<DateTimeUtc>,
    /// queued | sent | failed | skipped
    #[sea_orm(column_type = "Text")]
    pub status: DeliveryStatus,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub skip_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
