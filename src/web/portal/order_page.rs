//! One order, as its family sees it: where it stands in words, the promised date, what is
//! still needed before it can be sent (each item with the step that fixes it), the send
//! button, and the timeline of everything that happened to it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::intake;
use crate::domain::order::OrderAction;
use crate::error::AppError;
use crate::orders;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::page::{self, Page, Privacy};
use crate::web::visitor::Member;
use crate::web::words::{event_in_words, samples_in_words};

/// A thing still needed, in words, with the page that fixes it.
struct Missing {
    text: String,
    href: String,
}

struct Event {
    at: String,
    text: String,
}

#[derive(Template)]
#[template(path = "portal/order.html")]
struct OrderPage {
    page: Page,
    id: Uuid,
    reference: String,
    heading: String,
    status: String,
    mode: String,
    promised: Option<String>,
    /// Draft or needs information: the family can still change and send it.
    editable: bool,
    version: i32,
    missing: Vec<Missing>,
    samples: Vec<String>,
    samples_ready: bool,
    events: Vec<Event>,
    errors: FormErrors,
    more: super::order_sections::Sections,
}

async fn show_with(
    state: &AppState,
    Member { visitor, actor }: &Member,
    id: Uuid,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let order = match orders::load_own(&state.db, actor, id).await {
        Ok(order) => order,
        Err(err) => return page::failure(state, visitor, err),
    };
    let (report, entries) = match tokio::try_join!(
        orders::sufficiency(state, &order),
        orders::timeline(&state.db, actor, id)
    ) {
        Ok(found) => found,
        Err(err) => return page::failure(state, visitor, err),
    };
    let (lang, zone) = (visitor.lang, state.settings.studio.zone());
    let more = match super::order_sections::load(state, actor, &order, &entries, lang).await {
        Ok(more) => more,
        Err(err) => return page::failure(state, visitor, err),
    };
    let missing = intake::missing_for_submit(&order.subject, &order.intake, order.delivery_mode)
        .into_iter()
        .map(|field| Missing {
            text: lang.text(&format!("missing.{field}")),
            href: if field.starts_with("subject.") {
                format!(
                    "/orders/{id}/about#{}",
                    field.trim_start_matches("subject.")
                )
            } else {
                format!(
                    "/orders/{id}/questions#{}",
                    field.trim_start_matches("intake.")
                )
            },
        })
        .collect();
    let template = OrderPage {
        page: Page::new(state, visitor, "order.title"),
        id,
        reference: order.reference.clone(),
        heading: lang.fill("order.heading", &[("name", &order.subject.name)]),
        status: lang.text(&format!("status.{}", order.status.as_str())),
        mode: lang.text(&format!("mode.{}", order.delivery_mode.as_str())),
        promised: order.promised_at.map(|at| lang.datetime(at, zone)),
        editable: order.status.intake_editable(),
        version: order.version,
        missing,
        samples: samples_in_words(lang, &report),
        samples_ready: report.passed,
        events: entries
            .iter()
            .rev()
            .map(|e| Event {
                at: lang.datetime(e.at, zone),
                text: event_in_words(lang, e),
            })
            .collect(),
        errors,
        more,
    };
    page::render(state, visitor, status, Privacy::Personal, &template)
}

/// `GET /orders/{id}`.
pub async fn show(State(state): State<AppState>, member: Member, Path(id): Path<Uuid>) -> Response {
    show_with(&state, &member, id, FormErrors::default(), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SendForm {
    version: String,
    csrf: String,
}

/// `POST /orders/{id}/submit`: send the order to the studio; what stops it is said on the
/// order page.
pub async fn submit(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<Uuid>,
    Form(form): Form<SendForm>,
) -> Response {
    let (visitor, actor) = (&member.visitor, &member.actor);
    let lang = visitor.lang;
    if !visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(lang);
        return show_with(&state, &member, id, errors, StatusCode::FORBIDDEN).await;
    }
    let expected = form.version.parse().unwrap_or(-1);
    let input = orders::ActionInput::default();
    match orders::act(&state, actor, id, expected, OrderAction::Submit, input).await {
        Ok(_) => page::see_other(&format!("/orders/{id}")),
        Err(AppError::PreconditionFailed { .. }) => {
            let errors = FormErrors::whole(lang.t("form.changed_meanwhile"));
            show_with(&state, &member, id, errors, StatusCode::CONFLICT).await
        }
        Err(err) if err.status().is_client_error() => {
            let errors = FormErrors::whole(lang.said(err.code()));
            show_with(&state, &member, id, errors, err.status()).await
        }
        Err(err) => page::failure(&state, visitor, err),
    }
}
