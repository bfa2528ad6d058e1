//! A comparison for people (a table) and for programs (JSON).

use super::{Comparison, Row, Status, Test};

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
            "\n  {:<52} {:>20} {:>20} {:>22} {:>9} {:>8}  direction",
            "metric", "baseline", "current", "Δ (95%)", "p (Holm)", "verdict"
        );
        for r in &listed {
            let delta = r
                .delta
                .map_or("—".to_string(), |(d, h)| format!("{d:+.4} ± {h:.4}"));
            let p = match (r.judged, r.p_holm) {
                (true, Some(p)) => format!("{p:.3}"),
                (true, None) => "—".to_string(),
                (false, _) => "not judged".to_string(),
            };
            let _ = writeln!(
                out,
                "  {:<52} {:>20} {:>20} {:>22} {:>9} {:>8}  {}",
                r.metric,
                show(r.baseline),
                show(r.current),
                delta,
                p,
                r.status.word(),
                r.better.word()
            );
        }
    }
    let count = |s: Status| c.rows.iter().filter(|r| r.status == s).count();
    let failures = c.failures().len();
    let _ = writeln!(
        out,
        "\n{} metrics ({} judged): {} same, {} changed, {} better, {} worse, {} missing, {} new → {}",
        c.rows.len(),
        c.judged(),
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
                "delta": r.delta.map(|(d, h)| serde_json::json!({ "mean": num(d), "ci95": num(h) })),
                "test": r.test.map(Test::word),
                "direction": r.better.word(),
                "judged": r.judged,
                "tolerance": num(r.allowed),
                "p_holm": r.p_holm.map(num),
                "verdict": r.status.word().to_lowercase(),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "mode": if c.paired { "paired" } else { "unpaired" },
        "deterministic": c.deterministic,
        "strict": c.strict,
        "alpha": c.gate.alpha,
        "judged": c.judged(),
        "notes": c.notes,
        "failures": c.failures().iter().map(|r| r.metric.clone()).collect::<Vec<_>>(),
        "metrics": rows,
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("plain JSON values");
    text.push('\n');
    text
}
