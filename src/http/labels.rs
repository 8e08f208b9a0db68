//! `/api/v1/labels/{sha256}`: the public check of a file's provenance — did this studio deliver
//! a file with exactly these bytes, and under which content id? No account needed; the asker
//! sends only the SHA-256, so the file never leaves their hands. See `labels::provenance`.

use axum::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::ApiPath;
use crate::error::{AppResult, Problem};
use crate::labels::provenance::{self, Provenance};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(check))
}

/// Whether this studio delivered the file with this SHA-256 (public).
#[utoipa::path(
    get, path = "/api/v1/labels/{sha256}", tag = "delivery", security(()),
    params(("sha256" = String, Path, description = "The file's SHA-256, 64 hexadecimal digits", pattern = "^[0-9a-fA-F]{64}$")),
    responses(
        (status = 200, description = "What the studio can say about the file", body = Provenance),
        (status = 400, description = "invalid_sha256", body = Problem),
    )
)]
async fn check(
    State(state): State<AppState>,
    ApiPath(sha256): ApiPath<String>,
) -> AppResult<Json<Provenance>> {
    Ok(Json(provenance::by_sha256(&state.db, &sha256).await?))
}
