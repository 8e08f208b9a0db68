use sea_orm::entity::prelude::*;

use crate::domain::consent::ConsentDecision;
use crate::domain::consent::ConsentParty;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "consents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub party: ConsentParty,
    pub relationship: String,
    #[sea_orm(column_type = "Text")]
    pub decision: ConsentDecision,
    pub text_id: Uuid,
    pub text_hash: String,
    pub text_version: i32,
    pub language: String,
    pub grants: Json,
    pub evidence: Json,
    pub signer_name: Option<String>,
    pub signer_user_id: Option<Uuid>,
    pub invitation_id: Option<Uuid>,
    pub verification_method: String,
    pub signer_ip: Option<String>,
    pub signer_user_agent: Option<String>,
    pub signed_at: DateTimeUtc,
    pub ledger_event_id: Uuid,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub withdrawal_ledger_event_id: Option<Uuid>,
    /// Fresh consent given for one follow-up iteration (none: the order's own consent).
    pub iteration_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
