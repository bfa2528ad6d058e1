//! Shift plans: when each agent is on duty and when it takes its breaks (小休).
//!
//! A [`ShiftPlan`] describes one `[[agents]]` entry's duty pattern in local
//! time: daily windows (several for a split shift), which days are worked
//! (weekdays, or an N-on/M-off rotation), a multi-shift rotation that changes
//! the windows every `rotate_every` days (early/late/night), and breaks at
//! offsets into each window. Agent `i` of an entry gets a [`Stagger`] so that
//! rotations are spread evenly across the entry's agents.
//!
//! A window belongs to the day it starts on and may run past midnight.
//! Invariant: for every stagger, windows never overlap (checked by
//! [`ShiftPlan::check`] over a full cycle when the scenario is validated).

use crate::time::{DAY_MS, LocalClock, Millis, format_clock, format_duration, weekday_of_day};

/// One daily duty window: starts at `start` after local midnight, lasts `len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start, ms after local midnight (< 24 h).
    pub start: Millis,
    /// Length, in (0, 24 h].
    pub len: Millis,
}

/// A break taken `after` the window start, lasting `length`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Break {
    /// Offset from the window start.
    pub after: Millis,
    /// Length of the break.
    pub length: Millis,
}

/// Which days are worked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkDays {
    /// Fixed weekdays (Monday first).
    Weekdays([bool; 7]),
    /// `on` days worked, then `off` days free, repeating from the anchor day,
    /// staggered across the entry's agents.
    Rotation {
        /// Days on.
        on: u32,
        /// Days off.
        off: u32,
    },
}

/// A validated shift plan for one `[[agents]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftPlan {
    /// Window sets an agent cycles through (one set = no multi-shift rotation).
    pub patterns: Vec<Vec<Window>>,
    /// Days between moving to the next pattern.
    pub rotate_every_days: u32,
    /// Which days are worked.
    pub work_days: WorkDays,
    /// Breaks inside every window.
    pub breaks: Vec<Break>,
    /// The local day the rotations count from.
    pub anchor_day: i64,
    /// Absolute duty windows `[start, end)` in simulated time, sorted and
    /// disjoint; when not empty they replace the daily windows (capacity
    /// planning staffs interval by interval with them).
    pub fixed: Vec<(i64, i64)>,
    /// Dated staffing: the local days worked only (`dates`) or never
    /// (`except_dates`), on top of the weekly or rotating days.
    pub dates: Dates,
}

/// Dated staffing of a shift plan (holidays, sale days), by local day number.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dates {
    /// If not empty, only these days are worked (sorted).
    pub only: Vec<i64>,
    /// These days are never worked (sorted).
    pub except: Vec<i64>,
}

impl Dates {
    fn allows(&self, day: i64) -> bool {
        (self.only.is_empty() || self.only.binary_search(&day).is_ok())
            && self.except.binary_search(&day).is_err()
    }
}

/// Where one agent sits in its entry's rotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stagger {
    /// Offset into the on/off cycle, in days.
    pub day_offset: u32,
    /// Offset into the pattern rotation.
    pub pattern_offset: u32,
}

/// One concrete shift: `[start, end)` in simulated time (may start before 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance {
    /// Start of duty.
    pub start: i64,
    /// End of duty.
    pub end: i64,
}

impl ShiftPlan {
    /// The stagger of agent `index` among `count` agents of the entry.
    pub fn stagger(&self, index: u32, count: u32) -> Stagger {
        let day_offset = match self.work_days {
            WorkDays::Rotation { on, off } => {
                let cycle = u64::from(on + off);
                (u64::from(index) * cycle / u64::from(count.max(1))) as u32
            }
            WorkDays::Weekdays(_) => 0,
        };
        Stagger {
            day_offset,
            pattern_offset: index % self.patterns.len() as u32,
        }
    }

    fn works_on(&self, day: i64, stagger: Stagger) -> bool {
        if !self.dates.allows(day) {
            return false;
        }
        match self.work_days {
            WorkDays::Weekdays(days) => days[weekday_of_day(day)],
            WorkDays::Rotation { on, off } => {
                let pos = (day - self.anchor_day + i64::from(stagger.day_offset))
                    .rem_euclid(i64::from(on + off));
                pos < i64::from(on)
            }
        }
    }

    fn windows_on(&self, day: i64, stagger: Stagger) -> &[Window] {
        if !self.works_on(day, stagger) {
            return &[];
        }
        let period = (day - self.anchor_day).div_euclid(i64::from(self.rotate_every_days));
        let p = (period + i64::from(stagger.pattern_offset)).rem_euclid(self.patterns.len() as i64);
        &self.patterns[p as usize]
    }

    /// Length of the cycle after which the plan repeats, in days.
    pub fn cycle_days(&self) -> u64 {
        let mut cycle = match self.work_days {
            WorkDays::Weekdays(_) => 7,
            WorkDays::Rotation { on, off } => u64::from(on + off),
        };
        if self.patterns.len() > 1 {
            cycle = lcm(
                cycle,
                self.patterns.len() as u64 * u64::from(self.rotate_every_days),
            );
        }
        cycle
    }

