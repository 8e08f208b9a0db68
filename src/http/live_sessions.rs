//! human_driven live sessions: staff book a session (time, the actor's consent, participants),
//! log it after the fact (duration, whether the on-screen AI label was shown, notes) or cancel
//! it; a session logged without the label is flagged, and a reviewer who did not work on the
//! order records a review of it with a reason. The order's customer sees their sessions without
//! the studio's notes and review; reviewers walk the studio-wide queue of flagged sessions.
//!
//! Booking takes an `Idempotency-Key` (a retried booking never books twice). The rules and the
//! transactions live in [`crate::live_sessions`]; this module translates.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, IdempotencyKey};
use super::idempotent::{Once, answer_body, create_once, replay};
use super::paging::{decode_cursor, encode_cursor};
use super::session::Caller;
use crate::db::live_sessions::SessionRow;
use crate::domain::ids::OrderId;
use crate::domain::live_session::{Participant, SessionStatus};
use crate::error::{AppError, AppResult, Problem};
use crate::live_sessions;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(schedule_session, list_sessions))
        .routes(routes!(log_session))
        .routes(routes!(cancel_session))
        .routes(routes!(review_session))
        .routes(routes!(studio_sessions))
}

/// A live session. Fields marked "studio" are absent for the customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub status: SessionStatus,
    pub scheduled_at: DateTime<Utc>,
    /// The actor's consent on the order.
    pub actor_consent_id: Uuid,
    pub participants: Vec<Participant>,
    pub duration_minutes: Option<i32>,
    pub ai_label_shown: Option<bool>,
    pub logged_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Studio: the log's notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Studio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_by: Option<Uuid>,
    /// Studio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logged_by: Option<Uuid>,
    /// Studio: the AI label was not shown, so a reviewer must look at it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flagged_for_review: Option<bool>,
    /// Studio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<Uuid>,
    /// Studio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Studio: the reviewer's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_note: Option<String>,
}

impl SessionView {
    fn new(row: SessionRow, for_studio: bool) -> AppResult<Self> {
        let status = row.status;
        let participants = serde_json::from_value(row.participants)
            .map_err(|_| AppError::internal("stored session has unreadable participants"))?;
        let studio = |v| if for_studio { v } else { None };
        Ok(Self {
            id: row.id,
            order_id: row.order_id,
            status,
            scheduled_at: row.scheduled_at,
            actor_consent_id: row.actor_consent_id,
            participants,
            duration_minutes: row.duration_minutes,
            ai_label_shown: row.ai_label_shown,
            logged_at: row.logged_at,
            cancelled_at: row.cancelled_at,
            cancel_reason: row.cancel_reason,
            created_at: row.created_at,
            notes: studio(row.notes),
            scheduled_by: for_studio.then_some(row.scheduled_by),
            logged_by: if for_studio { row.logged_by } else { None },
            flagged_for_review: for_studio.then_some(row.flagged_for_review),
            reviewed_by: if for_studio { row.reviewed_by } else { None },
            reviewed_at: if for_studio { row.reviewed_at } else { None },
            review_note: studio(row.review_note),
        })
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    /// In the future (at most a year ahead).
    pub scheduled_at: DateTime<Utc>,
    /// The actor's consent on this order (given, not withdrawn, face for the live call).
    pub actor_consent_id: Uuid,
    /// 1 to 20 people joining the call.
    pub participants: Vec<Participant>,
}

/// Book a live session on a human_driven order (staff, admins).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/live-sessions", tag = "live sessions",
    request_body = NewSession,
    params(IdempotencyKey,
        ("id" = Uuid, Path, description = "Order id"),
    ),
    responses(
        (status = 201, description = "Booked", body = SessionView),
        (status = 400, description = "Missing or malformed Idempotency-Key, malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not staff", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "not_human_driven, order_not_in_production or actor_consent_missing; or the key is still being processed", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "invalid_schedule or invalid_participants, or the key was used for a different request", body = Problem),
    )
)]
async fn schedule_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(req): ApiJson<NewSession>,
) -> AppResult<Response> {
    let actor = caller.acting();
    let booking = live_sessions::BookSession {
        scheduled_at: req.scheduled_at,
        actor_consent_id: req.actor_consent_id,
        participants: req.participants.clone(),
    };
    let prepared = live_sessions::prepare(&state.db, &actor, id, booking).await?;
    let owner = format!("live-sessions:{}", caller.user.id);
    let booked = create_once(&state, &owner, &key, &(id, &req), move |txn| {
        Box::pin(async move {
            let row = live_sessions::store(txn, &actor, prepared).await?;
            let view = SessionView::new(row, true)?;
            let body = answer_body(&view)?;
            Ok((view, body))
        })
    })
    .await?;
    match booked {
        Once::Created(view) => Ok((StatusCode::CREATED, Json(view)).into_response()),
        Once::Replayed { status, body } => Ok(replay(status, body)),
    }
}

