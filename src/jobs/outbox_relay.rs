//! The outbox relay: hands every committed outbox message to the SMTP server, once in effect,
//! however many replicas run it.
//!
//! Each message is claimed with a lease (`db::outbox::claim`), rendered (`notifications::
//! templates`), sent, and its fate recorded only while the lease is still this relay's. A
//! temporary failure (4xx, a connection that failed or timed out) is tried again after an
//! exponential, capped, jittered backoff; after `max_attempts` tries — or at once when the
//! server refuses for good (5xx) — the message is `failed` and stays for admins to see.
//!
//! The one gap leases cannot close is a relay dying after the server accepted a mail and
//! before recording it: the lease lapses, another relay sends the mail again. It carries the
//! same `Message-ID` (derived from the outbox id), so the receiving side recognises the
//! duplicate. Messages are claimed one at a time, so a lease only has to outlive one SMTP
//! conversation and never lapses while a message waits behind others in a batch.

use std::time::Duration;

use crate::db::WriteTransaction;
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use uuid::Uuid;

use super::every::{Pass, run_every};
use crate::audit::{self, Actor, Target};
use crate::db::{self, outbox::Fate, outbox::OutboxRow};
use crate::error::{AppError, AppResult};
use crate::notifications::mailer::Mailer;
use crate::notifications::templates::{self, Facts, Plan, Rendered};
use crate::outbox::Audience;
use crate::state::AppState;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Relayed {
    pub sent: usize,
    /// Failed this time; tried again later.
    pub retried: usize,
    /// Given up.
    pub failed: usize,
    /// Deliberately not mailed.
    pub skipped: usize,
    /// Taken over by another relay before this one could record the outcome.
    pub lost: usize,
}

impl Pass for Relayed {
    fn report(&self) {
        if *self != Self::default() {
            tracing::info!(
                sent = self.sent,
                retried = self.retried,
                failed = self.failed,
                skipped = self.skipped,
                lost = self.lost,
                "outbox relay"
            );
        }
    }
}

/// This process's name as a lease owner.
pub fn worker_name() -> String {
    format!("relay:{}:{}", std::process::id(), Uuid::now_v7())
}

/// Send every message due at `now`, as `worker`.
pub async fn relay_once(
    state: &AppState,
    mailer: &Mailer,
    worker: &str,
    now: DateTime<Utc>,
) -> AppResult<Relayed> {
    relay_until(state, mailer, worker, now, || false).await
}

/// [`relay_once`], claiming no further message once `stopping` says so (the one in hand is
/// finished and recorded first).
pub async fn relay_until(
    state: &AppState,
    mailer: &Mailer,
    worker: &str,
    now: DateTime<Utc>,
    stopping: impl Fn() -> bool,
) -> AppResult<Relayed> {
    let now = db::truncate_to_micros(now);
    let n = &state.settings.notifications;
    let lease = chrono::Duration::seconds(i64::try_from(n.lease_secs).unwrap_or(300));
    let mut relayed = Relayed::default();
    // A pass may run long (many messages, slow servers): each claim is timed from when it is
    // made — the injected `now` plus the time this pass has taken — so a lease always covers
    // the one conversation it was taken for.
    let started = std::time::Instant::now();
    loop {
        if stopping() {
            return Ok(relayed);
        }
        let elapsed = chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let now = db::truncate_to_micros(now + elapsed);
        let claimed = db::outbox::claim(&state.db, worker, now, now + lease, 1).await?;
        if claimed.is_empty() {
            return Ok(relayed);
        }
        for row in claimed {
            let fate = attempt(state, mailer, &row, now).await?;
            let counter = match &fate {
                Fate::Sent => &mut relayed.sent,
                Fate::Retry { .. } => &mut relayed.retried,
                Fate::Failed { .. } => &mut relayed.failed,
                Fate::Skipped { .. } => &mut relayed.skipped,
            };
            if settle(state, &row, worker, now, fate).await? {
                *counter += 1;
            } else {
                tracing::warn!(outbox_id = %row.id, "the lease lapsed before the outcome was recorded; another relay has the message");
                relayed.lost += 1;
            }
        }
    }
}

/// Who receives the message and what it says, or why it is not mailed.
enum Planned {
    Mail(lettre::message::Mailbox, Rendered),
    Skip(String),
}

async fn plan(state: &AppState, row: &OutboxRow) -> AppResult<Planned> {
    let order = match row.order_id {
        Some(id) => db::orders::find(&state.db, id).await?,
        None => None,
    };
    let settings = &state.settings;
    let facts = Facts {
        kind: &row.kind,
        payload: &row.payload,
        order_id: row.order_id,
        promised_at: order.as_ref().and_then(|o| o.promised_at),
        zone: settings.studio.zone(),
        base_url: &settings.notifications.public_base_url,
        studio_name: &settings.studio.name,
    };
    let rendered = if row.kind == "inquiry.received" {
        inquiry_plan(state, row).await?
    } else {
        templates::render(&facts)
    };
    let mail = match rendered {
        Plan::Send(mail) => mail,
        Plan::Skip(reason) => return Ok(Planned::Skip(reason)),
    };
    // The person a customer-facing message goes to: the order's customer, or the account a
    // message without an order is about.
    let person = match row.order_id {
        Some(_) => order.and_then(|o| o.customer_id),
        None => payload_user(row),
    };
    let address = match Audience::parse(&row.audience) {
        Some(Audience::Staff) => settings.notifications.staff_email.clone(),
        Some(Audience::Customer) => match person {
            Some(customer) => db::users::find(&state.db, customer).await?.map(|u| u.email),
            None => None,
        },
        None => None,
    };
    Ok(
        match address
            .as_deref()
            .and_then(crate::notifications::address::mailbox)
        {
            Some(to) => Planned::Mail(to, mail),
            None => Planned::Skip(format!(
                "no mail address for the {} (none on record, or not a valid address)",
                row.audience
            )),
        },
    )
}

