//! Erlang B, Erlang C (M/M/c) and Erlang A (M/M/c+M) in closed form or by
//! the exact birth–death chain, plus the "waiting region" machinery (queue
//! tail, wait moments and service-level integrals) that the chat CTMC reuses.
//!
//! Erlang A service levels use the offered-wait density of Mandelbaum &
//! Zeltyn (2005): for `u > 0`,
//! `f_V(u) = π_full0 · D · exp(−D u + (λ/θ)(1 − e^{−θ u}))`, where `D` is the
//! rate at which the queue head is served (`c μ`) and `π_full0` the
//! stationary probability that all servers are busy with an empty queue.
//! It is integrated numerically (adaptive Simpson with breakpoints around
//! the density's mode): about 1e-13 relative for ordinary parameters,
//! degrading to about 1e-8 only when `λ/θ` reaches ~1e6 (patience ~10⁴ AHT
//! under overload), where rounding in the exponent dominates.

use super::QueueFigures;

/// Erlang B blocking probability of `servers` servers offered
/// `offered_erlangs` Erlangs, by the stable recursion
/// `B(k) = a B(k−1) / (k + a B(k−1))`, `B(0) = 1`.
///
/// `offered_erlangs` must be finite and non-negative; otherwise the result
/// is NaN. Tiny blocking probabilities may underflow to 0.
pub fn erlang_b(servers: u32, offered_erlangs: f64) -> f64 {
    if !(offered_erlangs.is_finite() && offered_erlangs >= 0.0) {
        return f64::NAN;
    }
    let mut b = 1.0;
    for k in 1..=servers {
        let ab = offered_erlangs * b;
        b = ab / (f64::from(k) + ab);
    }
    b
}

/// `ln(1 / B(servers, a))` computed in the log domain (never overflows).
/// Requires `a > 0`.
fn ln_inv_erlang_b(servers: u32, a: f64) -> f64 {
    let ln_a = a.ln();
    // 1/B(k) = 1 + (k/a) / B(k-1)
    let mut l = 0.0;
    for k in 1..=servers {
        l = softplus(f64::from(k).ln() - ln_a + l);
    }
    l
}

/// `ln(1 + e^x)` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// `ln(e^a + e^b)` without overflow; handles `-inf` operands.
fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if hi == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

fn is_positive_finite(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

fn is_rate(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

/// Erlang C (M/M/c): Poisson arrivals, exponential service, infinitely
/// patient contacts, FCFS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangC {
    servers: u32,
    arrival_rate_per_s: f64,
    mean_service_s: f64,
    p_wait: f64,
}

impl ErlangC {
    /// Builds the model; `None` if `servers == 0`, the arrival rate is
    /// negative or not finite, the mean service time is not positive and
    /// finite, or the queue is unstable (offered load `a = λ·AHT ≥ c`).
    pub fn new(servers: u32, arrival_rate_per_s: f64, mean_service_s: f64) -> Option<Self> {
        if servers == 0 || !is_rate(arrival_rate_per_s) || !is_positive_finite(mean_service_s) {
            return None;
        }
        let c = f64::from(servers);
        let a = arrival_rate_per_s * mean_service_s;
        if a >= c {
            return None;
        }
        let b = erlang_b(servers, a);
        let p_wait = c * b / (c - a * (1.0 - b));
        Some(Self {
            servers,
            arrival_rate_per_s,
            mean_service_s,
            p_wait,
        })
    }

    /// Number of servers `c`.
    pub fn servers(&self) -> u32 {
        self.servers
    }

    /// Rate at which the queue drains beyond the arrivals, `c μ − λ`.
    fn excess_rate_per_s(&self) -> f64 {
        f64::from(self.servers) / self.mean_service_s - self.arrival_rate_per_s
    }

    /// Steady-state figures: `P(W>0) = C`, `ASA = C / (cμ − λ)` (every
    /// contact is answered), `Lq = λ·ASA`, occupancy `a / c`.
    pub fn figures(&self) -> QueueFigures {
        let wait = self.p_wait / self.excess_rate_per_s();
        QueueFigures {
            p_wait: self.p_wait,
            p_abandon: 0.0,
            mean_wait_all_s: wait,
            asa_answered_s: wait,
            mean_queue_length: self.arrival_rate_per_s * wait,
            occupancy: self.arrival_rate_per_s * self.mean_service_s / f64::from(self.servers),
        }
    }

    /// `P(W ≤ t) = 1 − C e^{−(cμ−λ)t}`: the fraction of contacts answered
    /// within `t_s` (nobody abandons). Negative or NaN `t_s` gives 0.
    pub fn answered_within_over_offered(&self, t_s: f64) -> f64 {
        if t_s.is_nan() || t_s < 0.0 {
            return 0.0;
        }
        1.0 - self.p_wait * (-self.excess_rate_per_s() * t_s).exp()
    }
}

/// Erlang A (M/M/c+M): Poisson arrivals, exponential service, exponential
/// patience while waiting, FCFS, abandoned contacts leave for good.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangA {
    servers: u32,
    arrival_rate_per_s: f64,
    mean_service_s: f64,
    mean_patience_s: f64,
    region: WaitRegion,
}

