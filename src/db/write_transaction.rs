//! Transactions that change data, started so that concurrent writers wait for each other instead
//! of failing.
//!
//! SQLite's default `BEGIN` is deferred: the transaction reads under a snapshot and asks for the
//! writer lock at its first write. If another connection committed in between, the snapshot is
//! stale and SQLite refuses the upgrade at once (`SQLITE_BUSY_SNAPSHOT`, "database is locked")
//! without waiting out the busy timeout — two customers saving at the same moment, one of them
//! got a 500. A write transaction therefore begins `IMMEDIATE` on SQLite: it takes the writer
//! lock first (waiting up to the busy timeout for the current writer), so what it reads is what
//! it writes over. PostgreSQL ignores the SQLite mode; its transactions are unchanged.
//!
//! SQLite has one writer at a time, and a connection that finds the lock taken waits in
//! SQLite's busy handler, which polls by sleeping 1, 2, 5, 10 … 100 ms between tries: with
//! several requests writing at once, the unlucky one slept past many that came later (a p99
//! of 120 ms at 16 clients while a write takes under 1 ms). So within one process the write
//! transactions on one SQLite file queue at an async FIFO gate before `BEGIN IMMEDIATE`, and
//! each waits exactly as long as the writers ahead of it; the frequent single-statement
//! writes outside a transaction queue there too ([`writer_turn`]). Other processes on the same file
//! (the CLI, a second server) still meet at SQLite's lock as before.
//!
//! `write_transaction` is sea-orm's `transaction` with those differences: the work runs in a
//! transaction that commits on `Ok` and rolls back on `Err`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};

use std::future::Future;
use std::pin::Pin;

use sea_orm::{
    DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use tokio::sync::OwnedMutexGuard;

pub trait WriteTransaction {
    /// Run `work` in a transaction that holds the SQLite writer lock from its start; commit
    /// when it returns `Ok`, roll back when it returns `Err`.
    fn write_transaction<F, T, E>(&self, work: F) -> impl Future<Output = Result<T, E>> + Send
    where
        F: for<'c> FnOnce(
                &'c DatabaseTransaction,
            ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: From<DbErr> + Send;
}

impl WriteTransaction for DatabaseConnection {
    async fn write_transaction<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: for<'c> FnOnce(
                &'c DatabaseTransaction,
            ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: From<DbErr> + Send,
    {
        let _turn = writer_turn(self).await;
        let txn = self
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        match work(&txn).await {
            Ok(value) => {
                txn.commit().await?;
                Ok(value)
            }
            Err(err) => {
                // The work's error is the one worth reporting; a rollback that fails leaves the
                // connection to be discarded, which ends the transaction just the same.
                if let Err(rollback) = txn.rollback().await {
                    tracing::warn!(error = %rollback, "rolling back a failed write transaction");
                }
                Err(err)
            }
        }
    }
}

/// One gate per SQLite file in this process.
static WRITER_GATES: LazyLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Default::default);

/// This writer's turn at its SQLite file's gate, held until dropped; `None` on PostgreSQL,
/// whose writers do not exclude each other. Write transactions take it themselves; a single
/// write statement outside one (an idempotency claim, a session's last use) takes it around
/// the statement, so it queues with them instead of polling SQLite's lock.
pub async fn writer_turn(db: &DatabaseConnection) -> Option<OwnedMutexGuard<()>> {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return None;
    }
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let gate = {
        // A panic while the map was held cannot leave it half-changed: take it as it is.
        let mut gates = WRITER_GATES.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(gates.entry(file).or_default())
    };
    Some(gate.lock_owned().await)
}

#[cfg(test)]
mod tests {
    use super::WriteTransaction;
    use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

    async fn count(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM t",
            ))
            .await?
            .ok_or_else(|| DbErr::Custom("no row".into()))?;
        row.try_get("", "n")
    }

    async fn database(dir: &tempfile::TempDir) -> DatabaseConnection {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = crate::db::connect(&url).await.expect("sqlite");
        db.execute_unprepared("CREATE TABLE t (n INTEGER)")
            .await
            .expect("table");
        db
    }

    #[tokio::test]
    async fn commits_on_ok_and_rolls_back_on_err() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = database(&dir).await;
        db.write_transaction::<_, (), DbErr>(|txn| {
            Box::pin(async move {
                txn.execute_unprepared("INSERT INTO t VALUES (1)").await?;
                Ok(())
            })
        })
        .await
        .expect("committed");
        let refused = db
            .write_transaction::<_, (), DbErr>(|txn| {
                Box::pin(async move {
                    txn.execute_unprepared("INSERT INTO t VALUES (2)").await?;
                    Err(DbErr::Custom("refused".into()))
                })
            })
            .await;
        assert!(refused.is_err());
        assert_eq!(
            count(&db).await.expect("count"),
            1,
            "the refused insert was rolled back"
        );
    }

    /// Each writer reads, lets the others run, then writes what it read plus one: with a
    /// deferred BEGIN the later writers' snapshots go stale and SQLite refuses them at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_read_then_write_transactions_wait_for_each_other() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = database(&dir).await;
        let writers = (0..8).map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                db.write_transaction::<_, (), DbErr>(|txn| {
                    Box::pin(async move {
                        let seen = count(txn).await?;
                        tokio::task::yield_now().await;
                        txn.execute_unprepared(&format!("INSERT INTO t VALUES ({})", seen + 1))
                            .await?;
                        Ok(())
                    })
                })
                .await
            })
        });
        for writer in writers.collect::<Vec<_>>() {
            writer.await.expect("joined").expect("no writer refused");
        }
        assert_eq!(count(&db).await.expect("count"), 8);
        let distinct = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(DISTINCT n) AS n FROM t",
            ))
            .await
            .expect("query")
            .expect("a row");
        assert_eq!(
            distinct.try_get::<i64>("", "n").expect("n"),
            8,
            "each writer saw the one before it"
        );
    }
}
