//! human_driven live sessions: staff book a session (time, the actor's consent, participants),
//! log it after the fact (duration, whether the on-screen AI label was shown, notes) or cancel
//! it; a session logged without the label is flagged, and a reviewer who did not work on the
//! order records a review of it with a reason. The order's customer sees their sessions without
//! the studio's notes and review; reviewers walk the studio-wide queue of flagged sessions.
//!
//! Booking takes an `Idempotency-Key` (a retried booking never books twice). Booking and
//! logging take the order's row lock first (`db::order_lock`), so they see a
//! withdrawal that stops the order, and a withdrawal that comes later sees the session.

use crate::db::WriteTransaction;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, IdempotencyKey, RequestId};
use super::idempotent::{Once, answer_body, create_once};
use super::paging::{decode_cursor, encode_cursor};
use super::session::{Caller, refuse};
use crate::audit::{self, Target};
use crate::db::{self, live_sessions::SessionRow, orders::OrderRecord};
use crate::domain::account::Role;
use crate::domain::live_session::{self, Participant, SessionStatus};
use crate::error::{AppError, AppResult, Problem};
use crate::orders;
use crate::outbox::{self, Audience};
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
        let status = SessionStatus::parse(&row.status)
            .ok_or_else(|| AppError::internal("stored session has an unknown status"))?;
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

fn refused(r: live_session::Refusal) -> AppError {
    AppError::conflict(r.code, r.reason)
}

fn invalid(r: live_session::Refusal) -> AppError {
    AppError::unprocessable(r.code, r.reason)
}

/// The order, if the caller is studio staff (or an admin).
async fn load_for_staff(state: &AppState, caller: &Caller, id: Uuid) -> AppResult<OrderRecord> {
    let order = orders::load(&state.db, &caller.acting(), id).await?;
    if caller.user.has(Role::Staff) || caller.user.has(Role::Admin) {
        return Ok(order);
    }
    let refusal = AppError::Forbidden {
        code: "staff_only",
        detail: "only studio staff book and log live sessions".into(),
    };
    Err(refuse(state, caller, Target::order(id), refusal).await)
}

fn session_not_found() -> AppError {
    AppError::not_found("session_not_found", "no such live session on this order")
}

fn actor_consent_missing() -> AppError {
    AppError::conflict(
        "actor_consent_missing",
        "name the actor by their consent on this order: given, not withdrawn, granting the face for the live call",
    )
}

