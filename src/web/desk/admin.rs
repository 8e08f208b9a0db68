//! The admins' pages: accounts (create one with its roles, change an account's roles, disable
//! or enable it — never one's own admin role or account), consent texts (the current version
//! of each, and publishing the next one), and the audit trail searched by who, what, which
//! order and when. The same services as `/api/v1/users`, `/api/v1/consent-texts` and
//! `/api/v1/audit-events`, which refuse anyone but an admin (audited).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::Studio;
use crate::accounts::{self, AccountChange, NewAccount};
use crate::consents;
use crate::domain::account::Role;
use crate::domain::consent::ConsentParty;
use crate::error::AppError;
use crate::oversight::{self, TrailQuery};
use crate::problem::Code;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::i18n::Lang;
use crate::web::page::{self, Page, Privacy};

/// How many accounts and events a page lists.
const LISTED: u64 = 200;

struct Account {
    id: Uuid,
    email: String,
    /// (role, its words, held)
    roles: Vec<(&'static str, String, bool)>,
    disabled: bool,
}

struct Text {
    id: Uuid,
    /// The newest of its (jurisdiction, party, language): the one people sign now.
    current: bool,
    party: String,
    language: String,
    version: i32,
    published: String,
}

#[derive(Template)]
#[template(path = "desk/admin.html")]
struct AdminPage {
    page: Page,
    accounts: Vec<Account>,
    texts: Vec<Text>,
    roles: Vec<(&'static str, String)>,
    parties: Vec<(&'static str, String)>,
    errors: FormErrors,
    new_email: String,
    new_body: String,
}

/// A form as posted: repeated `role` boxes, the rest one value each.
#[derive(Default)]
struct Posted {
    csrf: String,
    email: String,
    password: String,
    roles: Vec<String>,
    disabled: String,
    jurisdiction: String,
    party: String,
    language: String,
    body: String,
}

impl Posted {
    fn parse(body: &[u8]) -> Self {
        let mut posted = Self::default();
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "csrf" => posted.csrf = value,
                "email" => posted.email = value,
                "password" => posted.password = value,
                "role" => posted.roles.push(value),
                "disabled" => posted.disabled = value,
                "jurisdiction" => posted.jurisdiction = value,
                "party" => posted.party = value,
                "language" => posted.language = value,
                "body" => posted.body = value,
                _ => {}
            }
        }
        posted
    }

    fn roles(&self) -> Vec<Role> {
        self.roles.iter().filter_map(|r| Role::parse(r)).collect()
    }
}

/// `GET /desk/admin`.
pub async fn show(State(state): State<AppState>, studio: Studio) -> Response {
    render(
        &state,
        &studio,
        Posted::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn render(
    state: &AppState,
    Studio { visitor, actor }: &Studio,
    posted: Posted,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let lang = visitor.lang;
    let users = match accounts::list(&state.db, actor, None, LISTED).await {
        Ok(users) => users,
        Err(err) => return page::failure(state, visitor, err),
    };
    let texts = match consents::versions(&state.db, actor).await {
        Ok(texts) => texts,
        Err(err) => return page::failure(state, visitor, err),
    };
    let zone = state.settings.studio.zone();
    let template = AdminPage {
        page: Page::new(state, visitor, "desk.admin_title"),
        accounts: users
            .into_iter()
            .map(|u| Account {
                id: u.id,
                roles: Role::ALL
                    .iter()
                    .map(|r| {
                        (
                            r.as_str(),
                            lang.text(&format!("desk.role.{}", r.as_str())),
                            u.roles.contains(r),
                        )
                    })
                    .collect(),
                disabled: u.disabled,
                email: u.email,
            })
            .collect(),
        texts: texts
            .iter()
            .enumerate()
            .map(|(i, t)| Text {
                id: t.id,
                current: i == 0 || {
                    let before = &texts[i - 1];
                    (&before.jurisdiction, before.party, &before.language)
                        != (&t.jurisdiction, t.party, &t.language)
                },
                party: format!(
                    "{} ({})",
                    lang.text(&format!("desk.party.{}", t.party.as_str())),
                    t.jurisdiction
                ),
                language: t.language.clone(),
                version: t.version,
                published: lang.datetime(t.published_at, zone),
            })
            .collect(),
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), lang.text(&format!("desk.role.{}", r.as_str()))))
            .collect(),
        parties: ConsentParty::ALL
            .iter()
            .map(|p| (p.as_str(), lang.text(&format!("desk.party.{}", p.as_str()))))
            .collect(),
        errors,
        new_email: posted.email,
        new_body: posted.body,
    };
    page::render(state, visitor, status, Privacy::Personal, &template)
}