    /// The first shift that ends after `t` (it may already have started).
    pub fn next_instance(&self, clock: &LocalClock, stagger: Stagger, t: i64) -> Option<Instance> {
        if !self.fixed.is_empty() {
            let i = self.fixed.partition_point(|&(_, end)| end <= t);
            return self
                .fixed
                .get(i)
                .map(|&(start, end)| Instance { start, end });
        }
        let first_day = (clock.start_local_ms + t).div_euclid(DAY_MS as i64) - 1;
        // Dated days extend the search: up to the last `only` day, and past
        // every excepted day.
        let mut last = first_day + self.cycle_days() as i64 + 2 + self.dates.except.len() as i64;
        if let Some(&d) = self.dates.only.last() {
            last = if d >= first_day {
                last.max(d + 1)
            } else {
                first_day - 1
            };
        }
        for day in first_day..=last {
            let midnight = clock.day_start(day);
            for w in self.windows_on(day, stagger) {
                let start = midnight + w.start as i64;
                let end = start + w.len as i64;
                if end > t {
                    return Some(Instance { start, end });
                }
            }
        }
        None
    }

    /// Checks that windows never overlap and that some day is worked, for every stagger.
    pub fn check(&self, count: u32) -> Result<(), String> {
        if !self.fixed.is_empty() {
            return Ok(());
        }
        let cycle = self.cycle_days();
        if cycle > 3_660 {
            return Err(format!(
                "the shift rotation only repeats after {cycle} days; at most 3660 allowed"
            ));
        }
        let mut seen = Vec::new();
        for i in 0..count {
            let st = self.stagger(i, count);
            if seen.contains(&st) {
                continue;
            }
            seen.push(st);
            let mut prev_end: Option<i64> = None;
            let mut any = false;
            // Over one cycle from the anchor, or over the dated days.
            let days = match (self.dates.only.first(), self.dates.only.last()) {
                (Some(&a), Some(&b)) => a..=b + 1,
                _ => {
                    self.anchor_day
                        ..=self.anchor_day + cycle as i64 + 1 + self.dates.except.len() as i64
                }
            };
            for day in days {
                for w in self.windows_on(day, st) {
                    any = true;
                    let start = day * DAY_MS as i64 + w.start as i64;
                    if let Some(end) = prev_end.filter(|&end| start < end) {
                        let overlap = format_duration((end - start) as Millis);
                        return Err(format!(
                            "shift windows overlap by {overlap}: the window starting {} begins before the previous one ends",
                            format_clock(w.start)
                        ));
                    }
                    prev_end = Some(start + w.len as i64);
                }
            }
            if !any {
                return Err("the shift never has a working day".to_string());
            }
        }
        Ok(())
    }

