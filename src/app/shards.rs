//! `run --shard i/N` and `kefusim merge`: a run split over machines and
//! put back together exactly (see [`crate::shard`]).

use super::{AppError, Delivery, deliver, judging_needs_baseline, progress, read_baseline, say};
use crate::cli::{MergeArgs, RunArgs};
use crate::replicate;
use crate::scenario::Scenario;
use crate::shard::{self, SHARD_FILE, ShardSpec, Source};

/// Runs this shard's replications and writes its shard file into `--out`.
pub(super) fn run_shard(args: &RunArgs, scenario: &Scenario, spec: &str) -> Result<(), AppError> {
    let Some(out) = &args.out else {
        return Err(AppError::Usage(format!(
            "--shard writes a shard file ({SHARD_FILE}) for `kefusim merge`: give --out DIR"
        )));
    };
    if args.baseline.is_some() {
        return Err(AppError::Usage(
            "--baseline is judged on the merged results: give it to `kefusim merge`".to_string(),
        ));
    }
    let shard = if spec == "auto" {
        let (s, source) = ShardSpec::from_env(args.shard_count, |k| std::env::var(k).ok())
            .map_err(AppError::Usage)?;
        eprintln!("shard {}/{} from {source}", s.index, s.count);
        s
    } else {
        if args.shard_count.is_some() {
            return Err(AppError::Usage(
                "--shard-count goes with --shard auto".to_string(),
            ));
        }
        ShardSpec::parse(spec).map_err(AppError::Usage)?
    };
    let total = scenario.run.replications;
    let reps = shard.replications(total);
    let text = std::fs::read_to_string(&args.scenario).map_err(|source| {
        AppError::Scenario(crate::scenario::ScenarioError::Read {
            path: args.scenario.clone(),
            source,
        })
    })?;
    let threads = args.overrides.threads.map(|t| t as usize);
    // The progress display counts this shard's replications.
    let shown = scenario.clone().with_replications(reps.len().max(1) as u32);
    let results = progress::with_progress(args.progress, &shown, |p| {
        replicate::run_part(scenario, threads, p, reps.clone())
    })?;
    let arrivals: u64 = results.iter().map(|(_, s)| s.arrivals).sum();
    let bytes = shard::encode(
        scenario,
        &Source {
            file: &args.scenario,
            text: &text,
        },
        shard,
        reps.clone(),
        results,
    );
    say(&crate::report::write_atomically(
        out,
        &[(SHARD_FILE, bytes)],
        crate::report::Replace::Set,
    )?);
    eprintln!(
        "shard {}/{}: replications {}..{} of {total} ({} simulated, {arrivals} arrivals); merge every shard with `kefusim merge`",
        shard.index,
        shard.count,
        reps.start,
        reps.end,
        reps.len()
    );
    Ok(())
}

/// `kefusim merge`: the shards folded into the whole run's results, then
/// written, printed and judged exactly as `run` does.
pub(super) fn merge(args: MergeArgs) -> Result<(), AppError> {
    judging_needs_baseline(args.baseline.as_deref(), &args.judge)?;
    let (scenario, summary) = shard::merge(&args.shards)?;
    eprintln!(
        "merged {} shard(s): {} replications of `{}` (seed {})",
        args.shards.len(),
        summary.replications,
        summary.scenario,
        summary.seed
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
