//! The retention job's loop; what it applies (erasures that fell due, late uploads under an
//! erased order, raw samples after delivery) is `privacy::retention`, with its rules.

use tokio::sync::watch;

use super::every::{Pass, run_every};
use crate::db;
use crate::privacy::retention::{Swept, sweep_once};
use crate::state::AppState;

pub async fn run(state: AppState, stop: watch::Receiver<bool>) {
    let every =
        std::time::Duration::from_secs(state.settings.delivery.retention_interval_secs.max(1));
    run_every("retention", every, stop, || {
        sweep_once(&state, db::now())
    })
    .await;
}

impl Pass for Swept {
    fn report(&self) {
        if *self != Self::default() {
            tracing::info!(
                erased = self.erased,
                retention_orders = self.retention_orders,
                samples_purged = self.samples_purged,
                deliverable_originals_purged = self.originals_purged,
                stragglers_deleted = self.stragglers_deleted,
                inquiries_forgotten = self.inquiries_forgotten,
                failures = self.failures,
                "retention sweep"
            );
        }
    }
}
