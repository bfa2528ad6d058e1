//! Validation of staff: `[[agents]]` entries with their shifts and breaks, and `[[groups]]`.

use super::*;

pub(super) struct Staff {
    pub(super) entries: Vec<AgentEntry>,
    pub(super) agents: Vec<AgentSpec>,
    pub(super) groups: Vec<Group>,
}

pub(super) fn staff(
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
    // Linear checks: names seen so far, whether a main account was seen.
    let mut entry_names = std::collections::HashSet::new();
    let mut has_main = false;
    for (i, ra) in raw.agents.iter().enumerate() {
        let p = path.index(i);
        // Every field is checked even when another one is wrong, so all problems are listed.
        let entry = agent_entry(cx, &p, ra, run);
        let weight = cx.in_range(&p.key("weight"), ra.weight.unwrap_or(1.0), 0.001, 1000.0);
        let cap = cx.int_in(
            &p.key("max_concurrent"),
            ra.max_concurrent.unwrap_or(1),
            1,
            i64::from(MAX_CONCURRENT_LIMIT),
        );
        let speed = cx.in_range(&p.key("speed"), ra.speed.unwrap_or(1.0), 0.01, 100.0);
        let suspend_at = match ra.suspend_at_open {
            Some(v) => cx
                .int_in(
                    &p.key("suspend_at_open"),
                    v,
                    1,
                    i64::from(MAX_CONCURRENT_LIMIT),
                )
                .map(Some),
            None => Some(None),
        };
        let (Some(entry), Some(weight), Some(max_concurrent), Some(speed), Some(suspend_at)) =
            (entry, weight, cap, speed, suspend_at)
        else {
            continue;
        };
        let main_account = ra.main_account.unwrap_or(false);
        if main_account && has_main {
            cx.issue(
                &p.key("main_account"),
                "a shop has one main account; another [[agents]] entry already has main_account = true",
            );
            continue;
        }
        total += u64::from(entry.count);
        if total > MAX_AGENTS {
            cx.issue(
                &p.key("count"),
                format!("the scenario has more than {MAX_AGENTS} agents"),
            );
            return None;
        }
        if !entry_names.insert(entry.name.clone()) {
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
        let ever = groups_ever(raw, &entry.name, &group_names, &groups);
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
                groups: ever.clone(),
                start_groups: groups.clone(),
                weight,
                max_concurrent,
                speed,
                stagger,
                main_account,
                routable: ra.routable.unwrap_or(true),
                suspend_at,
            });
        }
        has_main |= main_account;
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

/// The groups an entry serves at some time of the run: its own, and
/// those `[[schedule]]` changes give it (names checked there), its own
/// first.
fn groups_ever(raw: &RawScenario, entry: &str, names: &[String], start: &[usize]) -> Vec<usize> {
    let mut ever = start.to_vec();
    for rc in &raw.schedule {
        if rc.agents.as_deref() != Some(entry) {
            continue;
        }
        for name in rc.groups.iter().flatten() {
            match names.iter().position(|n| n == name) {
                Some(g) if !ever.contains(&g) => ever.push(g),
                _ => {}
            }
        }
    }
    ever
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
        let members: Vec<usize> = (0..agents.len())
            .filter(|&i| agents[i].groups.contains(&g))
            .collect();
        let declared = raw.groups.iter().position(|rg| &rg.name == name);
        let path = declared.map_or_else(|| root.key("agents"), |i| root.key("groups").index(i));
        if members.is_empty() {
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
                .int_in(&path.key("max_on_break"), v, 0, members.len() as i64)
                .map(Some),
            None => Some(None),
        };
        let overflow = overflow(cx, &path, rg, names, g);
        let transfer = match rg.and_then(|r| r.transfer.as_ref()) {
            Some(t) => transfer(cx, &path.key("transfer"), t, names, g).map(Some),
            None => Some(None),
        };
        if let (Some(policy), Some(max_on_break), Some(overflow), Some(transfer)) =
            (policy, max_on_break, overflow, transfer)
        {
            out.push(Group {
                name: name.clone(),
                policy,
                max_on_break,
                members,
                overflow,
                transfer,
            });
        }
    }
    if out.len() != names.len() {
        return None;
    }
    // Overflow must not loop: chats would bounce between groups for ever.
    for start in 0..out.len() {
        let mut g = start;
        for _ in 0..out.len() {
            match out[g].overflow {
                Some((to, _)) if to == start => {
                    let declared = raw.groups.iter().position(|rg| rg.name == out[start].name);
                    let path = declared
                        .map_or_else(|| root.key("groups"), |i| root.key("groups").index(i));
                    cx.issue(
                        &path.key("overflow_to"),
                        format!(
                            "overflow from `{}` comes back to it; overflow chains must end",
                            out[start].name
                        ),
                    );
                    return None;
                }
                Some((to, _)) => g = to,
                None => break,
            }
        }
    }
    Some(out)
}

