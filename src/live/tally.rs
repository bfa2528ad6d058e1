//! What a live replication counts: every event's fate (answered, timed
//! out, errored, dropped by the harness, unanswered when the run ended),
//! the decision latency from each request's intended send time, the
//! service's own time, the sender's lag, and the same per interval; then
//! merged over replications into [`LiveFigures`].

use hdrhistogram::Histogram;

use crate::engine::Rule;
use crate::replicate::{LiveFigures, LiveInterval, Quantiles};
use crate::scenario::Scenario;
use crate::time::SimTime;

/// Why the harness did not send an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dropped {
    /// The session's backlog (`--max-in-flight`) was full: the service
    /// was not keeping up.
    BacklogFull = 0,
    /// The service had gone down (`--finish-on-fallback`).
    ServiceDown = 1,
    /// The run was stopped (Ctrl-C or `--duration`) before it was sent.
    Stopped = 2,
}

impl Dropped {
    pub(crate) const ALL: [Dropped; 3] =
        [Dropped::BacklogFull, Dropped::ServiceDown, Dropped::Stopped];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Dropped::BacklogFull => "backlog_full",
            Dropped::ServiceDown => "service_down",
            Dropped::Stopped => "stopped",
        }
    }
}

/// Whether a refused command's rule depends on a state that can move on
/// while an answer travels (the buyer left, the agent went off shift or
/// filled up): a late decision.
pub(crate) fn late(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::ChatGone
            | Rule::WrongState
            | Rule::AgentOffline
            | Rule::AgentUnavailable
            | Rule::AgentSuspended
            | Rule::OverCap
    )
}

fn histogram(sigfig: u8) -> Histogram<u64> {
    // Microseconds, up to an hour.
    Histogram::new_with_bounds(1, 3_600_000_000, sigfig).expect("valid histogram bounds")
}

/// One interval's counts.
#[derive(Clone)]
pub(crate) struct Slot {
    pub requests: u64,
    pub answered: u64,
    pub timeouts: u64,
    pub errors: u64,
    pub dropped: u64,
    pub late: u64,
    pub latency: Histogram<u64>,
    pub lag: Histogram<u64>,
}

/// One replication's live figures.
pub(crate) struct Tally {
    pub events: u64,
    pub answered: u64,
    pub timeouts: u64,
    pub errors: u64,
    pub dropped: [u64; 3],
    pub unanswered_at_end: u64,
    pub refused: u64,
    pub late: u64,
    pub latency: Histogram<u64>,
    pub service: Histogram<u64>,
    pub lag: Histogram<u64>,
    pub slots: Vec<Slot>,
    from: SimTime,
    to: SimTime,
    interval: SimTime,
}

impl Tally {
    pub(crate) fn new(sc: &Scenario) -> Self {
        let slot = Slot {
            requests: 0,
            answered: 0,
            timeouts: 0,
            errors: 0,
            dropped: 0,
            late: 0,
            latency: histogram(2),
            lag: histogram(2),
        };
        Self {
            events: 0,
            answered: 0,
            timeouts: 0,
            errors: 0,
            dropped: [0; 3],
            unanswered_at_end: 0,
            refused: 0,
            late: 0,
            latency: histogram(3),
            service: histogram(3),
            lag: histogram(3),
            slots: vec![slot; sc.run.intervals()],
            from: sc.run.measure_from(),
            to: sc.run.measure_to(),
            interval: sc.run.interval.max(1),
        }
    }

    /// The interval of simulated time `t`, if it is in the measured window.
    pub(crate) fn slot(&mut self, t: SimTime) -> Option<&mut Slot> {
        if t < self.from || t >= self.to {
            return None;
        }
        let i = ((t - self.from) / self.interval) as usize;
        self.slots.get_mut(i)
    }

    /// An event handed to the sender (or dropped) at simulated time `t`.
    pub(crate) fn event(&mut self, t: SimTime) {
        self.events += 1;
        if let Some(s) = self.slot(t) {
            s.requests += 1;
        }
    }

    pub(crate) fn dropped(&mut self, why: Dropped, t: SimTime) {
        self.dropped[why as usize] += 1;
        if let Some(s) = self.slot(t) {
            s.dropped += 1;
        }
    }

    /// An answer to the event of time `t`: latency from its intended
    /// send time and the service's own time, µs.
    pub(crate) fn answered(&mut self, t: SimTime, latency_us: u64, service_us: u64) {
        self.answered += 1;
        self.latency.saturating_record(latency_us.max(1));
        self.service.saturating_record(service_us.max(1));
        if let Some(s) = self.slot(t) {
            s.answered += 1;
            s.latency.saturating_record(latency_us.max(1));
        }
    }

