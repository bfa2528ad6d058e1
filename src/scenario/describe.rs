//! The resolved scenario as text, for `kefusim check`.

use std::fmt::Write;

use super::Scenario;
use crate::arrivals::{Base, EntryPoint};
use crate::time::{
    HOUR_MS, MINUTE_MS, WEEKDAYS, format_clock, format_date, format_duration, weekday_of_day,
};

impl Scenario {
    /// A readable account of every resolved setting, defaults included.
    pub fn describe(&self) -> String {
        let mut o = self.describe_model();
        for (i, t) in self.thresholds.iter().enumerate() {
            let label = if i == 0 { "require" } else { "" };
            let how = match (&t.over, &t.during) {
                (crate::catalog::Over::Whole, None) => "judged on the mean".to_string(),
                (crate::catalog::Over::Whole, Some(d)) => {
                    format!("judged on the mean over {} interval(s)", d.intervals.len())
                }
                (_, Some(d)) => format!("judged in each of {} interval(s)", d.intervals.len()),
                (_, None) => "judged in each interval".to_string(),
            };
            let _ = writeln!(o, "{label:<16} {t} ({how}; exit code 5 if missed)");
        }
        if !self.compare.is_default() {
            let g = &self.compare;
            let _ = writeln!(o, "compare");
            let _ = writeln!(
                o,
                "  judged         {} (family-wise α = {}, Holm–Bonferroni; exit code 6 on a regression)",
                g.metrics
                    .as_ref()
                    .map_or("every metric with a better direction".to_string(), |m| m
                        .join(", ")),
                g.alpha
            );
            for (m, t) in &g.tolerances {
                let _ = writeln!(o, "  tolerance      {m}: {t}");
            }
        }
        if let Some(p) = &self.plan {
            let replaced: Vec<&str> = p
                .replace
                .iter()
                .map(|&e| self.entries[e].name.as_str())
                .collect();
            let _ = writeln!(o, "plan");
            let _ = writeln!(
                o,
                "  pool           agents like `{}`, replacing {}",
                self.entries[p.entry].name,
                replaced.join(", ")
            );
            let targets: Vec<String> = p.targets.iter().map(ToString::to_string).collect();
            let _ = writeln!(o, "  targets        {} (per interval)", targets.join(", "));
            let _ = writeln!(
                o,
                "  shrinkage      {}, at most {} pool agents on duty",
                p.shrinkage, p.max_agents
            );
            for t in &p.shifts {
                let max = t.max.map_or(String::new(), |m| format!(" (max {m})"));
                let _ = writeln!(o, "  shift          {}: {}{max}", t.name, t.plan.describe());
            }
        }
        o
    }

    /// A digest of everything that determines the results (the resolved
    /// model, seed and replications; not the thresholds): two runs with
    /// the same digest and the same kefusim give byte-identical results.
    /// FNV-1a (64 bits) of the resolved model's text, as 16 hex digits.
    pub fn digest(&self) -> String {
        fnv1a_hex(self.describe_model().as_bytes())
    }

