//! Raw file values → a valid [`Scenario`], collecting every problem with its key path.

use std::collections::BTreeMap;

use super::locate::{Issue, KeyPath};
use super::raw::*;
use super::{
    AgentEntry, AgentSpec, Buyers, Group, MAX_CONCURRENT_LIMIT, Run, Scenario, Service, Sla,
};
use crate::arrivals::{ArrivalModel, Base, EntryPoint, Holiday, Peak, Profile};
use crate::dist::{Distribution, Spec};
use crate::routing::PolicyKind;
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
struct Cx {
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
    let entry_group = match (&staff, &arrivals) {
        (Some(staff), Some(arr)) => entry_groups(
            &mut cx,
            &root.key("routing").key("entry_groups"),
            &raw,
            staff,
            arr,
        ),
        _ => None,
    };
    let sla = sla(
        &mut cx,
        &root.key("sla").key("thresholds"),
        raw.sla.thresholds.as_ref(),
    )
    .map(|thresholds_s| Sla { thresholds_s });
    match (run, arrivals, buyers, service, staff, entry_group, sla) {
        (
            Some(run),
            Some(arrivals),
            Some(buyers),
            Some(service),
            Some(staff),
            Some(entry_group),
            Some(sla),
        ) if cx.issues.is_empty() => {
            let Staff {
                entries,
                agents,
                groups,
            } = staff;
            Ok(Scenario {
                name,
                run,
                arrivals,
                buyers,
                service,
                entries,
                agents,
                groups,
                entry_group,
                sla,
            })
        }
        _ => Err(cx.issues),
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

fn entry_shares(cx: &mut Cx, path: &KeyPath, raw: Option<&RawEntryShares>) -> Option<[f64; 5]> {
    let Some(raw) = raw else {
        return Some([1.0, 0.0, 0.0, 0.0, 0.0]);
    };
    let given = [raw.product, raw.order, raw.dm, raw.live, raw.other];
    let mut shares = [0.0; 5];
    for (e, v) in EntryPoint::ALL.iter().zip(given) {
        shares[*e as usize] = cx.non_negative(&path.key(e.name()), v.unwrap_or(0.0))?;
    }
    let sum: f64 = shares.iter().sum();
    if (sum - 1.0).abs() > 1e-6 {
        cx.issue(path, format!("entry shares must sum to 1, got {sum}"));
        return None;
    }
    Some(shares)
}

fn arrivals(
    cx: &mut Cx,
    path: &KeyPath,
    raw: &RawArrivals,
    run: &Run,
    entry_shares: [f64; 5],
) -> Option<ArrivalModel> {
    let clock = run.clock;
    let base = match (raw.rate_per_hour, &raw.curve) {
        (Some(_), Some(_)) => {
            cx.issue(
                &path.key("curve"),
                "give either rate_per_hour (with an optional profile) or curve, not both",
            );
            None
        }
        (None, None) => {
            cx.issue(
                path,
                "arrivals need rate_per_hour (with an optional profile) or an absolute curve",
            );
            None
        }
        (Some(rate), None) => {
            let rate = cx.in_range(&path.key("rate_per_hour"), rate, 0.0, MAX_RATE_PER_HOUR);
            let profile = match &raw.profile {
                Some(points) => Some(profile(cx, &path.key("profile"), points)?),
                None => None,
            };
            rate.map(|r| Base::Flat {
                rate_per_ms: r / HOUR_MS as f64,
                profile,
            })
        }
        (None, Some(points)) => {
            if raw.profile.is_some() {
                cx.issue(
                    &path.key("profile"),
                    "profile applies to rate_per_hour; an absolute curve replaces both",
                );
            }
            curve(cx, &path.key("curve"), points, run)
        }
    };
    let weekday = weekdays(cx, &path.key("weekdays"), raw.weekdays.as_ref());
    let mut peaks = Vec::new();
    for (i, p) in raw.peaks.iter().enumerate() {
        peaks.push(peak(
            cx,
            &path.key("peaks").index(i),
            p,
            &clock,
            &entry_shares,
        ));
    }
    let mut holidays = Vec::new();
    for (i, h) in raw.holidays.iter().enumerate() {
        holidays.push(holiday(cx, &path.key("holidays").index(i), h));
    }
    let peaks: Option<Vec<Peak>> = peaks.into_iter().collect();
    let holidays: Option<Vec<Holiday>> = holidays.into_iter().collect();
    let model = ArrivalModel {
        base: base?,
        weekday: weekday?,
        holidays: holidays?,
        peaks: peaks?,
        entry_shares,
        clock,
    };
    // Over the run and the 7 days the engine may follow chats after it.
    let peak = model.max_rate_per_hour(0, run.duration + crate::engine::DRAIN_LIMIT_MS);
    if peak > MAX_TOTAL_RATE_PER_HOUR {
        cx.issue(path, format!("the arrival rate reaches {peak:.3e}/h with every factor applied; at most {MAX_TOTAL_RATE_PER_HOUR:e}/h is supported"));
        return None;
    }
    Some(model)
}

fn profile(cx: &mut Cx, path: &KeyPath, raw: &[(String, f64)]) -> Option<Profile> {
    let mut points = Vec::new();
    for (i, (clock, mult)) in raw.iter().enumerate() {
        let p = path.index(i);
        let t = cx.check(&p, parse_clock(clock));
        let m = cx.in_range(&p, *mult, 0.0, MAX_FACTOR);
        if let Some(t) = t.filter(|&t| t >= DAY_MS) {
            cx.issue(
                &p,
                format!(
                    "profile times must be before 24:00 (the profile wraps at midnight), got {}",
                    clock
                ),
            );
            let _ = t;
            return None;
        }
        points.push((t?, m?));
    }
    cx.check(path, Profile::new(points))
}

fn curve(cx: &mut Cx, path: &KeyPath, raw: &[(String, f64)], run: &Run) -> Option<Base> {
    let mut points = Vec::new();
    for (i, (at, rate)) in raw.iter().enumerate() {
        let p = path.index(i);
        let t = cx.instant(&p, at).map(|t| run.clock.sim_of(t));
        let r = cx.in_range(&p, *rate, 0.0, MAX_RATE_PER_HOUR);
        points.push((t?, r? / HOUR_MS as f64));
    }
    if points.is_empty() {
        cx.issue(path, "curve needs at least one point");
        return None;
    }
    if points.windows(2).any(|w| w[1].0 <= w[0].0) {
        cx.issue(path, "curve instants must be strictly increasing");
        return None;
    }
    let (first, last) = (points[0].0, points[points.len() - 1].0);
    if first > 0 || last < run.duration as i64 {
        cx.issue(
            path,
            format!(
                "curve must cover the run: first point at or before run.start ({}) and last at or after its end ({})",
                run.clock.format(0),
                run.clock.format(run.duration)
            ),
        );
        return None;
    }
    Some(Base::Curve { points })
}

fn weekdays(cx: &mut Cx, path: &KeyPath, raw: Option<&RawWeekdays>) -> Option<[f64; 7]> {
    let Some(w) = raw else { return Some([1.0; 7]) };
    let given = [w.mon, w.tue, w.wed, w.thu, w.fri, w.sat, w.sun];
    let mut out = [1.0; 7];
    for (i, v) in given.iter().enumerate() {
        if let Some(v) = v {
            out[i] = cx.in_range(&path.key(WEEKDAYS[i]), *v, 0.0, MAX_FACTOR)?;
        }
    }
    Some(out)
}

fn peak(
    cx: &mut Cx,
    path: &KeyPath,
    raw: &RawPeak,
    clock: &LocalClock,
    shares: &[f64; 5],
) -> Option<Peak> {
    let start = cx
        .instant(&path.key("start"), &raw.start)
        .map(|t| clock.sim_of(t));
    let ramp = cx.opt_duration(&path.key("ramp"), raw.ramp.as_ref(), 0);
    let hold = cx.opt_duration(&path.key("hold"), raw.hold.as_ref(), 0);
    let decay = cx.opt_duration(&path.key("decay"), raw.decay.as_ref(), 0);
    let multiplier = cx.in_range(&path.key("multiplier"), raw.multiplier, 0.001, MAX_FACTOR);
    let entry = match &raw.entry {
        None => Some(None),
        Some(name) => match EntryPoint::parse(name) {
            Some(e) if shares[e as usize] == 0.0 => {
                cx.issue(&path.key("entry"), format!("entry `{name}` has share 0 in buyers.entries, so this peak would add nothing"));
                None
            }
            Some(e) => Some(Some(e)),
            None => {
                cx.issue(
                    &path.key("entry"),
                    format!("unknown entry `{name}` (allowed: {})", entry_names()),
                );
                None
            }
        },
    };
    Some(Peak {
        name: raw.name.clone(),
        start: start?,
        ramp: ramp?,
        hold: hold?,
        decay: decay?,
        multiplier: multiplier?,
        entry: entry?,
    })
}

fn entry_names() -> String {
    EntryPoint::ALL
        .iter()
        .map(|e| e.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn holiday(cx: &mut Cx, path: &KeyPath, raw: &RawHoliday) -> Option<Holiday> {
    let from = cx.check(&path.key("from"), parse_date(&raw.from));
    let to = cx.check(&path.key("to"), parse_date(&raw.to));
    let multiplier = cx.in_range(&path.key("multiplier"), raw.multiplier, 0.0, MAX_FACTOR);
    let (from_day, to_day) = (from?, to?);
    if to_day < from_day {
        cx.issue(
            &path.key("to"),
            format!("holiday ends ({}) before it starts ({})", raw.to, raw.from),
        );
        return None;
    }
    Some(Holiday {
        name: raw.name.clone(),
        from_day,
        to_day,
        multiplier: multiplier?,
    })
}

fn buyers(cx: &mut Cx, path: &KeyPath, raw: &RawBuyers) -> Option<Buyers> {
    let vip_share = raw.vip_share.unwrap_or(0.0);
    let vip_ok = (0.0..=1.0).contains(&vip_share);
    if !vip_ok {
        cx.issue(
            &path.key("vip_share"),
            format!("vip_share must be between 0 and 1, got {vip_share}"),
        );
    }
    let patience = match &raw.patience {
        Some(d) => Some(dist(cx, &path.key("patience"), d)?),
        None => None,
    };
    vip_ok.then_some(Buyers {
        vip_share,
        patience,
    })
}

fn service(cx: &mut Cx, path: &KeyPath, raw: &RawService) -> Option<Service> {
    match raw.model.as_deref().unwrap_or("session") {
        "session" => {}
        "dialogue" => {
            cx.issue(
                &path.key("model"),
                "model \"dialogue\" is not available yet (allowed: session)",
            );
        }
        other => cx.issue(
            &path.key("model"),
            format!("unknown model \"{other}\" (allowed: session)"),
        ),
    }
    let duration = dist(cx, &path.key("duration"), &raw.duration);
    let first_reply = match &raw.first_reply {
        Some(d) => Some(dist(cx, &path.key("first_reply"), d)?),
        None => None,
    };
    let slowdown = raw.slowdown.clone().unwrap_or_default();
    for (i, s) in slowdown.iter().enumerate() {
        cx.in_range(&path.key("slowdown").index(i), *s, 0.01, 100.0)?;
    }
    if slowdown.len() > MAX_CONCURRENT_LIMIT as usize {
        cx.issue(
            &path.key("slowdown"),
            format!(
                "slowdown has {} entries; at most {MAX_CONCURRENT_LIMIT} (one per open chat)",
                slowdown.len()
            ),
        );
        return None;
    }
    Some(Service {
        duration: duration?,
        slowdown,
        first_reply,
    })
}

/// Builds a [`Spec`] from the needed durations (in key order) and empirical samples.
type SpecOf = fn(&[Millis], Vec<Millis>) -> Spec;

fn dist(cx: &mut Cx, path: &KeyPath, raw: &RawDist) -> Option<Distribution> {
    const FAMILIES: &str = "exponential, lognormal, gamma, constant, uniform, empirical";
    let (needs, spec_of): (&[&str], SpecOf) = match raw.dist.as_str() {
        "exponential" => (&["mean"], |v, _| Spec::Exponential { mean: v[0] }),
        "lognormal" => (&["mean", "sd"], |v, _| Spec::LogNormal {
            mean: v[0],
            sd: v[1],
        }),
        "gamma" => (&["mean", "sd"], |v, _| Spec::Gamma {
            mean: v[0],
            sd: v[1],
        }),
        "constant" => (&["value"], |v, _| Spec::Constant { value: v[0] }),
        "uniform" => (&["min", "max"], |v, _| Spec::Uniform {
            min: v[0],
            max: v[1],
        }),
        "empirical" => (&["samples"], |_, s| Spec::Empirical { samples: s }),
        other => {
            cx.issue(
                &path.key("dist"),
                format!("unknown distribution \"{other}\" (allowed: {FAMILIES})"),
            );
            return None;
        }
    };
    let fields = [
        ("mean", raw.mean.as_ref()),
        ("sd", raw.sd.as_ref()),
        ("value", raw.value.as_ref()),
        ("min", raw.min.as_ref()),
        ("max", raw.max.as_ref()),
    ];
    let mut ok = true;
    let mut values = Vec::new();
    for (key, v) in fields {
        match (needs.contains(&key), v) {
            (true, Some(text)) => match cx.duration(&path.key(key), text) {
                Some(ms) => values.push(ms),
                None => ok = false,
            },
            (true, None) => {
                cx.issue(path, format!("distribution \"{}\" needs `{key}`", raw.dist));
                ok = false;
            }
            (false, Some(_)) => {
                cx.issue(
                    &path.key(key),
                    format!(
                        "distribution \"{}\" takes {}, not `{key}`",
                        raw.dist,
                        needs.join(" and ")
                    ),
                );
                ok = false;
            }
            (false, None) => {}
        }
    }
    let mut samples = Vec::new();
    match (needs.contains(&"samples"), &raw.samples) {
        (true, Some(list)) => {
            for (i, s) in list.iter().enumerate() {
                match cx.duration(&path.key("samples").index(i), s) {
                    Some(ms) => samples.push(ms),
                    None => ok = false,
                }
            }
        }
        (true, None) => {
            cx.issue(
                path,
                "distribution \"empirical\" needs `samples`, a list of durations",
            );
            ok = false;
        }
        (false, Some(_)) => {
            cx.issue(
                &path.key("samples"),
                format!("distribution \"{}\" takes no samples", raw.dist),
            );
            ok = false;
        }
        (false, None) => {}
    }
    if !ok {
        return None;
    }
    cx.check(path, Distribution::new(spec_of(&values, samples)))
}

fn policy(cx: &mut Cx, path: &KeyPath, name: Option<&str>) -> Option<PolicyKind> {
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

struct Staff {
    entries: Vec<AgentEntry>,
    agents: Vec<AgentSpec>,
    groups: Vec<Group>,
}

fn staff(
    cx: &mut Cx,
    root: &KeyPath,
    raw: &RawScenario,
    run: Option<&Run>,
    default_policy: PolicyKind,
) -> Option<Staff> {
    let path = root.key("agents");
    if raw.agents.is_empty() {
        cx.issue(&path, "at least one [[agents]] entry is needed");
        return None;
    }
    let issues_before = cx.issues.len();
    let group_names = group_names(cx, root, raw)?;
    let mut entries = Vec::new();
    let mut agents = Vec::new();
    let mut total: u64 = 0;
    for (i, ra) in raw.agents.iter().enumerate() {
        let p = path.index(i);
        let Some(entry) = agent_entry(cx, &p, ra, run) else {
            continue;
        };
        total += u64::from(entry.count);
        if total > MAX_AGENTS {
            cx.issue(
                &p.key("count"),
                format!("the scenario has more than {MAX_AGENTS} agents"),
            );
            return None;
        }
        if entries.iter().any(|e: &AgentEntry| e.name == entry.name) {
            cx.issue(
                &p.key("name"),
                format!("two [[agents]] entries are named `{}`", entry.name),
            );
            continue;
        }
        let groups: Vec<usize> = match &ra.groups {
            Some(list) => list
                .iter()
                .map(|g| group_names.iter().position(|n| n == g).unwrap_or(0))
                .collect(),
            None => (0..group_names.len()).collect(),
        };
        let weight = cx.in_range(&p.key("weight"), ra.weight.unwrap_or(1.0), 0.001, 1000.0);
        let cap = cx.int_in(
            &p.key("max_concurrent"),
            ra.max_concurrent.unwrap_or(1),
            1,
            i64::from(MAX_CONCURRENT_LIMIT),
        );
        let speed = cx.in_range(&p.key("speed"), ra.speed.unwrap_or(1.0), 0.01, 100.0);

        let (Some(weight), Some(max_concurrent), Some(speed)) = (weight, cap, speed) else {
            continue;
        };
        for k in 0..entry.count {
            let name = if entry.count == 1 {
                entry.name.clone()
            } else {
                let width = entry.count.to_string().len().max(2);
                format!("{}-{:0width$}", entry.name, k + 1)
            };
            let stagger = entry
                .shift
                .as_ref()
                .map(|s| s.stagger(k, entry.count))
                .unwrap_or_default();
            agents.push(AgentSpec {
                name,
                entry: entries.len(),
                groups: groups.clone(),
                weight,
                max_concurrent,
                speed,
                stagger,
            });
        }
        entries.push(entry);
    }
    if entries.len() < raw.agents.len() {
        return None; // a broken entry would make its groups look empty
    }
    let mut names: Vec<(&str, usize)> = agents.iter().map(|a| (a.name.as_str(), a.entry)).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0].0 == w[1].0) {
        let (name, entry) = (w[0].0, w[1].1.max(w[0].1));
        cx.issue(
            &path.index(entry).key("name"),
            format!("two agents would both be named `{name}`; rename an entry"),
        );
        return None;
    }
    let groups = groups(cx, root, raw, &group_names, &agents, default_policy)?;
    (cx.issues.len() == issues_before).then_some(Staff {
        entries,
        agents,
        groups,
    })
}

/// Group names in order: declared `[[groups]]` first, then first mention by agents.
fn group_names(cx: &mut Cx, root: &KeyPath, raw: &RawScenario) -> Option<Vec<String>> {
    let issues_before = cx.issues.len();
    let mut names: Vec<String> = Vec::new();
    for (i, g) in raw.groups.iter().enumerate() {
        if g.name.trim().is_empty() {
            cx.issue(
                &root.key("groups").index(i).key("name"),
                "group name must not be empty",
            );
        } else if names.contains(&g.name) {
            cx.issue(
                &root.key("groups").index(i).key("name"),
                format!("group `{}` is declared twice", g.name),
            );
        } else {
            names.push(g.name.clone());
        }
    }
    for (i, a) in raw.agents.iter().enumerate() {
        let Some(list) = &a.groups else { continue };
        let p = root.key("agents").index(i).key("groups");
        if list.is_empty() {
            cx.issue(
                &p,
                "groups must not be empty (omit it to serve every group)",
            );
        }
        for (k, g) in list.iter().enumerate() {
            if g.trim().is_empty() {
                cx.issue(&p.index(k), "group name must not be empty");
            } else if list[..k].contains(g) {
                cx.issue(&p.index(k), format!("group `{g}` is listed twice"));
            } else if !names.contains(g) {
                names.push(g.clone());
            }
        }
    }
    if names.is_empty() {
        names.push(SHOP_GROUP.to_string());
    }
    if names.len() > MAX_GROUPS {
        cx.issue(
            &root.key("agents"),
            format!("at most {MAX_GROUPS} groups, got {}", names.len()),
        );
    }
    (cx.issues.len() == issues_before).then_some(names)
}

fn groups(
    cx: &mut Cx,
    root: &KeyPath,
    raw: &RawScenario,
    names: &[String],
    agents: &[AgentSpec],
    default_policy: PolicyKind,
) -> Option<Vec<Group>> {
    let mut out = Vec::new();
    for (g, name) in names.iter().enumerate() {
        let members = agents.iter().filter(|a| a.groups.contains(&g)).count();
        let declared = raw.groups.iter().position(|rg| &rg.name == name);
        let path = declared.map_or_else(|| root.key("agents"), |i| root.key("groups").index(i));
        if members == 0 {
            cx.issue(&path, format!("group `{name}` has no agents"));
            continue;
        }
        let rg = declared.map(|i| &raw.groups[i]);
        let policy = match rg.and_then(|r| r.policy.as_deref()) {
            Some(p) => policy(cx, &path.key("policy"), Some(p)),
            None => Some(default_policy),
        };
        let max_on_break = match rg.and_then(|r| r.max_on_break) {
            Some(v) => cx
                .int_in(&path.key("max_on_break"), v, 0, members as i64)
                .map(Some),
            None => Some(None),
        };
        if let (Some(policy), Some(max_on_break)) = (policy, max_on_break) {
            out.push(Group {
                name: name.clone(),
                policy,
                max_on_break,
            });
        }
    }
    (out.len() == names.len()).then_some(out)
}

fn agent_entry(
    cx: &mut Cx,
    path: &KeyPath,
    raw: &RawAgents,
    run: Option<&Run>,
) -> Option<AgentEntry> {
    let name = raw
        .name
        .clone()
        .unwrap_or_else(|| format!("agent{}", entry_number(path).unwrap_or(0) + 1));
    if name.trim().is_empty() {
        cx.issue(&path.key("name"), "name must not be empty");
        return None;
    }
    let count = cx.int_in(
        &path.key("count"),
        raw.count.unwrap_or(1),
        1,
        MAX_AGENTS as i64,
    )?;
    let shift = match &raw.shift {
        Some(s) => Some(shift(cx, &path.key("shift"), s, run, count)?),
        None => None,
    };
    Some(AgentEntry { name, count, shift })
}

fn entry_number(path: &KeyPath) -> Option<usize> {
    match path.0.last() {
        Some(super::locate::Seg::Index(i)) => Some(*i),
        _ => None,
    }
}

fn window(cx: &mut Cx, path: &KeyPath, start: &str, end: &str) -> Option<Window> {
    let s = cx.check(path, parse_clock(start));
    let e = cx.check(path, parse_clock(end));
    let (s, e) = (s?, e?);
    if s >= DAY_MS {
        cx.issue(path, "a shift cannot start at 24:00; write 00:00");
        return None;
    }
    let e = if e == DAY_MS { DAY_MS } else { e };
    if e == s {
        cx.issue(
            path,
            format!("shift is empty: it starts and ends at {start}"),
        );
        return None;
    }
    let len = if e > s { e - s } else { e + DAY_MS - s };
    Some(Window { start: s, len })
}

fn shift(
    cx: &mut Cx,
    path: &KeyPath,
    raw: &RawShift,
    run: Option<&Run>,
    count: u32,
) -> Option<ShiftPlan> {
    let patterns: Vec<Vec<Window>> = match (&raw.start, &raw.end, &raw.windows, &raw.rotation) {
        (Some(s), Some(e), None, None) => vec![vec![window(cx, &path.key("start"), s, e)?]],
        (None, None, Some(ws), None) => {
            let mut v: Vec<Window> = Vec::new();
            for (i, (s, e)) in ws.iter().enumerate() {
                v.push(window(cx, &path.key("windows").index(i), s, e)?);
            }
            v.sort_by_key(|w| w.start);
            if v.is_empty() {
                cx.issue(&path.key("windows"), "windows must not be empty");
                return None;
            }
            vec![v]
        }
        (None, None, None, Some(rot)) => {
            let mut v = Vec::new();
            for (i, (s, e)) in rot.iter().enumerate() {
                v.push(vec![window(cx, &path.key("rotation").index(i), s, e)?]);
            }
            if v.is_empty() {
                cx.issue(&path.key("rotation"), "rotation must not be empty");
                return None;
            }
            v
        }
        (Some(_), None, None, None) | (None, Some(_), None, None) => {
            cx.issue(path, "a shift needs both start and end");
            return None;
        }
        (None, None, None, None) => {
            cx.issue(path, "a shift needs start and end, windows, or rotation");
            return None;
        }
        _ => {
            cx.issue(path, "give only one of start/end, windows, or rotation");
            return None;
        }
    };
    let rotate_every_days = match (&raw.rotate_every, patterns.len()) {
        (Some(_), 1) if raw.rotation.is_none() => {
            cx.issue(
                &path.key("rotate_every"),
                "rotate_every needs a rotation list",
            );
            return None;
        }
        (Some(text), _) => {
            let ms = cx.duration(&path.key("rotate_every"), text)?;
            if ms == 0 || ms % DAY_MS != 0 {
                cx.issue(
                    &path.key("rotate_every"),
                    format!("rotate_every must be a whole number of days, got {text}"),
                );
                return None;
            }
            (ms / DAY_MS) as u32
        }
        (None, _) => 7,
    };
    let work_days = work_days(cx, path, raw)?;
    let anchor_day = match &raw.anchor {
        Some(d) => cx.check(&path.key("anchor"), parse_date(d))?,
        None => run.map_or(0, |r| r.clock.day(0)),
    };
    let breaks = breaks(cx, &path.key("breaks"), &raw.breaks, &patterns)?;
    let plan = ShiftPlan {
        patterns,
        rotate_every_days,
        work_days,
        breaks,
        anchor_day,
    };
    cx.check(path, plan.check(count))?;
    Some(plan)
}

fn work_days(cx: &mut Cx, path: &KeyPath, raw: &RawShift) -> Option<WorkDays> {
    match (&raw.days, raw.on_days, raw.off_days) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            cx.issue(
                &path.key("days"),
                "give either days or on_days/off_days, not both",
            );
            None
        }
        (Some(list), None, None) => {
            let mut days = [false; 7];
            for (i, d) in list.iter().enumerate() {
                let range = cx.check(&path.key("days").index(i), weekday_range(d))?;
                for k in range {
                    days[k % 7] = true;
                }
            }
            if !days.iter().any(|d| *d) {
                cx.issue(&path.key("days"), "days must list at least one weekday");
                return None;
            }
            Some(WorkDays::Weekdays(days))
        }
        (None, Some(on), Some(off)) => {
            let on = cx.int_in(&path.key("on_days"), on, 1, 366)?;
            let off = cx.int_in(&path.key("off_days"), off, 0, 366)?;
            Some(WorkDays::Rotation { on, off })
        }
        (None, Some(_), None) | (None, None, Some(_)) => {
            cx.issue(
                path,
                "an N-on/M-off rotation needs both on_days and off_days",
            );
            None
        }
        (None, None, None) => Some(WorkDays::Weekdays([true; 7])),
    }
}

/// `"mon"` or a range `"mon-fri"` (wrapping ranges such as `"sat-mon"` allowed).
fn weekday_range(text: &str) -> Result<std::ops::RangeInclusive<usize>, String> {
    let idx = |d: &str| {
        WEEKDAYS.iter().position(|w| *w == d.trim()).ok_or_else(|| {
            format!(
                "unknown weekday `{d}` (allowed: {} or a range such as mon-fri)",
                WEEKDAYS.join(", ")
            )
        })
    };
    match text.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (idx(a)?, idx(b)?);
            Ok(a..=if b >= a { b } else { b + 7 })
        }
        None => {
            let a = idx(text)?;
            Ok(a..=a)
        }
    }
}

