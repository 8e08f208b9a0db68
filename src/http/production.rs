//! Production: the stage bookkeeping behind the `start_production`, `advance`, `hold`, `resume`
//! and `sign_off_quality` actions, and the routes staff work with — assign, internal notes, the
//! production view of an order, and the stage templates admins publish.

use crate::db::WriteTransaction;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, IfMatch, RequestId};
use super::orders::{
    ActionBody, OrderView, SideWork, apply_change, check_version, load_order, order_response,
    required_text,
};
use super::session::{Caller, refuse};
use crate::audit::{self, Target};
use crate::db::{self, orders::OrderChange, orders::OrderRecord};
use crate::domain::account::Role;
use crate::domain::order::{DeliveryMode, OrderAction, OrderStatus, advance_stage};
use crate::domain::production::{self, StageSpec};
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(assign_order))
        .routes(routes!(add_note, list_notes))
        .routes(routes!(production_view))
        .routes(routes!(list_templates, publish_template))
}

/// The production side of an action: checks it, completes `change` and `detail`, and names the
/// stage bookkeeping to commit with it. Every production change asks the SLA sweeper to look at
/// the order again at once.
pub(crate) async fn plan(
    state: &AppState,
    caller: &Caller,
    order: &OrderRecord,
    action: OrderAction,
    body: Option<&ActionBody>,
    change: &mut OrderChange,
    detail: &mut serde_json::Value,
) -> AppResult<SideWork> {
    let now = change.now;
    let side = match action {
        OrderAction::StartProduction => {
            let template = db::production::current_template(&state.db, order.delivery_mode)
                .await?
                .ok_or_else(|| AppError::internal("no stage template for this mode"))?;
            change.production.template_id = Some(template.id);
            change.production.stage_index = Some(0);
            change.production.assignee_id = order.production.assignee_id.or(Some(caller.user.id));
            change.production.current_stage = template.stages.first().map(|s| s.name.clone());
            detail["template_version"] = template.version.into();
            detail["stage"] = template.stages.first().map(|s| s.name.clone()).into();
            SideWork::StartStages(template.stages)
        }
        OrderAction::Advance => {
            let named = required_text(body.and_then(|b| b.stage.as_deref()), "stage", "advancing")?;
            let stages = db::production::stages_of(&state.db, order.id).await?;
            let position = order.production.stage_index.unwrap_or(0);
            let current = stages
                .iter()
                .find(|s| s.position == position)
                .ok_or_else(|| AppError::internal("the order's current stage is missing"))?;
            if current.name != named {
                return Err(AppError::conflict(
                    "stage_mismatch",
                    format!(
                        "the current stage is {}; stages are completed in order",
                        current.name
                    ),
                ));
            }
            detail["stage"] = current.name.clone().into();
            match advance_stage(position, stages.len()) {
                Some(next) => {
                    change.production.stage_index = Some(next);
                    change.production.current_stage = stages
                        .iter()
                        .find(|s| s.position == next)
                        .map(|s| s.name.clone());
                    detail["next_stage"] = stages
                        .iter()
                        .find(|s| s.position == next)
                        .map(|s| s.name.clone())
                        .into();
                }
                None => {
                    change.status = OrderStatus::QualityCheck;
                    change.production.current_stage = None;
                }
            }
            detail["to"] = serde_json::to_value(change.status).map_err(AppError::internal)?;
            SideWork::CompleteStage(position)
        }
        OrderAction::Hold if order.status.under_sla(None) => {
            change.production.held_at = Some(now);
            SideWork::None
        }
        OrderAction::Resume => match (order.production.held_at, order.production.stage_index) {
            (Some(since), Some(position))
                if order.resume_status == Some(OrderStatus::InProduction) =>
            {
                change.production.held_at = None;
                let held = now - since;
                detail["held_secs"] = held.num_seconds().into();
                SideWork::ExtendStage(position, held)
            }
            _ => {
                change.production.held_at = None;
                SideWork::None
            }
        },
        OrderAction::SignOffQuality => {
            if order.production.qc_signed_off_at.is_some() {
                return Err(AppError::conflict(
                    "already_signed_off",
                    "quality was already signed off",
                ));
            }
            change.production.qc_signed_off_at = Some(now);
            change.production.qc_signed_off_by = Some(caller.user.id);
            SideWork::None
        }
        OrderAction::Deliver => {
            let checked = crate::delivery::check_gate(state, order).await?;
            change.delivered_at = Some(now);
            detail["deliverables"] = checked.len().into();
            SideWork::LabelsChecked(checked)
        }
        _ => SideWork::None,
    };
    if change.status.under_sla(change.resume_status) {
        change.production.sla_next_check_at = Some(now);
    }
    Ok(side)
}

