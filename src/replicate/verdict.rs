//! `[thresholds]` judged on a run's results: on the run's scalar metric
//! (its mean over replications), on the metric over a part of the window
//! (`during …`: per replication over that part, then the mean), or interval
//! by interval on the time series (`every 15m`, `in 95% of intervals`).

use super::Summary;
use crate::catalog::{Op, Over, Threshold};

/// How the intervals fared against a per-interval threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Intervals {
    /// Intervals judged (inside the threshold's `during`, with the metric
    /// defined: an interval without chats has no golden rate).
    pub judged: usize,
    /// Of those, the ones that met the threshold.
    pub met: usize,
    /// Intervals inside `during` where the metric is undefined.
    pub undefined: usize,
    /// Every interval that missed, in time order.
    pub missed: Vec<Missed>,
    /// The worst interval judged (the first of equals).
    pub worst: Option<Missed>,
}

/// One interval of a per-interval threshold (one that missed, or the worst).
#[derive(Debug, Clone, PartialEq)]
pub struct Missed {
    /// Local RFC 3339 start of the interval.
    pub start: String,
    /// The interval's estimate (pooled over replications).
    pub value: f64,
    /// Its 95% half-width over replications.
    pub ci95: Option<f64>,
}

/// How a run fared against one threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The threshold.
    pub threshold: Threshold,
    /// The value judged: the metric's mean over replications (over the
    /// `during` part if given); per interval, the worst interval's
    /// estimate. `NaN` if undefined.
    pub value: f64,
    /// Its 95% half-width, when there are replications to have one.
    pub ci95: Option<f64>,
    /// Whether the threshold is met (an undefined metric does not meet it).
    pub passed: bool,
    /// Per-interval thresholds: how the intervals fared.
    pub intervals: Option<Intervals>,
}

/// Intervals listed by name in a verdict's line at most.
const LISTED: usize = 6;

impl Verdict {
    /// By how much the value misses (positive) or clears (negative) the limit.
    pub fn shortfall(&self) -> f64 {
        match self.threshold.op {
            Op::AtLeast | Op::Above => self.threshold.limit - self.value,
            Op::AtMost | Op::Below => self.value - self.threshold.limit,
            Op::Equal => (self.value - self.threshold.limit).abs(),
        }
    }

    /// One line for people: `PASS abandon_rate < 0.03: 0.021 ± 0.002`, or
    /// for a per-interval threshold, how many intervals met it and which
    /// missed, with their values.
    pub fn line(&self) -> String {
        let verdict = if self.passed { "PASS" } else { "FAIL" };
        let value = |v: f64, h: Option<f64>| match h {
            _ if !v.is_finite() => "undefined".to_string(),
            Some(h) => format!("{v:.4} ± {h:.4}"),
            None => format!("{v:.4}"),
        };
        if let Some(iv) = &self.intervals {
            let mut line = format!(
                "{verdict} {}: {} of {} intervals met ({:.1}%)",
                self.threshold,
                iv.met,
                iv.judged,
                if iv.judged > 0 {
                    100.0 * iv.met as f64 / iv.judged as f64
                } else {
                    0.0
                }
            );
            if iv.undefined > 0 {
                line += &format!(", {} without chats not judged", iv.undefined);
            }
            if let (Some(w), true) = (&iv.worst, iv.missed.is_empty()) {
                line += &format!(
                    "; worst {} at {}",
                    value(w.value, w.ci95),
                    clock_of(&w.start)
                );
            }
            if !iv.missed.is_empty() {
                let listed: Vec<String> = iv
                    .missed
                    .iter()
                    .take(LISTED)
                    .map(|m| format!("{} {}", clock_of(&m.start), value(m.value, m.ci95)))
                    .collect();
                line += &format!(
                    "; missed at {}{}",
                    listed.join(", "),
                    if iv.missed.len() > LISTED {
                        format!(
                            " and {} more (timeseries.csv has them all)",
                            iv.missed.len() - LISTED
                        )
                    } else {
                        String::new()
                    }
                );
            }
            return line;
        }
        let how = if self.passed || !self.value.is_finite() {
            String::new()
        } else {
            format!(" (misses by {:.4})", self.shortfall())
        };
        let shown = if self.value.is_finite() {
            value(self.value, self.ci95)
        } else {
            "undefined (no chat to measure it)".to_string()
        };
        format!("{verdict} {}: {shown}{how}", self.threshold)
    }
}

