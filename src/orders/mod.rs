//! The order desk: creating an order, editing its intake, moving it through its lifecycle, and
//! the rules every other service asks before it touches an order — may this person see it, act
//! as its customer, work on it as staff, review it?
//!
//! Every function takes the database (or a transaction), an [`Actor`](crate::actor::Actor) and
//! a command, and returns the order record or an [`AppError`](crate::error::AppError); the JSON
//! API and the pages only translate. A change is one transaction ([`apply_with`]): the
//! conditional update (the order's version), the mail it triggers, the production bookkeeping
//! and the audit event commit together or not at all.

mod access;
mod act;
mod change;
mod create;
mod edit;
mod list;
mod reason;
mod sufficiency;
mod timeline;

pub use access::{
    load, load_for_review, load_own, load_staff, locked, require, require_admin, require_studio,
    worked_on,
};
pub use act::{ActionInput, act};
pub use change::{SideWork, apply, apply_with, check_version, lost_race};
pub use create::{NewOrderCommand, PreparedOrder, prepare, store};
pub use edit::{OrderEdit, edit};
pub use list::{OrderQuery, list};
pub use reason::{decision_reason, required_text};
pub use sufficiency::sufficiency;
pub use timeline::{TimelineEntry, timeline};

use chrono::Utc;

use crate::domain::intake::{self, IntakeAnswers, Subject};
use crate::error::{AppError, AppResult, Code};

/// The intake rules an order must meet whenever it is stored: a plausible subject, answers in
/// range, a jurisdiction we have a policy for (422 `invalid_intake` naming the field).
pub fn validate(subject: &Subject, intake: &IntakeAnswers, jurisdiction: &str) -> AppResult<()> {
    let today = Utc::now().date_naive();
    intake::validate_subject(subject, today)
        .and_then(|()| intake::validate_answers(intake))
        .and_then(|()| intake::validate_jurisdiction(jurisdiction))
        .map_err(|invalid| AppError::Unprocessable {
            code: Code::InvalidIntake,
            detail: format!("{}: {}", invalid.field, invalid.reason),
            extra: Some(serde_json::Map::from_iter([(
                "field".to_owned(),
                invalid.field.into(),
            )])),
        })
}
