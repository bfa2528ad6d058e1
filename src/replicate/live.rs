//! The figures of a live run (`kefusim live`): what the running routing
//! service did under load, merged over replications. Plain data for the
//! report; computed by `crate::live`.

/// Latency figures, ms (`None` without a sample).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quantiles {
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// 99.9th percentile.
    pub p999: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
}

/// One interval of the measured window (by the simulated time the events
/// were due), summed over replications.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveInterval {
    /// Events due in the interval.
    pub requests: u64,
    /// Answered.
    pub answered: u64,
    /// No answer within the timeout.
    pub timeouts: u64,
    /// Answered with an error, or the connection failed.
    pub errors: u64,
    /// Not sent by the harness.
    pub dropped: u64,
    /// Late decisions refused.
    pub late: u64,
    /// Decision latency from the intended send time, ms: median.
    pub latency_p50_ms: Option<f64>,
    /// … 99th percentile.
    pub latency_p99_ms: Option<f64>,
    /// … largest.
    pub latency_max_ms: Option<f64>,
    /// The sender's own lag behind schedule, ms, 99th percentile.
    pub sender_lag_p99_ms: Option<f64>,
}

/// A live run's service figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveFigures {
    /// Simulated time ÷ wall time.
    pub speed: f64,
    /// `response` or `callback`: how decisions came back.
    pub decisions: String,
    /// Wall time of the run, s.
    pub wall_s: f64,
    /// Why the run stopped early (Ctrl-C, `--duration`), if it did.
    pub interrupted: Option<String>,
    /// Events the simulated shop raised (each is one request, or dropped).
    pub events: u64,
    /// Requests answered (in the response, or by a callback).
    pub answered: u64,
    /// Requests with no answer within `[routing] timeout`.
    pub timeouts: u64,
    /// Requests answered with an error status or not in the protocol, or
    /// whose connection failed.
    pub errors: u64,
    /// Events the harness did not send, by reason.
    pub dropped_by_harness: Vec<(String, u64)>,
    /// Requests still unanswered when the run ended.
    pub unanswered_at_end: u64,
    /// Commands refused (rules broken or no longer applicable).
    pub refused: u64,
    /// Refused commands that a state moved on made wrong while the answer
    /// travelled: the chat left, the agent went offline, busy or full.
    pub late_decisions: u64,
    /// Requests sent per wall-clock second.
    pub requests_per_s: f64,
    /// Decision latency from each request's intended send time (the
    /// instant its event was due), so that a service that falls behind
    /// is not hidden by the sender waiting for it (coordinated omission).
    pub latency_ms: Quantiles,
    /// From the moment a request was written to its answer: the service
    /// alone, queueing in the harness excluded.
    pub service_ms: Quantiles,
    /// How late the harness itself handled events due at an instant: a
    /// slow harness, not a slow service.
    pub sender_lag_ms: Quantiles,
    /// Per interval of the measured window.
    pub intervals: Vec<LiveInterval>,
}

impl LiveFigures {
    /// A figure by its name in thresholds (`router.NAME`,
    /// `crate::catalog::LIVE_FIGURES`); `None` if unknown or undefined.
    pub fn figure(&self, name: &str) -> Option<f64> {
        let count = |n: u64| Some(n as f64);
        match name {
            "latency_p50_ms" => self.latency_ms.p50,
            "latency_p90_ms" => self.latency_ms.p90,
            "latency_p99_ms" => self.latency_ms.p99,
            "latency_p999_ms" => self.latency_ms.p999,
            "latency_max_ms" => self.latency_ms.max,
            "service_p99_ms" => self.service_ms.p99,
            "sender_lag_p99_ms" => self.sender_lag_ms.p99,
            "timeouts" => count(self.timeouts),
            "errors" => count(self.errors),
            "dropped" => count(self.dropped()),
            "unanswered_at_end" => count(self.unanswered_at_end),
            "refused" => count(self.refused),
            "late_decisions" => count(self.late_decisions),
            "requests_per_s" => Some(self.requests_per_s),
            _ => None,
        }
    }

    /// Events not sent by the harness.
    pub fn dropped(&self) -> u64 {
        self.dropped_by_harness.iter().map(|(_, n)| n).sum()
    }

    /// Events accounted for (answered, timed out, errored, dropped,
    /// unanswered at the end): equal to `events` when none was lost.
    pub fn accounted(&self) -> u64 {
        self.answered + self.timeouts + self.errors + self.dropped() + self.unanswered_at_end
    }
}
