//! Order queries. Rows are turned into [`OrderRecord`] (domain enums parsed) on the way out, so
//! the rest of the code never sees a status as a bare string.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::order::{self, Entity as Orders};
use crate::domain::intake::{IntakeAnswers, Subject};
use crate::domain::order::{DeliveryMode, OrderStatus, Relationship};
use crate::domain::reference::format_reference;

#[derive(Debug, Clone)]
pub struct OrderRecord {
    pub id: Uuid,
    pub reference: String,
    pub customer_id: Option<Uuid>,
    /// Set by the studio (a screening risk flag); never by the customer.
    pub public_figure: bool,
    pub status: OrderStatus,
    pub delivery_mode: DeliveryMode,
    pub jurisdiction: String,
    pub subject: Subject,
    pub intake: IntakeAnswers,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// The status a `needs_info` or `on_hold` order returns to.
    pub resume_status: Option<OrderStatus>,
    pub hold_reason: Option<String>,
    pub queued_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub promised_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub erasure_due_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub keep_samples: bool,
    pub samples_purged_at: Option<DateTime<Utc>>,
    pub erasure_reason: Option<String>,
    pub erased_at: Option<DateTime<Utc>>,
    pub production: Production,
}

/// Production facts of an order (all empty before it is queued).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Production {
    pub template_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub stage_index: Option<i32>,
    pub at_risk: bool,
    pub overdue: bool,
    pub sla_next_check_at: Option<DateTime<Utc>>,
    pub held_at: Option<DateTime<Utc>>,
    pub qc_signed_off_at: Option<DateTime<Utc>>,
    pub qc_signed_off_by: Option<Uuid>,
    pub current_stage: Option<String>,
}

/// Everything needed to create an order besides what the database assigns.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub delivery_mode: DeliveryMode,
    pub jurisdiction: String,
    pub subject: Subject,
    pub intake: IntakeAnswers,
    pub now: DateTime<Utc>,
}

fn corrupt(what: &str, value: &str) -> DbErr {
    DbErr::Custom(format!("stored order has an unknown {what}: {value:?}"))
}

impl TryFrom<order::Model> for OrderRecord {
    type Error = DbErr;
    fn try_from(m: order::Model) -> Result<Self, DbErr> {
        let status = OrderStatus::parse(&m.status).ok_or_else(|| corrupt("status", &m.status))?;
        let delivery_mode = DeliveryMode::parse(&m.delivery_mode)
            .ok_or_else(|| corrupt("mode", &m.delivery_mode))?;
        let requester_relationship = Relationship::parse(&m.requester_relationship)
            .ok_or_else(|| corrupt("relationship", &m.requester_relationship))?;
        let resume_status = m
            .resume_status
            .as_deref()
            .map(|s| OrderStatus::parse(s).ok_or_else(|| corrupt("resume status", s)))
            .transpose()?;
        let intake: IntakeAnswers = serde_json::from_value(m.intake)
            .map_err(|e| DbErr::Custom(format!("stored intake is unreadable: {e}")))?;
        Ok(Self {
            id: m.id,
            reference: m.reference,
            customer_id: m.customer_id,
            public_figure: m.public_figure,
            status,
            delivery_mode,
            jurisdiction: m.jurisdiction,
            subject: Subject {
                name: m.subject_name,
                requester_relationship,
                birth_date: m.subject_birth_date,
                death_date: m.subject_death_date,
                living: m.subject_living,
                living_twin: m.living_twin,
            },
            intake,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
            submitted_at: m.submitted_at,
            resume_status,
            hold_reason: m.hold_reason,
            queued_at: m.queued_at,
            due_at: m.due_at,
            promised_at: m.promised_at,
            withdrawn_at: m.withdrawn_at,
            erasure_due_at: m.erasure_due_at,
            delivered_at: m.delivered_at,
            keep_samples: m.keep_samples,
            samples_purged_at: m.samples_purged_at,
            erasure_reason: m.erasure_reason,
            erased_at: m.erased_at,
            production: Production {
                template_id: m.template_id,
                assignee_id: m.assignee_id,
                stage_index: m.stage_index,
                at_risk: m.at_risk,
                overdue: m.overdue,
                sla_next_check_at: m.sla_next_check_at,
                held_at: m.held_at,
                qc_signed_off_at: m.qc_signed_off_at,
                qc_signed_off_by: m.qc_signed_off_by,
                current_stage: m.current_stage,
            },
        })
    }
}

