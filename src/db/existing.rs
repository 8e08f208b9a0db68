//! Opening a database that must already be there: every command but `serve` and `migrate`
//! (`user create`, `ledger verify`) works on the service's database or not at all.
//!
//! Run from the wrong directory, sqlx would create an empty SQLite file (`mode=rwc`), the
//! command would migrate it and report success — an admin created where no service looks, a
//! ledger "verified" with no events in it. So a SQLite file must exist (and is opened
//! `mode=rw`, which never creates one), and any database — a fresh PostgreSQL one included —
//! must carry every migration this binary knows; the check reads the migrations table without
//! creating it.

use migration::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, DbErr};

#[derive(Debug, thiserror::Error)]
pub enum ExistingDbError {
    #[error(
        "no database at {path}: run `keepsake migrate` first, or point --data-dir (or --config, \
         DATABASE_URL) at the service's data"
    )]
    Missing { path: String },
    #[error(
        "the database has not been migrated ({pending} of {known} migrations pending): run \
         `keepsake migrate` with the same settings first"
    )]
    NotMigrated { pending: usize, known: usize },
    #[error("cannot open the database: {0}")]
    Db(#[from] DbErr),
}

/// Connect to the database at `url`, refusing one that does not exist or is not migrated.
pub async fn connect_existing(url: &str) -> Result<DatabaseConnection, ExistingDbError> {
    let url = match sqlite_file(url) {
        Some(path) => {
            if !std::path::Path::new(path).is_file() {
                return Err(ExistingDbError::Missing {
                    path: path.to_owned(),
                });
            }
            never_create(url)
        }
        None => url.to_owned(),
    };
    let conn = super::connect(&url).await?;
    let pending = Migrator::get_pending_migrations_read_only(&conn)
        .await?
        .len();
    if pending > 0 {
        conn.close().await.ok();
        return Err(ExistingDbError::NotMigrated {
            pending,
            known: Migrator::migrations().len(),
        });
    }
    Ok(conn)
}

/// The file of a `sqlite:` URL (`None` for other databases and in-memory SQLite).
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// The URL with `mode=rw`: read and write, never create.
fn never_create(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return format!("{url}?mode=rw");
    };
    let params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("mode="))
        .chain(["mode=rw"])
        .collect();
    format!("{base}?{}", params.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file_and_never_create_it() {
        assert_eq!(
            sqlite_file("sqlite:///srv/data/keepsake.db?mode=rwc"),
            Some("/srv/data/keepsake.db")
        );
        assert_eq!(
            sqlite_file("sqlite://data/keepsake.db"),
            Some("data/keepsake.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
        assert_eq!(
            never_create("sqlite://d/k.db?mode=rwc"),
            "sqlite://d/k.db?mode=rw"
        );
        assert_eq!(never_create("sqlite://d/k.db"), "sqlite://d/k.db?mode=rw");
        assert_eq!(
            never_create("sqlite://d/k.db?cache=shared&mode=rwc"),
            "sqlite://d/k.db?cache=shared&mode=rw"
        );
    }

    #[tokio::test]
    async fn a_missing_sqlite_file_is_refused_and_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keepsake.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let err = connect_existing(&url).await.unwrap_err();
        assert!(matches!(err, ExistingDbError::Missing { .. }), "{err}");
        assert!(!file.exists());
    }

    #[tokio::test]
    async fn an_unmigrated_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keepsake.db");
        std::fs::File::create(&file).unwrap();
        let url = format!("sqlite://{}", file.display());
        let err = connect_existing(&url).await.unwrap_err();
        assert!(
            matches!(err, ExistingDbError::NotMigrated { pending, .. } if pending > 0),
            "{err}"
        );
        let conn = super::super::connect(&format!("{url}?mode=rwc"))
            .await
            .unwrap();
        super::super::migrate(&conn).await.unwrap();
        conn.close().await.unwrap();
        connect_existing(&url)
            .await
            .expect("a migrated database opens");
    }
}
