//! A new order, in steps a family can leave and come back to: the order is created as a
//! draft at the first step ("about them": who they were, how the family is related, which of
//! the two ways) and each later step edits it. "My orders" and the order page lead back to
//! the first step not yet done.
//!
//! Creating is once per form (a hidden key, claimed like the API's `Idempotency-Key`), so a
//! double click or a resent form makes one order. Editing names the version the form was
//! made from; when the order changed meanwhile, the page says so and shows the latest.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::actor::Actor;
use crate::auth::token;
use crate::db::orders::OrderRecord;
use crate::domain::intake::{IntakeAnswers, Subject};
use crate::domain::order::{DeliveryMode, Relationship};
use crate::error::AppError;
use crate::idempotency::{self, Once};
use crate::orders;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::i18n::Lang;
use crate::web::page::{self, Page, Privacy};
use crate::web::visitor::{Member, Visitor};

/// The "about them" form as typed (every field text, so nothing typed is lost on an error).
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct AboutForm {
    name: String,
    relationship: String,
    /// `"yes"` when the person is still living (a living twin always is).
    living: String,
    birth_year: String,
    birth_month: String,
    birth_day: String,
    death_year: String,
    death_month: String,
    death_day: String,
    mode: String,
    /// The form's one-time key (new orders only).
    #[serde(skip_serializing)]
    once: String,
    #[serde(skip_serializing)]
    version: String,
    #[serde(skip_serializing)]
    csrf: String,
}

impl AboutForm {
    fn from_order(order: &OrderRecord) -> Self {
        let s = &order.subject;
        Self {
            name: s.name.clone(),
            relationship: s.requester_relationship.as_str().to_owned(),
            living: if s.living {
                "yes".into()
            } else {
                String::new()
            },
            birth_year: part(s.birth_date, |d| d.year().to_string()),
            birth_month: part(s.birth_date, |d| d.month().to_string()),
            birth_day: part(s.birth_date, |d| d.day().to_string()),
            death_year: part(s.death_date, |d| d.year().to_string()),
            death_month: part(s.death_date, |d| d.month().to_string()),
            death_day: part(s.death_date, |d| d.day().to_string()),
            mode: order.delivery_mode.as_str().to_owned(),
            once: String::new(),
            version: order.version.to_string(),
            csrf: String::new(),
        }
    }

    /// The subject and mode, or the fields that don't parse, said in words.
    fn parse(&self, lang: Lang) -> Result<(Subject, DeliveryMode), FormErrors> {
        let mut errors = FormErrors::default();
        if self.name.trim().is_empty() {
            errors.add("name", lang.t("about.error.name"));
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
        let mode = DeliveryMode::parse(&self.mode);
        if mode.is_none() {
            errors.add("mode", lang.t("about.error.mode"));
        }
        match (relationship, mode) {
            (Some(relationship), Some(mode)) if errors.is_empty() => {
                let is_self = relationship == Relationship::OneSelf;
                Ok((
                    Subject {
                        name: self.name.trim().to_owned(),
                        requester_relationship: relationship,
                        birth_date,
                        death_date,
                        living: is_self || self.living == "yes",
                        living_twin: is_self,
                    },
                    mode,
                ))
            }
            _ => Err(errors),
        }
    }
}

/// The birth and death dates typed as year, month and day boxes; one that is not a real day
/// is said next to its boxes (and read as none).
pub(super) fn dates(
    errors: &mut FormErrors,
    lang: Lang,
    birth: [&str; 3],
    death: [&str; 3],
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let mut date = |field: &'static str, [y, m, d]: [&str; 3]| match date_of(y, m, d) {
        Ok(date) => date,
        Err(()) => {
            errors.add(field, lang.t("about.error.date_format"));
            None
        }
    };
    (date("birth_date", birth), date("death_date", death))
}

/// The two date groups `date_group.html` draws, as (field, name prefix, legend key, year,
/// month, day).
pub(super) type DateGroup<'a> = (
    &'static str,
    &'static str,
    &'static str,
    &'a str,
    &'a str,
    &'a str,
);