/// The next number of `year`'s reference counter, atomically (one upsert, so two concurrent
/// orders never share a reference on either backend).
async fn next_reference_number(conn: &impl ConnectionTrait, year: i32) -> Result<i64, DbErr> {
    use sea_orm::sea_query::Alias;
    let table = Alias::new("order_reference_counters");
    let year_col = Alias::new("year");
    let last = Alias::new("last_number");
    let stmt = Query::insert()
        .into_table(table.clone())
        .columns([year_col.clone(), last.clone()])
        .values_panic([year.into(), 1i64.into()])
        .on_conflict(
            OnConflict::column(year_col)
                .value(last.clone(), Expr::col((table, last.clone())).add(1))
                .to_owned(),
        )
        .returning_col(last)
        .to_owned();
    let row = conn
        .query_one(&stmt)
        .await?
        .ok_or_else(|| DbErr::Custom("reference counter returned no row".into()))?;
    row.try_get::<i64>("", "last_number")
}

pub async fn insert(conn: &impl ConnectionTrait, new: NewOrder) -> Result<OrderRecord, DbErr> {
    use chrono::Datelike;
    let number = next_reference_number(conn, new.now.year()).await?;
    let intake = serde_json::to_value(&new.intake).map_err(|e| DbErr::Custom(e.to_string()))?;
    let model = order::ActiveModel {
        id: Set(new.id),
        reference: Set(format_reference(new.now.year(), number)),
        customer_id: Set(Some(new.customer_id)),
        status: Set(OrderStatus::Draft.as_str().to_owned()),
        delivery_mode: Set(new.delivery_mode.as_str().to_owned()),
        jurisdiction: Set(new.jurisdiction),
        subject_name: Set(new.subject.name),
        requester_relationship: Set(new.subject.requester_relationship.as_str().to_owned()),
        subject_birth_date: Set(new.subject.birth_date),
        subject_death_date: Set(new.subject.death_date),
        subject_living: Set(new.subject.living),
        living_twin: Set(new.subject.living_twin),
        public_figure: Set(false),
        intake: Set(intake),
        version: Set(1),
        created_at: Set(new.now),
        updated_at: Set(new.now),
        submitted_at: Set(None),
        resume_status: Set(None),
        hold_reason: Set(None),
        queued_at: Set(None),
        due_at: Set(None),
        promised_at: Set(None),
        withdrawn_at: Set(None),
        erasure_due_at: Set(None),
        template_id: Set(None),
        assignee_id: Set(None),
        stage_index: Set(None),
        at_risk: Set(false),
        overdue: Set(false),
        sla_next_check_at: Set(None),
        sla_lease_owner: Set(None),
        sla_lease_until: Set(None),
        held_at: Set(None),
        qc_signed_off_at: Set(None),
        qc_signed_off_by: Set(None),
        current_stage: Set(None),
        delivered_at: Set(None),
        keep_samples: Set(false),
        samples_purged_at: Set(None),
        erasure_reason: Set(None),
        erased_at: Set(None),
    };
    model.insert(conn).await?.try_into()
}

