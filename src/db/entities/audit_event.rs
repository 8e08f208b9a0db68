use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub actor: String,
    /// The actor's roles when it acted, comma-separated (none for anonymous and system).
    pub actor_roles: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Uuid,
    pub request_id: Option<String>,
    pub detail: Json,
    /// success | failure | refused
    pub outcome: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
