//! Command-line types (clap derive only; the work is in [`crate::app`]).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// kefusim: load simulator for e-commerce customer-service chat (客服) routing.
#[derive(Debug, Parser)]
#[command(name = "kefusim", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and print a summary (optionally write result files).
    Run(RunArgs),
    /// Validate a scenario and print it with every default resolved.
    Check(CheckArgs),
}

/// `kefusim run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Also write summary.json, timeseries.csv and agents.csv into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Override run.seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override run.replications.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: Option<u32>,
    /// Worker threads for replications (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
}

/// `kefusim check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
}

/// Output format of `kefusim run` on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable summary table.
    Table,
    /// The summary.json document and nothing else.
    Json,
}
