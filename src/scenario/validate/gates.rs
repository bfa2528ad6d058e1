//! `[thresholds]` and `[plan]`: gates judged on results, and what capacity
//! planning is asked to staff.

use super::*;

/// `[plan]` against the built scenario.
pub(super) fn plan(
    cx: &mut Cx,
    path: &KeyPath,
    raw: &RawPlan,
    sc: &Scenario,
) -> Option<crate::scenario::PlanSpec> {
    let before = cx.issues.len();
    let entry_named = |cx: &mut Cx, p: &KeyPath, name: &str| -> Option<usize> {
        let found = sc.entries.iter().position(|e| e.name == name);
        if found.is_none() {
            let names: Vec<&str> = sc.entries.iter().map(|e| e.name.as_str()).collect();
            cx.issue(
                p,
                format!(
                    "no [[agents]] entry named `{name}` (entries: {})",
                    names.join(", ")
                ),
            );
        }
        found
    };
    let entry = match &raw.entry {
        Some(name) => entry_named(cx, &path.key("entry"), name),
        None => Some(0),
    };
    let mut replace = Vec::new();
    if let Some(names) = &raw.replace {
        for (i, name) in names.iter().enumerate() {
            if let Some(e) = entry_named(cx, &path.key("replace").index(i), name) {
                replace.push(e);
            }
        }
    }
    if let Some(e) = entry {
        if !replace.contains(&e) {
            replace.push(e);
        }
        let spec = sc.agents.iter().find(|a| a.entry == e);
        for (g, group) in sc.groups.iter().enumerate() {
            let kept = sc
                .agents
                .iter()
                .any(|a| a.groups.contains(&g) && !replace.contains(&a.entry));
            if !kept && !spec.is_some_and(|a| a.groups.contains(&g)) {
                cx.issue(
                    &path.key("replace"),
                    format!(
                        "replacing these entries would leave group `{}` without agents (the planned entry does not serve it)",
                        group.name
                    ),
                );
            }
        }
        for (i, &r) in replace.iter().enumerate() {
            if sc.agents.iter().any(|a| a.entry == r && a.main_account) {
                cx.issue(
                    &path.key(if raw.replace.as_ref().is_some_and(|v| i < v.len()) { "replace" } else { "entry" }),
                    format!(
                        "entry `{}` is the main account, which private contacts and the main-account fallback need; it cannot be replaced",
                        sc.entries[r].name
                    ),
                );
            }
        }
        // Targets are judged on the chats that arrive in the pool's groups.
        let arrives = |g: usize| {
            sc.entry_group.contains(&Some(g))
                || sc
                    .menus
                    .iter()
                    .flatten()
                    .any(|m| m.iter().any(|&(mg, _)| mg == g))
        };
        if let Some(a) = spec
            && !a.groups.iter().any(|&g| arrives(g))
        {
            let names: Vec<&str> = a
                .groups
                .iter()
                .map(|&g| sc.groups[g].name.as_str())
                .collect();
            cx.issue(
                &path.key("entry"),
                format!(
                    "no chats arrive in the planned entry's groups ({}): they are reached only by transfers or overflow, and planning judges its targets on the chats that arrive in the pool's groups",
                    names.join(", ")
                ),
            );
        }
        if spec.is_some_and(|a| a.main_account || !a.routable) {
            cx.issue(
                &path.key("entry"),
                "the planned entry must be ordinary routable agents (not the main account, not routable = false)",
            );
        }
    }
    let texts = raw
        .targets
        .clone()
        .unwrap_or_else(|| vec!["answered_within_120s_over_offered >= 90%".to_string()]);
    let mut targets = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let p = path.key("targets").index(i);
        let names = crate::catalog::names(&sc.shape());
        let parsed = crate::catalog::parse_threshold(text).and_then(|t| {
            if let crate::catalog::Over::Share(_) = t.over {
                return Err(format!(
                    "`{t}` cannot be a plan target: a plan meets its targets in every interval, so `in P% of intervals` does not apply (`every` is implied; `during …` limits a target to part of the window)"
                ));
            }
            let metric = crate::catalog::resolve(&t.metric, &names)?;
            scope(crate::catalog::Threshold { metric, ..t }, sc)
        });
        if let Some(t) = cx.check(&p, parsed)
            && cx
                .check(
                    &p,
                    crate::catalog::check_target(&t.metric, t.op, &sc.sla.thresholds_s),
                )
                .is_some()
        {
            targets.push(t);
        }
    }
    if texts.is_empty() {
        cx.issue(&path.key("targets"), "targets must not be empty");
    }
    let shrinkage = match raw.shrinkage {
        Some(v) => cx.in_range(&path.key("shrinkage"), v, 0.0, 0.9),
        None => Some(0.0),
    };
    let max_agents = match raw.max_agents {
        Some(v) => cx.int_in(&path.key("max_agents"), v, 1, 10_000),
        None => Some(1_000),
    };
    let mut shifts = Vec::new();
    if raw.shifts.is_empty() {
        cx.issue(
            path,
            "[plan] needs at least one [[plan.shifts]] template (name, shift = { start, end, … }, optional max)",
        );
    }
    for (i, s) in raw.shifts.iter().enumerate() {
        let p = path.key("shifts").index(i);
        let max = match s.max {
            Some(v) => cx.int_in(&p.key("max"), v, 0, 100_000).map(Some),
            None => Some(None),
        };
        if shifts
            .iter()
            .any(|t: &crate::scenario::ShiftTemplate| t.name == s.name)
        {
            cx.issue(
                &p.key("name"),
                format!("two templates are named `{}`", s.name),
            );
        }
        // Checked for overlaps at every stagger a roster of up to 64 agents uses.
        let plan = staff::shift(cx, &p.key("shift"), &s.shift, Some(&sc.run), 64);
        if let Some(e) = entry {
            let name = format!("{}-{}", sc.entries[e].name, s.name);
            if sc
                .entries
                .iter()
                .enumerate()
                .any(|(k, x)| x.name == name && !replace.contains(&k))
            {
                cx.issue(
                    &p.key("name"),
                    format!("the roster entry would be named `{name}`, like an entry the plan keeps; rename the template"),
                );
            }
        }
        let toml = toml::Value::try_from(&s.shift)
            .map(|v| v.to_string())
            .unwrap_or_default();
        if let (Some(plan), Some(max)) = (plan, max) {
            shifts.push(crate::scenario::ShiftTemplate {
                name: s.name.clone(),
                plan,
                max,
                toml,
            });
        }
    }
    match (entry, shrinkage, max_agents) {
        (Some(entry), Some(shrinkage), Some(max_agents)) if cx.issues.len() == before => {
            Some(crate::scenario::PlanSpec {
                entry,
                replace,
                targets,
                shrinkage,
                max_agents,
                shifts,
            })
        }
        _ => None,
    }
}

