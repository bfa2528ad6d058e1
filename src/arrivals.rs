//! Buyer arrivals: the time-varying rate λ(t) and a non-homogeneous Poisson
//! generator by thinning (Lewis & Shedler).
//!
//! ```text
//! λ_e(t) = base(t) · weekday(t) · holiday(t) · Π global peaks(t) · share_e · Π peaks on entry e(t)
//! base(t) = rate_per_hour · profile(time of day)     or an explicit absolute curve
//! ```
//!
//! The generator works bucket by bucket (one simulated minute each): it
//! bounds every factor over the bucket (each factor is monotone between its
//! breakpoints, so its maximum is at a bucket end or a breakpoint), draws
//! candidate times at the product of the bounds and accepts each with
//! probability λ(t)/bound. Buckets where every factor is constant accept
//! without a draw. Memory does not depend on the run length.

use rand::Rng;
use rand_distr::{Distribution as _, Exp1, Open01};

use crate::time::{DAY_MS, HOUR_MS, LocalClock, MINUTE_MS, Millis, SimTime, weekday_of_day};

/// Where the buyer clicked "contact customer service" (绑定页面); decides the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryPoint {
    /// A product page (售前 presale questions).
    Product = 0,
    /// An order page (售后 after-sales).
    Order = 1,
    /// A direct message from the shop home or chat list.
    Dm = 2,
    /// A live stream (直播).
    Live = 3,
    /// Anything else.
    Other = 4,
}

impl EntryPoint {
    /// All entry points, in index order.
    pub const ALL: [EntryPoint; 5] = [
        Self::Product,
        Self::Order,
        Self::Dm,
        Self::Live,
        Self::Other,
    ];

    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        ["product", "order", "dm", "live", "other"][self as usize]
    }

    /// Parses a scenario-file name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// A daily profile: multipliers at times of day, linear between, wrapping at midnight.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// `(ms after midnight, multiplier)`, strictly increasing in time, all times < 24 h.
    points: Vec<(Millis, f64)>,
}

impl Profile {
    /// A profile from points sorted by time, all before 24:00, at least one.
    pub fn new(points: Vec<(Millis, f64)>) -> Result<Self, String> {
        if points.is_empty() {
            return Err("a profile needs at least one point".into());
        }
        for w in points.windows(2) {
            if w[1].0 <= w[0].0 {
                return Err("profile times must be strictly increasing".into());
            }
        }
        if points.last().is_some_and(|p| p.0 >= DAY_MS) {
            return Err(
                "profile times must be before 24:00 (the profile wraps at midnight)".into(),
            );
        }
        if points.iter().any(|p| !(p.1.is_finite() && p.1 >= 0.0)) {
            return Err("profile multipliers must be finite and >= 0".into());
        }
        Ok(Self { points })
    }

    /// The points.
    pub fn points(&self) -> &[(Millis, f64)] {
        &self.points
    }

    /// Multiplier at `ms` after midnight.
    pub fn at(&self, ms: Millis) -> f64 {
        let p = &self.points;
        let i = p.partition_point(|q| q.0 <= ms);
        let (t0, v0, t1, v1) = match i {
            0 => {
                let last = p[p.len() - 1];
                (last.0 as f64 - DAY_MS as f64, last.1, p[0].0 as f64, p[0].1)
            }
            i if i == p.len() => (
                p[i - 1].0 as f64,
                p[i - 1].1,
                (p[0].0 + DAY_MS) as f64,
                p[0].1,
            ),
            i => (p[i - 1].0 as f64, p[i - 1].1, p[i].0 as f64, p[i].1),
        };
        if t1 <= t0 {
            return v0;
        }
        v0 + (v1 - v0) * (ms as f64 - t0) / (t1 - t0)
    }

    fn range(&self, clock: &LocalClock, a: SimTime, b: SimTime) -> (f64, f64) {
        let mut r = Range::of(self.at(clock.ms_of_day(a)));
        r.add(self.at(clock.ms_of_day(b) % DAY_MS));
        let day0 = clock.day_start(clock.day(a));
        for day in [day0, day0 + DAY_MS as i64] {
            for &(ms, v) in &self.points {
                let t = day + ms as i64;
                if t > a as i64 && t < b as i64 {
                    r.add(v);
                }
            }
        }
        (r.min, r.max)
    }
}

/// The base rate before calendar factors and peaks.
#[derive(Debug, Clone, PartialEq)]
pub enum Base {
    /// `rate_per_hour` × an optional daily profile.
    Flat {
        /// Arrivals per millisecond at multiplier 1.
        rate_per_ms: f64,
        /// The daily profile; `None` = flat.
        profile: Option<Profile>,
    },
    /// An explicit absolute curve: `(sim time, arrivals per ms)`, linear between
    /// points, the end values held outside them.
    Curve {
        /// Points sorted by time.
        points: Vec<(i64, f64)>,
    },
}

