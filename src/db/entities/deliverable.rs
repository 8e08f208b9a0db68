use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deliverables")]
pub struct Model {
    /// The same id as the deliverable's upload row in `samples`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub content_id: String,
    pub label_text: String,
    pub label_provider: String,
    /// When the metadata label was last read back from the stored object and matched.
    pub label_checked_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    /// The labeled copy the family downloads (GB 45438 label inside the file), once made.
    pub labeled_key: Option<String>,
    /// Its SHA-256, hex.
    pub labeled_sha256: Option<String>,
    pub labeled_size: Option<i64>,
    /// When retention removed the original upload (the labeled copy stays).
    pub original_purged_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
