use sea_orm::entity::prelude::*;

use crate::domain::live_session::SessionStatus;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "live_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub scheduled_at: DateTimeUtc,
    pub actor_consent_id: Uuid,
    pub participants: Json,
    #[sea_orm(column_type = "Text")]
    pub status: SessionStatus,
    pub scheduled_by: Uuid,
    pub created_at: DateTimeUtc,
    pub duration_minutes: Option<i32>,
    pub ai_label_shown: Option<bool>,
    pub notes: Option<String>,
    pub logged_by: Option<Uuid>,
    pub logged_at: Option<DateTimeUtc>,
    pub cancel_reason: Option<String>,
    pub cancelled_by: Option<Uuid>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub flagged_for_review: bool,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub review_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
