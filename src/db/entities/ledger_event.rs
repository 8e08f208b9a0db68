use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub seq: i64,
    pub order_id: Uuid,
    pub order_seq: i32,
    pub kind: String,
    pub occurred_at: DateTimeUtc,
    pub content: String,
    pub personal: Option<String>,
    pub personal_salt: Option<String>,
    pub personal_digest: String,
    pub prev_hash: String,
    pub global_prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
