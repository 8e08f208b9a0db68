//! Production: the stage bookkeeping behind the order actions that start, advance, hold, resume
//! and sign off the work ([`plan`]), and what staff do beside them — take or assign a job,
//! leave internal notes — and the stage templates admins publish.

mod assign;
mod notes;
mod plan;
mod templates;

pub use assign::assign;
pub use notes::{add_note, notes};
pub use plan::plan;
pub use templates::{publish_template, templates};
