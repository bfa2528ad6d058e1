//! What each command does, as library functions the binary calls; errors
//! carry their documented exit codes.

use std::io::{self, IsTerminal, Write};
use std::time::Instant as WallClock;

use crate::cli::{CheckArgs, Cli, Command, Format, RunArgs};
use crate::replicate::{self, RunError};
use crate::report::{self, WriteError};
use crate::scenario::{Scenario, ScenarioError};

/// Everything that can stop a command, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Exit code 3: the scenario file cannot be read or is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// Exit code 4: result files or stdout could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Exit code 4: stdout could not be written.
    #[error("cannot write to stdout: {0}")]
    Stdout(io::Error),
    /// Exit code 1: the run itself failed.
    #[error(transparent)]
    Run(#[from] RunError),
}

impl AppError {
    /// The process exit code (see README "Exit codes").
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Run(_) => 1,
            AppError::Scenario(_) => 3,
            AppError::Write(_) | AppError::Stdout(_) => 4,
        }
    }
}

/// Runs a parsed command line.
pub fn execute(cli: Cli) -> Result<(), AppError> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Check(args) => check(args),
    }
}

fn stdout(text: &str) -> Result<(), AppError> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        // A closed pipe (`kefusim run … | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(AppError::Stdout),
    }
}

fn check(args: CheckArgs) -> Result<(), AppError> {
    let scenario = Scenario::load(&args.scenario)?;
    stdout(&format!(
        "{}: valid\n\n{}",
        args.scenario.display(),
        scenario.describe()
    ))
}

fn run(args: RunArgs) -> Result<(), AppError> {
    let mut scenario = Scenario::load(&args.scenario)?;
    if let Some(seed) = args.seed {
        scenario = scenario.with_seed(seed);
    }
    if let Some(r) = args.replications {
        scenario = scenario.with_replications(r);
    }
    let started = WallClock::now();
    let show_progress = io::stderr().is_terminal() && scenario.run.replications > 1;
    let progress = |done: u32, total: u32| {
        if show_progress {
            eprint!("\rreplications {done}/{total}");
            if done == total {
                eprint!("\r\x1b[K");
            }
        }
    };
    let threads = args.threads.map(|t| t as usize);
    let summary = replicate::run_with_progress(&scenario, threads, &progress)?;
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "simulated {} arrivals, {} events in {elapsed:.2} s wall time ({:.2} M arrivals/s)",
        summary.work.arrivals,
        summary.work.events,
        summary.work.arrivals as f64 / elapsed.max(1e-9) / 1e6
    );
    // Write the files first, but print the summary even if writing fails:
    // the user still gets the results, and the exit code says what went wrong.
    let written = args
        .out
        .as_ref()
        .map(|dir| report::write_atomically(dir, &report::output_files(&summary)));
    if let Some(Ok(paths)) = &written {
        for path in paths {
            eprintln!("wrote {}", path.display());
        }
    }
    match args.format {
        Format::Table => stdout(&report::terminal_summary(&summary))?,
        Format::Json => stdout(&report::summary_json(&summary))?,
    }
    match written {
        Some(Err(e)) => Err(e.into()),
        _ => Ok(()),
    }
}
