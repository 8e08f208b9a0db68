//! Accounts and their roles.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};
use uuid::Uuid;

use super::entities::{user, user_role};
use crate::domain::account::{Email, Role};

#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl UserRecord {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Create an account. A taken email is a unique violation (see `db::is_unique_violation`).
pub async fn create(
    conn: &impl ConnectionTrait,
    email: &Email,
    password_hash: String,
    roles: &[Role],
    now: DateTime<Utc>,
) -> Result<UserRecord, DbErr> {
    let id = Uuid::now_v7();
    user::ActiveModel {
        id: Set(id),
        email: Set(email.as_str().to_owned()),
        password_hash: Set(password_hash),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    for role in roles {
        user_role::ActiveModel {
            user_id: Set(id),
            role: Set(role.as_str().to_owned()),
            granted_at: Set(now),
        }
        .insert(conn)
        .await?;
    }
    find(conn, id)
        .await?
        .ok_or_else(|| DbErr::Custom("created user vanished".into()))
}

pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<UserRecord>, DbErr> {
    let Some(row) = user::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    with_roles(conn, row).await.map(Some)
}

pub async fn find_by_email(
    conn: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<UserRecord>, DbErr> {
    let Some(row) = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    with_roles(conn, row).await.map(Some)
}

async fn with_roles(conn: &impl ConnectionTrait, row: user::Model) -> Result<UserRecord, DbErr> {
    let roles: Vec<String> = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(row.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.role)
        .collect();
    record(
        row.id,
        row.email,
        row.password_hash,
        row.disabled_at,
        row.created_at,
        &roles,
    )
}

/// An account from its row's fields and its roles' names (in [`Role::ALL`]'s order).
pub(super) fn record(
    id: Uuid,
    email: String,
    password_hash: String,
    disabled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    role_names: &[String],
) -> Result<UserRecord, DbErr> {
    let mut roles = role_names
        .iter()
        .map(|r| Role::parse(r).ok_or_else(|| DbErr::Custom(format!("unknown role {r:?}"))))
        .collect::<Result<Vec<_>, _>>()?;
    roles.sort_by_key(|r| Role::ALL.iter().position(|x| x == r));
    Ok(UserRecord {
        id,
        email,
        password_hash,
        roles,
        disabled: disabled_at.is_some(),
        created_at,
    })
}

/// Replace the roles of an account.
pub async fn set_roles(
    conn: &impl ConnectionTrait,
    id: Uuid,
    roles: &[Role],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(id))
        .exec(conn)
        .await?;
    for role in roles {
        user_role::ActiveModel {
            user_id: Set(id),
            role: Set(role.as_str().to_owned()),
            granted_at: Set(now),
        }
        .insert(conn)
        .await?;
    }
    touch(conn, id, now).await
}

/// Disable (`Some(now)`) or re-enable (`None`) an account.
pub async fn set_disabled(
    conn: &impl ConnectionTrait,
    id: Uuid,
    disabled_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    user::Entity::update_many()
        .col_expr(user::Column::DisabledAt, Expr::value(disabled_at))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Take the account's row lock for the rest of the transaction with a write that changes
/// nothing (PostgreSQL locks the row; SQLite holds its single writer lock), so a decision read
/// next — has the owner been told of this trip yet? — is taken once. `false`: no such account.
pub async fn lock(conn: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    use sea_orm::sea_query::Expr;
    let result = user::Entity::update_many()
        .col_expr(user::Column::UpdatedAt, Expr::col(user::Column::UpdatedAt))
        .filter(user::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

async fn touch(conn: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    user::Entity::update_many()
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Accounts by id, oldest first, after `after_id`.
pub async fn list(
    conn: &impl ConnectionTrait,
    after_id: Option<Uuid>,
    limit: u64,
) -> Result<Vec<UserRecord>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    let mut query = user::Entity::find();
    if let Some(after) = after_id {
        query = query.filter(user::Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(user::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(with_roles(conn, row).await?);
    }
    Ok(out)
}

/// The active accounts holding `role` (id and email), by email, at most `limit`.
pub async fn holding(
    conn: &impl ConnectionTrait,
    role: Role,
    limit: u64,
) -> Result<Vec<(Uuid, String)>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    let ids: Vec<Uuid> = user_role::Entity::find()
        .filter(user_role::Column::Role.eq(role.as_str()))
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .filter(user::Column::DisabledAt.is_null())
        .order_by_asc(user::Column::Email)
        .all(conn)
        .await
        .map(|rows| rows.into_iter().map(|u| (u.id, u.email)).collect())
}