    /// [`Scenario::describe`] without the thresholds.
    fn describe_model(&self) -> String {
        let mut o = String::new();
        let run = &self.run;
        let c = &run.clock;
        let _ = writeln!(o, "scenario {}", self.name);
        let _ = writeln!(o, "run");
        let _ = writeln!(
            o,
            "  start          {} ({})",
            c.format(0),
            WEEKDAYS[weekday_of_day(c.day(0))]
        );
        let _ = writeln!(
            o,
            "  duration       {} (warm-up {})",
            format_duration(run.duration),
            format_duration(run.warmup)
        );
        let _ = writeln!(
            o,
            "  measured       {} → {}",
            c.format(run.measure_from()),
            c.format(run.measure_to())
        );
        let _ = writeln!(
            o,
            "  replications   {}, seed {}, interval {} ({} intervals)",
            run.replications,
            run.seed,
            format_duration(run.interval),
            run.intervals()
        );
        self.describe_arrivals(&mut o);
        let b = &self.buyers;
        let shares: Vec<String> = EntryPoint::ALL
            .iter()
            .filter(|e| self.arrivals.entry_shares[**e as usize] > 0.0)
            .map(|e| {
                let share = (self.arrivals.entry_shares[*e as usize] * 1e4).round() / 100.0;
                format!("{} {share}%", e.name())
            })
            .collect();

        let _ = writeln!(o, "buyers");
        let _ = writeln!(o, "  entries        {}", shares.join(", "));
        let tiers: Vec<String> = b
            .vip_tiers
            .iter()
            .map(|t| format!("{} {}%", t.name, t.share * 100.0))
            .collect();
        let _ = writeln!(
            o,
            "  vip share      {}% ({}; higher tiers queue first)",
            b.vip_share * 100.0,
            tiers.join(", ")
        );
        let _ = writeln!(
            o,
            "  patience       {}",
            b.patience
                .as_ref()
                .map_or("infinite (never abandons)", |d| d.label())
        );
        let _ = writeln!(
            o,
            "  population     private {}%, direct {}%, returning {}% (recency {})",
            b.private_share * 100.0,
            b.direct_share * 100.0,
            b.returning_share * 100.0,
            crate::time::format_duration(b.recency)
        );
        let s = &self.service;
        match &s.model {
            super::ServiceModel::Session { duration } => {
                let _ = writeln!(o, "service (session model)");
                let _ = writeln!(o, "  duration       {}", duration.label());
            }
            super::ServiceModel::Dialogue(d) => {
                let _ = writeln!(o, "service (dialogue model)");
                let _ = writeln!(o, "  rounds         {}", d.rounds.label());
                let _ = writeln!(
                    o,
                    "  messages       {} per round, {} apart",
                    d.messages_per_round.label(),
                    d.message_gap.label()
                );
                let _ = writeln!(o, "  think          {}", d.think.label());
                let _ = writeln!(o, "  typing         {} per reply", d.typing.label());
                let _ = writeln!(
                    o,
                    "  inactivity     session closes {} after the last reply",
                    crate::time::format_duration(d.inactivity_timeout)
                );
                let _ = writeln!(
                    o,
                    "  silent leave   {}% per round",
                    d.silent_abandon * 100.0
                );
            }
        }
        let slowdown = if s.slowdown.is_empty() {
            "none".to_string()
        } else {
            format!(
                "{:?} (× {} at 1, 2, … open chats)",
                s.slowdown,
                if s.dialogue().is_some() {
                    "typing time"
                } else {
                    "mean duration"
                }
            )
        };
        let _ = writeln!(o, "  slowdown       {slowdown}");
        let _ = writeln!(
            o,
            "  first reply    {}",
            s.first_reply
                .as_ref()
                .map_or("at assignment", |d| d.label())
        );
        if !s.break_pauses_chats && s.duration().is_some() {
            // Only the non-default is shown (the digest of other scenarios stays).
            let _ = writeln!(
                o,
                "  breaks         chats go on while their agent is on a break"
            );
        }
        self.describe_staff(&mut o);
        self.describe_routing(&mut o);
        self.describe_schedule(&mut o);
        let t: Vec<String> = self
            .sla
            .thresholds_s
            .iter()
            .map(|s| format!("{s}s"))
            .collect();
        let _ = writeln!(
            o,
            "sla thresholds   {} (120s = golden 2-minute rule)",
            t.join(", ")
        );
        o
    }

