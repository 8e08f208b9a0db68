//! `GET /desk/orders/{id}`: everything the studio needs about one order on one page — where it
//! stands (status, promise, SLA badge, who has it), the actions the next step allows (take the
//! job, start production, finish the current stage, hold with a reason, resume), the subject
//! and the intake answers, the samples and whether they are enough, the consents, the
//! production stages with their due times, the deliverables (uploaded here with the same
//! uploader as the family's samples, each with its AI label) and delivery — the gate's
//! refusals said in words —, the internal notes (and a new one), and the
//! timeline with who did what (in the page's language, naming the details — which consent,
//! which stage, how much — in the studio's terms: `super::events`).
//!
//! Every action names the version the page was made from. When someone else changed the
//! order first, nothing is applied: the page is shown again as it stands now, saying who
//! changed it, what, and when.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::Studio;
use crate::db::orders::OrderRecord;
use crate::domain::account::Role;
use crate::domain::ids::UserId;
use crate::domain::order::{OrderAction, OrderStatus};
use crate::domain::sample::SampleStatus;
use crate::error::AppError;
use crate::orders::{self, TimelineEntry};
use crate::problem::Code;
use crate::production;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::i18n::Lang;
use crate::web::page::{self, Page, Privacy};
use crate::web::words::samples_in_words;
use crate::{consents, uploads};

/// A fact in words: (label, value).
type Fact = (String, String);

struct Line {
    at: String,
    text: String,
}

/// A sample: its kind and name, where it stands, and — once verified — what the page shows
/// of it (a photo's thumbnail, a player for voice and video), loaded through an audited,
/// short-lived link only when the reviewer looks or presses play.
struct SampleLine {
    id: Uuid,
    kind: &'static str,
    at: String,
    text: String,
    viewable: bool,
}

/// An action the page offers: its value, the button's words, and whether it asks for a reason.
struct Offer {
    action: &'static str,
    words: String,
    reason: bool,
}

#[derive(Template)]
#[template(path = "desk/workbench.html")]
struct Workbench {
    page: Page,
    id: Uuid,
    reference: String,
    version: i32,
    facts: Vec<Fact>,
    badge: Option<(&'static str, &'static str, String)>,
    /// The stage `advance` completes.
    stage: String,
    offers: Vec<Offer>,
    can_take: bool,
    subject: Vec<Fact>,
    answers: Vec<Fact>,
    samples: Vec<SampleLine>,
    sufficiency: Vec<String>,
    consents: Vec<Line>,
    stages: Vec<Line>,
    notes: Vec<Line>,
    /// Deliverables: the file, where it stands, and the AI label it carries.
    deliverables: Vec<Line>,
    /// Deliverables can be uploaded now (production or quality check).
    takes_deliverables: bool,
    words_json: String,
    events: Vec<Line>,
    sessions: super::sessions::SessionsPanel,
    follow_ups: Vec<super::follow_ups::FollowUpLine>,
    money: super::money::MoneyPanel,
    errors: FormErrors,
    /// Someone changed the order first: who, what, when.
    changed: Option<String>,
    note_text: String,
}

/// What the page was asked to show besides the order.
#[derive(Default)]
struct Outcome {
    errors: FormErrors,
    changed: bool,
    note_text: String,
}

pub async fn show(State(state): State<AppState>, studio: Studio, Path(id): Path<Uuid>) -> Response {
    render(&state, &studio, id, Outcome::default(), StatusCode::OK).await
}