impl ErlangA {
    /// Builds the model from the exact birth–death chain (always stable).
    /// `None` if `servers == 0`, the arrival rate is negative or not
    /// finite, the mean service or patience time is not positive and
    /// finite, or the queue tail would need more than 10⁸ terms (absurdly
    /// long patience under overload: use [`ErlangC`] then).
    pub fn new(
        servers: u32,
        arrival_rate_per_s: f64,
        mean_service_s: f64,
        mean_patience_s: f64,
    ) -> Option<Self> {
        if servers == 0
            || !is_rate(arrival_rate_per_s)
            || !is_positive_finite(mean_service_s)
            || !is_positive_finite(mean_patience_s)
        {
            return None;
        }
        let drain = f64::from(servers) / mean_service_s;
        let theta = 1.0 / mean_patience_s;
        let region = if arrival_rate_per_s == 0.0 {
            WaitRegion::idle(drain, theta)
        } else {
            // π_c relative to states below c: Σ_{n<c} π_n / π_c = 1/B − 1.
            let l = ln_inv_erlang_b(servers, arrival_rate_per_s * mean_service_s);
            let ln_rest = if l > 30.0 {
                l + (-(-l).exp()).ln_1p()
            } else {
                l.exp_m1().ln()
            };
            WaitRegion::new(arrival_rate_per_s, drain, theta, ln_rest)?
        };
        Some(Self {
            servers,
            arrival_rate_per_s,
            mean_service_s,
            mean_patience_s,
            region,
        })
    }

    /// Number of servers `c`.
    pub fn servers(&self) -> u32 {
        self.servers
    }

    /// Mean patience (seconds) of the exponential patience distribution.
    pub fn mean_patience_s(&self) -> f64 {
        self.mean_patience_s
    }

    /// Steady-state figures (`p_abandon = θ Lq / λ`, `mean_wait_all = Lq/λ`,
    /// `asa_answered = E[W; answered] / P(answered)`,
    /// occupancy `λ(1 − P(Ab)) / (c μ)`).
    pub fn figures(&self) -> QueueFigures {
        let offered_per_server =
            self.arrival_rate_per_s * self.mean_service_s / f64::from(self.servers);
        // min: rounding only (carried load never exceeds capacity)
        let occupancy = (offered_per_server * self.region.p_answered()).min(1.0);
        self.region.figures(occupancy)
    }

    /// Contacts answered with wait `≤ t_s`, divided by all arrivals
    /// (abandons count as misses). Negative or NaN `t_s` gives 0.
    pub fn answered_within_over_offered(&self, t_s: f64) -> f64 {
        self.region.answered_within(t_s)
    }

    /// Contacts answered with wait `≤ t_s`, divided by answered contacts.
    pub fn answered_within_over_answered(&self, t_s: f64) -> f64 {
        self.region.answered_within_over_answered(t_s)
    }

    /// `P(min(V, patience) ≤ t_s)`: abandons before `t_s` count as hits.
    pub fn p_wait_le_t(&self, t_s: f64) -> f64 {
        self.region.p_wait_le_t(t_s)
    }

    /// `P(V ≤ t_s)` for the offered (virtual, infinitely patient) wait `V`.
    pub fn offered_wait_cdf(&self, t_s: f64) -> f64 {
        self.region.offered_wait_cdf(t_s)
    }

    /// Mean time to abandon of the contacts that abandon (`NaN` if nobody
    /// can abandon, i.e. no arrivals).
    pub fn mean_wait_abandoned_s(&self) -> f64 {
        self.region.mean_wait_abandoned_s()
    }
}