pub(super) fn date_groups<'a>(birth: [&'a str; 3], death: [&'a str; 3]) -> [DateGroup<'a>; 2] {
    [
        (
            "birth_date",
            "birth",
            "about.birth_date",
            birth[0],
            birth[1],
            birth[2],
        ),
        (
            "death_date",
            "death",
            "about.death_date",
            death[0],
            death[1],
            death[2],
        ),
    ]
}

/// A date typed as year, month and day: all empty is no date; anything else must be a real
/// day.
fn date_of(year: &str, month: &str, day: &str) -> Result<Option<NaiveDate>, ()> {
    let (year, month, day) = (year.trim(), month.trim(), day.trim());
    if year.is_empty() && month.is_empty() && day.is_empty() {
        return Ok(None);
    }
    let year: i32 = year.parse().map_err(|_| ())?;
    let month: u32 = month.parse().map_err(|_| ())?;
    let day: u32 = day.parse().map_err(|_| ())?;
    if !(1800..=9999).contains(&year) {
        return Err(());
    }
    NaiveDate::from_ymd_opt(year, month, day)
        .map(Some)
        .ok_or(())
}

/// One part of an optional date, as text.
fn part(date: Option<NaiveDate>, of: impl Fn(NaiveDate) -> String) -> String {
    date.map(of).unwrap_or_default()
}

/// A service refusal of the intake (`invalid_intake` names its field) next to that field.
fn intake_refusal(lang: Lang, err: &AppError) -> FormErrors {
    let field = match err {
        AppError::Unprocessable {
            extra: Some(extra), ..
        } => extra
            .get("field")
            .and_then(|f| f.as_str())
            .unwrap_or_default(),
        _ => "",
    };
    let (id, key) = match field {
        "subject.name" => ("name", "about.error.name"),
        "subject.birth_date" => ("birth_date", "about.error.birth_date"),
        "subject.death_date" => ("death_date", "about.error.death_date"),
        "subject.requester_relationship" | "subject.living_twin" => {
            ("relationship", "about.error.relationship_self")
        }
        "intake.purpose" => ("purpose", "questions.error.too_long"),
        "intake.family_awareness" => ("family_awareness", "questions.error.too_long"),
        "intake.support_network" => ("support_network", "questions.error.too_long"),
        "intake.notes" => ("notes", "questions.error.too_long"),
        _ => return FormErrors::whole(lang.said(err.code())),
    };
    let mut errors = FormErrors::default();
    errors.add(id, lang.t(key));
    errors
}

