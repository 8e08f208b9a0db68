//! `/api/v1/orders/{id}/sufficiency`: are the verified samples enough for the delivery mode?

use axum::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::ApiPath;
use super::session::Caller;
use crate::domain::sufficiency::SufficiencyReport;
use crate::error::{AppResult, Problem};
use crate::orders;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_sufficiency))
}

/// The sufficiency report: each criterion met or not, and what to add, in plain words.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/sufficiency", tag = "samples",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "The report", body = SufficiencyReport),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn get_sufficiency(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(order_id): ApiPath<Uuid>,
) -> AppResult<Json<SufficiencyReport>> {
    let order = orders::load(&state.db, &caller.acting(), order_id).await?;
    Ok(Json(orders::sufficiency(&state, &order).await?))
}
