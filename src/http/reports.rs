//! `/api/v1/reports/*` (the studio): the SLA report — on-time delivery rate and turnaround
//! (approval → delivery) per mode — and the funnel from inquiry to delivery with where orders
//! stopped, over `[from, to)`.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::ApiQuery;
use super::session::Caller;
use crate::domain::reports::SlaSummary;
use crate::error::{AppResult, Problem};
use crate::production;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sla_report))
        .routes(routes!(funnel_report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Range {
    /// Start of the range (RFC 3339, inclusive).
    pub from: DateTime<Utc>,
    /// End of the range (RFC 3339, exclusive).
    pub to: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub machine_driven: SlaSummary,
    pub human_driven: SlaSummary,
}

/// On-time delivery rate and turnaround per mode, for orders delivered in the range.
#[utoipa::path(
    get, path = "/api/v1/reports/sla", tag = "production",
    params(Range),
    responses(
        (status = 200, description = "The SLA report", body = SlaReport),
        (status = 400, description = "Malformed dates", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the studio", body = Problem),
        (status = 422, description = "`to` is not after `from`", body = Problem),
    )
)]
async fn sla_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(range): ApiQuery<Range>,
) -> AppResult<Json<SlaReport>> {
    let (machine_driven, human_driven) =
        production::reports::sla(&state.db, &caller.acting(), range.from, range.to).await?;
    Ok(Json(SlaReport {
        from: range.from,
        to: range.to,
        machine_driven,
        human_driven,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Everyone who asked in the range: orders created plus inquiries left on the landing
    /// page by people who had not ordered (one who inquired and then ordered counts twice:
    /// an inquiry is not linked to an account) …
    pub inquiries: i64,
    /// … of which inquiries left on the landing page; the stages below follow the orders,
    pub inquiry_forms: i64,
    /// … the orders submitted for screening,
    pub submitted: i64,
    /// … that a reviewer let through screening,
    pub screened_in: i64,
    /// … whose consents were approved,
    pub consent_approved: i64,
    /// … and that were delivered.
    pub delivered: i64,
    /// Where the others stopped.
    pub stopped: StoppedCounts,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StoppedCounts {
    pub declined_at_screening: i64,
    pub referred_at_screening: i64,
    pub rejected_at_consent_review: i64,
    pub cancelled: i64,
    pub withdrawn: i64,
}

/// The funnel for orders created in the range.
#[utoipa::path(
    get, path = "/api/v1/reports/funnel", tag = "production",
    params(Range),
    responses(
        (status = 200, description = "The funnel", body = FunnelReport),
        (status = 400, description = "Malformed dates", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the studio", body = Problem),
        (status = 422, description = "`to` is not after `from`", body = Problem),
    )
)]
async fn funnel_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(range): ApiQuery<Range>,
) -> AppResult<Json<FunnelReport>> {
    let f = production::reports::funnel(&state.db, &caller.acting(), range.from, range.to).await?;
    Ok(Json(FunnelReport {
        from: range.from,
        to: range.to,
        inquiries: f.inquiries,
        inquiry_forms: f.inquiry_forms,
        submitted: f.submitted,
        screened_in: f.screened_in,
        consent_approved: f.consent_approved,
        delivered: f.delivered,
        stopped: StoppedCounts {
            declined_at_screening: f.declined_at_screening,
            referred_at_screening: f.referred_at_screening,
            rejected_at_consent_review: f.rejected_at_consent_review,
            cancelled: f.cancelled,
            withdrawn: f.withdrawn,
        },
    }))
}