/// Largest number of queue-length terms summed before giving up.
const MAX_QUEUE_TERMS: u64 = 100_000_000;

/// Tail-sum tolerance (relative).
const TAIL_TOL: f64 = 1e-17;

/// The waiting region of a queue: when the system is "full" (every server or
/// chat slot busy) arrivals queue FCFS, the head of the queue is served at
/// total rate `drain` and each waiting contact abandons at rate `θ`. The
/// stationary queue-length distribution is `π(full, j) = π(full, 0) t_j`,
/// `t_j = Π_{i=1}^{j} λ / (D + iθ)`; `ln_rest` below is
/// `ln(π(not full) / π(full, 0))`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct WaitRegion {
    arrival_per_s: f64,
    drain_per_s: f64,
    theta_per_s: f64,
    /// `ln π(full, 0)`.
    ln_p_full0: f64,
    /// `π(not full)`: answered on arrival.
    p_immediate: f64,
    /// `π(full)`: delayed on arrival (PASTA).
    p_wait: f64,
    /// Answered after a positive wait.
    p_answered_after_wait: f64,
    mean_queue_length: f64,
    /// `E[W · 1{answered}]` over all arrivals.
    answered_wait_mass_s: f64,
}

/// Sums over the queue lengths `j ≥ 0` of `t_j`, `j t_j`, `t_j P(ans | j)`
/// and `t_j E[W 1{ans} | j]`, all multiplied by `exp(-ln_scale)`.
struct TailSums {
    ln_scale: f64,
    s0: f64,
    s1: f64,
    s_ans: f64,
    s_wait: f64,
}

impl TailSums {
    /// Without abandonment: geometric series in closed form (`λ < D`).
    fn geometric(lambda: f64, drain: f64) -> Option<Self> {
        let r = lambda / drain;
        if r.is_nan() || r >= 1.0 {
            return None;
        }
        let g = 1.0 / (1.0 - r);
        Some(Self {
            ln_scale: 0.0,
            s0: g,
            s1: r * g * g,
            s_ans: g,
            s_wait: g * g / drain,
        })
    }

    /// With abandonment rate `theta > 0`. An arrival finding `j` waiting
    /// moves through `j + 1` stages of rates `D + kθ` (itself included);
    /// it is answered with probability `D / (D + (j+1)θ)` (telescoping
    /// product) and, stage times being independent of the outcome,
    /// `E[W 1{ans} | j] = P(ans | j) Σ_{k=1}^{j+1} 1 / (D + kθ)`.
    fn with_abandonment(lambda: f64, drain: f64, theta: f64) -> Option<Self> {
        const RESCALE: f64 = 1e200;
        let mut sums = Self {
            ln_scale: 0.0,
            s0: 0.0,
            s1: 0.0,
            s_ans: 0.0,
            s_wait: 0.0,
        };
        let mut t = 1.0;
        let mut harmonic = 0.0;
        for j in 0..MAX_QUEUE_TERMS {
            let jf = j as f64;
            let next_rate = drain + (jf + 1.0) * theta;
            harmonic += 1.0 / next_rate;
            let p_ans = drain / next_rate;
            sums.s0 += t;
            sums.s1 += jf * t;
            sums.s_ans += t * p_ans;
            sums.s_wait += t * p_ans * harmonic;
            let r = lambda / next_rate;
            if r < 1.0 {
                // Ratios only decrease from here on: geometric bounds.
                let tail = t * r / (1.0 - r);
                let tail1 = tail * (jf + 1.0 / (1.0 - r));
                if tail <= TAIL_TOL * sums.s0 && tail1 <= TAIL_TOL * sums.s1 {
                    return Some(sums);
                }
            }
            t *= r;
            if t > RESCALE {
                t /= RESCALE;
                sums.s0 /= RESCALE;
                sums.s1 /= RESCALE;
                sums.s_ans /= RESCALE;
                sums.s_wait /= RESCALE;
                sums.ln_scale += RESCALE.ln();
            }
        }
        None
    }
}

impl WaitRegion {
    /// The region of a system that never sees an arrival.
    pub(super) fn idle(drain_per_s: f64, theta_per_s: f64) -> Self {
        Self {
            arrival_per_s: 0.0,
            drain_per_s,
            theta_per_s,
            ln_p_full0: f64::NEG_INFINITY,
            p_immediate: 1.0,
            p_wait: 0.0,
            p_answered_after_wait: 0.0,
            mean_queue_length: 0.0,
            answered_wait_mass_s: 0.0,
        }
    }

