//! Capacity planning (`kefusim plan`): how many agents on which shifts.
//!
//! 1. **Requirement per interval, by simulation.** The agents of one
//!    `[[agents]]` entry (the *pool*) are replaced by a staffing vector: in
//!    interval *i*, exactly `n[i]` pool agents are on duty (agent *k* works
//!    the intervals where `n[i] > k`). The vector starts from a time-lagged
//!    Erlang A estimate and is raised, interval by interval, wherever the
//!    simulation over the whole horizon misses a target (the staffing
//!    before an interval carries its backlog into it), then trimmed where
//!    it has slack and a trim does not break a target. Targets are judged
//!    per interval on the chats of the pool's groups (by arrival interval)
//!    and the pool's occupancy, pooled over replications.
//! 2. **Shifts from the requirement.** Heads needed = requirement ÷
//!    (1 − shrinkage). Each shift template covers an interval by the share
//!    of it an agent is on duty and not on a scheduled break. An LP (microlp)
//!    gives the least agent-hours with fractional counts — a lower bound —
//!    and its rounded-up solution, trimmed greedily, is the roster; the
//!    optimality gap is the roster's cost over the bound.
//! 3. **Verification.** The roster is simulated with the scenario's
//!    replications. Intervals that still miss a target get one more head of
//!    requirement and the roster is rebuilt (up to [`VERIFY_ROUNDS`]
//!    times); the plan is accepted only when its own simulation meets every
//!    target in every interval.

mod apply;
mod roster;
mod staffing;
mod suggest;

pub use apply::applied_scenario;
use roster::{coverage, plan_coverage, roster};
use staffing::template;
pub use staffing::{with_roster, with_staffing};
pub use suggest::{Suggestion, suggest_lengths};

use crate::analytic::erlang::ErlangA;
use crate::catalog;
use crate::metrics::focus_col;
use crate::replicate::{self, Progress, RunError, Summary};
use crate::scenario::{AgentEntry, AgentSpec, Focus, Scenario};
pub use crate::scenario::{PlanSpec, ShiftTemplate};
use crate::shifts::{ShiftPlan, Stagger};
use crate::time::HOUR_MS;

/// Most search iterations before giving up.
pub const MAX_ITERATIONS: u32 = 60;
/// Most trimming passes after the search.
pub const MAX_TRIM_PASSES: u32 = 20;
/// Most verification rounds.
pub const VERIFY_ROUNDS: u32 = 6;

/// The value of target metric `metric` from the figures a target can use:
/// abandonment, occupancy, and the answered-within rate at each SLA
/// threshold (`within(k)` for `thresholds_s[k]`).
fn target_value(
    metric: &str,
    thresholds_s: &[u32],
    abandon: f64,
    occupancy: f64,
    within: impl Fn(usize) -> f64,
) -> f64 {
    match metric {
        catalog::ABANDON_RATE => abandon,
        catalog::OCCUPANCY => occupancy,
        m => thresholds_s
            .iter()
            .position(|&t| m == catalog::within_name(t))
            .map_or(f64::NAN, within),
    }
}

/// The pool's chats and occupancy in one interval, pooled over replications.
#[derive(Debug, Clone, Default)]
pub struct IntervalFigures {
    /// Chats offered (mean per replication).
    pub offered: f64,
    /// Abandoned ÷ offered.
    pub abandon_rate: f64,
    /// Open chats ÷ caps of the pool's agents on shift.
    pub occupancy: f64,
    /// First reply within each SLA threshold ÷ offered.
    pub within: Vec<f64>,
}

impl IntervalFigures {
    /// The value of a target's metric (`NaN` if undefined here).
    pub fn value(&self, metric: &str, thresholds_s: &[u32]) -> f64 {
        target_value(
            metric,
            thresholds_s,
            self.abandon_rate,
            self.occupancy,
            |k| self.within[k],
        )
    }
}

