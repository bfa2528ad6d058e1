//! `run --shard i/N`, `sweep --shard i/N` and `kefusim merge`: a run or a
//! sweep split over machines and put back together exactly (see
//! [`crate::shard`]).

use std::path::Path;

use super::sweep::{Grid, deliver as deliver_sweep, grid};
use super::{AppError, Delivery, deliver, judging_needs_baseline, progress, read_baseline, say};
use crate::cli::{MergeArgs, RunArgs, RunOverrides, SweepArgs};
use crate::replicate::{self, Merge, Progress};
use crate::scenario::Scenario;
use crate::shard::{self, Ran, SHARD_FILE, ShardSet, ShardSpec, Source, SweepSpec};
use crate::sweep::{self, Point};

/// The shard `spec` names (`i/N`, or `auto` from the environment).
fn shard_of(spec: &str, count: Option<u32>) -> Result<ShardSpec, AppError> {
    if spec == "auto" {
        let (s, source) =
            ShardSpec::from_env(count, |k| std::env::var(k).ok()).map_err(AppError::Usage)?;
        eprintln!("shard {}/{} from {source}", s.index, s.count);
        return Ok(s);
    }
    if count.is_some() {
        return Err(AppError::Usage(
            "--shard-count goes with --shard auto".to_string(),
        ));
    }
    ShardSpec::parse(spec).map_err(AppError::Usage)
}

/// `--out`, which a shard needs.
fn shard_out(out: Option<&Path>) -> Result<&Path, AppError> {
    out.ok_or_else(|| {
        AppError::Usage(format!(
            "--shard writes a shard file ({SHARD_FILE}) for `kefusim merge`: give --out DIR"
        ))
    })
}

/// Writes the shard file into `out`.
fn write_shard(
    out: &Path,
    ran: &Ran<'_>,
    results: Vec<(crate::metrics::RepResult, crate::engine::LoopStats)>,
) -> Result<(), AppError> {
    let arrivals: u64 = results.iter().map(|(_, s)| s.arrivals).sum();
    let bytes = shard::encode(ran, results);
    say(&crate::report::write_atomically(
        out,
        &[(SHARD_FILE, bytes)],
        crate::report::Replace::Set,
    )?);
    let mine = ran.shard.items(ran.items);
    let what = if ran.sweep.is_some() {
        "(point, replication) work items"
    } else {
        "replications"
    };
    eprintln!(
        "shard {}/{}: {what} {}..{} of {} ({arrivals} arrivals simulated); merge every shard with `kefusim merge`",
        ran.shard.index, ran.shard.count, mine.start, mine.end, ran.items
    );
    Ok(())
}

/// Runs this shard's replications and writes its shard file into `--out`.
pub(super) fn run_shard(args: &RunArgs, scenario: &Scenario, spec: &str) -> Result<(), AppError> {
    let out = shard_out(args.out.as_deref())?;
    if args.baseline.is_some() {
        return Err(AppError::Usage(
            "--baseline is judged on the merged results: give it to `kefusim merge`".to_string(),
        ));
    }
    let shard = shard_of(spec, args.shard_count)?;
    let reps = shard.replications(scenario.run.replications);
    let text = read_text(&args.scenario)?;
    let threads = args.overrides.threads.map(|t| t as usize);
    // The progress display counts this shard's replications.
    let shown = scenario.clone().with_replications(reps.len().max(1) as u32);
    let results = progress::with_progress(args.progress, &shown, |p| {
        replicate::run_part(scenario, threads, p, reps.clone())
    })?;
    let ran = Ran {
        sc: scenario,
        source: Source {
            file: &args.scenario,
            text: &text,
        },
        shard,
        items: u64::from(scenario.run.replications),
        sweep: None,
    };
    write_shard(out, &ran, results)
}

fn read_text(path: &Path) -> Result<String, AppError> {
    std::fs::read_to_string(path).map_err(|source| {
        AppError::Scenario(crate::scenario::ScenarioError::Read {
            path: path.to_path_buf(),
            source,
        })
    })
}

