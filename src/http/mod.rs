//! The HTTP API: one module per resource, each with its own `router()`; this module puts them
//! together, adds the cross-cutting layers (request id, tracing, body limit, security headers)
//! and serves the OpenAPI document generated from the handlers' annotations.

pub mod audit_log;
pub mod auth;
pub mod board;
pub mod consent_invitations;
pub mod consent_receipt;
pub mod consent_review;
pub mod consent_texts;
pub mod consents;
pub mod data_requests;
pub mod deliverables;
pub mod extract;
pub mod health;
pub mod idempotent;
pub mod inquiries;
pub mod iterations;
pub mod labels;
pub mod ledger;
pub mod live_sessions;
pub mod openapi;
pub mod orders;
pub mod outbox;
pub mod paging;
pub mod payments;
pub mod privacy;
mod problem_response;
pub mod production;
pub mod reports;
pub mod samples;
pub mod screening;
pub mod session;
pub mod sufficiency;
pub mod timeline;
pub mod users;

use std::sync::Arc;

use axum::Extension;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, header};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::domain::iteration::IterationAction;
use crate::domain::order::OrderAction;
use crate::error::{AppError, Problem};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Keepsake", description = "Order desk of a digital-memorial studio"),
    // Schemas only named by a path parameter are not collected from the handlers: list them.
    components(schemas(Problem, OrderAction, IterationAction)),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "audit", description = "The audit trail"),
        (name = "users", description = "Account administration"),
        (name = "consent", description = "Consent texts and (later) consent records"),
        (name = "screening", description = "The reviewer's view of a request"),
        (name = "orders", description = "Memorial orders and their lifecycle"),
        (name = "notifications", description = "The outbox of mail owed and sent"),
        (name = "production", description = "Stages, assignment, notes and templates"),
        (name = "delivery", description = "Deliverables with their AI-generated-content label, and downloads"),
        (name = "data-rights", description = "Access, copy, correction and erasure requests, verified and decided by reviewers"),
        (name = "iterations", description = "Follow-up iterations of a delivered order, with fresh consent when they need more"),
        (name = "privacy", description = "Sample retention, erasure and the certificate of destruction"),
        (name = "samples", description = "Photos, voice, video and documents, uploaded straight to object storage"),
        (name = "health", description = "Liveness and readiness"),
        (name = "money", description = "Quotes, deposits, payments and refunds; balances derived"),
        (name = "live sessions", description = "human_driven live calls: booked, logged, reviewed"),
    )
)]
struct ApiDoc;

/// Every answer of the API is data, never a page: it loads nothing, runs nothing and may not be
/// framed. Set on every response (errors and the 404 fallback too) unless a handler set its
/// own — pages bring their policy (`web::page`). With `X-Content-Type-Options: nosniff`,
/// `Referrer-Policy: no-referrer` and `X-Frame-Options: DENY` (for browsers without CSP).
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// All routes with their layers, and the OpenAPI document describing them. `pages` (the web
/// door's routes) go under the same layers and bring the fallback for unknown paths: a page
/// for a browser, `route_not_found` for everyone else.
pub fn router(state: AppState, pages: axum::Router<AppState>) -> axum::Router {
    let (api, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(audit_log::router())
        .merge(consent_texts::router())
        .merge(consents::router())
        .merge(consent_invitations::router())
        .merge(consent_receipt::router())
        .merge(consent_review::router())
        .merge(orders::router())
        .merge(outbox::router())
        .merge(inquiries::router())
        .merge(production::router())
        .merge(board::router())
        .merge(reports::router())
        .merge(samples::router())
        .merge(deliverables::router())
        .merge(labels::router())
        .merge(privacy::router())
        .merge(iterations::router())
        .merge(data_requests::router())
        .merge(sufficiency::router())
        .merge(timeline::router())
        .merge(screening::router())
        .merge(ledger::router())
        .merge(users::router())
        .merge(health::router())
        .merge(payments::router())
        .merge(live_sessions::router())
        .merge(openapi::router())
        .split_for_parts();
    openapi::finish(&mut doc);
    let body_limit = state.settings.max_json_body_bytes;
    let request_id = HeaderName::from_static("x-request-id");

    api.layer(Extension(Arc::new(doc)))
        .merge(pages)
        // Operational, not part of the API document: absent unless a token is configured.
        .merge(crate::monitoring::scrape::on_main_listener())
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(crate::monitoring::requests::measure))
        // Answers carry personal data (names, dates, family answers): never cache them.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_answer),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_unusable_request_id))
        .with_state(state)
}

/// The span every request runs in: its method, the route it matched as written in the router
/// (`/api/v1/orders/{id}` — a path itself can carry an invitation's or a download's token, and
/// ids add nothing a log reader needs), and its request id.
fn request_span(req: &Request<axum::body::Body>) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", axum::extract::MatchedPath::as_str);
    tracing::info_span!("request", method = %req.method(), route, request_id = %id)
}

/// One line per answered request: its status and how long it took.
fn log_answer(
    res: &axum::http::Response<axum::body::Body>,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    tracing::info!(
        status = res.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1e3,
        "answered"
    );
}

/// A client may name its request (`X-Request-Id`) so its logs and ours line up; an id that is
/// long or not plain visible ASCII is dropped (and one generated), since it ends up in logs
/// and audit records.
async fn drop_unusable_request_id(mut req: Request<axum::body::Body>) -> Request<axum::body::Body> {
    let usable = req
        .headers()
        .get("x-request-id")
        .map(|v| v.as_bytes())
        .is_none_or(|v| !v.is_empty() && v.len() <= 128 && v.iter().all(|b| b.is_ascii_graphic()));
    if !usable {
        req.headers_mut().remove("x-request-id");
    }
    req
}
