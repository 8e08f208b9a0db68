//! `/check`: "Was this file made by this studio?" — for anyone who was sent a likeness (a
//! relative, a platform asked to host it). They choose the file, and the page computes its
//! SHA-256 in their own browser (the file is never sent), or they paste the SHA-256; the
//! answer comes from the same check as `GET /api/v1/labels/{sha256}`: yes with the content id
//! the label inside the file carries, or no. Nothing about who ordered it is ever shown.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::labels::provenance;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::page::{self, Page, Privacy};
use crate::web::visitor::Visitor;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CheckForm {
    sha256: String,
}

/// The answer, once a fingerprint was given.
enum Answer {
    /// Made here, with this content id.
    Ours(String),
    NotOurs,
}

#[derive(Template)]
#[template(path = "portal/check.html")]
struct CheckPage {
    page: Page,
    sha256: String,
    answer: Option<Answer>,
    errors: FormErrors,
}

/// `GET /check` (`?sha256=…` to ask).
pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(form): Query<CheckForm>,
) -> Response {
    let sha256 = form.sha256.trim().to_owned();
    let mut errors = FormErrors::default();
    let answer = if sha256.is_empty() {
        None
    } else {
        match provenance::by_sha256(&state.db, &sha256).await {
            Ok(found) => Some(match found.content_id {
                Some(id) if found.produced_here => Answer::Ours(id),
                _ => Answer::NotOurs,
            }),
            Err(err) if err.status().is_client_error() => {
                errors.add("sha256", visitor.lang.t("check.error"));
                None
            }
            Err(err) => return page::failure(&state, &visitor, err),
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let template = CheckPage {
        page: Page::new(&state, &visitor, "check.title"),
        sha256,
        answer,
        errors,
    };
    page::render(&state, &visitor, status, Privacy::Public, &template)
}
