//! Quality gates on results: `[thresholds]` in a scenario (judged after a
//! run) and comparing a run with a baseline (`kefusim compare`,
//! `run --baseline`).

pub mod compare;

use crate::replicate::Summary;

/// A comparison in a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `>=`
    AtLeast,
    /// `>`
    Above,
    /// `<=`
    AtMost,
    /// `<`
    Below,
}

impl Op {
    /// As written.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::AtLeast => ">=",
            Op::Above => ">",
            Op::AtMost => "<=",
            Op::Below => "<",
        }
    }

    /// Whether `value OP limit`.
    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Op::AtLeast => value >= limit,
            Op::Above => value > limit,
            Op::AtMost => value <= limit,
            Op::Below => value < limit,
        }
    }
}

/// One line of `[thresholds] require`: `METRIC OP NUMBER`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The metric, as named in `summary.json`.
    pub metric: String,
    /// The comparison.
    pub op: Op,
    /// The limit (a trailing `%` was divided by 100).
    pub limit: f64,
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.metric, self.op.symbol(), self.limit)
    }
}

/// Parses `METRIC OP NUMBER[%]`, e.g. `abandon_rate < 3%`.
pub fn parse_threshold(text: &str) -> Result<Threshold, String> {
    let usage = "a threshold is `METRIC OP NUMBER` with OP one of >=, >, <=, < (e.g. \"answered_within_120s_over_offered >= 0.90\", \"abandon_rate < 3%\")";
    for (wrong, right) in [("=<", "<="), ("=>", ">="), ("==", ">= or <=")] {
        if text.contains(wrong) {
            return Err(format!("{wrong:?} in {text:?}: write {right}; {usage}"));
        }
    }
    let (at, op, len) = [
        (">=", Op::AtLeast),
        ("<=", Op::AtMost),
        (">", Op::Above),
        ("<", Op::Below),
    ]
    .iter()
    .filter_map(|&(sym, op)| text.find(sym).map(|at| (at, op, sym.len())))
    .min_by_key(|&(at, _, len)| (at, std::cmp::Reverse(len)))
    .ok_or_else(|| format!("no comparison in {text:?}: {usage}"))?;
    let metric = text[..at].trim();
    let number = text[at + len..].trim();
    if metric.is_empty() || metric.contains(char::is_whitespace) {
        return Err(format!(
            "no single metric name before {:?} in {text:?}: {usage}",
            op.symbol()
        ));
    }
    let (digits, per) = match number.strip_suffix('%') {
        Some(d) => (d.trim(), 100.0),
        None => (number, 1.0),
    };
    let limit: f64 = digits
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("{number:?} is not a number in {text:?}: {usage}"))?;
    Ok(Threshold {
        metric: metric.to_string(),
        op,
        limit: limit / per,
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_with_every_operator_and_percent() {
        let t = parse_threshold("answered_within_120s_over_offered >= 0.90").unwrap();
        assert_eq!(
            (t.metric.as_str(), t.op, t.limit),
            ("answered_within_120s_over_offered", Op::AtLeast, 0.9)
        );
        let t = parse_threshold("abandon_rate<3%").unwrap();
        assert_eq!((t.op, t.limit), (Op::Below, 0.03));
        assert_eq!(parse_threshold("x >= 95%").unwrap().limit, 0.95);
        assert_eq!(parse_threshold("frt_p90_s <= 60").unwrap().op, Op::AtMost);
        assert_eq!(
            parse_threshold("group.售前.p_wait > 0").unwrap().metric,
            "group.售前.p_wait"
        );
        for bad in [
            "abandon_rate",
            "abandon_rate < x",
            "< 3",
            "a b < 3",
            "x < inf",
            "x =< 3",
            "x == 3",
        ] {
            assert!(parse_threshold(bad).is_err(), "{bad}");
        }
    }
}
