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
    /// `==` (counts such as `router.timeouts == 0`)
    Equal,
}

impl Op {
    /// As written.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::AtLeast => ">=",
            Op::Above => ">",
            Op::AtMost => "<=",
            Op::Below => "<",
            Op::Equal => "==",
        }
    }

    /// Whether `value OP limit`.
    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Op::AtLeast => value >= limit,
            Op::Above => value > limit,
            Op::AtMost => value <= limit,
            Op::Below => value < limit,
            Op::Equal => (value - limit).abs() <= 1e-9 * limit.abs().max(1.0),
        }
    }
}

/// Over what a threshold judges its metric.
#[derive(Debug, Clone, PartialEq)]
pub enum Over {
    /// The metric over the whole measured window (or over its `during`
    /// part): its mean over replications.
    Whole,
    /// Every interval (`every D`, D the run's interval, as written).
    Each(String),
    /// At least this share of the intervals (`in P% of intervals`).
    Share(f64),
}

/// A part of the measured window: `during FROM/TO` (two RFC 3339 instants)
/// or `during peak:NAME`.
#[derive(Debug, Clone, PartialEq)]
pub struct During {
    /// As written.
    pub text: String,
    /// The time-series intervals it covers, resolved against the scenario
    /// (empty in a threshold read back from saved results).
    pub intervals: std::ops::Range<usize>,
}

impl During {
    /// Whether interval `i` is inside.
    pub fn covers(&self, i: usize) -> bool {
        self.intervals.contains(&i)
    }
}

/// One line of `[thresholds] require` (or `[plan] targets`):
/// `METRIC OP NUMBER [every D | in P% of intervals] [during WINDOW]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The metric, as named in `summary.json` (or `timeseries.csv`, when
    /// judged per interval or over a part of the window).
    pub metric: String,
    /// The comparison.
    pub op: Op,
    /// The limit (a trailing `%` was divided by 100).
    pub limit: f64,
    /// Over what it is judged.
    pub over: Over,
    /// Only this part of the measured window.
    pub during: Option<During>,
}

impl Threshold {
    /// Whether it is judged on the time series (per interval, or over a
    /// part of the window) rather than on the run's scalar metric.
    pub fn on_series(&self) -> bool {
        self.over != Over::Whole || self.during.is_some()
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.metric,
            self.op.symbol(),
            crate::stats::sig12(self.limit)
        )?;
        match &self.over {
            Over::Whole => {}
            Over::Each(d) => write!(f, " every {d}")?,
            Over::Share(p) => write!(f, " in {}% of intervals", crate::stats::sig12(p * 100.0))?,
        }
        if let Some(d) = &self.during {
            write!(f, " during {}", d.text)?;
        }
        Ok(())
    }
}

/// A number with an optional `%` (divides by 100).
fn number(text: &str) -> Option<f64> {
    let (digits, per) = match text.trim().strip_suffix('%') {
        Some(d) => (d.trim(), 100.0),
        None => (text.trim(), 1.0),
    };
    digits
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| v / per)
}

