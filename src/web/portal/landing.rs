//! The landing page: what the studio makes (the two modes in plain words), what it costs and
//! how long it takes, how consent and privacy work, the way in (register / sign in), and an
//! inquiry form for someone not ready to register (the `inquiries` service: stored, mailed to
//! the studio, counted in the funnel). A sent inquiry lands on a short thank-you page.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::accounts;
use crate::audit::Actor as AuditActor;
use crate::error::AppError;
use crate::inquiries::{self, Inquiry};
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::page::{self, Page, Privacy};
use crate::web::visitor::Visitor;

#[derive(Template)]
#[template(path = "portal/landing.html")]
struct Landing {
    page: Page,
    price_range: String,
    promise_days: String,
    inquiry: InquiryForm,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "portal/inquiry_sent.html")]
struct InquirySent {
    page: Page,
}

/// The inquiry form as posted (and shown again with its errors).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InquiryForm {
    name: String,
    contact: String,
    message: String,
    csrf: String,
}

pub async fn show(State(state): State<AppState>, visitor: Visitor) -> Response {
    landing(
        &state,
        &visitor,
        StatusCode::OK,
        InquiryForm::default(),
        FormErrors::default(),
    )
}

fn landing(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    inquiry: InquiryForm,
    errors: FormErrors,
) -> Response {
    let studio = &state.settings.studio;
    let lang = visitor.lang;
    let template = Landing {
        price_range: lang.fill(
            "landing.price_range",
            &[
                ("from", &lang.money(studio.price_from_minor, "CNY")),
                ("to", &lang.money(studio.price_to_minor, "CNY")),
            ],
        ),
        promise_days: lang.fill("landing.promise", &[("from", "5"), ("to", "7")]),
        page: Page::new(state, visitor, "landing.title"),
        inquiry,
        errors,
    };
    // The form shown again holds what the sender typed: not for shared caches.
    let privacy = if template.errors.is_empty() {
        Privacy::Public
    } else {
        Privacy::Personal
    };
    page::render(state, visitor, status, privacy, &template)
}

/// Leave an inquiry: every wrong field said next to it at once; sent, the thank-you page.
pub async fn inquire(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    visitor: Visitor,
    Form(form): Form<InquiryForm>,
) -> Response {
    if !visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(visitor.lang);
        return landing(&state, &visitor, StatusCode::FORBIDDEN, form, errors);
    }
    let inquiry = Inquiry {
        name: form.name.clone(),
        contact: form.contact.clone(),
        message: form.message.clone(),
        language: visitor.lang.tag().to_owned(),
    };
    let problems = inquiries::problems(&inquiry);
    if !problems.is_empty() {
        let mut errors = FormErrors::default();
        for (field, code) in problems {
            errors.add(field, visitor.lang.said(code));
        }
        return landing(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            errors,
        );
    }
    let who = visitor
        .actor()
        .map_or_else(AuditActor::anonymous, |actor| actor.audit());
    let client = accounts::client_address(&visitor.headers, peer, &state.settings.auth);
    let left = inquiries::leave(
        &state.db,
        &who,
        visitor.request_id.as_deref(),
        &client,
        inquiry,
        crate::db::now(),
    )
    .await;
    match left {
        Ok(_) => page::see_other("/inquiry/sent"),
        Err(AppError::TooManyRequests { retry_after_secs }) => {
            let minutes = retry_after_secs.div_ceil(60).max(1).to_string();
            let errors = FormErrors::whole(
                visitor
                    .lang
                    .fill("inquiry.too_many", &[("minutes", &minutes)]),
            );
            landing(
                &state,
                &visitor,
                StatusCode::TOO_MANY_REQUESTS,
                form,
                errors,
            )
        }
        Err(err) if err.status().is_client_error() => {
            let errors = FormErrors::from_refusal(visitor.lang, &err, &[]);
            landing(&state, &visitor, err.status(), form, errors)
        }
        Err(err) => page::failure(&state, &visitor, err),
    }
}

pub async fn sent(State(state): State<AppState>, visitor: Visitor) -> Response {
    let template = InquirySent {
        page: Page::new(&state, &visitor, "inquiry.sent_title"),
    };
    page::render(&state, &visitor, StatusCode::OK, Privacy::Public, &template)
}
