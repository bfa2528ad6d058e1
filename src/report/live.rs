//! A live run's service figures (`kefusim live`): the `live` object of
//! `summary.json`, `live.csv` (one row per interval), the terminal lines,
//! and reading them back for `kefusim report`.

use serde_json::{Value, json};

use crate::replicate::{LiveFigures, LiveInterval, Quantiles};

fn quantiles(q: &Quantiles) -> Value {
    json!({
        "p50": q.p50, "p90": q.p90, "p99": q.p99, "p999": q.p999,
        "max": q.max, "mean": q.mean,
    })
}

/// The `live` object of `summary.json`.
pub(crate) fn live_json(l: &LiveFigures) -> Value {
    let dropped: serde_json::Map<String, Value> = l
        .dropped_by_harness
        .iter()
        .map(|(k, n)| (k.clone(), json!(n)))
        .collect();
    json!({
        "speed": l.speed,
        "decisions": l.decisions,
        "wall_s": l.wall_s,
        "interrupted": l.interrupted,
        "events": l.events,
        "answered": l.answered,
        "timeouts": l.timeouts,
        "errors": l.errors,
        "dropped_by_harness": dropped,
        "unanswered_at_end": l.unanswered_at_end,
        "accounted": l.accounted(),
        "refused": l.refused,
        "late_decisions": l.late_decisions,
        "requests_per_s": l.requests_per_s,
        "latency_ms": quantiles(&l.latency_ms),
        "service_ms": quantiles(&l.service_ms),
        "sender_lag_ms": quantiles(&l.sender_lag_ms),
        "definitions": {
            "events": "events the simulated shop raised; each is one request to the service, or dropped by the harness",
            "accounted": "answered + timeouts + errors + dropped + unanswered at the end: equals events when nothing was lost",
            "latency_ms": "decision latency from each request's intended send time (when its event was due) to its answer (response or callback): coordinated-omission free",
            "service_ms": "from writing the request to its answer: the service alone, without queueing behind earlier requests of the session",
            "sender_lag_ms": "how late the harness itself handled events due at an instant (a slow harness, not a slow service)",
            "late_decisions": "refused commands made wrong by a state that moved on while the answer travelled (the chat left, the agent went offline, busy or full)",
            "dropped_by_harness": "events not sent: backlog_full (the session's --max-in-flight requests were waiting), service_down, stopped (the run ended first); their chats get the fallback",
        },
    })
}

fn cell(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| format!("{x:.3}"))
}

/// Columns of `live.csv`.
const LIVE_COLUMNS: &str = "interval_start,requests,answered,timeouts,errors,dropped,late_decisions,latency_p50_ms,latency_p99_ms,latency_max_ms,sender_lag_p99_ms";

/// `live.csv`: one row per interval of the measured window, by the time
/// the events were due.
pub(crate) fn live_csv(l: &LiveFigures, starts: &[String]) -> String {
    let mut out = String::from(LIVE_COLUMNS);
    out.push('\n');
    for (i, r) in l.intervals.iter().enumerate() {
        let start = starts.get(i).map_or("", String::as_str);
        out.push_str(&format!(
            "{start},{},{},{},{},{},{},{},{},{},{}\n",
            r.requests,
            r.answered,
            r.timeouts,
            r.errors,
            r.dropped,
            r.late,
            cell(r.latency_p50_ms),
            cell(r.latency_p99_ms),
            cell(r.latency_max_ms),
            cell(r.sender_lag_p99_ms),
        ));
    }
    out
}

fn ms(v: Option<f64>) -> String {
    v.map_or("–".to_string(), |x| {
        if x < 10.0 {
            format!("{x:.2} ms")
        } else {
            format!("{x:.0} ms")
        }
    })
}