/// A burst: ramp up linearly to `multiplier`, hold, then decay exponentially back to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Peak {
    /// Label (e.g. "双11 midnight").
    pub name: Option<String>,
    /// Simulated time the ramp starts (may be before the run starts).
    pub start: i64,
    /// Length of the linear ramp from ×1 to ×multiplier.
    pub ramp: Millis,
    /// Length of the plateau.
    pub hold: Millis,
    /// Exponential time constant of the decay back to ×1 (0 = drop at once).
    pub decay: Millis,
    /// The multiplier at the plateau.
    pub multiplier: f64,
    /// Only this entry point's rate is multiplied; `None` = every entry.
    pub entry: Option<EntryPoint>,
}

impl Peak {
    /// The factor at time `t`.
    pub fn at(&self, t: f64) -> f64 {
        let s = self.start as f64;
        let ramp_end = s + self.ramp as f64;
        let hold_end = ramp_end + self.hold as f64;
        let m = self.multiplier;
        if t < s {
            1.0
        } else if t < ramp_end {
            1.0 + (m - 1.0) * (t - s) / self.ramp as f64
        } else if t < hold_end {
            m
        } else if self.decay == 0 {
            1.0
        } else {
            1.0 + (m - 1.0) * (-(t - hold_end) / self.decay as f64).exp()
        }
    }

    /// The factor's range over `[a, b]`. It is monotone on each phase (rise,
    /// plateau, decay), so the extremes are at the ends or at the phase
    /// limits; the plateau value is included whenever `[a, b]` touches
    /// `[start, hold end]`, which also covers the top of a ramp with no hold.
    fn range(&self, a: SimTime, b: SimTime) -> (f64, f64) {
        let mut r = Range::of(self.at(a as f64));
        r.add(self.at(b as f64));
        let (a, b) = (a as i64, b as i64);
        let s = self.start;
        let hold_end = s + (self.ramp + self.hold) as i64;
        if s > a && s < b {
            r.add(1.0);
        }
        if a <= hold_end && b > s {
            r.add(self.multiplier);
        }
        (r.min, r.max)
    }
}

/// A holiday: every local day from `from_day` to `to_day` (inclusive) has its rate multiplied.
#[derive(Debug, Clone, PartialEq)]
pub struct Holiday {
    /// Label (e.g. "Spring Festival").
    pub name: Option<String>,
    /// First day (days since 1970-01-01, local).
    pub from_day: i64,
    /// Last day, inclusive.
    pub to_day: i64,
    /// The multiplier.
    pub multiplier: f64,
}

/// The validated arrival process of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrivalModel {
    /// Base rate.
    pub base: Base,
    /// Weekday factors, Monday first.
    pub weekday: [f64; 7],
    /// Holidays (overlapping holidays multiply).
    pub holidays: Vec<Holiday>,
    /// Peaks (overlapping peaks multiply).
    pub peaks: Vec<Peak>,
    /// Share of each entry point, indexed by [`EntryPoint`]; sums to 1.
    pub entry_shares: [f64; 5],
    /// The run's local clock.
    pub clock: LocalClock,
}

#[derive(Debug, Clone, Copy)]
struct Range {
    min: f64,
    max: f64,
}

impl Range {
    fn of(v: f64) -> Self {
        Self { min: v, max: v }
    }
    fn add(&mut self, v: f64) {
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }
    fn is_constant(&self) -> bool {
        self.min == self.max
    }
}

/// λ over a bucket (see [`ArrivalModel::bound`]).
#[derive(Debug, Clone, Copy)]
struct Bounds {
    /// No smaller than λ anywhere in the bucket.
    max: f64,
    /// No larger than λ anywhere in the bucket (up to rounding).
    min: f64,
    /// λ is the same throughout the bucket.
    constant: bool,
}

impl ArrivalModel {
    fn base_at(&self, t: f64) -> f64 {
        match &self.base {
            Base::Flat {
                rate_per_ms,
                profile,
            } => {
                let p = profile
                    .as_ref()
                    .map_or(1.0, |p| p.at(self.clock.ms_of_day(t as SimTime)));
                rate_per_ms * p
            }
            Base::Curve { points } => curve_at(points, t),
        }
    }

    fn day_factor(&self, day: i64) -> f64 {
        let mut f = self.weekday[weekday_of_day(day)];
        for h in &self.holidays {
            if (h.from_day..=h.to_day).contains(&day) {
                f *= h.multiplier;
            }
        }
        f
    }

