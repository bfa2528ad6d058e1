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
        let _ = writeln!(o, "  vip share      {}%", b.vip_share * 100.0);
        let _ = writeln!(
            o,
            "  patience       {}",
            b.patience
                .as_ref()
                .map_or("infinite (never abandons)", |d| d.label())
        );
        let s = &self.service;
        let _ = writeln!(o, "service (session model)");
        let _ = writeln!(o, "  duration       {}", s.duration.label());
        let slowdown = if s.slowdown.is_empty() {
            "none".to_string()
        } else {
            format!("{:?} (× mean duration at 1, 2, … open chats)", s.slowdown)
        };
        let _ = writeln!(o, "  slowdown       {slowdown}");
        let _ = writeln!(
            o,
            "  first reply    {}",
            s.first_reply
                .as_ref()
                .map_or("at assignment", |d| d.label())
        );
        self.describe_staff(&mut o);
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

    fn describe_staff(&self, o: &mut String) {
        let _ = writeln!(o, "groups");
        for (g, group) in self.groups.iter().enumerate() {
            let members = group.members.len();
            let entries: Vec<&str> = EntryPoint::ALL
                .iter()
                .filter(|e| self.entry_group[**e as usize] == Some(g))
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
            let _ = writeln!(
                o,
                "  {:<14} policy {}, {members} agents{brk}; {from}",
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
        for (i, e) in self.entries.iter().enumerate() {
            let Some(first) = self.agents.iter().find(|a| a.entry == i) else {
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
            let _ = writeln!(
                o,
                "  {:<14} {} × cap {}, weight {}, speed {}, groups {}; shift {shift}",
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
