//! Production routes: assign, internal notes, the production view of an order, and the stage
//! templates admins publish (the work itself is [`crate::production`]).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, IfMatch};
use super::orders::{OrderView, order_response};
use super::session::Caller;
use crate::db;
use crate::domain::ids::UserId;
use crate::domain::order::{DeliveryMode, OrderStatus};
use crate::domain::production::StageSpec;
use crate::error::{AppResult, Problem};
use crate::production;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(assign_order))
        .routes(routes!(add_note, list_notes))
        .routes(routes!(production_view))
        .routes(routes!(list_templates, publish_template))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// A staff account (yourself to take the job); `null` to unassign.
    pub assignee_id: Option<Uuid>,
}

/// Take a job or assign it (staff, admins; If-Match).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/assign", tag = "production",
    request_body = AssignRequest,
    params(IfMatch, ("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order with its assignee", body = OrderView),
        (status = 400, description = "Malformed JSON or If-Match", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not staff", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "The order is not queued or in production", body = Problem),
        (status = 412, description = "The order changed since it was read", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "The assignee is not an active staff account", body = Problem),
        (status = 428, description = "If-Match missing", body = Problem),
    )
)]
async fn assign_order(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    if_match: IfMatch,
    ApiJson(req): ApiJson<AssignRequest>,
) -> AppResult<Response> {
    let expected = if_match.required()?;
    let actor = caller.acting();
    let updated =
        production::assign(&state.db, &actor, id, expected, req.assignee_id.map(UserId)).await?;
    Ok(order_response(StatusCode::OK, &updated))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// 1 to 4000 characters, not only blanks (surrounding blanks are dropped).
    #[schema(min_length = 1, max_length = 4000, pattern = r"\S")]
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteView {
    pub id: Uuid,
    pub author_id: Uuid,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl From<db::production::NoteRow> for NoteView {
    fn from(n: db::production::NoteRow) -> Self {
        Self {
            id: n.id,
            author_id: n.author_id,
            body: n.body,
            created_at: n.created_at,
        }
    }
}

/// Leave an internal note (the studio; never shown to customers).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/notes", tag = "production",
    request_body = NewNote,
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 201, description = "The note", body = NoteView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the studio", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "Empty or too long", body = Problem),
    )
)]
async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<NewNote>,
) -> AppResult<Response> {
    // Counted as sent (the document's maxLength); kept without its surrounding blanks.
    let note = production::add_note(&state.db, &caller.acting(), id, &req.body).await?;
    Ok((StatusCode::CREATED, Json(NoteView::from(note))).into_response())
}

/// The order's internal notes, oldest first (the studio).
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/notes", tag = "production",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "Notes", body = Vec<NoteView>),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the studio", body = Problem),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn list_notes(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<NoteView>>> {
    let notes = production::notes(&state.db, &caller.acting(), id).await?;
    Ok(Json(notes.into_iter().map(NoteView::from).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StageView {
    pub name: String,
    pub target_hours: i32,
    pub started_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductionView {
    pub status: OrderStatus,
    pub assignee_id: Option<Uuid>,
    pub template_id: Option<Uuid>,
    pub current_stage: Option<String>,
    pub stages: Vec<StageView>,
    pub at_risk: bool,
    pub overdue: bool,
    pub due_at: Option<DateTime<Utc>>,
    pub promised_at: Option<DateTime<Utc>>,
    pub held_since: Option<DateTime<Utc>>,
    pub qc_signed_off_at: Option<DateTime<Utc>>,
    pub qc_signed_off_by: Option<Uuid>,
}

/// The order's production: stages with their due times, the SLA flags, who works on it.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/production", tag = "production",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "Production view", body = ProductionView),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the studio", body = Problem),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn production_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<ProductionView>> {
    let (order, stages) = production::stages(&state.db, &caller.acting(), id).await?;
    let p = &order.production;
    Ok(Json(ProductionView {
        status: order.status,
        assignee_id: p.assignee_id,
        template_id: p.template_id,
        current_stage: p
            .stage_index
            .and_then(|i| stages.iter().find(|s| s.position == i))
            .filter(|_| order.status != OrderStatus::QualityCheck)
            .map(|s| s.name.clone()),
        stages: stages
            .into_iter()
            .map(|s| StageView {
                name: s.name,
                target_hours: s.target_hours,
                started_at: s.started_at,
                due_at: s.due_at,
                completed_at: s.completed_at,
            })
            .collect(),
        at_risk: p.at_risk,
        overdue: p.overdue,
        due_at: order.due_at,
        promised_at: order.promised_at,
        held_since: p.held_at,
        qc_signed_off_at: p.qc_signed_off_at,
        qc_signed_off_by: p.qc_signed_off_by,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: Uuid,
    pub delivery_mode: DeliveryMode,
    pub version: i32,
    pub stages: Vec<StageSpec>,
    pub total_hours: u32,
    pub published_at: DateTime<Utc>,
}

impl From<db::production::Template> for TemplateView {
    fn from(t: db::production::Template) -> Self {
        Self {
            total_hours: t.stages.iter().map(|s| s.target_hours).sum(),
            id: t.id,
            delivery_mode: t.delivery_mode,
            version: t.version,
            stages: t.stages,
            published_at: t.published_at,
        }
    }
}

/// Every stage template version, newest first per mode (the studio).
#[utoipa::path(
    get, path = "/api/v1/stage-templates", tag = "production",
    responses(
        (status = 200, description = "Templates", body = Vec<TemplateView>),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the studio", body = Problem),
    )
)]
async fn list_templates(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<TemplateView>>> {
    let all = production::templates(&state.db, &caller.acting()).await?;
    Ok(Json(all.into_iter().map(TemplateView::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    pub delivery_mode: DeliveryMode,
    /// 1 to 12 stages with distinct names.
    #[schema(min_items = 1, max_items = 12)]
    pub stages: Vec<StageSpec>,
}

/// Publish a new version of a mode's stages (admins). Orders already in production keep theirs.
#[utoipa::path(
    post, path = "/api/v1/stage-templates", tag = "production",
    request_body = NewTemplate,
    responses(
        (status = 201, description = "The new version", body = TemplateView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Admins only", body = Problem),
        (status = 409, description = "Another admin published the same version first", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "Invalid stages", body = Problem),
    )
)]
async fn publish_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewTemplate>,
) -> AppResult<Response> {
    let actor = caller.acting();
    let published =
        production::publish_template(&state.db, &actor, req.delivery_mode, req.stages).await?;
    Ok((StatusCode::CREATED, Json(TemplateView::from(published))).into_response())
}
