//! Independent replications in parallel, merged in replication order.
//!
//! Replication `r` draws every random number from streams keyed by
//! `(seed, r, stream)`, so its result does not depend on which thread ran it
//! or when; rayon's indexed `collect` returns results in replication order
//! and merging walks them in that order. Hence: same scenario and seed →
//! byte-identical output with 1 thread or many.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::engine::{LoopStats, run_replication_with};
use crate::metrics::{
    AgentAccount, AgentRow, FRT_QUANTILES, RepResult, STATE_FIELDS, add_into, agent_rows, chat_col,
    chat_stride, empty_accounts, pool_accounts, state_col,
};
use crate::scenario::Scenario;
use crate::stats::Welford;

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
    /// First response time (seconds) at each quantile `q`, mean over
    /// replications of each replication's quantile: `(q, seconds)`.
    pub frt_spectrum: Vec<(f64, f64)>,
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
    run_with_progress(scenario, threads, &Progress::default())
}

/// How far a run has got, updated by the worker threads as they go (read
/// by a progress display; never part of the results).
#[derive(Debug, Default)]
pub struct Progress {
    /// Replications finished.
    pub replications_done: AtomicU32,
    /// Events handled, all replications.
    pub events: AtomicU64,
    /// Simulated time covered, summed over replications (ms, up to the end of each run).
    pub simulated_ms: AtomicU64,
}

/// Like [`run`], reporting into `progress` as it goes.
///
/// Replications run in chunks of twice the thread count; each chunk's
/// results are folded into the running [`Merge`] in replication order and
/// dropped, so memory does not grow with the number of replications.
pub fn run_with_progress(
    scenario: &Scenario,
    threads: Option<usize>,
    progress: &Progress,
) -> Result<Summary, RunError> {
    let reps = scenario.run.replications;
    let done = &progress.replications_done;
    let work = || -> Summary {
        let chunk = 2 * rayon::current_num_threads().max(1) as u32;
        let mut merge = Merge::new(scenario);
        let mut start = 0;
        while start < reps {
            let end = (start + chunk).min(reps);
            let results: Vec<(RepResult, LoopStats)> = (start..end)
                .into_par_iter()
                .map(|r| {
                    let result = run_replication_with(scenario, r, Some(progress));
                    done.fetch_add(1, Ordering::Relaxed);
                    result
                })
                .collect();
            for (result, stats) in results {
                merge.add(result, stats);
            }
            start = end;
        }
        merge.finish()
    };
    match threads {
        Some(n) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|source| RunError::Threads { threads: n, source })?
            .install(work)),
        None => Ok(work()),
    }
}

/// Replication results folded together in replication order.
pub struct Merge<'s> {
    sc: &'s Scenario,
    names: Vec<(String, String)>,
    scalars: Vec<Welford>,
    chat: Vec<f64>,
    state: Vec<f64>,
    agents: Vec<AgentAccount>,
    work: LoopStats,
    replications: u32,
    frt_quantiles: Vec<Welford>,
}

impl<'s> Merge<'s> {
    /// Nothing merged yet.
    pub fn new(sc: &'s Scenario) -> Self {
        let n = sc.run.intervals();
        let stride = chat_stride(sc.sla.thresholds_s.len());
        Self {
            sc,
            names: Vec::new(),
            scalars: Vec::new(),
            chat: vec![0.0; n * stride],
            state: vec![0.0; n * STATE_FIELDS],
            agents: empty_accounts(sc),
            work: LoopStats::default(),
            replications: 0,
            frt_quantiles: Vec::new(),
        }
    }

    /// Folds in the next replication (call in replication order).
    pub fn add(&mut self, result: RepResult, stats: LoopStats) {
        if self.names.is_empty() {
            self.names = result
                .scalars
                .iter()
                .map(|s| (s.name.clone(), s.definition.clone()))
                .collect();
            self.scalars = vec![Welford::default(); self.names.len()];
        }
        for (w, s) in self.scalars.iter_mut().zip(&result.scalars) {
            w.push(s.value);
        }
        add_into(&mut self.chat, &result.chat);
        add_into(&mut self.state, &result.state);
        self.frt_quantiles
            .resize(result.frt_quantiles.len(), Welford::default());
        for (w, v) in self.frt_quantiles.iter_mut().zip(&result.frt_quantiles) {
            w.push(*v);
        }
        pool_accounts(&mut self.agents, &result.agents);
        self.work.events += stats.events;
        self.work.arrivals += stats.arrivals;
        self.replications += 1;
    }

    /// The summary of everything merged.
    pub fn finish(self) -> Summary {
        let sc = self.sc;
        let metrics = self
            .names
            .into_iter()
            .zip(&self.scalars)
            .map(|((name, definition), w)| {
                let (mean, ci95) = w.mean_ci95();
                MetricSummary {
                    name,
                    mean,
                    ci95,
                    definition,
                }
            })
            .collect();
        let series = series(sc, &self.chat, &self.state, self.replications);
        Summary {
            scenario: sc.name.clone(),
            seed: sc.run.seed,
            replications: self.replications,
            window_from: sc.run.clock.format(sc.run.measure_from()),
            window_to: sc.run.clock.format(sc.run.measure_to()),
            metrics,
            series,
            agents: agent_rows(sc, &self.agents, self.replications),
            work: self.work,
            frt_spectrum: FRT_QUANTILES
                .iter()
                .zip(&self.frt_quantiles)
                .map(|(&q, w)| (q, w.mean_ci95().0))
                .collect(),
        }
    }
}

/// The time series from per-interval sums over `reps` replications.
fn series(sc: &Scenario, chat_sums: &[f64], state_sums: &[f64], reps: u32) -> Series {
    let run = &sc.run;
    let thresholds = &sc.sla.thresholds_s;
    let stride = chat_stride(thresholds.len());
    let n = run.intervals();
    let r = f64::from(reps.max(1));
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
            "offline_messages",
            "offline_pending_mean",
            "round_response_mean_s",
            "reply_rate_3min_rounds",
            "capacity_on_shift_mean",
        ]
        .map(String::from),
    );
    let mut rows = Vec::with_capacity(n);
    let mut interval_start = Vec::with_capacity(n);
    for i in 0..n {
        let start = run.measure_from() + i as u64 * run.interval;
        let len = (run.measure_to() - start).min(run.interval) as f64;
        interval_start.push(run.clock.format(start));
        let chat = &chat_sums[i * stride..(i + 1) * stride];
        let state = &state_sums[i * STATE_FIELDS..(i + 1) * STATE_FIELDS];
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
            state[state_col::QUEUE_LEN] / time,
            state[state_col::AGENTS_ON_SHIFT] / time,
            state[state_col::AGENTS_ON_BREAK] / time,
            state[state_col::SESSIONS] / time,
            ratio(
                state[state_col::SESSIONS_ON_SHIFT],
                state[state_col::CAP_ON_SHIFT],
            ),
            chat[chat_col::OFFLINE] / r,
            state[state_col::OFFLINE_PENDING] / time,
            ratio(chat[chat_col::ROUND_SUM_MS], chat[chat_col::ROUNDS]) / 1e3,
            ratio(chat[chat_col::ROUNDS_3MIN], chat[chat_col::ROUNDS]),
            state[state_col::CAP_ON_SHIFT] / time,
        ]);
        rows.push(row);
    }
    Series {
        columns,
        interval_start,
        rows,
    }
}
