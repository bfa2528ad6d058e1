//! `kefusim sweep`: a grid of what-ifs, run here or in shards.

use super::{AppError, WallClock, overridden, say, shards, stdout};
use crate::cli::{RunOverrides, SweepArgs};
use crate::report;
use crate::scenario::Scenario;
use crate::sweep::{self, Axis, Point};

/// A sweep's grid, every point's scenario built and the metrics resolved.
pub(super) struct Grid {
    pub axes: Vec<Axis>,
    pub points: Vec<Vec<toml::Value>>,
    pub base: Scenario,
    pub scenarios: Vec<Scenario>,
    pub metrics: Vec<String>,
}

pub(super) fn sweep(args: SweepArgs) -> Result<(), AppError> {
    let text = std::fs::read_to_string(&args.scenario).map_err(|source| {
        crate::scenario::ScenarioError::Read {
            path: args.scenario.clone(),
            source,
        }
    })?;
    let file = args.scenario.display().to_string();
    let stem = crate::shard::default_name(&args.scenario);
    let grid = grid(
        &text,
        &file,
        &stem,
        &args.axes,
        &args.metrics,
        &args.overrides,
    )?;
    if let Some(spec) = &args.shard {
        return shards::sweep_shard(&args, &text, &grid, spec);
    }
    if args.shard_count.is_some() {
        return Err(AppError::Usage(
            "--shard-count goes with --shard auto".to_string(),
        ));
    }
    let n = grid.points.len();
    let started = WallClock::now();
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let first = &grid.metrics[0];
    let results = sweep::run(
        &grid.scenarios,
        grid.points.clone(),
        args.overrides.threads.map(|t| t as usize),
        |i, s| {
            let m = s.metric(first).map_or(f64::NAN, |m| m.mean);
            let done = finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            eprintln!(
                "sweep: {done}/{n} points done ({:.1} s); point {i}: {first} = {m:.4}",
                started.elapsed().as_secs_f64(),
            );
        },
    )
    .map_err(sweep_error)?;
    deliver(&grid, &results, args.out.as_deref())
}

fn sweep_error(e: sweep::SweepError) -> AppError {
    match e {
        sweep::SweepError::Key(m) => AppError::Usage(format!("--set {m}")),
        e @ sweep::SweepError::Invalid { .. } => {
            AppError::Usage(format!("--set: the scenario is invalid {e}"))
        }
        sweep::SweepError::Run(r) => AppError::Run(r),
    }
}

/// The grid of `--set` `axes` over the scenario `text` (from `file`,
/// default name `stem`), with `overrides` applied to every point.
pub(super) fn grid(
    text: &str,
    file: &str,
    stem: &str,
    axes: &[String],
    metrics: &[String],
    overrides: &RunOverrides,
) -> Result<Grid, AppError> {
    let axes = axes
        .iter()
        .map(|a| sweep::parse_axis(a).map_err(AppError::Usage))
        .collect::<Result<Vec<_>, _>>()?;
    let points = sweep::grid(&axes).map_err(AppError::Usage)?;
    // The file itself must be valid before any key is changed.
    let base = overridden(Scenario::from_toml(text, file, stem)?, overrides)?;
    let scenarios = sweep::scenarios(text, file, stem, &axes, &points).map_err(sweep_error)?;
    let scenarios: Vec<Scenario> = scenarios
        .into_iter()
        .map(|sc| overridden(sc, overrides))
        .collect::<Result<_, _>>()?;
    let metrics: Vec<String> = if metrics.is_empty() {
        sweep::DEFAULT_METRICS.map(String::from).to_vec()
    } else {
        metrics.to_vec()
    };
    let known = crate::catalog::names(&scenarios[0].shape());
    let metrics = metrics
        .iter()
        .map(|m| {
            crate::catalog::resolve(m, &known)
                .map_err(|e| AppError::Usage(format!("--metric: {e}")))
        })
        .collect::<Result<Vec<String>, AppError>>()?;
    Ok(Grid {
        axes,
        points,
        base,
        scenarios,
        metrics,
    })
}

/// Writes sweep.csv and the plot into `out`, prints the CSV: the end of
/// `sweep` and of merging a sweep's shards.
pub(super) fn deliver(
    grid: &Grid,
    results: &[Point],
    out: Option<&std::path::Path>,
) -> Result<(), AppError> {
    let r = report::SweepResults {
        scenario: &grid.base.name,
        axes: &grid.axes,
        points: results,
        metrics: &grid.metrics,
    };
    let written = out
        .map(|dir| report::write_atomically(dir, &report::sweep_files(&r), report::Replace::Set));
    if let Some(Ok(w)) = &written {
        say(w);
    }
    stdout(&report::sweep_csv(&r))?;
    match written {
        Some(Err(e)) => Err(e.into()),
        _ => Ok(()),
    }
}