/// How a refusal reads on this page, next to the field it is about.
async fn refused(
    state: &AppState,
    studio: &Studio,
    posted: Posted,
    err: AppError,
    fields: &[(Code, &'static str)],
) -> Response {
    if !err.status().is_client_error() {
        return page::failure(state, &studio.visitor, err);
    }
    let errors = FormErrors::from_refusal(studio.visitor.lang, &err, fields);
    render(state, studio, posted, errors, err.status()).await
}

/// `POST /desk/admin/users`: create an account with its roles.
pub async fn create(
    State(state): State<AppState>,
    studio: Studio,
    body: axum::body::Bytes,
) -> Response {
    let posted = Posted::parse(&body);
    if !studio.visitor.form_token_matches(&posted.csrf) {
        let errors = FormErrors::expired(studio.visitor.lang);
        return render(&state, &studio, posted, errors, StatusCode::FORBIDDEN).await;
    }
    let account = NewAccount {
        email: posted.email.clone(),
        password: posted.password.clone(),
        roles: posted.roles(),
    };
    let created = accounts::create_by_admin(&state.db, &studio.actor, account).await;
    match created {
        Ok(_) => page::see_other("/desk/admin#accounts-heading"),
        Err(err) => {
            let fields = [
                (Code::InvalidEmail, "email"),
                (Code::EmailTaken, "email"),
                (Code::WeakPassword, "password"),
                (Code::NoRoles, "roles"),
            ];
            refused(&state, &studio, posted, err, &fields).await
        }
    }
}

/// `POST /desk/admin/users/{id}`: an account's roles, and whether it is disabled.
pub async fn change(
    State(state): State<AppState>,
    studio: Studio,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Response {
    let posted = Posted::parse(&body);
    if !studio.visitor.form_token_matches(&posted.csrf) {
        let errors = FormErrors::expired(studio.visitor.lang);
        return render(
            &state,
            &studio,
            Posted::default(),
            errors,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let change = AccountChange {
        roles: Some(posted.roles()),
        disabled: Some(posted.disabled == "yes"),
    };
    match accounts::change(&state.db, &studio.actor, id, change).await {
        Ok(_) => page::see_other("/desk/admin#accounts-heading"),
        Err(err) => refused(&state, &studio, Posted::default(), err, &[]).await,
    }
}

/// `POST /desk/admin/consent-texts`: publish the next version of a consent text.
pub async fn publish(
    State(state): State<AppState>,
    studio: Studio,
    body: axum::body::Bytes,
) -> Response {
    let posted = Posted::parse(&body);
    if !studio.visitor.form_token_matches(&posted.csrf) {
        let errors = FormErrors::expired(studio.visitor.lang);
        return render(&state, &studio, posted, errors, StatusCode::FORBIDDEN).await;
    }
    let Some(party) = ConsentParty::parse(&posted.party) else {
        let mut errors = FormErrors::default();
        errors.add("party", studio.visitor.lang.t("consent.error.party"));
        return render(
            &state,
            &studio,
            posted,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let text = consents::NewText {
        jurisdiction: posted.jurisdiction.trim().to_uppercase(),
        party,
        language: posted.language.clone(),
        body: posted.body.clone(),
    };
    match consents::publish_text(&state.db, &studio.actor, text).await {
        Ok(_) => page::see_other("/desk/admin#texts-heading"),
        Err(err) => {
            let fields = [(Code::InvalidConsentText, "body")];
            refused(&state, &studio, posted, err, &fields).await
        }
    }
}

/// The audit search as it stands in the address.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct TrailForm {
    /// A staff member's email, or an actor as recorded (`user:…`, `system:…`).
    who: String,
    action: String,
    /// An order's reference or any object's id.
    object: String,
    since: String,
    until: String,
}

struct Event {
    at: String,
    who: String,
    action: String,
    object: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "desk/audit.html")]
struct AuditPage {
    page: Page,
    form: TrailForm,
    errors: FormErrors,
    events: Vec<Event>,
    searched: bool,
}

/// `GET /desk/audit`: the trail, newest first, by who, what, which object and when.
pub async fn audit(
    State(state): State<AppState>,
    Studio { visitor, actor }: Studio,
    Query(form): Query<TrailForm>,
) -> Response {
    let (lang, zone) = (visitor.lang, state.settings.studio.zone());
    if let Err(err) = accounts::require_admin(&state.db, &actor).await {
        return page::failure(&state, &visitor, err);
    }
    let people = match crate::production::desk::studio_people(&state.db, &actor).await {
        Ok(people) => people,
        Err(err) => return page::failure(&state, &visitor, err),
    };
    let mut errors = FormErrors::default();
    let mut query = TrailQuery::default();
    let who = form.who.trim();
    if !who.is_empty() {
        query.actor = Some(match people.iter().find(|(_, email)| email == who) {
            Some((id, _)) => format!("user:{id}"),
            None => who.to_owned(),
        });
    }
    if !form.action.trim().is_empty() {
        query.action = Some(form.action.trim().to_owned());
    }
    let object = form.object.trim();
    if !object.is_empty() {
        query.target_id = match Uuid::parse_str(object) {
            Ok(id) => Some(id),
            Err(_) => match crate::domain::data_rights::normalize_reference(object) {
                Some(reference) => {
                    match crate::db::orders::find_by_reference(&state.db, &reference).await {
                        Ok(Some(order)) => Some(order.id),
                        Ok(None) => {
                            errors.add("object", lang.t("desk.error.object"));
                            None
                        }
                        Err(err) => return page::failure(&state, &visitor, err.into()),
                    }
                }
                None => {
                    errors.add("object", lang.t("desk.error.object"));
                    None
                }
            },
        };
    }
    let day = |text: &str| {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|t| zone.from_local_datetime(&t).single())
            .map(|t| t.with_timezone(&Utc))
    };
    for (field, text) in [("since", &form.since), ("until", &form.until)] {
        if text.trim().is_empty() {
            continue;
        }
        match day(text) {
            Some(at) if field == "since" => query.since = Some(at),
            Some(at) => query.until = Some(at + chrono::Duration::days(1)),
            None => errors.add(field, lang.t("desk.error.due_before")),
        }
    }
    let searched = !(who.is_empty()
        && form.action.trim().is_empty()
        && object.is_empty()
        && form.since.trim().is_empty()
        && form.until.trim().is_empty());
    let names: HashMap<String, String> = people
        .into_iter()
        .map(|(id, email)| (format!("user:{id}"), email))
        .collect();
    let events = if errors.is_empty() {
        match oversight::audit_trail(&state.db, &actor, query, LISTED).await {
            Ok(events) => events,
            Err(err) => return page::failure(&state, &visitor, err),
        }
    } else {
        Vec::new()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let template = AuditPage {
        page: Page::new(&state, &visitor, "desk.audit_title"),
        events: events
            .into_iter()
            .map(|e| Event {
                at: lang.datetime(e.occurred_at, zone),
                who: names.get(&e.actor).cloned().unwrap_or(e.actor),
                action: e.action,
                object: format!("{} {}", e.target_type, e.target_id),
                outcome: outcome_words(lang, &e.outcome),
            })
            .collect(),
        form,
        errors,
        searched,
    };
    page::render(&state, &visitor, status, Privacy::Personal, &template)
}

fn outcome_words(lang: Lang, outcome: &str) -> String {
    lang.lookup(&format!("desk.outcome.{outcome}"))
        .map_or_else(|| outcome.to_owned(), str::to_owned)
}
