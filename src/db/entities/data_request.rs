use sea_orm::entity::prelude::*;

use crate::domain::data_rights::IdentityMethod;
use crate::domain::data_rights::RequestKind;
use crate::domain::data_rights::RequestStatus;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "data_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub kind: RequestKind,
    /// The order the reference matched; none when it matched no order.
    pub order_id: Option<Uuid>,
    /// The order reference as the requester gave it (normalised).
    pub order_reference: String,
    pub requester_id: Uuid,
    /// The requester's relationship to the subject (`self`, spouse, child, …).
    pub relationship: String,
    pub details: Option<String>,
    /// For a correction: the subject fields to correct.
    pub corrections: Option<Json>,
    #[sea_orm(column_type = "Text")]
    pub status: RequestStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub identity_method: Option<IdentityMethod>,
    pub identity_note: Option<String>,
    pub identity_verified_by: Option<Uuid>,
    pub identity_verified_at: Option<DateTimeUtc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_reason: Option<String>,
    /// The stored export of an access or copy request.
    pub export_key: Option<String>,
    pub completed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
