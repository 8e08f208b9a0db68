use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "inquiries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub contact: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    /// The page's language when it was sent (`zh-CN` or `en`): the language to answer in.
    pub language: String,
    pub client_digest: String,
    pub created_at: DateTimeUtc,
    pub forgotten_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