    /// The rate at `t` as `(common, weights)`: entry point `e` arrives at
    /// `common × weights[e]` per millisecond, where `common` holds the base,
    /// calendar and all-entry peak factors and `weights` the shares times the
    /// entry-specific peaks.
    fn rate_parts(&self, t: f64) -> (f64, [f64; 5]) {
        let mut common = self.base_at(t) * self.day_factor(self.clock.day(t as SimTime));
        let mut weights = self.entry_shares;
        for p in &self.peaks {
            match p.entry {
                None => common *= p.at(t),
                Some(e) => weights[e as usize] *= p.at(t),
            }
        }
        (common, weights)
    }

    /// Total arrivals per millisecond at simulated time `t`.
    pub fn rate_per_ms(&self, t: f64) -> f64 {
        let (common, weights) = self.rate_parts(t);
        common * weights.iter().sum::<f64>()
    }

    /// Arrivals per hour at simulated time `t` (for reports).
    pub fn rate_per_hour(&self, t: SimTime) -> f64 {
        self.rate_per_ms(t as f64) * 3_600_000.0
    }

    /// An upper bound of the total rate over `[from, to)`, per hour.
    pub fn max_rate_per_hour(&self, from: SimTime, to: SimTime) -> f64 {
        let mut max: f64 = 0.0;
        let mut a = from;
        while a < to {
            let b = (a + BUCKET_MS).min(to);
            max = max.max(self.bound(a, b).max);
            a = b;
        }
        max * HOUR_MS as f64
    }

    /// Expected number of arrivals in `[from, to)` (trapezoid rule on 10 s steps).
    pub fn expected_arrivals(&self, from: SimTime, to: SimTime) -> f64 {
        const STEP: u64 = 10_000;
        let mut total = 0.0;
        let mut t = from;
        while t < to {
            let next = (t + STEP).min(to);
            total += (self.rate_per_ms(t as f64) + self.rate_per_ms(next as f64)) / 2.0
                * (next - t) as f64;
            t = next;
        }
        total
    }

    /// Bounds λ over `[a, b)`: its largest and smallest value there, and
    /// whether it is constant there.
    fn bound(&self, a: SimTime, b: SimTime) -> Bounds {
        let base = match &self.base {
            Base::Flat {
                rate_per_ms,
                profile,
            } => {
                let (lo, hi) = profile
                    .as_ref()
                    .map_or((1.0, 1.0), |p| p.range(&self.clock, a, b));
                Range {
                    min: lo * rate_per_ms,
                    max: hi * rate_per_ms,
                }
            }
            Base::Curve { points } => curve_range(points, a, b),
        };
        let mut day = Range::of(self.day_factor(self.clock.day(a)));
        day.add(self.day_factor(self.clock.day(b - 1)));
        let mut constant = base.is_constant() && day.is_constant();
        let mut global = Range::of(1.0);
        let (mut entries_max, mut entries_min) = (self.entry_shares, self.entry_shares);
        for p in &self.peaks {
            let (lo, hi) = p.range(a, b);
            constant &= lo == hi;
            match p.entry {
                None => {
                    global.max *= hi;
                    global.min *= lo;
                }
                Some(e) => {
                    entries_max[e as usize] *= hi;
                    entries_min[e as usize] *= lo;
                }
            }
        }
        Bounds {
            max: base.max * day.max * global.max * entries_max.iter().sum::<f64>(),
            min: base.min * day.min * global.min * entries_min.iter().sum::<f64>(),
            constant,
        }
    }

    /// Draws the entry point of a buyer arriving at `t`.
    fn draw_entry<R: Rng + ?Sized>(weights: &[f64; 5], rng: &mut R) -> EntryPoint {
        let total: f64 = weights.iter().sum();
        let u: f64 = Open01.sample(rng);
        let mut target = u * total;
        for e in EntryPoint::ALL {
            let w = weights[e as usize];
            if target < w {
                return e;
            }
            target -= w;
        }
        // Rounding left a sliver past the last weight: the last entry with a positive weight.
        EntryPoint::ALL
            .into_iter()
            .rev()
            .find(|e| weights[*e as usize] > 0.0)
            .unwrap_or(EntryPoint::Other)
    }
}

fn curve_at(points: &[(i64, f64)], t: f64) -> f64 {
    let i = points.partition_point(|p| (p.0 as f64) <= t);
    if i == 0 {
        return points[0].1;
    }
    if i == points.len() {
        return points[i - 1].1;
    }
    let (t0, v0) = points[i - 1];
    let (t1, v1) = points[i];
    v0 + (v1 - v0) * (t - t0 as f64) / (t1 - t0) as f64
}

fn curve_range(points: &[(i64, f64)], a: SimTime, b: SimTime) -> Range {
    let mut r = Range::of(curve_at(points, a as f64));
    r.add(curve_at(points, b as f64));
    for &(t, v) in points {
        if t > a as i64 && t < b as i64 {
            r.add(v);
        }
    }
    r
}

