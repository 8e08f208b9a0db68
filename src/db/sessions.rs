//! Login sessions, looked up by the hash of their token.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};
use uuid::Uuid;

use super::entities::session;

pub use session::Model as SessionRow;

pub struct NewSession<'a> {
    pub user_id: Uuid,
    pub token_hash: &'a str,
    pub csrf_hash: &'a str,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn create(conn: &impl ConnectionTrait, new: NewSession<'_>) -> Result<SessionRow, DbErr> {
    session::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(new.user_id),
        token_hash: Set(new.token_hash.to_owned()),
        csrf_hash: Set(new.csrf_hash.to_owned()),
        created_at: Set(new.now),
        last_seen_at: Set(new.now),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await
}

/// The live session with this token hash: not revoked, not past its absolute expiry, and
/// used since `idle_cutoff`.
pub async fn find_live(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
    idle_cutoff: DateTime<Utc>,
) -> Result<Option<SessionRow>, DbErr> {
    session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .filter(session::Column::LastSeenAt.gt(idle_cutoff))
        .one(conn)
        .await
}

pub async fn touch(conn: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, Expr::value(now))
        .filter(session::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn revoke(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// End every live session of an account (on disable).
pub async fn revoke_all_for_user(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}
