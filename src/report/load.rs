//! Reading a run's saved results back (`kefusim report DIR`): summary.json,
//! timeseries.csv and agents.csv as `run --out` wrote them.

use std::path::Path;

use serde_json::Value;

use crate::catalog::AgentColumn;
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

/// A cell of a saved CSV as a number: empty is undefined (`NaN`, as
/// written), anything else must parse.
fn number(text: &str) -> Result<f64, String> {
    if text.is_empty() {
        return Ok(f64::NAN);
    }
    text.parse::<f64>()
        .ok()
        .filter(|v| !v.is_nan())
        .ok_or_else(|| format!("`{text}` is not a number"))
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

/// A per-interval verdict's intervals as saved (absent: a scalar threshold).
fn intervals(v: &Value) -> Result<Option<crate::replicate::Intervals>, String> {
    use crate::replicate::{Intervals, Missed};
    if v.is_null() {
        return Ok(None);
    }
    let count = |key: &str| {
        v[key]
            .as_u64()
            .map(|n| n as usize)
            .ok_or(format!("`{key}` must be a whole number"))
    };
    let one = |m: &Value| -> Result<Missed, String> {
        let start = m["start"].as_str().ok_or("`start` must be a string")?;
        crate::time::parse_instant(start).map_err(|e| format!("`start`: {e}"))?;
        Ok(Missed {
            start: start.to_string(),
            value: m["value"].as_f64().ok_or("`value` must be a number")?,
            ci95: match &m["ci95"] {
                Value::Null => None,
                h => Some(h.as_f64().ok_or("`ci95` must be a number or null")?),
            },
        })
    };
    let missed = v["missed"]
        .as_array()
        .ok_or("`missed` must be a list")?
        .iter()
        .map(|m| one(m).map_err(|e| format!("missed[]: {e}")))
        .collect::<Result<Vec<_>, String>>()?;
    let worst = match &v["worst"] {
        Value::Null => None,
        w => Some(one(w).map_err(|e| format!("worst: {e}"))?),
    };
    let iv = Intervals {
        judged: count("judged")?,
        met: count("met")?,
        undefined: count("undefined")?,
        missed,
        worst,
    };
    if iv.met > iv.judged || iv.met + iv.missed.len() != iv.judged {
        return Err(format!(
            "{} met and {} missed do not add up to {} judged",
            iv.met,
            iv.missed.len(),
            iv.judged
        ));
    }
    Ok(Some(iv))
}

/// `compare` as saved (absent: the default gate).
fn gate(v: &Value) -> Result<crate::catalog::GateSpec, String> {
    use crate::catalog::{GateSpec, Tolerance, check_alpha};
    if v.is_null() {
        return Ok(GateSpec::default());
    }
    let metrics = match &v["metrics"] {
        Value::Null => None,
        Value::Array(names) => Some(
            names
                .iter()
                .map(|n| n.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or("`metrics` must be a list of names")?,
        ),
        _ => return Err("`metrics` must be a list of names or null".into()),
    };
    let amount = |t: &Value, key: &str| {
        t[key]
            .as_f64()
            .filter(|a| a.is_finite() && *a >= 0.0)
            .ok_or(format!("a tolerance's `{key}` must be a number ≥ 0"))
    };
    let tolerances = match &v["tolerances"] {
        Value::Null => Vec::new(),
        Value::Object(map) => map
            .iter()
            .map(|(m, t)| {
                Ok((
                    m.clone(),
                    Tolerance {
                        absolute: amount(t, "absolute")?,
                        relative: amount(t, "relative")?,
                    },
                ))
            })
            .collect::<Result<Vec<_>, String>>()?,
        _ => return Err("`tolerances` must be a table".into()),
    };
    let alpha = check_alpha(v["alpha"].as_f64().ok_or("`alpha` must be a number")?)?;
    Ok(GateSpec {
        metrics,
        tolerances,
        alpha,
    })
}

/// The parts of `summary.json` every reader needs, checked.
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
    let string = |key: &str, v: &Value| -> Result<String, LoadError> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| bad(format!("`{key}` must be a string")))
    };
    // A number, or null where undefined.
    let maybe = |key: &str, v: &Value| -> Result<Option<f64>, LoadError> {
        match v {
            Value::Null => Ok(None),
            v => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| bad(format!("`{key}` must be a number or null"))),
        }
    };
    let replications = json["replications"]
        .as_u64()
        .filter(|&r| (1..=u64::from(u32::MAX)).contains(&r))
        .ok_or_else(|| bad("`replications` must be a whole number ≥ 1".into()))?;
    // Absent in results saved before kefusim kept them: then empty (and
    // comparisons with them are unpaired).
    let per_replication = |name: &str, v: &Value| -> Result<Vec<f64>, LoadError> {
        let key = format!("metrics.{name}.per_replication");
        match v {
            Value::Null => Ok(Vec::new()),
            Value::Array(xs) if xs.len() as u64 == replications => xs
                .iter()
                .map(|x| Ok(maybe(&format!("{key}[]"), x)?.unwrap_or(f64::NAN)))
                .collect(),
            Value::Array(xs) => Err(bad(format!(
                "`{key}` has {} values for {replications} replications",
                xs.len()
            ))),
            _ => Err(bad(format!("`{key}` must be a list"))),
        }
    };
    let metrics = json["metrics"]
        .as_object()
        .ok_or_else(|| bad("no `metrics` table".into()))?
        .iter()
        .map(|(name, m)| {
            Ok(MetricSummary {
                name: name.clone(),
                mean: maybe(&format!("metrics.{name}.mean"), &m["mean"])?.unwrap_or(f64::NAN),
                ci95: maybe(&format!("metrics.{name}.ci95"), &m["ci95"])?,
                definition: json["definitions"][name]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                values: per_replication(name, &m["per_replication"])?,
            })
        })
        .collect::<Result<Vec<_>, LoadError>>()?;
    let spectrum = &json["frt_spectrum"];
    let (quantiles, seconds) = (
        spectrum["quantiles"].as_array(),
        spectrum["seconds"].as_array(),
    );
    let frt_spectrum = match (quantiles, seconds) {
        (Some(q), Some(s)) if q.len() == s.len() => q
            .iter()
            .zip(s)
            .map(|(q, s)| {
                let q = q
                    .as_f64()
                    .ok_or_else(|| bad("`frt_spectrum.quantiles` must be numbers".into()))?;
                Ok((q, maybe("frt_spectrum.seconds", s)?.unwrap_or(f64::NAN)))
            })
            .collect::<Result<Vec<_>, LoadError>>()?,
        (None, None) => Vec::new(),
        _ => {
            return Err(bad(
                "`frt_spectrum` needs `quantiles` and `seconds` of the same length".into(),
            ));
        }
    };
    let marks = match &json["marks"] {
        Value::Null => Vec::new(),
        Value::Array(ms) => ms
            .iter()
            .map(|m| {
                Ok(Mark {
                    kind: string("marks[].kind", &m["kind"])?,
                    name: string("marks[].name", &m["name"])?,
                    from: string("marks[].from", &m["from"])?,
                    to: string("marks[].to", &m["to"])?,
                })
            })
            .collect::<Result<Vec<_>, LoadError>>()?,
        _ => return Err(bad("`marks` must be a list".into())),
    };
    let thresholds = match &json["thresholds"] {
        Value::Null => Vec::new(),
        Value::Array(ts) => ts
            .iter()
            .map(|t| {
                let require = string("thresholds[].require", &t["require"])?;
                Ok(Verdict {
                    threshold: crate::regress::parse_threshold(&require)
                        .map_err(|e| bad(format!("thresholds: {e}")))?,
                    value: maybe("thresholds[].value", &t["value"])?.unwrap_or(f64::NAN),
                    ci95: maybe("thresholds[].ci95", &t["ci95"])?,
                    passed: t["passed"]
                        .as_bool()
                        .ok_or_else(|| bad("`thresholds[].passed` must be true or false".into()))?,
                    intervals: intervals(&t["intervals"])
                        .map_err(|e| bad(format!("`thresholds[].intervals`: {e}")))?,
                })
            })
            .collect::<Result<Vec<_>, LoadError>>()?,
        _ => return Err(bad("`thresholds` must be a list".into())),
    };
    let instant = |key: &str, v: &Value| -> Result<String, LoadError> {
        let t = string(key, v)?;
        crate::time::parse_instant(&t).map_err(|e| bad(format!("`{key}`: {e}")))?;
        Ok(t)
    };
    // Saved only when replications were stopped as diverging (the reason's
    // text is not kept in memory: the count is what the report needs).
    let diverged = match &json["diverging"] {
        Value::Null => 0,
        d => d["replications"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| bad("`diverging.replications` must be a whole number".into()))?,
    };
    let gate = gate(&json["compare"]).map_err(|e| bad(format!("`compare`: {e}")))?;
    // Saved only when a routing service broke a rule or failed requests.
    let mut router = LoopStats::default();
    let mut router_examples = Vec::new();
    let mut router_down = None;
    if !json["router"].is_null() {
        let r = &json["router"];
        let count = |v: &Value, key: &str| {
            v.as_u64()
                .ok_or_else(|| bad(format!("`router.{key}` must be a whole number")))
        };
        router.router_timeouts = count(&r["timeouts"], "timeouts")?;
        router.router_errors = count(&r["errors"], "errors")?;
        for (i, rule) in crate::engine::Rule::ALL.iter().enumerate() {
            let v = &r["violations"][rule.name()];
            if !v.is_null() {
                router.violations.by_rule[i] = count(v, &format!("violations.{}", rule.name()))?;
            }
        }
        if let (Some(text), Some(n)) = (
            r["service_down"]["first"].as_str(),
            r["service_down"]["replications"].as_u64(),
        ) {
            router_down = Some((text.to_string(), n as u32));
        }
        router_examples = r["examples"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
    }
    let live = (!json["live"].is_null()).then(|| super::live::read_live(&json["live"]));
    Ok(Summary {
        router_examples,
        router_down,
        live,
        scenario: string("scenario", &json["scenario"])?,
        seed: json["seed"]
            .as_u64()
            .ok_or_else(|| bad("`seed` must be a whole number".into()))?,
        digest: string("scenario_digest", &json["scenario_digest"])?,
        replications: replications as u32,
        gate,
        window_from: instant("window.from", &json["window"]["from"])?,
        window_to: instant("window.to", &json["window"]["to"])?,
        metrics,
        series: Series {
            columns: Vec::new(),
            interval_start: Vec::new(),
            rows: Vec::new(),
        },
        agents: Vec::new(),
        // Events are not saved: the report leaves them out when zero.
        work: LoopStats { diverged, ..router },
        frt_spectrum,
        marks,
        thresholds,
        focus: Vec::new(),
    })
}