fn transfer(
    cx: &mut Cx,
    path: &KeyPath,
    raw: &RawTransfer,
    names: &[String],
    g: usize,
) -> Option<Transfer> {
    let share = cx.in_range(&path.key("share"), raw.share, 0.0, 1.0);
    let to = match names.iter().position(|n| n == &raw.to) {
        Some(t) if t == g => {
            cx.issue(&path.key("to"), "a group cannot transfer to itself");
            None
        }
        Some(t) => Some(t),
        None => {
            cx.issue(
                &path.key("to"),
                format!("unknown group `{}` (groups: {})", raw.to, names.join(", ")),
            );
            None
        }
    };
    let after = match (&raw.after, raw.after_rounds) {
        (Some(t), None) => cx.duration(&path.key("after"), t).map(TransferAfter::Time),
        (None, Some(k)) => cx
            .int_in(
                &path.key("after_rounds"),
                k,
                1,
                i64::from(crate::dist::MAX_COUNT),
            )
            .map(TransferAfter::Rounds),
        _ => {
            cx.issue(
                path,
                "a transfer needs exactly one of `after` (a duration after assignment) and `after_rounds` (dialogue model: with the reply to that round)",
            );
            None
        }
    };
    Some(Transfer {
        share: share?,
        to: to?,
        after: after?,
    })
}

/// `overflow_to` and `overflow_after` of a group: both or neither.
fn overflow(
    cx: &mut Cx,
    path: &KeyPath,
    rg: Option<&RawGroup>,
    names: &[String],
    g: usize,
) -> Option<Option<(usize, Millis)>> {
    let Some(rg) = rg else { return Some(None) };
    match (&rg.overflow_to, &rg.overflow_after) {
        (None, None) => Some(None),
        (Some(to), Some(after)) => {
            let target = names.iter().position(|n| n == to);
            let after_ms = cx.duration(&path.key("overflow_after"), after);
            match target {
                None => cx.issue(
                    &path.key("overflow_to"),
                    format!("unknown group `{to}` (groups: {})", names.join(", ")),
                ),
                Some(t) if t == g => cx.issue(
                    &path.key("overflow_to"),
                    "a group cannot overflow to itself",
                ),
                _ => {}
            }
            if after_ms == Some(0) {
                cx.issue(&path.key("overflow_after"), "overflow_after must be > 0");
                return None;
            }
            Some(Some((target.filter(|&t| t != g)?, after_ms?)))
        }
        (Some(_), None) => {
            cx.issue(
                &path.key("overflow_to"),
                "overflow_to needs overflow_after (how long a chat waits before it overflows)",
            );
            None
        }
        (None, Some(_)) => {
            cx.issue(
                &path.key("overflow_after"),
                "overflow_after needs overflow_to (the group to overflow to)",
            );
            None
        }
    }
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
    let mut episodes = Vec::new();
    for (i, e) in raw.episodes.iter().enumerate() {
        episodes.push(episode(cx, &path.key("episodes").index(i), e)?);
    }
    if raw.main_account == Some(true) && count != 1 {
        cx.issue(
            &path.key("main_account"),
            format!("the main account is one agent: an entry with main_account = true must have count = 1, got {count}"),
        );
        return None;
    }
    Some(AgentEntry {
        name,
        count,
        shift,
        episodes,
    })
}

/// Highest rate of random state changes accepted (per online hour).
const MAX_EPISODE_RATE: f64 = 60.0;

fn episode(cx: &mut Cx, path: &KeyPath, raw: &RawEpisode) -> Option<Episode> {
    let state = match raw.state.as_str() {
        "busy" => Some(EpisodeState::Busy),
        "break" => Some(EpisodeState::Break),
        "suspended" => Some(EpisodeState::Suspended),
        other => {
            cx.issue(
                &path.key("state"),
                format!("unknown state \"{other}\" (allowed: busy, break, suspended; invisible counts as online and needs no episode)"),
            );
            None
        }
    };
    let rate = cx.in_range(
        &path.key("rate_per_hour"),
        raw.rate_per_hour,
        0.0,
        MAX_EPISODE_RATE,
    );
    let length = super::demand::dist(cx, &path.key("length"), &raw.length);
    Some(Episode {
        state: state?,
        rate_per_hour: rate?,
        length: length?,
    })
}

fn entry_number(path: &KeyPath) -> Option<usize> {
    match path.0.last() {
        Some(crate::scenario::locate::Seg::Index(i)) => Some(*i),
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

pub(super) fn shift(
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
    let dates = crate::shifts::Dates {
        only: day_list(cx, &path.key("dates"), raw.dates.as_deref())?,
        except: day_list(cx, &path.key("except_dates"), raw.except_dates.as_deref())?,
    };
    let plan = ShiftPlan {
        dates,
        fixed: Vec::new(),
        patterns,
        rotate_every_days,
        work_days,
        breaks,
        anchor_day,
    };
    cx.check(path, plan.check(count))?;
    Some(plan)
}

/// Dates (`"2026-11-11"`) or inclusive ranges (`"2027-02-10..2027-02-16"`)
/// as sorted local day numbers.
fn day_list(cx: &mut Cx, path: &KeyPath, raw: Option<&[String]>) -> Option<Vec<i64>> {
    let mut days = Vec::new();
    for (i, text) in raw.unwrap_or_default().iter().enumerate() {
        let p = path.index(i);
        let (a, b) = text.split_once("..").unwrap_or((text, text));
        let (a, b) = (
            cx.check(&p, parse_date(a.trim()))?,
            cx.check(&p, parse_date(b.trim()))?,
        );
        if b < a || b - a > 3_660 {
            cx.issue(
                &p,
                format!(
                    "`{text}`: a range runs from an earlier date to a later one, at most 3660 days"
                ),
            );
            return None;
        }
        days.extend(a..=b);
    }
    days.sort_unstable();
    days.dedup();
    Some(days)
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