/// One interval's figures from a run's focus table.
fn figures(s: &Summary, sc: &Scenario, i: usize) -> IntervalFigures {
    let k = sc.sla.thresholds_s.len();
    let w = focus_col::width(k);
    let row = &s.focus[i * w..(i + 1) * w];
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    let offered = row[focus_col::OFFERED];
    let within = (0..k)
        .map(|j| ratio(row[focus_col::WITHIN + j], offered))
        .collect();
    IntervalFigures {
        offered: offered / f64::from(s.replications.max(1)),
        abandon_rate: ratio(row[focus_col::ABANDONED], offered),
        occupancy: ratio(row[focus_col::OPEN_MS], row[focus_col::CAP_MS]),
        within,
    }
}

/// Whether interval `i` of a run meets every target (an interval without
/// chats meets the chat targets; without pool agents on duty, occupancy).
fn interval_ok(s: &Summary, sc: &Scenario, spec: &PlanSpec, i: usize) -> bool {
    let f = figures(s, sc, i);
    spec.targets.iter().filter(|t| applies(t, i)).all(|t| {
        let value = f.value(&t.metric, &sc.sla.thresholds_s);
        // Undefined: nothing to judge (no chat, or nobody on duty).
        !value.is_finite() || t.op.holds(value, t.limit)
    })
}

/// Whether target `t` applies to interval `i` (a target `during …` only
/// inside its part of the window).
fn applies(t: &crate::catalog::Threshold, i: usize) -> bool {
    t.during.as_ref().is_none_or(|d| d.covers(i))
}

/// Why planning failed.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A simulation failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The targets cannot be met by staffing the pool.
    #[error("{0}")]
    Unreachable(String),
}

/// What planning found.
#[derive(Debug, Clone)]
pub struct PlanResult {
    /// Local start of each interval.
    pub interval_start: Vec<String>,
    /// Pool chats offered per interval (mean per replication).
    pub offered: Vec<f64>,
    /// The time-lagged Erlang A estimate the search started from.
    pub erlang: Vec<u32>,
    /// Agents needed on duty per interval, found by simulation.
    pub required: Vec<u32>,
    /// Heads to schedule per interval: required ÷ (1 − shrinkage) (plus any
    /// heads added by verification).
    pub needed: Vec<f64>,
    /// Heads the roster puts on duty and off break per interval.
    pub scheduled: Vec<f64>,
    /// Agents per shift template.
    pub counts: Vec<u32>,
    /// The roster's on-duty agent-hours in the measured window (breaks included).
    pub agent_hours: f64,
    /// The LP lower bound on agent-hours, if the LP solved.
    pub lower_bound: Option<f64>,
    /// Search iterations used.
    pub iterations: u32,
    /// Verification rounds used.
    pub rounds: u32,
    /// Per interval: the verification met every target.
    pub verified: Vec<bool>,
    /// The roster's own simulation.
    pub verification: Summary,
    /// Length of an interval, in hours.
    pub interval_hours: f64,
    /// Heads of requirement that verification added per interval.
    pub extra: Vec<u32>,
    /// Template changes that would cut the cost, each verified by
    /// simulation (only for an accepted plan), best first.
    pub suggestions: Vec<Suggestion>,
    /// Per interval: the pool's figures in the verification.
    pub verified_figures: Vec<IntervalFigures>,
    /// Every interval meets every target in the verification.
    pub accepted: bool,
}

fn simulate(sc: &Scenario, threads: Option<usize>) -> Result<Summary, RunError> {
    replicate::run_with_progress(sc, threads, &Progress::default())
}