    fn describe_arrivals(&self, o: &mut String) {
        let a = &self.arrivals;
        let c = &self.run.clock;
        let _ = writeln!(o, "arrivals");
        match &a.base {
            Base::Flat {
                rate_per_ms,
                profile,
            } => {
                let _ = writeln!(o, "  base           {}/h", rate_per_ms * HOUR_MS as f64);
                if let Some(p) = profile {
                    let pts: Vec<String> = p
                        .points()
                        .iter()
                        .map(|(t, m)| format!("{} ×{m}", format_clock(*t)))
                        .collect();
                    let _ = writeln!(o, "  profile        {}", pts.join(", "));
                }
            }
            Base::Curve { points } => {
                let _ = writeln!(
                    o,
                    "  curve          {} points, {} → {}",
                    points.len(),
                    c.format(points[0].0.max(0) as u64),
                    c.format(points[points.len() - 1].0.max(0) as u64)
                );
            }
        }
        if a.weekday.iter().any(|w| *w != 1.0) {
            let w: Vec<String> = WEEKDAYS
                .iter()
                .zip(a.weekday)
                .map(|(d, f)| format!("{d} ×{f}"))
                .collect();
            let _ = writeln!(o, "  weekdays       {}", w.join(", "));
        }
        for h in &a.holidays {
            let name = h
                .name
                .as_deref()
                .map_or(String::new(), |n| format!(" ({n})"));
            let _ = writeln!(
                o,
                "  holiday        {} … {} ×{}{name}",
                format_date(h.from_day),
                format_date(h.to_day),
                h.multiplier
            );
        }
        for p in &a.peaks {
            let mut entry = p
                .entry
                .map_or("all entries".to_string(), |e| format!("entry {}", e.name()));
            if let Some(n) = &p.name {
                entry = format!("{n}; {entry}");
            }
            let start = c.format_signed(p.start);
            let _ = writeln!(
                o,
                "  peak           ×{} from {start}: ramp {}, hold {}, decay τ {} ({entry})",
                p.multiplier,
                format_duration(p.ramp),
                format_duration(p.hold),
                format_duration(p.decay)
            );
        }
        let (from, to) = (self.run.measure_from(), self.run.measure_to());
        let expected = a.expected_arrivals(from, to);
        let (mut peak_t, mut peak) = (from, 0.0);
        let mut t = from;
        while t < to {
            let r = a.rate_per_hour(t);
            if r > peak {
                (peak_t, peak) = (t, r);
            }
            t += MINUTE_MS;
        }
        let _ = writeln!(
            o,
            "  expected       {expected:.1} chats in the measured window; highest rate {peak:.1}/h at {}",
            c.format(peak_t)
        );
    }

    fn describe_schedule(&self, o: &mut String) {
        if self.schedule.is_empty() {
            return;
        }
        let _ = writeln!(o, "schedule");
        for c in &self.schedule {
            let what = match &c.what {
                super::ChangeKind::Cap { entry, cap } => {
                    format!(
                        "agents `{}`: max_concurrent {cap}",
                        self.entries[*entry].name
                    )
                }
                super::ChangeKind::Groups { entry, groups } => {
                    let names: Vec<&str> = groups
                        .iter()
                        .map(|&g| self.groups[g].name.as_str())
                        .collect();
                    format!(
                        "agents `{}`: groups {}",
                        self.entries[*entry].name,
                        names.join(", ")
                    )
                }
                super::ChangeKind::NobodyOnline(v) => format!("nobody_online {}", v.name()),
                super::ChangeKind::Policy { group, policy } => {
                    format!(
                        "group `{}`: policy {}",
                        self.groups[*group].name,
                        policy.name()
                    )
                }
            };
            let _ = writeln!(o, "  {}  {what}", self.run.clock.format(c.at));
        }
    }

