//! `/desk/requests/{id}`: a reviewer's page for one data-rights request — what is asked
//! (see what is held, a copy, a correction with the new details, erasure), by whom (their
//! account and relationship), which order the reference matched, and the two steps: first the
//! identity check (how it was done; signing in proves only the account, so it suffices only
//! for the order's own customer), then the decision with its mandatory reason. Approving
//! carries the request out at once; if that failed, approving again retries.
//!
//! Separation of duties is shown before the reviewer tries (their own request or order, or an
//! order they worked on as staff: the buttons are disabled with the reason), and enforced by
//! the same service as `/api/v1/data-requests/{rid}/…`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::Studio;
use crate::db;
use crate::domain::data_rights::{IdentityMethod, RequestDecision, RequestStatus};
use crate::error::AppError;
use crate::privacy::requests::{self, Bar, ForReview, IdentityCheck};
use crate::problem::Code;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::i18n::Lang;
use crate::web::page::{self, Page, Privacy};

/// A choice: (value, words).
type Choice = (&'static str, String);

#[derive(Template)]
#[template(path = "desk/request.html")]
struct RequestPage {
    page: Page,
    id: Uuid,
    title: String,
    status: String,
    facts: Vec<(String, String)>,
    /// The matched order (id, reference), when the reference matched one.
    order: Option<(Uuid, String)>,
    /// Why this reviewer may not act, in words.
    barred: Option<String>,
    /// The identity step is next.
    verify: bool,
    methods: Vec<Choice>,
    /// "Signing in is enough only for the order's own customer; this requester is …".
    method_hint: String,
    decisions: Vec<Choice>,
    method: String,
    note: String,
    chosen: String,
    reason: String,
    /// The catalog key saying who reads the reason.
    reason_hint: &'static str,
    errors: FormErrors,
}

/// Either step's form, shown again with its errors.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepForm {
    csrf: String,
    method: String,
    note: String,
    decision: String,
    reason: String,
}

/// `GET /desk/requests/{id}`.
pub async fn show(State(state): State<AppState>, studio: Studio, Path(id): Path<Uuid>) -> Response {
    let status = StatusCode::OK;
    render(
        &state,
        &studio,
        id,
        StepForm::default(),
        FormErrors::default(),
        status,
    )
    .await
}

async fn render(
    state: &AppState,
    Studio { visitor, actor }: &Studio,
    id: Uuid,
    form: StepForm,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let (lang, zone) = (visitor.lang, state.settings.studio.zone());
    let loaded = async {
        let found = requests::for_review(&state.db, actor, id).await?;
        let requester = db::users::find(&state.db, found.row.requester_id).await?;
        Ok::<_, AppError>((found, requester.map(|u| u.email)))
    };
    let (ForReview { row, order, bar }, requester) = match loaded.await {
        Ok(found) => found,
        Err(err) => return page::failure(state, visitor, err),
    };
    let is_customer = order
        .as_ref()
        .is_some_and(|o| o.customer_id == Some(row.requester_id));
    let mut facts = vec![
        (
            lang.text("desk.request.filed"),
            lang.datetime(row.created_at, zone),
        ),
        (
            lang.text("desk.request.requester"),
            requester.unwrap_or_else(|| lang.text("desk.someone")),
        ),
        (
            lang.text("desk.request.relationship"),
            lang.lookup(&format!("relationship.{}", row.relationship))
                .map_or_else(|| row.relationship.clone(), str::to_owned),
        ),
        (
            lang.text("desk.request.reference"),
            row.order_reference.clone(),
        ),
    ];
    if let Some(details) = row.details.as_ref().filter(|d| !d.trim().is_empty()) {
        facts.push((lang.text("desk.request.details"), details.clone()));
    }
    if let Some(corrections) = &row.corrections {
        for (field, value) in corrections.as_object().into_iter().flatten() {
            if let Some(value) = value.as_str() {
                let label = lang.text(&format!("desk.request.correct_{field}"));
                facts.push((label, value.to_owned()));
            }
        }
    }
    if let (Some(method), Some(at)) = (row.identity_method, row.identity_verified_at) {
        let mut said = lang.fill(
            "desk.request.identity_done",
            &[
                (
                    "method",
                    &lang.text(&format!("desk.identity.{}", method.as_str())),
                ),
                ("at", &lang.datetime(at, zone)),
            ],
        );
        if let Some(note) = &row.identity_note {
            said.push_str(" — ");
            said.push_str(note);
        }
        facts.push((lang.text("desk.request.identity"), said));
    }
    if let (Some(reason), Some(at)) = (&row.decision_reason, row.decided_at) {
        let said = lang.fill(
            "desk.request.decided",
            &[("at", &lang.datetime(at, zone)), ("reason", reason)],
        );
        facts.push((lang.text("desk.request.decision"), said));
    }
    let decisions: Vec<RequestDecision> = match row.status {
        RequestStatus::Submitted => vec![RequestDecision::Deny],
        RequestStatus::IdentityVerified => vec![RequestDecision::Approve, RequestDecision::Deny],
        RequestStatus::Approved => vec![RequestDecision::Approve],
        RequestStatus::Denied | RequestStatus::Completed => Vec::new(),
    };
    let template = RequestPage {
        page: Page::new(state, visitor, "desk.request_title"),
        id,
        title: lang.text(&format!("requests.kind.{}", row.kind.as_str())),
        status: lang.text(&format!("desk.request_status.{}", row.status.as_str())),
        facts,
        order: order.map(|o| (o.id, o.reference)),
        barred: bar.map(|b| bar_words(lang, b)),
        verify: row.status == RequestStatus::Submitted,
        methods: IdentityMethod::ALL
            .iter()
            .map(|m| {
                (
                    m.as_str(),
                    lang.text(&format!("desk.identity.{}", m.as_str())),
                )
            })
            .collect(),
        method_hint: lang.text(if is_customer {
            "desk.request.hint_customer"
        } else {
            "desk.request.hint_relative"
        }),
        decisions: decisions
            .into_iter()
            .map(|d| {
                let key = match (d, row.status) {
                    (RequestDecision::Approve, RequestStatus::Approved) => "retry",
                    (RequestDecision::Approve, _) => "approve",
                    (RequestDecision::Deny, _) => "deny",
                };
                (d.as_str(), lang.text(&format!("desk.request.{key}")))
            })
            .collect(),
        method: form.method,
        note: form.note,
        chosen: form.decision,
        reason: form.reason,
        reason_hint: "desk.request.reason_hint",
        errors,
    };
    page::render(state, visitor, status, Privacy::Personal, &template)
}

