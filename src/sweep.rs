//! What-if sweeps: a grid over scenario keys, each point run with the same
//! seed (common random numbers: every point sees the same buyers, so
//! differences between points are the setting's, not the dice's).
//!
//! A key addresses the scenario file's TOML: `routing.policy`,
//! `arrivals.rate_per_hour`, `agents.presale.count` (an `[[agents]]` or
//! `[[groups]]` entry by its `name`), `agents.*.max_concurrent` (every
//! entry), `agents.0.count` (by position). Values are a list (`3,5,8`,
//! `least_active,feige_even`) or an inclusive range with a step
//! (`10..40:5`, `0.5..1.0:0.1`).

use toml::{Table, Value};

use crate::catalog;
use crate::replicate::{self, Progress, RunError, Summary};
use crate::scenario::{Scenario, ScenarioError};

/// Most grid points accepted.
pub const MAX_POINTS: usize = 10_000;

/// One `--set KEY=VALUES`.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The key path, as written.
    pub key: String,
    /// Its values, in order.
    pub values: Vec<Value>,
}

/// The metrics a sweep reports unless told otherwise.
pub const DEFAULT_METRICS: [&str; 5] = [
    catalog::GOLDEN,
    catalog::ABANDON_RATE,
    catalog::FRT_P90_S,
    catalog::OCCUPANCY,
    catalog::JAIN_OCCUPANCY,
];

/// A scalar as a TOML value: integer, float, boolean, else a string.
fn scalar(text: &str) -> Value {
    let t = text.trim();
    if let Ok(i) = t.parse::<i64>() {
        Value::Integer(i)
    } else if let Ok(f) = t.parse::<f64>() {
        Value::Float(f)
    } else if let Ok(b) = t.parse::<bool>() {
        Value::Boolean(b)
    } else {
        Value::String(t.trim_matches('"').to_string())
    }
}

/// A list of values split at commas outside double quotes (`"a,b",c` is
/// two values; a quoted value is a string).
fn split_values(values: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in values.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&values[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quoted {
        return Err("a value's opening quote has no closing quote".to_string());
    }
    out.push(&values[start..]);
    Ok(out)
}

/// Parses `KEY=VALUES`.
pub fn parse_axis(text: &str) -> Result<Axis, String> {
    let usage = "--set takes KEY=VALUES: a list (agents.presale.count=10,20,30; routing.policy=least_active,feige_even; quote a value that has a comma: run.name=\"a,b\",c) or a range with a step (agents.presale.count=10..40:5)";
    let (key, values) = text
        .split_once('=')
        .ok_or_else(|| format!("no `=` in {text:?}: {usage}"))?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(format!("bad key {key:?} in {text:?}: {usage}"));
    }
    let values = values.trim();
    let parsed = if let Some((from, rest)) = values.split_once("..") {
        let (to, step) = rest.split_once(':').unwrap_or((rest, "1"));
        range(from, to, step).map_err(|e| format!("{e} in {text:?}: {usage}"))?
    } else {
        split_values(values)
            .map_err(|e| format!("{e} in {text:?}: {usage}"))?
            .into_iter()
            .map(scalar)
            .collect()
    };
    if parsed.is_empty() || values.is_empty() {
        return Err(format!("no values in {text:?}: {usage}"));
    }
    Ok(Axis {
        key: key.to_string(),
        values: parsed,
    })
}