/// Reads the results `run --out` wrote into `dir`, checking every file:
/// fields present with the right types, every CSV row as long as its
/// header, every cell a number where a number belongs.
pub fn load_summary(dir: &Path) -> Result<Summary, LoadError> {
    let mut summary = load_metrics(&dir.join("summary.json"))?;
    let file = |name: &str| dir.join(name).display().to_string();
    summary.series = series(&read(dir, "timeseries.csv")?, &file("timeseries.csv"))?;
    covers_the_window(&summary, &file("timeseries.csv"))?;
    summary.agents = agents(&read(dir, "agents.csv")?, &file("agents.csv"))?;
    if let Some(live) = &mut summary.live
        && let Ok(csv) = std::fs::read_to_string(dir.join("live.csv"))
    {
        live.intervals = super::live::read_live_csv(&csv);
    }
    Ok(summary)
}

/// The time series starts at the window's start, steps by one interval
/// length, and has exactly the intervals the window holds (the last may be
/// partial): a truncated or spliced file does not.
fn covers_the_window(s: &Summary, path: &str) -> Result<(), LoadError> {
    let bad = |message: String| LoadError {
        path: path.to_string(),
        message,
    };
    let at = |t: &str| crate::time::parse_instant(t).map(|i| i.unix_ms);
    let window = at(&s.window_from)
        .and_then(|from| Ok((from, at(&s.window_to)?)))
        .map_err(|e| bad(format!("summary.json window: {e}")))?;
    let starts = s
        .series
        .interval_start
        .iter()
        .map(|t| at(t))
        .collect::<Result<Vec<i64>, String>>()
        .map_err(|e| bad(format!("interval_start: {e}")))?;
    let step = match starts.as_slice() {
        [first, second, ..] => second - first,
        _ => window.1 - window.0,
    };
    let expected = if step > 0 {
        (window.1 - window.0 + step - 1) / step
    } else {
        -1
    };
    let consistent = starts.first() == Some(&window.0)
        && step > 0
        && starts.windows(2).all(|w| w[1] - w[0] == step)
        && starts.len() as i64 == expected;
    if consistent {
        Ok(())
    } else {
        Err(bad(format!(
            "the intervals do not cover the window {} – {} in steps of one interval ({} rows): the file is truncated or edited",
            s.window_from,
            s.window_to,
            starts.len()
        )))
    }
}