    pub(crate) fn failed(&mut self, timeout: bool, t: SimTime) {
        if timeout {
            self.timeouts += 1;
        } else {
            self.errors += 1;
        }
        if let Some(s) = self.slot(t) {
            if timeout {
                s.timeouts += 1;
            } else {
                s.errors += 1;
            }
        }
    }

    /// The sender handled an event due at `t` this late, µs.
    pub(crate) fn lag(&mut self, t: SimTime, lag_us: u64) {
        self.lag.saturating_record(lag_us.max(1));
        if let Some(s) = self.slot(t) {
            s.lag.saturating_record(lag_us.max(1));
        }
    }

    pub(crate) fn refused(&mut self, rules: &[Rule], t: SimTime) {
        self.refused += rules.len() as u64;
        let late = rules.iter().filter(|&&r| late(r)).count() as u64;
        self.late += late;
        if let Some(s) = self.slot(t) {
            s.late += late;
        }
    }

    /// Folds `other` (the next replication) in.
    pub(crate) fn add(&mut self, other: &Tally) {
        self.events += other.events;
        self.answered += other.answered;
        self.timeouts += other.timeouts;
        self.errors += other.errors;
        for (a, b) in self.dropped.iter_mut().zip(other.dropped) {
            *a += b;
        }
        self.unanswered_at_end += other.unanswered_at_end;
        self.refused += other.refused;
        self.late += other.late;
        let _ = self.latency.add(&other.latency);
        let _ = self.service.add(&other.service);
        let _ = self.lag.add(&other.lag);
        for (a, b) in self.slots.iter_mut().zip(&other.slots) {
            a.requests += b.requests;
            a.answered += b.answered;
            a.timeouts += b.timeouts;
            a.errors += b.errors;
            a.dropped += b.dropped;
            a.late += b.late;
            let _ = a.latency.add(&b.latency);
            let _ = a.lag.add(&b.lag);
        }
    }

    /// The figures of everything folded in.
    pub(crate) fn figures(&self, head: LiveHead) -> LiveFigures {
        let ms = |us: f64| us / 1000.0;
        let at =
            |h: &Histogram<u64>, q: f64| (!h.is_empty()).then(|| ms(h.value_at_quantile(q) as f64));
        let quantiles = |h: &Histogram<u64>| Quantiles {
            p50: at(h, 0.5),
            p90: at(h, 0.9),
            p99: at(h, 0.99),
            p999: at(h, 0.999),
            max: (!h.is_empty()).then(|| ms(h.max() as f64)),
            mean: (!h.is_empty()).then(|| ms(h.mean())),
        };
        LiveFigures {
            speed: head.speed,
            decisions: head.decisions.to_string(),
            wall_s: head.wall_s,
            interrupted: head.interrupted,
            events: self.events,
            answered: self.answered,
            timeouts: self.timeouts,
            errors: self.errors,
            dropped_by_harness: Dropped::ALL
                .iter()
                .map(|&d| (d.name().to_string(), self.dropped[d as usize]))
                .collect(),
            unanswered_at_end: self.unanswered_at_end,
            refused: self.refused,
            late_decisions: self.late,
            requests_per_s: (self.events - self.dropped.iter().sum::<u64>()) as f64
                / head.wall_s.max(1e-9),
            latency_ms: quantiles(&self.latency),
            service_ms: quantiles(&self.service),
            sender_lag_ms: quantiles(&self.lag),
            intervals: self
                .slots
                .iter()
                .map(|s| LiveInterval {
                    requests: s.requests,
                    answered: s.answered,
                    timeouts: s.timeouts,
                    errors: s.errors,
                    dropped: s.dropped,
                    late: s.late,
                    latency_p50_ms: at(&s.latency, 0.5),
                    latency_p99_ms: at(&s.latency, 0.99),
                    latency_max_ms: (!s.latency.is_empty()).then(|| ms(s.latency.max() as f64)),
                    sender_lag_p99_ms: at(&s.lag, 0.99),
                })
                .collect(),
        }
    }
}

/// What the figures say about the run as a whole.
pub(crate) struct LiveHead {
    pub speed: f64,
    pub decisions: &'static str,
    pub wall_s: f64,
    pub interrupted: Option<String>,
}
