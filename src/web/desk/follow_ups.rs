//! The workbench's follow-up iterations: each one's number, what it is, where it stands, its
//! due time and price, what consent it still lacks, and the moves staff may make on it — start
//! (only once the consents cover it; the button says what is missing otherwise), finish the
//! work (to final checks), deliver, or cancel with a reason. Every move names the version the
//! page was made from, as the order's own actions do: a stale page changes nothing and says so.
//! The same service as `/api/v1/orders/{id}/iterations/{iid}/actions/{action}`.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::FixedOffset;
use serde::Deserialize;
use uuid::Uuid;

use super::Studio;
use crate::domain::ids::OrderId;
use crate::domain::iteration::{self, IterationAction};
use crate::error::AppError;
use crate::iterations::{self, IterationView};
use crate::problem::Code;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::i18n::Lang;
use crate::web::page;

/// One move the page offers on an iteration: (action, words).
pub type Move = (&'static str, String);

/// One follow-up as the workbench lists it.
pub struct FollowUpLine {
    pub id: Uuid,
    pub version: i32,
    pub title: String,
    pub description: String,
    pub facts: Vec<String>,
    /// What consent it still lacks, in the studio's words (empty when covered).
    pub missing: Vec<String>,
    pub moves: Vec<Move>,
    /// It can still be cancelled (with a reason).
    pub cancellable: bool,
}

pub fn lines(views: &[IterationView], lang: Lang, zone: FixedOffset) -> Vec<FollowUpLine> {
    views.iter().map(|v| line(v, lang, zone)).collect()
}

fn line(v: &IterationView, lang: Lang, zone: FixedOffset) -> FollowUpLine {
    let mut facts = vec![crate::web::portal::follow_up_status(lang, v)];
    if let Some(due) = v.due_at {
        facts.push(lang.fill("desk.stage_due", &[("at", &lang.datetime(due, zone))]));
    }
    if let Some(price) = &v.price {
        facts.push(lang.fill(
            "desk.follow_up.price",
            &[("amount", &lang.money(price.amount_minor, &price.currency))],
        ));
    }
    let moves = [
        IterationAction::Start,
        IterationAction::Advance,
        IterationAction::Deliver,
    ]
    .into_iter()
    .filter(|a| iteration::next(v.status, *a, true).is_ok())
    .map(|a| {
        let words = lang.text(&format!("desk.follow_up.{}", a.as_str()));
        (a.as_str(), words)
    })
    .collect();
    FollowUpLine {
        id: v.id,
        version: v.version,
        title: lang.fill("iteration.number", &[("n", &v.number.to_string())]),
        description: v.description.clone(),
        facts,
        missing: if v.consent.covered {
            Vec::new()
        } else {
            v.consent.missing.clone()
        },
        moves,
        cancellable: iteration::next(v.status, IterationAction::Cancel, true).is_ok(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    csrf: String,
    version: String,
    action: String,
    reason: String,
}

/// `POST /desk/orders/{id}/iterations/{iid}`: move one follow-up.
pub async fn act(
    State(state): State<AppState>,
    studio: Studio,
    Path((id, iid)): Path<(Uuid, Uuid)>,
    Form(form): Form<MoveForm>,
) -> Response {
    let lang = studio.visitor.lang;
    if !studio.visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(lang);
        return super::workbench::again(&state, &studio, id, errors, StatusCode::FORBIDDEN).await;
    }
    let Some(action) = IterationAction::parse(&form.action) else {
        let unknown = AppError::not_found(Code::UnknownAction, "no such action");
        return super::workbench::refused(&state, &studio, id, unknown, &[]).await;
    };
    let expected = form.version.parse().unwrap_or(-1);
    let reason = Some(form.reason.as_str()).filter(|r| !r.trim().is_empty());
    let order_id = OrderId::from(id);
    let done = iterations::act(
        &state,
        &studio.actor,
        order_id,
        iid,
        expected,
        action,
        reason,
    )
    .await;
    match done {
        Ok(_) => page::see_other(&format!("/desk/orders/{id}#iterations-heading")),
        Err(AppError::PreconditionFailed { .. }) => {
            let errors = FormErrors::whole(lang.t("form.changed_meanwhile"));
            let status = StatusCode::PRECONDITION_FAILED;
            super::workbench::again(&state, &studio, id, errors, status).await
        }
        Err(err) => {
            let fields = [
                (Code::ReasonRequired, "follow_up_reason"),
                (Code::ReasonTooLong, "follow_up_reason"),
            ];
            super::workbench::refused(&state, &studio, id, err, &fields).await
        }
    }
}