/// `[thresholds] require`, each line parsed (`parsed`, `None` where it did
/// not parse) and its metric looked up among the metrics `sc` reports.
pub(super) fn thresholds(
    cx: &mut Cx,
    parsed: &[(KeyPath, Option<crate::catalog::Threshold>)],
    sc: &Scenario,
) -> Vec<crate::catalog::Threshold> {
    let names = crate::catalog::names(&sc.shape());
    let mut out = Vec::new();
    let series: Vec<String> = crate::catalog::series_columns(&sc.sla.thresholds_s)
        .into_iter()
        .map(|c| c.name)
        .collect();
    for (path, t) in parsed {
        let Some(t) = t else { continue };
        // A live run's figures (`router.latency_p99_ms`): judged on the
        // whole live run only.
        if let Some(known) = crate::catalog::live_figure(&t.metric) {
            let checked = known.and_then(|()| {
                if t.over == crate::catalog::Over::Whole && t.during.is_none() {
                    Ok(t.clone())
                } else {
                    Err(format!(
                        "`{}` is judged over the whole live run; it takes no `every`, `in … of intervals` or `during`",
                        t.metric
                    ))
                }
            });
            if let Some(t) = cx.check(path, checked) {
                out.push(t);
            }
            continue;
        }
        // Aliases (golden_rate, the platforms' names) become canonical
        // names: of summary.json's metrics, or of timeseries.csv's columns
        // when judged per interval or over a part of the window.
        let known = if t.on_series() { &series } else { &names };
        let resolved = crate::catalog::resolve(&t.metric, known).map_err(|e| {
            if t.on_series() && names.contains(&t.metric) {
                format!(
                    "`{}` has no per-interval values, so it cannot be judged per interval or during part of the window; these can: {}",
                    t.metric,
                    series.join(", ")
                )
            } else {
                format!("{e} (in a threshold)")
            }
        });
        let scoped = resolved.and_then(|metric| {
            scope(
                crate::catalog::Threshold {
                    metric,
                    ..t.clone()
                },
                sc,
            )
        });
        if let Some(t) = cx.check(path, scoped) {
            out.push(t);
        }
    }
    out
}

