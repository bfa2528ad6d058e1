//! Comparing a run's metrics with a baseline's, metric by metric.
//!
//! Two modes, chosen from the saved results:
//! - **deterministic**: same scenario digest (same resolved model, seed and
//!   replications). Results are byte-identical unless kefusim's behaviour
//!   changed, so every difference is listed as a behaviour change; a
//!   difference in the bad direction beyond its tolerance is a regression.
//! - **statistical**: anything else (another seed, another model). A
//!   difference counts only when it exceeds the noise, the two 95%
//!   half-widths combined (√(h₁² + h₂²)), and then as a regression when in
//!   the bad direction beyond its tolerance.
//!
//! Which direction is bad comes from the metric catalogue ([`crate::catalog`]):
//! waits, FRT and abandonment lower is better; answered-within rates,
//! 3-minute rates and fairness higher is better; counts and occupancy have
//! none, so they are listed but never regress. `--strict` makes any listed
//! change fail.

use crate::replicate::{MetricSummary, Summary};

pub use crate::catalog::Better;

/// Which way `metric` should move: its catalogue entry's direction; a name
/// the catalogue does not know (from another kefusim's results) has none.
pub fn better(metric: &str) -> Better {
    crate::catalog::lookup(metric).map_or(Better::Neither, |d| d.better)
}

/// How much worse a metric may get before it is a regression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// In the metric's own unit.
    Absolute(f64),
    /// A fraction of the baseline's magnitude.
    Relative(f64),
}

impl Tolerance {
    fn allowed(self, baseline: f64) -> f64 {
        match self {
            Tolerance::Absolute(a) => a,
            Tolerance::Relative(r) => r * baseline.abs(),
        }
    }
}

/// Parses `METRIC=AMOUNT` (`frt_p90_s=+5%`, `abandon_rate=0.005`). The sign
/// is optional: a tolerance is how much worse the metric may get, in its
/// bad direction.
pub fn parse_tolerance(text: &str) -> Result<(String, Tolerance), String> {
    let usage = "a tolerance is METRIC=AMOUNT, AMOUNT a number or a percentage of the baseline (e.g. frt_p90_s=+5%, abandon_rate=0.005)";
    let (metric, amount) = text
        .split_once('=')
        .ok_or_else(|| format!("no `=` in {text:?}: {usage}"))?;
    let amount = amount.trim().trim_start_matches(['+', '-']);
    let (digits, relative) = match amount.strip_suffix('%') {
        Some(d) => (d.trim(), true),
        None => (amount, false),
    };
    let value: f64 = digits
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("{amount:?} is not a non-negative number in {text:?}: {usage}"))?;
    let metric = metric.trim();
    if metric.is_empty() {
        return Err(format!("no metric in {text:?}: {usage}"));
    }
    Ok((
        metric.to_string(),
        if relative {
            Tolerance::Relative(value / 100.0)
        } else {
            Tolerance::Absolute(value)
        },
    ))
}

/// What happened to one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Identical (or, statistically, within the noise).
    Same,
    /// Different, in no bad direction or within tolerance.
    Changed,
    /// Better, beyond the noise.
    Better,
    /// Worse beyond its tolerance (and, statistically, the noise).
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

/// One metric of the comparison.
#[derive(Debug, Clone)]
pub struct Row {
    /// Metric name.
    pub metric: String,
    /// Baseline mean and half-width.
    pub baseline: Option<(f64, Option<f64>)>,
    /// Current mean and half-width.
    pub current: Option<(f64, Option<f64>)>,
    /// Direction.
    pub better: Better,
    /// The tolerance applied, in the metric's unit.
    pub allowed: f64,
    /// Verdict.
    pub status: Status,
}

/// A whole comparison.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Same scenario digest: any difference is a behaviour change.
    pub deterministic: bool,
    /// `--strict`: any change fails.
    pub strict: bool,
    /// Every metric of either side, in the baseline's order, then new ones.
    pub rows: Vec<Row>,
    /// Notes for people (scenario names differ, …).
    pub notes: Vec<String>,
}

impl Comparison {
    /// The rows that make the comparison fail: worse and missing metrics,
    /// and with `strict` every change.
    pub fn failures(&self) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| match r.status {
                Status::Worse | Status::Missing => true,
                Status::Changed | Status::Better | Status::New => self.strict,
                Status::Same => false,
            })
            .collect()
    }
}