    fn describe_routing(&self, o: &mut String) {
        use super::{NobodyOnline, QueueOrder, ShiftEnd};
        use crate::time::format_duration;
        let r = &self.routing;
        let _ = writeln!(o, "routing");
        let nobody = match r.nobody_online {
            NobodyOnline::Queue => "queue (wait like any chat)",
            NobodyOnline::OfflineMessage => "offline_message (Feige 离线留言)",
            NobodyOnline::MainAccount => {
                "main_account (Taobao: main even if suspended; suspended accounts share evenly)"
            }
        };
        let _ = writeln!(o, "  nobody online  {nobody}");
        for e in EntryPoint::ALL {
            if let Some(menu) = &self.menus[e as usize] {
                let mut prev = 0.0;
                let choices: Vec<String> = menu
                    .iter()
                    .map(|&(g, c)| {
                        let share = ((c - prev) * 1e4).round() / 100.0;
                        prev = c;
                        format!("{} {share}%", self.groups[g].name)
                    })
                    .collect();
                let _ = writeln!(o, "  menu           {} → {}", e.name(), choices.join(", "));
            }
        }
        let _ = writeln!(
            o,
            "  caps apply to  direct buyers: {}, returning buyers: {}",
            r.direct_respects_cap, r.sticky_respects_cap
        );
        let shift_end = match r.shift_end {
            ShiftEnd::Finish => "finish open chats (Feige)",
            ShiftEnd::Reroute => "end open chats and route the buyer again",
            ShiftEnd::Stuck => "leave open chats stuck until the next shift",
            ShiftEnd::HandOver => {
                "hand open chats over to agents of their group (转发); finish those that find nobody"
            }
        };
        let _ = writeln!(o, "  shift end      {shift_end}");
        let order = match r.queue_order {
            QueueOrder::Fifo => "FIFO",
            QueueOrder::Lifo => "LIFO",
        };
        let cap = r.max_queue.map_or("no cap".to_string(), |m| {
            format!("at most {m} waiting, then offline message")
        });
        let _ = writeln!(
            o,
            "  queue          VIP first, {order}, {cap}; abandoned → offline message: {}; golden 2-minute priority: {}",
            r.abandon_to_offline, r.golden_priority
        );
        if let Some(f) = r.fairness {
            let _ = writeln!(
                o,
                "  fairness       at most {} assignments per agent per {}",
                f.max,
                format_duration(f.window)
            );
        }
        let transfers = format!(
            "to agents online{}, never suspended; cap {}",
            if r.transfer_to_break {
                " or on a break"
            } else {
                ""
            },
            if r.transfer_exceeds_cap {
                "may be exceeded"
            } else {
                "applies"
            }
        );
        let _ = writeln!(o, "  transfers      {transfers}");
        let variant = match &r.variant {
            super::Variant::None => "none (push routing: assignment is immediate)".to_string(),
            super::Variant::OmniChannel(of) => format!(
                "omni_channel: offers accepted with p = {}, answered after {}, lapse after {}; never re-offered to a decliner",
                of.accept,
                of.response.label(),
                format_duration(of.timeout)
            ),
            super::Variant::TaskRouter(of) => format!(
                "taskrouter: reservations accepted with p = {}, answered after {}, lapse after {}; then evaluated again",
                of.accept,
                of.response.label(),
                format_duration(of.timeout)
            ),
            super::Variant::ChatwootV1 => {
                "chatwoot_v1: a chat that finds everyone full is left unassigned (known-bad baseline)".to_string()
            }
        };
        let _ = writeln!(o, "  variant        {variant}");
        if let Some(ov) = r.overload_transfer {
            let _ = writeln!(
                o,
                "  overload       an agent above {} open chats for {} hands its newest chat over (忙不过来), again every {} while above",
                ov.above,
                format_duration(ov.after),
                format_duration(ov.after)
            );
        }
        if r.offline_only_when_off_shift {
            let _ = writeln!(
                o,
                "  offline msgs   only when nobody of the group is on shift (break, busy, suspended agents hold the queue)"
            );
        }
        if let Some(c) = &r.vip_channel {
            let tiers: Vec<&str> = c
                .tiers
                .iter()
                .map(|&t| self.buyers.vip_tiers[t as usize - 1].name.as_str())
                .collect();
            let after = c.overflow_after.map_or("stay in it".to_string(), |t| {
                format!("go on to their entry's group after {}", format_duration(t))
            });
            let _ = writeln!(
                o,
                "  VIP channel    VIP专属通道: tiers {} routed to `{}`; waiting chats {after}",
                tiers.join(", "),
                self.groups[c.group].name
            );
        }
        if let Some(t) = r.processing_message_after {
            let _ = writeln!(
                o,
                "  auto message   \"正在为您处理中…\" at {} without a reply",
                format_duration(t)
            );
        }
    }

