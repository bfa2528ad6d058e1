//! What each command does, as library functions the binary calls; errors
//! carry their documented exit codes.

mod live;
mod progress;
mod shards;
mod sweep;

use std::io::{self, Write};
use std::time::Instant as WallClock;

use crate::cli::{CheckArgs, Cli, Command, Format, RunArgs, TraceArgs};
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
    /// Exit code 1: replications diverged and were stopped (the results
    /// written are those up to that point).
    #[error("{0}")]
    Diverged(String),
    /// Exit code 7: the routing service cannot be reached, or failed.
    #[error("{0}")]
    Router(String),
    /// Exit code 130: a live run was interrupted (Ctrl-C); the results
    /// for what was sent were written, marked as interrupted.
    #[error("{0}")]
    Interrupted(String),
    /// Exit code 1: kefusim could not finish what it was asked (a bug).
    #[error("{0}")]
    Failed(String),
    /// Exit code 1: the run itself failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// Exit code 3: shards cannot be merged (unreadable, damaged, or not
    /// every shard of one run exactly once).
    #[error(transparent)]
    Shard(#[from] crate::shard::MergeError),
    /// Exit code 2: a command-line value is wrong (beyond what the parser checks).
    #[error("{0}")]
    Usage(String),
    /// Exit code 5: the run missed one or more of the scenario's `[thresholds]`.
    #[error("{0}")]
    Thresholds(String),
    /// Exit code 6: compared with a baseline, the results got worse (or
    /// changed at all, with `--strict`).
    #[error("{0}")]
    Regression(String),
}

impl AppError {
    /// The process exit code (see README "Exit codes").
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Run(RunError::Router(_)) | AppError::Router(_) => 7,
            AppError::Run(_) | AppError::Diverged(_) | AppError::Failed(_) => 1,
            AppError::Usage(_) => 2,
            AppError::Scenario(_) | AppError::Shard(_) => 3,
            AppError::Write(_) | AppError::Stdout(_) => 4,
            AppError::Thresholds(_) => 5,
            AppError::Regression(_) => 6,
            AppError::Interrupted(_) => 130,
        }
    }
}

/// Runs a parsed command line.
pub fn execute(cli: Cli) -> Result<(), AppError> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Check(args) => check(args),
        Command::Trace(args) => trace(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Plan(args) => plan(args),
        Command::Serve(args) => serve(args),
        Command::Live(args) => live::live(args),
        Command::Merge(args) => shards::merge(args),
        Command::Compare(args) => {
            let current = load_results(&args.current)?;
            let baseline = load_results(&args.baseline)?;
            let gate = gate(&args.judge, &current.gate, &baseline)?;
            let comparison =
                crate::regress::compare::compare(&current, &baseline, &gate, args.judge.strict);
            match args.format {
                Format::Table => stdout(&crate::regress::compare::table(&comparison))?,
                Format::Json => stdout(&crate::regress::compare::json(&comparison))?,
            }
            regressions(&comparison)
        }
        Command::Report { dir } => {
            let summary = report::load_summary(&dir).map_err(|e| AppError::Usage(e.to_string()))?;
            let files = report::report_files(&summary, true);
            say(&report::write_atomically(
                &dir,
                &files,
                report::Replace::Files,
            )?);
            Ok(())
        }
        Command::Schema { protocol: false } => stdout(&(crate::scenario::json_schema() + "\n")),
        Command::Schema { protocol: true } => {
            let text =
                serde_json::to_string_pretty(&crate::remote::schema()).expect("plain JSON values");
            stdout(&(text + "\n"))
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "kefusim", &mut out);
            stdout(&String::from_utf8_lossy(&out))
        }
    }
}