    /// Builds the region for arrival rate `arrival_per_s > 0`, head-of-queue
    /// service rate `drain_per_s > 0` and abandonment rate `theta_per_s ≥ 0`;
    /// `ln_rest = ln(π(not full) / π(full, 0))` may be `-inf`. `None` if
    /// `θ = 0` and `λ ≥ D`, or the tail needs more than 10⁸ terms.
    pub(super) fn new(
        arrival_per_s: f64,
        drain_per_s: f64,
        theta_per_s: f64,
        ln_rest: f64,
    ) -> Option<Self> {
        let sums = if theta_per_s > 0.0 {
            TailSums::with_abandonment(arrival_per_s, drain_per_s, theta_per_s)?
        } else {
            TailSums::geometric(arrival_per_s, drain_per_s)?
        };
        let ln_full = sums.ln_scale + sums.s0.ln();
        let ln_total = log_add_exp(ln_rest, ln_full);
        let scale = (sums.ln_scale - ln_total).exp();
        Some(Self {
            arrival_per_s,
            drain_per_s,
            theta_per_s,
            ln_p_full0: -ln_total,
            p_immediate: (ln_rest - ln_total).exp(),
            p_wait: (ln_full - ln_total).exp(),
            p_answered_after_wait: scale * sums.s_ans,
            mean_queue_length: scale * sums.s1,
            answered_wait_mass_s: scale * sums.s_wait,
        })
    }

    /// Probability that the system is full (PASTA: an arrival waits).
    pub(super) fn p_wait(&self) -> f64 {
        self.p_wait
    }

    /// `ln` of the stationary probability of the full state with an empty
    /// queue.
    pub(super) fn ln_p_full0(&self) -> f64 {
        self.ln_p_full0
    }

    /// Probability that an arrival is eventually answered.
    pub(super) fn p_answered(&self) -> f64 {
        self.p_immediate + self.p_answered_after_wait
    }

    /// Figures of the region, with the occupancy supplied by the caller.
    pub(super) fn figures(&self, occupancy: f64) -> QueueFigures {
        let lambda = self.arrival_per_s;
        let (p_abandon, mean_wait_all_s) = if lambda > 0.0 {
            let w = self.mean_queue_length / lambda;
            (self.theta_per_s * w, w)
        } else {
            (0.0, 0.0)
        };
        QueueFigures {
            p_wait: self.p_wait,
            p_abandon,
            mean_wait_all_s,
            asa_answered_s: self.answered_wait_mass_s / self.p_answered(),
            mean_queue_length: self.mean_queue_length,
            occupancy,
        }
    }

    /// Mean wait of abandoning contacts.
    pub(super) fn mean_wait_abandoned_s(&self) -> f64 {
        let lambda = self.arrival_per_s;
        let all = self.mean_queue_length / lambda;
        let p_ab = self.theta_per_s * all;
        (all - self.answered_wait_mass_s) / p_ab
    }

    /// Answered within `t_s` over offered.
    pub(super) fn answered_within(&self, t_s: f64) -> f64 {
        if t_s.is_nan() || t_s < 0.0 {
            return 0.0;
        }
        self.p_immediate + self.density_integral(t_s, true)
    }

    /// Answered within `t_s` over answered.
    pub(super) fn answered_within_over_answered(&self, t_s: f64) -> f64 {
        self.answered_within(t_s) / self.p_answered()
    }

    /// `P(V ≤ t)` of the offered wait.
    pub(super) fn offered_wait_cdf(&self, t_s: f64) -> f64 {
        if t_s.is_nan() || t_s < 0.0 {
            return 0.0;
        }
        self.p_immediate + self.density_integral(t_s, false)
    }

    /// `P(min(V, patience) ≤ t) = 1 − P(V > t) e^{−θt}`.
    pub(super) fn p_wait_le_t(&self, t_s: f64) -> f64 {
        if t_s.is_nan() || t_s < 0.0 {
            return 0.0;
        }
        let v_tail = (self.p_wait - self.density_integral(t_s, false)).max(0.0);
        1.0 - v_tail * (-self.theta_per_s * t_s).exp()
    }

