//! Live sessions on the desk (human-driven orders): the workbench's list of sessions with
//! what was logged — above all whether the on-screen AI label was shown, in words and a shape
//! —, booking one (when, which actor by their consent on the order, who takes part), logging
//! one after the fact or cancelling it; and the reviewers' page for a session logged without
//! the label (`/desk/orders/{id}/sessions/{sid}`), where a reviewer who did not work on the
//! order records what they found, with a reason.
//!
//! The same services as `/api/v1/orders/{id}/live-sessions…`; a booking form carries a
//! one-time key, so a double click books once.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Studio;
use crate::db::{self, consents::ConsentRow, live_sessions::SessionRow};
use crate::domain::ids::OrderId;
use crate::domain::live_session::{self, Participant, SessionStatus};
use crate::domain::order::DeliveryMode;
use crate::error::AppError;
use crate::idempotency::{self, Once};
use crate::problem::Code;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::i18n::Lang;
use crate::web::page::{self, Page, Privacy};
use crate::{live_sessions, orders};

/// One session as the workbench lists it.
pub struct SessionLine {
    pub id: Uuid,
    pub at: String,
    pub status: String,
    /// Participants, duration, the label (with its shape), notes, the review.
    pub details: Vec<String>,
    /// Still booked: it can be logged or cancelled.
    pub open: bool,
    /// Logged without the label and not reviewed yet.
    pub flagged: bool,
}

/// The workbench's live-session panel.
#[derive(Default)]
pub struct SessionsPanel {
    /// A human-driven order: the panel is shown.
    pub shown: bool,
    pub lines: Vec<SessionLine>,
    /// Sessions can be booked now (the order is in production).
    pub bookable: bool,
    /// The actors who may be booked: (consent id, "name — signed …").
    pub actors: Vec<(Uuid, String)>,
    /// The booking form's one-time key.
    pub once: Uuid,
}

/// The panel for `order`, from its sessions and consents.
pub fn panel(
    order: &db::orders::OrderRecord,
    sessions: &[SessionRow],
    records: &[ConsentRow],
    names: &HashMap<Uuid, String>,
    lang: Lang,
    zone: FixedOffset,
) -> SessionsPanel {
    if order.delivery_mode != DeliveryMode::HumanDriven {
        return SessionsPanel::default();
    }
    let actors = records
        .iter()
        .filter(|r| db::consents::facts(r).is_ok_and(|f| live_session::actor_consent_usable(&f)))
        .map(|r| {
            let signed = lang.fill(
                "desk.session.actor_signed",
                &[
                    ("name", r.signer_name.as_deref().unwrap_or("—")),
                    ("at", &lang.datetime(r.signed_at, zone)),
                ],
            );
            (r.id, signed)
        })
        .collect();
    SessionsPanel {
        shown: true,
        lines: sessions
            .iter()
            .map(|s| line(s, names, lang, zone))
            .collect(),
        bookable: live_session::schedulable(order.delivery_mode, order.status).is_ok(),
        actors,
        once: Uuid::new_v4(),
    }
}

fn line(
    s: &SessionRow,
    names: &HashMap<Uuid, String>,
    lang: Lang,
    zone: FixedOffset,
) -> SessionLine {
    let mut details = Vec::new();
    let people: Vec<Participant> =
        serde_json::from_value(s.participants.clone()).unwrap_or_default();
    if !people.is_empty() {
        let listed: Vec<String> = people
            .iter()
            .map(|p| match &p.relationship {
                Some(r) => lang.fill(
                    "desk.session.participant",
                    &[("name", &p.name), ("relationship", r)],
                ),
                None => p.name.clone(),
            })
            .collect();
        let names = listed.join(lang.t("desk.session.separator"));
        details.push(lang.fill("desk.session.participants", &[("names", &names)]));
    }
    if let Some(minutes) = s.duration_minutes {
        details.push(lang.fill("desk.session.duration", &[("n", &minutes.to_string())]));
    }
    match s.ai_label_shown {
        Some(true) => details.push(format!("✓ {}", lang.t("desk.session.label_shown"))),
        Some(false) => details.push(format!("▲ {}", lang.t("desk.session.label_missing"))),
        None => {}
    }
    if let Some(notes) = s.notes.as_ref().filter(|n| !n.trim().is_empty()) {
        details.push(notes.clone());
    }
    if let Some(reason) = &s.cancel_reason {
        details.push(lang.fill("desk.session.cancelled_because", &[("reason", reason)]));
    }
    if let (Some(at), Some(note)) = (s.reviewed_at, &s.review_note) {
        let by = s
            .reviewed_by
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| lang.text("desk.someone"));
        details.push(lang.fill(
            "desk.session.reviewed",
            &[
                ("at", &lang.datetime(at, zone)),
                ("by", &by),
                ("note", note),
            ],
        ));
    }
    SessionLine {
        id: s.id,
        at: lang.datetime(s.scheduled_at, zone),
        status: lang.text(&format!("session.{}", s.status.as_str())),
        details,
        open: s.status == SessionStatus::Scheduled,
        flagged: s.flagged_for_review && s.reviewed_at.is_none(),
    }
}

