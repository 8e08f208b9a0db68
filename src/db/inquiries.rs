//! Inquiry queries: store one, count a client's recent ones (the throttle), page through them
//! newest first (the studio's list), count a range (the funnel), and blank the personal words
//! of old ones (retention).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::inquiry::{self, Entity as Inquiries};

pub use inquiry::Model as InquiryRow;

pub struct NewInquiry {
    pub name: String,
    pub contact: String,
    pub message: String,
    pub language: String,
    pub client_digest: String,
    pub now: DateTime<Utc>,
}

pub async fn insert(conn: &impl ConnectionTrait, new: NewInquiry) -> Result<InquiryRow, DbErr> {
    inquiry::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(new.name),
        contact: Set(new.contact),
        message: Set(new.message),
        language: Set(new.language),
        client_digest: Set(new.client_digest),
        created_at: Set(new.now),
        forgotten_at: Set(None),
    }
    .insert(conn)
    .await
}

pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<InquiryRow>, DbErr> {
    Inquiries::find_by_id(id).one(conn).await
}

/// How many inquiries `client_digest` left since `since`.
pub async fn count_from(
    conn: &impl ConnectionTrait,
    client_digest: &str,
    since: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Inquiries::find()
        .filter(inquiry::Column::ClientDigest.eq(client_digest))
        .filter(inquiry::Column::CreatedAt.gte(since))
        .count(conn)
        .await
}

/// Newest first, before the cursor (ids are time-ordered UUIDv7).
pub async fn page(
    conn: &impl ConnectionTrait,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<InquiryRow>, DbErr> {
    let mut query = Inquiries::find();
    if let Some(before) = before {
        query = query.filter(inquiry::Column::Id.lt(before));
    }
    query
        .order_by_desc(inquiry::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Inquiries left in `[from, to)`.
pub async fn count_between(
    conn: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let n = Inquiries::find()
        .filter(inquiry::Column::CreatedAt.gte(from))
        .filter(inquiry::Column::CreatedAt.lt(to))
        .count(conn)
        .await?;
    i64::try_from(n).map_err(|_| DbErr::Custom("inquiry count out of range".into()))
}

/// Blank the name, contact and words of inquiries left before `cutoff` (the rows stay, so
/// the funnel still counts them). Returns how many were blanked.
pub async fn forget_before(
    conn: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = Inquiries::update_many()
        .col_expr(inquiry::Column::Name, Expr::value(""))
        .col_expr(inquiry::Column::Contact, Expr::value(""))
        .col_expr(inquiry::Column::Message, Expr::value(""))
        .col_expr(inquiry::Column::ClientDigest, Expr::value(""))
        .col_expr(inquiry::Column::ForgottenAt, Expr::value(now))
        .filter(inquiry::Column::CreatedAt.lt(cutoff))
        .filter(inquiry::Column::ForgottenAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}
