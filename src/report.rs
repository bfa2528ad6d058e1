//! Results out: `summary.json`, `timeseries.csv`, `agents.csv` and the
//! terminal summary. The only module that writes files.
//!
//! Invariant: a run's files are written completely or not at all: each is
//! staged under a temporary name in the target directory and renamed into
//! place only after all of them were written and flushed.

mod agent_chart;
mod axes;
mod files;
mod fonts;
mod html;
mod live;
mod load;
mod plan;
mod plots;
mod sweep;
mod table;
mod trace;

pub use trace::TraceFormat;

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::metrics::Cell;
use crate::replicate::{MetricSummary, Summary};

pub use files::{
    OUTPUT_NAMES, Replace, StagedFile, WriteError, Written, write_atomically, write_file_atomically,
};
pub use load::{LoadError, load_metrics, load_summary};
pub use plan::{PlanReport, plan_files, plan_text};
pub use sweep::{SweepResults, sweep_csv, sweep_files};
pub use table::terminal_summary;

/// Version of the `summary.json` layout; bumped only on incompatible changes.
pub const SUMMARY_SCHEMA: u32 = 1;

/// The metric reported as the headline.
pub const HEADLINE: &str = crate::catalog::GOLDEN;

#[derive(Serialize)]
struct SummaryJson<'a> {
    schema: u32,
    tool: String,
    scenario: &'a str,
    seed: u64,
    scenario_digest: &'a str,
    replications: u32,
    window: Window<'a>,
    headline: &'static str,
    metrics: Metrics<'a>,
    definitions: Definitions<'a>,
    frt_spectrum: FrtSpectrum,
    marks: Vec<MarkJson<'a>>,
    thresholds: Vec<VerdictJson>,
    /// The scenario's `[compare]`, when it has one: how comparisons of
    /// these results with a baseline are judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    compare: Option<GateJson>,
    /// Only when replications were stopped as diverging: the results are
    /// those up to that point.
    #[serde(skip_serializing_if = "Option::is_none")]
    diverging: Option<DivergingJson>,
    /// Only when a routing service broke a rule, timed out or failed a request.
    #[serde(skip_serializing_if = "Option::is_none")]
    router: Option<RouterJson>,
    /// Only for a live run (`kefusim live`): the service's figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    live: Option<serde_json::Value>,
}

/// What a routing service did wrong, summed over replications.
#[derive(Serialize)]
struct RouterJson {
    /// Requests with no answer within `[routing] timeout` (the fallback handled their event).
    timeouts: u64,
    /// Requests answered with an error status or not in the protocol (the fallback handled their event).
    errors: u64,
    /// Commands refused, by the rule they broke (only rules broken at least once).
    violations: std::collections::BTreeMap<&'static str, u64>,
    /// The first refused commands, described.
    examples: Vec<String>,
    /// Only when the service went down and the run finished on the fallback.
    #[serde(skip_serializing_if = "Option::is_none")]
    service_down: Option<DownJson>,
    note: &'static str,
}

/// The service went down; replications finished on the fallback.
#[derive(Serialize)]
struct DownJson {
    /// Replications that finished on the fallback.
    replications: u32,
    /// When and why, in the first of them.
    first: String,
}

/// Replications stopped as diverging.
#[derive(Serialize)]
struct DivergingJson {
    replications: u32,
    reason: String,
    note: &'static str,
}

/// `[compare]` as saved.
#[derive(Serialize)]
struct GateJson {
    /// `null`: every metric with a better direction.
    metrics: Option<Vec<String>>,
    tolerances: std::collections::BTreeMap<String, ToleranceJson>,
    alpha: f64,
}

#[derive(Serialize)]
struct ToleranceJson {
    absolute: f64,
    relative: f64,
}

/// A `[thresholds]` line and how the run fared.
#[derive(Serialize)]
struct VerdictJson {
    require: String,
    metric: String,
    op: &'static str,
    limit: f64,
    value: Option<f64>,
    ci95: Option<f64>,
    passed: bool,
    /// Per-interval thresholds: how the intervals fared (`value` is then
    /// the worst interval's).
    #[serde(skip_serializing_if = "Option::is_none")]
    intervals: Option<IntervalsJson>,
}

#[derive(Serialize)]
struct IntervalsJson {
    judged: usize,
    met: usize,
    undefined: usize,
    missed: Vec<MissedJson>,
    worst: Option<MissedJson>,
}

#[derive(Serialize)]
struct MissedJson {
    start: String,
    value: f64,
    ci95: Option<f64>,
}

impl MissedJson {
    fn of(m: &crate::replicate::Missed) -> Self {
        MissedJson {
            start: m.start.clone(),
            value: m.value,
            ci95: m.ci95,
        }
    }
}

/// A peak or holiday in the window, as the plots mark it.
#[derive(Serialize)]
struct MarkJson<'a> {
    kind: &'a str,
    name: &'a str,
    from: &'a str,
    to: &'a str,
}