fn judge(
    baseline: &MetricSummary,
    current: &MetricSummary,
    deterministic: bool,
    tolerance: Option<Tolerance>,
) -> (Status, f64) {
    let (a, b) = (baseline.mean, current.mean);
    let direction = better(&baseline.name);
    let allowed = tolerance.map_or(0.0, |t| t.allowed(a));
    let same_bits = a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    if same_bits {
        return (Status::Same, allowed);
    }
    if a.is_nan() != b.is_nan() {
        // Defined on one side only: a behaviour change, bad when a defined
        // directional metric became undefined.
        let lost = b.is_nan() && direction != Better::Neither;
        return (if lost { Status::Worse } else { Status::Changed }, allowed);
    }
    // With one side's interval missing (one replication), that side
    // counts as exact; with both missing, any difference counts (the
    // comparison's notes say so).
    let noise = if deterministic {
        0.0
    } else {
        let (h1, h2) = (baseline.ci95.unwrap_or(0.0), current.ci95.unwrap_or(0.0));
        (h1 * h1 + h2 * h2).sqrt()
    };
    let diff = b - a;
    if diff.abs() <= noise {
        return (Status::Same, allowed);
    }
    let worse_by = match direction {
        Better::Higher => -diff,
        Better::Lower => diff,
        Better::Neither => return (Status::Changed, allowed),
    };
    let status = if worse_by > allowed.max(noise) {
        Status::Worse
    } else if worse_by < 0.0 {
        Status::Better
    } else {
        Status::Changed
    };
    (status, allowed)
}

/// Compares `current` with `baseline`, metric by metric.
pub fn compare(
    current: &Summary,
    baseline: &Summary,
    tolerances: &[(String, Tolerance)],
    strict: bool,
) -> Comparison {
    let deterministic = !baseline.digest.is_empty() && baseline.digest == current.digest;
    let mut notes = Vec::new();
    if current.scenario != baseline.scenario {
        notes.push(format!(
            "different scenarios: {} (current) vs {} (baseline)",
            current.scenario, baseline.scenario
        ));
    }
    if !deterministic && (baseline.replications < 2 || current.replications < 2) {
        notes.push(format!(
            "{} one replication: its results carry no confidence interval, so only the other side's noise is allowed for{}",
            if baseline.replications < 2 && current.replications < 2 { "both sides have" } else if baseline.replications < 2 { "the baseline has" } else { "the current results have" },
            if baseline.replications < 2 && current.replications < 2 { " (here: none, every difference counts)" } else { "" }
        ));
    }
    notes.push(if deterministic {
        format!(
            "deterministic: same scenario digest {} (model, seed {}, {} replications), so every difference is a behaviour change",
            current.digest, current.seed, current.replications
        )
    } else {
        format!(
            "statistical: the scenarios differ (digest {} vs {}, seed {} vs {}, {} vs {} replications); a difference counts beyond √(h₁² + h₂²) of the 95% half-widths",
            or_dash(&current.digest),
            or_dash(&baseline.digest),
            current.seed,
            baseline.seed,
            current.replications,
            baseline.replications
        )
    });
    let tolerance = |name: &str| tolerances.iter().find(|(m, _)| m == name).map(|t| t.1);
    let mut rows: Vec<Row> = baseline
        .metrics
        .iter()
        .map(|b| {
            let cur = current.metric(&b.name);
            let (status, allowed) = match cur {
                Some(c) => judge(b, c, deterministic, tolerance(&b.name)),
                None => (Status::Missing, 0.0),
            };
            Row {
                metric: b.name.clone(),
                baseline: Some((b.mean, b.ci95)),
                current: cur.map(|c| (c.mean, c.ci95)),
                better: better(&b.name),
                allowed,
                status,
            }
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
                better: better(&c.name),
                allowed: 0.0,
                status: Status::New,
            }),
    );
    Comparison {
        deterministic,
        strict,
        rows,
        notes,
    }
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "—" } else { s }
}

fn show(v: Option<(f64, Option<f64>)>) -> String {
    match v {
        None => "—".to_string(),
        Some((m, _)) if !m.is_finite() => "undefined".to_string(),
        Some((m, Some(h))) => format!("{m:.4} ± {h:.4}"),
        Some((m, None)) => format!("{m:.4}"),
    }
}

/// The comparison as a table for people: every metric that is not the
/// same, then a count line.
pub fn table(c: &Comparison) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for note in &c.notes {
        let _ = writeln!(out, "{note}");
    }
    let listed: Vec<&Row> = c.rows.iter().filter(|r| r.status != Status::Same).collect();
    if !listed.is_empty() {
        let _ = writeln!(
            out,
            "\n  {:<52} {:>20} {:>20} {:>8}  direction",
            "metric", "baseline", "current", "verdict"
        );
        for r in &listed {
            let delta = match (r.baseline, r.current) {
                (Some((a, _)), Some((b, _))) if a.is_finite() && b.is_finite() => {
                    format!(" (Δ {:+.4})", b - a)
                }
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "  {:<52} {:>20} {:>20} {:>8}  {}{delta}",
                r.metric,
                show(r.baseline),
                show(r.current),
                r.status.word(),
                r.better.word()
            );
        }
    }
    let count = |s: Status| c.rows.iter().filter(|r| r.status == s).count();
    let failures = c.failures().len();
    let _ = writeln!(
        out,
        "\n{} metrics: {} same, {} changed, {} better, {} worse, {} missing, {} new → {}",
        c.rows.len(),
        count(Status::Same),
        count(Status::Changed),
        count(Status::Better),
        count(Status::Worse),
        count(Status::Missing),
        count(Status::New),
        if failures == 0 {
            "no regression".to_string()
        } else if c.strict {
            format!("{failures} fail (--strict: any change fails)")
        } else {
            format!("{failures} regressions")
        }
    );
    out
}

