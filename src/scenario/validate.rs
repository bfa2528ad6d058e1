//! Raw file values → a valid [`Scenario`], collecting every problem with its key path.

use std::collections::BTreeMap;

mod demand;
mod gates;
mod routing;
mod schedule;
mod staff;

use demand::{arrivals, buyers, entry_names, entry_shares, service};
use gates::{compare, plan, thresholds};
use routing::routing_service;
use routing::{entry_groups, menus, policy, routing, vip_channel};
use staff::{Staff, staff};

use super::PolicyKind;
use super::locate::{Issue, KeyPath};
use super::raw::*;
use super::{
    AgentEntry, AgentSpec, Buyers, Dialogue, Episode, EpisodeState, Fairness, Group,
    MAX_CONCURRENT_LIMIT, NobodyOnline, Offer, Overload, QueueOrder, Routing, Run, Scenario,
    Service, ServiceModel, ShiftEnd, Sla, Transfer, TransferAfter, Variant, VipChannel, VipTier,
};
use crate::arrivals::{ArrivalModel, Base, EntryPoint, Holiday, Peak, Profile};
use crate::dist::{Count, Distribution, Spec};
use crate::shifts::{Break, ShiftPlan, Window, WorkDays};
use crate::time::{
    DAY_MS, HOUR_MS, Instant, LocalClock, MINUTE_MS, Millis, SECOND_MS, WEEKDAYS, format_duration,
    parse_clock, parse_date, parse_duration, parse_instant,
};

/// Longest run accepted.
const MAX_RUN_DAYS: u64 = 366;
/// Most agents accepted in one scenario.
const MAX_AGENTS: u64 = 100_000;
/// Most time-series intervals accepted.
const MAX_INTERVALS: u64 = 120_000;
/// Most first-response thresholds accepted.
const MAX_THRESHOLDS: usize = 16;
/// Most groups accepted.
const MAX_GROUPS: usize = 1_000;
/// Most replications accepted.
const MAX_REPLICATIONS: i64 = 10_000;
/// Highest base rate (arrivals per hour) accepted.
const MAX_RATE_PER_HOUR: f64 = 1e7;
/// Highest multiplier accepted for profiles, weekdays, holidays and peaks.
const MAX_FACTOR: f64 = 1e4;
/// Highest total arrival rate (per hour) the combined factors may reach.
const MAX_TOTAL_RATE_PER_HOUR: f64 = 1e8;
/// Name of the one group used when the scenario names none.
pub const SHOP_GROUP: &str = "shop";

#[derive(Default)]
pub(super) struct Cx {
    issues: Vec<Issue>,
}

impl Cx {
    fn issue(&mut self, path: &KeyPath, message: impl Into<String>) {
        self.issues.push(Issue {
            path: path.clone(),
            message: message.into(),
        });
    }

    fn check<T>(&mut self, path: &KeyPath, r: Result<T, String>) -> Option<T> {
        r.map_err(|m| self.issue(path, m)).ok()
    }

    fn duration(&mut self, path: &KeyPath, text: &str) -> Option<Millis> {
        self.check(path, parse_duration(text))
    }

    fn opt_duration(
        &mut self,
        path: &KeyPath,
        text: Option<&String>,
        default: Millis,
    ) -> Option<Millis> {
        text.map_or(Some(default), |t| self.duration(path, t))
    }

    fn instant(&mut self, path: &KeyPath, text: &str) -> Option<Instant> {
        self.check(path, parse_instant(text))
    }

    /// An integer in `lo..=hi`, with a message naming the key and the range.
    fn int_in(&mut self, path: &KeyPath, value: i64, lo: i64, hi: i64) -> Option<u32> {
        if (lo..=hi).contains(&value) {
            Some(value as u32)
        } else {
            self.issue(
                path,
                format!("{} must be {lo}..={hi}, got {value}", last_key(path)),
            );
            None
        }
    }

    /// A finite number in `lo..=hi`, with a message naming the key and the range.
    fn in_range(&mut self, path: &KeyPath, value: f64, lo: f64, hi: f64) -> Option<f64> {
        if value.is_finite() && (lo..=hi).contains(&value) {
            Some(value)
        } else {
            let (lo, hi, value) = (num(lo), num(hi), num(value));
            self.issue(
                path,
                format!(
                    "{} must be between {lo} and {hi}, got {value}",
                    last_key(path)
                ),
            );
            None
        }
    }

    fn non_negative(&mut self, path: &KeyPath, value: f64) -> Option<f64> {
        if value.is_finite() && value >= 0.0 {
            Some(value)
        } else {
            self.issue(
                path,
                format!(
                    "{} must be a finite number >= 0, got {}",
                    last_key(path),
                    num(value)
                ),
            );
            None
        }
    }
}

/// The last key of a path with any indices after it: `slowdown[0]`, `max_concurrent`.
fn last_key(path: &KeyPath) -> String {
    use super::locate::Seg;
    let start = path
        .0
        .iter()
        .rposition(|s| matches!(s, Seg::Key(_)))
        .unwrap_or(0);
    KeyPath(path.0[start..].to_vec()).to_string()
}

