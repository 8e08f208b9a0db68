//! What every handler, service and job shares: the database, the object store, the settings
//! and the studio's signing identity. A leaf: it depends on nothing that serves requests or runs jobs, so anything may
//! take an `AppState` without importing the router (`app.rs`, the composition root, builds it).

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::labels::credentials::StudioCredentials;
use crate::storage::ObjectStore;

/// Cheap to clone: a pool handle, a client handle and a shared pointer.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub store: ObjectStore,
    pub settings: Arc<Settings>,
    /// The studio's C2PA signing identity, loaded (or made, for development) at start-up.
    pub credentials: Arc<StudioCredentials>,
}
