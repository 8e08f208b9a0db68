//! The consent ledger is tamper-evident: the database refuses edits, and an edit made anyway
//! (by someone who switched the guard off) is named by verify — over HTTP and on the command
//! line.

use keepsake::domain::account::Role;
use sea_orm::{ConnectionTrait, DatabaseBackend};
use serde_json::Value;

use crate::helpers::TestApp;

async fn ledger_with_events(app: &TestApp) -> (String, String) {
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let first = app.screened_order("machine_driven", &reviewer).await;
    let second = app.screened_order("human_driven", &reviewer).await;
    (first, second)
}

async fn switch_off_the_guard(app: &TestApp) {
    let sql = match app.state.db.get_database_backend() {
        DatabaseBackend::Postgres => {
            "ALTER TABLE ledger_events DISABLE TRIGGER ledger_events_append_only"
        }
        _ => "DROP TRIGGER ledger_events_no_update",
    };
    app.state.db.execute_unprepared(sql).await.unwrap();
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_an_event_but_allows_erasure() {
    let app = TestApp::spawn().await;
    ledger_with_events(&app).await;
    let db = &app.state.db;
    for sql in [
        "UPDATE ledger_events SET content = 'x' WHERE seq = 1",
        "UPDATE ledger_events SET personal = 'x' WHERE seq = 1",
        "DELETE FROM ledger_events WHERE seq = 2",
    ] {
        assert!(db.execute_unprepared(sql).await.is_err(), "{sql}");
    }
    db.execute_unprepared(
        "UPDATE ledger_events SET personal = NULL, personal_salt = NULL WHERE seq = 1",
    )
    .await
    .expect("erasing the personal fields is allowed");
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let report = app.verify_ledger(&admin).await;
    assert_eq!(report["ok"], true, "erasure keeps the chain: {report}");
    assert_eq!(report["events_checked"], 2);
}

#[tokio::test]
async fn one_changed_byte_is_named_by_verify_over_http_and_on_the_command_line() {
    let app = TestApp::spawn().await;
    ledger_with_events(&app).await;
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let clean = app.verify_ledger(&admin).await;
    assert_eq!(clean["ok"], true, "{clean}");
    assert_eq!(clean["head_seq"], 2);

    switch_off_the_guard(&app).await;
    let target = app
        .state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT id, content FROM ledger_events WHERE seq = 2",
        ))
        .await
        .unwrap()
        .unwrap();
    let content: String = target.try_get("", "content").unwrap();
    let id: uuid::Uuid = target.try_get("", "id").unwrap();
    assert!(content.contains("\"proceed\""));
    app.state
        .db
        .execute_unprepared(
            "UPDATE ledger_events SET content = REPLACE(content, '\"proceed\"', '\"proceeD\"') WHERE seq = 2",
        )
        .await
        .unwrap();

    let report = app.verify_ledger(&admin).await;
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["first_broken"]["seq"], 2);
    assert_eq!(report["first_broken"]["event_id"], id.to_string());
    assert_eq!(report["first_broken"]["fault"], "hash_mismatch");
    assert_eq!(report["events_checked"], 1);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keepsake"))
        .args(["ledger", "verify"])
        .env("KEEPSAKE_DATA_DIR", app.data_dir())
        .env("DATABASE_URL", app.state.settings.effective_database_url())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success(), "a broken ledger fails the command");
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["first_broken"]["event_id"], id.to_string());
    assert!(String::from_utf8_lossy(&out.stderr).contains("seq 2"));
}

#[tokio::test]
async fn only_reviewers_and_admins_verify() {
    let app = TestApp::spawn().await;
    let staff = app
        .studio_member("staff@studio.example", &[Role::Staff])
        .await;
    for token in [&app.auth, &staff] {
        let reply = app
            .send(
                reqwest::Method::GET,
                "/api/v1/ledger/verify",
                &[("authorization", token)],
                None,
            )
            .await;
        assert_eq!(reply.status, reqwest::StatusCode::FORBIDDEN);
    }
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let empty = app.verify_ledger(&reviewer).await;
    assert_eq!(empty["ok"], true);
    assert_eq!(empty["events_checked"], 0);
}
