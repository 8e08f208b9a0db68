//! Data-rights requests in the portal (PRODUCT.md, "Data-rights requests"): anyone signed in —
//! the order's customer, or a close relative of the person who died — asks for access to, a
//! copy of, a correction of, or the erasure of what the studio holds about an order named by
//! its reference. The same service as `POST /api/v1/data-requests`, so a relative learns
//! nothing about the order until a reviewer has verified who they are: the page they land on
//! says the request is queued, whether the reference exists or not.
//!
//! Pages: the visitor's requests (`/requests`), the form (`/requests/new`, reached from an
//! order's privacy page with the order's reference filled in), one request with its next step
//! and the reviewer's reason (`/requests/{id}`), and a completed access or copy request's
//! download links (`/requests/{id}/export`, issued and audited each time it is opened).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::draft::{DateGroup, date_groups, dates};
use crate::db::data_requests::DataRequestRow;
use crate::domain::data_rights::{RequestKind, RequestStatus};
use crate::domain::order::Relationship;
use crate::error::AppError;
use crate::orders;
use crate::privacy::requests::{self, Corrections, FileCommand};
use crate::problem::Code;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::i18n::Lang;
use crate::web::page::{self, Page, Privacy};
use crate::web::visitor::{Member, Visitor};

/// How many of one's own requests the list shows (the service caps open ones at ten).
const SHOWN: u64 = 100;

/// One request, in words.
struct Line {
    id: Uuid,
    kind: String,
    reference: String,
    status: String,
    filed: String,
}

#[derive(Template)]
#[template(path = "portal/requests.html")]
struct MyRequests {
    page: Page,
    lines: Vec<Line>,
}

/// The form as typed (all text, so nothing typed is lost on an error).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RequestForm {
    kind: String,
    reference: String,
    relationship: String,
    details: String,
    name: String,
    birth_year: String,
    birth_month: String,
    birth_day: String,
    death_year: String,
    death_month: String,
    death_day: String,
    csrf: String,
}

