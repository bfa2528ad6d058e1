//! Simulated time, durations, wall-clock times of day and calendar dates.
//!
//! Simulated time is an integer number of milliseconds since the run's
//! `start` ([`SimTime`]). Everything calendar-related (daily profiles, weekday
//! factors, holidays, shifts) is evaluated in the *local time of the run*: the
//! UTC offset written in `run.start` (China Standard Time `+08:00` is the
//! norm; China has no daylight saving time, so a fixed offset is exact).
//! This module owns the text formats users write (`"1h30m"`, `"09:30"`,
//! `"2026-11-11"`, RFC 3339 instants) and the civil-date arithmetic; it never
//! reads the wall clock.

/// Simulated time: milliseconds since the run's start.
pub type SimTime = u64;
/// A length of time in milliseconds.
pub type Millis = u64;

/// One second in milliseconds.
pub const SECOND_MS: Millis = 1_000;
/// One minute in milliseconds.
pub const MINUTE_MS: Millis = 60 * SECOND_MS;
/// One hour in milliseconds.
pub const HOUR_MS: Millis = 60 * MINUTE_MS;
/// One day in milliseconds.
pub const DAY_MS: Millis = 24 * HOUR_MS;

/// Parses a duration such as `"90s"`, `"2m"`, `"1h30m"`, `"1d12h"` or `"250ms"`.
///
/// Units: `d`, `h`, `m`, `s`, `ms`; each number may carry a decimal fraction
/// (`"1.5h"`), the units may come in any order but each at most once, and the
/// result is rounded to whole milliseconds.
pub fn parse_duration(text: &str) -> Result<Millis, String> {
    const HELP: &str = "expected a duration such as \"90s\", \"2m\", \"1h30m\" or \"250ms\"";
    let s: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let s = s.as_str();
    if s.is_empty() {
        return Err(format!("empty duration: {HELP}"));
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total: f64 = 0.0;
    let mut seen: Vec<&str> = Vec::new();
    while i < bytes.len() {
        let num_start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        if num_start == i {
            return Err(format!("`{text}`: {HELP}"));
        }
        let number: f64 = s[num_start..i]
            .parse()
            .map_err(|_| format!("`{text}`: bad number `{}`: {HELP}", &s[num_start..i]))?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &s[unit_start..i];
        let scale = match unit {
            "d" => DAY_MS,
            "h" => HOUR_MS,
            "m" => MINUTE_MS,
            "s" => SECOND_MS,
            "ms" => 1,
            "" => return Err(format!("`{text}`: missing unit after {number}: {HELP}")),
            _ => {
                return Err(format!(
                    "`{text}`: unknown unit `{unit}` (allowed: d, h, m, s, ms)"
                ));
            }
        };
        if seen.contains(&unit) {
            return Err(format!("`{text}`: unit `{unit}` appears twice"));
        }
        seen.push(unit);
        total += number * scale as f64;
    }
    // 100 years is far beyond anything a scenario needs and keeps sums in range.
    if !total.is_finite() || total > 100.0 * 366.0 * DAY_MS as f64 {
        return Err(format!("`{text}`: duration too large (at most 100 years)"));
    }
    Ok(total.round() as Millis)
}

/// Formats milliseconds the way [`parse_duration`] reads them (`"1h30m"`).
pub fn format_duration(ms: Millis) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let mut rest = ms;
    let mut out = String::new();
    for (unit, scale) in [
        ("d", DAY_MS),
        ("h", HOUR_MS),
        ("m", MINUTE_MS),
        ("s", SECOND_MS),
        ("ms", 1),
    ] {
        if rest >= scale {
            out.push_str(&format!("{}{unit}", rest / scale));
            rest %= scale;
        }
    }
    out
}