/// The booking form as posted.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct BookForm {
    #[serde(skip_serializing)]
    csrf: String,
    once: String,
    /// `YYYY-MM-DDTHH:MM` in the studio's zone (a `datetime-local` field).
    at: String,
    actor: String,
    /// One person a line: "name" or "name, relationship".
    participants: String,
}

/// `POST /desk/orders/{id}/sessions`: book a live session.
pub async fn book(
    State(state): State<AppState>,
    studio: Studio,
    Path(id): Path<Uuid>,
    Form(form): Form<BookForm>,
) -> Response {
    let lang = studio.visitor.lang;
    if !studio.visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(lang);
        return super::workbench::again(&state, &studio, id, errors, StatusCode::FORBIDDEN).await;
    }
    let zone = state.settings.studio.zone();
    let mut errors = FormErrors::default();
    let at = local_time(&form.at, zone);
    if at.is_none() {
        errors.add("session_at", lang.t("desk.error.session_at"));
    }
    let actor_consent = Uuid::parse_str(&form.actor).ok();
    if actor_consent.is_none() {
        errors.add("session_actor", lang.t("desk.error.session_actor"));
    }
    let (Some(scheduled_at), Some(actor_consent_id), true) = (at, actor_consent, errors.is_empty())
    else {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return super::workbench::again(&state, &studio, id, errors, status).await;
    };
    let booking = live_sessions::BookSession {
        scheduled_at,
        actor_consent_id,
        participants: participants(&form.participants),
    };
    let fields = [
        (Code::InvalidSchedule, "session_at"),
        (Code::ActorConsentMissing, "session_actor"),
        (Code::InvalidParticipants, "session_participants"),
    ];
    let prepared = match live_sessions::prepare(&state.db, &studio.actor, id, booking).await {
        Ok(prepared) => prepared,
        Err(err) => return super::workbench::refused(&state, &studio, id, err, &fields).await,
    };
    let owner = studio.actor.id.to_string();
    let key = format!("page:live-session:{}", form.once);
    let actor = studio.actor.clone();
    let booked = idempotency::create_once(&state, &owner, &key, &(id, &form), move |txn| {
        Box::pin(async move {
            let row = live_sessions::store(txn, &actor, prepared).await?;
            Ok((row.id, serde_json::json!({ "id": row.id })))
        })
    })
    .await;
    match booked {
        Ok(Once::Created(_) | Once::Replayed { .. }) => {
            page::see_other(&format!("/desk/orders/{id}#sessions-heading"))
        }
        Err(err) => super::workbench::refused(&state, &studio, id, err, &fields).await,
    }
}

/// A `datetime-local` value read in the studio's zone.
fn local_time(text: &str, zone: FixedOffset) -> Option<DateTime<Utc>> {
    let local = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M").ok()?;
    zone.from_local_datetime(&local)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

/// One participant a line, "name" or "name, relationship" (an ideographic comma too).
fn participants(text: &str) -> Vec<Participant> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once([',', '，']) {
            Some((name, relationship)) if !relationship.trim().is_empty() => Participant {
                name: name.trim().to_owned(),
                relationship: Some(relationship.trim().to_owned()),
            },
            _ => Participant {
                name: l.trim_end_matches([',', '，']).trim().to_owned(),
                relationship: None,
            },
        })
        .collect()
}

/// The log (or cancel) form of one session.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LogForm {
    csrf: String,
    /// `log` or `cancel`.
    step: String,
    duration: String,
    /// `yes` or `no`.
    label: String,
    notes: String,
    reason: String,
}

/// `POST /desk/orders/{id}/sessions/{sid}`: log a held session, or cancel a booked one.
pub async fn log(
    State(state): State<AppState>,
    studio: Studio,
    Path((id, sid)): Path<(Uuid, Uuid)>,
    Form(form): Form<LogForm>,
) -> Response {
    let lang = studio.visitor.lang;
    if !studio.visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(lang);
        return super::workbench::again(&state, &studio, id, errors, StatusCode::FORBIDDEN).await;
    }
    let order_id = OrderId::from(id);
    let done = if form.step == "cancel" {
        let reason = Some(form.reason.as_str()).filter(|r| !r.trim().is_empty());
        live_sessions::cancel(&state.db, &studio.actor, order_id, sid, reason).await
    } else {
        let mut errors = FormErrors::default();
        let duration = form.duration.trim();
        let duration_minutes = if duration.is_empty() {
            None
        } else {
            match duration.parse::<i64>() {
                Ok(minutes) => Some(minutes),
                Err(_) => {
                    errors.add("session_duration", lang.t("problem.invalid_duration"));
                    None
                }
            }
        };
        let ai_label_shown = match form.label.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                errors.add("session_label", lang.t("problem.ai_label_shown_required"));
                None
            }
        };
        if !errors.is_empty() {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return super::workbench::again(&state, &studio, id, errors, status).await;
        }
        let entry = live_sessions::SessionLog {
            duration_minutes,
            ai_label_shown,
            notes: Some(form.notes.trim().to_owned()).filter(|n| !n.is_empty()),
        };
        live_sessions::log(&state.db, &studio.actor, order_id, sid, entry).await
    };
    let fields = [
        (Code::InvalidDuration, "session_duration"),
        (Code::AiLabelShownRequired, "session_label"),
        (Code::InvalidNotes, "session_notes"),
        (Code::ReasonRequired, "session_reason"),
        (Code::ReasonTooLong, "session_reason"),
    ];
    match done {
        Ok(_) => page::see_other(&format!("/desk/orders/{id}#sessions-heading")),
        Err(err) => super::workbench::refused(&state, &studio, id, err, &fields).await,
    }
}

