//! Comparing a run's metrics with a baseline's, metric by metric.
//!
//! Each metric's difference (current − baseline) is estimated one of three
//! ways, chosen from the saved results and said in the output:
//! - **paired**: both sides used the same seed and replication count, and
//!   saved each replication's value. kefusim draws every source of
//!   randomness from its own stream per replication (common random
//!   numbers), so replication *i* of both runs saw the same buyers;
//!   the differences of paired replications are far less noisy than
//!   either side. Student t on the paired differences.
//! - **unpaired**: anything else (another seed, results saved without
//!   per-replication values). Welch's t from each side's mean and 95%
//!   half-width.
//! - **exact**: no noise to estimate (one replication on each side, or
//!   identical paired differences): the difference is taken as it is.
//!
//! The gate ([`GateSpec`]) judges some metrics — by default every metric
//! with a better direction, or those chosen by `--metrics` or `[compare]` —
//! and only reports the others. A judged metric regresses when it is worse
//! than the baseline by more than its practical tolerance (the catalogue's
//! default by unit, or `--tolerance`) with significance: one-sided t tests
//! of "worse by more than the tolerance", Holm–Bonferroni across the
//! judged metrics, so that the chance of *any* false alarm on an unchanged
//! model stays below α (0.05 by default). A judged metric that is missing,
//! or became undefined, fails too.
//!
//! Same scenario digest (same model, seed and replications): the runs are
//! deterministic, so any difference is a behaviour change of kefusim
//! itself and is listed; it is judged as above. `--strict` fails on any
//! listed change (for pinned baselines in CI).
//!
//! Which direction is bad comes from the metric catalogue ([`crate::catalog`]).

use crate::replicate::{MetricSummary, Summary};
use crate::stats::{t_quantile, t_sf};

pub use crate::catalog::{Better, GateSpec, Tolerance, parse_tolerance};

/// Which way `metric` should move: its catalogue entry's direction; a name
/// the catalogue does not know (from another kefusim's results) has none.
pub fn better(metric: &str) -> Better {
    crate::catalog::lookup(metric).map_or(Better::Neither, |d| d.better)
}

/// What happened to one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Identical (or, statistically, within the noise).
    Same,
    /// Different, in no direction, within tolerance, not judged, or not
    /// significant after the family-wise correction.
    Changed,
    /// Better, beyond the noise.
    Better,
    /// Judged, and significantly worse beyond its tolerance.
    Worse,
    /// In the baseline, not in the current results.
    Missing,
    /// In the current results only.
    New,
}

impl Status {
    /// As printed.
    pub fn word(self) -> &'static str {
        match self {
            Status::Same => "same",
            Status::Changed => "changed",
            Status::Better => "better",
            Status::Worse => "WORSE",
            Status::Missing => "MISSING",
            Status::New => "new",
        }
    }
}

/// How a metric's difference was estimated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Test {
    /// Replication by replication (same seed and replications).
    Paired {
        /// Pairs where both sides are defined.
        n: usize,
    },
    /// Welch's t from each side's mean and half-width.
    Unpaired {
        /// Welch–Satterthwaite degrees of freedom.
        df: f64,
    },
    /// No noise estimate: the difference as it is.
    Exact,
}

impl Test {
    /// As printed.
    pub fn word(self) -> &'static str {
        match self {
            Test::Paired { .. } => "paired",
            Test::Unpaired { .. } => "unpaired",
            Test::Exact => "exact",
        }
    }
}

/// One metric of the comparison.
#[derive(Debug, Clone)]
pub struct Row {
    /// Metric name.
    pub metric: String,
    /// Baseline mean and half-width.
    pub baseline: Option<(f64, Option<f64>)>,
    /// Current mean and half-width.
    pub current: Option<(f64, Option<f64>)>,
    /// Current − baseline (mean of the paired differences when paired) and
    /// its 95% half-width; `None` unless both sides are defined.
    pub delta: Option<(f64, f64)>,
    /// How the difference was estimated (`None` when not estimated).
    pub test: Option<Test>,
    /// Direction.
    pub better: Better,
    /// Whether the gate judges this metric.
    pub judged: bool,
    /// The tolerance applied, in the metric's unit.
    pub allowed: f64,
    /// Holm-adjusted p-value of "worse by more than the tolerance" (judged
    /// metrics with a direction, both sides defined).
    pub p_holm: Option<f64>,
    /// Verdict.
    pub status: Status,
}