/// Parses a wall-clock time of day `"HH:MM"` (or `"HH:MM:SS"`) into
/// milliseconds after midnight. `"24:00"` is accepted and means the end of the day.
pub fn parse_clock(text: &str) -> Result<Millis, String> {
    let bad = || format!("`{text}`: expected a time of day \"HH:MM\" between 00:00 and 24:00");
    let parts: Vec<&str> = text.trim().split(':').collect();
    // Exactly two digits per field: no signs, spaces or other digits.
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| !two_digits(p)) {
        return Err(bad());
    }
    let nums: Result<Vec<u64>, _> = parts.iter().map(|p| p.parse::<u64>()).collect();
    let nums = nums.map_err(|_| bad())?;
    let (h, m, s) = (nums[0], nums[1], nums.get(2).copied().unwrap_or(0));
    if m >= 60 || s >= 60 || h > 24 || (h == 24 && (m, s) != (0, 0)) {
        return Err(bad());
    }
    Ok(h * HOUR_MS + m * MINUTE_MS + s * SECOND_MS)
}

/// Whether `s` is exactly two ASCII digits.
fn two_digits(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Formats milliseconds after midnight as `"HH:MM"` (with `":SS"` when needed).
pub fn format_clock(ms_of_day: Millis) -> String {
    let (h, m, s) = (
        ms_of_day / HOUR_MS,
        ms_of_day / MINUTE_MS % 60,
        ms_of_day / SECOND_MS % 60,
    );
    if s == 0 {
        format!("{h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `(year, month, day)` of a day number since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Day of the week, Monday = 0 … Sunday = 6.
pub fn weekday_of_day(days: i64) -> usize {
    // 1970-01-01 was a Thursday (index 3).
    (days + 3).rem_euclid(7) as usize
}

/// Short English weekday names, Monday first, as used in scenario files.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Parses a calendar date `"YYYY-MM-DD"` into a day number since 1970-01-01.
pub fn parse_date(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}`: expected a date \"YYYY-MM-DD\"");
    let t = text.trim();
    let b = t.as_bytes();
    // Exactly `DDDD-DD-DD`: no signs, no other digits.
    let digits_at = [0, 1, 2, 3, 5, 6, 8, 9];
    if !t.is_ascii()
        || b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || digits_at.iter().any(|&i| !b[i].is_ascii_digit())
    {
        return Err(bad());
    }
    let year: i64 = t[0..4].parse().map_err(|_| bad())?;
    let month: u32 = t[5..7].parse().map_err(|_| bad())?;
    let day: u32 = t[8..10].parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(format!("`{text}`: no such date"));
    }
    Ok(days_from_civil(year, month, day))
}

/// An absolute instant with the UTC offset it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub unix_ms: i64,
    /// The UTC offset in minutes (`+08:00` = 480).
    pub offset_min: i32,
}

impl Instant {
    /// Local wall-clock milliseconds since 1970-01-01T00:00 local time.
    pub fn local_ms(&self) -> i64 {
        self.unix_ms + i64::from(self.offset_min) * MINUTE_MS as i64
    }
}

/// Parses an RFC 3339 instant with an explicit offset, such as
/// `"2026-11-11T00:00:00+08:00"`, `"2026-11-11T00:00+08:00"` or `"…Z"`.
pub fn parse_instant(text: &str) -> Result<Instant, String> {
    let help = "expected an RFC 3339 instant with offset such as \"2026-11-11T00:00:00+08:00\"";
    let t = text.trim();
    if !t.is_ascii() || t.len() < 11 {
        return Err(format!("`{text}`: {help}"));
    }
    let date = parse_date(&t[..10]).map_err(|_| format!("`{text}`: {help}"))?;
    let sep = t.as_bytes()[10];
    if !matches!(sep, b'T' | b't' | b' ') {
        return Err(format!("`{text}`: {help}"));
    }
    let rest = &t[11..];
    let zone_at = rest
        .find(['Z', 'z', '+', '-'])
        .ok_or_else(|| format!("`{text}`: missing UTC offset (write e.g. +08:00): {help}"))?;
    let (clock, zone) = rest.split_at(zone_at);
    let (clock, frac_ms) = match clock.split_once('.') {
        Some((c, frac)) => {
            if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("`{text}`: {help}"));
            }
            let padded: String = frac.chars().chain("000".chars()).take(3).collect();
            (
                c,
                padded
                    .parse::<i64>()
                    .map_err(|_| format!("`{text}`: {help}"))?,
            )
        }
        None => (clock, 0),
    };
    let clock_ms = parse_clock(clock).map_err(|_| format!("`{text}`: {help}"))?;
    if clock_ms >= DAY_MS {
        return Err(format!("`{text}`: {help}"));
    }
    let offset_min =
        parse_offset(zone).ok_or_else(|| format!("`{text}`: bad UTC offset `{zone}`: {help}"))?;
    let local = date * DAY_MS as i64 + clock_ms as i64 + frac_ms;
    Ok(Instant {
        unix_ms: local - i64::from(offset_min) * MINUTE_MS as i64,
        offset_min,
    })
}

fn parse_offset(zone: &str) -> Option<i32> {
    if zone.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = zone[1..].split_once(':')?;
    if !two_digits(h) || !two_digits(m) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 23 && m <= 59).then_some(sign * (h * 60 + m))
}

/// Formats local wall-clock milliseconds with an offset as RFC 3339
/// (`"2026-11-11T00:15:00+08:00"`).
pub fn format_local(local_ms: i64, offset_min: i32) -> String {
    let days = local_ms.div_euclid(DAY_MS as i64);
    let ms_of_day = local_ms.rem_euclid(DAY_MS as i64) as u64;
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s, milli) = (
        ms_of_day / HOUR_MS,
        ms_of_day / MINUTE_MS % 60,
        ms_of_day / SECOND_MS % 60,
        ms_of_day % SECOND_MS,
    );
    let sign = if offset_min < 0 { '-' } else { '+' };
    let off = offset_min.unsigned_abs();
    let frac = if milli == 0 {
        String::new()
    } else {
        format!(".{milli:03}")
    };
    format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{sign}{:02}:{:02}",
        off / 60,
        off % 60
    )
}

/// Formats a day number as `"YYYY-MM-DD"`.
pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Converts simulated time to local calendar terms for one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalClock {
    /// Local wall-clock milliseconds (since 1970-01-01 local) at simulated time 0.
    pub start_local_ms: i64,
    /// The run's UTC offset in minutes.
    pub offset_min: i32,
}

impl LocalClock {
    /// The clock of a run that starts at `start`.
    pub fn new(start: Instant) -> Self {
        Self {
            start_local_ms: start.local_ms(),
            offset_min: start.offset_min,
        }
    }

    /// Local wall-clock milliseconds at simulated time `t`.
    pub fn local_ms(&self, t: SimTime) -> i64 {
        self.start_local_ms + t as i64
    }

    /// Local day number (days since 1970-01-01) at simulated time `t`.
    pub fn day(&self, t: SimTime) -> i64 {
        self.local_ms(t).div_euclid(DAY_MS as i64)
    }

    /// Milliseconds since local midnight at simulated time `t`.
    pub fn ms_of_day(&self, t: SimTime) -> Millis {
        self.local_ms(t).rem_euclid(DAY_MS as i64) as Millis
    }

    /// Simulated time of local midnight starting day `day`; may be negative.
    pub fn day_start(&self, day: i64) -> i64 {
        day * DAY_MS as i64 - self.start_local_ms
    }

    /// Simulated time of an absolute instant; may be negative.
    pub fn sim_of(&self, at: Instant) -> i64 {
        at.local_ms()
            - i64::from(at.offset_min - self.offset_min) * MINUTE_MS as i64
            - self.start_local_ms
    }

    /// RFC 3339 text of simulated time `t` in the run's local time.
    pub fn format(&self, t: SimTime) -> String {
        format_local(self.local_ms(t), self.offset_min)
    }

    /// RFC 3339 text of a simulated time that may lie before the run start.
    pub fn format_signed(&self, t: i64) -> String {
        format_local(self.start_local_ms + t, self.offset_min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_round_trip() {
        assert_eq!(parse_duration("90s"), Ok(90_000));
        assert_eq!(parse_duration("2m"), Ok(120_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("1.5h"), Ok(5_400_000));
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("1h 30m"), Ok(5_400_000));
        assert_eq!(
            parse_duration("1d2h3m4s5ms"),
            Ok(DAY_MS + 2 * HOUR_MS + 3 * MINUTE_MS + 4_005)
        );
        for bad in ["", "5", "m", "5x", "1h1h", "-5s", "1..2s", "1e400s"] {
            assert!(parse_duration(bad).is_err(), "{bad} should fail");
        }
        for ms in [0, 1, 999, 90_000, 5_400_000, DAY_MS + 1] {
            assert_eq!(parse_duration(&format_duration(ms)), Ok(ms));
        }
    }

    #[test]
    fn clocks() {
        assert_eq!(parse_clock("09:30"), Ok(9 * HOUR_MS + 30 * MINUTE_MS));
        assert_eq!(parse_clock("24:00"), Ok(DAY_MS));
        // Issue 11, defect 7: signs are not digits (`"+9:+5"` was 09:05).
        for bad in [
            "9:30", "24:01", "12:60", "aa:bb", "12", "+9:+5", "-1:00", "09:+5", " 9:05",
        ] {
            assert!(parse_clock(bad).is_err(), "{bad}");
        }
        assert_eq!(format_clock(9 * HOUR_MS + 30 * MINUTE_MS), "09:30");
    }

    #[test]
    fn civil_dates_round_trip_and_weekdays() {
        for days in [-800_000, -1, 0, 1, 19_000, 20_403, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        // 2026-11-11 is a Wednesday.
        let d = parse_date("2026-11-11").unwrap();
        assert_eq!(WEEKDAYS[weekday_of_day(d)], "wed");
        assert!(parse_date("2026-02-29").is_err());
        assert!(parse_date("2024-02-29").is_ok());
        // Issue 11, defect 7: years are four digits, no sign.
        for bad in ["-001-01-01", "+999-01-01", "2026-+1-01", "2026-01-+1"] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn instants() {
        let a = parse_instant("2026-11-11T00:00:00+08:00").unwrap();
        let b = parse_instant("2026-11-10T16:00:00Z").unwrap();
        assert_eq!(a.unix_ms, b.unix_ms);
        assert_eq!(parse_instant("2026-11-11T00:00+08:00").unwrap(), a);
        assert_eq!(
            parse_instant("2026-11-11T00:00:00.5+08:00")
                .unwrap()
                .unix_ms,
            a.unix_ms + 500
        );
        for bad in [
            "2026-11-11T00:00:00",
            "2026-11-11",
            "2026-13-01T00:00+08:00",
            "2026-11-11T25:00+08:00",
            // Issue 11, defect 7: `+-8:00` was read as -08:00.
            "2026-11-11T00:00+-8:00",
            "2026-11-11T00:00++8:00",
            "2026-11-11T00:00+8:00",
            "2026-11-11T00:00+08:+0",
            "+999-11-11T00:00+08:00",
        ] {
            assert!(parse_instant(bad).is_err(), "{bad}");
        }
        // Non-ASCII text is refused, not sliced through a character.
        for bad in [
            "2026-11-1é:00+08:00",
            "2026-11-1一T00:00+08:00",
            "２０２６-11-11T00:00+08:00",
        ] {
            assert!(parse_instant(bad).is_err(), "{bad}");
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        let clock = LocalClock::new(a);
        assert_eq!(clock.format(15 * MINUTE_MS), "2026-11-11T00:15:00+08:00");
        assert_eq!(clock.sim_of(b), 0);
        assert_eq!(clock.ms_of_day(HOUR_MS), HOUR_MS);
    }
}
