//! Independent replications in parallel, merged in replication order.
//!
//! Replication `r` draws every random number from streams keyed by
//! `(seed, r, stream)`, so its result does not depend on which thread ran it
//! or when; rayon's indexed `collect` returns results in replication order
//! and merging walks them in that order. Hence: same scenario and seed →
//! byte-identical output with 1 thread or many.

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use crate::engine::{LoopStats, run_replication};
use crate::metrics::{AgentRow, RepResult, STATE_FIELDS, agent_rows, chat_col};
use crate::scenario::Scenario;
use crate::stats::mean_ci95;

/// One metric over replications.
#[derive(Debug, Clone)]
pub struct MetricSummary {
    /// Public name.
    pub name: String,
    /// Mean over replications where it is defined (`NaN` if nowhere).
    pub mean: f64,
    /// 95% confidence half-width (Student t); `None` with fewer than two replications.
    pub ci95: Option<f64>,
    /// What it measures.
    pub definition: String,
}

/// The per-interval time series.
#[derive(Debug, Clone)]
pub struct Series {
    /// Column names after `interval_start`.
    pub columns: Vec<String>,
    /// Local RFC 3339 start of each interval.
    pub interval_start: Vec<String>,
    /// One row per interval, aligned with `columns`.
    pub rows: Vec<Vec<f64>>,
}

/// The merged results of a run.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Replications merged.
    pub replications: u32,
    /// Start of the measured window (local RFC 3339).
    pub window_from: String,
    /// End of the measured window (local RFC 3339).
    pub window_to: String,
    /// Scalar metrics, in a fixed order.
    pub metrics: Vec<MetricSummary>,
    /// Time series.
    pub series: Series,
    /// One row per agent.
    pub agents: Vec<AgentRow>,
    /// Work done by the event loops, summed over replications.
    pub work: LoopStats,
}

impl Summary {
    /// The metric called `name`.
    pub fn metric(&self, name: &str) -> Option<&MetricSummary> {
        self.metrics.iter().find(|m| m.name == name)
    }
}

/// Why a run could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The thread pool could not be built.
    #[error("cannot start {threads} worker threads: {source}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// The cause.
        source: rayon::ThreadPoolBuildError,
    },
}

/// Runs every replication of `scenario` (on `threads` threads, or rayon's default) and merges them.
pub fn run(scenario: &Scenario, threads: Option<usize>) -> Result<Summary, RunError> {
    run_with_progress(scenario, threads, &|_, _| {})
}

/// Like [`run`], calling `progress(done, total)` (from worker threads) as replications finish.
pub fn run_with_progress(
    scenario: &Scenario,
    threads: Option<usize>,
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<Summary, RunError> {
    let reps = scenario.run.replications;
    let done = AtomicU32::new(0);
    let work = || -> Vec<(RepResult, LoopStats)> {
        (0..reps)
            .into_par_iter()
            .map(|r| {
                let result = run_replication(scenario, r);
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, reps);
                result
            })
            .collect()
    };

    let results = match threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|source| RunError::Threads { threads: n, source })?
            .install(work),
        None => work(),
    };
    Ok(merge(scenario, results))
}

/// Merges replication results (in replication order).
pub fn merge(sc: &Scenario, results: Vec<(RepResult, LoopStats)>) -> Summary {
    let reps: Vec<&RepResult> = results.iter().map(|(r, _)| r).collect();
    let metrics = merge_scalars(&reps);
    let series = merge_series(sc, &reps);
    let accounts: Vec<&[crate::metrics::AgentAccount]> =
        reps.iter().map(|r| r.agents.as_slice()).collect();
    let agents = agent_rows(sc, &accounts);
    let work = results
        .iter()
        .fold(LoopStats::default(), |acc, (_, s)| LoopStats {
            events: acc.events + s.events,
            arrivals: acc.arrivals + s.arrivals,
        });
    Summary {
        scenario: sc.name.clone(),
        seed: sc.run.seed,
        replications: results.len() as u32,
        window_from: sc.run.clock.format(sc.run.measure_from()),
        window_to: sc.run.clock.format(sc.run.measure_to()),
        metrics,
        series,
        agents,
        work,
    }
}

fn merge_scalars(reps: &[&RepResult]) -> Vec<MetricSummary> {
    let Some(first) = reps.first() else {
        return Vec::new();
    };
    first
        .scalars
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let xs: Vec<f64> = reps.iter().map(|r| r.scalars[i].value).collect();
            let (mean, ci95) = mean_ci95(&xs);
            MetricSummary {
                name: s.name.clone(),
                mean,
                ci95,
                definition: s.definition.clone(),
            }
        })
        .collect()
}

fn merge_series(sc: &Scenario, reps: &[&RepResult]) -> Series {
    let run = &sc.run;
    let thresholds = &sc.sla.thresholds_s;
    let stride = chat_col::WITHIN + thresholds.len();
    let n = run.intervals();
    let r = reps.len().max(1) as f64;
    let mut columns: Vec<String> = ["offered", "answered", "abandoned", "unfinished", "p_wait"]
        .map(String::from)
        .to_vec();
    columns.extend(
        thresholds
            .iter()
            .map(|t| format!("answered_within_{t}s_over_offered")),
    );
    columns.extend(
        [
            "asa_answered_s",
            "queue_len_mean",
            "agents_on_shift",
            "agents_on_break",
            "sessions_in_service_mean",
            "occupancy",
        ]
        .map(String::from),
    );
    let mut rows = Vec::with_capacity(n);
    let mut interval_start = Vec::with_capacity(n);
    for i in 0..n {
        let start = run.measure_from() + i as u64 * run.interval;
        let len = (run.measure_to() - start).min(run.interval) as f64;
        interval_start.push(run.clock.format(start));
        let mut chat = vec![0.0; stride];
        let mut state = [0.0; STATE_FIELDS];
        for rep in reps {
            for (acc, v) in chat.iter_mut().zip(&rep.chat[i * stride..(i + 1) * stride]) {
                *acc += v;
            }
            for (acc, v) in state
                .iter_mut()
                .zip(&rep.state[i * STATE_FIELDS..(i + 1) * STATE_FIELDS])
            {
                *acc += v;
            }
        }
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        let offered = chat[chat_col::OFFERED];
        let mut row = vec![
            offered / r,
            chat[chat_col::ANSWERED] / r,
            chat[chat_col::ABANDONED] / r,
            chat[chat_col::UNFINISHED] / r,
            ratio(chat[chat_col::WAITED], offered),
        ];
        row.extend((0..thresholds.len()).map(|k| ratio(chat[chat_col::WITHIN + k], offered)));
        row.push(
            ratio(
                chat[chat_col::SUM_WAIT_ANSWERED_MS],
                chat[chat_col::ANSWERED],
            ) / 1e3,
        );
        let time = r * len;
        row.extend([
            state[0] / time,
            state[2] / time,
            state[3] / time,
            state[1] / time,
            ratio(state[5], state[4]),
        ]);
        rows.push(row);
    }
    Series {
        columns,
        interval_start,
        rows,
    }
}