fn bar_words(lang: Lang, bar: Bar) -> String {
    lang.text(match bar {
        Bar::NotReviewer => "desk.barred.not_reviewer",
        Bar::OwnRequest => "desk.barred.own_request",
        Bar::WorkedOn => "desk.barred.worked_on",
    })
}

/// `POST /desk/requests/{id}/identity`: how the requester's identity was checked.
pub async fn verify(
    State(state): State<AppState>,
    studio: Studio,
    Path(id): Path<Uuid>,
    Form(form): Form<StepForm>,
) -> Response {
    let lang = studio.visitor.lang;
    if !studio.visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(lang);
        return render(&state, &studio, id, form, errors, StatusCode::FORBIDDEN).await;
    }
    let Some(method) = IdentityMethod::parse(&form.method) else {
        let mut errors = FormErrors::default();
        errors.add("method", lang.t("desk.error.method"));
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(&state, &studio, id, form, errors, status).await;
    };
    let check = IdentityCheck {
        method,
        note: Some(form.note.trim().to_owned()).filter(|n| !n.is_empty()),
    };
    let done = requests::verify_identity(&state, &studio.actor, id, check).await;
    let fields = [
        (Code::MethodInsufficient, "method"),
        (Code::ReasonTooLong, "note"),
    ];
    after(&state, studio, id, form, done.map(|_| ()), &fields).await
}

/// `POST /desk/requests/{id}/decision`: approve or deny, with the reason.
pub async fn decide(
    State(state): State<AppState>,
    studio: Studio,
    Path(id): Path<Uuid>,
    Form(form): Form<StepForm>,
) -> Response {
    let lang = studio.visitor.lang;
    if !studio.visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(lang);
        return render(&state, &studio, id, form, errors, StatusCode::FORBIDDEN).await;
    }
    let mut errors = FormErrors::default();
    let decision = RequestDecision::parse(&form.decision);
    if decision.is_none() {
        errors.add("decision", lang.t("desk.error.decision"));
    }
    if form.reason.trim().is_empty() {
        errors.add("reason", lang.t("desk.error.reason"));
    }
    let Some(decision) = decision.filter(|_| errors.is_empty()) else {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(&state, &studio, id, form, errors, status).await;
    };
    let reason = form.reason.trim().to_owned();
    let done = requests::decide(&state, &studio.actor, id, decision, Some(&reason)).await;
    let fields = [
        (Code::ReasonRequired, "reason"),
        (Code::ReasonTooLong, "reason"),
    ];
    after(&state, studio, id, form, done.map(|_| ()), &fields).await
}

async fn after(
    state: &AppState,
    studio: Studio,
    id: Uuid,
    form: StepForm,
    done: Result<(), AppError>,
    fields: &[(Code, &'static str)],
) -> Response {
    match done {
        Ok(()) => page::see_other(&format!("/desk/requests/{id}")),
        Err(err) if err.status().is_client_error() => {
            let errors = FormErrors::from_refusal(studio.visitor.lang, &err, fields);
            render(state, &studio, id, form, errors, err.status()).await
        }
        Err(err) => page::failure(state, &studio.visitor, err),
    }
}