/// Parses `METRIC OP NUMBER[%]`, e.g. `abandon_rate < 3%`, optionally
/// followed by `every 15m` or `in 95% of intervals`, and by `during
/// FROM/TO` or `during peak:NAME`.
pub fn parse_threshold(text: &str) -> Result<Threshold, String> {
    let usage = "a threshold is `METRIC OP NUMBER` with OP one of >=, >, <=, <, ==, optionally followed by `every 15m` (each interval) or `in 95% of intervals`, and by `during FROM/TO` or `during peak:NAME` (e.g. \"golden_rate >= 90%\", \"golden_rate >= 80% every 15m\", \"abandon_rate <= 5% in 95% of intervals during peak:midnight\")";
    for (wrong, right) in [("=<", "<="), ("=>", ">=")] {
        if text.contains(wrong) {
            return Err(format!("{wrong:?} in {text:?}: write {right}; {usage}"));
        }
    }
    let (at, op, len) = [
        ("==", Op::Equal),
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
    if metric.is_empty() || metric.contains(char::is_whitespace) {
        return Err(format!(
            "no single metric name before {:?} in {text:?}: {usage}",
            op.symbol()
        ));
    }
    // `90 %` is `90%`.
    let tail = text[at + len..].replace(" %", "%");
    let words: Vec<&str> = tail.split_whitespace().collect();
    let first = words.first().copied().unwrap_or("");
    let limit =
        number(first).ok_or_else(|| format!("{first:?} is not a number in {text:?}: {usage}"))?;
    let mut over = Over::Whole;
    let mut during = None;
    let mut rest = &words[1.min(words.len())..];
    while let Some((&word, tail)) = rest.split_first() {
        match (word, tail) {
            ("every", [d, tail @ ..]) if over == Over::Whole && during.is_none() => {
                over = Over::Each((*d).to_string());
                rest = tail;
            }
            ("in", [p, "of", "intervals", tail @ ..])
                if over == Over::Whole && during.is_none() =>
            {
                let share = number(p)
                    .filter(|s| *s > 0.0 && *s <= 1.0)
                    .ok_or_else(|| {
                        format!("{p:?} in {text:?} is not a share of intervals (e.g. 95%, more than 0 and at most 100%)")
                    })?;
                over = Over::Share(share);
                rest = tail;
            }
            // Last, and the rest of the line: a peak's name may have spaces.
            ("during", tail)
                if during.is_none()
                    && !tail.is_empty()
                    && !tail.iter().any(|w| ["every", "in", "during"].contains(w)) =>
            {
                during = Some(During {
                    text: tail.join(" "),
                    intervals: 0..0,
                });
                rest = &[];
            }
            _ => {
                return Err(format!(
                    "unexpected {:?} after the number in {text:?}: {usage}",
                    rest.join(" ")
                ));
            }
        }
    }
    Ok(Threshold {
        metric: metric.to_string(),
        op,
        limit,
        over,
        during,
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
    if op == Op::Equal {
        return Err(format!(
            "`{metric} ==` cannot be a target: a target bounds a metric with >=, >, <= or <"
        ));
    }
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

/// The figures of a live run (`kefusim live`) a threshold can judge, as
/// `router.NAME`, with what each is; judged only in live runs.
pub const LIVE_FIGURES: &[(&str, &str)] = &[
    (
        "latency_p50_ms",
        "decision latency from intended send time, median, ms",
    ),
    ("latency_p90_ms", "… 90th percentile, ms"),
    ("latency_p99_ms", "… 99th percentile, ms"),
    ("latency_p999_ms", "… 99.9th percentile, ms"),
    ("latency_max_ms", "… largest, ms"),
    (
        "service_p99_ms",
        "the service's own time (write to answer), 99th percentile, ms",
    ),
    (
        "sender_lag_p99_ms",
        "kefusim's own lag behind schedule, 99th percentile, ms",
    ),
    ("timeouts", "requests with no answer in time"),
    (
        "errors",
        "requests answered with an error, or whose connection failed",
    ),
    ("dropped", "events the harness could not send"),
    (
        "unanswered_at_end",
        "requests still unanswered when the run ended",
    ),
    ("refused", "commands refused by the shop's rules"),
    (
        "late_decisions",
        "refused commands a state that moved on made wrong",
    ),
    ("requests_per_s", "requests sent per wall-clock second"),
];

/// The prefix of live-run figures in thresholds.
pub const LIVE_PREFIX: &str = "router.";

/// Whether `metric` names a live-run figure (`router.…`); an error naming
/// the allowed ones if it starts like one but is not.
pub fn live_figure(metric: &str) -> Option<Result<(), String>> {
    let name = metric.strip_prefix(LIVE_PREFIX)?;
    Some(if LIVE_FIGURES.iter().any(|(n, _)| *n == name) {
        Ok(())
    } else {
        Err(format!(
            "`{metric}` is not a figure of a live run; these are: {}",
            LIVE_FIGURES
                .iter()
                .map(|(n, _)| format!("{LIVE_PREFIX}{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
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
            "x => 3",
        ] {
            assert!(parse_threshold(bad).is_err(), "{bad}");
        }
        let t = parse_threshold("router.timeouts == 0").unwrap();
        assert_eq!(
            (t.metric.as_str(), t.op, t.limit),
            ("router.timeouts", Op::Equal, 0.0)
        );
        assert!(Op::Equal.holds(0.0, 0.0) && !Op::Equal.holds(1.0, 0.0));
        assert_eq!(live_figure("router.latency_p99_ms"), Some(Ok(())));
        assert!(live_figure("router.latency").unwrap().is_err());
        assert_eq!(live_figure("golden_rate"), None);
        assert!(check_target("occupancy", Op::Equal, &[]).is_err());
    }

    #[test]
    fn scopes_parse() {
        let t = parse_threshold("golden_rate >= 80 % every 15m").unwrap();
        assert_eq!(
            (t.limit, &t.over, t.during.is_none()),
            (0.8, &Over::Each("15m".into()), true)
        );
        let t = parse_threshold("abandon_rate <= 5% in 95% of intervals during peak:双11 midnight")
            .unwrap();
        assert_eq!(t.over, Over::Share(0.95));
        assert_eq!(t.during.as_ref().unwrap().text, "peak:双11 midnight");
        assert_eq!(
            t.to_string(),
            "abandon_rate <= 0.05 in 95% of intervals during peak:双11 midnight"
        );
        assert_eq!(parse_threshold(&t.to_string()).unwrap(), t);
        let t = parse_threshold("x >= 1 during a/b").unwrap();
        assert!(t.on_series() && t.over == Over::Whole);
        for bad in [
            "x >= 1 every",
            "x >= 1 during",
            "x >= 1 in 0% of intervals",
            "x >= 1 in 95% of days",
            "x >= 1 during a/b every 15m",
            "x >= 1 every 15m every 15m",
            "x >= 1 every 15m in 95% of intervals",
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