    /// `∫_0^t f_V(u) e^{−kθu} du` with `k = 1` if `answered` (the contact
    /// must still be waiting at `u`) else `k = 0`.
    fn density_integral(&self, t_s: f64, answered: bool) -> f64 {
        if self.ln_p_full0 == f64::NEG_INFINITY || t_s == 0.0 {
            return 0.0;
        }
        let (lambda, d, theta) = (self.arrival_per_s, self.drain_per_s, self.theta_per_s);
        let ln_front = self.ln_p_full0 + d.ln();
        if theta == 0.0 {
            // f_V(u) = π_full0 D e^{−(D−λ)u}
            let ex = d - lambda;
            return ln_front.exp() * (-(-ex * t_s).exp_m1()) / ex;
        }
        let decay = d + if answered { theta } else { 0.0 };
        let g = |u: f64| -decay * u - lambda * (-theta * u).exp_m1() / theta;
        // g is concave: locate the mode and its width for breakpoints.
        let mode = if lambda > decay {
            (lambda / decay).ln() / theta
        } else {
            0.0
        };
        let width = 1.0 / (theta * decay).sqrt();
        let t_eff = t_s.min(cutoff(&g, mode, width, lambda, decay, theta));
        let f = |u: f64| (ln_front + g(u)).exp();
        // Rounding in the exponent makes f noisy at this relative level.
        let phi_t = -(-theta * t_eff).exp_m1() / theta;
        let noise = 4.0 * f64::EPSILON * (ln_front.abs() + decay * t_eff + lambda * phi_t);
        let mut quad = Simpson {
            f: &f,
            rel_floor: noise.max(1e-14),
            budget: 2_000_000,
        };
        let mut points = vec![0.0, t_eff, mode];
        for i in 0..8 {
            let step = width * f64::from(1u32 << i);
            points.push(mode - step);
            points.push(mode + step);
        }
        points.retain(|&p| (0.0..=t_eff).contains(&p));
        points.sort_by(f64::total_cmp);
        points.dedup();
        points
            .windows(2)
            .map(|w| quad.integrate(w[0], w[1], 1e-16))
            .sum()
    }
}

/// A point beyond which `exp(g)` is below `e^{−800}` times its maximum
/// (by concavity of `g`).
fn cutoff(
    g: &impl Fn(f64) -> f64,
    mode: f64,
    width: f64,
    lambda: f64,
    decay: f64,
    theta: f64,
) -> f64 {
    let u1 = mode + 8.0 * width;
    let slope = decay - lambda * (-theta * u1).exp();
    u1 + (g(u1) - g(mode) + 800.0).max(0.0) / slope
}

/// Adaptive Simpson quadrature with Richardson extrapolation, an absolute
/// tolerance, a relative floor (the integrand's own rounding noise) and a
/// budget of function evaluations that guarantees termination.
struct Simpson<'a, F: Fn(f64) -> f64> {
    f: &'a F,
    rel_floor: f64,
    budget: u32,
}

impl<F: Fn(f64) -> f64> Simpson<'_, F> {
    /// `∫_a^b f` to absolute tolerance `eps` (or the relative floor).
    fn integrate(&mut self, a: f64, b: f64, eps: f64) -> f64 {
        let f = self.f;
        let (fa, fm, fb) = (f(a), f(0.5 * (a + b)), f(b));
        let whole = (b - a) / 6.0 * (fa + 4.0 * fm + fb);
        self.step([a, b], [fa, fm, fb], whole, eps, 60)
    }

    fn step(
        &mut self,
        [a, b]: [f64; 2],
        [fa, fm, fb]: [f64; 3],
        whole: f64,
        eps: f64,
        depth: u32,
    ) -> f64 {
        let f = self.f;
        let m = 0.5 * (a + b);
        let (flm, frm) = (f(0.5 * (a + m)), f(0.5 * (m + b)));
        self.budget = self.budget.saturating_sub(2);
        let left = (m - a) / 6.0 * (fa + 4.0 * flm + fm);
        let right = (b - m) / 6.0 * (fm + 4.0 * frm + fb);
        let delta = left + right - whole;
        let tol = eps.max(self.rel_floor * (left + right).abs());
        if depth == 0 || self.budget == 0 || delta.abs() <= 15.0 * tol {
            return left + right + delta / 15.0;
        }
        self.step([a, m], [fa, flm, fm], left, 0.5 * eps, depth - 1)
            + self.step([m, b], [fm, frm, fb], right, 0.5 * eps, depth - 1)
    }
}

#[cfg(test)]
mod tests;