fn trace(args: TraceArgs) -> Result<(), AppError> {
    use crate::time::{parse_duration, parse_instant};
    use crate::trace::{TraceFilter, Tracer};
    let mut scenario = Scenario::load(&args.scenario)?;
    if let Some(seed) = args.seed {
        scenario = scenario.with_seed(seed);
    }
    let scenario = with_router(scenario, args.router.as_deref(), args.allow_remote)?;
    if args.replication >= scenario.run.replications {
        return Err(AppError::Usage(format!(
            "--replication must be below run.replications ({}), got {}",
            scenario.run.replications, args.replication
        )));
    }
    let agent = match &args.agent {
        Some(name) => Some(
            scenario
                .agents
                .iter()
                .position(|a| &a.name == name)
                .ok_or_else(|| {
                    let names: Vec<&str> = scenario
                        .agents
                        .iter()
                        .take(8)
                        .map(|a| a.name.as_str())
                        .collect();
                    AppError::Usage(format!(
                        "--agent: no agent named `{name}` (agents are named like {}{})",
                        names.join(", "),
                        if scenario.agents.len() > 8 {
                            ", …"
                        } else {
                            ""
                        }
                    ))
                })? as u32,
        ),
        None => None,
    };
    let until = match &args.until {
        None => crate::time::SimTime::MAX,
        Some(text) => match (parse_instant(text), parse_duration(text)) {
            (Ok(instant), _) => {
                let t = scenario.run.clock.sim_of(instant);
                u64::try_from(t).map_err(|_| {
                    AppError::Usage(format!("--until {text} is before the run starts"))
                })?
            }
            (_, Ok(d)) => d,
            (Err(instant), Err(duration)) => {
                // Say what is wrong with what it looks like: an instant has a date.
                let looks_like_instant = text.len() > 4 && text.as_bytes()[4] == b'-';
                let why = if looks_like_instant {
                    instant
                } else {
                    duration
                };
                return Err(AppError::Usage(format!(
                    "--until must be an RFC 3339 instant or a duration such as 2h, got {text:?}: {why}"
                )));
            }
        },
    };
    let candidates = crate::trace::Candidates::ALL
        .iter()
        .find(|(n, _)| *n == args.candidates)
        .map_or(crate::trace::Candidates::Counts, |(_, c)| *c);
    let format = report::TraceFormat::new(&scenario, candidates);
    // Streamed, so memory does not grow with the log: to stdout, or to a
    // staged file renamed into place only when the whole log is written.
    let staged = match &args.out {
        Some(path) => Some(report::StagedFile::create(path)?),
        None => None,
    };
    let mut writer: Box<dyn Write> = match &staged {
        Some(file) => Box::new(io::BufWriter::new(file.file())),
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    };
    let mut failed: Option<io::Error> = None;
    let tracer = Tracer {
        filter: TraceFilter {
            conversation: args.conversation,
            agent,
            candidates,
        },
        until,
        sink: Box::new(|e| {
            if failed.is_none()
                && let Err(err) = writeln!(writer, "{}", format.line(e))
            {
                failed = Some(err);
            }
        }),
    };
    let routed = match &scenario.router {
        None => {
            let mut engine =
                crate::engine::Engine::new(&scenario, args.replication).with_tracer(tracer);
            engine.run();
            Ok(())
        }
        Some(spec) => trace_remote(&scenario, spec, args.replication, tracer),
    };
    let result = match failed {
        Some(e) => Err(e),
        None => writer.flush(),
    };
    drop(writer);
    if let Err(e) = routed {
        drop(staged); // removes the staged file: nothing half-done
        return Err(AppError::Run(e.into()));
    }
    match (staged, result) {
        // A closed pipe (`kefusim trace … | head`) is the reader's choice, not an error.
        (None, Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        (None, r) => r.map_err(AppError::Stdout),
        (Some(file), Err(source)) => {
            let path = args.out.clone().unwrap_or_default();
            drop(file); // removes the staged file
            Err(report::WriteError { path, source }.into())
        }
        (Some(file), Ok(())) => {
            let path = file.commit()?;
            eprintln!("wrote {}", path.display());
            Ok(())
        }
    }
}

/// Runs one traced replication routed by the service `spec`.
fn trace_remote<'s>(
    scenario: &'s Scenario,
    spec: &crate::scenario::ServiceSpec,
    replication: u32,
    tracer: crate::trace::Tracer<'s>,
) -> Result<(), crate::remote::RouterError> {
    use crate::remote::{RemoteRouter, Service, check_service, drive};
    // Stops on a failure: a trace is not finished on the fallback.
    let service = Service {
        finish_if_down: false,
        ..Service::of(spec)
    };
    check_service(&service)?;
    let router = RemoteRouter::connect(&service, scenario, replication)?;
    let mut engine =
        crate::engine::Engine::with_dispatcher(scenario, replication, router).with_tracer(tracer);
    drive(&mut engine)?;
    engine.dispatcher().closer()();
    Ok(())
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
    let warnings: String = scenario
        .warnings()
        .iter()
        .map(|w| format!("warning: {w}\n"))
        .collect();
    stdout(&format!(
        "{}: valid\n{warnings}\n{}",
        args.scenario.display(),
        scenario.describe()
    ))
}

