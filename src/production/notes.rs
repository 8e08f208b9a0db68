//! Internal notes on an order: the studio's working memory, never shown to customers.

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, WriteTransaction, production::NoteRow};
use crate::error::{AppError, AppResult, Code};
use crate::orders;

const MAX_NOTE_CHARS: usize = 4000;

const STUDIO_ONLY: &str = "notes are the studio's";

/// Leave a note on order `id`: 1 to 4000 characters counted as sent, kept without its
/// surrounding blanks (422 `invalid_note`).
pub async fn add_note(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    text: &str,
) -> AppResult<NoteRow> {
    let order = orders::load(db, actor, id).await?;
    orders::require_studio(db, actor, Target::order(id), STUDIO_ONLY).await?;
    let body = text.trim().to_owned();
    if body.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::unprocessable(
            Code::InvalidNote,
            format!("a note is 1 to {MAX_NOTE_CHARS} characters"),
        ));
    }
    let (audit_actor, author, order_id) = (actor.audit(), actor.id, order.id);
    let request_id = actor.request_id.clone();
    db.write_transaction::<_, NoteRow, AppError>(|txn| {
        Box::pin(async move {
            let note = db::production::add_note(txn, order_id, author, body, db::now()).await?;
            let detail = serde_json::json!({ "note_id": note.id });
            let target = Target::order(order_id);
            audit::record(
                txn,
                &audit_actor,
                "order.note_added",
                target,
                request_id.as_deref(),
                detail,
            )
            .await?;
            Ok(note)
        })
    })
    .await
}

/// Order `id`'s notes, oldest first (the studio only).
pub async fn notes(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<Vec<NoteRow>> {
    let order = orders::load(db, actor, id).await?;
    orders::require_studio(db, actor, Target::order(id), STUDIO_ONLY).await?;
    Ok(db::production::notes_of(db, order.id).await?)
}
