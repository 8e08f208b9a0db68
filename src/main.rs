//! The `keepsake` binary: parse the command line, load settings, and hand over.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use keepsake::app::Application;
use keepsake::config::{ProcessEnv, Settings};

#[derive(Parser)]
#[command(
    name = "keepsake",
    version,
    about = "Order desk of a digital-memorial studio"
)]
struct Cli {
    /// Settings file (default: ./keepsake.toml when it exists).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory of the embedded database and store (env KEEPSAKE_DATA_DIR; default
    /// ./data). Every command but `serve` and `migrate` needs a database already there.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (the default).
    Serve {
        /// Address to listen on (env KEEPSAKE_LISTEN).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Create the database if needed, apply its migrations and exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Check the consent ledger.
    Ledger {
        #[command(subcommand)]
        action: LedgerCommand,
    },
    /// Measure the service on this machine, on throw-away data of its own (never the
    /// service's: `--data-dir` is refused).
    Bench {
        #[command(subcommand)]
        which: keepsake::bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from the first line of standard input.
    Create {
        #[arg(long)]
        email: String,
        /// customer, staff, reviewer or admin (repeat for several).
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<keepsake::domain::account::Role>,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Recompute every event's hash and both chains; print the result as JSON and exit 1 when
    /// a link is broken (naming the first).
    Verify,
}

fn parse_role(text: &str) -> Result<keepsake::domain::account::Role, String> {
    keepsake::domain::account::Role::parse(text)
        .ok_or_else(|| format!("unknown role {text:?}: use customer, staff, reviewer or admin"))
}

fn main() -> ExitCode {
    keepsake::telemetry::init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("keepsake: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("keepsake: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let mut settings = Settings::load(cli.config.as_deref(), &ProcessEnv)?;
    let command = cli.command.unwrap_or(Command::Serve { listen: None });
    if let Some(dir) = cli.data_dir {
        if matches!(command, Command::Bench { .. }) {
            // A bench seeds and times its own data; pointed at the service's it would fill it
            // with a million synthetic orders.
            return Err(
                "bench runs on throw-away data in a temporary directory and never \
                        on a data directory; drop --data-dir"
                    .into(),
            );
        }
        settings.data_dir = dir;
    }
    match command {
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                settings.listen = listen;
            }
            let app = Application::build(settings).await?;
            tracing::info!(addr = %app.local_addr()?, "keepsake is listening");
            app.serve(shutdown_signal()).await?;
            Ok(())
        }
        Command::Migrate => {
            std::fs::create_dir_all(&settings.data_dir)?;
            let db = keepsake::db::connect(&settings.effective_database_url()).await?;
            keepsake::db::migrate(&db).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Ledger {
            action: LedgerCommand::Verify,
        } => {
            let db = keepsake::db::existing::connect_existing(&settings.effective_database_url())
                .await?;
            let report = keepsake::ledger::verify(&db).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if report.ok {
                Ok(())
            } else {
                Err(format!(
                    "the ledger is broken at event seq {} ({:?})",
                    report.first_broken.as_ref().map_or(0, |b| b.seq),
                    report.first_broken.as_ref().map(|b| b.fault)
                )
                .into())
            }
        }
        Command::Bench { which } => keepsake::bench::run(which, settings).await,
        Command::User {
            action: UserCommand::Create { email, roles },
        } => {
            let password = keepsake::accounts::cli::read_password(std::io::stdin().lock())?;
            let user =
                keepsake::accounts::cli::create_user(&settings, &email, &roles, password).await?;
            println!(
                "created {} ({}) with roles {:?}",
                user.email, user.id, user.roles
            );
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
