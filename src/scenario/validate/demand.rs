//! Validation of demand and service: `[arrivals]`, `[buyers]`, `[service]` and distributions.

use super::*;

pub(super) fn entry_shares(
    cx: &mut Cx,
    path: &KeyPath,
    raw: Option<&RawEntryShares>,
) -> Option<[f64; 5]> {
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

pub(super) fn arrivals(
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
    let peak = model.max_rate_per_hour(0, run.duration + crate::scenario::DRAIN_LIMIT_MS);
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
        if t.is_some_and(|t| t >= DAY_MS) {
            let msg = format!(
                "profile times must be before 24:00 (the profile wraps at midnight), got {clock}"
            );
            cx.issue(&p, msg);
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

pub(super) fn entry_names() -> String {
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

pub(super) fn buyers(cx: &mut Cx, path: &KeyPath, raw: &RawBuyers) -> Option<Buyers> {
    let vip_share = raw.vip_share.unwrap_or(0.0);
    let mut vip_ok = (0.0..=1.0).contains(&vip_share);
    if !vip_ok {
        cx.issue(
            &path.key("vip_share"),
            format!("vip_share must be between 0 and 1, got {vip_share}"),
        );
    }
    let mut vip_tiers = vec![VipTier {
        name: "vip".to_string(),
        share: vip_share,
    }];
    if let Some(tiers) = &raw.vip_tiers {
        if raw.vip_share.is_some() {
            cx.issue(
                &path.key("vip_tiers"),
                "give either vip_share (one VIP tier) or vip_tiers, not both",
            );
            vip_ok = false;
        }
        if tiers.is_empty() || tiers.len() > 8 {
            cx.issue(
                &path.key("vip_tiers"),
                format!("vip_tiers needs 1 to 8 tiers, got {}", tiers.len()),
            );
            vip_ok = false;
        }
        vip_tiers.clear();
        for (i, t) in tiers.iter().enumerate() {
            let p = path.key("vip_tiers").index(i);
            let valid_name = !t.name.is_empty()
                && t.name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
            if !valid_name || tiers[..i].iter().any(|o| o.name == t.name) {
                cx.issue(
                    &p.key("name"),
                    format!("tier names must be unique and made of letters, digits, `_` or `-`, got `{}`", t.name),
                );
                vip_ok = false;
            }
            match cx.in_range(&p.key("share"), t.share, 0.0, 1.0) {
                Some(share) => vip_tiers.push(VipTier {
                    name: t.name.clone(),
                    share,
                }),
                None => vip_ok = false,
            }
        }
        let total: f64 = vip_tiers.iter().map(|t| t.share).sum();
        if vip_ok && total > 1.0 + 1e-12 {
            cx.issue(
                &path.key("vip_tiers"),
                format!("the tiers' shares must sum to at most 1, got {total}"),
            );
            vip_ok = false;
        }
    }
    let vip_share: f64 = vip_tiers.iter().map(|t| t.share).sum();
    let patience = match &raw.patience {
        Some(d) => Some(dist(cx, &path.key("patience"), d)?),
        None => None,
    };
    let mut share =
        |key: &str, v: Option<f64>| cx.in_range(&path.key(key), v.unwrap_or(0.0), 0.0, 1.0);
    let returning_share = share("returning_share", raw.returning_share);
    let direct_share = share("direct_share", raw.direct_share);
    let private_share = share("private_share", raw.private_share);
    let recency = cx.opt_duration(&path.key("recency"), raw.recency.as_ref(), 2 * DAY_MS);
    let (returning_share, direct_share, private_share, recency) =
        (returning_share?, direct_share?, private_share?, recency?);
    if returning_share + direct_share + private_share > 1.0 + 1e-12 {
        cx.issue(
            &path.key("returning_share"),
            format!("a buyer is at most one of private, direct and returning: private_share + direct_share + returning_share must be at most 1, got {}", returning_share + direct_share + private_share),
        );
        return None;
    }
    if recency == 0 || recency > 366 * DAY_MS {
        cx.issue(&path.key("recency"), "recency must be > 0 and at most 366d");
        return None;
    }
    vip_ok.then_some(Buyers {
        vip_share,
        vip_tiers,
        patience,
        returning_share,
        recency,
        direct_share,
        private_share,
    })
}

pub(super) fn service(cx: &mut Cx, path: &KeyPath, raw: &RawService) -> Option<Service> {
    let dialogue_keys = [
        ("rounds", raw.rounds.is_some()),
        ("messages_per_round", raw.messages_per_round.is_some()),
        ("message_gap", raw.message_gap.is_some()),
        ("think", raw.think.is_some()),
        ("typing", raw.typing.is_some()),
        ("inactivity_timeout", raw.inactivity_timeout.is_some()),
        ("silent_abandon", raw.silent_abandon.is_some()),
    ];
    let model = match raw.model.as_deref().unwrap_or("session") {
        "session" => {
            for (key, given) in dialogue_keys {
                if given {
                    cx.issue(
                        &path.key(key),
                        format!("`{key}` belongs to the dialogue model; set model = \"dialogue\" or remove it"),
                    );
                }
            }
            match &raw.duration {
                Some(d) => dist(cx, &path.key("duration"), d)
                    .map(|duration| ServiceModel::Session { duration }),
                None => {
                    cx.issue(
                        path,
                        "the session model needs `duration` (how long a chat holds a slot)",
                    );
                    None
                }
            }
        }
        "dialogue" => {
            for (key, given) in [
                ("duration", raw.duration.is_some()),
                ("first_reply", raw.first_reply.is_some()),
            ] {
                if given {
                    cx.issue(
                        &path.key(key),
                        format!("`{key}` belongs to the session model; the dialogue model takes rounds, messages_per_round, message_gap, think, typing, inactivity_timeout and silent_abandon"),
                    );
                }
            }
            dialogue(cx, path, raw).map(|d| ServiceModel::Dialogue(Box::new(d)))
        }
        other => {
            cx.issue(
                &path.key("model"),
                format!("unknown model \"{other}\" (allowed: session, dialogue)"),
            );
            None
        }
    };
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
        model: model?,
        slowdown,
        first_reply,
        break_pauses_chats: raw.break_pauses_chats.unwrap_or(true),
    })
}

fn dialogue(cx: &mut Cx, path: &KeyPath, raw: &RawService) -> Option<Dialogue> {
    let rounds = match &raw.rounds {
        Some(c) => count(cx, &path.key("rounds"), c),
        None => {
            cx.issue(
                path,
                "the dialogue model needs `rounds`, e.g. { dist = \"geometric\", mean = 4 }",
            );
            None
        }
    };
    let messages_per_round = match &raw.messages_per_round {
        Some(c) => count(cx, &path.key("messages_per_round"), c),
        None => Some(Count::Constant(1)),
    };
    let opt = |cx: &mut Cx, key: &str, d: &Option<RawDist>, default: Spec| match d {
        Some(d) => dist(cx, &path.key(key), d),
        None => Some(Distribution::new(default).expect("valid default")),
    };
    let message_gap = opt(
        cx,
        "message_gap",
        &raw.message_gap,
        Spec::Exponential {
            mean: 10 * SECOND_MS,
        },
    );
    let think = opt(
        cx,
        "think",
        &raw.think,
        Spec::Exponential { mean: MINUTE_MS },
    );
    let typing = match &raw.typing {
        Some(d) => dist(cx, &path.key("typing"), d),
        None => {
            cx.issue(path, "the dialogue model needs `typing` (time to type one reply), e.g. { dist = \"lognormal\", mean = \"25s\", sd = \"15s\" }");
            None
        }
    };
    let timeout = cx.opt_duration(
        &path.key("inactivity_timeout"),
        raw.inactivity_timeout.as_ref(),
        10 * MINUTE_MS,
    );
    if timeout == Some(0) {
        cx.issue(
            &path.key("inactivity_timeout"),
            "inactivity_timeout must be > 0",
        );
        return None;
    }
    let silent = cx.in_range(
        &path.key("silent_abandon"),
        raw.silent_abandon.unwrap_or(0.0),
        0.0,
        1.0,
    );
    Some(Dialogue {
        rounds: rounds?,
        messages_per_round: messages_per_round?,
        message_gap: message_gap?,
        think: think?,
        typing: typing?,
        inactivity_timeout: timeout?,
        silent_abandon: silent?,
    })
}

fn count(cx: &mut Cx, path: &KeyPath, raw: &RawCount) -> Option<Count> {
    let max = i64::from(crate::dist::MAX_COUNT);
    match raw.dist.as_str() {
        "constant" => match raw.value {
            Some(v) => cx
                .int_in(&path.key("value"), v, 1, max)
                .map(Count::Constant),
            None => {
                cx.issue(path, "count \"constant\" needs `value`");
                None
            }
        },
        "uniform" => match (raw.min, raw.max) {
            (Some(lo), Some(hi)) => {
                let lo = cx.int_in(&path.key("min"), lo, 1, max)?;
                let hi = cx.int_in(&path.key("max"), hi, i64::from(lo), max)?;
                Some(Count::Uniform { min: lo, max: hi })
            }
            _ => {
                cx.issue(path, "count \"uniform\" needs `min` and `max`");
                None
            }
        },
        "geometric" => match raw.mean {
            Some(m) => cx
                .in_range(&path.key("mean"), m, 1.0, 100.0)
                .map(Count::geometric),
            None => {
                cx.issue(path, "count \"geometric\" needs `mean` (≥ 1)");
                None
            }
        },
        other => {
            cx.issue(
                &path.key("dist"),
                format!(
                    "unknown count distribution \"{other}\" (allowed: constant, uniform, geometric)"
                ),
            );
            None
        }
    }
}

/// Builds a [`Spec`] from the needed durations (in key order) and empirical samples.
type SpecOf = fn(&[Millis], Vec<Millis>) -> Spec;

pub(super) fn dist(cx: &mut Cx, path: &KeyPath, raw: &RawDist) -> Option<Distribution> {
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
