//! A capacity plan's results: the per-interval table (`plan.csv` and the
//! terminal), the roster as a scenario fragment (`roster.toml`), the
//! headline (`plan.json`) and the plot of required vs scheduled agents.

use std::fmt::Write;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{
    KeyItem, Swatch, Tip, column_tips, err, frame, hour_ticks, keyed, tidy, time_tick, tip_number,
};
use super::plots::{Figure, SIZE, render};
use super::{csv_field, csv_number};
use crate::catalog;
use crate::plan::{PlanResult, PlanSpec};
use crate::scenario::Scenario;

/// A plan with its scenario, for writing.
pub struct PlanReport<'a> {
    /// The scenario planned.
    pub scenario: &'a Scenario,
    /// Its `[plan]`.
    pub spec: &'a PlanSpec,
    /// What planning found.
    pub result: &'a PlanResult,
    /// The scenario file with the roster applied, for `scenario.toml`.
    pub applied: Option<&'a str>,
}

impl PlanReport<'_> {
    /// The per-interval value of a target's metric in the verification.
    fn verified(&self, i: usize, metric: &str) -> f64 {
        self.result.verified_figures[i].value(metric, &self.scenario.sla.thresholds_s)
    }

    /// Where the scheduled agent-hours go.
    pub fn breakdown(&self) -> Breakdown {
        let p = self.result;
        let h = p.interval_hours;
        let scale = 1.0 / (1.0 - self.spec.shrinkage);
        let required: f64 = p.required.iter().map(|&v| f64::from(v) * h).sum();
        let extra: f64 = p.extra.iter().map(|&v| f64::from(v) * h * scale).sum();
        let needed: f64 = p.needed.iter().map(|&v| v * h).sum();
        let (templates, rounding) = match p.lower_bound {
            Some(b) => ((b - needed).max(0.0), p.agent_hours - b.max(needed)),
            None => (p.agent_hours - needed, 0.0),
        };
        Breakdown {
            required,
            shrinkage: needed - extra - required,
            verification: extra,
            needed,
            templates,
            rounding,
            scheduled: p.agent_hours,
        }
    }

    fn gap(&self) -> Option<f64> {
        let cost = self.result.agent_hours;
        match self.result.lower_bound? {
            b if b > 0.0 => Some(((cost - b) / b).max(0.0)),
            _ if cost <= 1e-9 => Some(0.0),
            _ => None,
        }
    }
}

/// Where a roster's agent-hours in the measured window go: the
/// requirement, what shrinkage and verification add to it, what the shift
/// templates force on top (the LP bound over the needed heads: lengths,
/// days and breaks that do not fit the demand) and what rounding to whole
/// agents adds (the roster over the bound).
#[derive(Debug, Clone, Copy)]
pub struct Breakdown {
    /// Agents on duty the targets need, interval by interval, by simulation.
    pub required: f64,
    /// Added by shrinkage (required ÷ (1 − shrinkage) − required).
    pub shrinkage: f64,
    /// Added by verification rounds (heads for intervals that missed).
    pub verification: f64,
    /// Needed on duty and off break: the sum of the three above.
    pub needed: f64,
    /// Forced by the templates: the LP bound minus `needed`.
    pub templates: f64,
    /// Added by rounding to whole agents: the roster minus the LP bound.
    pub rounding: f64,
    /// The roster's on-duty agent-hours.
    pub scheduled: f64,
}

/// `plan.csv`: one row per interval.
pub fn plan_csv(r: &PlanReport) -> String {
    let p = r.result;
    let mut out = String::from("interval_start,offered,erlang_a,required,needed,scheduled");
    for t in &r.spec.targets {
        let _ = write!(out, ",{}", csv_field(&format!("verified_{}", t.metric)));
    }
    out.push_str(",targets_met\n");
    for i in 0..p.interval_start.len() {
        let _ = write!(
            out,
            "{},{},{},{},{},{}",
            p.interval_start[i],
            csv_number(p.offered[i]),
            p.erlang[i],
            p.required[i],
            csv_number((p.needed[i] * 1000.0).round() / 1000.0),
            csv_number((p.scheduled[i] * 1000.0).round() / 1000.0)
        );
        for t in &r.spec.targets {
            let _ = write!(out, ",{}", csv_number(r.verified(i, &t.metric)));
        }
        let _ = writeln!(out, ",{}", if p.verified[i] { "yes" } else { "no" });
    }
    out
}

