//! `GET /api/v1/orders/{id}/consent-receipt`: the customer's consent receipt (see
//! [`crate::consents::receipt`]).

use axum::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::ApiPath;
use super::session::Caller;
use crate::consents::{self, ConsentReceipt};
use crate::error::{AppResult, Problem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(consent_receipt))
}

/// The receipt for the order's consents (its customer and the studio).
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/consent-receipt", tag = "consent",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The consent receipt", body = ConsentReceipt),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "No consent has been signed yet", body = Problem),
    )
)]
async fn consent_receipt(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<ConsentReceipt>> {
    Ok(Json(consents::receipt(&state, &caller.acting(), id).await?))
}