async fn require(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    allowed: bool,
    code: &'static str,
    detail: &str,
) -> AppResult<()> {
    if allowed {
        return Ok(());
    }
    let refusal = AppError::Forbidden {
        code,
        detail: detail.into(),
    };
    Err(refuse(state, caller, Target::order(id), refusal).await)
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
    request_id: RequestId,
    ApiJson(req): ApiJson<AssignRequest>,
) -> AppResult<Response> {
    let expected = if_match.required()?;
    let order = load_order(&state, &caller, id).await?;
    let staff = caller.user.has(Role::Staff) || caller.user.has(Role::Admin);
    require(
        &state,
        &caller,
        id,
        staff,
        "staff_only",
        "only studio staff assign jobs",
    )
    .await?;
    check_version(&order, expected)?;
    if !order.status.under_sla(order.resume_status) {
        return Err(AppError::conflict(
            "not_in_production",
            format!(
                "jobs are assigned once an order is queued; this one is {}",
                order.status
            ),
        ));
    }
    if let Some(assignee) = req.assignee_id {
        let user = db::users::find(&state.db, assignee).await?;
        if !user.is_some_and(|u| u.has(Role::Staff) && !u.disabled) {
            return Err(AppError::unprocessable(
                "not_staff",
                "the assignee must be an active staff account",
            ));
        }
    }
    let now = db::now();
    let mut change = order.unchanged(now);
    change.production.assignee_id = req.assignee_id;
    let detail = serde_json::json!({ "assignee_id": req.assignee_id, "previous": order.production.assignee_id });
    let updated = apply_change(
        &state,
        &caller,
        &order,
        expected,
        change,
        "order.assigned",
        detail,
        request_id.as_deref(),
    )
    .await?;
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

const MAX_NOTE_CHARS: usize = 4000;

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
    request_id: RequestId,
    ApiJson(req): ApiJson<NewNote>,
) -> AppResult<Response> {
    let order = load_order(&state, &caller, id).await?;
    require(
        &state,
        &caller,
        id,
        caller.who().is_studio(),
        "studio_only",
        "notes are the studio's",
    )
    .await?;
    // Counted as sent (the document's maxLength); kept without its surrounding blanks.
    let body = req.body.trim().to_owned();
    if body.is_empty() || req.body.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::unprocessable(
            "invalid_note",
            format!("a note is 1 to {MAX_NOTE_CHARS} characters"),
        ));
    }
    let (actor, author, request_id, order_id) =
        (caller.actor(), caller.user.id, request_id.0, order.id);
    let note = state
        .db
        .write_transaction::<_, db::production::NoteRow, AppError>(|txn| {
            Box::pin(async move {
                let note = db::production::add_note(txn, order_id, author, body, db::now()).await?;
                audit::record(
                    txn,
                    &actor,
                    "order.note_added",
                    Target::order(order_id),
                    request_id.as_deref(),
                    serde_json::json!({ "note_id": note.id }),
                )
                .await?;
                Ok(note)
            })
        })
        .await?;
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
    let order = load_order(&state, &caller, id).await?;
    require(
        &state,
        &caller,
        id,
        caller.who().is_studio(),
        "studio_only",
        "notes are the studio's",
    )
    .await?;
    let notes = db::production::notes_of(&state.db, order.id).await?;
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
    let order = load_order(&state, &caller, id).await?;
    require(
        &state,
        &caller,
        id,
        caller.who().is_studio(),
        "studio_only",
        "the production view is the studio's",
    )
    .await?;
    let stages = db::production::stages_of(&state.db, order.id).await?;
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
    require(
        &state,
        &caller,
        caller.user.id,
        caller.who().is_studio(),
        "studio_only",
        "stage templates are the studio's",
    )
    .await?;
    let all = db::production::templates(&state.db).await?;
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
    request_id: RequestId,
    ApiJson(req): ApiJson<NewTemplate>,
) -> AppResult<Response> {
    require(
        &state,
        &caller,
        caller.user.id,
        caller.user.has(Role::Admin),
        "admins_only",
        "admins publish stage templates",
    )
    .await?;
    production::validate_template(&req.stages)
        .map_err(|why| AppError::unprocessable("invalid_template", why))?;
    let (actor, by, request_id) = (caller.actor(), caller.user.id, request_id.0);
    let published = state
        .db
        .write_transaction::<_, db::production::Template, AppError>(|txn| {
            Box::pin(async move {
                let template = db::production::publish_template(txn, req.delivery_mode, &req.stages, by, db::now())
                    .await
                    .map_err(|e| {
                        if db::is_unique_violation(&e) {
                            AppError::conflict("version_taken", "another admin published this version first; retry")
                        } else {
                            e.into()
                        }
                    })?;
                let detail = serde_json::json!({ "template_id": template.id, "delivery_mode": template.delivery_mode, "version": template.version });
                audit::record(txn, &actor, "stage_template.published", Target::user(by), request_id.as_deref(), detail).await?;
                Ok(template)
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(TemplateView::from(published))).into_response())
}
