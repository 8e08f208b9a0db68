//! The reviewers' queues: orders waiting for screening and for consent review, oldest first
//! (`/desk/review`), and one order's review (`/desk/review/{id}`): for screening, the
//! family's answers, the time since the death, the risk flags and whether the samples are
//! enough, with the decision (proceed, decline, refer, needs information) and its reason; for
//! consent review, every party's consent with its text version, the evidence documents
//! (opened through audited short-lived links), and what the policy still misses, with the
//! decision (approve, needs information, reject) and its mandatory reason.
//!
//! The queue page also lists the live sessions logged without the AI label (reviewed on
//! their own page, `super::sessions`) and the data-rights requests waiting for a reviewer's
//! step (`super::requests`).
//!
//! Separation of duties is shown before anyone tries: a reviewer who placed the order or
//! worked on it as staff sees the decision button disabled with the reason. The server
//! refuses them all the same.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::Studio;
use crate::db::orders::OrderRecord;
use crate::domain::access;
use crate::domain::data_rights::RequestStatus;
use crate::domain::ids::OrderId;
use crate::domain::order::{OrderAction, OrderStatus, ReviewDecision, ScreeningDecision};
use crate::domain::risk::RiskFlag;
use crate::domain::sample::{SampleKind, SampleStatus};
use crate::error::AppError;
use crate::orders;
use crate::privacy::requests;
use crate::problem::Code;
use crate::production::desk::{self, ColumnKey, DeskQuery};
use crate::review;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::i18n::Lang;
use crate::web::page::{self, Page, Privacy};
use crate::web::words::{samples_in_words, studio_need_in_words};
use crate::{consents, uploads};

/// How many orders each queue lists (oldest first).
const QUEUE: u64 = 50;

struct Waiting {
    id: Uuid,
    reference: String,
    since: String,
}

#[derive(Template)]
#[template(path = "desk/queues.html")]
struct Queues {
    page: Page,
    screening: Vec<Waiting>,
    consent_review: Vec<Waiting>,
    quality_check: Vec<Waiting>,
    /// Live sessions logged without the AI label: (order id, session id, reference, when).
    sessions: Vec<(Uuid, Uuid, String, String)>,
    /// Data-rights requests waiting for a reviewer's step.
    requests: Vec<Waiting>,
}

/// `GET /desk/review`.
pub async fn queues(State(state): State<AppState>, studio: Studio) -> Response {
    let Studio { visitor, actor } = &studio;
    let (lang, zone) = (visitor.lang, state.settings.studio.zone());
    let mut lists = Vec::new();
    for column in [
        ColumnKey::Screening,
        ColumnKey::ConsentReview,
        ColumnKey::QualityCheck,
    ] {
        let query = DeskQuery {
            column: Some(column),
            ..DeskQuery::default()
        };
        match desk::desk(&state.db, actor, &query, QUEUE).await {
            Ok(columns) => lists.push(
                columns
                    .into_iter()
                    .flat_map(|c| c.cards)
                    .map(|o| Waiting {
                        id: o.id,
                        reference: o.reference.clone(),
                        since: match (o.promised_at, o.submitted_at) {
                            (Some(at), _) => {
                                lang.fill("desk.promised", &[("at", &lang.datetime(at, zone))])
                            }
                            (None, Some(at)) => {
                                lang.fill("desk.waiting_since", &[("at", &lang.datetime(at, zone))])
                            }
                            (None, None) => String::new(),
                        },
                    })
                    .collect::<Vec<_>>(),
            ),
            Err(err) => return page::failure(&state, visitor, err),
        }
    }
    let quality_check = lists.pop().unwrap_or_default();
    let consent_review = lists.pop().unwrap_or_default();
    let screening = lists.pop().unwrap_or_default();
    let open_requests = async {
        let mut open = Vec::new();
        for status in [
            RequestStatus::Submitted,
            RequestStatus::IdentityVerified,
            RequestStatus::Approved,
        ] {
            open.extend(requests::page(&state.db, actor, Some(status), None, QUEUE).await?);
        }
        Ok::<_, AppError>(open)
    };
    let flagged = super::sessions::flagged(&state, actor, lang, QUEUE);
    let (sessions, open_requests) = match tokio::try_join!(flagged, open_requests) {
        Ok(found) => found,
        Err(err) => return page::failure(&state, visitor, err),
    };
    let template = Queues {
        page: Page::new(&state, visitor, "desk.queues_title"),
        screening,
        consent_review,
        quality_check,
        sessions,
        requests: open_requests
            .into_iter()
            .map(|seen| Waiting {
                id: seen.row.id,
                reference: format!(
                    "{} — {}",
                    lang.text(&format!("requests.kind.{}", seen.row.kind.as_str())),
                    seen.row.order_reference
                ),
                since: lang.text(&format!("desk.request_status.{}", seen.row.status.as_str())),
            })
            .collect(),
    };
    page::render(
        &state,
        visitor,
        StatusCode::OK,
        Privacy::Personal,
        &template,
    )
}

