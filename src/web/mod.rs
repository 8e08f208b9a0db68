//! The web pages: server-rendered HTML (askama templates compiled in, `templates/`), in
//! zh-CN and en (`i18n/`), calling the same services as the JSON API. Every page works
//! without JavaScript (forms post, the server redirects); scripts only where the browser must
//! act (uploads).
//!
//! One module per page group; this one puts their routes together with the shared pieces:
//! `visitor` (who looks, in which language, with which form token), `page` (the frame and the
//! headers), `forms` (errors next to fields), `assets` (hashed static files), `i18n`.

pub mod assets;
mod desk;
pub mod forms;
pub mod i18n;
pub mod page;
mod portal;
pub mod visitor;
pub mod words;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::cookies;
use crate::state::AppState;

use i18n::Lang;
use visitor::Visitor;

/// The pages' routes (merged into the app's router by the composition root).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/{name}", get(assets::serve))
        .route("/language/{tag}", get(switch_language))
        .merge(portal::router())
        .merge(desk::router())
        .fallback(not_found)
}

/// Whether an unmatched request came from a person's browser (it asks for HTML), so the
/// fallback answers with a page instead of a problem document.
fn wants_page(headers: &axum::http::HeaderMap, path: &str) -> bool {
    !path.starts_with("/api/")
        && headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}

/// An unknown path: the 404 page for a browser asking for a page, else the problem document
/// `route_not_found`.
async fn not_found(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    visitor: Visitor,
) -> Response {
    let missing =
        crate::error::AppError::not_found(crate::problem::Code::RouteNotFound, "no such route");
    if wants_page(&visitor.headers, uri.path()) {
        page::failure(&state, &visitor, missing)
    } else {
        missing.into_response()
    }
}

#[derive(Deserialize)]
struct Back {
    #[serde(default)]
    back: String,
}

/// A path on this site: starts with one `/`, and holds only visible ASCII — browsers drop
/// tabs and newlines from a URL and read `\` as `/`, so `/\t/evil.example` or
/// `/\evil.example` would lead away.
fn is_local_path(back: &str) -> bool {
    back.starts_with('/')
        && !back.starts_with("//")
        && back.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

/// `GET /language/{tag}?back=/path`: remember the language and return to the page. Only a
/// path on this site is followed (never `//host` or a full URL).
async fn switch_language(
    State(state): State<AppState>,
    Path(tag): Path<String>,
    Query(Back { back }): Query<Back>,
) -> Response {
    let back = if is_local_path(&back) {
        back
    } else {
        "/".to_owned()
    };
    let mut response = Redirect::to(&back).into_response();
    if let Some(lang) = Lang::from_tag(&tag) {
        let cookie = cookies::language(lang.tag(), state.settings.auth.secure_cookies);
        cookies::set(response.headers_mut(), &cookie);
    }
    response
}