/// The roster as `[[agents]]` entries to paste into the scenario in place
/// of the replaced entries.
pub fn roster_toml(r: &PlanReport) -> String {
    let sc = r.scenario;
    let entry = &sc.entries[r.spec.entry];
    let a = sc
        .agents
        .iter()
        .find(|a| a.entry == r.spec.entry)
        .expect("validated: the planned entry has agents");
    let groups: Vec<String> = a
        .groups
        .iter()
        .map(|&g| format!("{:?}", sc.groups[g].name))
        .collect();
    let replaced: Vec<&str> = r
        .spec
        .replace
        .iter()
        .map(|&e| sc.entries[e].name.as_str())
        .collect();
    let names: Vec<String> = r
        .spec
        .shifts
        .iter()
        .zip(&r.result.counts)
        .filter(|(_, c)| **c > 0)
        .map(|(t, _)| format!("{}-{}", entry.name, t.name))
        .collect();
    let mut out = format!(
        "# Roster from `kefusim plan` for scenario {}: replaces the [[agents]] entries {}.\n# {:.1} agent-hours in the measured window; {}.\n# To use it by hand: delete those entries, paste these, and in [plan] set\n# entry = {:?} and replace = [{}] (or delete [plan]).\n# scenario.toml next to this file is the whole scenario with that done;\n# `kefusim plan SCENARIO --apply FILE` writes it anywhere.\n",
        sc.name,
        replaced.join(", "),
        r.result.agent_hours,
        if r.result.accepted {
            "its own simulation meets every target in every interval"
        } else {
            "NOT accepted: its own simulation still misses a target somewhere"
        },
        names.first().cloned().unwrap_or_default(),
        names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let scheduled = sc.schedule.iter().any(|c| {
        matches!(c.what, crate::scenario::ChangeKind::Cap { entry, .. } if r.spec.replace.contains(&entry))
    });
    if scheduled {
        let _ = writeln!(
            out,
            "# [[schedule]] changes the caps of replaced entries: repeat those of `{}` for\n# each of these entries (agents = NAME) and delete the others' (scenario.toml does).",
            entry.name
        );
    }
    if !entry.episodes.is_empty() {
        let _ = writeln!(
            out,
            "# Add the [[agents.episodes]] of entry `{}` to each entry (they were simulated).",
            entry.name
        );
    }
    for (t, &count) in r.spec.shifts.iter().zip(&r.result.counts) {
        if count == 0 {
            continue;
        }
        let _ = write!(
            out,
            "\n[[agents]]\nname = {:?}\ncount = {count}\ngroups = [{}]\nmax_concurrent = {}\n",
            format!("{}-{}", entry.name, t.name),
            groups.join(", "),
            a.max_concurrent
        );
        if a.weight != 1.0 {
            let _ = writeln!(out, "weight = {}", a.weight);
        }
        if a.speed != 1.0 {
            let _ = writeln!(out, "speed = {}", a.speed);
        }
        if let Some(s) = a.suspend_at {
            let _ = writeln!(out, "suspend_at_open = {s}");
        }
        let _ = writeln!(out, "shift = {}", t.toml);
    }
    out
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// `plan.json`: the headline of a plan.
pub fn plan_json(r: &PlanReport) -> String {
    let p = r.result;
    let v = &p.verification;
    let metric = |name: &str| {
        v.metric(name).map(|m| {
            serde_json::json!({
                "mean": if m.mean.is_finite() { Some(m.mean) } else { None },
                "ci95": m.ci95,
            })
        })
    };
    let b = r.breakdown();
    let mut verified = serde_json::Map::new();
    for (name, _) in [
        (catalog::GOLDEN, ()),
        (catalog::ABANDON_RATE, ()),
        (catalog::OCCUPANCY, ()),
        (catalog::FRT_P90_S, ()),
    ] {
        verified.insert(name.to_string(), metric(name).unwrap_or_default());
    }
    for g in r.scenario.agents[r
        .scenario
        .agents
        .iter()
        .position(|a| a.entry == r.spec.entry)
        .unwrap_or(0)]
    .groups
    .iter()
    {
        let name = format!(
            "group.{}.answered_within_120s_over_offered",
            r.scenario.groups[*g].name
        );
        verified.insert(name.clone(), metric(&name).unwrap_or_default());
    }
    let doc = serde_json::json!({
        "scenario": r.scenario.name,
        "entry": r.scenario.entries[r.spec.entry].name,
        "targets": r.spec.targets.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        "shrinkage": r.spec.shrinkage,
        "accepted": p.accepted,
        "intervals_missing_targets": p.verified.iter().filter(|x| !**x).count(),
        "agent_hours": round3(p.agent_hours),
        "lp_lower_bound_agent_hours": p.lower_bound.map(round3),
        "optimality_gap": r.gap().map(round3),
        "roster": r.spec.shifts.iter().zip(&p.counts).map(|(t, c)| serde_json::json!({ "template": t.name, "agents": c })).collect::<Vec<_>>(),
        "search_iterations": p.iterations,
        "verification_rounds": p.rounds,
        "verification_replications": v.replications,
        "verified": verified,
        "agent_hours_breakdown": {
            "required": round3(b.required),
            "shrinkage": round3(b.shrinkage),
            "verification": round3(b.verification),
            "needed": round3(b.needed),
            "forced_by_templates": round3(b.templates),
            "added_by_rounding": round3(b.rounding),
            "scheduled": round3(b.scheduled),
        },
        "suggestions": p.suggestions.iter().map(|g| serde_json::json!({
            "template": g.template.name,
            "shift": g.template.toml,
            "agent_hours": round3(g.agent_hours),
            "saving_agent_hours": round3(g.saving),
            "accepted": g.accepted,
            "intervals_missing_targets": g.misses,
            "roster": r.spec.shifts.iter().chain([&g.template]).zip(&g.counts).map(|(t, c)| serde_json::json!({ "template": t.name, "agents": c })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("plain JSON values");
    text.push('\n');
    text
}

/// The terminal account: per-interval table, roster, cost, verdict.
pub fn plan_text(r: &PlanReport) -> String {
    let p = r.result;
    let first = r
        .spec
        .targets
        .first()
        .map(|t| t.metric.as_str())
        .unwrap_or("");
    let mut out = format!(
        "kefusim plan · {} · pool `{}` · targets {}\n\n  {:<25} {:>8} {:>7} {:>8} {:>7} {:>9} {:>10}  met\n",
        r.scenario.name,
        r.scenario.entries[r.spec.entry].name,
        r.spec
            .targets
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        "interval",
        "offered",
        "Erlang",
        "required",
        "needed",
        "scheduled",
        "verified",
    );
    for i in 0..p.interval_start.len() {
        let _ = writeln!(
            out,
            "  {:<25} {:>8.1} {:>7} {:>8} {:>7.1} {:>9.1} {:>10}  {}",
            p.interval_start[i],
            p.offered[i],
            p.erlang[i],
            p.required[i],
            p.needed[i],
            p.scheduled[i],
            match r.verified(i, first) {
                v if v.is_finite() => format!("{:.3}", v),
                _ => "—".to_string(),
            },
            if p.verified[i] { "yes" } else { "NO" }
        );
    }
    let _ = writeln!(out, "\n  roster:");
    for (t, c) in r.spec.shifts.iter().zip(&p.counts) {
        let _ = writeln!(
            out,
            "    {:<20} {c:>5} agents  {}",
            t.name,
            t.plan.describe()
        );
    }
    let gap = match (r.gap(), p.lower_bound) {
        (Some(g), Some(b)) => format!("LP lower bound {b:.1}, gap ≤ {:.1}%", g * 100.0),
        (None, Some(b)) => format!("LP lower bound {b:.1}"),
        (_, None) => "no LP bound: the LP failed, greedy cover".to_string(),
    };
    let _ = writeln!(
        out,
        "  cost: {:.1} agent-hours in the window ({gap})",
        p.agent_hours
    );
    breakdown_text(r, &mut out);
    let v = &p.verification;
    let show = |name: &str| match v.metric(name) {
        Some(m) if m.mean.is_finite() => match m.ci95 {
            Some(h) => format!("{:.4} ± {:.4}", m.mean, h),
            None => format!("{:.4}", m.mean),
        },
        _ => "—".to_string(),
    };
    let _ = writeln!(
        out,
        "  verification ({} replications), shop-wide: golden rate {}, abandonment {}, occupancy {}",
        v.replications,
        show(catalog::GOLDEN),
        show(catalog::ABANDON_RATE),
        show(catalog::OCCUPANCY)
    );
    let pool = r
        .scenario
        .agents
        .iter()
        .find(|a| a.entry == r.spec.entry)
        .map(|a| a.groups.clone())
        .unwrap_or_default();
    for g in pool {
        let name = &r.scenario.groups[g].name;
        let _ = writeln!(
            out,
            "  verification, group {name}: golden rate {}, P(wait) {}, occupancy {}",
            show(&format!("group.{name}.answered_within_120s_over_offered")),
            show(&format!("group.{name}.p_wait")),
            show(&format!("group.{name}.occupancy"))
        );
    }
    let misses = p.verified.iter().filter(|x| !**x).count();
    let _ = writeln!(
        out,
        "  {}",
        if p.accepted {
            format!(
                "ACCEPTED: every interval meets every target in the roster's own simulation ({} search iterations, {} roster round(s))",
                p.iterations, p.rounds
            )
        } else {
            format!(
                "NOT ACCEPTED: {misses} interval(s) still miss a target after {} roster rounds",
                p.rounds
            )
        }
    );
    out
}

/// Where the agent-hours go, and the template suggestions.
fn breakdown_text(r: &PlanReport, out: &mut String) {
    let p = r.result;
    let b = r.breakdown();
    let times = |x: f64| {
        if b.required > 0.0 {
            format!(" ({:.1}× required)", x / b.required)
        } else {
            String::new()
        }
    };
    let _ = writeln!(out, "  where the agent-hours go:");
    let _ = writeln!(
        out,
        "    {:<44} {:>9.1}",
        "required on duty (simulation, per interval)", b.required
    );
    let _ = writeln!(
        out,
        "    {:<44} {:>9.1}",
        format!("+ shrinkage {:.0}%", r.spec.shrinkage * 100.0),
        b.shrinkage
    );
    if b.verification > 0.0 {
        let _ = writeln!(
            out,
            "    {:<44} {:>9.1}",
            "+ heads verification added", b.verification
        );
    }
    let _ = writeln!(
        out,
        "    {:<44} {:>9.1}",
        "= needed on duty and off break", b.needed
    );
    match p.lower_bound {
        Some(bound) => {
            let _ = writeln!(
                out,
                "    {:<44} {:>9.1}   the least any roster of these templates costs is {bound:.1}: their lengths, days and breaks do not fit the demand",
                "+ forced by the shift templates", b.templates
            );
            let _ = writeln!(
                out,
                "    {:<44} {:>9.1}   the roster over that bound",
                "+ added by rounding to whole agents", b.rounding
            );
        }
        None => {
            let _ = writeln!(
                out,
                "    {:<44} {:>9.1}   (no LP bound to split it)",
                "+ templates and rounding", b.templates
            );
        }
    }
    let _ = writeln!(
        out,
        "    {:<44} {:>9.1}{}",
        "= scheduled",
        b.scheduled,
        times(b.scheduled)
    );
    if !p.accepted {
        return;
    }
    if p.suggestions.is_empty() {
        let _ = writeln!(
            out,
            "  template suggestions: no single {}-hour shift added to the templates saves an agent-hour",
            crate::plan::suggest_lengths()
        );
        return;
    }
    let _ = writeln!(
        out,
        "  template suggestions (each added alone to [[plan.shifts]]; the roster re-solved and simulated like the plan's):"
    );
    for g in &p.suggestions {
        let verdict = if g.accepted {
            "verified: every interval meets every target".to_string()
        } else {
            format!("NOT verified: {} interval(s) still miss a target", g.misses)
        };
        let _ = writeln!(
            out,
            "    {:<16} {:>4} agents on it → {:.1} agent-hours{}, saves {:.1} ({:.1}%); {verdict}",
            g.template.name,
            g.counts.last().copied().unwrap_or(0),
            g.agent_hours,
            times(g.agent_hours),
            g.saving,
            if p.agent_hours > 0.0 {
                g.saving / p.agent_hours * 100.0
            } else {
                0.0
            },
        );
    }
    if let Some(g) = p.suggestions.iter().find(|g| g.accepted && g.saving > 0.0) {
        let _ = writeln!(
            out,
            "  to use the first, add to the scenario and plan again:\n    [[plan.shifts]]\n    name = {:?}\n    shift = {}",
            g.template.name, g.template.toml
        );
    }
}

/// The plan as an HTML section body: verdict, roster, the plot and the
/// per-interval table (text escaped).
pub(super) fn plan_html(r: &PlanReport, svg: Option<&str>) -> String {
    let esc = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let p = r.result;
    let mut o = String::new();
    let text = plan_text(r);
    // The cost, verification and verdict lines of the terminal account.
    let from = text.find("  cost:").unwrap_or(text.len());
    let _ = writeln!(
        o,
        "<pre style=\"overflow-x: auto; font-size: 0.85em\">{}</pre>",
        esc(&text[from..])
    );
    o.push_str("<table>\n<tr><th>template</th><th>agents</th><th>shift</th></tr>\n");
    for (t, c) in r.spec.shifts.iter().zip(&p.counts) {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"num\">{c}</td><td>{}</td></tr>",
            esc(&t.name),
            esc(&t.plan.describe())
        );
    }
    o.push_str("</table>\n");
    if let Some(svg) = svg {
        let start = svg.find("<svg").unwrap_or(0);
        let _ = writeln!(o, "<figure id=\"plot-plan\">\n{}\n</figure>", &svg[start..]);
    }
    o.push_str("<table>\n<tr><th>interval</th><th>offered</th><th>Erlang A</th><th>required</th><th>needed</th><th>scheduled</th><th>targets met</th></tr>\n");
    for i in 0..p.interval_start.len() {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"num\">{:.1}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td><td class=\"num\">{:.1}</td><td class=\"{}\">{}</td></tr>",
            esc(&p.interval_start[i]),
            p.offered[i],
            p.erlang[i],
            p.required[i],
            p.needed[i],
            p.scheduled[i],
            if p.verified[i] { "pass" } else { "fail" },
            if p.verified[i] { "yes" } else { "no" }
        );
    }
    o.push_str("</table>\n<p class=\"def\">The rest of this page is the roster's own simulation (the verification run).</p>");
    o
}

/// Every file of a plan: `plan.csv`, `plan.json`, `roster.toml` and the plot.
pub fn plan_files(r: &PlanReport) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        ("plan.csv".to_string(), plan_csv(r).into_bytes()),
        ("plan.json".to_string(), plan_json(r).into_bytes()),
        ("roster.toml".to_string(), roster_toml(r).into_bytes()),
        ("plan.txt".to_string(), plan_text(r).into_bytes()),
    ];
    if let Some(text) = r.applied {
        files.push(("scenario.toml".to_string(), text.as_bytes().to_vec()));
    }
    if let Some((svg, png)) = render(r, SIZE) {
        files.push(("plan.svg".into(), svg));
        files.push(("plan.png".into(), png));
    }
    files
}

impl Figure for PlanReport<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<Vec<Tip>, String> {
        let p = self.result;
        let n = p.interval_start.len();
        if n == 0 {
            return Err("no interval".into());
        }
        root.fill(&WHITE).map_err(err)?;
        let top = p
            .scheduled
            .iter()
            .chain(&p.needed)
            .copied()
            .chain(p.required.iter().chain(&p.erlang).map(|&v| f64::from(v)))
            .fold(1.0, f64::max)
            * 1.15;
        let lines: [(Vec<f64>, RGBColor, &str, &str); 4] = [
            (
                p.erlang.iter().map(|&v| f64::from(v)).collect(),
                RGBColor(150, 150, 150),
                "Erlang A per interval (time-lagged seed)",
                "Erlang A",
            ),
            (
                p.required.iter().map(|&v| f64::from(v)).collect(),
                BLUE,
                "required on duty (simulation)",
                "required",
            ),
            (
                p.needed.clone(),
                MAGENTA,
                "needed: required ÷ (1 − shrinkage)",
                "needed",
            ),
            (
                p.scheduled.clone(),
                GREEN,
                "scheduled: roster on duty, off break",
                "scheduled",
            ),
        ];
        let mut key: Vec<KeyItem> = lines
            .iter()
            .map(|l| KeyItem::new(Swatch::Line(l.1), l.2))
            .collect();
        if p.verified.iter().any(|ok| !ok) {
            key.push(KeyItem::new(
                Swatch::Box(RED.into()),
                "interval missing a target in verification",
            ));
        }
        let area = keyed(root, &key)?;
        let ticks = hour_ticks(&p.interval_start);
        let first = ticks.bold.first().copied();
        let x_label = |x: &f64| time_tick(&p.interval_start, first, *x);
        let title = format!(
            "{}: agents required vs scheduled (pool {})",
            self.scenario.name, self.scenario.entries[self.spec.entry].name
        );
        // Interval i spans [i, i + 1): its ticks at its start.
        let mut chart = frame(&area, &title, 70, 0.0..n as f64, ticks, 0.0..top)?;
        chart
            .configure_mesh()
            .x_label_formatter(&x_label)
            .y_label_formatter(&tidy)
            .x_desc("local time (start of interval)")
            .y_desc("agents on duty")
            .draw()
            .map_err(err)?;
        // Steps: each interval's value held across it.
        let step = |vals: &[f64]| -> Vec<(f64, f64)> {
            vals.iter()
                .enumerate()
                .flat_map(|(i, &v)| [(i as f64, v), (i as f64 + 1.0, v)])
                .collect()
        };
        for (vals, colour, _, _) in &lines {
            chart
                .draw_series(LineSeries::new(step(vals), colour.stroke_width(2)))
                .map_err(err)?;
        }
        chart
            .draw_series(
                p.verified
                    .iter()
                    .enumerate()
                    .filter(|(_, ok)| !**ok)
                    .map(|(i, _)| {
                        Rectangle::new(
                            [(i as f64, 0.0), (i as f64 + 1.0, top * 0.02)],
                            RED.filled(),
                        )
                    }),
            )
            .map_err(err)?;
        // A column's tip covers its interval [i, i + 1): shift by half.
        let mut tips = column_tips(&chart, n + 1, |i| {
            let i = i.min(n - 1);
            let mut text = format!(
                "{} agents",
                time_tick(&p.interval_start, Some(i as f64), i as f64)
            );
            for (vals, _, _, short) in &lines {
                text.push_str(&format!("\n{short}: {}", tip_number(vals[i])));
            }
            if !p.verified[i] {
                text.push_str("\nmisses a target in verification");
            }
            text
        });
        tips.retain(|t| t.x.end > t.x.start);
        let half = tips.first().map_or(0, |t| (t.x.end - t.x.start) / 2);
        for t in &mut tips {
            t.x = t.x.start + half..t.x.end + half;
        }
        tips.pop();
        root.present().map_err(err)?;
        Ok(tips)
    }
}