/// The workbench again after one of its forms was refused: `errors` next to their fields (or
/// at the top), or — for a server fault — the error page.
pub(super) async fn refused(
    state: &AppState,
    studio: &Studio,
    id: Uuid,
    err: AppError,
    fields: &[(Code, &'static str)],
) -> Response {
    if !err.status().is_client_error() {
        return page::failure(state, &studio.visitor, err);
    }
    let errors = FormErrors::from_refusal(studio.visitor.lang, &err, fields);
    again(state, studio, id, errors, err.status()).await
}

/// The workbench with `errors` found before any service was asked.
pub(super) async fn again(
    state: &AppState,
    studio: &Studio,
    id: Uuid,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let outcome = Outcome {
        errors,
        ..Outcome::default()
    };
    render(state, studio, id, outcome, status).await
}

async fn render(
    state: &AppState,
    Studio { visitor, actor }: &Studio,
    id: Uuid,
    outcome: Outcome,
    status: StatusCode,
) -> Response {
    let Loaded {
        order,
        stages,
        report,
        entries,
        samples,
        records,
        notes,
        staff,
        delivered,
        sessions,
        follow_ups,
        ledger,
    } = match load(state, actor, id).await {
        Ok(found) => found,
        Err(err) => return page::failure(state, visitor, err),
    };
    let (lang, zone) = (visitor.lang, state.settings.studio.zone());
    let mut names: HashMap<Uuid, String> = staff.into_iter().collect();
    if let Some(customer) = order.customer_id {
        names.insert(customer, lang.text("desk.actor.family"));
    }
    let who = |id: Option<Uuid>| {
        id.and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| lang.text("desk.someone"))
    };
    let p = &order.production;
    let changed = outcome
        .changed
        .then(|| latest_change(lang, zone, &entries, &names))
        .flatten()
        .or_else(|| outcome.changed.then(|| lang.text("desk.changed_unknown")));
    let template = Workbench {
        page: Page::new(state, visitor, "desk.workbench_title"),
        id,
        reference: order.reference.clone(),
        version: order.version,
        facts: vec![
            (
                lang.text("desk.status"),
                lang.text(&format!("status.{}", order.status.as_str())),
            ),
            (
                lang.text("desk.mode"),
                lang.text(&format!("mode.{}", order.delivery_mode.as_str())),
            ),
            (
                lang.text("desk.assignee"),
                p.assignee_id
                    .map_or_else(|| lang.text("desk.unassigned"), |a| who(Some(a))),
            ),
            (
                lang.text("desk.promise"),
                order
                    .promised_at
                    .map_or_else(|| lang.text("orders.not_yet"), |at| lang.datetime(at, zone)),
            ),
        ],
        badge: super::board::badge(&order, lang),
        stage: p.current_stage.clone().unwrap_or_default(),
        offers: offers(&order, lang),
        can_take: actor.has(Role::Staff)
            && order.status.under_sla(order.resume_status)
            && p.assignee_id != Some(actor.id),
        subject: subject(&order, lang),
        answers: answers(&order, lang),
        samples: samples
            .iter()
            .map(|s| SampleLine {
                id: s.id,
                kind: s.kind.as_str(),
                viewable: s.status == SampleStatus::Verified,
                at: lang.text(&format!("samples.kind.{}", s.kind.as_str())),
                text: format!(
                    "{} — {}",
                    s.file_name,
                    lang.text(&format!("desk.sample.{}", s.status.as_str()))
                ),
            })
            .collect(),
        sufficiency: samples_in_words(lang, &report),
        consents: consent_lines(&records, lang, zone)
            .into_iter()
            .map(|(at, text)| Line { at, text })
            .collect(),
        stages: stages
            .iter()
            .map(|s| Line {
                at: lang
                    .lookup(&format!("stage.{}", s.name))
                    .map_or_else(|| s.name.clone(), str::to_owned),
                text: match (s.completed_at, s.due_at) {
                    (Some(at), _) => lang.fill(
                        "desk.stage_done",
                        &[
                            ("at", &lang.datetime(at, zone)),
                            ("by", &who(s.completed_by)),
                        ],
                    ),
                    (None, Some(due)) => {
                        lang.fill("desk.stage_due", &[("at", &lang.datetime(due, zone))])
                    }
                    (None, None) => lang.text("desk.stage_later"),
                },
            })
            .collect(),
        notes: notes
            .iter()
            .map(|n| Line {
                at: format!(
                    "{} · {}",
                    lang.datetime(n.created_at, zone),
                    who(Some(n.author_id))
                ),
                text: n.body.clone(),
            })
            .collect(),
        deliverables: delivered
            .iter()
            .map(|d| Line {
                at: format!(
                    "{} — {}",
                    d.file.file_name,
                    lang.text(&format!("desk.sample.{}", d.file.status.as_str()))
                ),
                text: lang.fill("desk.label", &[("label", &d.label.label_text)]),
            })
            .collect(),
        takes_deliverables: matches!(
            order.status,
            OrderStatus::InProduction | OrderStatus::QualityCheck
        ),
        words_json: crate::web::portal::uploader_words(lang),
        events: entries
            .iter()
            .rev()
            .map(|e| Line {
                at: lang.datetime(e.at, zone),
                text: format!(
                    "{} ({})",
                    super::events::in_words(lang, e),
                    actor_words(lang, e, &names)
                ),
            })
            .collect(),
        sessions: super::sessions::panel(&order, &sessions, &records, &names, lang, zone),
        follow_ups: super::follow_ups::lines(&follow_ups, lang, zone),
        money: super::money::panel(&ledger, &names, lang, zone),
        errors: outcome.errors,
        changed,
        note_text: outcome.note_text,
    };
    page::render(state, visitor, status, Privacy::Personal, &template)
}

/// Everything the workbench shows, read for one actor.
struct Loaded {
    order: OrderRecord,
    stages: Vec<crate::db::production::StageRow>,
    report: crate::domain::sufficiency::SufficiencyReport,
    entries: Vec<TimelineEntry>,
    samples: Vec<crate::db::samples::SampleRow>,
    records: Vec<crate::db::consents::ConsentRow>,
    notes: Vec<crate::db::production::NoteRow>,
    staff: Vec<(Uuid, String)>,
    delivered: Vec<uploads::files::Deliverable>,
    sessions: Vec<crate::db::live_sessions::SessionRow>,
    follow_ups: Vec<crate::iterations::IterationView>,
    ledger: crate::payments::Ledger,
}

async fn load(state: &AppState, actor: &crate::actor::Actor, id: Uuid) -> Result<Loaded, AppError> {
    let db = &state.db;
    let (order, stages) = production::stages(db, actor, id).await?;
    let (report, entries, samples, records, notes, staff, delivered, sessions, follow_ups, ledger) =
        tokio::try_join!(
            orders::sufficiency(state, &order),
            orders::timeline(db, actor, id),
            uploads::files::samples(db, actor, id),
            consents::records(db, actor, id),
            production::notes(db, actor, id),
            production::desk::studio_people(db, actor),
            uploads::files::deliverables(db, actor, id),
            crate::live_sessions::for_order(db, actor, id),
            crate::iterations::list(db, actor, id),
            crate::payments::ledger(db, actor, id),
        )?;
    Ok(Loaded {
        order,
        stages,
        report,
        entries,
        samples,
        records,
        notes,
        staff,
        delivered,
        sessions,
        follow_ups,
        ledger,
    })
}

/// Each consent in words for the studio: (who signed as which party, signed when and which
/// text version — or withdrawn when).
pub(super) fn consent_lines(
    records: &[crate::db::consents::ConsentRow],
    lang: Lang,
    zone: chrono::FixedOffset,
) -> Vec<(String, String)> {
    records
        .iter()
        .map(|r| {
            let party = lang.text(&format!("desk.party.{}", r.party.as_str()));
            let state = match r.withdrawn_at {
                Some(at) => lang.fill("consent.withdrawn_at", &[("at", &lang.datetime(at, zone))]),
                None => format!(
                    "{} — {}",
                    r.signer_name.as_deref().unwrap_or("—"),
                    lang.fill(
                        "consent.signed_at",
                        &[
                            ("at", &lang.datetime(r.signed_at, zone)),
                            ("version", &r.text_version.to_string()),
                        ],
                    )
                ),
            };
            (party, state)
        })
        .collect()
}

/// Who acted, for the studio: a staff member's address, "the family", "the studio's system".
fn actor_words(lang: Lang, entry: &TimelineEntry, names: &HashMap<Uuid, String>) -> String {
    let actor = entry.actor.as_deref().unwrap_or_default();
    if let Some(id) = actor
        .strip_prefix("user:")
        .and_then(|id| Uuid::parse_str(id).ok())
    {
        return names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| lang.text("desk.actor.person"));
    }
    if actor.starts_with("invitation:") {
        return lang.text("desk.actor.invitee");
    }
    lang.text("desk.actor.system")
}

