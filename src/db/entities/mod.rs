//! sea-orm entities, one file per table. Enum-valued columns are stored as strings (with CHECK
//! constraints in the migrations) and parsed into domain enums at the edge of `db`.

pub mod audit_event;
pub mod consent;
pub mod consent_invitation;
pub mod consent_text;
pub mod data_request;
pub mod deliverable;
pub mod erasure;
pub mod idempotency_key;
pub mod inquiry;
pub mod iteration;
pub mod ledger_event;
pub mod live_session;
pub mod login_failure;
pub mod order;
pub mod order_note;
pub mod order_stage;
pub mod outbox_message;
pub mod payment;
pub mod sample;
pub mod session;
pub mod stage_template;
pub mod user;
pub mod user_role;