/// A whole comparison.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Same scenario digest: any difference is a behaviour change.
    pub deterministic: bool,
    /// Both sides share the seed and replication count: paired where the
    /// per-replication values were saved.
    pub paired: bool,
    /// `--strict`: any change fails.
    pub strict: bool,
    /// The gate applied.
    pub gate: GateSpec,
    /// Every metric of either side, in the baseline's order, then new ones.
    pub rows: Vec<Row>,
    /// Notes for people (scenario names differ, …).
    pub notes: Vec<String>,
}

impl Comparison {
    /// The rows that make the comparison fail: worse metrics, judged
    /// metrics that are missing, and with `strict` every change.
    pub fn failures(&self) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| match r.status {
                Status::Worse => true,
                Status::Missing => r.judged || self.strict,
                Status::Changed | Status::Better | Status::New => self.strict,
                Status::Same => false,
            })
            .collect()
    }

    /// Metrics judged.
    pub fn judged(&self) -> usize {
        self.rows.iter().filter(|r| r.judged).count()
    }
}

/// The estimate of one metric's difference.
struct Estimate {
    /// current − baseline.
    diff: f64,
    /// Its standard error (0: exact).
    se: f64,
    test: Test,
}

impl Estimate {
    fn df(&self) -> f64 {
        match self.test {
            Test::Paired { n } => n as f64 - 1.0,
            Test::Unpaired { df } => df,
            Test::Exact => f64::INFINITY,
        }
    }

    /// 95% half-width of the difference.
    fn half_width(&self) -> f64 {
        if self.se == 0.0 {
            0.0
        } else {
            t_quantile(0.975, self.df()) * self.se
        }
    }

    /// One-sided p-value of "worse by more than `allowed`", `worse_by`
    /// being the difference signed so that positive is worse.
    fn p_worse(&self, worse_by: f64, allowed: f64) -> f64 {
        if self.se == 0.0 {
            if worse_by > allowed { 0.0 } else { 1.0 }
        } else {
            t_sf((worse_by - allowed) / self.se, self.df())
        }
    }
}

/// Paired when both sides saved per-replication values of the same length
/// and at least two pairs are defined on both sides.
fn paired(baseline: &MetricSummary, current: &MetricSummary) -> Option<Estimate> {
    if baseline.values.len() != current.values.len() || baseline.values.is_empty() {
        return None;
    }
    let diffs: Vec<f64> = baseline
        .values
        .iter()
        .zip(&current.values)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| b - a)
        .collect();
    let n = diffs.len();
    if n < 2 {
        return None;
    }
    let mean = diffs.iter().sum::<f64>() / n as f64;
    let var = diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Some(Estimate {
        diff: mean,
        se: (var / n as f64).sqrt(),
        test: Test::Paired { n },
    })
}

/// Welch from each side's mean and 95% half-width; a side without a
/// half-width (one replication) counts as exact.
fn unpaired(
    baseline: &MetricSummary,
    current: &MetricSummary,
    n_baseline: u32,
    n_current: u32,
) -> Estimate {
    let se = |m: &MetricSummary, reps: u32| {
        // The replications where the metric is defined, when known.
        let n = if m.values.is_empty() {
            reps as usize
        } else {
            m.values.iter().filter(|v| v.is_finite()).count()
        };
        match m.ci95 {
            Some(h) if n >= 2 && h.is_finite() => (h / crate::stats::t975(n - 1), n),
            _ => (0.0, n),
        }
    };
    let ((sa, na), (sb, nb)) = (se(baseline, n_baseline), se(current, n_current));
    let se2 = sa * sa + sb * sb;
    let diff = current.mean - baseline.mean;
    if se2 == 0.0 {
        return Estimate {
            diff,
            se: 0.0,
            test: Test::Exact,
        };
    }
    let part = |s: f64, n: usize| {
        if s == 0.0 {
            0.0
        } else {
            s.powi(4) / (n as f64 - 1.0)
        }
    };
    Estimate {
        diff,
        se: se2.sqrt(),
        test: Test::Unpaired {
            df: se2 * se2 / (part(sa, na) + part(sb, nb)),
        },
    }
}