fn range(from: &str, to: &str, step: &str) -> Result<Vec<Value>, String> {
    match (scalar(from), scalar(to), scalar(step)) {
        (Value::Integer(a), Value::Integer(b), Value::Integer(s)) if s > 0 && a <= b => {
            let n = (i128::from(b) - i128::from(a)) / i128::from(s) + 1;
            if n > MAX_POINTS as i128 {
                return Err(format!("{n} values is too many (at most {MAX_POINTS})"));
            }
            Ok((0..n as i64).map(|i| Value::Integer(a + i * s)).collect())
        }
        (a, b, s) => {
            let num = |v: &Value| v.as_float().or(v.as_integer().map(|i| i as f64));
            let (Some(a), Some(b), Some(s)) = (num(&a), num(&b), num(&s)) else {
                return Err("a range needs numbers".into());
            };
            if !(s > 0.0 && a <= b && a.is_finite() && b.is_finite()) {
                return Err("a range needs from ≤ to and a step > 0".into());
            }
            let count = ((b - a) / s + 1e-9).floor() + 1.0;
            // (`count` may be infinite or NaN for absurd ranges.)
            if count.is_nan() || count > MAX_POINTS as f64 {
                return Err(format!("{count} values is too many (at most {MAX_POINTS})"));
            }
            let n = count as usize;
            // Rounded to 12 significant digits so that 0.1 steps read as written.
            let round = |x: f64| format!("{x:.12}").parse::<f64>().unwrap_or(x);
            Ok((0..n)
                .map(|i| Value::Float(round(a + i as f64 * s)))
                .collect())
        }
    }
}

/// The value as written in a CSV cell or a label.
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Sets `key` to `value` in a scenario document.
fn set(doc: &mut Table, key: &str, value: &Value) -> Result<(), String> {
    let segments: Vec<&str> = key.split('.').collect();
    set_in(doc, &segments, 0, key, value)
}

/// Sets `segments[at..]` below `table`; `key` is the whole path, for messages.
fn set_in(
    table: &mut Table,
    segments: &[&str],
    at: usize,
    key: &str,
    value: &Value,
) -> Result<(), String> {
    let seg = segments[at];
    let here = || segments[..=at].join(".");
    if at + 1 == segments.len() {
        table.insert(seg.to_string(), value.clone());
        return Ok(());
    }
    let entry = table
        .entry(seg.to_string())
        .or_insert_with(|| Value::Table(Table::new()));
    match entry {
        Value::Table(t) => set_in(t, segments, at + 1, key, value),
        Value::Array(items) if !items.iter().all(Value::is_table) => Err(format!(
            "{key}: `{}` is a list of values; sweep the whole value (e.g. --set {}=…), not a part of it",
            here(),
            here()
        )),
        Value::Array(items) => {
            // An array of tables: the next segment picks entries.
            let pick = segments[at + 1];
            if at + 2 == segments.len() {
                return Err(format!(
                    "{key}: name a key inside the `{}` entries (e.g. {key}.count)",
                    here()
                ));
            }
            let names: Vec<String> = items
                .iter()
                .filter_map(|i| i.get("name").and_then(Value::as_str).map(String::from))
                .collect();
            let mut hit = false;
            for (i, item) in items.iter_mut().enumerate() {
                let chosen = pick == "*"
                    || pick.parse::<usize>() == Ok(i)
                    || item.get("name").and_then(Value::as_str) == Some(pick);
                if let (true, Value::Table(t)) = (chosen, item) {
                    hit = true;
                    set_in(t, segments, at + 2, key, value)?;
                }
            }
            if hit {
                Ok(())
            } else {
                Err(format!(
                    "{key}: no entry `{pick}` in `{}` (by name: {}; or an index from 0; or * for all)",
                    here(),
                    if names.is_empty() {
                        "—".to_string()
                    } else {
                        names.join(", ")
                    }
                ))
            }
        }
        _ => Err(format!(
            "{key}: `{}` is a value, not a table (a whole value can be swept, not a part of it)",
            here()
        )),
    }
}