/// Length of a thinning bucket.
const BUCKET_MS: Millis = MINUTE_MS;

/// Generates arrival times and entry points from an [`ArrivalModel`].
///
/// Invariant: the number of draws from the arrivals stream depends only on
/// the arrival model, never on routing or staffing (common random numbers).
pub struct ArrivalGenerator<'m> {
    model: &'m ArrivalModel,
    /// Current candidate time (continuous, ms).
    t: f64,
    bucket_end: SimTime,
    bound: f64,
    /// A candidate drawn with `u × bound` at or below this is accepted
    /// without computing λ: the bucket's smallest λ less a margin far
    /// above rounding (see [`ArrivalGenerator::enter_bucket`]).
    sure: f64,
    constant: bool,
    /// Whether the entry weights vary with time (some peak is tied to one
    /// entry point): then they are computed for every candidate, and
    /// nothing is accepted without computing λ. Otherwise they are the
    /// constant shares.
    weights_vary: bool,
    /// Candidates accepted without computing λ (tests only).
    #[cfg(test)]
    shortcuts: u64,
}

impl<'m> ArrivalGenerator<'m> {
    /// A generator starting at simulated time 0.
    pub fn new(model: &'m ArrivalModel) -> Self {
        Self::start(model, model.peaks.iter().any(|p| p.entry.is_some()))
    }

    /// The generator without its shortcuts: λ and the entry weights are
    /// computed for every candidate, as if the weights varied. It draws
    /// and decides as [`ArrivalGenerator::new`] must (tests compare them).
    #[cfg(test)]
    fn computing_every_rate(model: &'m ArrivalModel) -> Self {
        Self::start(model, true)
    }

    fn start(model: &'m ArrivalModel, weights_vary: bool) -> Self {
        let mut g = Self {
            model,
            t: 0.0,
            bucket_end: 0,
            bound: 0.0,
            sure: 0.0,
            constant: true,
            weights_vary,
            #[cfg(test)]
            shortcuts: 0,
        };
        g.enter_bucket(0);
        g
    }

    /// Starts the bucket at `start`: its bound, and below what a candidate
    /// is surely accepted. λ as computed at any time of the bucket is at
    /// least its computed minimum up to a few roundings (each factor is
    /// monotone between the points the minimum looks at, and `exp` is
    /// within an ulp), so the minimum less a relative 1e-9 decides exactly
    /// as computing λ would — unless the minimum is near the subnormal
    /// range (then never).
    fn enter_bucket(&mut self, start: SimTime) {
        self.bucket_end = start + BUCKET_MS;
        let b = self.model.bound(start, self.bucket_end);
        (self.bound, self.constant) = (b.max, b.constant);
        self.sure = if b.min > 1e-100 {
            b.min * (1.0 - 1e-9)
        } else {
            0.0
        };
    }

    /// The next arrival strictly after the previous one: `(time, entry)`.
    /// Returns `None` if the rate is zero until `limit`.
    pub fn next<R: Rng + ?Sized>(
        &mut self,
        arrivals: &mut R,
        buyers: &mut R,
        limit: SimTime,
    ) -> Option<(SimTime, EntryPoint)> {
        loop {
            if self.bound > 0.0 {
                let e: f64 = Exp1.sample(arrivals);
                // Always strictly later (rounding must not stall the clock).
                let candidate = (self.t + e / self.bound).max(self.t.next_up());

                if candidate < self.bucket_end as f64 {
                    self.t = candidate;
                    // A constant λ accepts every candidate, without a draw.
                    let u: Option<f64> = (!self.constant).then(|| Open01.sample(arrivals));
                    // Surely accepted, with the shares as weights: λ is
                    // constant, or the draw is under its smallest value.
                    if !self.weights_vary && u.is_none_or(|u| u * self.bound <= self.sure) {
                        #[cfg(test)]
                        {
                            self.shortcuts += u64::from(u.is_some());
                        }
                        let entry = ArrivalModel::draw_entry(&self.model.entry_shares, buyers);
                        return Some((candidate as SimTime, entry));
                    }
                    let (common, weights) = self.model.rate_parts(candidate);
                    let accept =
                        u.is_none_or(|u| u * self.bound <= common * weights.iter().sum::<f64>());
                    if accept {
                        let entry = ArrivalModel::draw_entry(&weights, buyers);
                        return Some((candidate as SimTime, entry));
                    }
                    continue;
                }
            }
            // Memoryless: restart the exponential clock at the next bucket.
            self.t = self.bucket_end as f64;
            if self.bucket_end >= limit {
                return None;
            }
            self.enter_bucket(self.bucket_end);
        }
    }
}

#[cfg(test)]
mod tests;
