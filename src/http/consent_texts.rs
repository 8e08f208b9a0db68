//! `/api/v1/consent-texts`: the texts people consent to. Anyone may read the current versions
//! (a relative invited to consent has no account yet); admins publish new versions, which are
//! immutable and identified by the SHA-256 of their exact body. A fresh install has Keepsake's
//! default texts (version 1, CN, every party, zh-CN and en — see migration
//! `m20261203_000032_default_consent_texts`), marked in `notes` as a starting point for the
//! studio's lawyer; the first version an admin publishes becomes the current one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::session::Caller;
use crate::consents;
use crate::db::consent_texts::ConsentTextRow;
use crate::domain::consent::ConsentParty;
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_current, publish))
        .routes(routes!(get_text))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentText {
    pub id: Uuid,
    pub jurisdiction: String,
    pub party: ConsentParty,
    pub language: String,
    pub version: i32,
    pub body: String,
    /// SHA-256 (hex) of `body`'s exact UTF-8 bytes: what a consent record cites.
    pub sha256: String,
    pub published_at: DateTime<Utc>,
    /// About the text, not part of what is signed. Keepsake's default texts (applied by the
    /// migrations, so a fresh install can take consents) say here that they are a starting
    /// point for the studio's lawyer to review; a version an admin publishes supersedes them.
    pub notes: Option<String>,
    /// Shipped with Keepsake rather than published by the studio.
    pub default_text: bool,
}

impl TryFrom<ConsentTextRow> for ConsentText {
    type Error = AppError;
    fn try_from(row: ConsentTextRow) -> AppResult<Self> {
        Ok(Self {
            id: row.id,
            party: row.party,
            jurisdiction: row.jurisdiction,
            language: row.language,
            version: row.version,
            body: row.body,
            sha256: row.sha256,
            published_at: row.published_at,
            notes: row.notes,
            default_text: row.published_by.is_nil(),
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConsentText {
    /// ISO 3166-1 alpha-2, e.g. `CN`.
    #[schema(pattern = "^[A-Z]{2}$")]
    pub jurisdiction: String,
    pub party: ConsentParty,
    /// e.g. `zh-CN`, `en`
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9-]{1,34}$")]
    pub language: String,
    /// 1 to 20 000 characters once surrounding blanks are dropped.
    #[schema(min_length = 1, max_length = 20000, pattern = r"\S")]
    pub body: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TextParams {
    pub jurisdiction: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentTextList {
    pub items: Vec<ConsentText>,
}

/// The current version of every consent text (public).
#[utoipa::path(
    get, path = "/api/v1/consent-texts", tag = "consent", security(()),
    params(TextParams),
    responses(
        (status = 200, description = "Current versions", body = ConsentTextList),
        (status = 400, description = "Malformed filter", body = Problem),
    )
)]
async fn list_current(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<TextParams>,
) -> AppResult<Json<ConsentTextList>> {
    let rows = consents::current_texts(&state.db, p.jurisdiction.as_deref()).await?;
    let items = rows
        .into_iter()
        .map(ConsentText::try_from)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Json(ConsentTextList { items }))
}

/// One version, current or not (public): what a receipt or record points at.
#[utoipa::path(
    get, path = "/api/v1/consent-texts/{id}", tag = "consent", security(()),
    params(("id" = Uuid, Path, description = "Text version id")),
    responses(
        (status = 200, description = "The text", body = ConsentText),
        (status = 404, description = "No such text", body = Problem),
    )
)]
async fn get_text(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<ConsentText>> {
    let row = consents::text(&state.db, id).await?;
    Ok(Json(ConsentText::try_from(row)?))
}

/// Publish a new version (admins only); earlier versions stay as they were.
#[utoipa::path(
    post, path = "/api/v1/consent-texts", tag = "consent",
    request_body = NewConsentText,
    responses(
        (status = 201, description = "Published", body = ConsentText),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 409, description = "Another version was published at the same moment; retry", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "invalid_consent_text, invalid_body", body = Problem),
    )
)]
async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewConsentText>,
) -> AppResult<(StatusCode, Json<ConsentText>)> {
    let text = consents::NewText {
        jurisdiction: req.jurisdiction,
        party: req.party,
        language: req.language,
        body: req.body,
    };
    let published = consents::publish_text(&state.db, &caller.acting(), text).await?;
    Ok((StatusCode::CREATED, Json(ConsentText::try_from(published)?)))
}