/// The grid: every combination of the axes' values, the first axis
/// varying slowest. A key swept twice is refused.
pub fn grid(axes: &[Axis]) -> Result<Vec<Vec<Value>>, String> {
    for (i, a) in axes.iter().enumerate() {
        if axes[..i].iter().any(|b| b.key == a.key) {
            return Err(format!(
                "--set {} is given twice; list all its values in one --set",
                a.key
            ));
        }
    }
    let total = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
        .filter(|&n| n <= MAX_POINTS)
        .ok_or_else(|| format!("the grid has more than {MAX_POINTS} points"))?;
    let mut points = Vec::with_capacity(total);
    for mut k in 0..total {
        let mut point = vec![Value::Boolean(false); axes.len()];
        for (i, axis) in axes.iter().enumerate().rev() {
            point[i] = axis.values[k % axis.values.len()].clone();
            k /= axis.values.len();
        }
        points.push(point);
    }
    Ok(points)
}

/// Why a sweep could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A key could not be set.
    #[error("{0}")]
    Key(String),
    /// A grid point makes the scenario invalid.
    #[error("with {point}: {}", problems(source))]
    Invalid {
        /// The point, as `key=value, …`.
        point: String,
        /// What the scenario check said.
        source: ScenarioError,
    },
    /// A run failed.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// The problems of a point's scenario as `key: message` lines: positions
/// would point into the edited text, not the user's file.
fn problems(e: &ScenarioError) -> String {
    match e {
        ScenarioError::Invalid { diagnostics, more } => {
            let mut out: String = diagnostics
                .iter()
                .map(|d| match &d.key {
                    Some(k) => format!("\n  {k}: {}", d.message),
                    None => format!("\n  {}", d.message),
                })
                .collect();
            if *more > 0 {
                out.push_str(&format!("\n  … and {more} more"));
            }
            out
        }
        other => format!("\n  {other}"),
    }
}

/// One grid point's results.
#[derive(Debug, Clone)]
pub struct Point {
    /// The axes' values.
    pub values: Vec<Value>,
    /// The run's summary.
    pub summary: Summary,
}

/// The scenario of each grid point, validated: `text` is the scenario
/// file, `file` its name for messages, `stem` the default name.
pub fn scenarios(
    text: &str,
    file: &str,
    stem: &str,
    axes: &[Axis],
    points: &[Vec<Value>],
) -> Result<Vec<Scenario>, SweepError> {
    let doc: Table = text
        .parse()
        .map_err(|e: toml::de::Error| SweepError::Key(format!("{file}: {e}")))?;
    points
        .iter()
        .map(|values| {
            let mut d = doc.clone();
            for (axis, v) in axes.iter().zip(values) {
                set(&mut d, &axis.key, v).map_err(SweepError::Key)?;
            }
            let label = label(axes, values);
            let text = toml::to_string(&d).map_err(|e| SweepError::Key(e.to_string()))?;
            Scenario::from_toml(&text, &format!("{file} [{label}]"), stem).map_err(|source| {
                SweepError::Invalid {
                    point: label,
                    source,
                }
            })
        })
        .collect()
}