/// The newest event: who changed the order, what, when.
fn latest_change(
    lang: Lang,
    zone: chrono::FixedOffset,
    entries: &[TimelineEntry],
    names: &HashMap<Uuid, String>,
) -> Option<String> {
    let last = entries.last()?;
    Some(lang.fill(
        "desk.changed_by",
        &[
            ("who", &actor_words(lang, last, names)),
            ("what", &super::events::in_words(lang, last)),
            ("at", &lang.datetime(last.at, zone)),
        ],
    ))
}

/// The actions the order's step allows from this page (the server decides again).
fn offers(order: &OrderRecord, lang: Lang) -> Vec<Offer> {
    let offer = |action: &'static str, reason: bool| Offer {
        action,
        words: lang.text(&format!("desk.action.{action}")),
        reason,
    };
    match order.status {
        OrderStatus::Queued => vec![offer("start_production", false), offer("hold", true)],
        OrderStatus::InProduction => vec![offer("advance", false), offer("hold", true)],
        OrderStatus::QualityCheck => vec![offer("deliver", false), offer("hold", true)],
        OrderStatus::OnHold => vec![offer("resume", false)],
        _ => Vec::new(),
    }
}

pub(super) fn subject(order: &OrderRecord, lang: Lang) -> Vec<Fact> {
    let s = &order.subject;
    let date = |d: Option<chrono::NaiveDate>| d.map_or_else(|| "—".to_owned(), |d| lang.date(d));
    vec![
        (lang.text("about.name"), s.name.clone()),
        (
            lang.text("about.relationship"),
            lang.text(&format!(
                "relationship.{}",
                s.requester_relationship.as_str()
            )),
        ),
        (lang.text("about.birth_date"), date(s.birth_date)),
        (lang.text("about.death_date"), date(s.death_date)),
    ]
}