/// Resolves a threshold's `every` and `during` against the run: `every D`
/// must be the run's interval; `during` becomes the intervals it covers.
fn scope(
    mut t: crate::catalog::Threshold,
    sc: &Scenario,
) -> Result<crate::catalog::Threshold, String> {
    use crate::time::{format_duration, parse_duration, parse_instant};
    let run = &sc.run;
    if let crate::catalog::Over::Each(d) = &t.over {
        let every = parse_duration(d).map_err(|e| format!("`every {d}`: {e}"))?;
        if every != run.interval {
            return Err(format!(
                "`every {d}`: per-interval thresholds judge the time series, whose interval is {} ([run] interval); write `every {}` or set interval = \"{d}\"",
                format_duration(run.interval),
                format_duration(run.interval)
            ));
        }
    }
    let Some(during) = &mut t.during else {
        return Ok(t);
    };
    let (from, to) = (run.measure_from() as i64, run.measure_to() as i64);
    let n = run.intervals();
    let iv = run.interval as i64;
    let window = format!(
        "the measured window is {} → {}",
        run.clock.format(run.measure_from()),
        run.clock.format(run.measure_to())
    );
    let (a, b) = if let Some(name) = during.text.strip_prefix("peak:") {
        let peak = sc
            .arrivals
            .peaks
            .iter()
            .find(|p| p.name.as_deref() == Some(name))
            .ok_or_else(|| {
                let names: Vec<&str> = sc
                    .arrivals
                    .peaks
                    .iter()
                    .filter_map(|p| p.name.as_deref())
                    .collect();
                if names.is_empty() {
                    format!("`during peak:{name}`: the scenario has no named peak ([[arrivals.peaks]] name = …)")
                } else {
                    format!("`during peak:{name}`: no peak is named `{name}` (named peaks: {})", names.join(", "))
                }
            })?;
        // The span the plots shade: ramp, plateau and three decay constants.
        let (a, b) = (
            peak.start.max(from),
            (peak.start + (peak.ramp + peak.hold + 3 * peak.decay) as i64).min(to),
        );
        if a >= b {
            return Err(format!(
                "`during peak:{name}`: the peak lies outside the measured window ({window})"
            ));
        }
        (a, b)
    } else {
        let (a, b) = during.text.split_once('/').ok_or_else(|| {
            format!(
                "`during {}`: expected FROM/TO (two RFC 3339 instants, e.g. 2026-11-11T00:00+08:00/2026-11-11T02:00+08:00) or peak:NAME",
                during.text
            )
        })?;
        let at = |s: &str| -> Result<i64, String> {
            let t = run
                .clock
                .sim_of(parse_instant(s).map_err(|e| format!("`during {}`: {e}", during.text))?);
            if t < from || t > to {
                return Err(format!(
                    "`during {}`: {s} is outside the window ({window})",
                    during.text
                ));
            }
            if (t - from) % iv != 0 && t != to {
                return Err(format!(
                    "`during {}`: {s} is not the start of an interval (intervals are {} from the window's start)",
                    during.text,
                    format_duration(run.interval)
                ));
            }
            Ok(t)
        };
        let (a, b) = (at(a)?, at(b)?);
        if a >= b {
            return Err(format!("`during {}`: FROM must be before TO", during.text));
        }
        (a, b)
    };
    during.intervals = ((a - from) / iv) as usize..((((b - from) + iv - 1) / iv) as usize).min(n);
    Ok(t)
}

/// `[compare]`: the metrics that gate a comparison (checked against the
/// metrics `sc` reports; aliases become canonical names), their
/// tolerances and the family-wise false-alarm rate.
pub(super) fn compare(
    cx: &mut Cx,
    path: &KeyPath,
    raw: &RawCompare,
    sc: &Scenario,
) -> crate::catalog::GateSpec {
    use crate::catalog::{GateSpec, check_alpha, parse_amount, resolve};
    let names = crate::catalog::names(&sc.shape());
    let mut gate = GateSpec::default();
    if let Some(list) = &raw.metrics {
        if list.is_empty() {
            cx.issue(
                &path.key("metrics"),
                "metrics must name at least one metric (leave it out to judge every metric with a better direction)",
            );
        }
        let mut chosen: Vec<String> = Vec::new();
        for (i, name) in list.iter().enumerate() {
            let at = path.key("metrics").index(i);
            if let Some(m) = cx.check(&at, resolve(name.trim(), &names)) {
                if chosen.contains(&m) {
                    cx.issue(&at, format!("`{m}` is listed twice"));
                } else {
                    chosen.push(m);
                }
            }
        }
        gate.metrics = Some(chosen);
    }
    for (name, amount) in raw.tolerances.iter().flatten() {
        let at = path.key("tolerances").key(name);
        let metric = cx.check(&at, resolve(name.trim(), &names));
        let tolerance = cx.check(&at, parse_amount(amount));
        if let (Some(m), Some(t)) = (metric, tolerance) {
            gate.tolerances.push((m, t));
        }
    }
    if let Some(alpha) = raw.alpha
        && let Some(a) = cx.check(&path.key("alpha"), check_alpha(alpha))
    {
        gate.alpha = a;
    }
    gate
}
