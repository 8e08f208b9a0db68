//! The studio's desk: pages for staff, reviewers and admins, on the same services as the
//! API. Anyone else signed in gets the "not available" page; the signed-out go to sign in.
//!
//! - `/desk`: the board; `/desk/orders/{id}`: the order workbench, with its live sessions,
//!   follow-ups and money (`sessions`, `follow_ups`, `money`).
//! - `/desk/review`: the reviewers' queues — screening, consent review, quality check
//!   (`review`), flagged live sessions (`sessions`) and data-rights requests (`requests`).
//! - `/desk/reports`: on-time rate, turnaround and the funnel.
//! - For admins: accounts and consent texts (`/desk/admin`), who signed a text
//!   (`/desk/admin/consent-texts/{id}`, `texts`), stage templates (`/desk/admin/stages`,
//!   `stages`), the audit trail, the outbox and the consent ledger (`oversight`).

mod admin;
mod board;
mod events;
mod follow_ups;
mod money;
mod oversight;
mod reports;
mod requests;
mod review;
mod sessions;
mod stages;
mod texts;
mod workbench;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::actor::Actor;
use crate::error::AppError;
use crate::problem::Code;
use crate::state::AppState;
use crate::web::page;
use crate::web::visitor::{Member, Visitor};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/desk", get(board::show))
        .route("/desk/orders/{id}", get(workbench::show))
        .route("/desk/orders/{id}/act", axum::routing::post(workbench::act))
        .route(
            "/desk/orders/{id}/notes",
            axum::routing::post(workbench::note),
        )
        .route("/desk/orders/{id}/files/{file}", get(review::file))
        .route("/desk/orders/{id}/sessions", post(sessions::book))
        .route(
            "/desk/orders/{id}/sessions/{sid}",
            get(sessions::show).post(sessions::log),
        )
        .route(
            "/desk/orders/{id}/sessions/{sid}/review",
            post(sessions::review),
        )
        .route("/desk/orders/{id}/iterations/{iid}", post(follow_ups::act))
        .route("/desk/orders/{id}/payments", post(money::record))
        .route("/desk/requests/{id}", get(requests::show))
        .route("/desk/requests/{id}/identity", post(requests::verify))
        .route("/desk/requests/{id}/decision", post(requests::decide))
        .route("/desk/review", get(review::queues))
        .route("/desk/reports", get(reports::show))
        .route("/desk/admin", get(admin::show))
        .route("/desk/admin/users", axum::routing::post(admin::create))
        .route("/desk/admin/users/{id}", axum::routing::post(admin::change))
        .route(
            "/desk/admin/consent-texts",
            axum::routing::post(admin::publish),
        )
        .route(
            "/desk/admin/stages",
            get(stages::show).post(stages::publish),
        )
        .route("/desk/admin/consent-texts/{id}", get(texts::show))
        .route("/desk/audit", get(admin::audit))
        .route("/desk/outbox", get(oversight::outbox))
        .route(
            "/desk/outbox/{id}/retry",
            axum::routing::post(oversight::retry),
        )
        .route("/desk/ledger", get(oversight::ledger))
        .route("/desk/review/{id}", get(review::show))
        .route(
            "/desk/review/{id}/start",
            axum::routing::post(review::start),
        )
        .route(
            "/desk/review/{id}/sign-off",
            axum::routing::post(review::sign_off),
        )
        .route(
            "/desk/review/{id}/decision",
            axum::routing::post(review::decide),
        )
}

/// A signed-in member of the studio (staff, reviewer or admin).
pub struct Studio {
    pub visitor: Visitor,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Studio {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Member { visitor, actor } = Member::from_request_parts(parts, state).await?;
        if !visitor.is_staff() {
            let refusal = AppError::Forbidden {
                code: Code::StudioOnly,
                detail: "the desk is the studio's".into(),
            };
            return Err(page::failure(state, &visitor, refusal).into_response());
        }
        Ok(Self { visitor, actor })
    }
}