fn run(args: RunArgs) -> Result<(), AppError> {
    judging_needs_baseline(args.baseline.as_deref(), &args.judge)?;
    let scenario = overridden(Scenario::load(&args.scenario)?, &args.overrides)?;
    if let Some(spec) = &args.shard {
        return shards::run_shard(&args, &scenario, spec);
    }
    if args.shard_count.is_some() {
        return Err(AppError::Usage(
            "--shard-count goes with --shard auto".to_string(),
        ));
    }
    // Read before the run, so a bad path fails fast.
    let baseline = read_baseline(args.baseline.as_deref(), &args.judge, &scenario)?;
    let started = WallClock::now();
    let threads = args.overrides.threads.map(|t| t as usize);
    let summary = progress::with_progress(args.progress, &scenario, |p| {
        replicate::run_with_progress(&scenario, threads, p)
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "simulated {} arrivals, {} events in {elapsed:.2} s wall time ({:.2} M arrivals/s)",
        summary.work.arrivals,
        summary.work.events,
        summary.work.arrivals as f64 / elapsed.max(1e-9) / 1e6
    );
    deliver(
        &summary,
        &Delivery {
            out: args.out.as_deref(),
            report: !args.no_report,
            format: args.format,
            strict: args.judge.strict,
        },
        baseline,
    )
}

/// `--tolerance` and friends only mean something with `--baseline`.
fn judging_needs_baseline(
    baseline: Option<&std::path::Path>,
    j: &crate::cli::JudgeArgs,
) -> Result<(), AppError> {
    if baseline.is_none()
        && (!j.tolerances.is_empty() || j.strict || !j.metrics.is_empty() || j.alpha.is_some())
    {
        return Err(AppError::Usage(
            "--tolerance, --metrics, --alpha and --strict judge a comparison: they need --baseline PATH".to_string(),
        ));
    }
    Ok(())
}

/// A baseline to compare with, read and its gate built (before the run,
/// so a bad path fails fast).
type Baseline = Option<(
    std::path::PathBuf,
    replicate::Summary,
    crate::catalog::GateSpec,
)>;

fn read_baseline(
    path: Option<&std::path::Path>,
    judge: &crate::cli::JudgeArgs,
    scenario: &Scenario,
) -> Result<Baseline, AppError> {
    match path {
        Some(path) => {
            let b = load_results(path)?;
            let g = gate(judge, &scenario.compare, &b)?;
            Ok(Some((path.to_path_buf(), b, g)))
        }
        None => Ok(None),
    }
}

/// Where and how results go.
struct Delivery<'a> {
    out: Option<&'a std::path::Path>,
    report: bool,
    format: Format,
    strict: bool,
}

