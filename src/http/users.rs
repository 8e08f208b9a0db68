//! `/api/v1/users[/{id}]`: admins create studio accounts (and customers), list accounts,
//! change roles and disable or re-enable accounts. Every change is audited; disabling ends the
//! person's sessions at once. An admin cannot disable themself or drop their own admin role,
//! so a studio can never lock itself out by accident.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::auth::Me;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::paging::{decode_cursor, encode_cursor};
use super::session::Caller;
use crate::accounts;
use crate::db::users::UserRecord;
use crate::domain::account::Role;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user, list_users))
        .routes(routes!(update_user))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// A mail address of at most 254 characters as sent (surrounding blanks are dropped; stored
    /// in lower case).
    #[schema(
        max_length = 254,
        pattern = r"^\s*[^@\s\x00-\x1f\x7f-\x9f]+@[^@\s\x00-\x1f\x7f-\x9f.]([^@\s\x00-\x1f\x7f-\x9f]*[^@\s\x00-\x1f\x7f-\x9f.])?\.[^@\s\x00-\x1f\x7f-\x9f]*[^@\s\x00-\x1f\x7f-\x9f.]\s*$"
    )]
    pub email: String,
    /// 8 to 128 characters, not one of the most common passwords.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[schema(min_items = 1)]
    pub roles: Vec<Role>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// The complete new set of roles (at least one).
    #[schema(min_items = 1)]
    pub roles: Option<Vec<Role>>,
    pub disabled: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    #[serde(flatten)]
    pub account: Me,
    pub disabled: bool,
}

impl From<&UserRecord> for UserView {
    fn from(u: &UserRecord) -> Self {
        Self {
            account: Me::from(u),
            disabled: u.disabled,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// An opaque cursor: the `next` of the previous page (22 URL-safe base64 characters).
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub after: Option<String>,
    /// Page size, 1–200 (default 50); anything else is refused with 422 `invalid_limit`.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub next: Option<String>,
}

/// Create an account with the given roles (admins only).
#[utoipa::path(
    post, path = "/api/v1/users", tag = "users",
    request_body = NewUser,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 409, description = "Email taken", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "invalid_email, weak_password, no_roles, invalid_body", body = Problem),
    )
)]
async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewUser>,
) -> AppResult<(StatusCode, Json<UserView>)> {
    let account = accounts::NewAccount {
        email: req.email,
        password: req.password,
        roles: req.roles,
    };
    let user = accounts::create_by_admin(&state.db, &caller.acting(), account).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

/// List accounts (admins only), oldest first.
#[utoipa::path(
    get, path = "/api/v1/users", tag = "users",
    params(UserListParams),
    responses(
        (status = 200, description = "One page of accounts", body = UserPage),
        (status = 400, description = "Malformed cursor", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
    )
)]
async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<UserListParams>,
) -> AppResult<Json<UserPage>> {
    let limit = u64::from(super::paging::limit(p.limit, 50, 200)?);
    let after = p.after.as_deref().map(decode_cursor).transpose()?;
    let mut users = accounts::list(&state.db, &caller.acting(), after, limit + 1).await?;
    let next = if users.len() as u64 > limit {
        users.truncate(limit as usize);
        users.last().map(|u| encode_cursor(u.id))
    } else {
        None
    };
    Ok(Json(UserPage {
        items: users.iter().map(UserView::from).collect(),
        next,
    }))
}

/// Change an account's roles, or disable / re-enable it (admins only).
#[utoipa::path(
    patch, path = "/api/v1/users/{id}", tag = "users",
    request_body = UserChange,
    params(("id" = Uuid, Path, description = "Account id")),
    responses(
        (status = 200, description = "Changed", body = UserView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such account", body = Problem),
        (status = 409, description = "An admin cannot disable themself or drop their own admin role", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "no_roles, invalid_body", body = Problem),
    )
)]
async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(change): ApiJson<UserChange>,
) -> AppResult<Json<UserView>> {
    let change = accounts::AccountChange {
        roles: change.roles,
        disabled: change.disabled,
    };
    let updated = accounts::change(&state.db, &caller.acting(), id, change).await?;
    Ok(Json(UserView::from(&updated)))
}
