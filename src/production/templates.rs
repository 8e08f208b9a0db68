//! Stage templates: the stages of each delivery mode with their target hours. Admins publish a
//! new version; orders already in production keep the version they started with.

use sea_orm::DatabaseConnection;

use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, WriteTransaction, production::Template};
use crate::domain::account::Role;
use crate::domain::order::DeliveryMode;
use crate::domain::production::{self, StageSpec};
use crate::error::{AppError, AppResult, Code};
use crate::orders;

/// Every template version, newest first per mode (the studio only).
pub async fn templates(db: &DatabaseConnection, actor: &Actor) -> AppResult<Vec<Template>> {
    let why = "stage templates are the studio's";
    orders::require_studio(db, actor, Target::user(actor.id), why).await?;
    Ok(db::production::templates(db).await?)
}

/// Publish the next version of `mode`'s stages (admins; 422 `invalid_template`, 409
/// `version_taken` when another admin published the same version first).
pub async fn publish_template(
    db: &DatabaseConnection,
    actor: &Actor,
    mode: DeliveryMode,
    stages: Vec<StageSpec>,
) -> AppResult<Template> {
    let admin = actor.has(Role::Admin);
    let why = "admins publish stage templates";
    orders::require(
        db,
        actor,
        Target::user(actor.id),
        admin,
        Code::AdminsOnly,
        why,
    )
    .await?;
    production::validate_template(&stages)
        .map_err(|fault| AppError::unprocessable(Code::InvalidTemplate, fault.to_string()))?;
    let (audit_actor, by, request_id) = (actor.audit(), actor.id, actor.request_id.clone());
    db.write_transaction::<_, Template, AppError>(|txn| {
        Box::pin(async move {
            let template = db::production::publish_template(txn, mode, &stages, by, db::now())
                .await
                .map_err(|e| {
                    if db::is_unique_violation(&e) {
                        AppError::conflict(
                            Code::VersionTaken,
                            "another admin published this version first; retry",
                        )
                    } else {
                        e.into()
                    }
                })?;
            let detail = serde_json::json!({
                "template_id": template.id,
                "delivery_mode": template.delivery_mode,
                "version": template.version,
            });
            let target = Target::user(by);
            audit::record(
                txn,
                &audit_actor,
                "stage_template.published",
                target,
                request_id.as_deref(),
                detail,
            )
            .await?;
            Ok(template)
        })
    })
    .await
}