/// Writes the result files, prints the summary, compares with the
/// baseline and judges: the end of `run` and of `merge`.
fn deliver(
    summary: &replicate::Summary,
    to: &Delivery<'_>,
    baseline: Baseline,
) -> Result<(), AppError> {
    // Write the files first, but print the summary even if writing fails:
    // the user still gets the results, and the exit code says what went wrong.
    let written = to.out.map(|dir| {
        let files = report::all_output_files(summary, to.report);
        report::write_atomically(dir, &files, report::Replace::Set)
    });
    if let Some(Ok(w)) = &written {
        say(w);
    }
    match to.format {
        Format::Table => stdout(&report::terminal_summary(summary))?,
        Format::Json => stdout(&report::summary_json(summary))?,
    }
    if let Some(Err(e)) = written {
        return Err(e.into());
    }
    let compared = match &baseline {
        Some((path, b, g)) => {
            let c = crate::regress::compare::compare(summary, b, g, to.strict);
            eprint!(
                "compared with {}:\n{}",
                path.display(),
                crate::regress::compare::table(&c)
            );
            Some(c)
        }
        None => None,
    };
    diverged(summary)?;
    // Thresholds first: exit code 5 wins over 6 when both fail.
    thresholds_met(summary)?;
    compared.map_or(Ok(()), |c| regressions(&c))
}

/// Says on stderr what a write repaired and wrote.
fn say(written: &report::Written) {
    for line in &written.repaired {
        eprintln!("note: {line}");
    }
    for path in &written.paths {
        eprintln!("wrote {}", path.display());
    }
}

/// Exit code 1 when replications diverged: the results are incomplete.
fn diverged(summary: &replicate::Summary) -> Result<(), AppError> {
    if summary.work.diverged == 0 {
        return Ok(());
    }
    Err(AppError::Diverged(format!(
        "diverging: {} of {} replications were stopped before their end: {}; the results written and printed are those up to that point, marked as such",
        summary.work.diverged,
        summary.replications,
        summary
            .work
            .divergence
            .map_or_else(String::new, |d| d.to_string())
    )))
}

fn plan(args: crate::cli::PlanArgs) -> Result<(), AppError> {
    let scenario = overridden(Scenario::load(&args.scenario)?, &args.overrides)?;
    let Some(spec) = scenario.plan.clone() else {
        return Err(AppError::Usage(format!(
            "{} has no [plan] section; add one naming the pool to staff and the shift templates, e.g.\n\n[plan]\nentry = \"presale\"\ntargets = [\"answered_within_120s_over_offered >= 90%\", \"abandon_rate <= 3%\"]\nshrinkage = 0.1\n[[plan.shifts]]\nname = \"day\"\nshift = {{ start = \"09:00\", end = \"18:00\" }}\n\n(see README \"Capacity planning\")",
            args.scenario.display()
        )));
    };
    let started = WallClock::now();
    let mut log = |line: &str| eprintln!("{line} [{:.1} s]", started.elapsed().as_secs_f64());
    let result = crate::plan::plan(
        &scenario,
        args.overrides.threads.map(|t| t as usize),
        &mut log,
    )
    .map_err(|e| match e {
        crate::plan::PlanError::Run(r) => AppError::Run(r),
        crate::plan::PlanError::Unreachable(m) => AppError::Thresholds(format!("no plan: {m}")),
    })?;
    // The scenario file with the roster merged in (scenario.toml, --apply).
    let applied = std::fs::read_to_string(&args.scenario)
        .map_err(|e| e.to_string())
        .and_then(|text| crate::plan::applied_scenario(&text, &scenario, &spec, &result.counts));
    if let Err(e) = &applied {
        eprintln!("warning: cannot merge the roster into the scenario file: {e}");
    }
    let r = report::PlanReport {
        scenario: &scenario,
        spec: &spec,
        result: &result,
        applied: applied.as_deref().ok(),
    };
    let written = args.out.as_ref().map(|dir| {
        let files = report::plan_output_files(&r);
        report::write_atomically(dir, &files, report::Replace::Set)
    });
    if let Some(Ok(w)) = &written {
        say(w);
    }
    stdout(&report::plan_text(&r))?;
    if let Some(Err(e)) = written {
        return Err(e.into());
    }
    if let Some(path) = &args.apply {
        let misses = result.verified.iter().filter(|v| !**v).count();
        apply_plan(path, &args.scenario, misses, applied)?;
    }
    if result.accepted {
        Ok(())
    } else {
        Err(AppError::Thresholds(format!(
            "the plan is not accepted: {} interval(s) miss a target in the roster's own simulation",
            result.verified.iter().filter(|v| !**v).count()
        )))
    }
}

