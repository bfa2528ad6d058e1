//! The readable terminal summary.

use crate::catalog;
use std::fmt::Write;

use super::HEADLINE;
use crate::replicate::{MetricSummary, Summary};

pub(super) fn number(x: f64) -> String {
    if !x.is_finite() {
        return "—".to_string();
    }
    let a = x.abs();
    if a == 0.0 || (x.fract() == 0.0 && a < 1e9) {
        format!("{x:.0}")
    } else if a >= 1000.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.3}")
    } else {
        format!("{x:.4}")
    }
}

/// `mean ± h` of a metric, each number shown by `show`; `—` when undefined.
fn with_ci(m: Option<&MetricSummary>, show: impl Fn(f64) -> String, unit: &str) -> String {
    match m {
        Some(m) if m.mean.is_finite() => match m.ci95 {
            Some(h) => format!("{}{unit} ± {}", show(m.mean), show(h)),
            None => format!("{}{unit}", show(m.mean)),
        },
        _ => "—".to_string(),
    }
}

fn percent(m: Option<&MetricSummary>) -> String {
    with_ci(m, |x| format!("{:.1}", x * 100.0), "%")
}

fn seconds(m: Option<&MetricSummary>) -> String {
    m.filter(|m| m.mean.is_finite())
        .map_or("—".to_string(), |m| format!("{:.1} s", m.mean))
}

/// The headline figures as `(label, value with its interval)`.
pub(super) fn headline(s: &Summary) -> Vec<(&'static str, String)> {
    let m = |name: &str| s.metric(name);
    let jain = with_ci(m(catalog::JAIN_OCCUPANCY), number, "");
    let frt = format!(
        "{} / {} / {}",
        seconds(m(catalog::FRT_P50_S)),
        seconds(m(catalog::FRT_P90_S)),
        seconds(m(catalog::FRT_P99_S))
    );
    let offered = m(catalog::OFFERED).map_or("—".to_string(), |o| number(o.mean));
    vec![
        (
            "golden 2-minute rate (first reply ≤ 120 s ÷ offered)",
            percent(m(HEADLINE)),
        ),
        (
            "abandonment (abandoned ÷ offered)",
            percent(m(catalog::ABANDON_RATE)),
        ),
        ("first response p50 / p90 / p99 (answered chats)", frt),
        (
            "occupancy (open chats ÷ caps, on shift)",
            percent(m(catalog::OCCUPANCY)),
        ),
        ("load balance (Jain's index of agent occupancy)", jain),
        ("offered chats per replication", offered),
    ]
}

/// The summary printed by `kefusim run`: headline figures, then every metric.
pub fn terminal_summary(s: &Summary) -> String {
    let mut out = String::new();
    let reps = if s.replications == 1 {
        "1 replication".to_string()
    } else {
        format!("{} replications", s.replications)
    };
    let _ = writeln!(out, "kefusim · {} · seed {} · {reps}", s.scenario, s.seed);
    let _ = writeln!(out, "measured window {} → {}\n", s.window_from, s.window_to);
    if s.work.diverged > 0 {
        let _ = writeln!(
            out,
            "  DIVERGING: {} of {reps} stopped before their end, so these numbers are those up to that point: {}\n",
            s.work.diverged,
            s.work
                .divergence
                .map_or_else(String::new, |d| d.to_string())
        );
    }
    if let Some(text) = super::router_sentence(s) {
        let _ = writeln!(out, "  ROUTER: {text}\n");
    }
    if let Some(l) = &s.live {
        for line in super::live::live_lines(l) {
            let _ = writeln!(out, "  {line}");
        }
        out.push('\n');
    }
    let lines = headline(s);
    for (label, value) in lines {
        let _ = writeln!(out, "  {label:<54} {value}");
    }
    let _ = writeln!(out, "\n  {:<58} {:>12} {:>12}", "metric", "mean", "±95%");
    for metric in &s.metrics {
        let ci = metric.ci95.map_or("—".to_string(), number);
        let _ = writeln!(
            out,
            "  {:<58} {:>12} {:>12}",
            metric.name,
            number(metric.mean),
            ci
        );
    }
    if s.replications < 2 {
        let _ = writeln!(
            out,
            "\n  (one replication: no confidence intervals; set run.replications or --replications)"
        );
    }
    if !s.thresholds.is_empty() {
        let failed = s.thresholds.iter().filter(|v| !v.passed).count();
        let _ = writeln!(
            out,
            "\n  thresholds ([thresholds] require, judged on the mean over replications; per interval on each interval's estimate): {} of {} met",
            s.thresholds.len() - failed,
            s.thresholds.len()
        );
        for v in &s.thresholds {
            let _ = writeln!(out, "  {}", v.line());
        }
    }
    out
}