    /// The local duty windows (`08:00-16:30`) of the agent at `stagger`
    /// overlapping `[from, to)` in simulated time, distinct, in order of
    /// first appearance: the shifts it actually worked in a window. At
    /// most `limit` are collected.
    pub fn windows_between(
        &self,
        clock: &LocalClock,
        stagger: Stagger,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Vec<String> {
        let local = |t: i64| (clock.start_local_ms + t).rem_euclid(DAY_MS as i64) as Millis;
        let mut out: Vec<String> = Vec::new();
        let mut t = from;
        // Bounded: a window is at least a minute long, and the list is capped.
        for _ in 0..100_000 {
            let Some(inst) = self.next_instance(clock, stagger, t) else {
                break;
            };
            if inst.start >= to || inst.end <= t {
                break;
            }
            let label = clock_span(local(inst.start), local(inst.end));
            if !out.contains(&label) {
                out.push(label);
                if out.len() >= limit {
                    break;
                }
            }
            t = inst.end;
        }
        out
    }

    /// A one-line description for `kefusim check`.
    pub fn describe(&self) -> String {
        let windows = |ws: &[Window]| {
            ws.iter()
                .map(|w| clock_span(w.start, (w.start + w.len) % DAY_MS))
                .collect::<Vec<_>>()
                .join(" + ")
        };
        let mut s = if self.patterns.len() == 1 {
            windows(&self.patterns[0])
        } else {
            let all: Vec<String> = self.patterns.iter().map(|p| windows(p)).collect();
            format!(
                "rotating [{}] every {}d",
                all.join(" | "),
                self.rotate_every_days
            )
        };
        match &self.work_days {
            WorkDays::Weekdays(days) if days.iter().all(|d| *d) => {}
            WorkDays::Weekdays(days) => {
                let names: Vec<&str> = crate::time::WEEKDAYS
                    .iter()
                    .zip(days)
                    .filter(|(_, on)| **on)
                    .map(|(n, _)| *n)
                    .collect();
                s.push_str(&format!(" on {}", names.join(",")));
            }
            WorkDays::Rotation { on, off } => {
                s.push_str(&format!(", {on} days on / {off} off (staggered)"))
            }
        }
        let span = |days: &[i64]| match days {
            [one] => crate::time::format_date(*one),
            _ => format!(
                "{} days, {} to {}",
                days.len(),
                crate::time::format_date(days[0]),
                crate::time::format_date(days[days.len() - 1])
            ),
        };
        if !self.dates.only.is_empty() {
            s.push_str(&format!(", only on {}", span(&self.dates.only)));
        }
        if !self.dates.except.is_empty() {
            s.push_str(&format!(", except {}", span(&self.dates.except)));
        }
        for b in &self.breaks {
            s.push_str(&format!(
                ", break {} after {}",
                format_duration(b.length),
                format_duration(b.after)
            ));
        }
        s
    }
}

/// A daily window `start-end` in local clock time; one ending at
/// midnight reads `24:00`.
fn clock_span(start: Millis, end: Millis) -> String {
    let end = match end {
        0 => "24:00".to_string(),
        e => format_clock(e),
    };
    format!("{}-{end}", format_clock(start))
}

fn lcm(a: u64, b: u64) -> u64 {
    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    a / gcd(a, b) * b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{HOUR_MS, parse_instant};

    fn clock() -> LocalClock {
        // A Monday.
        LocalClock::new(parse_instant("2026-11-09T00:00:00+08:00").unwrap())
    }

    fn plan(patterns: Vec<Vec<Window>>, work_days: WorkDays) -> ShiftPlan {
        ShiftPlan {
            dates: Dates::default(),
            fixed: Vec::new(),
            patterns,
            rotate_every_days: 7,
            work_days,
            breaks: vec![],
            anchor_day: clock().day(0),
        }
    }

    fn w(start_h: u64, len_h: u64) -> Window {
        Window {
            start: start_h * HOUR_MS,
            len: len_h * HOUR_MS,
        }
    }

    #[test]
    fn weekday_shift_skips_the_weekend() {
        let mut days = [true; 7];
        days[5] = false;
        days[6] = false;
        let p = plan(vec![vec![w(9, 9)]], WorkDays::Weekdays(days));
        let c = clock();
        let fri_evening = (4 * DAY_MS + 20 * HOUR_MS) as i64;
        let next = p
            .next_instance(&c, Stagger::default(), fri_evening)
            .unwrap();
        assert_eq!(next.start, (7 * DAY_MS + 9 * HOUR_MS) as i64); // Monday 09:00
        // Inside a shift: the current instance.
        let now = p
            .next_instance(&c, Stagger::default(), (10 * HOUR_MS) as i64)
            .unwrap();
        assert_eq!(
            (now.start, now.end),
            ((9 * HOUR_MS) as i64, (18 * HOUR_MS) as i64)
        );
    }

    #[test]
    fn night_shift_running_into_the_run_start_is_found() {
        let p = plan(vec![vec![w(22, 8)]], WorkDays::Weekdays([true; 7]));
        let i = p.next_instance(&clock(), Stagger::default(), 0).unwrap();
        assert_eq!(
            (i.start, i.end),
            (-(2 * HOUR_MS as i64), (6 * HOUR_MS) as i64)
        );
    }

    #[test]
    fn rotation_is_staggered_evenly() {
        let p = plan(vec![vec![w(9, 8)]], WorkDays::Rotation { on: 4, off: 2 });
        let c = clock();
        for day in 0..12i64 {
            let working = (0..6)
                .filter(|&i| {
                    let st = p.stagger(i, 6);
                    let inst = p.next_instance(&c, st, day * DAY_MS as i64).unwrap();
                    inst.start == day * DAY_MS as i64 + (9 * HOUR_MS) as i64
                })
                .count();
            assert_eq!(working, 4, "day {day}");
        }
    }

    #[test]
    fn multi_shift_rotation_changes_weekly() {
        let p = plan(
            vec![vec![w(8, 8)], vec![w(16, 8)], vec![w(0, 8)]],
            WorkDays::Weekdays([true; 7]),
        );
        let c = clock();
        let st = p.stagger(0, 3);
        let wk1 = p.next_instance(&c, st, 0).unwrap();
        let wk2 = p.next_instance(&c, st, (7 * DAY_MS) as i64).unwrap();
        assert_eq!(wk1.start, (8 * HOUR_MS) as i64);
        assert_eq!(wk2.start, (7 * DAY_MS + 16 * HOUR_MS) as i64);
        assert!(p.check(3).is_ok());
    }

    #[test]
    fn overlaps_are_rejected() {
        let p = plan(vec![vec![w(9, 4), w(12, 6)]], WorkDays::Weekdays([true; 7]));
        assert!(p.check(1).unwrap_err().contains("overlap"));
        // Late (16:00-02:00) on Sunday, then next week's night shift from 00:00 Monday.
        let p = plan(
            vec![vec![w(16, 10)], vec![w(0, 8)]],
            WorkDays::Weekdays([true; 7]),
        );
        assert!(p.check(2).is_err());
    }
}