/// Runs this shard's (point, replication) work items of a sweep and
/// writes its shard file into `--out`.
pub(super) fn sweep_shard(
    args: &SweepArgs,
    text: &str,
    grid: &Grid,
    spec: &str,
) -> Result<(), AppError> {
    let out = shard_out(args.out.as_deref())?;
    let shard = shard_of(spec, args.shard_count)?;
    let (starts, total) = sweep::work_items(&grid.scenarios);
    let mine = shard.items(total);
    let threads = args.overrides.threads.map(|t| t as usize);
    let mut results = Vec::with_capacity((mine.end - mine.start) as usize);
    for (p, sc) in grid.scenarios.iter().enumerate() {
        let (from, to) = (starts[p], starts[p] + u64::from(sc.run.replications));
        let (a, b) = (from.max(mine.start), to.min(mine.end));
        if a < b {
            let reps = (a - from) as u32..(b - from) as u32;
            results.extend(replicate::run_part(
                sc,
                threads,
                &Progress::default(),
                reps,
            )?);
        }
    }
    let o = &args.overrides;
    let ran = Ran {
        sc: &grid.base,
        source: Source {
            file: &args.scenario,
            text,
        },
        shard,
        items: total,
        sweep: Some(SweepSpec {
            axes: args.axes.clone(),
            metrics: args.metrics.clone(),
            seed: o.seed,
            replications: o.replications,
            router: o.router.clone(),
        }),
    };
    write_shard(out, &ran, results)
}

/// `kefusim merge`: the shards folded into the whole run's (or sweep's)
/// results, then written, printed and judged exactly as `run` (`sweep`) does.
pub(super) fn merge(args: MergeArgs) -> Result<(), AppError> {
    judging_needs_baseline(args.baseline.as_deref(), &args.judge)?;
    let set = ShardSet::open(&args.shards)?;
    if let Some(spec) = set.header().sweep.clone() {
        return merge_sweep(&args, set, &spec);
    }
    let (scenario, summary) = shard::merge_set(set)?;
    eprintln!(
        "merged {} shard(s): {} replications of `{}` (seed {}){}",
        args.shards.len(),
        summary.replications,
        summary.scenario,
        summary.seed,
        peak_memory()
    );
    let baseline = read_baseline(args.baseline.as_deref(), &args.judge, &scenario)?;
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

/// The sweep the shards ran, rebuilt from the scenario text they carry,
/// its points folded one after another.
fn merge_sweep(args: &MergeArgs, set: ShardSet, spec: &SweepSpec) -> Result<(), AppError> {
    if args.baseline.is_some() {
        return Err(AppError::Usage(
            "--baseline compares a run's results; these are a sweep's shards".to_string(),
        ));
    }
    let (text, file, stem) = set.source();
    let overrides = RunOverrides {
        seed: spec.seed,
        replications: spec.replications,
        threads: None,
        router: spec.router.clone(),
        // Nothing is contacted: the service only names the run.
        allow_remote: true,
        finish_on_fallback: false,
    };
    let grid = grid(text, file, stem, &spec.axes, &spec.metrics, &overrides)?;
    if grid.base.digest() != set.header().digest {
        return Err(AppError::Shard(shard::MergeError::Mismatch(format!(
            "the sweep rebuilt from the shards has digest {}, they say {} (written by another kefusim?)",
            grid.base.digest(),
            set.header().digest
        ))));
    }
    let (starts, total) = sweep::work_items(&grid.scenarios);
    if total != set.header().items {
        return Err(AppError::Shard(shard::MergeError::Mismatch(format!(
            "the sweep rebuilt from the shards has {total} work items, they say {}",
            set.header().items
        ))));
    }
    let mut results: Vec<Point> = Vec::with_capacity(grid.points.len());
    let mut current: Option<Merge<'_>> = None;
    set.fold(|item, r, s| {
        let p = starts.partition_point(|&st| st <= item) - 1;
        let merge = current.get_or_insert_with(|| Merge::new(&grid.scenarios[p]));
        merge.add(r, s);
        if item + 1 == starts.get(p + 1).copied().unwrap_or(total) {
            let mut summary = current.take().expect("a point in progress").finish();
            sweep::slim(&mut summary);
            results.push(Point {
                values: grid.points[p].clone(),
                summary,
            });
        }
        Ok(())
    })?;
    eprintln!(
        "merged {} shard(s): {} points of `{}`{}",
        args.shards.len(),
        results.len(),
        grid.base.name,
        peak_memory()
    );
    deliver_sweep(&grid, &results, args.out.as_deref())
}

/// `; peak memory N MB` where the system says (Linux: this process's
/// high-water resident set, `VmHWM`), else nothing.
fn peak_memory() -> String {
    let kb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        });
    kb.map_or(String::new(), |kb| {
        format!("; peak memory {:.1} MB", kb as f64 / 1024.0)
    })
}
