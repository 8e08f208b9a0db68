//! Beginning an upload on an order, for the person who may: the order's customer adds a
//! sample; studio staff add a deliverable, with the visible AI label it will carry (the
//! studio's configured text unless they give one). Both then go through [`super::start`].

use uuid::Uuid;

use super::files::{self, Deliverable};
use super::{StartUpload, UploadFor, UploadInstructions, start};
use crate::actor::Actor;
use crate::db::samples::SampleRow;
use crate::domain::delivery;
use crate::domain::ids::OrderId;
use crate::error::{AppError, AppResult, Code};
use crate::orders;
use crate::state::AppState;

/// Declare a sample on the actor's own order and get its upload instructions.
pub async fn begin_sample(
    state: &AppState,
    actor: &Actor,
    order_id: Uuid,
    declaration: StartUpload,
) -> AppResult<(SampleRow, UploadInstructions)> {
    let order = orders::load_own(&state.db, actor, order_id).await?;
    let (who, request_id) = (actor.audit(), actor.request_id());
    start(
        state,
        &order,
        declaration,
        UploadFor::Sample,
        &who,
        request_id,
    )
    .await
}

/// Declare a deliverable (studio staff) with its label text (1 to 500 printable characters;
/// the configured text when `None`) and get its upload instructions.
pub async fn begin_deliverable(
    state: &AppState,
    actor: &Actor,
    order_id: Uuid,
    declaration: StartUpload,
    label_text: Option<String>,
) -> AppResult<(Deliverable, UploadInstructions)> {
    let order = orders::load_staff(
        &state.db,
        actor,
        order_id,
        "only studio staff upload deliverables",
    )
    .await?;
    let label_text = label_text.unwrap_or_else(|| state.settings.delivery.ai_label_text.clone());
    if !delivery::valid_label_text(&label_text) {
        return Err(AppError::unprocessable(
            Code::InvalidLabelText,
            "label_text must be 1 to 500 printable characters",
        ));
    }
    let upload_for = UploadFor::Deliverable {
        label_text: label_text.trim().to_owned(),
        staff_id: actor.id,
    };
    let (who, request_id) = (actor.audit(), actor.request_id());
    let (row, upload) = start(state, &order, declaration, upload_for, &who, request_id).await?;
    let started = files::find_deliverable(&state.db, OrderId(order_id), row.id).await?;
    Ok((started, upload))
}