/// The order a person names by its reference (`KS-2026-000123`).
/// The references of the orders `ids` (those that exist).
pub async fn references(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>, DbErr> {
    Ok(Orders::find()
        .select_only()
        .column(order::Column::Id)
        .column(order::Column::Reference)
        .filter(order::Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect())
}

pub async fn find_by_reference(
    conn: &impl ConnectionTrait,
    reference: &str,
) -> Result<Option<OrderRecord>, DbErr> {
    Orders::find()
        .filter(order::Column::Reference.eq(reference))
        .one(conn)
        .await?
        .map(OrderRecord::try_from)
        .transpose()
}

pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<OrderRecord>, DbErr> {
    Orders::find_by_id(id)
        .one(conn)
        .await?
        .map(TryInto::try_into)
        .transpose()
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this customer's orders (always set for a customer caller).
    pub customer_id: Option<Uuid>,
    pub status: Option<OrderStatus>,
    pub delivery_mode: Option<DeliveryMode>,
    /// Keyset cursor: only orders created before this id (ids are UUID v7, so time-ordered).
    pub before_id: Option<Uuid>,
}

/// Newest first, at most `limit` rows, keyset-paginated on the id.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &ListFilter,
    limit: u64,
) -> Result<Vec<OrderRecord>, DbErr> {
    let mut query = Orders::find();
    if let Some(customer) = filter.customer_id {
        query = query.filter(order::Column::CustomerId.eq(customer));
    }
    if let Some(status) = filter.status {
        query = query.filter(order::Column::Status.eq(status.as_str()));
    }
    if let Some(mode) = filter.delivery_mode {
        query = query.filter(order::Column::DeliveryMode.eq(mode.as_str()));
    }
    if let Some(before) = filter.before_id {
        query = query.filter(order::Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(order::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// The columns a change may set; the version is bumped by [`update_if_version`] itself.
#[derive(Debug, Clone)]
pub struct OrderChange {
    pub status: OrderStatus,
    pub delivery_mode: DeliveryMode,
    pub jurisdiction: String,
    pub subject: Subject,
    pub intake: IntakeAnswers,
    pub submitted_at: Option<DateTime<Utc>>,
    pub resume_status: Option<OrderStatus>,
    pub hold_reason: Option<String>,
    pub queued_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub promised_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub keep_samples: bool,
    /// Whether the studio marked the subject a public figure at screening (a risk flag).
    pub public_figure: bool,
    pub production: Production,
    pub now: DateTime<Utc>,
}

/// Apply `change` only if the order is still at `expected_version` (optimistic concurrency).
/// `Ok(None)`: someone else changed it first.
pub async fn update_if_version(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: i32,
    change: OrderChange,
) -> Result<Option<OrderRecord>, DbErr> {
    let intake = serde_json::to_value(&change.intake).map_err(|e| DbErr::Custom(e.to_string()))?;
    let result = Orders::update_many()
        .col_expr(order::Column::Status, Expr::value(change.status.as_str()))
        .col_expr(
            order::Column::DeliveryMode,
            Expr::value(change.delivery_mode.as_str()),
        )
        .col_expr(
            order::Column::Jurisdiction,
            Expr::value(change.jurisdiction),
        )
        .col_expr(order::Column::SubjectName, Expr::value(change.subject.name))
        .col_expr(
            order::Column::RequesterRelationship,
            Expr::value(change.subject.requester_relationship.as_str()),
        )
        .col_expr(
            order::Column::SubjectBirthDate,
            Expr::value(change.subject.birth_date),
        )
        .col_expr(
            order::Column::SubjectDeathDate,
            Expr::value(change.subject.death_date),
        )
        .col_expr(
            order::Column::SubjectLiving,
            Expr::value(change.subject.living),
        )
        .col_expr(
            order::Column::LivingTwin,
            Expr::value(change.subject.living_twin),
        )
        .col_expr(order::Column::Intake, Expr::value(intake))
        .col_expr(order::Column::SubmittedAt, Expr::value(change.submitted_at))
        .col_expr(
            order::Column::ResumeStatus,
            Expr::value(change.resume_status.map(OrderStatus::as_str)),
        )
        .col_expr(order::Column::HoldReason, Expr::value(change.hold_reason))
        .col_expr(order::Column::QueuedAt, Expr::value(change.queued_at))
        .col_expr(order::Column::DueAt, Expr::value(change.due_at))
        .col_expr(order::Column::PromisedAt, Expr::value(change.promised_at))
        .col_expr(order::Column::DeliveredAt, Expr::value(change.delivered_at))
        .col_expr(order::Column::KeepSamples, Expr::value(change.keep_samples))
        .col_expr(
            order::Column::PublicFigure,
            Expr::value(change.public_figure),
        )
        .col_expr(
            order::Column::TemplateId,
            Expr::value(change.production.template_id),
        )
        .col_expr(
            order::Column::AssigneeId,
            Expr::value(change.production.assignee_id),
        )
        .col_expr(
            order::Column::StageIndex,
            Expr::value(change.production.stage_index),
        )
        .col_expr(
            order::Column::AtRisk,
            Expr::value(change.production.at_risk),
        )
        .col_expr(
            order::Column::Overdue,
            Expr::value(change.production.overdue),
        )
        .col_expr(
            order::Column::SlaNextCheckAt,
            Expr::value(change.production.sla_next_check_at),
        )
        .col_expr(
            order::Column::HeldAt,
            Expr::value(change.production.held_at),
        )
        .col_expr(
            order::Column::QcSignedOffAt,
            Expr::value(change.production.qc_signed_off_at),
        )
        .col_expr(
            order::Column::QcSignedOffBy,
            Expr::value(change.production.qc_signed_off_by),
        )
        .col_expr(
            order::Column::CurrentStage,
            Expr::value(change.production.current_stage.clone()),
        )
        .col_expr(order::Column::UpdatedAt, Expr::value(change.now))
        .col_expr(
            order::Column::Version,
            Expr::col(order::Column::Version).add(1),
        )
        .filter(order::Column::Id.eq(id))
        .filter(order::Column::Version.eq(expected_version))
        .exec(conn)
        .await?;
    if result.rows_affected == 1 {
        find(conn, id).await
    } else {
        Ok(None)
    }
}

impl OrderRecord {
    /// The change that leaves everything as it is; callers override what they change.
    pub fn unchanged(&self, now: DateTime<Utc>) -> OrderChange {
        OrderChange {
            status: self.status,
            delivery_mode: self.delivery_mode,
            jurisdiction: self.jurisdiction.clone(),
            subject: self.subject.clone(),
            intake: self.intake.clone(),
            submitted_at: self.submitted_at,
            resume_status: self.resume_status,
            hold_reason: self.hold_reason.clone(),
            queued_at: self.queued_at,
            due_at: self.due_at,
            promised_at: self.promised_at,
            delivered_at: self.delivered_at,
            keep_samples: self.keep_samples,
            public_figure: self.public_figure,
            production: self.production.clone(),
            now,
        }
    }
}

/// Stop an order after a consent was withdrawn: `withdrawn` from any status in `from`, whatever
/// its version (a withdrawal needs no If-Match: it must never lose a race), with the time its
/// erasure falls due. `Ok(None)`: the order was not in one of those statuses.
pub async fn withdraw(
    conn: &impl ConnectionTrait,
    id: Uuid,
    from: &[OrderStatus],
    erasure_due_at: DateTime<Utc>,
    erasure_reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<OrderRecord>, DbErr> {
    let result = Orders::update_many()
        .col_expr(order::Column::ErasureReason, Expr::value(erasure_reason))
        .col_expr(
            order::Column::Status,
            Expr::value(OrderStatus::Withdrawn.as_str()),
        )
        .col_expr(
            order::Column::ResumeStatus,
            Expr::value(Option::<String>::None),
        )
        .col_expr(order::Column::WithdrawnAt, Expr::value(now))
        .col_expr(order::Column::ErasureDueAt, Expr::value(erasure_due_at))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            order::Column::Version,
            Expr::col(order::Column::Version).add(1),
        )
        .filter(order::Column::Id.eq(id))
        .filter(order::Column::Status.is_in(from.iter().map(|s| s.as_str())))
        .exec(conn)
        .await?;
    if result.rows_affected == 1 {
        find(conn, id).await
    } else {
        Ok(None)
    }
}

/// Schedule erasure for an order that is already stopped (declined, cancelled, closed): the
/// earliest schedule stands (a later request never postpones one; an earlier one brings it
/// forward, with its reason). Erased orders are left alone.
pub async fn schedule_erasure(
    conn: &impl ConnectionTrait,
    id: Uuid,
    erasure_due_at: DateTime<Utc>,
    erasure_reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::Condition;
    Orders::update_many()
        .col_expr(order::Column::ErasureDueAt, Expr::value(erasure_due_at))
        .col_expr(order::Column::ErasureReason, Expr::value(erasure_reason))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            order::Column::Version,
            Expr::col(order::Column::Version).add(1),
        )
        .filter(order::Column::Id.eq(id))
        .filter(order::Column::ErasedAt.is_null())
        .filter(
            Condition::any()
                .add(order::Column::ErasureDueAt.is_null())
                .add(order::Column::ErasureDueAt.gt(erasure_due_at)),
        )
        .exec(conn)
        .await?;
    Ok(())
}

/// Orders whose erasure is due and not done, oldest due first.
pub async fn erasure_due(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Uuid>, DbErr> {
    use sea_orm::QuerySelect;
    Orders::find()
        .select_only()
        .column(order::Column::Id)
        .filter(order::Column::ErasureDueAt.lte(now))
        .filter(order::Column::ErasedAt.is_null())
        .order_by_asc(order::Column::ErasureDueAt)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await
}
