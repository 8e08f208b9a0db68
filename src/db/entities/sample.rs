use sea_orm::entity::prelude::*;

use crate::domain::sample::{SampleKind, SampleStatus, UploadMode, UploadPurpose};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "samples")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub kind: SampleKind,
    pub file_name: String,
    pub declared_size: i64,
    pub declared_sha256: String,
    pub declared_content_type: String,
    pub object_key: String,
    #[sea_orm(column_type = "Text")]
    pub upload_mode: UploadMode,
    pub multipart_upload_id: Option<String>,
    pub part_size: i64,
    pub part_count: i32,
    #[sea_orm(column_type = "Text")]
    pub status: SampleStatus,
    pub rejection_code: Option<String>,
    pub rejection_reason: Option<String>,
    pub detected_content_type: Option<String>,
    /// The store's ETag of the verified object (what later reads can insist on).
    pub object_etag: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
    /// When the bytes of a rejected or aborted sample were finally removed (after every URL
    /// that could recreate them had expired).
    pub purged_at: Option<DateTimeUtc>,
    /// `sample` (the customer's evidence) or `deliverable` (the studio's delivery).
    #[sea_orm(column_type = "Text")]
    pub purpose: UploadPurpose,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::order::Entity",
        from = "Column::OrderId",
        to = "super::order::Column::Id"
    )]
    Order,
}

impl Related<super::order::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
