//! Quality gates on results: `[thresholds]` in a scenario (judged after a
//! run) and comparing a run with a baseline (`kefusim compare`,
//! `run --baseline`).

pub mod compare;

pub use crate::catalog::{Op, Threshold, parse_threshold};
use crate::replicate::Summary;

/// How a run fared against one threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The threshold.
    pub threshold: Threshold,
    /// The metric's mean over replications (`NaN` if undefined).
    pub value: f64,
    /// Its 95% half-width, when there are replications to have one.
    pub ci95: Option<f64>,
    /// Whether the mean meets the threshold (an undefined metric does not).
    pub passed: bool,
}

impl Verdict {
    /// By how much the mean misses (positive) or clears (negative) the limit.
    pub fn shortfall(&self) -> f64 {
        match self.threshold.op {
            Op::AtLeast | Op::Above => self.threshold.limit - self.value,
            Op::AtMost | Op::Below => self.value - self.threshold.limit,
        }
    }

    /// One line for people: `PASS abandon_rate < 0.03: 0.021 ± 0.002`.
    pub fn line(&self) -> String {
        let value = match self.ci95 {
            _ if !self.value.is_finite() => "undefined (no chat to measure it)".to_string(),
            Some(h) => format!("{:.4} ± {:.4}", self.value, h),
            None => format!("{:.4}", self.value),
        };
        let how = if self.passed {
            String::new()
        } else if self.value.is_finite() {
            format!(" (misses by {:.4})", self.shortfall())
        } else {
            String::new()
        };
        format!(
            "{} {}: {value}{how}",
            if self.passed { "PASS" } else { "FAIL" },
            self.threshold
        )
    }
}

/// Judges every threshold on the mean of its metric. A metric missing from
/// `summary` (the scenario was checked, so only from saved results of
/// another version) fails.
pub fn judge(thresholds: &[Threshold], summary: &Summary) -> Vec<Verdict> {
    thresholds
        .iter()
        .map(|t| {
            let m = summary.metric(&t.metric);
            let value = m.map_or(f64::NAN, |m| m.mean);
            Verdict {
                threshold: t.clone(),
                value,
                ci95: m.and_then(|m| m.ci95),
                passed: value.is_finite() && t.op.holds(value, t.limit),
            }
        })
        .collect()
}
