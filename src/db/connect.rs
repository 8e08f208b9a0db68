//! Opening the database: SQLite (WAL, foreign keys, a busy timeout, at least two connections so
//! a read made while a transaction is open does not deadlock) or PostgreSQL, from one URL.
//!
//! Migrating is safe when several replicas (or `keepsake migrate` and a starting server) do it
//! at once on one database: every pending migration runs in one transaction that first takes
//! the database's migration lock — a transaction-scoped advisory lock on PostgreSQL, the
//! single writer lock (`BEGIN IMMEDIATE`, waiting up to the busy timeout) on SQLite. One
//! process migrates; the others wait at the lock, then find nothing pending and go on. A
//! process that dies half-way rolls everything back and its lock ends with its connection.
//!
//! Opening a fresh SQLite file from several processes at once has one more race: switching
//! it to WAL needs the file to itself, and SQLite answers "database is locked" at once (no busy
//! handler, to avoid a deadlock) when another process is doing the same. Opening is therefore
//! retried for a while on that answer alone; any other error is returned as it is.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, RuntimeErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

/// The key of the PostgreSQL advisory lock migrations hold (any fixed number both replicas
/// agree on; this one spells "keepsake" in ASCII, so no other application picks it by chance).
const MIGRATION_LOCK_KEY: i64 = 0x6b65_6570_7361_6b65;

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_pool(url, Pool::Default).await
}

/// How many connections a pool opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// Up to 8 on SQLite; on PostgreSQL [`default_postgres_pool`].
    Default,
    /// Up to this many (`database_max_connections`; at least 2 on SQLite).
    AtMost(u32),
    /// Exactly this many, opened at once (`bench api`'s floor, sized to its load).
    Exactly(u32),
}

/// [`connect`] with a pool of the given size.
pub async fn connect_pool(url: &str, pool: Pool) -> Result<DatabaseConnection, DbErr> {
    let mut pause = Duration::from_millis(20);
    let give_up = tokio::time::Instant::now() + OPEN_RETRY_FOR;
    loop {
        match open(url, pool).await {
            Err(err) if is_locked(&err) && tokio::time::Instant::now() < give_up => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(500));
            }
            opened => return opened,
        }
    }
}

/// How long opening a SQLite file keeps retrying while other processes set it up.
const OPEN_RETRY_FOR: Duration = Duration::from_secs(30);

/// SQLite's "database is locked" / "database table is locked" (SQLITE_BUSY, SQLITE_LOCKED).
fn is_locked(err: &DbErr) -> bool {
    let (DbErr::Conn(RuntimeErr::SqlxError(sqlx_err))
    | DbErr::Exec(RuntimeErr::SqlxError(sqlx_err))
    | DbErr::Query(RuntimeErr::SqlxError(sqlx_err))) = err
    else {
        return false;
    };
    sqlx_err
        .as_database_error()
        .and_then(|db_err| db_err.code())
        .is_some_and(|code| code == "5" || code == "6")
}

async fn open(url: &str, pool: Pool) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
    if url.starts_with("sqlite:") {
        options
            .max_connections(8)
            .min_connections(2)
            .map_sqlx_sqlite_opts(|o| {
                use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30))
            });
    } else {
        options
            .max_connections(default_postgres_pool())
            .min_connections(1);
    }
    match pool {
        Pool::Default => {}
        Pool::AtMost(n) => {
            let floor = if url.starts_with("sqlite:") { 2 } else { 1 };
            options.max_connections(n.max(floor)).min_connections(floor);
        }
        Pool::Exactly(n) => {
            options.max_connections(n.max(1)).min_connections(n.max(1));
        }
    }
    Database::connect(options).await
}

/// Twice this machine's cores, 4 to 20. More connections than the cores can run do not write
/// faster; they only make some requests wait far longer than others. Measured with `bench
/// api` on 2 cores, 16 clients creating orders: a pool of 20 answered 346–496/s with a p99 of
/// 185–312 ms, a pool of 4 508/s with a p99 of 48 ms.
pub fn default_postgres_pool() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores * 2).unwrap_or(20).clamp(4, 20)
}

/// A pooled connection idle at least this long is pinged before it is handed out. The pool's
/// default pings on every checkout — a round trip per statement outside a transaction, on top
/// of the one it makes when the connection is returned. A busy connection that died (the
/// database restarted) fails its next statement instead, which answers 503 like any outage
/// and is discarded by the pool when it comes back.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(10);

/// Apply every pending migration, once, however many processes call this at the same time.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = begin_locked(db).await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// A transaction holding the migration lock until it commits or rolls back.
async fn begin_locked(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            db.begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
        }
        _ => {
            let txn = db.begin().await?;
            txn.execute_unprepared(&format!(
                "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
            ))
            .await?;
            Ok(txn)
        }
    }
}
