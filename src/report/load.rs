//! Reading a run's saved results back (`kefusim report DIR`): summary.json,
//! timeseries.csv and agents.csv as `run --out` wrote them.

use std::path::Path;

use serde_json::Value;

use crate::engine::LoopStats;
use crate::metrics::AgentRow;
use crate::regress::Verdict;
use crate::replicate::{Mark, MetricSummary, Series, Summary};

/// Why saved results could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct LoadError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn read(dir: &Path, name: &str) -> Result<String, LoadError> {
    let path = dir.join(name);
    std::fs::read_to_string(&path).map_err(|e| LoadError {
        path: path.display().to_string(),
        message: format!(
            "cannot read it ({e}); is this a directory written by `kefusim run --out`?"
        ),
    })
}

/// A CSV of plain fields (quoted fields as `agents.csv` writes them).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut fields = Vec::new();
            let mut field = String::new();
            let mut quoted = false;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, quoted) {
                    ('"', true) if chars.peek() == Some(&'"') => {
                        field.push('"');
                        chars.next();
                    }
                    ('"', _) => quoted = !quoted,
                    (',', false) => fields.push(std::mem::take(&mut field)),
                    _ => field.push(c),
                }
            }
            fields.push(field);
            fields
        })
        .collect()
}

fn number(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

/// The metrics of saved results: `path` is a `summary.json` (as written by
/// `run --out` or `run --format json`) or a directory holding one. The
/// time series and agent table are left empty.
pub fn load_metrics(path: &Path) -> Result<Summary, LoadError> {
    let (dir, name) = if path.is_dir() {
        (path, "summary.json")
    } else {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        (path.parent().unwrap_or(Path::new(".")), name)
    };
    summary_from_json(&read(dir, name)?, &dir.join(name).display().to_string())
}

fn summary_from_json(text_of_file: &str, path: &str) -> Result<Summary, LoadError> {
    let bad = |message: String| LoadError {
        path: path.to_string(),
        message,
    };
    let json: Value =
        serde_json::from_str(text_of_file).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    if json["schema"] != 1 {
        return Err(bad(format!(
            "unknown schema {} (this kefusim reads 1)",
            json["schema"]
        )));
    }
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let metrics = json["metrics"]
        .as_object()
        .ok_or_else(|| bad("no `metrics` table".into()))?
        .iter()
        .map(|(name, m)| MetricSummary {
            name: name.clone(),
            mean: m["mean"].as_f64().unwrap_or(f64::NAN),
            ci95: m["ci95"].as_f64(),
            definition: text(&json["definitions"][name]),
        })
        .collect();
    let spectrum = &json["frt_spectrum"];
    let frt_spectrum = spectrum["quantiles"]
        .as_array()
        .map(|qs| {
            qs.iter()
                .enumerate()
                .map(|(i, q)| {
                    (
                        q.as_f64().unwrap_or(f64::NAN),
                        spectrum["seconds"][i].as_f64().unwrap_or(f64::NAN),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Summary {
        scenario: text(&json["scenario"]),
        seed: json["seed"].as_u64().unwrap_or(0),
        digest: text(&json["scenario_digest"]),
        replications: json["replications"].as_u64().unwrap_or(1) as u32,
        window_from: text(&json["window"]["from"]),
        window_to: text(&json["window"]["to"]),
        metrics,
        series: Series {
            columns: Vec::new(),
            interval_start: Vec::new(),
            rows: Vec::new(),
        },
        agents: Vec::new(),
        // Not saved: the report leaves it out when it is zero.
        work: LoopStats::default(),
        frt_spectrum,
        marks: json["marks"]
            .as_array()
            .map(|ms| {
                ms.iter()
                    .map(|m| Mark {
                        kind: text(&m["kind"]),
                        name: text(&m["name"]),
                        from: text(&m["from"]),
                        to: text(&m["to"]),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        thresholds: json["thresholds"]
            .as_array()
            .map(|ts| {
                ts.iter()
                    .filter_map(|t| {
                        Some(Verdict {
                            threshold: crate::regress::parse_threshold(t["require"].as_str()?)
                                .ok()?,
                            value: t["value"].as_f64().unwrap_or(f64::NAN),
                            ci95: t["ci95"].as_f64(),
                            passed: t["passed"].as_bool()?,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
        focus: Vec::new(),
    })
}

/// Reads the results `run --out DIR` wrote into `dir`.
pub fn load_summary(dir: &Path) -> Result<Summary, LoadError> {
    let bad = |name: &str, message: String| LoadError {
        path: dir.join(name).display().to_string(),
        message,
    };
    let mut summary = load_metrics(&dir.join("summary.json"))?;
    let ts = csv_rows(&read(dir, "timeseries.csv")?);
    let (header, rows) = ts
        .split_first()
        .ok_or_else(|| bad("timeseries.csv", "empty".into()))?;
    let series = Series {
        columns: header.iter().skip(1).cloned().collect(),
        interval_start: rows.iter().map(|r| r[0].clone()).collect(),
        rows: rows
            .iter()
            .map(|r| r.iter().skip(1).map(|v| number(v)).collect())
            .collect(),
    };

    let ag = csv_rows(&read(dir, "agents.csv")?);
    let (header, rows) = ag
        .split_first()
        .ok_or_else(|| bad("agents.csv", "empty".into()))?;
    let col = |row: &[String], name: &str| -> String {
        header
            .iter()
            .position(|h| h == name)
            .and_then(|i| row.get(i))
            .cloned()
            .unwrap_or_default()
    };
    let agents = rows
        .iter()
        .map(|r| {
            let mut row = AgentRow::default();
            for c in &crate::catalog::AGENT_COLUMNS {
                row.set(c.id, &col(r, c.name), number);
            }
            row
        })
        .collect();
    summary.series = series;
    summary.agents = agents;
    Ok(summary)
}
