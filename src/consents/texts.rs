//! Publishing a consent text: admins publish new versions, which are immutable and identified
//! by the SHA-256 of their exact body; the newest version of a (jurisdiction, party, language)
//! is the one people sign. Two publications racing for the same version number: one wins, the
//! other is told to retry.

use sea_orm::DatabaseConnection;

use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, WriteTransaction, consent_texts::ConsentTextRow};
use crate::domain::consent::{self, ConsentParty};
use crate::domain::intake::validate_jurisdiction;
use crate::error::{AppError, AppResult, Code};

/// A text to publish.
#[derive(Debug, Clone)]
pub struct NewText {
    /// ISO 3166-1 alpha-2, e.g. `CN`.
    pub jurisdiction: String,
    pub party: ConsentParty,
    /// A language tag such as `zh-CN`.
    pub language: String,
    pub body: String,
}

/// Publish the next version of a text (admins; 422 `invalid_consent_text` for a bad
/// jurisdiction, language or length).
pub async fn publish(
    db: &DatabaseConnection,
    actor: &Actor,
    text: NewText,
) -> AppResult<ConsentTextRow> {
    crate::orders::require_admin(db, actor, "only admins publish consent texts").await?;
    let invalid = |why: &str| AppError::unprocessable(Code::InvalidConsentText, why.to_owned());
    validate_jurisdiction(&text.jurisdiction).map_err(|e| invalid(&e.reason))?;
    if !consent::valid_language(&text.language) {
        return Err(invalid("language must be a tag such as zh-CN or en"));
    }
    let chars = text.body.trim().chars().count();
    if chars == 0 || chars > consent::MAX_TEXT_CHARS {
        return Err(invalid(&format!(
            "the text must be 1 to {} characters",
            consent::MAX_TEXT_CHARS
        )));
    }
    let (actor, now) = (actor.clone(), db::now());
    db.write_transaction::<_, ConsentTextRow, AppError>(|txn| {
        Box::pin(async move {
            let new = db::consent_texts::NewText {
                jurisdiction: &text.jurisdiction,
                party: text.party,
                language: &text.language,
                body: text.body,
                published_by: actor.id,
                now,
            };
            let row = match db::consent_texts::publish(txn, new).await {
                Ok(row) => row,
                Err(err) if db::is_unique_violation(&err) => {
                    return Err(AppError::conflict(
                        Code::VersionTaken,
                        "another version was published at the same moment; retry",
                    ));
                }
                Err(err) => return Err(err.into()),
            };
            let detail = serde_json::json!({
                "jurisdiction": row.jurisdiction, "party": row.party, "language": row.language,
                "version": row.version, "sha256": row.sha256,
            });
            let target = Target {
                kind: "consent_text",
                id: row.id,
            };
            audit::record(
                txn,
                &actor.audit(),
                "consent_text.published",
                target,
                actor.request_id(),
                detail,
            )
            .await?;
            Ok(row)
        })
    })
    .await
}

/// The current version of every text, optionally of one jurisdiction (public).
pub async fn current(
    db: &DatabaseConnection,
    jurisdiction: Option<&str>,
) -> AppResult<Vec<ConsentTextRow>> {
    Ok(db::consent_texts::current(db, jurisdiction).await?)
}

/// One version, current or not (public): what a receipt or a record points at.
pub async fn text(db: &DatabaseConnection, id: uuid::Uuid) -> AppResult<ConsentTextRow> {
    db::consent_texts::find(db, id)
        .await?
        .ok_or_else(|| AppError::not_found(Code::ConsentTextNotFound, "no such consent text"))
}

/// Every version of every text, newest first within each (jurisdiction, party, language)
/// (admins).
pub async fn versions(db: &DatabaseConnection, actor: &Actor) -> AppResult<Vec<ConsentTextRow>> {
    crate::orders::require_admin(db, actor, "only admins look through consent text versions")
        .await?;
    Ok(db::consent_texts::versions(db).await?)
}

/// Who signed with one version: the text, how many consents name it, and the newest `limit`
/// of them with their orders' references (admins; 404 `consent_text_not_found`).
pub async fn signatures(
    db: &DatabaseConnection,
    actor: &Actor,
    id: uuid::Uuid,
    limit: u64,
) -> AppResult<(ConsentTextRow, u64, Vec<db::consents::SignedWith>)> {
    crate::orders::require_admin(db, actor, "only admins see which orders signed a text").await?;
    let text = text(db, id).await?;
    let (count, signed) = db::consents::signed_with(db, id, limit).await?;
    Ok((text, count, signed))
}
