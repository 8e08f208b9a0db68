//! Stage templates, an order's stages, and internal notes.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entities::order_note::{self, Entity as Notes};
use super::entities::order_stage::{self, Entity as Stages};
use super::entities::stage_template::{self, Entity as Templates};
use crate::domain::order::DeliveryMode;
use crate::domain::production::StageSpec;

pub use order_note::Model as NoteRow;
pub use order_stage::Model as StageRow;

#[derive(Debug, Clone)]
pub struct Template {
    pub id: Uuid,
    pub delivery_mode: DeliveryMode,
    pub version: i32,
    pub stages: Vec<StageSpec>,
    pub published_at: DateTime<Utc>,
}

fn template(m: stage_template::Model) -> Result<Template, DbErr> {
    Ok(Template {
        id: m.id,
        delivery_mode: DeliveryMode::parse(&m.delivery_mode)
            .ok_or_else(|| DbErr::Custom(format!("template {} has an unknown mode", m.id)))?,
        version: m.version,
        stages: serde_json::from_str(&m.stages)
            .map_err(|e| DbErr::Custom(format!("template {} is unreadable: {e}", m.id)))?,
        published_at: m.published_at,
    })
}

/// The newest template of a mode.
pub async fn current_template(
    conn: &impl ConnectionTrait,
    mode: DeliveryMode,
) -> Result<Option<Template>, DbErr> {
    Templates::find()
        .filter(stage_template::Column::DeliveryMode.eq(mode.as_str()))
        .order_by_desc(stage_template::Column::Version)
        .one(conn)
        .await?
        .map(template)
        .transpose()
}

/// Every version of every template, newest first per mode.
pub async fn templates(conn: &impl ConnectionTrait) -> Result<Vec<Template>, DbErr> {
    Templates::find()
        .order_by_asc(stage_template::Column::DeliveryMode)
        .order_by_desc(stage_template::Column::Version)
        .all(conn)
        .await?
        .into_iter()
        .map(template)
        .collect()
}

/// Publish the next version of a mode's template (two publishers racing for one version number
/// hit the unique index).
pub async fn publish_template(
    conn: &impl ConnectionTrait,
    mode: DeliveryMode,
    stages: &[StageSpec],
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Template, DbErr> {
    let version = current_template(conn, mode)
        .await?
        .map_or(1, |t| t.version + 1);
    let text = serde_json::to_string(stages).map_err(|e| DbErr::Custom(e.to_string()))?;
    let row = stage_template::ActiveModel {
        id: Set(Uuid::now_v7()),
        delivery_mode: Set(mode.as_str().to_owned()),
        version: Set(version),
        stages: Set(text),
        published_at: Set(now),
        published_by: Set(Some(by)),
    }
    .insert(conn)
    .await?;
    template(row)
}

/// Copy a template's stages onto an order, the first one started at `now`.
pub async fn create_stages(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    stages: &[StageSpec],
    now: DateTime<Utc>,
) -> Result<Vec<StageRow>, DbErr> {
    let mut rows = Vec::with_capacity(stages.len());
    for (position, spec) in (0..).zip(stages) {
        let first = position == 0;
        let row = order_stage::ActiveModel {
            id: Set(Uuid::now_v7()),
            order_id: Set(order_id),
            position: Set(position),
            name: Set(spec.name.clone()),
            target_hours: Set(i32::try_from(spec.target_hours).unwrap_or(i32::MAX)),
            started_at: Set(first.then_some(now)),
            due_at: Set(first.then(|| now + crate::domain::production::hours(spec.target_hours))),
            completed_at: Set(None),
            completed_by: Set(None),
        }
        .insert(conn)
        .await?;
        rows.push(row);
    }
    Ok(rows)
}

pub async fn stages_of(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<StageRow>, DbErr> {
    Stages::find()
        .filter(order_stage::Column::OrderId.eq(order_id))
        .order_by_asc(order_stage::Column::Position)
        .all(conn)
        .await
}

/// Complete stage `position` (if still open) and start the next one, if any, at `now`.
pub async fn complete_stage(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    position: i32,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let done = Stages::update_many()
        .col_expr(order_stage::Column::CompletedAt, Expr::value(now))
        .col_expr(order_stage::Column::CompletedBy, Expr::value(by))
        .filter(order_stage::Column::OrderId.eq(order_id))
        .filter(order_stage::Column::Position.eq(position))
        .filter(order_stage::Column::CompletedAt.is_null())
        .exec(conn)
        .await?;
    if done.rows_affected != 1 {
        return Ok(false);
    }
    if let Some(next) = Stages::find()
        .filter(order_stage::Column::OrderId.eq(order_id))
        .filter(order_stage::Column::Position.eq(position + 1))
        .one(conn)
        .await?
    {
        let hours = u32::try_from(next.target_hours).unwrap_or(0);
        let mut next: order_stage::ActiveModel = next.into();
        next.started_at = Set(Some(now));
        next.due_at = Set(Some(now + crate::domain::production::hours(hours)));
        next.update(conn).await?;
    }
    Ok(true)
}

/// Move the open stage's due time later by `by` (the time a hold lasted).
pub async fn extend_open_stage(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    position: i32,
    by: chrono::Duration,
) -> Result<(), DbErr> {
    if let Some(stage) = Stages::find()
        .filter(order_stage::Column::OrderId.eq(order_id))
        .filter(order_stage::Column::Position.eq(position))
        .filter(order_stage::Column::CompletedAt.is_null())
        .one(conn)
        .await?
    {
        let due = stage.due_at.map(|d| d + by);
        let mut stage: order_stage::ActiveModel = stage.into();
        stage.due_at = Set(due);
        stage.update(conn).await?;
    }
    Ok(())
}

pub async fn add_note(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    author_id: Uuid,
    body: String,
    now: DateTime<Utc>,
) -> Result<NoteRow, DbErr> {
    order_note::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order_id),
        author_id: Set(author_id),
        body: Set(body),
        created_at: Set(now),
    }
    .insert(conn)
    .await
}

pub async fn notes_of(conn: &impl ConnectionTrait, order_id: Uuid) -> Result<Vec<NoteRow>, DbErr> {
    Notes::find()
        .filter(order_note::Column::OrderId.eq(order_id))
        .order_by_asc(order_note::Column::CreatedAt)
        .order_by_asc(order_note::Column::Id)
        .all(conn)
        .await
}
