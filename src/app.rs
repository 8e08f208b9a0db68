//! Assembling the service: settings → object store (external, or embedded) → database
//! (migrated) → router + background jobs (the outbox relay only when SMTP is configured),
//! served on a listener until a shutdown signal.
//!
//! `Application::build` binds the listener before returning, so tests can ask for port 0 and
//! read the real address, and the binary can log where it listens before serving.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Settings;
use crate::labels::credentials::StudioCredentials;
use crate::notifications::mailer::Mailer;
use crate::state::AppState;
use crate::storage::embedded::EmbeddedStore;
use crate::storage::{ObjectStore, StoreConfig};
use crate::{db, http, jobs, web};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("object store: {0}")]
    Storage(#[from] crate::storage::StorageError),
    #[error("{0}")]
    Mailer(#[from] crate::notifications::mailer::MailerError),
    #[error("signing certificate: {0}")]
    Credentials(#[from] crate::labels::credentials::CredentialError),
    #[error("work directory {path}: {source}")]
    WorkDir {
        path: String,
        source: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    /// `/metrics` on its own address, when `metrics.listen` is set.
    metrics_listener: Option<TcpListener>,
    state: AppState,
    embedded: Option<EmbeddedStore>,
    /// Set when SMTP is configured: the outbox relay runs with it.
    mailer: Option<Mailer>,
}

/// Make the work directory, and empty it of what a process that stopped mid-copy left there a
/// day or more ago (younger files may belong to another process sharing the data directory).
fn clear_work_dir(dir: &std::path::Path) -> Result<(), StartupError> {
    const STALE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
    let failed = |source| StartupError::WorkDir {
        path: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    for entry in std::fs::read_dir(dir).map_err(failed)?.flatten() {
        let stale = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .is_ok_and(|at| at.elapsed().is_ok_and(|age| age > STALE));
        if stale {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    Ok(())
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartupError::DataDir {
            path: settings.data_dir.display().to_string(),
            source,
        })?;
        let mailer = Mailer::from_settings(&settings.smtp)?;
        let credentials =
            StudioCredentials::load(&settings.content_credentials, &settings.data_dir)?;
        if credentials.is_development() {
            tracing::warn!(
                "no signing certificate configured (content_credentials): deliverables are signed \
                 with a development certificate, and every check of them says so"
            );
        }
        clear_work_dir(&settings.work_dir())?;
        let (store_config, embedded) = object_store_config(&settings).await?;
        let store = ObjectStore::new(&store_config);
        store.ensure_bucket().await?;

        let db =
            db::connect::connect_pool(&settings.effective_database_url(), settings.database_pool())
                .await?;
        db::migrate(&db).await?;

        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| StartupError::Listen {
                    addr: settings.listen,
                    source,
                })?;
        let metrics_listener = match settings.metrics.listen {
            Some(addr) => Some(TcpListener::bind(addr).await.map_err(|source| {
                StartupError::Listen { addr, source }
            })?),
            None => None,
        };
        // Installed before the first request, so nothing the process does goes uncounted.
        crate::monitoring::recorder::handle();
        let state = AppState {
            db,
            store,
            settings: Arc::new(settings),
            credentials: Arc::new(credentials),
        };
        Ok(Self {
            listener,
            metrics_listener,
            state,
            embedded,
            mailer,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where `/metrics` listens on its own, when it does.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve HTTP and run the background jobs until `shutdown` completes; then drain.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop, stopped) = watch::channel(false);
        let sweeper = tokio::spawn(jobs::upload_sweeper::run(
            self.state.clone(),
            stopped.clone(),
        ));
        let sla_sweeper = tokio::spawn(jobs::sla_sweeper::run(self.state.clone(), stopped.clone()));
        let retention = tokio::spawn(jobs::retention::run(self.state.clone(), stopped.clone()));
        let metrics = self.metrics_listener.map(|listener| {
            let mut stopped = stopped.clone();
            let router = crate::monitoring::scrape::own_listener(self.state.clone());
            tokio::spawn(async move {
                let done = async move {
                    let _ = stopped.changed().await;
                };
                if let Err(err) = axum::serve(listener, router).with_graceful_shutdown(done).await
                {
                    tracing::error!(error = %err, "the metrics listener stopped");
                }
            })
        });
        // Without SMTP configured, messages stay queued (and visible to admins).
        let relay = match self.mailer {
            Some(mailer) => Some(tokio::spawn(jobs::outbox_relay::run(
                self.state.clone(),
                mailer,
                stopped,
            ))),
            None => {
                tracing::info!("SMTP is not configured: outbox messages stay queued");
                None
            }
        };
        let router = http::router(self.state.clone(), web::router());
        // The peer address feeds login throttling per client.
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
        let _ = stop.send(true);
        let _ = sweeper.await;
        let _ = sla_sweeper.await;
        let _ = retention.await;
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
        if let Some(relay) = relay {
            let _ = relay.await;
        }
        if let Some(embedded) = self.embedded {
            embedded.shutdown().await;
        }
        self.state.db.clone().close().await.ok();
        result
    }
}

/// The object store the settings name — the embedded one started on a port of its own when
/// none is configured — for a command that runs beside the service (`backup verify`).
pub async fn open_object_store(
    settings: &Settings,
) -> Result<(ObjectStore, Option<EmbeddedStore>), StartupError> {
    let mut settings = settings.clone();
    settings.s3.embedded_listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let (config, embedded) = object_store_config(&settings).await?;
    Ok((ObjectStore::new(&config), embedded))
}

async fn object_store_config(
    settings: &Settings,
) -> Result<(StoreConfig, Option<EmbeddedStore>), StartupError> {
    let s3 = &settings.s3;
    match (&s3.endpoint, &s3.access_key_id, &s3.secret_access_key) {
        (Some(endpoint), Some(key), Some(secret)) => Ok((
            StoreConfig {
                endpoint: endpoint.clone(),
                public_endpoint: s3.public_endpoint.clone(),
                bucket: s3.bucket.clone(),
                region: s3.region.clone(),
                access_key_id: key.clone(),
                secret_access_key: secret.clone(),
                proves_assembled_sha256: false,
            },
            None,
        )),
        _ => {
            let embedded = EmbeddedStore::start(&settings.data_dir, s3.embedded_listen).await?;
            let config = StoreConfig {
                endpoint: embedded.endpoint.clone(),
                public_endpoint: s3.public_endpoint.clone(),
                bucket: s3.bucket.clone(),
                region: s3.region.clone(),
                access_key_id: embedded.access_key_id.clone(),
                secret_access_key: embedded.secret_access_key.clone(),
                proves_assembled_sha256: true,
            };
            Ok((config, Some(embedded)))
        }
    }
}
