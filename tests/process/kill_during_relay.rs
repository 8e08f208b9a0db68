//! `kill -9` during an outbox relay, at its one unguarded moment: the SMTP server has the whole
//! mail and the relay has not yet heard its answer (nor recorded anything). The listener holds
//! that answer forever; the process dies there. After the restart the lease lapses and the
//! mail goes once more with the same `Message-ID`, so the receiving side can tell it is the same
//! mail; every other message goes exactly once, and each is recorded sent once.

use std::time::Duration;

use reqwest::StatusCode;

use crate::harness::{Config, Launch, audit_of, database, eventually, fresh_database, outbox_of};
use crate::smtp_listener::SmtpListener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_during_a_relay_sends_the_open_mail_once_more_with_its_message_id_and_no_other_twice()
{
    let listener = SmtpListener::start().await;
    listener.hold_next(1);
    let dir = tempfile::tempdir().unwrap();
    let db_url = fresh_database().await;
    // The relay waits 2 s for an answer; a claim lapses after 3 s.
    let config = Config::for_tests().smtp(listener.port, 2, 3);
    let launch = Launch::new(dir.path(), &config).database(db_url.as_deref());
    let server = launch.start().await;
    let api = server.api();
    let token = api.customer("mourner@example.com").await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        let (order, etag) = api.ready_draft(&token).await;
        let submitted = api.try_act(&token, &order, "submit", &etag).await.unwrap();
        assert_eq!(submitted.status, StatusCode::OK, "{:?}", submitted.body);
        orders.push(order);
    }
    let held = listener.wait_for_held(1).await;
    server.kill().await;
    let held_id = held[0].message_id().to_owned();

    let _server = launch.start().await;
    let db = database(&launch.database_url()).await;
    let messages = eventually(
        "every message recorded sent",
        Duration::from_secs(60),
        || async {
            let mut all = Vec::new();
            for order in &orders {
                all.extend(outbox_of(&db, order.parse().unwrap()).await);
            }
            all.iter()
                .all(|m| m.status.as_str() == "sent")
                .then_some(all)
        },
    )
    .await;
    assert_eq!(messages.len(), 3, "{messages:?}");
    let mailed = listener.accepted();
    for message in &messages {
        let id = format!("<outbox.{}@studio.example>", message.id);
        let times = mailed.iter().filter(|m| m.message_id() == id).count();
        assert_eq!(times, 1, "{id} accepted {times} times");
    }
    assert_eq!(mailed.len(), messages.len(), "nothing else was mailed");
    assert!(
        mailed.iter().any(|m| m.message_id() == held_id),
        "the mail cut off by the kill went out again under {held_id}"
    );
    assert_eq!(
        listener.held().len(),
        1,
        "held once, sent once more: two conversations at most"
    );
    for order in &orders {
        let events = audit_of(&db, order.parse().unwrap()).await;
        let sent = events.iter().filter(|e| *e == "notification.sent").count();
        assert_eq!(sent, 1, "{order}: {events:?}");
    }
}