/// The FRT percentile spectrum: quantiles and seconds (`null` where undefined).
#[derive(Serialize)]
struct FrtSpectrum {
    definition: &'static str,
    quantiles: Vec<f64>,
    seconds: Vec<Option<f64>>,
}

#[derive(Serialize)]
struct Window<'a> {
    from: &'a str,
    to: &'a str,
    note: &'static str,
}

struct Metrics<'a>(&'a [MetricSummary]);
struct Definitions<'a>(&'a [MetricSummary]);

#[derive(Serialize)]
struct Entry<'a> {
    mean: f64,
    ci95: Option<f64>,
    /// Each replication's value, in replication order (`null` where
    /// undefined): what a paired comparison needs.
    per_replication: &'a [f64],
}

impl Serialize for Metrics<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for m in self.0 {
            map.serialize_entry(
                &m.name,
                &Entry {
                    mean: m.mean,
                    ci95: m.ci95,
                    per_replication: &m.values,
                },
            )?;
        }
        map.end()
    }
}

impl Serialize for Definitions<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for m in self.0 {
            map.serialize_entry(&m.name, &m.definition)?;
        }
        map.end()
    }
}

/// `summary.json`: every metric as `{ "mean": x, "ci95": h, "per_replication":
/// [..] }` (`null` where undefined), in a fixed order, with its definition.
pub fn summary_json(summary: &Summary) -> String {
    let doc = SummaryJson {
        schema: SUMMARY_SCHEMA,
        tool: format!("kefusim {}", env!("CARGO_PKG_VERSION")),
        scenario: &summary.scenario,
        seed: summary.seed,
        scenario_digest: &summary.digest,
        replications: summary.replications,
        window: Window {
            from: &summary.window_from,
            to: &summary.window_to,
            note: "chats arriving in [from, to) are counted and followed to their end; state metrics are time averages over [from, to)",
        },
        headline: HEADLINE,
        metrics: Metrics(&summary.metrics),
        definitions: Definitions(&summary.metrics),
        frt_spectrum: FrtSpectrum {
            definition: "first response time of answered chats at each quantile, seconds: per replication from its HDR histogram (3 significant digits), then the mean over replications",
            quantiles: summary.frt_spectrum.iter().map(|&(q, _)| q).collect(),
            seconds: summary
                .frt_spectrum
                .iter()
                .map(|&(_, v)| v.is_finite().then_some(v))
                .collect(),
        },
        marks: summary
            .marks
            .iter()
            .map(|m| MarkJson {
                kind: &m.kind,
                name: &m.name,
                from: &m.from,
                to: &m.to,
            })
            .collect(),
        thresholds: summary
            .thresholds
            .iter()
            .map(|v| VerdictJson {
                require: v.threshold.to_string(),
                metric: v.threshold.metric.clone(),
                op: v.threshold.op.symbol(),
                limit: v.threshold.limit,
                value: v.value.is_finite().then_some(v.value),
                ci95: v.ci95,
                passed: v.passed,
                intervals: v.intervals.as_ref().map(|iv| IntervalsJson {
                    judged: iv.judged,
                    met: iv.met,
                    undefined: iv.undefined,
                    missed: iv.missed.iter().map(MissedJson::of).collect(),
                    worst: iv.worst.as_ref().map(MissedJson::of),
                }),
            })
            .collect(),
        compare: (!summary.gate.is_default()).then(|| GateJson {
            metrics: summary.gate.metrics.clone(),
            tolerances: summary
                .gate
                .tolerances
                .iter()
                .map(|(m, t)| {
                    (
                        m.clone(),
                        ToleranceJson {
                            absolute: t.absolute,
                            relative: t.relative,
                        },
                    )
                })
                .collect(),
            alpha: summary.gate.alpha,
        }),
        router: router_json(summary),
        live: summary.live.as_ref().map(live::live_json),
        diverging: (summary.work.diverged > 0).then(|| DivergingJson {
            replications: summary.work.diverged,
            reason: summary
                .work
                .divergence
                .map_or_else(String::new, |d| d.to_string()),
            note: "these replications were stopped before their end; their numbers are those up to that point",
        }),
    };
    let mut text =
        serde_json::to_string_pretty(&doc).expect("summary serializes: plain data, string keys");
    text.push('\n');
    text
}

/// What a routing service did wrong, in one sentence (`None`: nothing).
pub(crate) fn router_sentence(s: &Summary) -> Option<String> {
    let w = &s.work;
    if w.router_timeouts + w.router_errors + w.violations.total() == 0 && s.router_down.is_none() {
        return None;
    }
    let rules: Vec<String> = crate::engine::Rule::ALL
        .iter()
        .zip(w.violations.by_rule)
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| format!("{} {n}", r.name()))
        .collect();
    let (what, after) = match &s.live {
        Some(l) => (
            format!(
                "{} of the routing service's commands were refused, {} of them decisions that came too late",
                w.violations.total(),
                l.late_decisions
            ),
            "a chat still waiting when its decision was refused was routed again",
        ),
        None => (
            format!(
                "the routing service broke the shop's rules {} time(s)",
                w.violations.total()
            ),
            "those chats kept waiting in their queue (the fallback)",
        ),
    };
    let mut text = format!(
        "{what}{}; {} request(s) timed out and {} failed; {after}",
        if rules.is_empty() {
            String::new()
        } else {
            format!(" ({})", rules.join(", "))
        },
        w.router_timeouts,
        w.router_errors
    );
    if let Some(first) = s.router_examples.first() {
        text.push_str(&format!(". First: {first}"));
    }
    if let Some((when, n)) = &s.router_down {
        text = format!(
            "THE ROUTING SERVICE WENT DOWN in {n} replication(s) ({when}); they finished on the fallback (chats wait in their queues), so these results are not the service's. Also: {text}"
        );
    }
    Some(text)
}

