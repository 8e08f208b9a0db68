//! Login sessions, looked up by the hash of their token.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, Statement,
};
use uuid::Uuid;

use super::entities::session;
use super::users::UserRecord;

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

/// A live session and the account behind it.
pub struct LiveRow {
    pub session_id: Uuid,
    pub csrf_hash: String,
    pub last_seen_at: DateTime<Utc>,
    pub user: UserRecord,
}

/// The live session with this token hash — not revoked, not past its absolute expiry, and used
/// since `idle_cutoff` — with its account and the account's roles, in one query: every
/// authenticated request starts here, so it is one round trip, not three.
pub async fn find_live(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
    idle_cutoff: DateTime<Utc>,
) -> Result<Option<LiveRow>, DbErr> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT s.id AS session_id, s.csrf_hash, s.last_seen_at, \
                    u.id AS user_id, u.email, u.password_hash, u.disabled_at, u.created_at, \
                    r.role \
             FROM sessions s \
             JOIN users u ON u.id = s.user_id \
             LEFT JOIN user_roles r ON r.user_id = u.id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL \
               AND s.expires_at > $2 AND s.last_seen_at > $3",
            [token_hash.into(), now.into(), idle_cutoff.into()],
        ))
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let roles = rows
        .iter()
        .filter_map(|row| row.try_get::<Option<String>>("", "role").transpose())
        .collect::<Result<Vec<_>, _>>()?;
    let user = super::users::record(
        first.try_get("", "user_id")?,
        first.try_get("", "email")?,
        first.try_get("", "password_hash")?,
        first.try_get::<Option<DateTime<Utc>>>("", "disabled_at")?,
        first.try_get("", "created_at")?,
        &roles,
    )?;
    Ok(Some(LiveRow {
        session_id: first.try_get("", "session_id")?,
        csrf_hash: first.try_get("", "csrf_hash")?,
        last_seen_at: first.try_get("", "last_seen_at")?,
        user,
    }))
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