#[derive(Template)]
#[template(path = "portal/about.html")]
struct About {
    page: Page,
    form: AboutForm,
    /// Where the form posts: `/orders/new` or `/orders/{id}/about`.
    action: String,
    errors: FormErrors,
    relationships: Vec<(&'static str, String)>,
    modes: Vec<(&'static str, String, String)>,
    steps: Steps,
}

/// The steps of a draft, for the progress list at the top of each.
pub struct Steps {
    pub order_id: Option<Uuid>,
    /// Which step this page is (1-based).
    pub current: u8,
    pub about_done: bool,
    pub questions_done: bool,
}

/// One step as the progress list shows it.
pub struct StepItem {
    pub key: &'static str,
    /// A link unless it is this page or not reachable yet.
    pub href: Option<String>,
    pub current: bool,
    pub done: bool,
}

impl Steps {
    pub fn items(&self) -> Vec<StepItem> {
        const KEYS: [&str; 4] = [
            "steps.about",
            "steps.questions",
            "steps.samples",
            "steps.send",
        ];
        (1u8..=4)
            .zip(KEYS)
            .map(|(n, key)| StepItem {
                key,
                href: (self.reachable(n) && n != self.current).then(|| self.href(n)),
                current: n == self.current,
                done: self.done(n),
            })
            .collect()
    }

    fn href(&self, step: u8) -> String {
        match (self.order_id, step) {
            (None, _) => "/orders/new".to_owned(),
            (Some(id), 1) => format!("/orders/{id}/about"),
            (Some(id), 2) => format!("/orders/{id}/questions"),
            (Some(id), 3) => format!("/orders/{id}/samples"),
            (Some(id), _) => format!("/orders/{id}"),
        }
    }

    fn reachable(&self, step: u8) -> bool {
        step == 1 || self.order_id.is_some()
    }

    fn done(&self, step: u8) -> bool {
        match step {
            1 => self.about_done,
            2 => self.questions_done,
            _ => false,
        }
    }
}

impl About {
    fn date_groups(&self) -> [DateGroup<'_>; 2] {
        let f = &self.form;
        date_groups(
            [&f.birth_year, &f.birth_month, &f.birth_day],
            [&f.death_year, &f.death_month, &f.death_day],
        )
    }
}

fn about_page(
    state: &AppState,
    visitor: &Visitor,
    form: AboutForm,
    order_id: Option<Uuid>,
    errors: FormErrors,
) -> About {
    let lang = visitor.lang;
    let relationships = Relationship::ALL
        .iter()
        .map(|r| {
            (
                r.as_str(),
                lang.text(&format!("relationship.{}", r.as_str())),
            )
        })
        .collect();
    let modes = DeliveryMode::ALL
        .iter()
        .map(|m| {
            (
                m.as_str(),
                lang.text(&format!("mode.{}", m.as_str())),
                lang.text(&format!("landing.{}", m.as_str())),
            )
        })
        .collect();
    About {
        page: Page::new(state, visitor, "about.title"),
        action: order_id.map_or_else(
            || "/orders/new".to_owned(),
            |id| format!("/orders/{id}/about"),
        ),
        form,
        errors,
        relationships,
        modes,
        steps: Steps {
            order_id,
            current: 1,
            about_done: order_id.is_some(),
            questions_done: false,
        },
    }
}

/// `GET /orders/new`: the first step of a new order.
pub async fn new_form(State(state): State<AppState>, Member { visitor, .. }: Member) -> Response {
    let form = AboutForm {
        once: token::new_token(),
        ..AboutForm::default()
    };
    let template = about_page(&state, &visitor, form, None, FormErrors::default());
    page::render(
        &state,
        &visitor,
        StatusCode::OK,
        Privacy::Personal,
        &template,
    )
}

/// `POST /orders/new`: create the draft (once per form) and go on to the questions.
pub async fn create(
    State(state): State<AppState>,
    Member { visitor, actor }: Member,
    Form(form): Form<AboutForm>,
) -> Response {
    let lang = visitor.lang;
    let again = |form: AboutForm, errors: FormErrors, status: StatusCode| {
        let template = about_page(&state, &visitor, form, None, errors);
        page::render(&state, &visitor, status, Privacy::Personal, &template)
    };
    if !visitor.form_token_matches(&form.csrf) {
        return again(form, FormErrors::expired(lang), StatusCode::FORBIDDEN);
    }
    let (subject, delivery_mode) = match form.parse(lang) {
        Ok(parsed) => parsed,
        Err(errors) => return again(form, errors, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let command = orders::NewOrderCommand {
        subject,
        delivery_mode,
        jurisdiction: None,
        intake: None,
    };
    let prepared = match orders::prepare(&state.db, &actor, command).await {
        Ok(prepared) => prepared,
        Err(err) if err.status().is_client_error() => {
            let errors = intake_refusal(lang, &err);
            return again(form, errors, err.status());
        }
        Err(err) => return page::failure(&state, &visitor, err),
    };
    let (owner, key) = (
        actor.id.to_string(),
        format!("page:new-order:{}", form.once),
    );
    let actor_tx = actor.clone();
    let created = idempotency::create_once(&state, &owner, &key, &form, move |txn| {
        Box::pin(async move {
            let order = orders::store(txn, &actor_tx, prepared).await?;
            let body = serde_json::json!({ "id": order.id });
            Ok((order.id, body))
        })
    })
    .await;
    let id = match created {
        Ok(Once::Created(id)) => id,
        Ok(Once::Replayed { body, .. }) => {
            match body["id"].as_str().and_then(|id| Uuid::parse_str(id).ok()) {
                Some(id) => id,
                None => return page::see_other("/orders"),
            }
        }
        // The same form sent twice with different answers, or still being stored: the
        // orders list shows what was made.
        Err(err) if err.status().is_client_error() => return page::see_other("/orders"),
        Err(err) => return page::failure(&state, &visitor, err),
    };
    page::see_other(&format!("/orders/{id}/questions"))
}

/// The order `id` if it is the visitor's own draft (or needs information), else the page to
/// answer with instead.
async fn own_editable(
    state: &AppState,
    visitor: &Visitor,
    actor: &Actor,
    id: Uuid,
) -> Result<OrderRecord, Response> {
    let order = orders::load_own(&state.db, actor, id)
        .await
        .map_err(|err| page::failure(state, visitor, err))?;
    if order.status.intake_editable() {
        Ok(order)
    } else {
        // Sent already: the order page says where it stands.
        Err(page::see_other(&format!("/orders/{id}")))
    }
}

/// `GET /orders/{id}/about`: the first step again, filled in.
pub async fn about_form(
    State(state): State<AppState>,
    Member { visitor, actor }: Member,
    Path(id): Path<Uuid>,
) -> Response {
    let order = match own_editable(&state, &visitor, &actor, id).await {
        Ok(order) => order,
        Err(answer) => return answer,
    };
    let template = about_page(
        &state,
        &visitor,
        AboutForm::from_order(&order),
        Some(id),
        FormErrors::default(),
    );
    page::render(
        &state,
        &visitor,
        StatusCode::OK,
        Privacy::Personal,
        &template,
    )
}

/// `POST /orders/{id}/about`: save the first step and go on.
pub async fn save_about(
    State(state): State<AppState>,
    Member { visitor, actor }: Member,
    Path(id): Path<Uuid>,
    Form(form): Form<AboutForm>,
) -> Response {
    let lang = visitor.lang;
    let again = |form: AboutForm, errors: FormErrors, status: StatusCode| {
        let template = about_page(&state, &visitor, form, Some(id), errors);
        page::render(&state, &visitor, status, Privacy::Personal, &template)
    };
    if !visitor.form_token_matches(&form.csrf) {
        return again(form, FormErrors::expired(lang), StatusCode::FORBIDDEN);
    }
    let (subject, delivery_mode) = match form.parse(lang) {
        Ok(parsed) => parsed,
        Err(errors) => return again(form, errors, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let edit = orders::OrderEdit {
        subject: Some(subject),
        delivery_mode: Some(delivery_mode),
        jurisdiction: None,
        intake: None,
    };
    let expected = form.version.parse().unwrap_or(-1);
    match orders::edit(&state.db, &actor, id, expected, edit).await {
        Ok(_) => page::see_other(&format!("/orders/{id}/questions")),
        Err(AppError::PreconditionFailed { .. }) => {
            changed_meanwhile(&state, &visitor, id, form, &actor).await
        }
        Err(err) if err.status().is_client_error() => {
            let errors = intake_refusal(lang, &err);
            again(form, errors, err.status())
        }
        Err(err) => page::failure(&state, &visitor, err),
    }
}

/// The order changed since this form was made (another tab, another device): keep what was
/// typed, take the current version, and say so — never overwrite silently.
async fn changed_meanwhile(
    state: &AppState,
    visitor: &Visitor,
    id: Uuid,
    mut form: AboutForm,
    actor: &Actor,
) -> Response {
    let order = match own_editable(state, visitor, actor, id).await {
        Ok(order) => order,
        Err(answer) => return answer,
    };
    form.version = order.version.to_string();
    let errors = FormErrors::whole(visitor.lang.t("form.changed_meanwhile"));
    let template = about_page(state, visitor, form, Some(id), errors);
    page::render(
        state,
        visitor,
        StatusCode::CONFLICT,
        Privacy::Personal,
        &template,
    )
}

/// The questions form as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QuestionsForm {
    purpose: String,
    family_awareness: String,
    support_network: String,
    notes: String,
    version: String,
    csrf: String,
}

#[derive(Template)]
#[template(path = "portal/questions.html")]
struct Questions {
    page: Page,
    order_id: Uuid,
    /// (name, value typed, label, hint) of each question.
    fields: Vec<(&'static str, String, &'static str, &'static str)>,
    form: QuestionsForm,
    errors: FormErrors,
    steps: Steps,
}

fn questions_page(
    state: &AppState,
    visitor: &Visitor,
    order_id: Uuid,
    form: QuestionsForm,
    errors: FormErrors,
) -> Questions {
    let lang = visitor.lang;
    let fields = [
        (
            "purpose",
            &form.purpose,
            "questions.purpose",
            "questions.purpose_hint",
        ),
        (
            "family_awareness",
            &form.family_awareness,
            "questions.family_awareness",
            "questions.family_awareness_hint",
        ),
        (
            "support_network",
            &form.support_network,
            "questions.support_network",
            "questions.support_network_hint",
        ),
        (
            "notes",
            &form.notes,
            "questions.notes",
            "questions.notes_hint",
        ),
    ]
    .into_iter()
    .map(|(name, value, label, hint)| (name, value.clone(), lang.t(label), lang.t(hint)))
    .collect();
    Questions {
        page: Page::new(state, visitor, "questions.title"),
        order_id,
        fields,
        form,
        errors,
        steps: Steps {
            order_id: Some(order_id),
            current: 2,
            about_done: true,
            questions_done: false,
        },
    }
}

/// `GET /orders/{id}/questions`: the intake questions.
pub async fn questions_form(
    State(state): State<AppState>,
    Member { visitor, actor }: Member,
    Path(id): Path<Uuid>,
) -> Response {
    let order = match own_editable(&state, &visitor, &actor, id).await {
        Ok(order) => order,
        Err(answer) => return answer,
    };
    let i = &order.intake;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let form = QuestionsForm {
        purpose: text(&i.purpose),
        family_awareness: text(&i.family_awareness),
        support_network: text(&i.support_network),
        notes: text(&i.notes),
        version: order.version.to_string(),
        csrf: String::new(),
    };
    let template = questions_page(&state, &visitor, id, form, FormErrors::default());
    page::render(
        &state,
        &visitor,
        StatusCode::OK,
        Privacy::Personal,
        &template,
    )
}

/// `POST /orders/{id}/questions`: save the answers (blank ones may be filled in later) and
/// go to the order page, which says what is still missing.
pub async fn save_questions(
    State(state): State<AppState>,
    Member { visitor, actor }: Member,
    Path(id): Path<Uuid>,
    Form(form): Form<QuestionsForm>,
) -> Response {
    let lang = visitor.lang;
    let again = |form: QuestionsForm, errors: FormErrors, status: StatusCode| {
        let template = questions_page(&state, &visitor, id, form, errors);
        page::render(&state, &visitor, status, Privacy::Personal, &template)
    };
    if !visitor.form_token_matches(&form.csrf) {
        return again(form, FormErrors::expired(lang), StatusCode::FORBIDDEN);
    }
    let answer = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let edit = orders::OrderEdit {
        subject: None,
        delivery_mode: None,
        jurisdiction: None,
        intake: Some(IntakeAnswers {
            purpose: answer(&form.purpose),
            family_awareness: answer(&form.family_awareness),
            support_network: answer(&form.support_network),
            notes: answer(&form.notes),
        }),
    };
    let expected = form.version.parse().unwrap_or(-1);
    match orders::edit(&state.db, &actor, id, expected, edit).await {
        Ok(_) => page::see_other(&format!("/orders/{id}")),
        Err(AppError::PreconditionFailed { current_version }) => {
            let mut form = form;
            form.version = current_version.to_string();
            again(
                form,
                FormErrors::whole(lang.t("form.changed_meanwhile")),
                StatusCode::CONFLICT,
            )
        }
        Err(err) if err.status().is_client_error() => {
            let errors = intake_refusal(lang, &err);
            again(form, errors, err.status())
        }
        Err(err) => page::failure(&state, &visitor, err),
    }
}