/// A number as a user would write it: plain when moderate, scientific when huge or tiny.
fn num(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e7).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Validates a whole scenario.
pub fn scenario(raw: RawScenario, default_name: &str) -> Result<Scenario, Vec<Issue>> {
    let mut cx = Cx::default();
    let root = KeyPath::default();
    let run = run(&mut cx, &root.key("run"), &raw.run);
    let name = raw
        .run
        .name
        .clone()
        .unwrap_or_else(|| default_name.to_string());
    let entry_shares = entry_shares(
        &mut cx,
        &root.key("buyers").key("entries"),
        raw.buyers.entries.as_ref(),
    );
    let arrivals = match (&run, entry_shares) {
        (Some(run), Some(shares)) => {
            arrivals(&mut cx, &root.key("arrivals"), &raw.arrivals, run, shares)
        }
        _ => None,
    };
    let buyers = buyers(&mut cx, &root.key("buyers"), &raw.buyers);
    let service = service(&mut cx, &root.key("service"), &raw.service);
    let default_policy = policy(
        &mut cx,
        &root.key("routing").key("policy"),
        raw.routing.policy.as_deref(),
    );
    // Validated even when [run] or the policy is broken, so that every problem is reported at once.
    let staff = staff(
        &mut cx,
        &root,
        &raw,
        run.as_ref(),
        default_policy.unwrap_or(PolicyKind::LeastActive),
    );
    let menus = match &staff {
        Some(staff) => menus(&mut cx, &root.key("routing").key("menu"), &raw, staff),
        None => None,
    };
    let entry_group = match (&staff, &arrivals, &menus) {
        (Some(staff), Some(arr), Some(menus)) => entry_groups(
            &mut cx,
            &root.key("routing").key("entry_groups"),
            &raw,
            staff,
            arr,
            menus,
        ),
        _ => None,
    };
    let sla = sla(
        &mut cx,
        &root.key("sla").key("thresholds"),
        raw.sla.thresholds.as_ref(),
    )
    .map(|thresholds_s| Sla { thresholds_s });
    let routing = routing(&mut cx, &root.key("routing"), &raw.routing);
    let require: Vec<_> = raw
        .thresholds
        .require
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let path = root.key("thresholds").key("require").index(i);
            let t = cx.check(&path, crate::catalog::parse_threshold(text));
            (path, t)
        })
        .collect();
    if let (Some(service), Some(routing)) = (&service, &routing)
        && service.dialogue().is_some()
        && routing.shift_end == ShiftEnd::Reroute
    {
        cx.issue(
            &root.key("routing").key("shift_end"),
            "shift_end = \"reroute\" is available with the session model only (allowed with the dialogue model: finish, stuck)",
        );
    }
    if let (Some(service), Some(staff)) = (&service, &staff) {
        for (g, group) in staff.groups.iter().enumerate() {
            if let Some(super::Transfer {
                after: super::TransferAfter::Rounds(_),
                ..
            }) = group.transfer
                && service.dialogue().is_none()
            {
                let i = raw
                    .groups
                    .iter()
                    .position(|r| r.name == group.name)
                    .unwrap_or(g);
                cx.issue(
                    &root.key("groups").index(i).key("transfer").key("after_rounds"),
                    "after_rounds needs the dialogue model; with the session model use `after` (a duration)",
                );
            }
        }
    }
    if let Some(staff) = &staff {
        cross_checks(&mut cx, &root, staff, buyers.as_ref(), routing.as_ref());
    }
    match (
        run,
        arrivals,
        buyers,
        service,
        staff,
        entry_group,
        sla,
        routing,
    ) {
        (
            Some(run),
            Some(arrivals),
            Some(buyers),
            Some(service),
            Some(staff),
            Some(entry_group),
            Some(sla),
            Some(routing),
        ) if cx.issues.is_empty() => {
            let menus = menus.expect("computed with staff");
            let Staff {
                entries,
                agents,
                groups,
            } = staff;
            let mut sc = Scenario {
                name,
                run,
                arrivals,
                buyers,
                service,
                entries,
                agents,
                groups,
                entry_group,
                menus,
                sla,
                routing,
                thresholds: Vec::new(),
                compare: crate::catalog::GateSpec::default(),
                plan: None,
                focus: None,
                router: None,
                router_timeout_ms: crate::scenario::ServiceSpec::DEFAULT_TIMEOUT_MS,
                schedule: Vec::new(),
            };
            sc.schedule = schedule::schedule(&mut cx, &root.key("schedule"), &raw.schedule, &sc);
            (sc.router, sc.router_timeout_ms) =
                routing_service(&mut cx, &root.key("routing"), &raw.routing);
            sc.routing.vip_channel = vip_channel(
                &mut cx,
                &root.key("routing").key("vip_channel"),
                &raw.routing,
                &sc,
            );
            sc.thresholds = thresholds(&mut cx, &require, &sc);
            if let Some(raw_compare) = &raw.compare {
                sc.compare = compare(&mut cx, &root.key("compare"), raw_compare, &sc);
            }
            if let Some(raw_plan) = &raw.plan {
                sc.plan = plan(&mut cx, &root.key("plan"), raw_plan, &sc);
            }
            if cx.issues.is_empty() {
                Ok(sc)
            } else {
                Err(cx.issues)
            }
        }
        _ => Err(cx.issues),
    }
}

