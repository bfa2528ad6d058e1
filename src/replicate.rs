//! Independent replications in parallel, merged in replication order.
//!
//! Replication `r` draws every random number from streams keyed by
//! `(seed, r, stream)`, so its result does not depend on which thread ran it
//! or when; rayon's indexed `collect` returns results in replication order
//! and merging walks them in that order. Hence: same scenario and seed →
//! byte-identical output with 1 thread or many.

use std::sync::atomic::Ordering;

use rayon::prelude::*;

use crate::catalog;
pub use crate::engine::Progress;
use crate::engine::{LoopStats, run_replication_with};
use crate::metrics::{
    AgentAccount, AgentRow, FRT_QUANTILES, RepResult, STATE_FIELDS, add_into, agent_rows, buckets,
    chat_col, chat_stride, empty_accounts, pool_accounts, state_col,
};
use crate::scenario::Scenario;
use crate::stats::Welford;

mod live;
mod remote;

pub use live::{LiveFigures, LiveInterval, Quantiles};
mod verdict;
pub use verdict::{Intervals, Missed, Verdict, judge, judge_live};

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
    /// Its value in each replication, in replication order (`NaN` where
    /// undefined); empty when read from results saved without them. Paired
    /// comparisons use them.
    pub values: Vec<f64>,
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
    /// [`Scenario::digest`]: equal digests (and the same kefusim) mean
    /// byte-identical results.
    pub digest: String,
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
    /// The scenario's peaks and holidays that touch the measured window,
    /// for the plots.
    pub marks: Vec<Mark>,
    /// The scenario's `[thresholds]`, judged.
    pub thresholds: Vec<Verdict>,
    /// The scenario's `[compare]`: how a comparison of these results with
    /// a baseline is judged.
    pub gate: crate::catalog::GateSpec,
    /// Capacity planning's per-interval counts summed over replications
    /// (`intervals × metrics::focus_col::width`; empty unless the scenario
    /// follows a focus).
    pub focus: Vec<f64>,
    /// The first commands of a routing service that were refused, over
    /// replications in order (at most [`crate::engine::EXAMPLES`]).
    pub router_examples: Vec<String>,
    /// When the routing service went down in the first replication that
    /// finished on the fallback, and the count of such replications.
    pub router_down: Option<(String, u32)>,
    /// A live run's service figures (`kefusim live`); `None` for a
    /// simulated-time run.
    pub live: Option<LiveFigures>,
}

/// A span of the horizon worth marking on a plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// `"peak"` or `"holiday"`.
    pub kind: String,
    /// Its label.
    pub name: String,
    /// Start (local RFC 3339).
    pub from: String,
    /// End (local RFC 3339).
    pub to: String,
}

