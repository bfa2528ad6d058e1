//! Scenarios with the pool replaced: by a staffing vector (exactly `n[i]`
//! pool agents on duty in interval `i`) or by a roster of shift templates.

use super::*;
use crate::scenario::Change;

/// An `[[agents]]` entry to add to a scenario.
struct Addition {
    entry: AgentEntry,
    template: AgentSpec,
}

/// `base` without the entries `spec.replace`, with `additions` appended
/// and every group's members recomputed; following the additions' agents
/// and the pool's groups per interval. With no addition at all, one pool
/// agent that is never on duty keeps the pool's groups from being empty.
fn restaffed(base: &Scenario, spec: &PlanSpec, mut additions: Vec<Addition>) -> Scenario {
    let replace = &spec.replace;
    let pool = template(base, spec);
    if additions.iter().all(|a| a.entry.count == 0) {
        additions = vec![Addition {
            entry: AgentEntry {
                name: format!("{}-none", base.entries[spec.entry].name),
                count: 1,
                shift: Some(fixed_plan(vec![(i64::MAX - 1, i64::MAX)])),
                episodes: Vec::new(),
            },
            template: pool.clone(),
        }];
    }
    let mut sc = base.clone();
    let kept: Vec<usize> = (0..base.entries.len())
        .filter(|e| !replace.contains(e))
        .collect();
    sc.entries = kept.iter().map(|&e| base.entries[e].clone()).collect();
    sc.agents = base
        .agents
        .iter()
        .filter(|a| !replace.contains(&a.entry))
        .map(|a| {
            let mut a = a.clone();
            a.entry = kept.iter().position(|&e| e == a.entry).unwrap_or(0);
            a
        })
        .collect();
    let first_new = sc.agents.len();
    for add in additions {
        let count = add.entry.count;
        for k in 0..count {
            let name = if count == 1 {
                add.entry.name.clone()
            } else {
                let width = count.to_string().len().max(2);
                format!("{}-{:0width$}", add.entry.name, k + 1)
            };
            let stagger = add
                .entry
                .shift
                .as_ref()
                .map_or(Stagger::default(), |s| s.stagger(k, count));
            sc.agents.push(AgentSpec {
                name,
                entry: sc.entries.len(),
                stagger,
                main_account: false,
                ..add.template.clone()
            });
        }
        sc.entries.push(add.entry);
    }
    // Scheduled caps and groups follow the entries: kept ones are
    // renumbered, the pool's apply to every planned entry (they copy its
    // cap and groups), the other replaced entries' are gone with them.
    let added = kept.len()..sc.entries.len();
    sc.schedule = base
        .schedule
        .iter()
        .flat_map(|c| {
            let change = |entry| Change {
                at: c.at,
                what: c.what.for_entry(entry),
            };
            match c.what.entry() {
                Some(entry) if entry == spec.entry => added.clone().map(change).collect(),
                Some(entry) => kept
                    .iter()
                    .position(|&k| k == entry)
                    .map(change)
                    .into_iter()
                    .collect(),
                None => vec![c.clone()],
            }
        })
        .collect::<Vec<_>>();
    for (g, group) in sc.groups.iter_mut().enumerate() {
        group.members = (0..sc.agents.len())
            .filter(|&i| sc.agents[i].groups.contains(&g))
            .collect();
    }
    sc.focus = Some(Focus {
        groups: (0..sc.groups.len())
            .map(|g| pool.groups.contains(&g))
            .collect(),
        agents: (0..sc.agents.len()).map(|i| i >= first_new).collect(),
    });
    sc.plan = None;
    sc
}

/// The pool's agent template: the planned entry's first agent.
pub(super) fn template(base: &Scenario, spec: &PlanSpec) -> AgentSpec {
    base.agents
        .iter()
        .find(|a| a.entry == spec.entry)
        .cloned()
        .expect("validated: the planned entry has agents")
}

/// `base` with the pool staffed by the vector `n` (agents on duty per interval).
pub fn with_staffing(base: &Scenario, spec: &PlanSpec, n: &[u32]) -> Scenario {
    let run = &base.run;
    let top = n.iter().copied().max().unwrap_or(0).max(1);
    let tpl = template(base, spec);
    let episodes = base.entries[spec.entry].episodes.clone();
    let name = &base.entries[spec.entry].name;
    let additions = (0..top)
        .map(|k| {
            // Agent k works the intervals where n[i] > k, merged into windows.
            let mut fixed: Vec<(i64, i64)> = Vec::new();
            for (i, &need) in n.iter().enumerate() {
                if need > k {
                    let start = (run.measure_from() + i as u64 * run.interval) as i64;
                    let end = (start as u64 + run.interval).min(run.measure_to()) as i64;
                    match fixed.last_mut() {
                        Some(last) if last.1 == start => last.1 = end,
                        _ => fixed.push((start, end)),
                    }
                }
            }
            // Before the window (warm-up), staff as in the first interval.
            if n.first().is_some_and(|&f| f > k) && run.measure_from() > 0 {
                fixed[0].0 = 0;
            }
            if fixed.is_empty() {
                // Never on duty.
                fixed.push((i64::MAX - 1, i64::MAX));
            }
            Addition {
                entry: AgentEntry {
                    name: format!("{name}-plan-{:03}", k + 1),
                    count: 1,
                    shift: Some(fixed_plan(fixed)),
                    episodes: episodes.clone(),
                },
                template: tpl.clone(),
            }
        })
        .collect();
    restaffed(base, spec, additions)
}

/// A shift plan of fixed duty windows only.
fn fixed_plan(fixed: Vec<(i64, i64)>) -> ShiftPlan {
    ShiftPlan {
        dates: Default::default(),
        patterns: vec![Vec::new()],
        rotate_every_days: 7,
        work_days: crate::shifts::WorkDays::Weekdays([true; 7]),
        breaks: Vec::new(),
        anchor_day: 0,
        fixed,
    }
}

/// `base` with the pool staffed by `counts[t]` agents on shift template `t`.
pub fn with_roster(base: &Scenario, spec: &PlanSpec, counts: &[u32]) -> Scenario {
    let tpl = template(base, spec);
    let episodes = base.entries[spec.entry].episodes.clone();
    let name = &base.entries[spec.entry].name;
    let additions = spec
        .shifts
        .iter()
        .zip(counts)
        .filter(|(_, c)| **c > 0)
        .map(|(t, &count)| Addition {
            entry: AgentEntry {
                name: format!("{name}-{}", t.name),
                count,
                shift: Some(t.plan.clone()),
                episodes: episodes.clone(),
            },
            template: tpl.clone(),
        })
        .collect();
    restaffed(base, spec, additions)
}
