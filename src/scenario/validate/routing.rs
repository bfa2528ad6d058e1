//! `[routing]`: the decision order's switches, the comparison variants,
//! group policies, pre-routing menus and entry groups.

use super::*;

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

/// `[routing] service` and `timeout` (the timeout also serves `--router`).
pub(super) fn routing_service(
    cx: &mut Cx,
    path: &KeyPath,
    raw: &RawRouting,
) -> (Option<crate::scenario::ServiceSpec>, u64) {
    use crate::scenario::ServiceSpec;
    let timeout_ms = match &raw.timeout {
        Some(t) => {
            let p = path.key("timeout");
            match cx.check(&p, crate::time::parse_duration(t)) {
                Some(ms) if (1..=600_000).contains(&ms) => Some(ms),
                Some(_) => {
                    cx.issue(&p, format!("timeout must be 1ms..=10m, got {t}"));
                    None
                }
                None => None,
            }
        }
        None => Some(ServiceSpec::DEFAULT_TIMEOUT_MS),
    };
    let timeout = timeout_ms.unwrap_or(ServiceSpec::DEFAULT_TIMEOUT_MS);
    let Some(url) = raw.service.as_ref() else {
        return (None, timeout);
    };
    let spec = cx.check(&path.key("service"), ServiceSpec::parse(url, timeout));
    (spec.filter(|_| timeout_ms.is_some()), timeout)
}

pub(super) fn routing(cx: &mut Cx, path: &KeyPath, raw: &RawRouting) -> Option<Routing> {
    let nobody_online = choice(
        cx,
        &path.key("nobody_online"),
        raw.nobody_online.as_deref(),
        &NobodyOnline::ALL,
    );
    let shift_end = choice(
        cx,
        &path.key("shift_end"),
        raw.shift_end.as_deref(),
        &[
            ("finish", ShiftEnd::Finish),
            ("reroute", ShiftEnd::Reroute),
            ("stuck", ShiftEnd::Stuck),
            ("hand_over", ShiftEnd::HandOver),
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
        vip_channel: None,
        overload_transfer: match &raw.overload_transfer {
            None => None,
            Some(o) => {
                let p = path.key("overload_transfer");
                let above = cx.int_in(
                    &p.key("above"),
                    o.above,
                    1,
                    i64::from(MAX_CONCURRENT_LIMIT) - 1,
                );
                let after = cx.duration(&p.key("after"), &o.after);
                if after == Some(0) {
                    cx.issue(&p.key("after"), "after must be > 0");
                    return None;
                }
                Some(Overload {
                    above: above?,
                    after: after?,
                })
            }
        },
        offline_only_when_off_shift: raw.offline_only_when_off_shift.unwrap_or(false),
    })
}

/// `[routing] vip_channel`, resolved against the groups and VIP tiers.
pub(super) fn vip_channel(
    cx: &mut Cx,
    path: &KeyPath,
    raw: &RawRouting,
    sc: &Scenario,
) -> Option<VipChannel> {
    let rc = raw.vip_channel.as_ref()?;
    let names: Vec<&str> = sc.groups.iter().map(|g| g.name.as_str()).collect();
    let Some(group) = names.iter().position(|&n| n == rc.group) else {
        cx.issue(
            &path.key("group"),
            format!(
                "unknown group `{}` (groups: {})",
                rc.group,
                names.join(", ")
            ),
        );
        return None;
    };
    let tiers = &sc.buyers.vip_tiers;
    if tiers.iter().all(|t| t.share == 0.0) {
        cx.issue(
            path,
            "a VIP channel needs VIP buyers: set [buyers] vip_share or vip_tiers",
        );
        return None;
    }
    let mut chosen = Vec::new();
    match &rc.tiers {
        None => chosen.extend(1..=tiers.len() as u8),
        Some(list) => {
            for (i, name) in list.iter().enumerate() {
                match tiers.iter().position(|t| &t.name == name) {
                    Some(t) => chosen.push(t as u8 + 1),
                    None => {
                        let known: Vec<&str> = tiers.iter().map(|t| t.name.as_str()).collect();
                        cx.issue(
                            &path.key("tiers").index(i),
                            format!("unknown VIP tier `{name}` (tiers: {})", known.join(", ")),
                        );
                        return None;
                    }
                }
            }
            chosen.sort_unstable();
            chosen.dedup();
        }
    }
    let overflow_after = match &rc.overflow_after {
        Some(text) => {
            let ms = cx.duration(&path.key("overflow_after"), text)?;
            if ms == 0 {
                cx.issue(&path.key("overflow_after"), "overflow_after must be > 0");
                return None;
            }
            Some(ms)
        }
        None => None,
    };
    Some(VipChannel {
        group,
        tiers: chosen,
        overflow_after,
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

pub(in crate::scenario) fn policy(
    cx: &mut Cx,
    path: &KeyPath,
    name: Option<&str>,
) -> Option<PolicyKind> {
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
pub(super) fn menus(
    cx: &mut Cx,
    path: &KeyPath,
    raw: &RawScenario,
    staff: &Staff,
) -> Option<Menus> {
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

pub(super) fn entry_groups(
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
