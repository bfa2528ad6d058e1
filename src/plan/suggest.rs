//! Template suggestions: which one extra shift template would cut the
//! roster's cost most, verified by simulation.
//!
//! Candidates are single daily windows of [`LENGTHS_H`] hours starting on
//! every half hour, on each local day the window touches (a `days = [...]`
//! template) and on every day. Each is added alone to the plan's templates
//! and the roster re-solved for the plan's needed heads; the candidates that
//! save most (and are not a shifted copy of a better one) are then
//! staffed and simulated exactly as the plan's own roster is
//! ([`staff_roster`]), and reported with the cost their verified roster has.

use super::*;
use crate::shifts::{Break, Window, WorkDays};
use crate::time::{DAY_MS, MINUTE_MS, WEEKDAYS, format_clock, weekday_of_day};

/// Lengths of the candidate shifts, in hours (6 h with a 20-minute break
/// after 3 h; shorter ones without a break).
pub const LENGTHS_H: [u64; 4] = [2, 3, 4, 6];
/// The candidate lengths for people: `2/3/4/6`.
pub fn suggest_lengths() -> String {
    LENGTHS_H
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join("/")
}

/// Candidate shifts start every this many minutes.
const STEP_MIN: u64 = 30;
/// Candidates verified by simulation (the best ones by roster cost).
pub const VERIFIED: usize = 3;
/// A candidate must save at least this many agent-hours before verification.
const MIN_SAVING_H: f64 = 1.0;

/// One suggested template and what it did in its own verification.
#[derive(Debug, Clone)]
pub struct Suggestion {
    /// The template to add to `[[plan.shifts]]`.
    pub template: ShiftTemplate,
    /// Agents per template: the plan's templates, then the suggested one.
    pub counts: Vec<u32>,
    /// The verified roster's on-duty agent-hours in the window.
    pub agent_hours: f64,
    /// Agent-hours saved against the plan's roster (negative: costs more).
    pub saving: f64,
    /// Its roster meets every target in every interval of its simulation.
    pub accepted: bool,
    /// Intervals its simulation misses a target in.
    pub misses: usize,
    /// Verification rounds it took.
    pub rounds: u32,
}

/// The candidate templates for `base`'s window.
fn candidates(base: &Scenario, spec: &PlanSpec) -> Vec<ShiftTemplate> {
    let run = &base.run;
    let from = run.clock.day(run.measure_from());
    let to = run.clock.day(run.measure_to().saturating_sub(1));
    // Day options: every day, and each weekday the window touches (the day
    // before included: an evening shift can run into the window).
    let mut days: Vec<Option<usize>> = vec![None];
    if to - from < 6 {
        for d in from - 1..=to {
            let w = weekday_of_day(d);
            if !days.contains(&Some(w)) {
                days.push(Some(w));
            }
        }
    }
    let anchor_day = run.clock.day(0);
    let mut out = Vec::new();
    for &len_h in &LENGTHS_H {
        let len = len_h * HOUR_MS;
        let breaks = if len_h >= 6 {
            vec![Break {
                after: 3 * HOUR_MS,
                length: 20 * MINUTE_MS,
            }]
        } else {
            Vec::new()
        };
        for &day in &days {
            for k in 0..DAY_MS / (STEP_MIN * MINUTE_MS) {
                let start = k * STEP_MIN * MINUTE_MS;
                let end = match (start + len) % DAY_MS {
                    0 => "24:00".to_string(),
                    e => format_clock(e),
                };
                let mut mask = [day.is_none(); 7];
                if let Some(d) = day {
                    mask[d] = true;
                }
                let day_name = day.map(|d| WEEKDAYS[d]);
                let name = match day_name {
                    Some(d) => format!("{len_h}h-{}-{d}", format_clock(start)),
                    None => format!("{len_h}h-{}", format_clock(start)),
                };
                if spec.shifts.iter().any(|t| t.name == name) {
                    continue;
                }
                let mut toml = format!("{{ start = \"{}\", end = \"{end}\"", format_clock(start));
                if let Some(d) = day_name {
                    toml.push_str(&format!(", days = [\"{d}\"]"));
                }
                if !breaks.is_empty() {
                    toml.push_str(", breaks = [{ after = \"3h\", length = \"20m\" }]");
                }
                toml.push_str(" }");
                out.push(ShiftTemplate {
                    name,
                    plan: ShiftPlan {
                        dates: Default::default(),
                        patterns: vec![vec![Window { start, len }]],
                        rotate_every_days: 7,
                        work_days: WorkDays::Weekdays(mask),
                        breaks: breaks.clone(),
                        anchor_day,
                        fixed: Vec::new(),
                    },
                    max: None,
                    toml,
                });
            }
        }
    }
    out
}