/// Compares `current` with `baseline`, metric by metric, under `gate`.
pub fn compare(current: &Summary, baseline: &Summary, gate: &GateSpec, strict: bool) -> Comparison {
    let deterministic = !baseline.digest.is_empty() && baseline.digest == current.digest;
    let same_draws = baseline.seed == current.seed && baseline.replications == current.replications;
    let mut rows: Vec<Row> = baseline
        .metrics
        .iter()
        .map(|b| match current.metric(&b.name) {
            Some(c) => row(b, c, same_draws, baseline, current, deterministic, gate),
            None => Row {
                metric: b.name.clone(),
                baseline: Some((b.mean, b.ci95)),
                current: None,
                delta: None,
                test: None,
                better: better(&b.name),
                judged: gate.judges(&b.name),
                allowed: 0.0,
                p_holm: None,
                status: Status::Missing,
            },
        })
        .collect();
    rows.extend(
        current
            .metrics
            .iter()
            .filter(|c| baseline.metric(&c.name).is_none())
            .map(|c| Row {
                metric: c.name.clone(),
                baseline: None,
                current: Some((c.mean, c.ci95)),
                delta: None,
                test: None,
                better: better(&c.name),
                judged: false,
                allowed: 0.0,
                p_holm: None,
                status: Status::New,
            }),
    );
    holm(&mut rows, gate.alpha);
    let paired = same_draws
        && rows
            .iter()
            .any(|r| matches!(r.test, Some(Test::Paired { .. })));
    let notes = notes(
        current,
        baseline,
        gate,
        deterministic,
        same_draws,
        paired,
        &rows,
    );
    Comparison {
        deterministic,
        paired,
        strict,
        gate: gate.clone(),
        rows,
        notes,
    }
}

/// One metric present on both sides: its estimate and informational
/// verdict (regressions are decided together, by [`holm`]).
fn row(
    b: &MetricSummary,
    c: &MetricSummary,
    same_draws: bool,
    baseline: &Summary,
    current: &Summary,
    deterministic: bool,
    gate: &GateSpec,
) -> Row {
    let direction = better(&b.name);
    let judged = gate.judges(&b.name);
    let allowed = gate.tolerance(&b.name).allowed(b.mean);
    let mut row = Row {
        metric: b.name.clone(),
        baseline: Some((b.mean, b.ci95)),
        current: Some((c.mean, c.ci95)),
        delta: None,
        test: None,
        better: direction,
        judged,
        allowed,
        p_holm: None,
        status: Status::Same,
    };
    let identical = b.mean.to_bits() == c.mean.to_bits() || (b.mean.is_nan() && c.mean.is_nan());
    if identical {
        return row;
    }
    if b.mean.is_nan() != c.mean.is_nan() {
        // Defined on one side only: a behaviour change; judged, a defined
        // directional metric that became undefined fails.
        let lost = c.mean.is_nan() && direction != Better::Neither && judged;
        row.status = if lost { Status::Worse } else { Status::Changed };
        return row;
    }
    let estimate = same_draws
        .then(|| paired(b, c))
        .flatten()
        .unwrap_or_else(|| unpaired(b, c, baseline.replications, current.replications));
    let half = estimate.half_width();
    row.delta = Some((estimate.diff, half));
    row.test = Some(estimate.test);
    let worse_by = match direction {
        Better::Higher => -estimate.diff,
        Better::Lower => estimate.diff,
        Better::Neither => f64::NAN,
    };
    if judged && worse_by.is_finite() {
        // Holm adjusts it below; unadjusted for now.
        row.p_holm = Some(estimate.p_worse(worse_by, allowed));
    }
    let beyond_noise = estimate.diff.abs() > half;
    row.status = if !beyond_noise && !deterministic {
        Status::Same
    } else if beyond_noise && worse_by < 0.0 {
        Status::Better
    } else {
        Status::Changed
    };
    row
}