/// A landing-page inquiry's mail, from the inquiry as it stands now.
async fn inquiry_plan(state: &AppState, row: &OutboxRow) -> AppResult<Plan> {
    let id = row.payload["inquiry_id"]
        .as_str()
        .and_then(|id| id.parse::<uuid::Uuid>().ok());
    let inquiry = match id {
        Some(id) => db::inquiries::find(&state.db, id).await?,
        None => None,
    };
    Ok(match inquiry {
        Some(inquiry) => templates::inquiry_mail(
            &inquiry,
            state.settings.studio.zone(),
            &state.settings.studio.name,
        ),
        None => Plan::Skip("the message names no stored inquiry".into()),
    })
}

/// The account a message without an order is about (`account.login_throttled`).
fn payload_user(row: &OutboxRow) -> Option<uuid::Uuid> {
    row.payload["user_id"].as_str()?.parse().ok()
}

/// Try a claimed message once and say what became of it, recording nothing: `relay_once`
/// records the fate; a relay that dies right after this returns is what the lease covers.
pub async fn attempt(
    state: &AppState,
    mailer: &Mailer,
    row: &OutboxRow,
    now: DateTime<Utc>,
) -> AppResult<Fate> {
    let (to, mail) = match plan(state, row).await? {
        Planned::Mail(to, mail) => (to, mail),
        Planned::Skip(reason) => return Ok(Fate::Skipped { reason }),
    };
    let Err(failure) = mailer.send(row.id, row.created_at, to, &mail).await else {
        return Ok(Fate::Sent);
    };
    let n = &state.settings.notifications;
    let failures = u32::try_from(row.attempts).unwrap_or(0).saturating_add(1);
    tracing::warn!(outbox_id = %row.id, kind = %row.kind, attempt = failures, permanent = failure.permanent, error = %failure.reason, "mail not accepted");
    Ok(if failure.permanent || failures >= n.max_attempts {
        Fate::Failed {
            error: failure.reason,
        }
    } else {
        let wait = crate::notifications::retry::backoff(
            n.backoff_base_secs,
            n.backoff_cap_secs,
            failures,
            row.id,
        );
        Fate::Retry {
            next_at: db::truncate_to_micros(now + wait),
            error: failure.reason,
        }
    })
}

/// Record the fate (and, for a mail sent or given up, its audit event) in one transaction, if
/// `worker` still holds the lease.
async fn settle(
    state: &AppState,
    row: &OutboxRow,
    worker: &str,
    now: DateTime<Utc>,
    fate: Fate,
) -> AppResult<bool> {
    let action = match fate {
        Fate::Sent => Some("notification.sent"),
        Fate::Failed { .. } => Some("notification.failed"),
        Fate::Retry { .. } | Fate::Skipped { .. } => None,
    };
    let target = row.order_id.map_or(
        Target {
            kind: "outbox_message",
            id: row.id,
        },
        Target::order,
    );
    let detail = serde_json::json!({ "outbox_id": row.id, "kind": row.kind, "audience": row.audience, "attempts": row.attempts + 1 });
    let (id, worker) = (row.id, worker.to_owned());
    state
        .db
        .write_transaction::<_, bool, AppError>(|txn| {
            Box::pin(async move {
                if !db::outbox::settle(txn, id, &worker, now, fate).await? {
                    return Ok(false);
                }
                if let Some(action) = action {
                    audit::record(
                        txn,
                        &Actor::system("outbox-relay"),
                        action,
                        target,
                        None,
                        detail,
                    )
                    .await?;
                }
                Ok(true)
            })
        })
        .await
}

/// Run [`relay_once`] every `poll_interval_secs` until `stop` turns true.
pub async fn run(state: AppState, mailer: Mailer, stop: watch::Receiver<bool>) {
    let worker = worker_name();
    let every = Duration::from_secs(state.settings.notifications.poll_interval_secs.max(1));
    let stopping = stop.clone();
    run_every("outbox_relay", every, stop, || {
        relay_until(&state, &mailer, &worker, db::now(), || *stopping.borrow())
    })
    .await;
    // A pass that failed between claiming and recording leaves a lease: hand it back.
    if let Err(err) = db::outbox::release_all(&state.db, &worker).await {
        tracing::warn!(error = %err, "the relay's leases could not be handed back; they lapse");
    }
}