/// The peaks (from the start of the ramp to three decay constants after the
/// plateau, when its excess is down to 5%) and holidays (whole local days) of `sc` that overlap the
/// measured window.
fn marks(sc: &Scenario) -> Vec<Mark> {
    let run = &sc.run;
    let window = (run.measure_from() as i64, run.measure_to() as i64);
    let clock = run.clock;
    let mut out = Vec::new();
    let mut put = |kind: &str, name: String, from: i64, to: i64| {
        if from < window.1 && to > window.0 {
            out.push(Mark {
                kind: kind.to_string(),
                name,
                from: clock.format_signed(from),
                to: clock.format_signed(to),
            });
        }
    };
    for p in &sc.arrivals.peaks {
        let label = p.name.clone().unwrap_or_else(|| match p.entry {
            Some(e) => format!("{} ×{}", e.name(), p.multiplier),
            None => format!("peak ×{}", p.multiplier),
        });
        let end = p.start + (p.ramp + p.hold + 3 * p.decay) as i64;
        put("peak", label, p.start, end);
    }
    for h in &sc.arrivals.holidays {
        let label = h
            .name
            .clone()
            .unwrap_or_else(|| format!("holiday ×{}", h.multiplier));
        put(
            "holiday",
            label,
            clock.day_start(h.from_day),
            clock.day_start(h.to_day + 1),
        );
    }
    out
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
    /// The routing service could not be reached, or failed during the run.
    #[error("{0}")]
    Router(#[from] crate::remote::RouterError),
}

/// Runs every replication of `scenario` (on `threads` threads, or rayon's default) and merges them.
pub fn run(scenario: &Scenario, threads: Option<usize>) -> Result<Summary, RunError> {
    run_with_progress(scenario, threads, &Progress::default())
}

/// Like [`run`], reporting into `progress` as it goes.
///
/// Replications run in chunks of twice the thread count; each chunk's
/// results are folded into the running merge in replication order and
/// dropped, so memory grows with the number of replications only by one
/// number per scalar metric (kept for paired comparisons).
pub fn run_with_progress(
    scenario: &Scenario,
    threads: Option<usize>,
    progress: &Progress,
) -> Result<Summary, RunError> {
    let mut merge = Merge::new(scenario);
    let all = 0..scenario.run.replications;
    for_each(scenario, threads, progress, all, &mut |r, s| {
        merge.add(r, s)
    })?;
    Ok(merge.finish())
}

/// Replications `reps` of `scenario` (a shard of the run), each
/// replication's own results in replication order, unmerged.
pub fn run_part(
    scenario: &Scenario,
    threads: Option<usize>,
    progress: &Progress,
    reps: std::ops::Range<u32>,
) -> Result<Vec<(RepResult, LoopStats)>, RunError> {
    let mut out = Vec::with_capacity(reps.len());
    for_each(scenario, threads, progress, reps, &mut |r, s| {
        out.push((r, s))
    })?;
    Ok(out)
}

/// Hands each of replications `reps` to `sink`, in replication order, with
/// the built-in router or the scenario's routing service.
fn for_each(
    scenario: &Scenario,
    threads: Option<usize>,
    progress: &Progress,
    reps: std::ops::Range<u32>,
    sink: &mut (dyn FnMut(RepResult, LoopStats) + Send),
) -> Result<(), RunError> {
    if let Some(service) = &scenario.router {
        return remote::run(scenario, service, threads, progress, reps, sink);
    }
    let work = || {
        chunks(
            progress,
            reps,
            |r| {
                Ok::<_, std::convert::Infallible>(run_replication_with(scenario, r, Some(progress)))
            },
            sink,
        )
    };
    match in_pool(threads, work)? {
        Ok(()) => Ok(()),
        Err(never) => match never {},
    }
}

/// Runs replications `reps` with `one` in chunks of twice the thread
/// count, handing each chunk's results to `sink` in replication order; the
/// first error (in replication order) stops the run.
pub(crate) fn chunks<E: Send>(
    progress: &Progress,
    reps: std::ops::Range<u32>,
    one: impl Fn(u32) -> Result<(RepResult, LoopStats), E> + Sync,
    sink: &mut (dyn FnMut(RepResult, LoopStats) + Send),
) -> Result<(), E> {
    let done = &progress.replications_done;
    let chunk = 2 * rayon::current_num_threads().max(1) as u32;
    let mut start = reps.start;
    while start < reps.end {
        let end = (start + chunk).min(reps.end);
        let results: Vec<Result<(RepResult, LoopStats), E>> = (start..end)
            .into_par_iter()
            .map(|r| {
                let result = one(r);
                done.fetch_add(1, Ordering::Relaxed);
                result
            })
            .collect();
        for result in results {
            let (result, stats) = result?;
            sink(result, stats);
        }
        start = end;
    }
    Ok(())
}

/// Runs `work` on `threads` worker threads (a pool of its own), or on
/// rayon's default pool.
pub(crate) fn in_pool<T: Send>(
    threads: Option<usize>,
    work: impl FnOnce() -> T + Send,
) -> Result<T, RunError> {
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
pub(crate) struct Merge<'s> {
    sc: &'s Scenario,
    names: Vec<(String, String)>,
    scalars: Vec<Welford>,
    /// Each scalar's value in each replication, `metrics × replications`.
    values: Vec<Vec<f64>>,
    chat: Vec<f64>,
    state: Vec<f64>,
    agents: Vec<AgentAccount>,
    work: LoopStats,
    replications: u32,
    frt_quantiles: Vec<Welford>,
    /// `intervals × buckets::COUNT`, summed over replications.
    frt_buckets: Vec<u64>,
    /// Each time-series cell over replications, `intervals × columns`.
    cells: Vec<Welford>,
    focus: Vec<f64>,
    columns: Vec<catalog::SeriesColumn>,
    /// Per threshold judged over a part of the window (`during …`): its
    /// metric over that part, per replication.
    windows: Vec<Welford>,
    router_examples: Vec<String>,
    router_down: Option<(String, u32)>,
}

impl<'s> Merge<'s> {
    /// Nothing merged yet.
    pub fn new(sc: &'s Scenario) -> Self {
        let n = sc.run.intervals();
        let stride = chat_stride(sc.sla.thresholds_s.len());
        let columns = catalog::series_columns(&sc.sla.thresholds_s);
        Self {
            sc,
            names: Vec::new(),
            scalars: Vec::new(),
            values: Vec::new(),
            chat: vec![0.0; n * stride],
            state: vec![0.0; n * STATE_FIELDS],
            agents: empty_accounts(sc),
            work: LoopStats::default(),
            replications: 0,
            frt_quantiles: Vec::new(),
            frt_buckets: vec![0; n * buckets::COUNT],
            cells: vec![Welford::default(); n * columns.len()],
            focus: Vec::new(),
            columns,
            windows: vec![Welford::default(); sc.thresholds.len()],
            router_examples: Vec::new(),
            router_down: None,
        }
    }

    /// Folds in the next replication (call in replication order).
    pub fn add(&mut self, result: RepResult, stats: LoopStats) {
        let room = crate::engine::EXAMPLES.saturating_sub(self.router_examples.len());
        self.router_examples
            .extend(result.router_examples.iter().take(room).cloned());
        if let Some(down) = &result.router_down {
            match &mut self.router_down {
                Some((_, n)) => *n += 1,
                None => self.router_down = Some((down.clone(), 1)),
            }
        }
        if self.names.is_empty() {
            self.names = result
                .scalars
                .iter()
                .map(|s| (s.name.clone(), s.definition.clone()))
                .collect();
            self.scalars = vec![Welford::default(); self.names.len()];
            self.values = vec![Vec::new(); self.names.len()];
        }
        for ((w, v), s) in self
            .scalars
            .iter_mut()
            .zip(&mut self.values)
            .zip(&result.scalars)
        {
            w.push(s.value);
            v.push(s.value);
        }
        self.add_cells(&result);
        self.add_windows(&result);
        add_into(&mut self.chat, &result.chat);
        self.focus.resize(result.focus.len(), 0.0);
        add_into(&mut self.focus, &result.focus);
        for (sum, &c) in self.frt_buckets.iter_mut().zip(&result.frt_buckets) {
            *sum += u64::from(c);
        }
        add_into(&mut self.state, &result.state);
        self.frt_quantiles
            .resize(result.frt_quantiles.len(), Welford::default());
        for (w, v) in self.frt_quantiles.iter_mut().zip(&result.frt_quantiles) {
            w.push(*v);
        }
        pool_accounts(&mut self.agents, &result.agents);
        self.work.events += stats.events;
        self.work.arrivals += stats.arrivals;
        self.work.refused += stats.refused;
        crate::engine::add_router_stats(&mut self.work, &stats);
        self.work.diverged += stats.diverged;
        self.work.divergence = self.work.divergence.or(stats.divergence);
        self.replications += 1;
    }

    /// Folds one replication's own time series into the per-cell statistics
    /// behind the `_ci95` columns.
    fn add_cells(&mut self, result: &RepResult) {
        let stride = chat_stride(self.sc.sla.thresholds_s.len());
        let width = self.columns.len();
        let mut frt = [0u64; buckets::COUNT];
        for (i, cells) in self.cells.chunks_mut(width).enumerate() {
            let counts = &result.frt_buckets[i * buckets::COUNT..(i + 1) * buckets::COUNT];
            for (f, &c) in frt.iter_mut().zip(counts) {
                *f = u64::from(c);
            }
            let row = series_row(
                &self.columns,
                interval_len(self.sc, i),
                &result.chat[i * stride..(i + 1) * stride],
                &result.state[i * STATE_FIELDS..(i + 1) * STATE_FIELDS],
                &frt,
                1.0,
            );
            for (w, v) in cells.iter_mut().zip(row) {
                if v.is_finite() {
                    w.push(v);
                }
            }
        }
    }

    /// Folds one replication's value of each `during` threshold's metric
    /// over its part of the window (counters, integrals and FRT buckets
    /// summed over the part's intervals, then the column computed once).
    fn add_windows(&mut self, result: &RepResult) {
        let sc = self.sc;
        let stride = chat_stride(sc.sla.thresholds_s.len());
        for (k, t) in sc.thresholds.iter().enumerate() {
            let (catalog::Over::Whole, Some(during)) = (&t.over, &t.during) else {
                continue;
            };
            let Some(col) = self.columns.iter().position(|c| c.name == t.metric) else {
                continue;
            };
            let mut chat = vec![0.0; stride];
            let mut state = [0.0; STATE_FIELDS];
            let mut frt = [0u64; buckets::COUNT];
            let mut len = 0.0;
            for i in (0..sc.run.intervals()).filter(|&i| during.covers(i)) {
                add_into(&mut chat, &result.chat[i * stride..(i + 1) * stride]);
                add_into(
                    &mut state,
                    &result.state[i * STATE_FIELDS..(i + 1) * STATE_FIELDS],
                );
                let counts = &result.frt_buckets[i * buckets::COUNT..(i + 1) * buckets::COUNT];
                for (f, &c) in frt.iter_mut().zip(counts) {
                    *f += u64::from(c);
                }
                len += interval_len(sc, i);
            }
            let value = series_row(&self.columns[col..=col], len, &chat, &state, &frt, 1.0);
            self.windows[k].push(value[0]);
        }
    }

    /// The summary of everything merged.
    pub fn finish(self) -> Summary {
        let sc = self.sc;
        let series = self.series();
        let metrics = self
            .names
            .into_iter()
            .zip(&self.scalars)
            .zip(self.values)
            .map(|(((name, definition), w), values)| {
                let (mean, ci95) = w.mean_ci95();
                MetricSummary {
                    name,
                    mean,
                    ci95,
                    definition,
                    values,
                }
            })
            .collect();
        let mut summary = Summary {
            live: None,
            router_examples: self.router_examples,
            router_down: self.router_down,
            scenario: sc.name.clone(),
            seed: sc.run.seed,
            digest: sc.digest(),
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
            marks: marks(sc),
            thresholds: Vec::new(),
            gate: sc.compare.clone(),
            focus: self.focus,
        };
        let windows: Vec<(f64, Option<f64>)> =
            self.windows.iter().map(Welford::mean_ci95).collect();
        summary.thresholds = judge(&sc.thresholds, &summary, &windows);
        summary
    }

    /// The time series: each column from the sums over replications, then
    /// each column's 95% half-width over the replications' own values.
    fn series(&self) -> Series {
        let sc = self.sc;
        let run = &sc.run;
        let stride = chat_stride(sc.sla.thresholds_s.len());
        let width = self.columns.len();
        let r = f64::from(self.replications.max(1));
        let mut columns: Vec<String> = self.columns.iter().map(|c| c.name.clone()).collect();
        columns.extend(self.columns.iter().map(|c| format!("{}_ci95", c.name)));
        let rows = (0..run.intervals())
            .map(|i| {
                let mut row = series_row(
                    &self.columns,
                    interval_len(sc, i),
                    &self.chat[i * stride..(i + 1) * stride],
                    &self.state[i * STATE_FIELDS..(i + 1) * STATE_FIELDS],
                    &self.frt_buckets[i * buckets::COUNT..(i + 1) * buckets::COUNT],
                    r,
                );
                row.extend(
                    self.cells[i * width..(i + 1) * width]
                        .iter()
                        .map(|w| w.mean_ci95().1.unwrap_or(f64::NAN)),
                );
                row
            })
            .collect();
        Series {
            columns,
            interval_start: (0..run.intervals())
                .map(|i| {
                    run.clock
                        .format(run.measure_from() + i as u64 * run.interval)
                })
                .collect(),
            rows,
        }
    }
}

/// Interval `i`'s length in milliseconds (the last may be cut short by the
/// end of the window).
fn interval_len(sc: &Scenario, i: usize) -> f64 {
    let run = &sc.run;
    let start = run.measure_from() + i as u64 * run.interval;
    (run.measure_to() - start).min(run.interval) as f64
}

/// One interval's row of the time series (or a span's, `len` ms long):
/// every column of the catalogue from its chat counters, state integrals
/// and FRT buckets, summed over `r` replications.
fn series_row(
    columns: &[catalog::SeriesColumn],
    len: f64,
    chat: &[f64],
    state: &[f64],
    frt: &[u64],
    r: f64,
) -> Vec<f64> {
    use catalog::Column;
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    let offered = chat[chat_col::OFFERED];
    let time = r * len;
    columns
        .iter()
        .map(|c| match c.def.id {
            Column::Offered => offered / r,
            Column::Answered => chat[chat_col::ANSWERED] / r,
            Column::Abandoned => chat[chat_col::ABANDONED] / r,
            Column::Unfinished => chat[chat_col::UNFINISHED] / r,
            Column::PWait => ratio(chat[chat_col::WAITED], offered),
            Column::AbandonRate => ratio(chat[chat_col::ABANDONED], offered),
            Column::WithinOverOffered => ratio(chat[chat_col::WITHIN + c.k], offered),
            Column::AsaAnsweredS => {
                ratio(
                    chat[chat_col::SUM_WAIT_ANSWERED_MS],
                    chat[chat_col::ANSWERED],
                ) / 1e3
            }
            Column::QueueLenMean => state[state_col::QUEUE_LEN] / time,
            Column::AgentsOnShift => state[state_col::AGENTS_ON_SHIFT] / time,
            Column::AgentsOnBreak => state[state_col::AGENTS_ON_BREAK] / time,
            Column::SessionsInServiceMean => state[state_col::SESSIONS] / time,
            Column::Occupancy => ratio(
                state[state_col::SESSIONS_ON_SHIFT],
                state[state_col::CAP_ON_SHIFT],
            ),
            Column::OfflineMessages => chat[chat_col::OFFLINE] / r,
            Column::OfflinePendingMean => state[state_col::OFFLINE_PENDING] / time,
            Column::RoundResponseMeanS => {
                ratio(chat[chat_col::ROUND_SUM_MS], chat[chat_col::ROUNDS]) / 1e3
            }
            Column::ReplyRate3minRounds => {
                ratio(chat[chat_col::ROUNDS_3MIN], chat[chat_col::ROUNDS])
            }
            Column::CapacityOnShiftMean => state[state_col::CAP_ON_SHIFT] / time,
            Column::FrtP50S => buckets::quantile_s(frt, 0.5),
            Column::FrtP90S => buckets::quantile_s(frt, 0.9),
            Column::FrtP99S => buckets::quantile_s(frt, 0.99),
        })
        .collect()
}