/// `key=value, …` of a point.
pub fn label(axes: &[Axis], values: &[Value]) -> String {
    axes.iter()
        .zip(values)
        .map(|(a, v)| format!("{}={}", a.key, show(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A sweep reports metrics and thresholds only: a point's summary without
/// its time series and agent table, so memory stays small on big grids.
pub fn slim(s: &mut Summary) {
    s.series.rows = Vec::new();
    s.series.interval_start = Vec::new();
    s.agents = Vec::new();
    s.focus = Vec::new();
}

/// Replications of each point, as the first work item of each and the
/// total: work item `k` is replication `k − starts[p]` of the last point
/// `p` with `starts[p] <= k`.
pub fn work_items(scenarios: &[Scenario]) -> (Vec<u64>, u64) {
    let mut starts = Vec::with_capacity(scenarios.len());
    let mut total = 0;
    for sc in scenarios {
        starts.push(total);
        total += u64::from(sc.run.replications);
    }
    (starts, total)
}

/// Runs every point: points in parallel, and each point's replications in
/// parallel too (rayon shares the threads); results come back in grid order
/// and each depends only on its own scenario, so the output is the same
/// with any number of threads. `each` is called as points finish (from the
/// worker threads, in completion order).
pub fn run(
    scenarios: &[Scenario],
    points: Vec<Vec<Value>>,
    threads: Option<usize>,
    each: impl Fn(usize, &Summary) + Sync,
) -> Result<Vec<Point>, SweepError> {
    use rayon::prelude::*;
    let work = || -> Vec<Result<Summary, RunError>> {
        scenarios
            .par_iter()
            .enumerate()
            .map(|(i, sc)| {
                let mut s = replicate::run_with_progress(sc, None, &Progress::default())?;
                each(i, &s);
                slim(&mut s);
                Ok(s)
            })
            .collect()
    };
    let results = replicate::in_pool(threads, work)?;
    points
        .into_iter()
        .zip(results)
        .map(|(values, s)| {
            Ok(Point {
                values,
                summary: s?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_parse_lists_and_ranges() {
        let a = parse_axis("agents.presale.count=10..40:5").unwrap();
        assert_eq!(a.key, "agents.presale.count");
        assert_eq!(
            a.values,
            (0..7)
                .map(|i| Value::Integer(10 + 5 * i))
                .collect::<Vec<_>>()
        );
        let a = parse_axis("routing.policy=least_active,feige_even").unwrap();
        assert_eq!(
            a.values,
            [
                Value::String("least_active".into()),
                Value::String("feige_even".into())
            ]
        );
        let a = parse_axis("arrivals.rate_per_hour=0.5..1.0:0.1").unwrap();
        assert_eq!(a.values.len(), 6);
        assert_eq!(a.values[3], Value::Float(0.8));
        // Issue 11, defect 8: a value with a comma is quoted.
        let a = parse_axis("run.name=\"a,b\",c,\"12\"").unwrap();
        assert_eq!(
            a.values,
            [
                Value::String("a,b".into()),
                Value::String("c".into()),
                Value::String("12".into())
            ]
        );
        for bad in ["x", "=1", "x=", "x=5..1", "x=1..a", "a..b=1", "x=\"a,b"] {
            assert!(parse_axis(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_reach_tables_and_named_entries() {
        let mut doc: Table = "[routing]\npolicy = \"x\"\n[[agents]]\nname = \"a\"\ncount = 1\n[[agents]]\nname = \"b\"\ncount = 2\n"
            .parse()
            .unwrap();
        set(&mut doc, "routing.policy", &Value::String("y".into())).unwrap();
        set(&mut doc, "agents.b.count", &Value::Integer(9)).unwrap();
        set(&mut doc, "agents.*.max_concurrent", &Value::Integer(3)).unwrap();
        set(&mut doc, "agents.0.weight", &Value::Float(2.0)).unwrap();
        let agents = doc["agents"].as_array().unwrap();
        assert_eq!(doc["routing"]["policy"].as_str(), Some("y"));
        assert_eq!(agents[1]["count"].as_integer(), Some(9));
        assert_eq!(agents[0]["count"].as_integer(), Some(1));
        assert!(
            agents
                .iter()
                .all(|a| a["max_concurrent"].as_integer() == Some(3))
        );
        assert_eq!(agents[0]["weight"].as_float(), Some(2.0));
        let e = set(&mut doc, "agents.c.count", &Value::Integer(1)).unwrap_err();
        assert!(e.contains("no entry `c`") && e.contains("a, b"), "{e}");
        assert!(set(&mut doc, "routing.policy.x", &Value::Integer(1)).is_err());
    }

    #[test]
    fn the_grid_varies_the_last_axis_fastest() {
        let axes = [parse_axis("a=1,2").unwrap(), parse_axis("b=x,y,z").unwrap()];
        let g = grid(&axes).unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(label(&axes, &g[1]), "a=1, b=y");
        assert_eq!(label(&axes, &g[3]), "a=2, b=x");
    }
}
