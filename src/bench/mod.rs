//! `keepsake bench …`: measurements run on demand, never as timed tests (machines are noisy).
//! Each bench prints its numbers; the issue notes quote them.

mod api;
mod board;
mod label;
mod ledger;
mod synthetic;
mod upload;

use clap::Subcommand;

use crate::config::Settings;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Orders created per second through the JSON API vs the same writes issued directly on
    /// the same database, and the list's rate.
    Api(api::ApiBench),
    /// Upload throughput through the whole flow vs a raw PUT, the server's peak RSS under
    /// concurrent uploads, and the bytes read from the store to probe a large video.
    Upload(upload::UploadBench),
    /// The board query's p50/p95 as the order history grows, and the SLA sweeper's cost.
    Board(board::BoardBench),
    /// A deliverable's labeled copy vs a plain copy: MB/s and peak RSS growth.
    Label(label::LabelBench),
    /// Consent ledger appends (concurrent writers) and a full verify: rates and memory.
    Ledger(ledger::LedgerBench),
}

pub async fn run(
    which: BenchCommand,
    _settings: Settings,
) -> Result<(), Box<dyn std::error::Error>> {
    match which {
        BenchCommand::Api(args) => api::run(args).await,
        BenchCommand::Upload(args) => upload::run(args).await,
        BenchCommand::Ledger(args) => ledger::run(args).await,
        BenchCommand::Board(args) => board::run(args).await,
        BenchCommand::Label(args) => label::run(args).await,
    }
}
