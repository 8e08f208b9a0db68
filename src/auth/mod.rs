//! Credentials: password hashing and session tokens. Deciding *who may do what* belongs to the
//! HTTP layer (`http::session`) and the domain; this module only proves who someone is.

pub mod password;
pub mod token;
