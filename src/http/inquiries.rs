//! `GET /api/v1/inquiries`: what people left on the landing page for the studio to answer,
//! newest first and keyset-paginated (the studio only). Each is also mailed to the studio's
//! address; this list is where it is read when no mail is configured, and where the desk
//! finds it later.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::ApiQuery;
use super::paging::{decode_cursor, encode_cursor};
use super::session::Caller;
use crate::db::inquiries::InquiryRow;
use crate::error::{AppResult, Problem};
use crate::inquiries;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_inquiries))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InquiryParams {
    /// An opaque cursor: the `next` of the previous page (22 URL-safe base64 characters).
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub after: Option<String>,
    /// Page size, 1–100 (default 50); anything else is refused with 422 `invalid_limit`.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InquiryItem {
    pub id: Uuid,
    /// Blank once retention forgot it.
    pub name: String,
    /// An email address, a phone number or a WeChat ID, as the sender typed it.
    pub contact: String,
    /// The language to answer in: `zh-CN` or `en`.
    pub language: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
    /// When retention blanked the name, contact and words.
    pub forgotten_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InquiryPage {
    pub items: Vec<InquiryItem>,
    pub next: Option<String>,
}

fn item(row: InquiryRow) -> InquiryItem {
    InquiryItem {
        id: row.id,
        name: row.name,
        contact: row.contact,
        language: row.language,
        message: row.message,
        created_at: row.created_at,
        forgotten_at: row.forgotten_at,
    }
}

/// The landing page's inquiries (staff, reviewers and admins).
#[utoipa::path(
    get, path = "/api/v1/inquiries", tag = "production",
    params(InquiryParams),
    responses(
        (status = 200, description = "One page of inquiries, newest first", body = InquiryPage),
        (status = 400, description = "Malformed cursor", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the studio", body = Problem),
        (status = 422, description = "limit out of range", body = Problem),
    )
)]
async fn list_inquiries(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<InquiryParams>,
) -> AppResult<Json<InquiryPage>> {
    let limit = u64::from(super::paging::limit(p.limit, 50, 100)?);
    let before = p.after.as_deref().map(decode_cursor).transpose()?;
    let mut rows = inquiries::page(&state.db, &caller.acting(), before, limit + 1).await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| encode_cursor(r.id))
    } else {
        None
    };
    Ok(Json(InquiryPage {
        items: rows.into_iter().map(item).collect(),
        next,
    }))
}
