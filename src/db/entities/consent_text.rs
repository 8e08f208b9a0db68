use sea_orm::entity::prelude::*;

use crate::domain::consent::ConsentParty;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_texts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub jurisdiction: String,
    #[sea_orm(column_type = "Text")]
    pub party: ConsentParty,
    pub language: String,
    pub version: i32,
    pub body: String,
    pub sha256: String,
    pub published_at: DateTimeUtc,
    /// Who published it (the nil id: shipped with Keepsake as a default).
    pub published_by: Uuid,
    /// About the text, not part of it: the defaults say they are a starting point for the
    /// studio's lawyer.
    pub notes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
