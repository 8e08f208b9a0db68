//! Data-rights request queries. Every step is a conditional update from the status the caller
//! saw, so two reviewers acting at once cannot both decide.

use crate::domain::ids::UserId;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::data_request::{self, Entity as DataRequests};
use crate::domain::data_rights::{RequestKind, RequestStatus};

pub use data_request::Model as DataRequestRow;

pub struct NewRequest {
    pub id: Uuid,
    pub kind: RequestKind,
    /// The order the reference matched, if any.
    pub order_id: Option<Uuid>,
    pub order_reference: String,
    pub requester_id: Uuid,
    pub relationship: String,
    pub details: Option<String>,
    pub corrections: Option<serde_json::Value>,
    pub now: DateTime<Utc>,
}

pub async fn insert(conn: &impl ConnectionTrait, new: NewRequest) -> Result<DataRequestRow, DbErr> {
    data_request::ActiveModel {
        id: Set(new.id),
        kind: Set(new.kind),
        order_id: Set(new.order_id),
        order_reference: Set(new.order_reference),
        requester_id: Set(new.requester_id),
        relationship: Set(new.relationship),
        details: Set(new.details),
        corrections: Set(new.corrections),
        status: Set(RequestStatus::Submitted),
        identity_method: Set(None),
        identity_note: Set(None),
        identity_verified_by: Set(None),
        identity_verified_at: Set(None),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_reason: Set(None),
        export_key: Set(None),
        completed_at: Set(None),
        created_at: Set(new.now),
        updated_at: Set(new.now),
    }
    .insert(conn)
    .await
}

pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<DataRequestRow>, DbErr> {
    DataRequests::find_by_id(id).one(conn).await
}

/// Oldest first (a queue), after the cursor, optionally one status, optionally one requester.
pub async fn page(
    conn: &impl ConnectionTrait,
    status: Option<RequestStatus>,
    requester: Option<Uuid>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<DataRequestRow>, DbErr> {
    let mut query = DataRequests::find();
    if let Some(status) = status {
        query = query.filter(data_request::Column::Status.eq(status.as_str()));
    }
    if let Some(requester) = requester {
        query = query.filter(data_request::Column::RequesterId.eq(requester));
    }
    if let Some(after) = after {
        query = query.filter(data_request::Column::Id.gt(after));
    }
    query
        .order_by_asc(data_request::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Which of `orders` belong to `customer` (a requester who is the order's own customer sees
/// which order their request names).
pub async fn orders_of(
    conn: &impl ConnectionTrait,
    customer: UserId,
    orders: &[Uuid],
) -> Result<Vec<Uuid>, DbErr> {
    use super::entities::order;
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .filter(order::Column::Id.is_in(orders.iter().copied()))
        .filter(order::Column::CustomerId.eq(customer))
        .into_tuple()
        .all(conn)
        .await
}

/// How many requests `requester` has open (not yet decided or carried out).
pub async fn open_count(conn: &impl ConnectionTrait, requester: Uuid) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    DataRequests::find()
        .filter(data_request::Column::RequesterId.eq(requester))
        .filter(data_request::Column::Status.is_in([
            RequestStatus::Submitted.as_str(),
            RequestStatus::IdentityVerified.as_str(),
            RequestStatus::Approved.as_str(),
        ]))
        .count(conn)
        .await
}

/// What a step records besides the new status.
#[derive(Debug, Default)]
pub struct Step {
    pub identity: Option<(String, Option<String>, Uuid)>,
    pub decision: Option<(Uuid, String)>,
    pub export_key: Option<String>,
    pub completed: bool,
}

/// Move the request from `from` to `to` with `step`'s facts. `false`: it was no longer `from`.
pub async fn advance(
    conn: &impl ConnectionTrait,
    id: Uuid,
    from: RequestStatus,
    to: RequestStatus,
    step: Step,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = DataRequests::update_many()
        .col_expr(data_request::Column::Status, Expr::value(to.as_str()))
        .col_expr(data_request::Column::UpdatedAt, Expr::value(now));
    if let Some((method, note, by)) = step.identity {
        update = update
            .col_expr(data_request::Column::IdentityMethod, Expr::value(method))
            .col_expr(data_request::Column::IdentityNote, Expr::value(note))
            .col_expr(data_request::Column::IdentityVerifiedBy, Expr::value(by))
            .col_expr(data_request::Column::IdentityVerifiedAt, Expr::value(now));
    }
    if let Some((by, reason)) = step.decision {
        update = update
            .col_expr(data_request::Column::DecidedBy, Expr::value(by))
            .col_expr(data_request::Column::DecidedAt, Expr::value(now))
            .col_expr(data_request::Column::DecisionReason, Expr::value(reason));
    }
    if let Some(key) = step.export_key {
        update = update.col_expr(data_request::Column::ExportKey, Expr::value(key));
    }
    if step.completed {
        update = update.col_expr(data_request::Column::CompletedAt, Expr::value(now));
    }
    let result = update
        .filter(data_request::Column::Id.eq(id))
        .filter(data_request::Column::Status.eq(from.as_str()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Erasure scrubs what requests about the order said (their free text).
pub async fn scrub_for_order(conn: &impl ConnectionTrait, order_id: Uuid) -> Result<u64, DbErr> {
    let result = DataRequests::update_many()
        .col_expr(
            data_request::Column::Details,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            data_request::Column::Corrections,
            Expr::value(Option::<serde_json::Value>::None),
        )
        .col_expr(
            data_request::Column::IdentityNote,
            Expr::value(Option::<String>::None),
        )
        .filter(data_request::Column::OrderId.eq(order_id))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}
