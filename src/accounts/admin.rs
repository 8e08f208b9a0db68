//! What admins do to accounts besides creating them: list them, change an account's roles, and
//! disable or re-enable it. Disabling ends the person's sessions at once. An admin cannot
//! disable themself or drop their own admin role, so a studio can never lock itself out by
//! accident. Every change is audited in the change's transaction.

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::distinct_roles;
use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, WriteTransaction, users::UserRecord};
use crate::domain::account::Role;
use crate::error::{AppError, AppResult, Code};

/// What an admin changes on an account (only what is given changes).
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    /// The complete new set of roles (at least one).
    pub roles: Option<Vec<Role>>,
    pub disabled: Option<bool>,
}

/// 403 `admins_only` (audited) unless the actor is an admin.
pub async fn require_admin(db: &DatabaseConnection, actor: &Actor) -> AppResult<()> {
    crate::orders::require_admin(db, actor, "only admins manage accounts").await
}

/// An admin adds a studio account (403 `admins_only`, audited, for anyone else); the same
/// checks, hashing and audit event as every other way in ([`super::create`]).
pub async fn create_by_admin(
    db: &DatabaseConnection,
    actor: &Actor,
    account: super::NewAccount,
) -> AppResult<UserRecord> {
    require_admin(db, actor).await?;
    super::create(db, &actor.audit(), account, actor.request_id()).await
}

/// Accounts oldest first, from after account `after`, at most `fetch` of them (admins).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    after: Option<Uuid>,
    fetch: u64,
) -> AppResult<Vec<UserRecord>> {
    require_admin(db, actor).await?;
    Ok(db::users::list(db, after, fetch).await?)
}

/// Change account `id` (admins): its roles (`user.roles_changed`), disabled
/// (`user.disabled`, ending its sessions) or enabled again (`user.enabled`).
pub async fn change(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    change: AccountChange,
) -> AppResult<UserRecord> {
    require_admin(db, actor).await?;
    let roles = change.roles.as_deref().map(distinct_roles).transpose()?;
    let user = db::users::find(db, id)
        .await?
        .ok_or_else(|| AppError::not_found(Code::UserNotFound, "no such account"))?;
    if id == actor.id
        && (change.disabled == Some(true)
            || roles.as_ref().is_some_and(|r| !r.contains(&Role::Admin)))
    {
        return Err(AppError::conflict(
            Code::CannotLockOutYourself,
            "an admin cannot disable themself or drop their own admin role",
        ));
    }
    let (actor, now, before) = (actor.clone(), db::now(), user.roles);
    db.write_transaction::<_, UserRecord, AppError>(|txn| {
        Box::pin(async move {
            let (who, request_id) = (actor.audit(), actor.request_id());
            if let Some(roles) = &roles {
                db::users::set_roles(txn, id, roles, now).await?;
                let detail = serde_json::json!({ "from": before, "to": roles });
                audit::record(
                    txn,
                    &who,
                    "user.roles_changed",
                    Target::user(id),
                    request_id,
                    detail,
                )
                .await?;
            }
            match change.disabled {
                Some(true) => {
                    db::users::set_disabled(txn, id, Some(now), now).await?;
                    let ended = db::sessions::revoke_all_for_user(txn, id, now).await?;
                    let detail = serde_json::json!({ "sessions_ended": ended });
                    audit::record(
                        txn,
                        &who,
                        "user.disabled",
                        Target::user(id),
                        request_id,
                        detail,
                    )
                    .await?;
                }
                Some(false) => {
                    db::users::set_disabled(txn, id, None, now).await?;
                    let detail = serde_json::json!({});
                    audit::record(
                        txn,
                        &who,
                        "user.enabled",
                        Target::user(id),
                        request_id,
                        detail,
                    )
                    .await?;
                }
                None => {}
            }
            db::users::find(txn, id)
                .await?
                .ok_or_else(|| AppError::internal("account vanished"))
        })
    })
    .await
}
