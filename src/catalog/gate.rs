//! What a comparison with a baseline judges: which metrics gate, how much
//! worse each may get (practical tolerances, with defaults by unit), and the
//! family-wise false-alarm rate. The `[compare]` section of a scenario and
//! the `--metrics`, `--tolerance`, `--alpha` flags fill a [`GateSpec`];
//! `regress::compare` applies it.

use super::{Better, Unit, lookup};

/// How much worse a metric may get before it is a regression: the larger of
/// an amount in the metric's unit and a fraction of the baseline's
/// magnitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// In the metric's own unit.
    pub absolute: f64,
    /// A fraction of the baseline's magnitude.
    pub relative: f64,
}

impl Tolerance {
    /// None at all: any significant worsening counts.
    pub const ZERO: Tolerance = Tolerance {
        absolute: 0.0,
        relative: 0.0,
    };

    /// The amount allowed against `baseline`.
    pub fn allowed(self, baseline: f64) -> f64 {
        let relative = self.relative * baseline.abs();
        self.absolute
            .max(if relative.is_finite() { relative } else { 0.0 })
    }
}

impl std::fmt::Display for Tolerance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.absolute > 0.0, self.relative > 0.0) {
            (true, true) => write!(
                f,
                "{} or {}% of the baseline, whichever is larger",
                self.absolute,
                self.relative * 100.0
            ),
            (false, true) => write!(f, "{}%", self.relative * 100.0),
            _ => write!(f, "{}", self.absolute),
        }
    }
}

impl Unit {
    /// The practical tolerance of a metric in this unit, unless the user
    /// sets one: a change smaller than this is not a regression, however
    /// significant (half a percentage point of a rate; a second or 5% of a
    /// time; 0.01 or 2% of an index; half a chat or 5% of a count).
    pub fn tolerance(self) -> Tolerance {
        let (absolute, relative) = match self {
            Unit::Fraction => (0.005, 0.0),
            Unit::Seconds => (1.0, 0.05),
            Unit::Ratio => (0.01, 0.02),
            Unit::Chats => (0.5, 0.05),
            Unit::Hours | Unit::Agents | Unit::Slots | Unit::ChatsPerHour => (0.0, 0.02),
            Unit::Text => (0.0, 0.0),
        };
        Tolerance { absolute, relative }
    }
}

/// The catalogue's tolerance for `metric` (by its unit); zero for a name it
/// does not know.
pub fn default_tolerance(metric: &str) -> Tolerance {
    lookup(metric).map_or(Tolerance::ZERO, |d| d.unit.tolerance())
}

/// Parses `METRIC=AMOUNT` (`frt_p90_s=+5%`, `abandon_rate=0.005`). The sign
/// is optional: a tolerance is how much worse the metric may get, in its
/// bad direction. The metric name is returned as written.
pub fn parse_tolerance(text: &str) -> Result<(String, Tolerance), String> {
    let usage = "a tolerance is METRIC=AMOUNT, AMOUNT a number or a percentage of the baseline (e.g. frt_p90_s=+5%, abandon_rate=0.005)";
    let (metric, amount) = text
        .split_once('=')
        .ok_or_else(|| format!("no `=` in {text:?}: {usage}"))?;
    let metric = metric.trim();
    if metric.is_empty() {
        return Err(format!("no metric in {text:?}: {usage}"));
    }
    Ok((metric.to_string(), parse_amount(amount)?))
}

/// Parses a tolerance's amount: `0.005` (in the metric's unit) or `5%` (of
/// the baseline), with an optional sign.
pub fn parse_amount(amount: &str) -> Result<Tolerance, String> {
    let amount = amount.trim().trim_start_matches(['+', '-']);
    let (digits, relative) = match amount.strip_suffix('%') {
        Some(d) => (d.trim(), true),
        None => (amount, false),
    };
    let value: f64 = digits
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| {
            format!("{amount:?} is not a non-negative number or percentage (e.g. 0.005 or 5%)")
        })?;
    Ok(if relative {
        Tolerance {
            absolute: 0.0,
            relative: value / 100.0,
        }
    } else {
        Tolerance {
            absolute: value,
            relative: 0.0,
        }
    })
}