/// `plan --apply PATH`: writes the scenario with the roster merged in, for
/// an accepted plan (no interval `misses` a target) only.
fn apply_plan(
    path: &std::path::Path,
    scenario: &std::path::Path,
    misses: usize,
    applied: Result<String, String>,
) -> Result<(), AppError> {
    if misses > 0 {
        return Err(AppError::Thresholds(format!(
            "the plan is not accepted ({misses} interval(s) miss a target in the roster's own simulation), so it was not applied to {}",
            path.display()
        )));
    }
    let text = applied.map_err(|e| {
        AppError::Failed(format!(
            "cannot merge the roster into {}: {e}",
            scenario.display()
        ))
    })?;
    report::write_file_atomically(path, text.as_bytes())?;
    eprintln!(
        "wrote {} (the scenario with the roster merged in)",
        path.display()
    );
    Ok(())
}

/// `sc` with `--seed` and `--replications` applied.
fn overridden(mut sc: Scenario, o: &crate::cli::RunOverrides) -> Result<Scenario, AppError> {
    if let Some(seed) = o.seed {
        sc = sc.with_seed(seed);
    }
    if let Some(r) = o.replications {
        sc = sc.with_replications(r);
    }
    let mut sc = with_router(sc, o.router.as_deref(), o.allow_remote)?;
    if let Some(s) = sc.router.as_mut() {
        s.finish_if_down = o.finish_on_fallback;
    }
    Ok(sc)
}

/// `sc` with `--router URL` applied, checked to be on this machine unless
/// `allow_remote`.
fn with_router(
    mut sc: Scenario,
    router: Option<&str>,
    allow_remote: bool,
) -> Result<Scenario, AppError> {
    if let Some(url) = router {
        sc.router = Some(
            crate::scenario::ServiceSpec::parse(url, sc.router_timeout_ms)
                .map_err(|e| AppError::Usage(format!("--router: {e}")))?,
        );
    }
    if let Some(s) = &sc.router
        && !s.loopback
        && !allow_remote
    {
        return Err(AppError::Usage(format!(
            "the routing service {} is not on this machine; kefusim only talks to loopback services unless --allow-remote is given",
            s.url
        )));
    }
    Ok(sc)
}

fn serve(args: crate::cli::ServeArgs) -> Result<(), AppError> {
    let scenario = Scenario::load(&args.scenario)?;
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        return Err(AppError::Usage(format!(
            "--listen {}: not a loopback address; kefusim serve binds loopback only unless --allow-remote is given",
            args.listen
        )));
    }
    let idle = crate::time::parse_duration(&args.idle_exit)
        .ok()
        .filter(|&ms| ms >= 1_000)
        .ok_or_else(|| {
            AppError::Usage(format!(
                "--idle-exit must be a duration of at least 1s, e.g. 10m; got `{}`",
                args.idle_exit
            ))
        })?;
    let (name, agents, groups) = (
        scenario.name.clone(),
        scenario.agents.len(),
        scenario.groups.len(),
    );
    let delay = crate::time::parse_duration(&args.delay)
        .ok()
        .filter(|&ms| ms <= 600_000)
        .ok_or_else(|| {
            AppError::Usage(format!(
                "--delay must be a duration of at most 10m, e.g. 20ms; got `{}`",
                args.delay
            ))
        })?;
    crate::serve::serve(
        scenario,
        crate::serve::ServeOptions {
            delay: std::time::Duration::from_millis(delay),
            allow_remote: args.allow_remote,
        },
        args.listen,
        std::time::Duration::from_millis(idle),
        |addr| {
            eprintln!(
                "kefusim serve: routing `{name}` ({agents} agents, {groups} groups) on http://{addr} ({}); stops after {} without a request or on Ctrl-C",
                crate::remote::PROTOCOL,
                args.idle_exit
            )
        },
    )
    .map_err(|e| {
        AppError::Router(format!("kefusim serve: cannot listen on {}: {e}", args.listen))
    })
}