/// A choice of decision: (value, words).
type Choice = (&'static str, String);

struct Document {
    id: Uuid,
    name: String,
}

/// A deliverable to check, playable in the page through a short-lived link.
struct Playable {
    name: String,
    /// video, voice or photo.
    kind: &'static str,
    url: String,
    label: String,
}

#[derive(Template)]
#[template(path = "desk/review.html")]
struct ReviewPage {
    page: Page,
    id: Uuid,
    reference: String,
    version: i32,
    status: String,
    /// Which form: `start` (submitted), `screening`, `consents`, or none.
    step: &'static str,
    /// Why this reviewer may not decide (the button is disabled and says so).
    barred: Option<String>,
    subject: Vec<(String, String)>,
    answers: Vec<(String, String)>,
    since_death: Option<String>,
    flags: Vec<String>,
    sufficiency: Vec<String>,
    sufficient: bool,
    needs: Vec<(bool, String)>,
    blocked: Option<String>,
    consents: Vec<(String, String)>,
    documents: Vec<Document>,
    playables: Vec<Playable>,
    decisions: Vec<Choice>,
    chosen: String,
    reason: String,
    /// The catalog key saying who reads the reason.
    reason_hint: &'static str,
    override_reason: String,
    errors: FormErrors,
}

/// What was posted, shown again with its errors.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    csrf: String,
    version: String,
    decision: String,
    reason: String,
    sufficiency_override_reason: String,
}