/// Holm–Bonferroni: adjusts the judged rows' p-values (in place) and marks
/// as worse those at or below `alpha`.
fn holm(rows: &mut [Row], alpha: f64) {
    let mut order: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].p_holm.is_some())
        .collect();
    // Stable: ties keep the baseline's order.
    order.sort_by(|&a, &b| {
        rows[a]
            .p_holm
            .partial_cmp(&rows[b].p_holm)
            .expect("p-values are numbers")
    });
    let m = order.len();
    let mut running = 0.0_f64;
    for (k, &i) in order.iter().enumerate() {
        let p = rows[i].p_holm.expect("filtered");
        running = running.max(((m - k) as f64 * p).min(1.0));
        rows[i].p_holm = Some(running);
        if running <= alpha {
            rows[i].status = Status::Worse;
        }
    }
}

fn notes(
    current: &Summary,
    baseline: &Summary,
    gate: &GateSpec,
    deterministic: bool,
    same_draws: bool,
    paired: bool,
    rows: &[Row],
) -> Vec<String> {
    let mut notes = Vec::new();
    if current.scenario != baseline.scenario {
        notes.push(format!(
            "different scenarios: {} (current) vs {} (baseline)",
            current.scenario, baseline.scenario
        ));
    }
    if baseline.replications < 2 || current.replications < 2 {
        notes.push(format!(
            "{} one replication: its results carry no confidence interval, so only the other side's noise is allowed for{}",
            if baseline.replications < 2 && current.replications < 2 { "both sides have" } else if baseline.replications < 2 { "the baseline has" } else { "the current results have" },
            if baseline.replications < 2 && current.replications < 2 { " (here: none, every difference beyond its tolerance counts)" } else { "" }
        ));
    }
    if deterministic {
        notes.push(format!(
            "deterministic: same scenario digest {} (model, seed {}, {} replications), so every difference is a behaviour change of kefusim itself and is listed",
            current.digest, current.seed, current.replications
        ));
    }
    notes.push(if paired {
        format!(
            "paired: same seed {} and {} replications on both sides, so replication i saw the same buyers (common random numbers); each metric's difference is the mean of the per-replication differences, with its Student-t interval",
            current.seed, current.replications
        )
    } else if same_draws {
        "unpaired: same seed and replications, but the baseline was saved without per-replication values (an older kefusim); Welch's t from each side's mean and 95% half-width".to_string()
    } else {
        format!(
            "unpaired: different draws (seed {} vs {}, {} vs {} replications), so the sides are independent; Welch's t from each side's mean and 95% half-width",
            current.seed, baseline.seed, current.replications, baseline.replications
        )
    });
    let judged = rows.iter().filter(|r| r.judged).count();
    notes.push(format!(
        "gate: {judged} {} judged ({}), the other {} reported only; a judged metric regresses when worse by more than its tolerance at family-wise α = {} (one-sided t tests, Holm–Bonferroni){}",
        if judged == 1 { "metric" } else { "metrics" },
        if gate.metrics.is_some() { "chosen by --metrics or [compare]" } else { "every metric with a better direction" },
        rows.len() - judged,
        gate.alpha,
        if gate.tolerances.is_empty() { "; tolerances: the catalogue's defaults by unit" } else { "; tolerances: the catalogue's defaults by unit, except those set" },
    ));
    notes
}

mod output;
#[cfg(test)]
mod tests;

pub use output::{json, table};