fn load_results(path: &std::path::Path) -> Result<replicate::Summary, AppError> {
    report::load_metrics(path).map_err(|e| AppError::Usage(e.to_string()))
}

/// The gate of a comparison: `saved` (the scenario's `[compare]`) with the
/// flags on top: `--metrics` replaces its metrics, `--tolerance` adds to
/// its tolerances, `--alpha` replaces its rate. Names are checked against
/// the baseline's metrics (aliases resolved).
fn gate(
    args: &crate::cli::JudgeArgs,
    saved: &crate::catalog::GateSpec,
    baseline: &replicate::Summary,
) -> Result<crate::catalog::GateSpec, AppError> {
    use crate::catalog::{check_alpha, parse_tolerance, resolve};
    let known: Vec<String> = baseline.metrics.iter().map(|m| m.name.clone()).collect();
    let name = |flag: &str, metric: &str| {
        resolve(metric.trim(), &known)
            .map_err(|e| AppError::Usage(format!("{flag}: the baseline has no such metric: {e}")))
    };
    let mut gate = saved.clone();
    if !args.metrics.is_empty() {
        let mut chosen = Vec::new();
        for m in &args.metrics {
            let m = name("--metrics", m)?;
            if !chosen.contains(&m) {
                chosen.push(m);
            }
        }
        gate.metrics = Some(chosen);
    }
    for text in &args.tolerances {
        let (metric, t) =
            parse_tolerance(text).map_err(|e| AppError::Usage(format!("--tolerance: {e}")))?;
        gate.tolerances.push((name("--tolerance", &metric)?, t));
    }
    if let Some(a) = args.alpha {
        gate.alpha = check_alpha(a).map_err(|e| AppError::Usage(format!("--alpha: {e}")))?;
    }
    Ok(gate)
}

/// `Err` (exit code 6) when the comparison fails.
fn regressions(c: &crate::regress::compare::Comparison) -> Result<(), AppError> {
    let failures = c.failures();
    if failures.is_empty() {
        return Ok(());
    }
    let mut names: Vec<&str> = failures.iter().take(8).map(|r| r.metric.as_str()).collect();
    if failures.len() > 8 {
        names.push("…");
    }
    Err(AppError::Regression(format!(
        "{} {} against the baseline: {}",
        failures.len(),
        if c.strict {
            "metrics changed (--strict)"
        } else {
            "metrics regressed"
        },
        names.join(", ")
    )))
}

/// `Err` (exit code 5) naming every threshold the run missed.
fn thresholds_met(summary: &replicate::Summary) -> Result<(), AppError> {
    let failed: Vec<String> = summary
        .thresholds
        .iter()
        .filter(|v| !v.passed)
        .map(|v| format!("  {}", v.line()))
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(AppError::Thresholds(format!(
        "{} of {} thresholds missed:\n{}",
        failed.len(),
        summary.thresholds.len(),
        failed.join("\n")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan that is not accepted is never applied: exit 5, the file untouched.
    #[test]
    fn an_unaccepted_plan_is_not_applied() {
        let path = std::env::temp_dir().join(format!("kefusim-apply-{}.toml", std::process::id()));
        let e = apply_plan(
            &path,
            std::path::Path::new("s.toml"),
            3,
            Ok("[run]\n".to_string()),
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 5);
        assert!(
            e.to_string()
                .contains("the plan is not accepted (3 interval(s) miss a target"),
            "{e}"
        );
        assert!(!path.exists());
        // A merge that failed is a bug, said as such (exit 1).
        let e = apply_plan(
            &path,
            std::path::Path::new("s.toml"),
            0,
            Err("no [plan] table".to_string()),
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(
            e.to_string()
                .contains("cannot merge the roster into s.toml: no [plan] table")
        );
        assert!(!path.exists());
    }
}
