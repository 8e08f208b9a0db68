//! Replicas starting at once on one database: every process runs the migrations, one applies
//! them under the database's migration lock, the others wait and find nothing to do. Real
//! `keepsake migrate` processes, started together, against a fresh database each test.

use std::path::Path;

use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

/// How many processes race; 3 of 6 two-replica cold starts failed before the lock.
const REPLICAS: usize = 4;

/// Start `REPLICAS` `keepsake migrate` processes at the same moment on one database (the
/// SQLite file in `data_dir` unless `database_url` names another) and wait for them all.
async fn migrate_at_once(data_dir: &Path, database_url: Option<&str>) -> Vec<std::process::Output> {
    let runs = (0..REPLICAS).map(|_| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_keepsake"));
        command
            .arg("migrate")
            .current_dir(data_dir)
            .env("KEEPSAKE_DATA_DIR", data_dir)
            .env("RUST_LOG", "warn")
            .env_remove("DATABASE_URL")
            .kill_on_drop(true);
        if let Some(url) = database_url {
            command.env("DATABASE_URL", url);
        }
        command.output()
    });
    futures::future::join_all(runs)
        .await
        .into_iter()
        .map(|run| run.expect("start keepsake migrate"))
        .collect()
}

fn assert_all_succeeded(runs: &[std::process::Output]) {
    for (i, run) in runs.iter().enumerate() {
        assert!(
            run.status.success(),
            "replica {i} failed ({}):\n{}",
            run.status,
            String::from_utf8_lossy(&run.stderr)
        );
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a count")
}

/// Every migration recorded exactly once, and the newest schema in place.
async fn assert_migrated_once(db: &DatabaseConnection) {
    let applied = count(db, "SELECT COUNT(*) FROM seaql_migrations").await;
    let distinct = count(db, "SELECT COUNT(DISTINCT version) FROM seaql_migrations").await;
    let expected = migration::Migrator::migrations().len() as i64;
    assert_eq!((applied, distinct), (expected, expected));
    assert_eq!(count(db, "SELECT COUNT(*) FROM orders").await, 0);
}

#[tokio::test]
async fn replicas_migrating_one_postgres_database_at_once_all_start() {
    let Some(url) = crate::helpers::test_database_url().await else {
        eprintln!("TEST_DATABASE_URL not set: skipped (needs a PostgreSQL server)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let runs = migrate_at_once(dir.path(), Some(&url)).await;
    assert_all_succeeded(&runs);
    let db = Database::connect(url.as_str()).await.unwrap();
    assert_migrated_once(&db).await;

    // A later start (the next release's replicas) finds nothing to do and still succeeds.
    assert_all_succeeded(&migrate_at_once(dir.path(), Some(&url)).await);
    assert_migrated_once(&db).await;
}

#[tokio::test]
async fn replicas_migrating_one_sqlite_file_at_once_all_start() {
    let dir = tempfile::tempdir().unwrap();
    let runs = migrate_at_once(dir.path(), None).await;
    assert_all_succeeded(&runs);
    let file = dir.path().join("keepsake.db");
    let db = Database::connect(format!("sqlite://{}", file.display()).as_str())
        .await
        .unwrap();
    assert_migrated_once(&db).await;
    let check = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.try_get_by_index::<String>(0).unwrap(), "ok");
}