/// Tries every candidate template against the plan's roster `plan` (for
/// the requirement `req`) and verifies the best [`VERIFIED`] by simulation;
/// returns them best first by verified saving.
pub(super) fn suggest(
    base: &Scenario,
    spec: &PlanSpec,
    req: &[u32],
    plan: &Staffed,
    threads: Option<usize>,
    log: &mut dyn FnMut(&str),
) -> Result<Vec<Suggestion>, PlanError> {
    let n = base.run.intervals();
    let (cover, hours) = coverage(base, spec);
    let starts: Vec<String> = (0..n).map(|i| format!("interval {i}")).collect();
    // Screen: the integer roster with each candidate added, for the same
    // needed heads as the plan's final roster.
    let mut screened: Vec<(f64, ShiftTemplate, Vec<f64>)> = Vec::new();
    for cand in candidates(base, spec) {
        let (col, h) = plan_coverage(base, &cand.plan);
        if col.iter().all(|&c| c <= 0.0)
            || (0..spec.shifts.len()).any(|t| (0..n).all(|i| (cover[i][t] - col[i]).abs() < 1e-9))
        {
            continue;
        }
        let mut with = spec.clone();
        with.shifts.push(cand.clone());
        let cov: Vec<Vec<f64>> = cover
            .iter()
            .zip(&col)
            .map(|(row, &c)| row.iter().copied().chain([c]).collect())
            .collect();
        let hrs: Vec<f64> = hours.iter().copied().chain([h]).collect();
        let Ok((x, _)) = roster(&with, &starts, &cov, &hrs, &plan.needed) else {
            continue;
        };
        if x.last().copied().unwrap_or(0) == 0 {
            continue;
        }
        let cost: f64 = x.iter().zip(&hrs).map(|(&c, &h)| f64::from(c) * h).sum();
        let saving = plan.agent_hours - cost;
        if saving >= MIN_SAVING_H {
            screened.push((saving, cand, col));
        }
    }
    screened.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
    // The best few that do not mostly cover the hours of a better one.
    let mut chosen: Vec<(ShiftTemplate, Vec<f64>)> = Vec::new();
    for (_, cand, col) in screened {
        if chosen.len() >= VERIFIED {
            break;
        }
        // Shifted copies of a chosen one (sharing at least half of the
        // longer's hours) add nothing; a short shift inside a long one may.
        let own: f64 = col.iter().sum();
        let overlaps = chosen.iter().any(|(_, c)| {
            let shared: f64 = c.iter().zip(&col).map(|(a, b)| a.min(*b)).sum();
            shared >= 0.5 * own.max(c.iter().sum())
        });
        if !overlaps {
            chosen.push((cand, col));
        }
    }
    let mut out = Vec::new();
    for (cand, _) in chosen {
        let mut with = spec.clone();
        with.shifts.push(cand.clone());
        let name = cand.name.clone();
        let s = staff_roster(base, &with, req, plan.extra.clone(), threads, &mut |line| {
            log(&format!("plan: suggestion {name}: {line}"))
        })?;
        out.push(Suggestion {
            template: cand,
            saving: plan.agent_hours - s.agent_hours,
            misses: s.verified.iter().filter(|v| !**v).count(),
            counts: s.counts,
            agent_hours: s.agent_hours,
            accepted: s.accepted,
            rounds: s.rounds,
        });
    }
    out.sort_by(|a, b| {
        b.accepted
            .cmp(&a.accepted)
            .then(b.saving.total_cmp(&a.saving))
            .then_with(|| a.template.name.cmp(&b.template.name))
    });
    Ok(out)
}