/// The family-wise false-alarm rate when none is given.
pub const DEFAULT_ALPHA: f64 = 0.05;

/// Which metrics a comparison judges, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct GateSpec {
    /// The metrics that gate (canonical names); `None`: every metric with
    /// a better direction. The others are reported, not judged.
    pub metrics: Option<Vec<String>>,
    /// Tolerances that replace the catalogue's, by metric.
    pub tolerances: Vec<(String, Tolerance)>,
    /// The family-wise false-alarm rate (Holm–Bonferroni across the
    /// metrics judged).
    pub alpha: f64,
}

impl Default for GateSpec {
    fn default() -> Self {
        GateSpec {
            metrics: None,
            tolerances: Vec::new(),
            alpha: DEFAULT_ALPHA,
        }
    }
}

impl GateSpec {
    /// Whether `metric` gates: chosen by name, or (no choice made) any
    /// metric with a direction.
    pub fn judges(&self, metric: &str) -> bool {
        match &self.metrics {
            Some(list) => list.iter().any(|m| m == metric),
            None => lookup(metric).is_some_and(|d| d.better != Better::Neither),
        }
    }

    /// `metric`'s tolerance: the one set for it, else the catalogue's.
    pub fn tolerance(&self, metric: &str) -> Tolerance {
        self.tolerances
            .iter()
            .rev()
            .find(|(m, _)| m == metric)
            .map_or_else(|| default_tolerance(metric), |t| t.1)
    }

    /// Whether this is the default gate (nothing chosen).
    pub fn is_default(&self) -> bool {
        *self == GateSpec::default()
    }
}

/// Checks a family-wise false-alarm rate.
pub fn check_alpha(alpha: f64) -> Result<f64, String> {
    if alpha.is_finite() && alpha > 0.0 && alpha <= 0.5 {
        Ok(alpha)
    } else {
        Err(format!(
            "alpha (the family-wise false-alarm rate) must be in (0, 0.5], got {alpha}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_parse_and_default_by_unit() {
        assert_eq!(
            parse_tolerance("frt_p90_s=+5%").unwrap(),
            (
                "frt_p90_s".to_string(),
                Tolerance {
                    absolute: 0.0,
                    relative: 0.05
                }
            )
        );
        assert_eq!(
            parse_tolerance("abandon_rate=0.005").unwrap().1.absolute,
            0.005
        );
        for bad in ["frt_p90_s", "=5%", "x=abc", "x=-", "x=inf"] {
            assert!(parse_tolerance(bad).is_err(), "{bad}");
        }
        // A 0.1 s change of FRT p50 is not a regression; 5% of a long p99 is allowed.
        assert_eq!(default_tolerance("frt_p50_s").allowed(12.7), 1.0);
        assert!((default_tolerance("frt_p99_s").allowed(200.0) - 10.0).abs() < 1e-12);
        assert_eq!(default_tolerance("abandon_rate").allowed(0.05), 0.005);
        assert_eq!(
            default_tolerance("group.presale.answered_within_120s_over_offered").allowed(0.9),
            0.005
        );
        assert_eq!(default_tolerance("no_such_metric"), Tolerance::ZERO);
    }

    #[test]
    fn the_default_gate_judges_directional_metrics() {
        let gate = GateSpec::default();
        assert!(gate.judges("abandon_rate") && gate.judges("vip.gold.p_wait"));
        assert!(!gate.judges("offered") && !gate.judges("occupancy"));
        let chosen = GateSpec {
            metrics: Some(vec!["abandon_rate".into()]),
            ..GateSpec::default()
        };
        assert!(chosen.judges("abandon_rate") && !chosen.judges("frt_p90_s"));
        assert!(
            check_alpha(0.05).is_ok() && check_alpha(0.0).is_err() && check_alpha(0.9).is_err()
        );
    }
}
