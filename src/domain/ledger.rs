//! The consent ledger's arithmetic (PRODUCT.md, "Consent": append-only and tamper-evident).
//!
//! Every event belongs to two chains: its order's (`prev_hash`: the order's previous event) and
//! the whole ledger's (`global_prev_hash`: the event with the previous `seq`). Its `hash` is the
//! SHA-256 of a length-prefixed encoding of every stored field except the personal ones — for
//! those only `personal_digest = SHA-256(salt ‖ personal)` is hashed, so erasing the personal
//! fields and their salt together leaves every link intact.
//!
//! [`Verifier`] walks events in `seq` order and names the first one that does not fit.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

/// The "previous hash" of the first event of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one event that its hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link<'a> {
    pub seq: i64,
    pub order_id: Uuid,
    pub order_seq: i32,
    pub kind: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub content: &'a str,
    pub personal_digest: &'a str,
    pub prev_hash: &'a str,
    pub global_prev_hash: &'a str,
}

/// The event's hash, hex.
pub fn hash(link: &Link<'_>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"keepsake-ledger-v1\n");
    let fields = [
        link.seq.to_string(),
        link.order_id.as_hyphenated().to_string(),
        link.order_seq.to_string(),
        link.kind.to_owned(),
        link.occurred_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
        link.content.to_owned(),
        link.personal_digest.to_owned(),
        link.prev_hash.to_owned(),
        link.global_prev_hash.to_owned(),
    ];
    for field in fields {
        // Length-prefixed, so no two different field lists encode alike.
        hasher.update(field.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(field.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// The digest of an event's personal fields under its salt (both hex/UTF-8 as stored).
pub fn personal_digest(salt: &str, personal: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(b"\n");
    hasher.update(personal.as_bytes());
    hex::encode(hasher.finalize())
}

/// One stored event as the verifier reads it.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub id: Uuid,
    pub seq: i64,
    pub order_id: Uuid,
    pub order_seq: i32,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub content: String,
    pub personal: Option<String>,
    pub personal_salt: Option<String>,
    pub personal_digest: String,
    pub prev_hash: String,
    pub global_prev_hash: String,
    pub hash: String,
}

impl StoredEvent {
    pub fn link(&self) -> Link<'_> {
        Link {
            seq: self.seq,
            order_id: self.order_id,
            order_seq: self.order_seq,
            kind: &self.kind,
            occurred_at: self.occurred_at,
            content: &self.content,
            personal_digest: &self.personal_digest,
            prev_hash: &self.prev_hash,
            global_prev_hash: &self.global_prev_hash,
        }
    }
}

/// What is wrong with the first bad event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// The stored hash is not the hash of the stored fields: a field was changed.
    HashMismatch,
    /// The personal fields do not match the digest the hash covers.
    PersonalDataAltered,
    /// `global_prev_hash` is not the previous event's hash, or `seq` skips or repeats.
    GlobalLinkBroken,
    /// `prev_hash` is not the hash of the order's previous event, or `order_seq` skips.
    OrderLinkBroken,
    /// The global head does not name the last event.
    HeadMismatch,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BrokenLink {
    /// The first event that does not fit (absent for a head mismatch past the last event).
    pub event_id: Option<Uuid>,
    pub seq: i64,
    pub order_id: Option<Uuid>,
    pub fault: Fault,
}

/// Checks events one at a time in `seq` order; remembers only each order's last hash.
#[derive(Debug, Default)]
pub struct Verifier {
    last_seq: i64,
    last_hash: Option<String>,
    orders: HashMap<Uuid, (i32, String)>,
    checked: u64,
}

impl Verifier {
    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// The hash of the last event checked (GENESIS before any).
    pub fn head(&self) -> &str {
        self.last_hash.as_deref().unwrap_or(GENESIS)
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    /// Check the next event; the first fault found is returned.
    pub fn check(&mut self, event: &StoredEvent) -> Result<(), BrokenLink> {
        let broken = |fault| BrokenLink {
            event_id: Some(event.id),
            seq: event.seq,
            order_id: Some(event.order_id),
            fault,
        };
        if hash(&event.link()) != event.hash {
            return Err(broken(Fault::HashMismatch));
        }
        if let (Some(personal), Some(salt)) = (&event.personal, &event.personal_salt)
            && personal_digest(salt, personal) != event.personal_digest
        {
            return Err(broken(Fault::PersonalDataAltered));
        }
        if event.seq != self.last_seq + 1 || event.global_prev_hash != self.head() {
            return Err(broken(Fault::GlobalLinkBroken));
        }
        let (order_seq, order_prev) = self
            .orders
            .get(&event.order_id)
            .map_or((0, GENESIS), |(seq, hash)| (*seq, hash.as_str()));
        if event.order_seq != order_seq + 1 || event.prev_hash != order_prev {
            return Err(broken(Fault::OrderLinkBroken));
        }
        self.orders
            .insert(event.order_id, (event.order_seq, event.hash.clone()));
        self.last_seq = event.seq;
        self.last_hash = Some(event.hash.clone());
        self.checked += 1;
        Ok(())
    }

    /// After the last event: the stored head must name it.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(), BrokenLink> {
        if head_seq == self.last_seq && head_hash == self.head() {
            Ok(())
        } else {
            Err(BrokenLink {
                event_id: None,
                seq: head_seq,
                order_id: None,
                fault: Fault::HeadMismatch,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(specs: &[(u128, &str)]) -> Vec<StoredEvent> {
        let mut events: Vec<StoredEvent> = Vec::new();
        let mut orders: HashMap<Uuid, (i32, String)> = HashMap::new();
        let at = DateTime::parse_from_rfc3339("2026-11-28T10:00:00.123456Z")
            .unwrap()
            .to_utc();
        for (i, (order, content)) in specs.iter().enumerate() {
            let order_id = Uuid::from_u128(*order);
            let (order_seq, prev) = orders
                .get(&order_id)
                .cloned()
                .unwrap_or((0, GENESIS.to_owned()));
            let salt = format!("salt{i}");
            let personal = format!("{{\"name\":\"signer {i}\"}}");
            let mut event = StoredEvent {
                id: Uuid::from_u128(1000 + i as u128),
                seq: i as i64 + 1,
                order_id,
                order_seq: order_seq + 1,
                kind: "consent.signed".into(),
                occurred_at: at,
                content: (*content).into(),
                personal_digest: personal_digest(&salt, &personal),
                personal: Some(personal),
                personal_salt: Some(salt),
                prev_hash: prev,
                global_prev_hash: events.last().map_or(GENESIS.to_owned(), |e| e.hash.clone()),
                hash: String::new(),
            };
            event.hash = hash(&event.link());
            orders.insert(order_id, (event.order_seq, event.hash.clone()));
            events.push(event);
        }
        events
    }

    fn verify(events: &[StoredEvent]) -> Result<u64, BrokenLink> {
        let mut verifier = Verifier::default();
        for e in events {
            verifier.check(e)?;
        }
        let last = events.last();
        verifier.finish(
            last.map_or(0, |e| e.seq),
            last.map_or(GENESIS, |e| e.hash.as_str()),
        )?;
        Ok(verifier.checked())
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let events = chain(&[(1, "a"), (2, "b"), (1, "c"), (3, "d"), (2, "e")]);
        assert_eq!(verify(&events), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn a_changed_byte_names_its_event() {
        let mut events = chain(&[(1, "{\"decision\":\"given\"}"), (2, "b"), (1, "c")]);
        events[0].content = "{\"decision\":\"givem\"}".into();
        let broken = verify(&events).unwrap_err();
        assert_eq!((broken.seq, broken.fault), (1, Fault::HashMismatch));
    }

    #[test]
    fn rehashing_a_changed_event_breaks_the_next_link() {
        let mut events = chain(&[(1, "a"), (1, "b"), (1, "c")]);
        events[1].content = "B".into();
        events[1].hash = hash(&events[1].link());
        let broken = verify(&events).unwrap_err();
        assert_eq!((broken.seq, broken.fault), (3, Fault::GlobalLinkBroken));
    }

    #[test]
    fn personal_data_is_checked_and_erasable() {
        let mut events = chain(&[(1, "a"), (2, "b")]);
        events[1].personal = Some("{\"name\":\"someone else\"}".into());
        assert_eq!(
            verify(&events).unwrap_err().fault,
            Fault::PersonalDataAltered
        );
        events[1].personal = None;
        events[1].personal_salt = None;
        assert_eq!(verify(&events), Ok(2), "erasure keeps the chain whole");
    }

    #[test]
    fn deleted_and_reordered_events_are_found() {
        let mut events = chain(&[(1, "a"), (2, "b"), (1, "c")]);
        events.remove(1);
        assert_eq!(verify(&events).unwrap_err().fault, Fault::GlobalLinkBroken);
        let events = chain(&[(1, "a"), (2, "b")]);
        let mut verifier = Verifier::default();
        verifier.check(&events[0]).unwrap();
        verifier.check(&events[1]).unwrap();
        assert_eq!(
            verifier.finish(3, "x").unwrap_err().fault,
            Fault::HeadMismatch,
            "a dropped last event shows at the head"
        );
    }
}
