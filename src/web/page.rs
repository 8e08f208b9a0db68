//! What every page shares: the frame's facts (`Page`: language, who is signed in, the form
//! token, where the language switch leads), and turning a rendered template into an answer
//! with the pages' security headers.
//!
//! Pages load only our own stylesheet and scripts (no inline script or style, so the policy
//! needs no `unsafe-inline`), may not be framed, and post forms only to us. A page showing
//! personal data is `no-store`; the others `private, no-cache`.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::AppError;
use crate::state::AppState;

use super::assets;
use super::i18n::Lang;
use super::visitor::Visitor;

/// The frame every template extends (`templates/base.html`) reads these.
pub struct Page {
    pub lang: Lang,
    /// Catalog key of the page's title.
    pub title: &'static str,
    pub signed_in_as: Option<String>,
    pub is_staff: bool,
    /// The studio's admin pages are in the menu.
    pub is_admin: bool,
    pub csrf: String,
    /// The page's path, for the language switch to come back to.
    pub path: String,
    pub studio: String,
}

impl Page {
    pub fn new(state: &AppState, visitor: &Visitor, title: &'static str) -> Self {
        Self {
            lang: visitor.lang,
            title,
            signed_in_as: visitor.signed_in.as_ref().map(|s| s.user.email.clone()),
            is_staff: visitor.is_staff(),
            is_admin: visitor
                .signed_in
                .as_ref()
                .is_some_and(|s| s.user.roles.contains(&crate::domain::account::Role::Admin)),
            csrf: visitor.form_token().to_owned(),
            path: visitor.path.clone(),
            studio: state.settings.studio.name.clone(),
        }
    }

    /// The text of catalog `key` in the page's language.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.lang.t(key)
    }

    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        self.lang.fill(key, values)
    }

    pub fn css(&self) -> String {
        assets::href("site.css")
    }

    pub fn asset(&self, name: &str) -> String {
        assets::href(name)
    }

    /// The other languages, as (tag, name in that language) for the switch.
    pub fn other_languages(&self) -> Vec<(&'static str, &'static str)> {
        Lang::ALL
            .into_iter()
            .filter(|l| *l != self.lang)
            .map(|l| (l.tag(), l.t("lang.name")))
            .collect()
    }
}

/// Whether a page shows personal data (and so must never be stored by the browser or a cache).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Privacy {
    Personal,
    Public,
}

/// The pages' Content-Security-Policy: our own files only, no inline code.
pub fn content_security_policy(state: &AppState) -> String {
    // Uploads go straight to the object store (presigned URLs), so the page may talk to it;
    // the studio's players and pictures load from it through short-lived links too.
    let store = state.store.browser_origin();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: {store}; \
         media-src 'self' blob: {store}; connect-src 'self' {store}; worker-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// `template` rendered as an HTML answer with the pages' headers (and the visitor's new form
/// cookie, when they had none).
pub fn render(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    privacy: Privacy,
    template: &impl Template,
) -> Response {
    let html = match template.render() {
        Ok(html) => html,
        Err(err) => {
            tracing::error!(error = %err, "a page template failed to render");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "this page could not be shown",
            )
                .into_response();
        }
    };
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(state)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(match privacy {
            Privacy::Personal => "no-store",
            Privacy::Public => "private, no-cache",
        }),
    );
    if let Ok(lang) = HeaderValue::from_str(visitor.lang.tag()) {
        headers.insert(header::CONTENT_LANGUAGE, lang);
    }
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Cookie, Accept-Language"),
    );
    if let Some(cookie) = visitor.form_cookie(state.settings.auth.secure_cookies) {
        crate::cookies::set(headers, &cookie);
    }
    response
}

/// After a successful form post: go to `to` (post/redirect/get).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The error page for a refusal or failure a page handler met; not signed in (or signed out
/// meanwhile) goes to the sign-in page instead.
pub fn failure(state: &AppState, visitor: &Visitor, err: AppError) -> Response {
    if matches!(err, AppError::Unauthorized(_)) {
        return see_other("/signin");
    }
    let status = err.status();
    if status.is_server_error() {
        tracing::error!(error = %err, "a page failed");
    }
    let (heading, message) = match status {
        StatusCode::NOT_FOUND => ("error.not_found_title", "error.not_found"),
        StatusCode::FORBIDDEN => ("error.forbidden_title", "error.forbidden"),
        StatusCode::TOO_MANY_REQUESTS => ("error.busy_title", "error.too_many"),
        s if s.is_server_error() => ("error.broken_title", "error.broken"),
        _ => ("error.refused_title", "error.refused"),
    };
    let template = ErrorPage {
        page: Page::new(state, visitor, heading),
        message,
        request_id: visitor.request_id.clone().unwrap_or_default(),
    };
    render(state, visitor, status, Privacy::Public, &template)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Page,
    message: &'static str,
    request_id: String,
}
