//! `/healthz` (the process answers) and `/readyz` (the database and the object store answer).

use axum::Json;
use axum::extract::State;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[utoipa::path(get, path = "/healthz", tag = "health", security(()), responses((status = 200, description = "Up", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[utoipa::path(
    get, path = "/readyz", tag = "health", security(()),
    responses(
        (status = 200, description = "Database and object store reachable", body = Health),
        (status = 503, description = "A dependency is unreachable", body = Problem),
    )
)]
async fn readyz(State(state): State<AppState>) -> AppResult<Json<Health>> {
    state.db.execute_unprepared("SELECT 1").await.map_err(|e| {
        tracing::warn!(error = %e, "database not ready");
        AppError::Unavailable("the database is unreachable".into())
    })?;
    // Whatever the store's failure, this replica cannot serve uploads: not ready (503
    // storage_unavailable; the cause is logged, never sent).
    state
        .store
        .ping()
        .await
        .map_err(|e| AppError::StorageUnavailable(format!("object store not ready: {e}")))?;
    Ok(Json(Health { status: "ready" }))
}
