//! Accounts: creating one (a customer registering, an admin adding a studio account, the CLI
//! bootstrapping the first admin) is one function whichever door it comes through, with the
//! same checks (a plausible email, a password not on the common list, at least one role), the
//! same hashing, and its audit event in the account's transaction.

mod admin;
pub mod cli;
mod login;

pub use admin::{AccountChange, change, create_by_admin, list, require_admin};
pub use login::{
    LiveSession, LoginAttempt, OpenSession, client_address, csrf_matches, login, logout, resume,
};

use crate::audit::{self, Actor, Target};
use crate::auth::password;
use crate::db::{self, WriteTransaction, users::UserRecord};
use crate::domain::account::{self, Email, Role};
use crate::error::{AppError, AppResult, Code};

/// An account to create, as its creator typed it.
pub struct NewAccount {
    pub email: String,
    pub password: String,
    pub roles: Vec<Role>,
}

/// Check, hash and store the account with its `user.created` audit event; a taken email is
/// `409 email_taken`.
pub async fn create(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    account: NewAccount,
    request_id: Option<&str>,
) -> AppResult<UserRecord> {
    let email = parse_email(&account.email)?;
    check_password(&account.password)?;
    let roles = distinct_roles(&account.roles)?;
    let hash = password::hash(account.password)
        .await
        .map_err(AppError::internal)?;
    insert(db, &email, hash, &roles, actor, request_id).await
}

pub fn parse_email(text: &str) -> AppResult<Email> {
    Email::parse(text).map_err(|why| AppError::unprocessable(Code::InvalidEmail, why))
}

pub fn check_password(text: &str) -> AppResult<()> {
    account::check_password(text).map_err(|why| AppError::unprocessable(Code::WeakPassword, why))
}

/// The roles as a set (first mention kept); none at all is `422 no_roles`.
pub fn distinct_roles(roles: &[Role]) -> AppResult<Vec<Role>> {
    let mut out: Vec<Role> = Vec::new();
    for role in roles {
        if !out.contains(role) {
            out.push(*role);
        }
    }
    if out.is_empty() {
        return Err(AppError::unprocessable(
            Code::NoRoles,
            "an account needs at least one role",
        ));
    }
    Ok(out)
}

/// Store the account and audit it, in one transaction; a taken email is 409.
async fn insert(
    db: &sea_orm::DatabaseConnection,
    email: &Email,
    password_hash: String,
    roles: &[Role],
    actor: &Actor,
    request_id: Option<&str>,
) -> AppResult<UserRecord> {
    let (email, roles, actor, request_id) = (
        email.clone(),
        roles.to_vec(),
        actor.clone(),
        request_id.map(str::to_owned),
    );
    db.write_transaction::<_, UserRecord, AppError>(|txn| {
        Box::pin(async move {
            let user = match db::users::create(txn, &email, password_hash, &roles, db::now()).await
            {
                Ok(user) => user,
                Err(err) if db::is_unique_violation(&err) => {
                    return Err(AppError::conflict(
                        Code::EmailTaken,
                        "an account with this email already exists",
                    ));
                }
                Err(err) => return Err(err.into()),
            };
            let detail = serde_json::json!({ "roles": user.roles });
            audit::record(
                txn,
                &actor,
                "user.created",
                Target::user(user.id),
                request_id.as_deref(),
                detail,
            )
            .await?;
            Ok(user)
        })
    })
    .await
}