/// `2026-11-25T20:15:00+08:00` → `11-25 20:15`.
fn clock_of(start: &str) -> String {
    match (start.get(5..10), start.get(11..16)) {
        (Some(day), Some(clock)) => format!("{day} {clock}"),
        _ => start.to_string(),
    }
}

/// Judges every threshold: scalar ones on the mean of their metric,
/// per-interval ones on the time series, window ones on `windows[k]` (the
/// mean and half-width over replications of threshold `k`'s metric over
/// its `during` part, computed while merging). A metric missing from
/// `summary` (the scenario was checked, so only from saved results of
/// another version) fails.
pub fn judge(
    thresholds: &[Threshold],
    summary: &Summary,
    windows: &[(f64, Option<f64>)],
) -> Vec<Verdict> {
    thresholds
        .iter()
        .enumerate()
        // Live-run figures are judged by the live run (`judge_live`).
        .filter(|(_, t)| crate::catalog::live_figure(&t.metric).is_none())
        .map(|(k, t)| {
            let (value, ci95, intervals) = match (&t.over, &t.during) {
                (Over::Whole, None) => {
                    let m = summary.metric(&t.metric);
                    (m.map_or(f64::NAN, |m| m.mean), m.and_then(|m| m.ci95), None)
                }
                (Over::Whole, Some(_)) => {
                    let (v, h) = windows.get(k).copied().unwrap_or((f64::NAN, None));
                    (v, h, None)
                }
                (Over::Each(_) | Over::Share(_), _) => per_interval(t, summary),
            };
            let passed = match (&t.over, &intervals) {
                (Over::Each(_), Some(iv)) => iv.judged > 0 && iv.missed.is_empty(),
                (Over::Share(p), Some(iv)) => {
                    iv.judged > 0 && iv.met as f64 >= p * iv.judged as f64 - 1e-9
                }
                _ => value.is_finite() && t.op.holds(value, t.limit),
            };
            Verdict {
                threshold: t.clone(),
                value,
                ci95,
                passed,
                intervals,
            }
        })
        .collect()
}

/// The thresholds on a live run's figures (`router.…`), judged on
/// `summary.live` (none without it).
pub fn judge_live(thresholds: &[Threshold], summary: &Summary) -> Vec<Verdict> {
    let Some(live) = &summary.live else {
        return Vec::new();
    };
    thresholds
        .iter()
        .filter_map(|t| {
            let name = t.metric.strip_prefix(crate::catalog::LIVE_PREFIX)?;
            let value = live.figure(name).unwrap_or(f64::NAN);
            Some(Verdict {
                threshold: t.clone(),
                value,
                ci95: None,
                passed: value.is_finite() && t.op.holds(value, t.limit),
                intervals: None,
            })
        })
        .collect()
}

/// The intervals of `summary`'s time series inside `t`'s `during`, judged
/// one by one; the value reported is the worst interval's.
fn per_interval(t: &Threshold, summary: &Summary) -> (f64, Option<f64>, Option<Intervals>) {
    let series = &summary.series;
    let col = series.columns.iter().position(|c| *c == t.metric);
    let ci = series
        .columns
        .iter()
        .position(|c| *c == format!("{}_ci95", t.metric));
    let mut iv = Intervals {
        judged: 0,
        met: 0,
        undefined: 0,
        missed: Vec::new(),
        worst: None,
    };
    let Some(col) = col else {
        return (f64::NAN, None, Some(iv));
    };
    for (i, row) in series.rows.iter().enumerate() {
        if t.during.as_ref().is_some_and(|d| !d.covers(i)) {
            continue;
        }
        let v = row[col];
        let h = ci.map(|c| row[c]).filter(|h| h.is_finite());
        if !v.is_finite() {
            iv.undefined += 1;
            continue;
        }
        iv.judged += 1;
        if t.op.holds(v, t.limit) {
            iv.met += 1;
        } else {
            iv.missed.push(Missed {
                start: series.interval_start[i].clone(),
                value: v,
                ci95: h,
            });
        }
        let worse = match &iv.worst {
            None => true,
            Some(w) => match t.op {
                Op::AtLeast | Op::Above => v < w.value,
                Op::AtMost | Op::Below => v > w.value,
                Op::Equal => (v - t.limit).abs() > (w.value - t.limit).abs(),
            },
        };
        if worse {
            iv.worst = Some(Missed {
                start: series.interval_start[i].clone(),
                value: v,
                ci95: h,
            });
        }
    }
    let (value, ci95) = iv
        .worst
        .as_ref()
        .map_or((f64::NAN, None), |w| (w.value, w.ci95));
    (value, ci95, Some(iv))
}