/// A CSV's header and its rows with their 1-based line numbers.
type Table<'a> = (&'a [String], Vec<(usize, &'a [String])>);

/// The rows of a CSV after checking each is as long as the header.
fn table<'a>(rows: &'a [Vec<String>], path: &str) -> Result<Table<'a>, LoadError> {
    let bad = |message: String| LoadError {
        path: path.to_string(),
        message,
    };
    let (header, body) = rows.split_first().ok_or_else(|| bad("empty".into()))?;
    let body = body
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if r.len() == header.len() {
                Ok((i + 2, r.as_slice()))
            } else {
                Err(bad(format!(
                    "line {}: {} fields, the header has {}",
                    i + 2,
                    r.len(),
                    header.len()
                )))
            }
        })
        .collect::<Result<Vec<_>, LoadError>>()?;
    Ok((header.as_slice(), body))
}

/// `timeseries.csv`: `interval_start`, the catalogue's columns, then each
/// column's `_ci95`.
fn series(text: &str, path: &str) -> Result<Series, LoadError> {
    let bad = |message: String| LoadError {
        path: path.to_string(),
        message,
    };
    let rows = csv_rows(text);
    let (header, body) = table(&rows, path)?;
    if header.first().map(String::as_str) != Some("interval_start") || header.len() % 2 == 0 {
        return Err(bad(
            "line 1: expected `interval_start` and the time-series columns, each with a `_ci95` twin"
                .into(),
        ));
    }
    let columns = &header[1..];
    let (plain, twins) = columns.split_at(columns.len() / 2);
    for (p, t) in plain.iter().zip(twins) {
        if *t != format!("{p}_ci95") {
            return Err(bad(format!("line 1: column `{t}` should be `{p}_ci95`")));
        }
    }
    // The thresholds the file was written for, from its answered-within columns.
    let thresholds: Vec<u32> = plain
        .iter()
        .filter_map(|c| {
            c.strip_prefix("answered_within_")?
                .strip_suffix("s_over_offered")?
                .parse()
                .ok()
        })
        .collect();
    let expected: Vec<String> = crate::catalog::series_columns(&thresholds)
        .into_iter()
        .map(|c| c.name)
        .collect();
    if plain != expected.as_slice() {
        return Err(bad(format!(
            "line 1: the columns are not those `kefusim run` writes (expected {})",
            expected.join(",")
        )));
    }
    let mut interval_start = Vec::with_capacity(body.len());
    let mut values = Vec::with_capacity(body.len());
    for (line, r) in body {
        crate::time::parse_instant(&r[0])
            .map_err(|e| bad(format!("line {line}: interval_start: {e}")))?;
        interval_start.push(r[0].clone());
        values.push(
            r[1..]
                .iter()
                .zip(columns)
                .map(|(v, c)| number(v).map_err(|e| bad(format!("line {line}, `{c}`: {e}"))))
                .collect::<Result<Vec<f64>, LoadError>>()?,
        );
    }
    if values.is_empty() {
        return Err(bad("no interval".into()));
    }
    Ok(Series {
        columns: columns.to_vec(),
        interval_start,
        rows: values,
    })
}

/// `agents.csv`: the catalogue's agent columns, in order.
fn agents(text: &str, path: &str) -> Result<Vec<AgentRow>, LoadError> {
    let bad = |message: String| LoadError {
        path: path.to_string(),
        message,
    };
    let rows = csv_rows(text);
    let (header, body) = table(&rows, path)?;
    // `shift` came later: results written before it are read without it.
    let expected: Vec<_> = crate::catalog::AGENT_COLUMNS
        .iter()
        .filter(|c| c.id != AgentColumn::Shift || header.iter().any(|h| h == c.name))
        .collect();
    if header.len() != expected.len() || header.iter().zip(&expected).any(|(h, c)| h != c.name) {
        return Err(bad(format!(
            "line 1: the columns are not those `kefusim run` writes (expected {})",
            crate::catalog::AGENT_COLUMNS
                .iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(",")
        )));
    }
    body.into_iter()
        .map(|(line, r)| {
            let mut row = AgentRow::default();
            for (c, v) in expected.iter().zip(r) {
                row.set(c.id, v)
                    .map_err(|e| bad(format!("line {line}, `{}`: {e}", c.name)))?;
            }
            Ok(row)
        })
        .collect()
}
