//! Who is looking at a page: their language, their session if they are signed in, and the
//! token every form of theirs must carry back.
//!
//! Forms post with the browser's cookies, so each carries a hidden `csrf` field another site
//! cannot know: a signed-in visitor's is their session's CSRF token (the readable
//! `keepsake_csrf` cookie, checked against the session's stored hash); before signing in it
//! is a random token also kept in the HttpOnly `keepsake_form` cookie (double submit).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::accounts;
use crate::actor::Actor;
use crate::auth::token;
use crate::cookies;
use crate::db::users::UserRecord;
use crate::domain::account::Role;
use crate::error::AppError;
use crate::state::AppState;

use super::i18n::Lang;

/// A signed-in visitor.
pub struct SignedIn {
    pub user: UserRecord,
    pub session_id: uuid::Uuid,
    csrf_hash: String,
    /// The session's CSRF token as the browser holds it (empty if the cookie is gone).
    csrf_token: String,
}

pub struct Visitor {
    pub lang: Lang,
    pub signed_in: Option<SignedIn>,
    /// The pre-sign-in form token: the browser's, or a new one to set with this answer.
    form_token: String,
    pub new_form_token: bool,
    pub request_id: Option<String>,
    /// The path asked for (no query: queries may carry filters, never personal data, but the
    /// language switch only needs the page).
    pub path: String,
    pub headers: HeaderMap,
}

impl Visitor {
    /// The hidden `csrf` value for this visitor's forms.
    pub fn form_token(&self) -> &str {
        match &self.signed_in {
            Some(s) if !s.csrf_token.is_empty() => &s.csrf_token,
            _ => &self.form_token,
        }
    }

    /// `sent` (a form's `csrf` field) is this visitor's token.
    pub fn form_token_matches(&self, sent: &str) -> bool {
        match &self.signed_in {
            Some(s) => accounts::csrf_matches(&s.csrf_hash, sent),
            None => {
                !self.new_form_token
                    && !sent.is_empty()
                    && token::digest(sent) == token::digest(&self.form_token)
            }
        }
    }

    /// The signed-in visitor as the services see them.
    pub fn actor(&self) -> Option<Actor> {
        self.signed_in.as_ref().map(|s| Actor {
            id: s.user.id,
            roles: s.user.roles.clone(),
            request_id: self.request_id.clone(),
        })
    }

    /// Works for the studio (any role but customer).
    pub fn is_staff(&self) -> bool {
        self.signed_in
            .as_ref()
            .is_some_and(|s| s.user.roles.iter().any(|r| *r != Role::Customer))
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let headers = &parts.headers;
        let lang = Lang::negotiate(
            cookies::read(headers, cookies::LANG_COOKIE),
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        );
        let signed_in = match cookies::read(headers, cookies::SESSION_COOKIE) {
            Some(session_token) => accounts::resume(&state.db, &state.settings.auth, session_token)
                .await?
                .map(|live| SignedIn {
                    user: live.user,
                    session_id: live.session_id,
                    csrf_hash: live.csrf_hash,
                    csrf_token: cookies::read(headers, cookies::CSRF_COOKIE)
                        .unwrap_or_default()
                        .to_owned(),
                }),
            None => None,
        };
        let (form_token, new_form_token) = match cookies::read(headers, cookies::FORM_COOKIE) {
            Some(existing) => (existing.to_owned(), false),
            None => (token::new_token(), true),
        };
        Ok(Self {
            lang,
            signed_in,
            form_token,
            new_form_token,
            request_id: headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            path: parts.uri.path().to_owned(),
            headers: parts.headers.clone(),
        })
    }
}

impl Visitor {
    /// The `Set-Cookie` this answer must carry, if the visitor had no form token yet.
    pub fn form_cookie(&self, secure: bool) -> Option<String> {
        (self.new_form_token && self.signed_in.is_none())
            .then(|| cookies::form_token(&self.form_token, secure))
    }
}

/// A signed-in visitor and who they act as; a page that needs one sends anyone else to the
/// sign-in page.
pub struct Member {
    pub visitor: Visitor,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Member {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let visitor = Visitor::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match visitor.actor() {
            Some(actor) => Ok(Self { visitor, actor }),
            None => Err(axum::response::Redirect::to("/signin").into_response()),
        }
    }
}