    fn describe_staff(&self, o: &mut String) {
        let _ = writeln!(o, "groups");
        for (g, group) in self.groups.iter().enumerate() {
            let members = group.members.len();
            let entries: Vec<&str> = EntryPoint::ALL
                .iter()
                .filter(|e| {
                    self.entry_group[**e as usize] == Some(g)
                        || self.menus[**e as usize]
                            .as_ref()
                            .is_some_and(|m| m.iter().any(|&(mg, _)| mg == g))
                })
                .map(|e| e.name())
                .collect();
            let brk = group
                .max_on_break
                .map_or(String::new(), |k| format!(", at most {k} on break"));
            let from = if entries.is_empty() {
                "no entry".to_string()
            } else {
                format!("entries {}", entries.join(", "))
            };
            let mut overflow = group.overflow.map_or(String::new(), |(to, after)| {
                format!(
                    "; overflows to {} after {}",
                    self.groups[to].name,
                    crate::time::format_duration(after)
                )
            });
            if let Some(t) = group.transfer {
                let when = match t.after {
                    super::TransferAfter::Time(ms) => {
                        format!("{} after assignment", crate::time::format_duration(ms))
                    }
                    super::TransferAfter::Rounds(k) => format!("with the reply to round {k}"),
                };
                overflow.push_str(&format!(
                    "; transfers {}% to {} {when}",
                    t.share * 100.0,
                    self.groups[t.to].name
                ));
            }
            let _ = writeln!(
                o,
                "  {:<14} policy {}, {members} agents{brk}; {from}{overflow}",
                group.name,
                group.policy.name()
            );
        }
        let _ = writeln!(
            o,
            "agents ({} in {} entries)",
            self.agents.len(),
            self.entries.len()
        );
        // Agents are expanded in entry order: each entry's first agent, in one pass.
        let mut first_of = vec![None; self.entries.len()];
        for a in self.agents.iter().rev() {
            first_of[a.entry] = Some(a);
        }
        for (i, e) in self.entries.iter().enumerate() {
            let Some(first) = first_of[i] else {
                continue;
            };
            let groups: Vec<&str> = first
                .groups
                .iter()
                .map(|&g| self.groups[g].name.as_str())
                .collect();
            let shift = e
                .shift
                .as_ref()
                .map_or("on duty throughout".to_string(), |s| s.describe());
            let mut flags = String::new();
            if first.main_account {
                flags.push_str(", main account");
            }
            if !first.routable {
                flags.push_str(", not routed (不参与分流)");
            }
            if let Some(n) = first.suspend_at {
                flags.push_str(&format!(", suspends at {n} open"));
            }
            for ep in &e.episodes {
                flags.push_str(&format!(
                    ", random {} {}/h for {}",
                    format!("{:?}", ep.state).to_lowercase(),
                    ep.rate_per_hour,
                    ep.length.label()
                ));
            }
            let _ = writeln!(
                o,
                "  {:<14} {} × cap {}, weight {}, speed {}, groups {}{flags}; shift {shift}",
                e.name,
                e.count,
                first.max_concurrent,
                first.weight,
                first.speed,
                groups.join(",")
            );
        }
    }
}

/// FNV-1a (64 bits) of `bytes`, as 16 hex digits: the scenario digest's
/// hash, and the shard files' checks of their text and payload.
pub fn fnv1a_hex(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}