/// The comparison as JSON.
pub fn json(c: &Comparison) -> String {
    let num = |v: f64| {
        if v.is_finite() {
            serde_json::json!(v)
        } else {
            serde_json::Value::Null
        }
    };
    let side = |v: Option<(f64, Option<f64>)>| match v {
        None => serde_json::Value::Null,
        Some((m, h)) => serde_json::json!({ "mean": num(m), "ci95": h.map(num) }),
    };
    let rows: Vec<_> = c
        .rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "metric": r.metric,
                "baseline": side(r.baseline),
                "current": side(r.current),
                "direction": r.better.word(),
                "tolerance": num(r.allowed),
                "verdict": r.status.word().to_lowercase(),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "mode": if c.deterministic { "deterministic" } else { "statistical" },
        "strict": c.strict,
        "notes": c.notes,
        "failures": c.failures().iter().map(|r| r.metric.clone()).collect::<Vec<_>>(),
        "metrics": rows,
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("plain JSON values");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_follow_the_metric_names() {
        assert_eq!(better("answered_within_120s_over_offered"), Better::Higher);
        assert_eq!(
            better("group.presale.answered_within_120s_over_offered"),
            Better::Higher
        );
        assert_eq!(better("abandon_rate"), Better::Lower);
        assert_eq!(better("vip.gold.p_wait"), Better::Lower);
        assert_eq!(better("vip.p_wait"), Better::Lower);
        assert_eq!(
            better("vip.answered_within_120s_over_offered"),
            Better::Higher
        );
        assert_eq!(better("offline_answered"), Better::Neither);
        assert_eq!(better("round_response_mean_s.assessed"), Better::Lower);
        assert_eq!(better("offered"), Better::Neither);
        assert_eq!(better("occupancy"), Better::Neither);
    }

    #[test]
    fn tolerances_parse() {
        assert_eq!(
            parse_tolerance("frt_p90_s=+5%").unwrap(),
            ("frt_p90_s".to_string(), Tolerance::Relative(0.05))
        );
        assert_eq!(
            parse_tolerance("abandon_rate=0.005").unwrap().1,
            Tolerance::Absolute(0.005)
        );
        for bad in ["frt_p90_s", "=5%", "x=abc", "x=-"] {
            assert!(parse_tolerance(bad).is_err(), "{bad}");
        }
    }

    fn metric(name: &str, mean: f64, ci95: Option<f64>) -> MetricSummary {
        MetricSummary {
            name: name.to_string(),
            mean,
            ci95,
            definition: String::new(),
        }
    }

    #[test]
    fn verdicts_by_mode_direction_noise_and_tolerance() {
        let golden = |m, h| metric("answered_within_120s_over_offered", m, h);
        // Deterministic: any drop is worse, any rise better, a count change is a change.
        assert_eq!(
            judge(&golden(0.9, None), &golden(0.8999, None), true, None).0,
            Status::Worse
        );
        assert_eq!(
            judge(&golden(0.9, None), &golden(0.91, None), true, None).0,
            Status::Better
        );
        assert_eq!(
            judge(&golden(0.9, None), &golden(0.9, None), true, None).0,
            Status::Same
        );
        let offered = |m| metric("offered", m, None);
        assert_eq!(
            judge(&offered(100.0), &offered(101.0), true, None).0,
            Status::Changed
        );
        // Within tolerance: changed, not worse.
        let tol = Some(Tolerance::Absolute(0.01));
        assert_eq!(
            judge(&golden(0.9, None), &golden(0.895, None), true, tol).0,
            Status::Changed
        );
        // Statistical: within the combined half-widths is the same.
        let (a, b) = (golden(0.90, Some(0.01)), golden(0.89, Some(0.01)));
        assert_eq!(judge(&a, &b, false, None).0, Status::Same);
        let b = golden(0.87, Some(0.01));
        assert_eq!(judge(&a, &b, false, None).0, Status::Worse);
        // One side without an interval: the other side's noise still counts.
        let (a, b) = (golden(0.90, Some(0.01)), golden(0.895, None));
        assert_eq!(judge(&a, &b, false, None).0, Status::Same);
        // Undefined now: worse for a directional metric.
        assert_eq!(
            judge(&golden(0.9, None), &golden(f64::NAN, None), true, None).0,
            Status::Worse
        );
    }
}
