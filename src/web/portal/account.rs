//! Register, sign in, sign out — the same account and session services as the JSON API; a
//! page session is the API's cookie session (HttpOnly token + readable CSRF token).

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::accounts;
use crate::audit::Actor as AuditActor;
use crate::cookies;
use crate::domain::account::Role;
use crate::error::AppError;
use crate::problem::Code;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::page::{self, Page, Privacy};
use crate::web::visitor::Visitor;

/// Where a signed-in person lands.
const HOME: &str = "/orders";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Credentials {
    email: String,
    password: String,
    csrf: String,
}

#[derive(Template)]
#[template(path = "portal/signin.html")]
struct SignIn {
    page: Page,
    email: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "portal/register.html")]
struct Register {
    page: Page,
    email: String,
    errors: FormErrors,
}

pub async fn sign_in_form(State(state): State<AppState>, visitor: Visitor) -> Response {
    if visitor.signed_in.is_some() {
        return page::see_other(HOME);
    }
    let template = SignIn {
        page: Page::new(&state, &visitor, "signin.title"),
        email: String::new(),
        errors: FormErrors::default(),
    };
    page::render(&state, &visitor, StatusCode::OK, Privacy::Public, &template)
}

pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    visitor: Visitor,
    Form(form): Form<Credentials>,
) -> Response {
    let refused = |errors: FormErrors, status: StatusCode, email: String| {
        let template = SignIn {
            page: Page::new(&state, &visitor, "signin.title"),
            email,
            errors,
        };
        page::render(&state, &visitor, status, Privacy::Public, &template)
    };
    if !visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(visitor.lang);
        return refused(errors, StatusCode::FORBIDDEN, form.email);
    }
    let attempt = accounts::LoginAttempt {
        email: form.email.clone(),
        password: form.password,
        client: accounts::client_address(&visitor.headers, peer, &state.settings.auth),
        request_id: visitor.request_id.clone(),
    };
    match accounts::login(&state.db, &state.settings.auth, attempt).await {
        Ok(session) => signed_in(&state, session),
        Err(err @ (AppError::Unauthorized(_) | AppError::TooManyRequests { .. })) => {
            let mut errors = FormErrors::default();
            let message = match &err {
                AppError::TooManyRequests { retry_after_secs } => visitor.lang.fill(
                    "problem.too_many_attempts",
                    &[("minutes", &retry_after_secs.div_ceil(60).max(1).to_string())],
                ),
                _ => visitor.lang.t("signin.wrong").to_owned(),
            };
            errors.add("password", message);
            refused(errors, err.status(), form.email)
        }
        Err(err) => page::failure(&state, &visitor, err),
    }
}

/// The session's cookies on a redirect home.
fn signed_in(state: &AppState, session: accounts::OpenSession) -> Response {
    let mut response = page::see_other(HOME);
    let secure = state.settings.auth.secure_cookies;
    let max_age = session.lifetime.num_seconds();
    for value in cookies::session(&session.token, &session.csrf_token, max_age, secure) {
        cookies::set(response.headers_mut(), &value);
    }
    response
}

pub async fn register_form(State(state): State<AppState>, visitor: Visitor) -> Response {
    if visitor.signed_in.is_some() {
        return page::see_other(HOME);
    }
    let template = Register {
        page: Page::new(&state, &visitor, "register.title"),
        email: String::new(),
        errors: FormErrors::default(),
    };
    page::render(&state, &visitor, StatusCode::OK, Privacy::Public, &template)
}

/// Create a customer account and sign it in at once.
pub async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    visitor: Visitor,
    Form(form): Form<Credentials>,
) -> Response {
    let refused = |errors: FormErrors, status: StatusCode, email: String| {
        let template = Register {
            page: Page::new(&state, &visitor, "register.title"),
            email,
            errors,
        };
        page::render(&state, &visitor, status, Privacy::Public, &template)
    };
    if !visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(visitor.lang);
        return refused(errors, StatusCode::FORBIDDEN, form.email);
    }
    let account = accounts::NewAccount {
        email: form.email.clone(),
        password: form.password.clone(),
        roles: vec![Role::Customer],
    };
    let created = accounts::create(
        &state.db,
        &AuditActor::anonymous(),
        account,
        visitor.request_id.as_deref(),
    )
    .await;
    if let Err(err) = created {
        if err.status().is_server_error() {
            return page::failure(&state, &visitor, err);
        }
        let fields = [
            (Code::InvalidEmail, "email"),
            (Code::EmailTaken, "email"),
            (Code::WeakPassword, "password"),
        ];
        let errors = FormErrors::from_refusal(visitor.lang, &err, &fields);
        return refused(errors, err.status(), form.email);
    }
    let attempt = accounts::LoginAttempt {
        email: form.email,
        password: form.password,
        client: accounts::client_address(&visitor.headers, peer, &state.settings.auth),
        request_id: visitor.request_id.clone(),
    };
    match accounts::login(&state.db, &state.settings.auth, attempt).await {
        Ok(session) => signed_in(&state, session),
        // Created but not signed in (throttled): the sign-in page says why.
        Err(_) => page::see_other("/signin"),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignOut {
    csrf: String,
}

/// End this browser's session (its token stops working at once) and forget its cookies.
pub async fn sign_out(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<SignOut>,
) -> Response {
    let (Some(signed_in), Some(actor)) = (&visitor.signed_in, visitor.actor()) else {
        return page::see_other("/");
    };
    if !visitor.form_token_matches(&form.csrf) {
        return page::failure(&state, &visitor, csrf_refusal());
    }
    if let Err(err) = accounts::logout(&state.db, &actor, signed_in.session_id).await {
        return page::failure(&state, &visitor, err);
    }
    let mut response = page::see_other("/");
    for value in cookies::session_ended() {
        cookies::set(response.headers_mut(), &value);
    }
    response
}

/// A signed-in form posted without its session's token.
pub fn csrf_refusal() -> AppError {
    AppError::Forbidden {
        code: Code::CsrfTokenMissing,
        detail: "this form was not sent from this site's page".into(),
    }
}
