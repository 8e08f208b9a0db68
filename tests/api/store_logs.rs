//! The embedded store logs a client's refused request as what it is — a client's mistake (WARN)
//! — and not at ERROR, which is kept for server faults. Captured with the service's own log
//! filter (`telemetry::filter`) and a layer that records every event let through.

use std::sync::{Arc, Mutex};

use tracing::Level;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;

use crate::helpers::TestApp;

type Events = Arc<Mutex<Vec<(Level, String)>>>;

/// Records each event's level and fields.
struct Capture(Events);

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let line = format!("{} {}", event.metadata().target(), fields.0);
        self.0
            .lock()
            .unwrap()
            .push((*event.metadata().level(), line));
    }
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={value:?} ", field.name()));
    }
}

#[tokio::test]
async fn a_refused_signature_is_a_warning_not_an_error() {
    let events = Events::default();
    let subscriber = tracing_subscriber::registry()
        .with(Capture(events.clone()).with_filter(keepsake::telemetry::filter(None)));
    // This test's runtime is single-threaded: the server and the store run on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = TestApp::spawn().await;
    let link = app
        .state
        .store
        .presign_get(
            "orders/nothing/samples/here",
            std::time::Duration::from_secs(60),
            "here.bin",
        )
        .await
        .unwrap();
    let (start, signature) = link.url.split_once("X-Amz-Signature=").unwrap();
    let forged: String = signature
        .chars()
        .map(|c| if c == '0' { '1' } else { '0' })
        .collect();
    let reply = app
        .client
        .get(format!("{start}X-Amz-Signature={forged}"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), reqwest::StatusCode::FORBIDDEN);

    let events = events.lock().unwrap().clone();
    let errors: Vec<_> = events.iter().filter(|(l, _)| *l == Level::ERROR).collect();
    assert!(
        errors.is_empty(),
        "no ERROR for a client's mistake: {errors:#?}"
    );
    let warned: Vec<_> = events
        .iter()
        .filter(|(l, line)| *l == Level::WARN && line.contains("SignatureDoesNotMatch"))
        .collect();
    assert_eq!(warned.len(), 1, "one WARN naming the refusal: {events:#?}");
    assert!(
        !warned[0].1.contains(&forged),
        "the query string (signature, credentials) is not logged"
    );
}
