//! Raw file values → a valid [`Scenario`], collecting every problem with its key path.

use std::collections::BTreeMap;

mod demand;
mod staff;

use demand::{arrivals, buyers, entry_names, entry_shares, service};
use staff::{Staff, staff};

use super::PolicyKind;
use super::locate::{Issue, KeyPath};
use super::raw::*;
use super::{
    AgentEntry, AgentSpec, Buyers, Dialogue, Episode, EpisodeState, Fairness, Group,
    MAX_CONCURRENT_LIMIT, NobodyOnline, Offer, QueueOrder, Routing, Run, Scenario, Service,
    ServiceModel, ShiftEnd, Sla, Transfer, TransferAfter, Variant, VipTier,
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
                plan: None,
                focus: None,
            };
            sc.thresholds = thresholds(&mut cx, &require, &sc);
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

/// `[plan]` against the built scenario.
fn plan(cx: &mut Cx, path: &KeyPath, raw: &RawPlan, sc: &Scenario) -> Option<super::PlanSpec> {
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
        if let Some(t) = cx.check(&p, crate::catalog::parse_threshold(text))
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
            .any(|t: &super::ShiftTemplate| t.name == s.name)
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
            shifts.push(super::ShiftTemplate {
                name: s.name.clone(),
                plan,
                max,
                toml,
            });
        }
    }
    match (entry, shrinkage, max_agents) {
        (Some(entry), Some(shrinkage), Some(max_agents)) if cx.issues.len() == before => {
            Some(super::PlanSpec {
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
fn thresholds(
    cx: &mut Cx,
    parsed: &[(KeyPath, Option<crate::catalog::Threshold>)],
    sc: &Scenario,
) -> Vec<crate::catalog::Threshold> {
    let names = crate::catalog::names(&sc.shape());
    let mut out = Vec::new();
    for (path, t) in parsed {
        let Some(t) = t else { continue };
        if names.contains(&t.metric) {
            out.push(t.clone());
        } else {
            let like: Vec<&str> = names
                .iter()
                .filter(|n| {
                    let stem = t.metric.rsplit('.').next().unwrap_or(&t.metric);
                    n.ends_with(stem) || n.contains(stem)
                })
                .take(6)
                .map(String::as_str)
                .collect();
            let hint = if like.is_empty() {
                "see `definitions` in summary.json for every metric name".to_string()
            } else {
                format!("metrics with a similar name: {}", like.join(", "))
            };
            cx.issue(
                path,
                format!("unknown metric `{}` in threshold ({hint})", t.metric),
            );
        }
    }
    out
}

/// A named choice among `allowed` (first = default).
fn choice<T: Copy>(
    cx: &mut Cx,
    path: &KeyPath,
    value: Option<&str>,
    allowed: &[(&str, T)],
) -> Option<T> {
    let Some(value) = value else {
        return Some(allowed[0].1);
    };
    let found = allowed.iter().find(|(n, _)| *n == value).map(|(_, t)| *t);
    if found.is_none() {
        let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
        cx.issue(
            path,
            format!(
                "unknown {} \"{value}\" (allowed: {})",
                last_key(path),
                names.join(", ")
            ),
        );
    }
    found
}

fn routing(cx: &mut Cx, path: &KeyPath, raw: &RawRouting) -> Option<Routing> {
    let nobody_online = choice(
        cx,
        &path.key("nobody_online"),
        raw.nobody_online.as_deref(),
        &[
            ("queue", NobodyOnline::Queue),
            ("offline_message", NobodyOnline::OfflineMessage),
            ("main_account", NobodyOnline::MainAccount),
        ],
    );
    let shift_end = choice(
        cx,
        &path.key("shift_end"),
        raw.shift_end.as_deref(),
        &[
            ("finish", ShiftEnd::Finish),
            ("reroute", ShiftEnd::Reroute),
            ("stuck", ShiftEnd::Stuck),
        ],
    );
    let queue_order = choice(
        cx,
        &path.key("queue_order"),
        raw.queue_order.as_deref(),
        &[("fifo", QueueOrder::Fifo), ("lifo", QueueOrder::Lifo)],
    );
    let max_queue = match raw.max_queue {
        Some(v) => cx
            .int_in(&path.key("max_queue"), v, 0, 100_000_000)
            .map(Some),
        None => Some(None),
    };
    let fairness = match &raw.fairness {
        Some(f) => {
            let p = path.key("fairness");
            let max = cx.int_in(&p.key("max_assignments"), f.max_assignments, 1, 1000);
            let window = cx.duration(&p.key("window"), &f.window);
            if window.is_some_and(|w| w == 0 || w > DAY_MS) {
                cx.issue(&p.key("window"), "window must be > 0 and at most 1d");
                None
            } else {
                Some(Some(Fairness {
                    max: max?,
                    window: window?,
                }))
            }
        }
        None => Some(None),
    };
    let processing_message_after = match &raw.processing_message_after {
        Some(t) => {
            let d = cx.duration(&path.key("processing_message_after"), t)?;
            if d == 0 {
                cx.issue(
                    &path.key("processing_message_after"),
                    "processing_message_after must be > 0",
                );
                return None;
            }
            Some(d)
        }
        None => None,
    };
    Some(Routing {
        nobody_online: nobody_online?,
        direct_respects_cap: raw.direct_respects_cap.unwrap_or(true),
        sticky_respects_cap: raw.sticky_respects_cap.unwrap_or(true),
        shift_end: shift_end?,
        queue_order: queue_order?,
        max_queue: max_queue?,
        abandon_to_offline: raw.abandon_to_offline.unwrap_or(false),
        fairness: fairness?,
        golden_priority: raw.golden_priority.unwrap_or(false),
        processing_message_after,
        transfer_to_break: raw.transfer_to_break.unwrap_or(true),
        transfer_exceeds_cap: raw.transfer_exceeds_cap.unwrap_or(false),
        variant: variant(cx, path, raw)?,
    })
}

fn variant(cx: &mut Cx, path: &KeyPath, raw: &RawRouting) -> Option<Variant> {
    let name = raw.variant.as_deref().unwrap_or("none");
    let offer = |cx: &mut Cx| -> Option<Offer> {
        let p = path.key("offer");
        let Some(o) = &raw.offer else {
            cx.issue(
                path,
                format!("variant \"{name}\" needs `offer = {{ accept = 0.9, response = {{ dist = \"exponential\", mean = \"10s\" }}, timeout = \"30s\" }}`"),
            );
            return None;
        };
        let accept = cx.in_range(&p.key("accept"), o.accept.unwrap_or(1.0), 0.0, 1.0);
        let response = match &o.response {
            Some(d) => demand::dist(cx, &p.key("response"), d),
            None => {
                cx.issue(
                    &p,
                    "offer needs `response` (the agent's response time, a distribution)",
                );
                None
            }
        };
        let timeout = cx.opt_duration(&p.key("timeout"), o.timeout.as_ref(), 30 * SECOND_MS);
        if timeout == Some(0) {
            cx.issue(&p.key("timeout"), "timeout must be > 0");
            return None;
        }
        Some(Offer {
            accept: accept?,
            response: response?,
            timeout: timeout?,
        })
    };
    let v = match name {
        "none" => Variant::None,
        "omni_channel" => Variant::OmniChannel(offer(cx)?),
        "taskrouter" => Variant::TaskRouter(offer(cx)?),
        "chatwoot_v1" => Variant::ChatwootV1,
        other => {
            cx.issue(
                &path.key("variant"),
                format!("unknown variant \"{other}\" (allowed: none, omni_channel, taskrouter, chatwoot_v1)"),
            );
            return None;
        }
    };
    if raw.offer.is_some() && v.offer().is_none() {
        cx.issue(
            &path.key("offer"),
            "`offer` applies to variant = \"omni_channel\" or \"taskrouter\"",
        );
        return None;
    }
    Some(v)
}

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
            "nobody_online = \"main_account\" needs a main account; mark one [[agents]] entry with main_account = true",
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

pub(super) fn policy(cx: &mut Cx, path: &KeyPath, name: Option<&str>) -> Option<PolicyKind> {
    let name = name.unwrap_or("least_active");
    let p = PolicyKind::parse(name);
    if p.is_none() {
        cx.issue(
            path,
            format!(
                "unknown policy \"{name}\" (allowed: {})",
                PolicyKind::names()
            ),
        );
    }
    p
}

type Menus = [Option<Vec<(usize, f64)>>; 5];

/// `[routing] menu = { dm = { presale = 0.7, aftersales = 0.3 } }`.
fn menus(cx: &mut Cx, path: &KeyPath, raw: &RawScenario, staff: &Staff) -> Option<Menus> {
    let names: Vec<&str> = staff.groups.iter().map(|g| g.name.as_str()).collect();
    let mut out: Menus = Default::default();
    let Some(map) = &raw.routing.menu else {
        return Some(out);
    };
    let mut ok = true;
    for (entry, choices) in map {
        let Some(e) = EntryPoint::parse(entry) else {
            cx.issue(
                &path.key(entry),
                format!("unknown entry `{entry}` (allowed: {})", entry_names()),
            );
            ok = false;
            continue;
        };
        let mut menu = Vec::new();
        let mut total = 0.0;
        for (group, &w) in choices {
            let p = path.key(entry).key(group);
            let Some(g) = names.iter().position(|n| n == group) else {
                cx.issue(
                    &p,
                    format!("unknown group `{group}` (groups: {})", names.join(", ")),
                );
                ok = false;
                continue;
            };
            match cx.in_range(&p, w, 0.0, 1e6) {
                Some(w) => {
                    total += w;
                    menu.push((g, total));
                }
                None => ok = false,
            }
        }
        if ok && total <= 0.0 {
            cx.issue(
                &path.key(entry),
                "a menu needs at least one group with a positive share",
            );
            ok = false;
        }
        for (_, c) in &mut menu {
            *c /= total;
        }
        out[e as usize] = Some(menu);
    }
    ok.then_some(out)
}

fn entry_groups(
    cx: &mut Cx,
    path: &KeyPath,
    raw: &RawScenario,
    staff: &Staff,
    arrivals: &ArrivalModel,
    menus: &Menus,
) -> Option<[Option<usize>; 5]> {
    let names: Vec<&str> = staff.groups.iter().map(|g| g.name.as_str()).collect();
    let empty = BTreeMap::new();
    let map = raw.routing.entry_groups.as_ref().unwrap_or(&empty);
    let mut out = [None; 5];
    let mut ok = true;
    for (entry, group) in map {
        match (
            EntryPoint::parse(entry),
            names.iter().position(|n| n == group),
        ) {
            (None, _) => {
                cx.issue(
                    &path.key(entry),
                    format!("unknown entry `{entry}` (allowed: {})", entry_names()),
                );
                ok = false;
            }
            (Some(_), None) => {
                cx.issue(
                    &path.key(entry),
                    format!("unknown group `{group}` (groups: {})", names.join(", ")),
                );
                ok = false;
            }
            (Some(e), Some(g)) => out[e as usize] = Some(g),
        }
    }
    for e in EntryPoint::ALL {
        if let Some(menu) = &menus[e as usize] {
            if out[e as usize].is_some() {
                cx.issue(
                    &path.key(e.name()),
                    format!("entry `{}` has both a group and a menu; keep one", e.name()),
                );
                ok = false;
            }
            out[e as usize] = menu.first().map(|&(g, _)| g);
            continue;
        }
        if arrivals.entry_shares[e as usize] == 0.0 || out[e as usize].is_some() {
            continue;
        }
        if names.len() == 1 {
            out[e as usize] = Some(0);
        } else {
            cx.issue(
                path,
                format!(
                    "entry `{}` receives chats but has no group; map it here (groups: {})",
                    e.name(),
                    names.join(", ")
                ),
            );
            ok = false;
        }
    }
    ok.then_some(out)
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