/// `GET /desk/review/{id}`.
pub async fn show(State(state): State<AppState>, studio: Studio, Path(id): Path<Uuid>) -> Response {
    render(
        &state,
        &studio,
        id,
        DecisionForm::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn render(
    state: &AppState,
    Studio { visitor, actor }: &Studio,
    id: Uuid,
    form: DecisionForm,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let db = &state.db;
    let loaded = async {
        let (order, report) = review::screening_of(state, actor, id).await?;
        let (consent_status, records, files, worked_on) = tokio::try_join!(
            consents::status_of(db, &order),
            consents::records(db, actor, id),
            uploads::files::samples(db, actor, id),
            orders::worked_on(db, actor, &order),
        )?;
        Ok::<_, AppError>((order, report, consent_status, records, files, worked_on))
    };
    let (order, report, consent_status, records, files, worked_on) = match loaded.await {
        Ok(found) => found,
        Err(err) => return page::failure(state, visitor, err),
    };
    let (lang, zone) = (visitor.lang, state.settings.studio.zone());
    let step = match order.status {
        OrderStatus::Submitted => "start",
        OrderStatus::Screening => "screening",
        OrderStatus::ConsentReview => "consents",
        OrderStatus::QualityCheck => "quality",
        _ => "",
    };
    let playables = if step == "quality" {
        match playables(state, actor, &order, lang).await {
            Ok(found) => found,
            Err(err) => return page::failure(state, visitor, err),
        }
    } else {
        Vec::new()
    };
    let barred = barred(actor, &order, worked_on, lang);
    let decisions: Vec<Choice> = match step {
        "screening" => ScreeningDecision::ALL
            .iter()
            .map(|d| {
                (
                    d.as_str(),
                    lang.text(&format!("desk.screening.{}", d.as_str())),
                )
            })
            .collect(),
        "consents" => ReviewDecision::ALL
            .iter()
            .map(|d| {
                (
                    d.as_str(),
                    lang.text(&format!("desk.review.{}", d.as_str())),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    let template = ReviewPage {
        page: Page::new(state, visitor, "desk.review_title"),
        id,
        reference: order.reference.clone(),
        version: order.version,
        status: lang.text(&format!("status.{}", order.status.as_str())),
        step,
        barred,
        subject: super::workbench::subject(&order, lang),
        answers: super::workbench::answers(&order, lang),
        since_death: report
            .days_since_death
            .map(|days| lang.fill("desk.days_since_death", &[("n", &days.to_string())])),
        flags: report
            .risk_flags
            .iter()
            .map(|f| flag_words(lang, *f))
            .collect(),
        sufficiency: samples_in_words(lang, &report.sufficiency),
        sufficient: report.sufficiency.passed,
        needs: consent_status
            .requirements
            .iter()
            .map(|r| (r.satisfied, studio_need_in_words(lang, &r.requirement)))
            .collect(),
        blocked: consent_status.blocked.clone(),
        consents: super::workbench::consent_lines(&records, lang, zone),
        documents: files
            .iter()
            .filter(|f| f.kind == SampleKind::Document && f.status == SampleStatus::Verified)
            .map(|f| Document {
                id: f.id,
                name: f.file_name.clone(),
            })
            .collect(),
        playables,
        decisions,
        chosen: form.decision,
        reason: form.reason,
        reason_hint: "desk.reason_hint",
        override_reason: form.sufficiency_override_reason,
        errors,
    };
    page::render(state, visitor, status, Privacy::Personal, &template)
}

/// Why this person may not decide on the order, in words (none when they may).
pub(super) fn barred(
    actor: &crate::actor::Actor,
    order: &OrderRecord,
    worked_on: bool,
    lang: Lang,
) -> Option<String> {
    if access::may_review(actor.who(), order.customer_id, worked_on) {
        return None;
    }
    Some(
        lang.text(if !actor.has(crate::domain::account::Role::Reviewer) {
            "desk.barred.not_reviewer"
        } else if worked_on {
            "desk.barred.worked_on"
        } else {
            "desk.barred.own_order"
        }),
    )
}

/// The order's verified deliverables with a short-lived link each (every link issued is
/// audited, as any download).
async fn playables(
    state: &AppState,
    actor: &crate::actor::Actor,
    order: &OrderRecord,
    lang: Lang,
) -> Result<Vec<Playable>, AppError> {
    let mut out = Vec::new();
    for d in uploads::files::deliverables(&state.db, actor, order.id).await? {
        if d.file.status != SampleStatus::Verified {
            continue;
        }
        let link = uploads::download::deliverable(state, actor, OrderId::from(order.id), d.file.id)
            .await?;
        out.push(Playable {
            name: d.file.file_name.clone(),
            kind: match d.file.kind {
                SampleKind::Video => "video",
                SampleKind::Voice => "voice",
                _ => "photo",
            },
            url: link.request.url,
            label: lang.fill("desk.label", &[("label", &d.label.label_text)]),
        });
    }
    Ok(out)
}

fn flag_words(lang: Lang, flag: RiskFlag) -> String {
    let key = match flag {
        RiskFlag::LivingSubjectNotCustomer => "living_subject_not_customer",
        RiskFlag::MinorSubject => "minor_subject",
        RiskFlag::PublicFigure => "public_figure",
        RiskFlag::EvidenceMissing => "evidence_missing",
        RiskFlag::SubjectRefused => "subject_refused",
    };
    lang.text(&format!("desk.flag.{key}"))
}

/// `POST /desk/review/{id}/start`: take a submitted order into screening.
pub async fn start(
    State(state): State<AppState>,
    studio: Studio,
    Path(id): Path<Uuid>,
    Form(form): Form<DecisionForm>,
) -> Response {
    reviewer_action(state, studio, id, form, OrderAction::StartScreening).await
}

/// `POST /desk/review/{id}/sign-off`: a reviewer signs off the deliverable's quality.
pub async fn sign_off(
    State(state): State<AppState>,
    studio: Studio,
    Path(id): Path<Uuid>,
    Form(form): Form<DecisionForm>,
) -> Response {
    reviewer_action(state, studio, id, form, OrderAction::SignOffQuality).await
}

/// One of the reviewer's lifecycle steps that take nothing but the page's version.
async fn reviewer_action(
    state: AppState,
    studio: Studio,
    id: Uuid,
    form: DecisionForm,
    action: OrderAction,
) -> Response {
    if !studio.visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(studio.visitor.lang);
        return render(&state, &studio, id, form, errors, StatusCode::FORBIDDEN).await;
    }
    let expected = form.version.parse().unwrap_or(-1);
    let input = orders::ActionInput::default();
    let done = orders::act(&state, &studio.actor, id, expected, action, input).await;
    after(&state, studio, id, form, done.map(|_| ())).await
}

/// `POST /desk/review/{id}/decision`: the screening or consent-review decision, by the
/// order's step. Every decision here carries its reason (the page asks for one each time).
pub async fn decide(
    State(state): State<AppState>,
    studio: Studio,
    Path(id): Path<Uuid>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let lang = studio.visitor.lang;
    if !studio.visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(lang);
        return render(&state, &studio, id, form, errors, StatusCode::FORBIDDEN).await;
    }
    let mut errors = FormErrors::default();
    if form.reason.trim().is_empty() {
        errors.add("reason", lang.t("desk.error.reason"));
    }
    let screening = ScreeningDecision::parse(&form.decision);
    let consent = ReviewDecision::parse(&form.decision);
    if screening.is_none() && consent.is_none() {
        errors.add("decision", lang.t("desk.error.decision"));
    }
    if !errors.is_empty() {
        return render(
            &state,
            &studio,
            id,
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let expected = form.version.parse().unwrap_or(-1);
    let reason = Some(form.reason.trim().to_owned());
    let order = match orders::load(&state.db, &studio.actor, id).await {
        Ok(order) => order,
        Err(err) => return page::failure(&state, &studio.visitor, err),
    };
    let done = match (order.status, screening, consent) {
        (OrderStatus::Screening, Some(decision), _) => {
            let command = review::ScreeningDecisionCommand {
                decision,
                reason,
                sufficiency_override_reason: Some(form.sufficiency_override_reason.clone())
                    .filter(|r| !r.trim().is_empty()),
            };
            review::decide_screening(&state, &studio.actor, id, expected, command)
                .await
                .map(|_| ())
        }
        (OrderStatus::ConsentReview, _, Some(decision)) => {
            let decision_made = review::ConsentReview { decision, reason };
            review::decide_consents(
                &state.db,
                &state.settings.sla,
                &studio.actor,
                id,
                expected,
                decision_made,
            )
            .await
            .map(|_| ())
        }
        _ => Err(AppError::conflict(
            Code::InvalidTransition,
            "this decision is not the one the order waits for",
        )),
    };
    after(&state, studio, id, form, done).await
}

async fn after(
    state: &AppState,
    studio: Studio,
    id: Uuid,
    form: DecisionForm,
    done: Result<(), AppError>,
) -> Response {
    let lang = studio.visitor.lang;
    match done {
        Ok(()) => page::see_other(&format!("/desk/review/{id}")),
        Err(AppError::PreconditionFailed { .. }) => {
            let errors = FormErrors::whole(lang.t("form.changed_meanwhile"));
            render(
                state,
                &studio,
                id,
                form,
                errors,
                StatusCode::PRECONDITION_FAILED,
            )
            .await
        }
        Err(err) if err.status().is_client_error() => {
            let fields = [
                (Code::ReasonRequired, "reason"),
                (Code::ReasonTooLong, "reason"),
                (Code::SufficiencyNotMet, "sufficiency_override_reason"),
            ];
            let errors = FormErrors::from_refusal(lang, &err, &fields);
            render(state, &studio, id, form, errors, err.status()).await
        }
        Err(err) => page::failure(state, &studio.visitor, err),
    }
}

/// `GET /desk/orders/{id}/files/{file}`: an audited, short-lived link to one of the order's
/// samples (an evidence document, a photo); the browser is sent on to it.
pub async fn file(
    State(state): State<AppState>,
    Studio { visitor, actor }: Studio,
    Path((id, file)): Path<(Uuid, Uuid)>,
) -> Response {
    match uploads::download::sample(&state, &actor, OrderId::from(id), file).await {
        Ok(link) => page::see_other(&link.request.url),
        Err(err) => page::failure(&state, &visitor, err),
    }
}