/// The error for `nobody_online = "main_account"` in a shop without one.
const MAIN_ACCOUNT_NEEDED: &str = "nobody_online = \"main_account\" needs a main account; mark one [[agents]] entry with main_account = true";

/// Rules that tie sections together: features that need a main account.
fn cross_checks(
    cx: &mut Cx,
    root: &KeyPath,
    staff: &Staff,
    buyers: Option<&Buyers>,
    routing: Option<&Routing>,
) {
    let fallback = routing.is_some_and(|r| r.nobody_online == NobodyOnline::MainAccount);
    for (g, group) in staff.groups.iter().enumerate() {
        if !fallback && group.members.iter().all(|&i| !staff.agents[i].routable) {
            cx.issue(
                &root.key("groups").index(g),
                format!(
                    "group `{}` has no routable agent, so its chats would never be routed; make one agent routable (or use nobody_online = \"main_account\")",
                    group.name
                ),
            );
        }
    }
    if staff.agents.iter().any(|a| a.main_account) {
        return;
    }
    if buyers.is_some_and(|b| b.private_share > 0.0) {
        cx.issue(
            &root.key("buyers").key("private_share"),
            "private contacts (私密联系人) belong to the main account; mark one [[agents]] entry with main_account = true",
        );
    }
    if routing.is_some_and(|r| r.nobody_online == NobodyOnline::MainAccount) {
        cx.issue(
            &root.key("routing").key("nobody_online"),
            MAIN_ACCOUNT_NEEDED,
        );
    }
}

fn run(cx: &mut Cx, path: &KeyPath, raw: &RawRun) -> Option<Run> {
    let start = cx.instant(&path.key("start"), &raw.start);
    let duration = cx
        .duration(&path.key("duration"), &raw.duration)
        .and_then(|d| {
            if d == 0 || d > MAX_RUN_DAYS * DAY_MS {
                cx.issue(
                    &path.key("duration"),
                    format!(
                        "duration must be > 0 and at most {MAX_RUN_DAYS}d, got {}",
                        raw.duration
                    ),
                );
                None
            } else {
                Some(d)
            }
        });
    let warmup = cx.opt_duration(&path.key("warmup"), raw.warmup.as_ref(), 0);
    let replications = cx.int_in(
        &path.key("replications"),
        raw.replications.unwrap_or(1),
        1,
        MAX_REPLICATIONS,
    );
    let seed = match raw.seed {
        Some(s) if s < 0 => {
            cx.issue(&path.key("seed"), format!("seed must be >= 0, got {s}"));
            None
        }
        s => Some(s.unwrap_or(1) as u64),
    };
    let interval = cx.opt_duration(&path.key("interval"), raw.interval.as_ref(), 15 * MINUTE_MS);
    let (start, duration, warmup, replications, seed, interval) =
        (start?, duration?, warmup?, replications?, seed?, interval?);
    if warmup >= duration {
        cx.issue(
            &path.key("warmup"),
            format!("warmup ({}) must be shorter than duration ({}): warm-up is the first part of the run", format_duration(warmup), format_duration(duration)),
        );
        return None;
    }
    if interval < SECOND_MS || (duration - warmup).div_ceil(interval) > MAX_INTERVALS {
        cx.issue(&path.key("interval"), format!("interval must be at least 1s and give at most {MAX_INTERVALS} intervals over the measured window"));
        return None;
    }
    let clock = LocalClock::new(start);
    Some(Run {
        start,
        clock,
        duration,
        warmup,
        replications,
        seed,
        interval,
    })
}

fn sla(cx: &mut Cx, path: &KeyPath, raw: Option<&Vec<String>>) -> Option<Vec<u32>> {
    let defaults = ["20s", "60s", "120s", "180s"].map(String::from).to_vec();
    let list = raw.unwrap_or(&defaults);
    if list.len() > MAX_THRESHOLDS {
        cx.issue(
            path,
            format!("at most {MAX_THRESHOLDS} thresholds, got {}", list.len()),
        );
        return None;
    }
    let mut out = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let ms = cx.duration(&path.index(i), t)?;
        if ms == 0 || ms % SECOND_MS != 0 {
            cx.issue(
                &path.index(i),
                format!("thresholds must be whole seconds > 0, got {t}"),
            );
            return None;
        }
        out.push((ms / SECOND_MS) as u32);
    }
    out.push(120);
    out.sort_unstable();
    out.dedup();
    Some(out)
}