pub(super) fn answers(order: &OrderRecord, lang: Lang) -> Vec<Fact> {
    let a = &order.intake;
    [
        ("purpose", &a.purpose),
        ("family_awareness", &a.family_awareness),
        ("support_network", &a.support_network),
        ("notes", &a.notes),
    ]
    .into_iter()
    .map(|(key, value)| {
        (
            lang.text(&format!("questions.{key}")),
            value.clone().unwrap_or_else(|| "—".into()),
        )
    })
    .collect()
}

/// An action as posted.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActForm {
    csrf: String,
    version: String,
    action: String,
    stage: String,
    reason: String,
}

/// `POST /desk/orders/{id}/act`: take the order's next step.
pub async fn act(
    State(state): State<AppState>,
    studio: Studio,
    Path(id): Path<Uuid>,
    Form(form): Form<ActForm>,
) -> Response {
    let lang = studio.visitor.lang;
    if !studio.visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(lang);
        let outcome = Outcome {
            errors,
            ..Outcome::default()
        };
        return render(&state, &studio, id, outcome, StatusCode::FORBIDDEN).await;
    }
    let expected = form.version.parse().unwrap_or(-1);
    let done = match form.action.as_str() {
        "take" => production::assign(
            &state.db,
            &studio.actor,
            id,
            expected,
            Some(UserId(studio.actor.id)),
        )
        .await
        .map(|_| ()),
        name => match OrderAction::parse(name) {
            Some(action) => {
                let input = orders::ActionInput {
                    reason: Some(form.reason.clone()).filter(|r| !r.trim().is_empty()),
                    stage: Some(form.stage.clone()).filter(|s| !s.is_empty()),
                };
                orders::act(&state, &studio.actor, id, expected, action, input)
                    .await
                    .map(|_| ())
            }
            None => Err(AppError::not_found(Code::UnknownAction, "no such action")),
        },
    };
    match done {
        Ok(()) => page::see_other(&format!("/desk/orders/{id}")),
        Err(AppError::PreconditionFailed { .. }) => {
            let outcome = Outcome {
                changed: true,
                ..Outcome::default()
            };
            render(
                &state,
                &studio,
                id,
                outcome,
                StatusCode::PRECONDITION_FAILED,
            )
            .await
        }
        Err(err) if err.status().is_client_error() => {
            let fields = [(Code::ReasonRequired, "reason")];
            let outcome = Outcome {
                errors: FormErrors::from_refusal(lang, &err, &fields),
                ..Outcome::default()
            };
            render(&state, &studio, id, outcome, err.status()).await
        }
        Err(err) => page::failure(&state, &studio.visitor, err),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    csrf: String,
    note: String,
}