/// The order's live sessions by time (the order's customer, without the studio's notes and
/// review; the studio in full).
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/live-sessions", tag = "live sessions",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "Sessions", body = Vec<SessionView>),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn list_sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<SessionView>>> {
    let rows = live_sessions::for_order(&state.db, &caller.acting(), id).await?;
    let studio = caller.who().is_studio();
    Ok(Json(
        rows.into_iter()
            .map(|r| SessionView::new(r, studio))
            .collect::<AppResult<_>>()?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionLogRequest {
    /// 1 to 480.
    pub duration_minutes: Option<i64>,
    /// Required: was the on-screen AI-generated-content label shown? `false` flags the session.
    pub ai_label_shown: Option<bool>,
    /// The studio's notes (never shown to the customer; at most 4000 characters).
    pub notes: Option<String>,
}

/// Log a session after the fact (staff, admins; once).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/live-sessions/{sid}/log", tag = "live sessions",
    request_body = SessionLogRequest,
    params(("id" = Uuid, Path, description = "Order id"), ("sid" = Uuid, Path, description = "Session id")),
    responses(
        (status = 200, description = "Logged (flagged for review when the label was not shown)", body = SessionView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not staff", body = Problem),
        (status = 404, description = "No such order or session", body = Problem),
        (status = 409, description = "already_logged, session_cancelled, order_stopped or actor_consent_withdrawn", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "invalid_duration, ai_label_shown_required or invalid_notes", body = Problem),
    )
)]
async fn log_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, sid)): ApiPath<(OrderId, Uuid)>,
    ApiJson(req): ApiJson<SessionLogRequest>,
) -> AppResult<Json<SessionView>> {
    let entry = live_sessions::SessionLog {
        duration_minutes: req.duration_minutes,
        ai_label_shown: req.ai_label_shown,
        notes: req.notes,
    };
    let row = live_sessions::log(&state.db, &caller.acting(), id, sid, entry).await?;
    Ok(Json(SessionView::new(row, true)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Why (required; shown to the customer).
    pub reason: Option<String>,
}

/// Cancel a booked session (staff, admins).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/live-sessions/{sid}/cancel", tag = "live sessions",
    request_body = CancelRequest,
    params(("id" = Uuid, Path, description = "Order id"), ("sid" = Uuid, Path, description = "Session id")),
    responses(
        (status = 200, description = "Cancelled", body = SessionView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not staff", body = Problem),
        (status = 404, description = "No such order or session", body = Problem),
        (status = 409, description = "already_logged or session_cancelled", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "reason_required or reason_too_long", body = Problem),
    )
)]
async fn cancel_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, sid)): ApiPath<(OrderId, Uuid)>,
    ApiJson(req): ApiJson<CancelRequest>,
) -> AppResult<Json<SessionView>> {
    let reason = req.reason.as_deref();
    let row = live_sessions::cancel(&state.db, &caller.acting(), id, sid, reason).await?;
    Ok(Json(SessionView::new(row, true)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SessionReviewRequest)]
pub struct ReviewRequest {
    /// What the reviewer found and decided (required).
    pub reason: Option<String>,
}

/// Review a flagged session (reviewers who did not place or work on the order).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/live-sessions/{sid}/review", tag = "live sessions",
    request_body = ReviewRequest,
    params(("id" = Uuid, Path, description = "Order id"), ("sid" = Uuid, Path, description = "Session id")),
    responses(
        (status = 200, description = "Reviewed", body = SessionView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "reviewers_only, or separation_of_duties for a reviewer who worked on the order", body = Problem),
        (status = 404, description = "No such order or session", body = Problem),
        (status = 409, description = "not_flagged or already_reviewed", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "reason_required or reason_too_long", body = Problem),
    )
)]
async fn review_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, sid)): ApiPath<(OrderId, Uuid)>,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> AppResult<Json<SessionView>> {
    let reason = req.reason.as_deref();
    let row = live_sessions::review(&state.db, &caller.acting(), id, sid, reason).await?;
    Ok(Json(SessionView::new(row, true)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StudioListParams {
    /// `true`: only flagged sessions awaiting a reviewer's review (the review queue).
    pub flagged: Option<bool>,
    /// Cursor from the previous page's `next`.
    /// An opaque cursor: the `next` of the previous page (22 URL-safe base64 characters).
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub after: Option<String>,
    /// Page size, 1–100 (default 20); anything else is refused with 422 `invalid_limit`.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionPage {
    pub items: Vec<SessionView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 100;

/// Live sessions across the studio, oldest booking first; `?flagged=true` is the reviewers'
/// queue of flagged sessions not yet reviewed (the studio).
#[utoipa::path(
    get, path = "/api/v1/live-sessions", tag = "live sessions",
    params(StudioListParams),
    responses(
        (status = 200, description = "One page of sessions", body = SessionPage),
        (status = 400, description = "Malformed query or cursor", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the studio", body = Problem),
        (status = 422, description = "limit out of range", body = Problem),
    )
)]
async fn studio_sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<StudioListParams>,
) -> AppResult<Json<SessionPage>> {
    let limit = super::paging::limit(params.limit, DEFAULT_PAGE, MAX_PAGE)?;
    let after = params.after.as_deref().map(decode_cursor).transpose()?;
    let flagged = params.flagged == Some(true);
    let fetch = u64::from(limit) + 1;
    let mut rows =
        live_sessions::studio_list(&state.db, &caller.acting(), flagged, after, fetch).await?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|s| encode_cursor(s.id))
    } else {
        None
    };
    Ok(Json(SessionPage {
        items: rows
            .into_iter()
            .map(|r| SessionView::new(r, true))
            .collect::<AppResult<_>>()?,
        next,
    }))
}