fn router_json(summary: &Summary) -> Option<RouterJson> {
    let w = &summary.work;
    if w.router_timeouts + w.router_errors + w.violations.total() == 0
        && summary.router_down.is_none()
    {
        return None;
    }
    Some(RouterJson {
        service_down: summary.router_down.as_ref().map(|(first, n)| DownJson {
            replications: *n,
            first: first.clone(),
        }),
        timeouts: w.router_timeouts,
        errors: w.router_errors,
        violations: crate::engine::Rule::ALL
            .iter()
            .zip(w.violations.by_rule)
            .filter(|(_, n)| *n > 0)
            .map(|(r, n)| (r.name(), n))
            .collect(),
        examples: summary.router_examples.clone(),
        note: "refused commands were not applied: the chat kept waiting in its queue (the fallback)",
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// `timeseries.csv`: one row per interval; counts are means per replication,
/// ratios are pooled over replications, state columns are time averages.
pub fn timeseries_csv(summary: &Summary) -> String {
    let s = &summary.series;
    let mut out = String::from("interval_start");
    for c in &s.columns {
        out.push(',');
        out.push_str(&csv_field(c));
    }
    out.push('\n');
    for (start, row) in s.interval_start.iter().zip(&s.rows) {
        out.push_str(start);
        for v in row {
            out.push(',');
            out.push_str(&csv_number(*v));
        }
        out.push('\n');
    }
    out
}

/// `agents.csv`: one row per agent, pooled over replications.
pub fn agents_csv(summary: &Summary) -> String {
    let columns = &crate::catalog::AGENT_COLUMNS;
    let mut out = columns.iter().map(|c| c.name).collect::<Vec<_>>().join(",");
    out.push('\n');
    for a in &summary.agents {
        let fields: Vec<String> = columns
            .iter()
            .map(|c| match a.cell(c.id) {
                Cell::Text(t) => csv_field(t),
                Cell::Count(n) => n.to_string(),
                Cell::Number(x) => csv_number(x),
            })
            .collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// The data files `--out DIR` writes, by name.
pub fn output_files(summary: &Summary) -> Vec<(&'static str, String)> {
    let mut files = vec![
        ("summary.json", summary_json(summary)),
        ("timeseries.csv", timeseries_csv(summary)),
        ("agents.csv", agents_csv(summary)),
    ];
    if let Some(l) = &summary.live {
        files.push((
            "live.csv",
            live::live_csv(l, &summary.series.interval_start),
        ));
    }
    files
}

/// What `kefusim report DIR` writes: `report.html` (unless `html` is
/// false) and the plots.
pub fn report_files(summary: &Summary, html: bool) -> Vec<(String, Vec<u8>)> {
    let plots = plots::plots(summary);
    let mut files = Vec::new();
    if html {
        files.push((
            "report.html".to_string(),
            html::report_html(summary, &plots, &[]).into_bytes(),
        ));
    }
    files.extend(plots);
    files
}

/// Everything `kefusim plan --out DIR` writes: the plan's files, then the
/// verification run's data files, plots and `report.html` with the plan in it.
pub fn plan_output_files(r: &PlanReport) -> Vec<(String, Vec<u8>)> {
    let summary = &r.result.verification;
    let mut files = plan_files(r);
    let plan_svg = files
        .iter()
        .find(|(n, _)| n == "plan.svg")
        .map(|(_, b)| String::from_utf8_lossy(b).to_string());
    files.extend(
        output_files(summary)
            .into_iter()
            .map(|(n, t)| (n.to_string(), t.into_bytes())),
    );
    let plots = plots::plots(summary);
    let section = html::Section {
        id: "plan",
        title: "Capacity plan".to_string(),
        body: plan::plan_html(r, plan_svg.as_deref()),
    };
    files.push((
        "report.html".to_string(),
        html::report_html(summary, &plots, &[section]).into_bytes(),
    ));
    files.extend(plots);
    files
}

/// Everything `--out DIR` writes: the data files, then [`report_files`].
pub fn all_output_files(summary: &Summary, html: bool) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = output_files(summary)
        .into_iter()
        .map(|(n, t)| (n.to_string(), t.into_bytes()))
        .collect();
    files.extend(report_files(summary, html));
    files
}
