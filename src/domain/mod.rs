//! Pure rules, no I/O: what an order may become, when its intake is complete, how an upload is
//! split into parts, which file types each sample kind accepts, whether samples suffice.
//! Everything here is decided from values handed in, so it is tested without a database.

pub mod access;
pub mod account;
pub mod consent;
pub mod consent_policy;
pub mod data_rights;
pub mod delivery;
pub mod events;
pub mod ids;
pub mod intake;
pub mod iteration;
pub mod ledger;
pub mod live_session;
pub mod money;
pub mod order;
pub mod production;
pub mod reference;
pub mod reports;
pub mod risk;
pub mod sample;
pub mod sufficiency;
pub mod throttle;
pub mod timeline;