#[derive(Template)]
#[template(path = "portal/request_new.html")]
struct NewRequest {
    page: Page,
    form: RequestForm,
    errors: FormErrors,
    /// (value, name, what it does)
    kinds: Vec<(&'static str, String, String)>,
    relationships: Vec<(&'static str, String)>,
}

impl NewRequest {
    fn date_groups(&self) -> [DateGroup<'_>; 2] {
        let f = &self.form;
        date_groups(
            [&f.birth_year, &f.birth_month, &f.birth_day],
            [&f.death_year, &f.death_month, &f.death_day],
        )
    }
}

#[derive(Template)]
#[template(path = "portal/request.html")]
struct OneRequest {
    page: Page,
    kind: String,
    reference: String,
    status: String,
    next_step: String,
    filed: String,
    details: Option<String>,
    /// The reviewer's reason, once decided.
    reason: Option<String>,
    export_link: Option<String>,
}

/// A file of a completed request's export: its name and its short-lived link.
struct Link {
    name: String,
    url: String,
}

#[derive(Template)]
#[template(path = "portal/request_export.html")]
struct ExportPage {
    page: Page,
    request_id: Uuid,
    /// Says until when the links work.
    intro: String,
    export_url: String,
    files: Vec<Link>,
}

fn kind_words(lang: Lang, kind: RequestKind) -> String {
    lang.text(&format!("requests.kind.{}", kind.as_str()))
}

fn status_words(lang: Lang, status: RequestStatus) -> String {
    lang.text(&format!("requests.status.{}", status.as_str()))
}

/// `GET /requests`: the visitor's own requests, newest first.
pub async fn mine(State(state): State<AppState>, Member { visitor, actor }: Member) -> Response {
    let seen = match requests::page(&state.db, &actor, None, None, SHOWN).await {
        Ok(seen) => seen,
        Err(err) => return page::failure(&state, &visitor, err),
    };
    let (lang, zone) = (visitor.lang, state.settings.studio.zone());
    // A reviewer's queue holds everyone's; this page is one's own.
    let mut lines: Vec<Line> = seen
        .into_iter()
        .filter(|s| s.row.requester_id == actor.id)
        .map(|s| Line {
            id: s.row.id,
            kind: kind_words(lang, s.row.kind),
            reference: s.row.order_reference,
            status: status_words(lang, s.row.status),
            filed: lang.datetime(s.row.created_at, zone),
        })
        .collect();
    lines.reverse();
    let template = MyRequests {
        page: Page::new(&state, &visitor, "requests.title"),
        lines,
    };
    page::render(
        &state,
        &visitor,
        StatusCode::OK,
        Privacy::Personal,
        &template,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FromOrder {
    /// The order whose privacy page led here: its reference is filled in (own orders only).
    order: Option<Uuid>,
}

/// `GET /requests/new`: the form, with the order's reference when coming from its page.
pub async fn new_form(
    State(state): State<AppState>,
    member: Member,
    Query(from): Query<FromOrder>,
) -> Response {
    let mut form = RequestForm::default();
    if let Some(id) = from.order {
        match orders::load_own(&state.db, &member.actor, id).await {
            Ok(order) => {
                form.reference = order.reference;
                form.relationship = order.subject.requester_relationship.as_str().to_owned();
            }
            Err(err) => return page::failure(&state, &member.visitor, err),
        }
    }
    form_page(
        &state,
        &member.visitor,
        StatusCode::OK,
        form,
        FormErrors::default(),
    )
}

fn form_page(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    form: RequestForm,
    errors: FormErrors,
) -> Response {
    let lang = visitor.lang;
    let kinds = RequestKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str(),
                kind_words(lang, *k),
                lang.text(&format!("requests.kind_hint.{}", k.as_str())),
            )
        })
        .collect();
    let relationships = Relationship::ALL
        .iter()
        .map(|r| {
            (
                r.as_str(),
                lang.text(&format!("relationship.{}", r.as_str())),
            )
        })
        .collect();
    let template = NewRequest {
        page: Page::new(state, visitor, "requests.new_title"),
        form,
        errors,
        kinds,
        relationships,
    };
    page::render(state, visitor, status, Privacy::Personal, &template)
}

impl RequestForm {
    /// The command, or every field that does not parse, in words.
    fn parse(&self, lang: Lang) -> Result<FileCommand, FormErrors> {
        let mut errors = FormErrors::default();
        let kind = RequestKind::parse(&self.kind);
        if kind.is_none() {
            errors.add("kind", lang.t("requests.error.kind"));
        }
        let relationship = Relationship::parse(&self.relationship);
        if relationship.is_none() {
            errors.add("relationship", lang.t("about.error.relationship"));
        }
        let (birth_date, death_date) = dates(
            &mut errors,
            lang,
            [&self.birth_year, &self.birth_month, &self.birth_day],
            [&self.death_year, &self.death_month, &self.death_day],
        );
        let name = Some(self.name.trim().to_owned()).filter(|n| !n.is_empty());
        let (Some(kind), Some(relationship)) = (kind, relationship) else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        // Corrections travel only with a correction: typed under another kind they are not
        // sent (the form says the boxes are for a correction).
        let corrections = (kind == RequestKind::Correction).then_some(Corrections {
            name,
            birth_date,
            death_date,
        });
        Ok(FileCommand {
            kind,
            order_reference: self.reference.clone(),
            relationship_to_subject: relationship,
            details: Some(self.details.clone()),
            corrections,
        })
    }
}

/// `POST /requests`: file it, then show it.
pub async fn file(
    State(state): State<AppState>,
    Member { visitor, actor }: Member,
    Form(form): Form<RequestForm>,
) -> Response {
    if !visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(visitor.lang);
        return form_page(&state, &visitor, StatusCode::FORBIDDEN, form, errors);
    }
    let command = match form.parse(visitor.lang) {
        Ok(command) => command,
        Err(errors) => {
            return form_page(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
            );
        }
    };
    match requests::file(&state.db, &actor, command).await {
        Ok(filed) => page::see_other(&format!("/requests/{}", filed.row.id)),
        Err(err) if err.status().is_client_error() => {
            let fields = [
                (Code::InvalidReference, "reference"),
                (Code::DetailsTooLong, "details"),
                (Code::CorrectionsRequired, "name"),
                (Code::InvalidIntake, correction_field(&err)),
            ];
            let errors = FormErrors::from_refusal(visitor.lang, &err, &fields);
            form_page(&state, &visitor, err.status(), form, errors)
        }
        Err(err) => page::failure(&state, &visitor, err),
    }
}

