//! `GET /api/v1/orders/{id}/events`: the order's timeline, oldest first, as
//! [`crate::orders::timeline`] words it for the caller.

use axum::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::ApiPath;
use super::session::Caller;
use crate::error::{AppResult, Problem};
use crate::orders::{self, TimelineEntry};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(order_events))
}

/// The order's timeline.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/events", tag = "orders",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The timeline, oldest first", body = Vec<TimelineEntry>),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn order_events(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<TimelineEntry>>> {
    Ok(Json(
        orders::timeline(&state.db, &caller.acting(), id).await?,
    ))
}
