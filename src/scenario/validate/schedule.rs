//! `[[schedule]]`: settings that change during the run.

use super::*;
use crate::scenario::{Change, ChangeKind};
use crate::time::{DAY_MS, SimTime};

/// Resolves every change against the scenario: when (an instant inside the
/// run, or a daily local time expanded over the run) and what (a cap or
/// the groups of an `[[agents]]` entry, a group's policy, or the shop's
/// `nobody_online`). Sorted by time, in declaration order at one instant.
pub(super) fn schedule(
    cx: &mut Cx,
    path: &KeyPath,
    raw: &[RawChange],
    sc: &Scenario,
) -> Vec<Change> {
    let mut out = Vec::new();
    for (i, rc) in raw.iter().enumerate() {
        let p = path.index(i);
        // Both halves are checked, so that every problem is reported at once.
        let what = what(cx, &p, rc, sc);
        let times = instants(cx, &p, rc, sc);
        if let (Some(what), Some(times)) = (what, times) {
            out.extend(times.into_iter().map(|at| Change {
                at,
                what: what.clone(),
            }));
        }
    }
    out.sort_by_key(|c| c.at);
    out
}

/// When a change applies: its instant inside the run, or its daily local
/// time on every day of the run.
fn instants(cx: &mut Cx, p: &KeyPath, rc: &RawChange, sc: &Scenario) -> Option<Vec<SimTime>> {
    let end = sc.run.measure_to();
    match (&rc.at, &rc.daily) {
        (Some(at), None) => {
            let t = sc.run.clock.sim_of(cx.instant(&p.key("at"), at)?);
            if t < 0 || t as SimTime > end {
                cx.issue(
                    &p.key("at"),
                    format!("`{at}` is outside the run (it must fall between the run's start and its end)"),
                );
                return None;
            }
            Some(vec![t as SimTime])
        }
        (None, Some(daily)) => {
            let clock = cx.check(&p.key("daily"), parse_clock(daily))?;
            if clock >= DAY_MS {
                cx.issue(&p.key("daily"), "daily must be a time of day before 24:00");
                return None;
            }
            // The first such local time at or after the start, then every day.
            let first = (clock + DAY_MS - sc.run.clock.ms_of_day(0)) % DAY_MS;
            Some((first..=end).step_by(DAY_MS as usize).collect())
        }
        _ => {
            cx.issue(
                p,
                "give either `at` (an instant) or `daily` (a time of day), not both",
            );
            None
        }
    }
}

fn what(cx: &mut Cx, p: &KeyPath, rc: &RawChange, sc: &Scenario) -> Option<ChangeKind> {
    let shop_wide = rc.nobody_online.is_some();
    match (
        &rc.agents,
        rc.max_concurrent,
        &rc.groups,
        &rc.group,
        &rc.policy,
    ) {
        (None, None, None, None, None) if shop_wide => {
            let text = rc.nobody_online.as_deref().unwrap_or_default();
            match NobodyOnline::parse(text) {
                Some(NobodyOnline::MainAccount) if sc.main_account().is_none() => {
                    cx.issue(&p.key("nobody_online"), MAIN_ACCOUNT_NEEDED);
                    None
                }
                Some(value) => Some(ChangeKind::NobodyOnline(value)),
                None => {
                    let names: Vec<&str> = NobodyOnline::ALL.iter().map(|(n, _)| *n).collect();
                    cx.issue(
                        &p.key("nobody_online"),
                        format!("unknown value `{text}` (allowed: {})", names.join(", ")),
                    );
                    None
                }
            }
        }
        (Some(name), Some(cap), None, None, None) if !shop_wide => {
            let entry = entry(cx, p, name, sc);
            let cap = cx.int_in(
                &p.key("max_concurrent"),
                cap,
                1,
                i64::from(MAX_CONCURRENT_LIMIT),
            );
            Some(ChangeKind::Cap {
                entry: entry?,
                cap: cap?,
            })
        }
        (Some(name), None, Some(list), None, None) if !shop_wide => {
            let entry = entry(cx, p, name, sc);
            let groups = group_list(cx, &p.key("groups"), list, sc);
            Some(ChangeKind::Groups {
                entry: entry?,
                groups: groups?,
            })
        }
        (None, None, None, Some(name), Some(policy)) if !shop_wide => {
            let group = group(cx, &p.key("group"), name, sc);
            let Some(policy) = PolicyKind::parse(policy) else {
                cx.issue(
                    &p.key("policy"),
                    format!(
                        "unknown policy `{policy}` (allowed: {})",
                        PolicyKind::names()
                    ),
                );
                return None;
            };
            Some(ChangeKind::Policy {
                group: group?,
                policy,
            })
        }
        _ => {
            cx.issue(
                p,
                "a change sets one of: `agents` + `max_concurrent` (an entry's cap), `agents` + `groups` (the groups an entry serves), `group` + `policy`, or `nobody_online`",
            );
            None
        }
    }
}

/// The `[[agents]]` entry named `name`.
fn entry(cx: &mut Cx, p: &KeyPath, name: &str, sc: &Scenario) -> Option<usize> {
    let found = sc.entries.iter().position(|e| e.name == name);
    if found.is_none() {
        let known: Vec<&str> = sc.entries.iter().map(|e| e.name.as_str()).collect();
        cx.issue(
            &p.key("agents"),
            format!(
                "unknown [[agents]] entry `{name}` (entries: {})",
                known.join(", ")
            ),
        );
    }
    found
}

/// The group named `name`.
fn group(cx: &mut Cx, p: &KeyPath, name: &str, sc: &Scenario) -> Option<usize> {
    let found = sc.groups.iter().position(|g| g.name == name);
    if found.is_none() {
        let known: Vec<&str> = sc.groups.iter().map(|g| g.name.as_str()).collect();
        cx.issue(
            p,
            format!(
                "unknown group `{name}` (groups: {}; a group no entry serves from the start is declared with [[groups]] name)",
                known.join(", ")
            ),
        );
    }
    found
}

/// A change's `groups`: known names, each once, at least one.
fn group_list(cx: &mut Cx, p: &KeyPath, list: &[String], sc: &Scenario) -> Option<Vec<usize>> {
    if list.is_empty() {
        cx.issue(
            p,
            "groups must not be empty (an agent serves at least one group)",
        );
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (k, name) in list.iter().enumerate() {
        if list[..k].contains(name) {
            cx.issue(&p.index(k), format!("group `{name}` is listed twice"));
            ok = false;
        } else if let Some(g) = group(cx, &p.index(k), name, sc) {
            out.push(g);
        } else {
            ok = false;
        }
    }
    ok.then_some(out)
}