/// The correction field an `invalid_intake` refusal names (the service says which).
fn correction_field(err: &AppError) -> &'static str {
    let named = match err {
        AppError::Unprocessable {
            extra: Some(extra), ..
        } => extra.get("field").and_then(|f| f.as_str()).unwrap_or(""),
        _ => "",
    };
    match named {
        "birth_date" => "birth_date",
        "death_date" => "death_date",
        _ => "name",
    }
}

/// `GET /requests/{id}`: where the request stands and what happens next.
pub async fn show(
    State(state): State<AppState>,
    Member { visitor, actor }: Member,
    Path(id): Path<Uuid>,
) -> Response {
    let seen = match requests::get(&state.db, &actor, id).await {
        Ok(seen) if seen.row.requester_id == actor.id => seen,
        Ok(_) => return page::failure(&state, &visitor, not_found()),
        Err(err) => return page::failure(&state, &visitor, err),
    };
    let (lang, zone) = (visitor.lang, state.settings.studio.zone());
    let row: DataRequestRow = seen.row;
    let next_step = lang.text(&format!(
        "requests.next.{}",
        next_step_key(&row, seen.reveals_order)
    ));
    let template = OneRequest {
        page: Page::new(&state, &visitor, "requests.one_title"),
        kind: kind_words(lang, row.kind),
        reference: row.order_reference.clone(),
        status: status_words(lang, row.status),
        next_step,
        filed: lang.datetime(row.created_at, zone),
        details: row.details.clone(),
        reason: row.decision_reason.clone(),
        export_link: row
            .export_key
            .is_some()
            .then(|| format!("/requests/{}/export", row.id)),
    };
    page::render(
        &state,
        &visitor,
        StatusCode::OK,
        Privacy::Personal,
        &template,
    )
}

/// Which sentence says what happens next.
fn next_step_key(row: &DataRequestRow, reveals_order: bool) -> &'static str {
    match row.status {
        RequestStatus::Submitted if reveals_order => "submitted_own",
        RequestStatus::Submitted => "submitted_other",
        RequestStatus::IdentityVerified => "identity_verified",
        RequestStatus::Approved => "approved",
        RequestStatus::Denied => "denied",
        RequestStatus::Completed if row.export_key.is_some() => "completed_export",
        RequestStatus::Completed => "completed",
    }
}

fn not_found() -> AppError {
    AppError::NotFound {
        code: Code::RequestNotFound,
        detail: "no such request".into(),
    }
}

/// `GET /requests/{id}/export`: short-lived links to the export and each file still held
/// (issued and audited now).
pub async fn export(
    State(state): State<AppState>,
    Member { visitor, actor }: Member,
    Path(id): Path<Uuid>,
) -> Response {
    let links = match requests::export_links(&state, &actor, id).await {
        Ok(links) => links,
        Err(err) => return page::failure(&state, &visitor, err),
    };
    let (lang, zone) = (visitor.lang, state.settings.studio.zone());
    let template = ExportPage {
        page: Page::new(&state, &visitor, "requests.export_title"),
        request_id: id,
        intro: lang.fill(
            "requests.export_intro",
            &[("at", &lang.datetime(links.export.expires_at, zone))],
        ),
        export_url: links.export.request.url,
        files: links
            .files
            .into_iter()
            .map(|f| Link {
                name: f.file_name,
                url: f.download.request.url,
            })
            .collect(),
    };
    page::render(
        &state,
        &visitor,
        StatusCode::OK,
        Privacy::Personal,
        &template,
    )
}
