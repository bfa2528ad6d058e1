//! `METRIC OP NUMBER`: the thresholds of `[thresholds] require` and the
//! per-interval targets of `[plan]`, about metrics of the catalogue.

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

/// Which way a per-interval plan target must bound its metric: the way
/// more agents move it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// From below (`>=`, `>`): answered-within rates.
    Below,
    /// From above (`<=`, `<`): abandonment and occupancy.
    Above,
}

/// Which way a per-interval plan target on `metric` must bound it, or
/// `None` if it cannot be one (only the answered-within rates at the
/// scenario's SLA thresholds, `abandon_rate` and `occupancy` can).
pub fn target_bound(metric: &str, thresholds_s: &[u32]) -> Option<Bound> {
    if thresholds_s
        .iter()
        .any(|&t| metric == super::within_name(t))
    {
        Some(Bound::Below)
    } else if metric == super::ABANDON_RATE || metric == super::OCCUPANCY {
        Some(Bound::Above)
    } else {
        None
    }
}

/// Whether `metric OP …` can be a per-interval target, and if not, why.
pub fn check_target(metric: &str, op: Op, thresholds_s: &[u32]) -> Result<(), String> {
    let up = matches!(op, Op::AtLeast | Op::Above);
    match target_bound(metric, thresholds_s) {
        Some(Bound::Below) if up => Ok(()),
        Some(Bound::Above) if !up => Ok(()),
        Some(bound) => Err(format!(
            "`{metric}` must be bounded the way more agents move it ({})",
            match bound {
                Bound::Below => ">= or >",
                Bound::Above => "<= or <",
            }
        )),
        None => Err(format!(
            "`{metric}` cannot be a per-interval target; allowed: {}, {}, {}",
            thresholds_s
                .iter()
                .map(|&t| super::within_name(t))
                .collect::<Vec<_>>()
                .join(", "),
            super::ABANDON_RATE,
            super::OCCUPANCY,
        )),
    }
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

    #[test]
    fn targets_must_improve_with_staff() {
        let th = [20, 120];
        assert!(check_target("answered_within_120s_over_offered", Op::AtLeast, &th).is_ok());
        assert!(check_target("abandon_rate", Op::AtMost, &th).is_ok());
        assert!(check_target("occupancy", Op::Below, &th).is_ok());
        assert!(check_target("occupancy", Op::AtLeast, &th).is_err());
        assert!(check_target("answered_within_60s_over_offered", Op::AtLeast, &th).is_err());
        assert!(check_target("frt_p90_s", Op::Below, &th).is_err());
    }
}