/// `POST /desk/orders/{id}/notes`: an internal note (the family never sees it).
pub async fn note(
    State(state): State<AppState>,
    studio: Studio,
    Path(id): Path<Uuid>,
    Form(form): Form<NoteForm>,
) -> Response {
    let lang = studio.visitor.lang;
    let refused = |errors: FormErrors| Outcome {
        errors,
        note_text: form.note.clone(),
        ..Outcome::default()
    };
    if !studio.visitor.form_token_matches(&form.csrf) {
        let outcome = refused(FormErrors::expired(lang));
        return render(&state, &studio, id, outcome, StatusCode::FORBIDDEN).await;
    }
    match production::add_note(&state.db, &studio.actor, id, &form.note).await {
        Ok(_) => page::see_other(&format!("/desk/orders/{id}#notes-heading")),
        Err(err) if err.status().is_client_error() => {
            let fields = [(Code::InvalidNote, "note")];
            let outcome = refused(FormErrors::from_refusal(lang, &err, &fields));
            render(&state, &studio, id, outcome, err.status()).await
        }
        Err(err) => page::failure(&state, &studio.visitor, err),
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::consent::{ConsentParty, DocumentType};
    use crate::domain::data_rights::{IdentityMethod, RequestKind, RequestStatus};
    use crate::domain::live_session::SessionStatus;
    use crate::domain::money::EntryKind;
    use crate::domain::order::DeliveryMode;
    use crate::domain::production::default_stages;
    use crate::domain::sample::SampleStatus;
    use crate::problem::Code;
    use crate::web::i18n::Lang;

    /// The desk builds some keys at run time; each must have words in both languages.
    #[test]
    fn every_word_the_desk_builds_is_in_both_catalogs() {
        let mut keys: Vec<String> = Vec::new();
        keys.extend(
            ConsentParty::ALL
                .iter()
                .map(|p| format!("desk.party.{}", p.as_str())),
        );
        keys.extend(
            ConsentParty::ALL
                .iter()
                .map(|p| format!("desk.need.{}", p.as_str())),
        );
        keys.extend(
            DocumentType::ALL
                .iter()
                .map(|d| format!("desk.need.{}", d.as_str())),
        );
        keys.extend(
            SampleStatus::ALL
                .iter()
                .map(|s| format!("desk.sample.{}", s.as_str())),
        );
        keys.extend(
            [
                "take",
                "start_production",
                "advance",
                "hold",
                "resume",
                "deliver",
            ]
            .iter()
            .map(|a| format!("desk.action.{a}")),
        );
        keys.extend(
            ["screening", "consent_review", "queued", "quality_check"]
                .iter()
                .map(|c| format!("desk.column.{c}")),
        );
        for (group, names) in [
            (
                "desk.screening",
                &["proceed", "decline", "refer", "needs_info"][..],
            ),
            ("desk.review", &["approve", "needs_info", "reject"][..]),
            (
                "desk.barred",
                &["not_reviewer", "worked_on", "own_order"][..],
            ),
            (
                "desk.flag",
                &[
                    "living_subject_not_customer",
                    "minor_subject",
                    "public_figure",
                    "evidence_missing",
                    "subject_refused",
                ][..],
            ),
        ] {
            keys.extend(names.iter().map(|n| format!("{group}.{n}")));
        }
        for mode in DeliveryMode::ALL {
            keys.extend(default_stages(*mode).iter().map(|s| format!("stage.{s}")));
        }
        keys.extend(
            RequestStatus::ALL
                .iter()
                .map(|s| format!("desk.request_status.{}", s.as_str())),
        );
        keys.extend(
            RequestKind::ALL
                .iter()
                .map(|k| format!("requests.kind.{}", k.as_str())),
        );
        keys.extend(
            IdentityMethod::ALL
                .iter()
                .map(|m| format!("desk.identity.{}", m.as_str())),
        );
        keys.extend(
            EntryKind::ALL
                .iter()
                .map(|k| format!("desk.money.kind.{}", k.as_str())),
        );
        keys.extend(
            EntryKind::ALL
                .iter()
                .map(|k| format!("money.{}", k.as_str())),
        );
        keys.extend(
            SessionStatus::ALL
                .iter()
                .map(|s| format!("session.{}", s.as_str())),
        );
        for (group, names) in [
            ("desk.follow_up", &["start", "advance", "deliver"][..]),
            ("desk.request", &["approve", "deny", "retry"][..]),
            (
                "desk.request",
                &["correct_name", "correct_birth_date", "correct_death_date"][..],
            ),
            ("desk.barred", &["own_request"][..]),
            (
                "desk.template_fault",
                &["count", "name", "repeated", "hours"][..],
            ),
        ] {
            keys.extend(names.iter().map(|n| format!("{group}.{n}")));
        }
        // Refusals the desk's forms put next to a field.
        for code in [
            Code::ActorConsentMissing,
            Code::AiLabelShownRequired,
            Code::InvalidDuration,
            Code::InvalidParticipants,
            Code::InvalidSchedule,
            Code::MethodInsufficient,
            Code::InvalidAmount,
            Code::InvalidCurrency,
            Code::RefundExceedsPaid,
            Code::CurrencyMismatch,
            Code::ConsentRequired,
            Code::InvalidTemplate,
            Code::VersionTaken,
            Code::NoMatchingOrder,
        ] {
            keys.push(format!("problem.{}", code.as_str()));
        }
        for lang in Lang::ALL {
            for key in &keys {
                assert!(lang.lookup(key).is_some(), "{} has no {key}", lang.tag());
            }
        }
    }
}