/// Agents for `lambda_per_s` chats per second by Erlang A on chat slots
/// (agents × cap), with `hold_s` the mean time a chat holds a slot.
fn erlang_agents(
    lambda_per_s: f64,
    hold_s: f64,
    patience_s: f64,
    cap: u32,
    spec: &PlanSpec,
    thresholds_s: &[u32],
    i: usize,
) -> u32 {
    if lambda_per_s <= 0.0 {
        return 0;
    }
    let ok = |c: u32| -> bool {
        let Some(q) = ErlangA::new(c, lambda_per_s, hold_s, patience_s) else {
            return false;
        };
        let f = q.figures();
        spec.targets.iter().filter(|t| applies(t, i)).all(|t| {
            let v = target_value(&t.metric, thresholds_s, f.p_abandon, f.occupancy, |k| {
                q.answered_within_over_offered(f64::from(thresholds_s[k]))
            });
            t.op.holds(v, t.limit)
        })
    };
    // Every target improves with more slots: the least that meets them all
    // by bisection (with abandonment it may be below the offered load).
    let (mut lo, mut hi) = (1u32, spec.max_agents.saturating_mul(cap).max(1));
    if !ok(hi) {
        return spec.max_agents;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo.div_ceil(cap).min(spec.max_agents)
}

/// What a probe run with ample staff measures: the pool's chats per
/// interval (mean per replication), the mean time a chat holds a slot, the
/// mean patience and the pool's cap.
struct Probe {
    offered: Vec<f64>,
    hold_s: f64,
    patience_s: f64,
    cap: u32,
}

fn probe(base: &Scenario, spec: &PlanSpec, threads: Option<usize>) -> Result<Probe, RunError> {
    let n = base.run.intervals();
    let sc = with_staffing(base, spec, &vec![spec.max_agents; n]);
    let s = simulate(&sc, threads)?;
    let offered = (0..n).map(|i| figures(&s, &sc, i).offered).collect();
    let w = focus_col::width(base.sla.thresholds_s.len());
    let open_ms: f64 = (0..n).map(|i| s.focus[i * w + focus_col::OPEN_MS]).sum();
    let chats: f64 = (0..n).map(|i| s.focus[i * w + focus_col::OFFERED]).sum();
    Ok(Probe {
        offered,
        hold_s: if chats > 0.0 {
            open_ms / chats / 1e3
        } else {
            60.0
        }
        .max(1.0),
        patience_s: base
            .buyers
            .patience
            .as_ref()
            .map_or(1e6, |p| p.mean_ms() / 1e3)
            .max(1.0),
        cap: template(base, spec).max_concurrent,
    })
}

/// Erlang A staffing per interval from a probe. With `lag`, an interval's
/// load is the arrival rate about half a holding time earlier (but at
/// least half its own), a time-lagged offered load; without, each
/// interval is treated as a stationary queue on its own arrivals.
fn erlang_staffing(base: &Scenario, spec: &PlanSpec, p: &Probe, lag: bool) -> Vec<u32> {
    let interval_s = base.run.interval as f64 / 1e3;
    let shift = if lag {
        ((p.hold_s / 2.0) / interval_s).round() as usize
    } else {
        0
    };
    (0..p.offered.len())
        .map(|i| {
            let here = p.offered[i];
            if here <= 0.0 {
                return 0;
            }
            let lambda = p.offered[i.saturating_sub(shift)].max(here * 0.5) / interval_s;
            let lambda = if lag { lambda } else { here / interval_s };
            erlang_agents(
                lambda,
                p.hold_s,
                p.patience_s,
                p.cap,
                spec,
                &base.sla.thresholds_s,
                i,
            )
            .max(1)
        })
        .collect()
}

/// Plans the pool of `base` (which must have a `[plan]`), reporting
/// progress lines through `log`.
pub fn plan(
    base: &Scenario,
    threads: Option<usize>,
    log: &mut dyn FnMut(&str),
) -> Result<PlanResult, PlanError> {
    let spec = base
        .plan
        .as_ref()
        .expect("kefusim plan checks for [plan] first");
    let run = &base.run;
    let n = run.intervals();
    // Probe: ample staff, to measure the pool's arrivals and holding time.
    let p = probe(base, spec, threads)?;
    let erlang = erlang_staffing(base, spec, &p, true);
    let offered = p.offered.clone();
    log(&format!(
        "plan: Erlang A seed (time-lagged): {} agent-intervals, peak {}",
        erlang.iter().map(|&v| u64::from(v)).sum::<u64>(),
        erlang.iter().max().copied().unwrap_or(0)
    ));

    // Search: raise where targets are missed.
    let mut req = erlang.clone();
    let mut iterations = 0;
    let mut last: Option<Summary> = None;
    while iterations < MAX_ITERATIONS {
        iterations += 1;
        let sc = with_staffing(base, spec, &req);
        let s = simulate(&sc, threads)?;
        let failing: Vec<usize> = (0..n).filter(|&i| !interval_ok(&s, &sc, spec, i)).collect();
        log(&format!(
            "plan: search {iterations}: {} interval(s) below target, {} agent-intervals",
            failing.len(),
            req.iter().map(|&v| u64::from(v)).sum::<u64>()
        ));
        if failing.is_empty() {
            last = Some(s);
            break;
        }
        for &i in &failing {
            if req[i] >= spec.max_agents {
                return Err(PlanError::Unreachable(format!(
                    "interval {} ({}) misses its targets even with max_agents = {} pool agents on duty; raise [plan] max_agents, or the targets cannot be met by this pool (e.g. another group's agents are short)",
                    i,
                    run.clock
                        .format(run.measure_from() + i as u64 * run.interval),
                    spec.max_agents
                )));
            }
            req[i] = (req[i] + (req[i] / 20).max(1)).min(spec.max_agents);
        }
    }
    if last.is_none() {
        return Err(PlanError::Unreachable(format!(
            "the requirement search did not settle in {MAX_ITERATIONS} iterations"
        )));
    }
    // Trim where there is slack: one agent less wherever that still holds,
    // pass after pass. An interval that fails with the trial gets its agent
    // back, and so do its neighbours (the one before carries backlog into
    // it, the one after answers its late chats); all three are then left
    // alone, and the trial is simulated again.
    let mut frozen = vec![false; n];
    for pass in 1..=MAX_TRIM_PASSES {
        let mut trial: Vec<u32> = (0..n)
            .map(|i| {
                if frozen[i] {
                    req[i]
                } else {
                    req[i].saturating_sub(1)
                }
            })
            .collect();
        let mut accepted = false;
        while trial != req {
            let sc = with_staffing(base, spec, &trial);
            let s = simulate(&sc, threads)?;
            let failing: Vec<usize> = (0..n).filter(|&i| !interval_ok(&s, &sc, spec, i)).collect();
            if failing.is_empty() {
                accepted = true;
                break;
            }
            let before = trial.clone();
            // A chat arriving late in interval i may be answered in i + 1,
            // and backlog from i − 1 reaches i: restore all three.
            for &i in &failing {
                for j in i.saturating_sub(1)..=(i + 1).min(n - 1) {
                    trial[j] = req[j];
                    frozen[j] = true;
                }
            }
            if trial == before {
                // The failures come from trims further back: restore
                // everything up to the last failing interval.
                let last = failing.last().map_or(0, |&l| (l + 1).min(n - 1));
                for j in 0..=last {
                    trial[j] = req[j];
                    frozen[j] = true;
                }
                if trial == before {
                    // Failing at the searched staffing itself (noise
                    // between runs cannot happen: same seed); stop trimming.
                    break;
                }
            }
        }
        if !accepted {
            break;
        }
        log(&format!(
            "plan: trim {pass}: {} agent-intervals of slack removed",
            req.iter()
                .zip(&trial)
                .map(|(a, b)| u64::from(a - b))
                .sum::<u64>()
        ));
        req = trial;
    }

    // Shifts, then verification.
    let roster = staff_roster(base, spec, &req, vec![0; n], threads, &mut |line| {
        log(&format!("plan: {line}"))
    })?;
    let suggestions = if roster.accepted {
        suggest::suggest(base, spec, &req, &roster, threads, log)?
    } else {
        Vec::new()
    };
    let verified_figures = (0..n)
        .map(|i| figures(&roster.verification, &roster.scenario, i))
        .collect();
    Ok(PlanResult {
        interval_start: roster.verification.series.interval_start.clone(),
        interval_hours: run.interval as f64 / HOUR_MS as f64,
        offered,
        erlang,
        required: req,
        extra: roster.extra,
        needed: roster.needed,
        scheduled: roster.scheduled,
        counts: roster.counts,
        agent_hours: roster.agent_hours,
        lower_bound: roster.lower_bound,
        iterations,
        rounds: roster.rounds,
        accepted: roster.accepted,
        verified: roster.verified,
        verified_figures,
        verification: roster.verification,
        suggestions,
    })
}

/// A roster of `spec`'s templates and its own simulation.
pub(crate) struct Staffed {
    /// Agents per template.
    pub counts: Vec<u32>,
    /// The LP bound on agent-hours.
    pub lower_bound: Option<f64>,
    /// Heads needed per interval (with shrinkage and verification's extras).
    pub needed: Vec<f64>,
    /// Heads the roster puts on duty and off break per interval.
    pub scheduled: Vec<f64>,
    /// The roster's on-duty agent-hours in the window.
    pub agent_hours: f64,
    /// Heads of requirement verification added per interval.
    pub extra: Vec<u32>,
    /// Verification rounds used.
    pub rounds: u32,
    /// Per interval: every target met in the verification.
    pub verified: Vec<bool>,
    /// Every interval meets every target.
    pub accepted: bool,
    /// The verification run.
    pub verification: Summary,
    /// The scenario simulated.
    pub scenario: Scenario,
}

/// Builds the cheapest roster of `spec`'s templates for the requirement
/// `req` (plus `extra` heads) and simulates it; intervals that miss a
/// target get one more needed head and the roster is rebuilt, up to
/// [`VERIFY_ROUNDS`] times.
pub(crate) fn staff_roster(
    base: &Scenario,
    spec: &PlanSpec,
    req: &[u32],
    mut extra: Vec<u32>,
    threads: Option<usize>,
    log: &mut dyn FnMut(&str),
) -> Result<Staffed, PlanError> {
    let run = &base.run;
    let n = run.intervals();
    let (cover, hours) = coverage(base, spec);
    let starts: Vec<String> = (0..n)
        .map(|i| {
            run.clock
                .format(run.measure_from() + i as u64 * run.interval)
        })
        .collect();
    let scale = 1.0 / (1.0 - spec.shrinkage);
    let mut rounds = 0;
    loop {
        rounds += 1;
        let needed: Vec<f64> = (0..n)
            .map(|i| f64::from(req[i] + extra[i]) * scale)
            .collect();
        let (counts, lower_bound) =
            roster(spec, &starts, &cover, &hours, &needed).map_err(PlanError::Unreachable)?;
        let scheduled: Vec<f64> = (0..n)
            .map(|i| {
                (0..counts.len())
                    .map(|t| cover[i][t] * f64::from(counts[t]))
                    .sum()
            })
            .collect();
        let agent_hours: f64 = (0..counts.len())
            .map(|t| hours[t] * f64::from(counts[t]))
            .sum();
        let sc = with_roster(base, spec, &counts);
        let verification = simulate(&sc, threads)?;
        let verified: Vec<bool> = (0..n)
            .map(|i| interval_ok(&verification, &sc, spec, i))
            .collect();
        let misses = verified.iter().filter(|v| !**v).count();
        log(&format!(
            "roster {rounds}: {} agents, {agent_hours:.1} agent-hours; verification: {misses} interval(s) below target",
            counts.iter().sum::<u32>()
        ));
        if misses == 0 || rounds >= VERIFY_ROUNDS {
            return Ok(Staffed {
                counts,
                lower_bound,
                needed,
                scheduled,
                agent_hours,
                extra,
                rounds,
                accepted: misses == 0,
                verified,
                verification,
                scenario: sc,
            });
        }
        for (i, ok) in verified.iter().enumerate() {
            if !ok {
                extra[i] += 1;
            }
        }
    }
}

/// Simulates `base`'s pool with the staffing vector `n` and says, per
/// interval, whether every target holds (for tests and comparisons).
pub fn check_staffing(
    base: &Scenario,
    n: &[u32],
    threads: Option<usize>,
) -> Result<Vec<bool>, RunError> {
    let spec = base.plan.as_ref().expect("a scenario with [plan]");
    let sc = with_staffing(base, spec, n);
    let s = simulate(&sc, threads)?;
    Ok((0..n.len())
        .map(|i| interval_ok(&s, &sc, spec, i))
        .collect())
}

/// The per-interval Erlang A staffing without simulation (each interval
/// a stationary queue on its own arrivals: no lag, no backlog), for comparison.
pub fn erlang_per_interval(base: &Scenario, threads: Option<usize>) -> Result<Vec<u32>, RunError> {
    let spec = base.plan.as_ref().expect("a scenario with [plan]");
    let p = probe(base, spec, threads)?;
    Ok(erlang_staffing(base, spec, &p, false))
}

#[cfg(test)]
mod tests;