#[derive(Template)]
#[template(path = "desk/session.html")]
struct ReviewPage {
    page: Page,
    order_id: Uuid,
    sid: Uuid,
    reference: String,
    session: SessionLine,
    /// Flagged and not reviewed yet: the form is shown.
    reviewable: bool,
    barred: Option<String>,
    reason: String,
    /// The catalog key saying who reads the reason.
    reason_hint: &'static str,
    errors: FormErrors,
}

/// `GET /desk/orders/{id}/sessions/{sid}`: a session for its reviewer.
pub async fn show(
    State(state): State<AppState>,
    studio: Studio,
    Path((id, sid)): Path<(Uuid, Uuid)>,
) -> Response {
    let (form, errors) = (ReviewForm::default(), FormErrors::default());
    render(&state, &studio, id, sid, form, errors, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    Studio { visitor, actor }: &Studio,
    id: Uuid,
    sid: Uuid,
    form: ReviewForm,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let (lang, zone) = (visitor.lang, state.settings.studio.zone());
    let db = &state.db;
    let loaded = async {
        let order = orders::load(db, actor, id).await?;
        let (sessions, worked_on, people) = tokio::try_join!(
            live_sessions::for_order(db, actor, id),
            orders::worked_on(db, actor, &order),
            crate::production::desk::studio_people(db, actor),
        )?;
        Ok::<_, AppError>((order, sessions, worked_on, people))
    };
    let (order, sessions, worked_on, people) = match loaded.await {
        Ok(found) => found,
        Err(err) => return page::failure(state, visitor, err),
    };
    let Some(session) = sessions.iter().find(|s| s.id == sid) else {
        let missing = AppError::not_found(Code::SessionNotFound, "no such session");
        return page::failure(state, visitor, missing);
    };
    let names: HashMap<Uuid, String> = people.into_iter().collect();
    let template = ReviewPage {
        page: Page::new(state, visitor, "desk.session_title"),
        order_id: id,
        sid,
        reference: order.reference.clone(),
        reviewable: session.flagged_for_review && session.reviewed_at.is_none(),
        barred: super::review::barred(actor, &order, worked_on, lang),
        session: line(session, &names, lang, zone),
        reason: form.reason,
        reason_hint: "desk.session.reason_hint",
        errors,
    };
    page::render(state, visitor, status, Privacy::Personal, &template)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewForm {
    csrf: String,
    reason: String,
}

/// `POST /desk/orders/{id}/sessions/{sid}/review`: a reviewer's finding on a flagged session.
pub async fn review(
    State(state): State<AppState>,
    studio: Studio,
    Path((id, sid)): Path<(Uuid, Uuid)>,
    Form(form): Form<ReviewForm>,
) -> Response {
    let lang = studio.visitor.lang;
    if !studio.visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(lang);
        return render(
            &state,
            &studio,
            id,
            sid,
            form,
            errors,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    if form.reason.trim().is_empty() {
        let mut errors = FormErrors::default();
        errors.add("reason", lang.t("desk.error.reason"));
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(&state, &studio, id, sid, form, errors, status).await;
    }
    let reason = form.reason.trim().to_owned();
    let order_id = OrderId::from(id);
    match live_sessions::review(&state.db, &studio.actor, order_id, sid, Some(&reason)).await {
        Ok(_) => page::see_other(&format!("/desk/orders/{id}/sessions/{sid}")),
        Err(err) if err.status().is_client_error() => {
            let fields = [
                (Code::ReasonRequired, "reason"),
                (Code::ReasonTooLong, "reason"),
            ];
            let errors = FormErrors::from_refusal(lang, &err, &fields);
            render(&state, &studio, id, sid, form, errors, err.status()).await
        }
        Err(err) => page::failure(&state, &studio.visitor, err),
    }
}

/// The flagged sessions waiting for a reviewer, oldest booking first, with their orders'
/// references: (order id, session id, reference, when).
pub async fn flagged(
    state: &AppState,
    actor: &crate::actor::Actor,
    lang: Lang,
    limit: u64,
) -> Result<Vec<(Uuid, Uuid, String, String)>, AppError> {
    let zone = state.settings.studio.zone();
    let rows = live_sessions::studio_list(&state.db, actor, true, None, limit).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.order_id).collect();
    let references = db::orders::references(&state.db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let reference = references.get(&r.order_id).cloned().unwrap_or_default();
            let at = lang.datetime(r.scheduled_at, zone);
            (r.order_id, r.id, reference, at)
        })
        .collect())
}
