//! `GET /api/v1/orders/{id}/screening`: what a reviewer screens — the intake, the time since
//! death, the sample sufficiency report and the risk flags the system raises itself. Studio
//! only (it is the studio's assessment of the customer's request, not a customer view).

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::ApiPath;
use super::orders::{OrderView, load_order};
use super::session::{Caller, refuse};
use crate::app::AppState;
use crate::audit::Target;
use crate::db;
use crate::domain::account::Role;
use crate::domain::risk::{self, RiskFlag};
use crate::domain::sample::SampleKind;
use crate::domain::sufficiency::SufficiencyReport;
use crate::error::{AppError, AppResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_screening))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScreeningReport {
    pub order: OrderView,
    /// Days between the death and today (none for a living subject).
    pub days_since_death: Option<i64>,
    pub risk_flags: Vec<RiskFlag>,
    pub sufficiency: SufficiencyReport,
}

/// The screening view of an order (staff, reviewers, admins).
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/screening", tag = "screening",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The screening report", body = ScreeningReport),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Customers do not see the studio's screening", body = Problem),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn get_screening(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<ScreeningReport>> {
    let order = load_order(&state, &caller, id).await?;
    if ![Role::Staff, Role::Reviewer, Role::Admin]
        .iter()
        .any(|r| caller.user.has(*r))
    {
        let refusal = AppError::Forbidden {
            code: "studio_only",
            detail: "the screening report is for the studio".into(),
        };
        return Err(refuse(&state, &caller, Target::order(id), refusal).await);
    }
    let today = chrono::Utc::now().date_naive();
    let documents =
        db::samples::count_verified_of_kind(&state.db, id, SampleKind::Document).await?;
    let sufficiency = super::sufficiency::report_for(&state, &order).await?;
    Ok(Json(ScreeningReport {
        days_since_death: order
            .subject
            .death_date
            .map(|death| (today - death).num_days()),
        risk_flags: risk::flags(&order.subject, today, documents),
        sufficiency,
        order: OrderView::from(&order),
    }))
}
