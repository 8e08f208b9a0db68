use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub reference: String,
    /// The customer who placed the order.
    pub customer_id: Option<Uuid>,
    pub status: String,
    pub delivery_mode: String,
    pub jurisdiction: String,
    pub subject_name: String,
    pub requester_relationship: String,
    pub subject_birth_date: Option<Date>,
    pub subject_death_date: Option<Date>,
    pub subject_living: bool,
    pub living_twin: bool,
    /// Set by the studio: the subject is a public figure.
    pub public_figure: bool,
    pub intake: Json,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub submitted_at: Option<DateTimeUtc>,
    /// The status a `needs_info` or `on_hold` order returns to.
    pub resume_status: Option<String>,
    pub hold_reason: Option<String>,
    pub queued_at: Option<DateTimeUtc>,
    /// Delivery target (queued + the mode's target days).
    pub due_at: Option<DateTimeUtc>,
    /// Delivery promise (queued + the mode's promise days).
    pub promised_at: Option<DateTimeUtc>,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub erasure_due_at: Option<DateTimeUtc>,
    /// The stage template production started with.
    pub template_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    /// Position of the current production stage (0-based).
    pub stage_index: Option<i32>,
    pub at_risk: bool,
    pub overdue: bool,
    /// When the SLA sweeper must look at this order again (none: nothing left to watch).
    pub sla_next_check_at: Option<DateTimeUtc>,
    pub sla_lease_owner: Option<String>,
    pub sla_lease_until: Option<DateTimeUtc>,
    /// When the current hold began (the stage clock is paused while held).
    pub held_at: Option<DateTimeUtc>,
    pub qc_signed_off_at: Option<DateTimeUtc>,
    pub qc_signed_off_by: Option<Uuid>,
    /// The current production stage's name (kept for the board).
    pub current_stage: Option<String>,
    pub delivered_at: Option<DateTimeUtc>,
    /// The customer keeps the raw samples for follow-up iterations (no retention purge).
    pub keep_samples: bool,
    pub samples_purged_at: Option<DateTimeUtc>,
    /// Why the order is due for erasure: withdrawal, customer_request, data_rights_request.
    pub erasure_reason: Option<String>,
    /// The order was erased: objects deleted, personal data scrubbed; the row is a tombstone.
    pub erased_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::sample::Entity")]
    Samples,
}

impl Related<super::sample::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Samples.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