/// Is `consent_id` a usable actor consent of `order_id`? Read with `conn` (the transaction).
async fn actor_consent_ok(
    conn: &impl sea_orm::ConnectionTrait,
    order_id: Uuid,
    consent_id: Uuid,
) -> AppResult<bool> {
    let Some(row) = db::consents::find(conn, consent_id).await? else {
        return Ok(false);
    };
    if row.order_id != order_id {
        return Ok(false);
    }
    Ok(live_session::actor_consent_usable(&db::consents::facts(
        &row,
    )?))
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
    request_id: RequestId,
    ApiJson(req): ApiJson<NewSession>,
) -> AppResult<Response> {
    let order = load_for_staff(&state, &caller, id).await?;
    let now = db::now();
    let participants =
        live_session::validate_booking(req.scheduled_at, req.participants.clone(), now)
            .map_err(invalid)?;
    live_session::schedulable(order.delivery_mode, order.status).map_err(refused)?;
    let owner = format!("live-sessions:{}", caller.user.id);
    let new = db::live_sessions::NewSession {
        order_id: order.id,
        scheduled_at: db::truncate_to_micros(req.scheduled_at),
        actor_consent_id: req.actor_consent_id,
        participants,
        scheduled_by: caller.user.id,
        now,
    };
    let (actor, request_id) = (caller.actor(), request_id.0);
    let booked = create_once(&state, &owner, &key, &(order.id, &req), move |txn| {
            Box::pin(async move {
                let order_id = new.order_id;
                if !db::order_lock::lock(txn, order_id).await? {
                    return Err(AppError::not_found("order_not_found", "no such order"));
                }
                let order = db::orders::find(txn, order_id)
                    .await?
                    .ok_or_else(|| AppError::not_found("order_not_found", "no such order"))?;
                live_session::schedulable(order.delivery_mode, order.status).map_err(refused)?;
                if !actor_consent_ok(txn, order_id, new.actor_consent_id).await? {
                    return Err(actor_consent_missing());
                }
                let participants = new.participants.len();
                let row = db::live_sessions::insert(txn, new).await?;
                let detail = serde_json::json!({
                    "session_id": row.id,
                    "scheduled_at": row.scheduled_at,
                    "actor_consent_id": row.actor_consent_id,
                    "participants": participants,
                });
                audit::record(txn, &actor, "live_session.scheduled", Target::order(order_id), request_id.as_deref(), detail).await?;
                let message = serde_json::json!({ "reference": order.reference, "session_id": row.id, "scheduled_at": row.scheduled_at });
                outbox::enqueue(txn, "live_session.scheduled", Some(order_id), Audience::Customer, message).await?;
                let view = SessionView::new(row, true)?;
                let body = answer_body(&view)?;
                Ok((view, body))
            })
        })
        .await?;
    match booked {
        Once::Created(view) => Ok((StatusCode::CREATED, Json(view)).into_response()),
        Once::Replayed(answer) => Ok(answer),
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
    let order = orders::load(&state.db, &caller.acting(), id).await?;
    let studio = caller.who().is_studio();
    let rows = db::live_sessions::for_order(&state.db, order.id).await?;
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

/// Why a session that is no longer `scheduled` cannot change.
fn not_scheduled(row: &SessionRow) -> AppError {
    match SessionStatus::parse(&row.status) {
        Some(SessionStatus::Cancelled) => {
            AppError::conflict("session_cancelled", "this session was cancelled")
        }
        _ => AppError::conflict("already_logged", "this session was already logged"),
    }
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
    ApiPath((id, sid)): ApiPath<(Uuid, Uuid)>,
    request_id: RequestId,
    ApiJson(req): ApiJson<SessionLogRequest>,
) -> AppResult<Json<SessionView>> {
    let order = load_for_staff(&state, &caller, id).await?;
    db::live_sessions::find(&state.db, order.id, sid)
        .await?
        .ok_or_else(session_not_found)?;
    let log = live_session::validate_log(req.duration_minutes, req.ai_label_shown, req.notes)
        .map_err(invalid)?;
    let (actor, by, request_id, order_id) =
        (caller.actor(), caller.user.id, request_id.0, order.id);
    let row = state
        .db
        .write_transaction::<_, SessionRow, AppError>(|txn| {
            Box::pin(async move {
                if !db::order_lock::lock(txn, order_id).await? {
                    return Err(AppError::not_found("order_not_found", "no such order"));
                }
                let order = db::orders::find(txn, order_id)
                    .await?
                    .ok_or_else(|| AppError::not_found("order_not_found", "no such order"))?;
                let session = db::live_sessions::find(txn, order_id, sid)
                    .await?
                    .ok_or_else(session_not_found)?;
                if session.status != SessionStatus::Scheduled.as_str() {
                    return Err(not_scheduled(&session));
                }
                live_session::loggable(order.status).map_err(refused)?;
                if !actor_consent_ok(txn, order_id, session.actor_consent_id).await? {
                    return Err(AppError::conflict(
                        "actor_consent_withdrawn",
                        "the actor's consent is no longer in force: this session cannot be logged as held",
                    ));
                }
                let now = db::now();
                if !db::live_sessions::log(txn, sid, &log, by, now).await? {
                    return Err(AppError::conflict("already_logged", "this session was already logged"));
                }
                let flagged = log.flagged();
                let detail = serde_json::json!({
                    "session_id": sid,
                    "duration_minutes": log.duration_minutes,
                    "ai_label_shown": log.ai_label_shown,
                    "flagged_for_review": flagged,
                });
                audit::record(txn, &actor, "live_session.logged", Target::order(order_id), request_id.as_deref(), detail).await?;
                if flagged {
                    let detail = serde_json::json!({ "session_id": sid, "why": "ai_label_not_shown" });
                    audit::record(txn, &actor, "live_session.flagged", Target::order(order_id), request_id.as_deref(), detail).await?;
                    let message = serde_json::json!({ "reference": order.reference, "session_id": sid, "why": "ai_label_not_shown" });
                    outbox::enqueue(txn, "live_session.flagged", Some(order_id), Audience::Staff, message).await?;
                }
                db::live_sessions::find(txn, order_id, sid)
                    .await?
                    .ok_or_else(session_not_found)
            })
        })
        .await?;
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
    ApiPath((id, sid)): ApiPath<(Uuid, Uuid)>,
    request_id: RequestId,
    ApiJson(req): ApiJson<CancelRequest>,
) -> AppResult<Json<SessionView>> {
    let order = load_for_staff(&state, &caller, id).await?;
    db::live_sessions::find(&state.db, order.id, sid)
        .await?
        .ok_or_else(session_not_found)?;
    let reason = orders::required_text(req.reason.as_deref(), "reason", "cancelling a session")?;
    let (actor, by, request_id, order_id, reference) = (
        caller.actor(),
        caller.user.id,
        request_id.0,
        order.id,
        order.reference.clone(),
    );
    let row = state
        .db
        .write_transaction::<_, SessionRow, AppError>(|txn| {
            Box::pin(async move {
                if !db::live_sessions::cancel(txn, sid, &reason, by, db::now()).await? {
                    let session = db::live_sessions::find(txn, order_id, sid)
                        .await?
                        .ok_or_else(session_not_found)?;
                    return Err(not_scheduled(&session));
                }
                let row = db::live_sessions::find(txn, order_id, sid)
                    .await?
                    .ok_or_else(session_not_found)?;
                let detail = serde_json::json!({ "session_id": sid, "scheduled_at": row.scheduled_at });
                audit::record(txn, &actor, "live_session.cancelled", Target::order(order_id), request_id.as_deref(), detail).await?;
                let message = serde_json::json!({ "reference": reference, "session_id": sid, "scheduled_at": row.scheduled_at });
                outbox::enqueue(txn, "live_session.cancelled", Some(order_id), Audience::Customer, message).await?;
                Ok(row)
            })
        })
        .await?;
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
    ApiPath((id, sid)): ApiPath<(Uuid, Uuid)>,
    request_id: RequestId,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> AppResult<Json<SessionView>> {
    let order = orders::load_for_review(&state.db, &caller.acting(), id).await?;
    let session = db::live_sessions::find(&state.db, order.id, sid)
        .await?
        .ok_or_else(session_not_found)?;
    let reason = orders::required_text(req.reason.as_deref(), "reason", "a review")?;
    if !session.flagged_for_review {
        return Err(AppError::conflict(
            "not_flagged",
            "only a session flagged for review is reviewed",
        ));
    }
    let (actor, by, request_id, order_id) =
        (caller.actor(), caller.user.id, request_id.0, order.id);
    let row = state
        .db
        .write_transaction::<_, SessionRow, AppError>(|txn| {
            Box::pin(async move {
                if !db::live_sessions::review(txn, sid, &reason, by, db::now()).await? {
                    return Err(AppError::conflict(
                        "already_reviewed",
                        "this session was already reviewed",
                    ));
                }
                let detail = serde_json::json!({ "session_id": sid });
                audit::record(
                    txn,
                    &actor,
                    "live_session.reviewed",
                    Target::order(order_id),
                    request_id.as_deref(),
                    detail,
                )
                .await?;
                db::live_sessions::find(txn, order_id, sid)
                    .await?
                    .ok_or_else(session_not_found)
            })
        })
        .await?;
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
    if !caller.who().is_studio() {
        let refusal = AppError::Forbidden {
            code: "studio_only",
            detail: "the studio's list of live sessions is the studio's".into(),
        };
        return Err(refuse(&state, &caller, Target::user(caller.user.id), refusal).await);
    }
    let limit = super::paging::limit(params.limit, DEFAULT_PAGE, MAX_PAGE)?;
    let after = params.after.as_deref().map(decode_cursor).transpose()?;
    let fetch = u64::from(limit) + 1;
    let mut rows = if params.flagged == Some(true) {
        db::live_sessions::awaiting_review(&state.db, after, fetch).await?
    } else {
        db::live_sessions::all(&state.db, after, fetch).await?
    };
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
