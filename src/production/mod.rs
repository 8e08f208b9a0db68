//! Production: the stage bookkeeping behind the order actions that start, advance, hold, resume
//! and sign off the work ([`plan`]), and what staff do beside them — take or assign a job,
//! leave internal notes — the stage templates admins publish, and the board the studio reads.

mod assign;
mod board;
pub mod desk;
mod notes;
mod plan;
pub mod reports;
mod templates;

pub use assign::assign;
pub use board::{BoardSnapshot, board, stages};
pub use notes::{add_note, notes};
pub use plan::plan;
pub use templates::{publish_template, templates};