/// The terminal's lines about the service.
pub(crate) fn live_lines(l: &LiveFigures) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(why) = &l.interrupted {
        lines.push(format!(
            "LIVE RUN {}: the results cover what was sent",
            why.to_uppercase()
        ));
    }
    lines.push(format!(
        "live: {:.0}× speed, decisions by {}, {:.1} s wall, {} events ({:.0} requests/s)",
        l.speed, l.decisions, l.wall_s, l.events, l.requests_per_s
    ));
    let q = &l.latency_ms;
    lines.push(format!(
        "decision latency from intended send time p50 / p90 / p99 / p99.9 / max: {} / {} / {} / {} / {}",
        ms(q.p50),
        ms(q.p90),
        ms(q.p99),
        ms(q.p999),
        ms(q.max)
    ));
    lines.push(format!(
        "service time p99 {}; sender lag p99 {}, max {}",
        ms(l.service_ms.p99),
        ms(l.sender_lag_ms.p99),
        ms(l.sender_lag_ms.max)
    ));
    let dropped: Vec<String> = l
        .dropped_by_harness
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    lines.push(format!(
        "events: {} answered, {} timed out, {} errored, {} dropped by the harness{}, {} unanswered at the end = {} of {}{}; {} commands refused ({} late decisions)",
        l.answered,
        l.timeouts,
        l.errors,
        l.dropped(),
        if dropped.is_empty() {
            String::new()
        } else {
            format!(" ({})", dropped.join(", "))
        },
        l.unanswered_at_end,
        l.accounted(),
        l.events,
        if l.accounted() == l.events {
            " (all accounted for)"
        } else {
            " (SOME EVENTS UNACCOUNTED FOR)"
        },
        l.refused,
        l.late_decisions
    ));
    let lag = l.sender_lag_ms.p99.unwrap_or(0.0);
    if lag > 0.5 * l.latency_ms.p99.unwrap_or(f64::INFINITY) && lag > 5.0 {
        lines.push(format!(
            "WARNING: the harness itself fell behind (sender lag p99 {}): part of the latency is kefusim's, not the service's; try a lower --speed",
            ms(Some(lag))
        ));
    }
    lines
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn read_quantiles(v: &Value) -> Quantiles {
    Quantiles {
        p50: num(&v["p50"]),
        p90: num(&v["p90"]),
        p99: num(&v["p99"]),
        p999: num(&v["p999"]),
        max: num(&v["max"]),
        mean: num(&v["mean"]),
    }
}

/// The rows of `live.csv` (a damaged row is left out).
pub(crate) fn read_live_csv(text: &str) -> Vec<LiveInterval> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != 11 {
                return None;
            }
            let n = |i: usize| f[i].parse::<u64>().ok();
            let x = |i: usize| f[i].parse::<f64>().ok();
            Some(LiveInterval {
                requests: n(1)?,
                answered: n(2)?,
                timeouts: n(3)?,
                errors: n(4)?,
                dropped: n(5)?,
                late: n(6)?,
                latency_p50_ms: x(7),
                latency_p99_ms: x(8),
                latency_max_ms: x(9),
                sender_lag_p99_ms: x(10),
            })
        })
        .collect()
}

/// The figures read back from `summary.json`'s `live` object (the
/// intervals are `live.csv`'s, [`read_live_csv`]).
pub(crate) fn read_live(v: &Value) -> LiveFigures {
    LiveFigures {
        speed: num(&v["speed"]).unwrap_or(1.0),
        decisions: v["decisions"].as_str().unwrap_or("response").to_string(),
        wall_s: num(&v["wall_s"]).unwrap_or(0.0),
        interrupted: v["interrupted"].as_str().map(str::to_string),
        events: count(&v["events"]),
        answered: count(&v["answered"]),
        timeouts: count(&v["timeouts"]),
        errors: count(&v["errors"]),
        dropped_by_harness: v["dropped_by_harness"]
            .as_object()
            .map(|m| m.iter().map(|(k, n)| (k.clone(), count(n))).collect())
            .unwrap_or_default(),
        unanswered_at_end: count(&v["unanswered_at_end"]),
        refused: count(&v["refused"]),
        late_decisions: count(&v["late_decisions"]),
        requests_per_s: num(&v["requests_per_s"]).unwrap_or(0.0),
        latency_ms: read_quantiles(&v["latency_ms"]),
        service_ms: read_quantiles(&v["service_ms"]),
        sender_lag_ms: read_quantiles(&v["sender_lag_ms"]),
        intervals: Vec::new(),
    }
}