fn breaks(
    cx: &mut Cx,
    path: &KeyPath,
    raw: &[RawBreak],
    patterns: &[Vec<Window>],
) -> Option<Vec<Break>> {
    let shortest = patterns.iter().flatten().map(|w| w.len).min().unwrap_or(0);
    let mut out: Vec<Break> = Vec::new();
    for (i, b) in raw.iter().enumerate() {
        let p = path.index(i);
        let after = cx.duration(&p.key("after"), &b.after);
        let length = cx.duration(&p.key("length"), &b.length);
        let (after, length) = (after?, length?);
        if length == 0 {
            cx.issue(&p.key("length"), "a break must last longer than 0s");
            return None;
        }
        if after + length > shortest {
            cx.issue(
                &p,
                format!(
                    "break ends {} into the shift but the shortest window lasts {}",
                    format_duration(after + length),
                    format_duration(shortest)
                ),
            );
            return None;
        }
        if let Some(prev) = out.last().filter(|prev| after < prev.after + prev.length) {
            cx.issue(
                &p.key("after"),
                format!(
                    "breaks must be in order and not overlap (previous ends {} into the shift)",
                    format_duration(prev.after + prev.length)
                ),
            );
            return None;
        }
        out.push(Break { after, length });
    }
    Some(out)
}

fn entry_groups(
    cx: &mut Cx,
    path: &KeyPath,
    raw: &RawScenario,
    staff: &Staff,
    arrivals: &ArrivalModel,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekday_ranges() {
        assert_eq!(weekday_range("mon-fri").unwrap(), 0..=4);
        assert_eq!(weekday_range("sat-mon").unwrap(), 5..=7);
        assert!(weekday_range("funday").is_err());
    }
}
