//! `GET /api/v1/ledger/verify`: recompute the consent ledger's hash chains and name the first
//! broken link (reviewers and admins; the same routine as `keepsake ledger verify`).

use axum::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::session::Caller;
use crate::error::{AppResult, Problem};
use crate::ledger::{self, VerifyReport};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(verify_ledger))
}

/// Verify the whole ledger: every event's hash, both chains, and the global head.
#[utoipa::path(
    get, path = "/api/v1/ledger/verify", tag = "consent",
    responses(
        (status = 200, description = "The verification result (`ok: false` names the first broken event)", body = VerifyReport),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Reviewers and admins only", body = Problem),
    )
)]
async fn verify_ledger(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<VerifyReport>> {
    let report = ledger::verify_for(&state.db, &caller.acting()).await?;
    Ok(Json(report))
}
