//! The command line: every command takes `--data-dir` / `--config`, and only `serve` and
//! `migrate` create a database — `user create` and `ledger verify` pointed at nothing fail
//! loudly and leave nothing behind, instead of working on a new, empty database.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::helpers::TEST_PASSWORD;

/// Run `keepsake args…` from `cwd` with the password on stdin and no database settings from the
/// environment (nothing but the flags says where the data is).
fn keepsake(cwd: &Path, args: &[&str]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_keepsake"))
        .args(args)
        .current_dir(cwd)
        .env_remove("DATABASE_URL")
        .env_remove("KEEPSAKE_DATA_DIR")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{TEST_PASSWORD}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const CREATE: [&str; 6] = [
    "user",
    "create",
    "--email",
    "admin@studio.example",
    "--role",
    "admin",
];

#[test]
fn commands_pointed_at_no_database_fail_and_create_nothing() {
    let root = tempfile::tempdir().unwrap();
    let missing = root.path().join("missing");
    let missing_arg = missing.display().to_string();

    let create = keepsake(
        root.path(),
        &[&CREATE[..], &["--data-dir", &missing_arg]].concat(),
    );
    assert!(!create.status.success(), "{}", text(&create));
    assert!(
        String::from_utf8_lossy(&create.stderr).contains("no database at"),
        "{}",
        text(&create)
    );
    let verify = keepsake(
        root.path(),
        &["ledger", "verify", "--data-dir", &missing_arg],
    );
    assert!(!verify.status.success(), "{}", text(&verify));
    assert!(
        !String::from_utf8_lossy(&verify.stdout).contains("\"ok\""),
        "no report is printed: {}",
        text(&verify)
    );
    // Without --data-dir: the default ./data of the working directory, which is not there.
    let default = keepsake(root.path(), &CREATE);
    assert!(!default.status.success(), "{}", text(&default));

    assert!(!missing.exists(), "nothing created at the given place");
    assert!(
        !root.path().join("data").exists(),
        "nor in the working directory"
    );
}

#[test]
fn after_migrate_the_commands_work_from_another_directory() {
    let root = tempfile::tempdir().unwrap();
    let (data, elsewhere) = (root.path().join("srv"), root.path().join("home"));
    std::fs::create_dir(&elsewhere).unwrap();
    let data_arg = data.display().to_string();

    let migrate = keepsake(&elsewhere, &["migrate", "--data-dir", &data_arg]);
    assert!(migrate.status.success(), "{}", text(&migrate));
    assert!(data.join("keepsake.db").is_file());

    // The global flag goes before or after the subcommand.
    let create = keepsake(
        &elsewhere,
        &[&["--data-dir", &data_arg][..], &CREATE].concat(),
    );
    assert!(create.status.success(), "{}", text(&create));
    assert!(String::from_utf8_lossy(&create.stdout).contains("created admin@studio.example"));

    let verify = keepsake(&elsewhere, &["ledger", "verify", "--data-dir", &data_arg]);
    assert!(verify.status.success(), "{}", text(&verify));
    let report: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(report["ok"], true);

    assert!(
        !elsewhere.join("data").exists(),
        "nothing in the working directory"
    );
    let again = keepsake(
        &elsewhere,
        &[&CREATE[..], &["--data-dir", &data_arg]].concat(),
    );
    assert!(
        !again.status.success(),
        "the account exists in that database: {}",
        text(&again)
    );
}

#[test]
fn bench_keeps_to_its_own_data() {
    let root = tempfile::tempdir().unwrap();
    let target = root.path().join("service-data");
    let target_arg = target.display().to_string();
    let out = keepsake(
        root.path(),
        &[
            "bench",
            "ledger",
            "--events",
            "10",
            "--data-dir",
            &target_arg,
        ],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("drop --data-dir"),
        "{}",
        text(&out)
    );
    assert!(!target.exists());
}

#[tokio::test]
async fn an_unmigrated_postgresql_database_is_refused() {
    let Some(url) = crate::helpers::test_database_url().await else {
        // SQLite runs: the unmigrated-file case is `db::existing`'s unit test.
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_keepsake"))
        .args(["ledger", "verify"])
        .current_dir(root.path())
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has not been migrated"),
        "{}",
        text(&out)
    );
    let conn = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let has_table = has_migrations_table(&conn).await;
    assert!(!has_table, "the check created no migrations table");
}

async fn has_migrations_table(conn: &sea_orm::DatabaseConnection) -> bool {
    use sea_orm::{ConnectionTrait, Statement};
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'seaql_migrations'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap() > 0
}

#[test]
fn backup_verify_and_restore_from_the_command_line() {
    let root = tempfile::tempdir().unwrap();
    let (data, backup, restored) = (
        root.path().join("data"),
        root.path().join("backup"),
        root.path().join("restored"),
    );
    let [data_arg, backup_arg, restored_arg] =
        [&data, &backup, &restored].map(|p| p.display().to_string());
    assert!(keepsake(root.path(), &["migrate", "--data-dir", &data_arg]).status.success());
    let create = keepsake(root.path(), &[&CREATE[..], &["--data-dir", &data_arg]].concat());
    assert!(create.status.success(), "{}", text(&create));

    let taken = keepsake(root.path(), &["backup", "--to", &backup_arg, "--data-dir", &data_arg]);
    assert!(taken.status.success(), "{}", text(&taken));
    let report: serde_json::Value = serde_json::from_slice(&taken.stdout).unwrap();
    assert_eq!(report["check"]["ok"], true, "{report}");
    assert!(backup.join("manifest.json").is_file() && backup.join("keepsake.db").is_file());

    let again = keepsake(root.path(), &["backup", "--to", &backup_arg, "--data-dir", &data_arg]);
    assert!(!again.status.success(), "{}", text(&again));
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not empty"), "{}", text(&again));
    let aimless = keepsake(root.path(), &["backup", "--data-dir", &data_arg]);
    assert!(!aimless.status.success(), "{}", text(&aimless));

    let checked = keepsake(root.path(), &["backup", "verify", "--from", &backup_arg]);
    assert!(checked.status.success(), "{}", text(&checked));

    let over = keepsake(root.path(), &["restore", "--from", &backup_arg, "--data-dir", &data_arg]);
    assert!(!over.status.success(), "never over live data: {}", text(&over));
    assert!(String::from_utf8_lossy(&over.stderr).contains("is not empty"), "{}", text(&over));

    let restore = keepsake(root.path(), &["restore", "--from", &backup_arg, "--data-dir", &restored_arg]);
    assert!(restore.status.success(), "{}", text(&restore));
    for command in [&["backup", "verify"][..], &["ledger", "verify"]] {
        let out = keepsake(root.path(), &[command, &["--data-dir", &restored_arg]].concat());
        assert!(out.status.success(), "{command:?}: {}", text(&out));
    }
    // The account came back with the rest.
    let create = keepsake(root.path(), &[&CREATE[..], &["--data-dir", &restored_arg]].concat());
    assert!(!create.status.success(), "admin@studio.example exists: {}", text(&create));
}
