use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "erasures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub reason: String,
    pub requested_at: DateTimeUtc,
    pub completed_at: DateTimeUtc,
    /// The objects deleted: key, purpose, kind, size, time (never a file name).
    pub objects_deleted: Json,
    /// Rows scrubbed per table.
    pub records_scrubbed: Json,
    /// When listing the order's prefix found nothing left.
    pub prefix_empty_at: DateTimeUtc,
    /// The certificate of destruction as first issued (its exact JSON text).
    pub certificate: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
