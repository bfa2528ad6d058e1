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
mod tests {
    use super::*;

    /// Asserts `|actual − expected| ≤ 1e-9 · max(|expected|, 1e-3)`
    /// (relative 1e-9, or absolute 1e-12 for tiny values).
    fn check(what: &str, actual: f64, expected: f64) {
        let err = (actual - expected).abs();
        let rel = err / expected.abs().max(1e-3);
        println!("{what:<50} {actual:<22} {expected:<22} rel {rel:.2e}");
        assert!(rel <= 1e-9, "{what}: got {actual}, expected {expected}");
    }

    /// One stationary case of erlang_reference.json.
    struct Case {
        id: &'static str,
        lambda: f64,
        aht: f64,
        agents: u32,
        patience: f64,
        c: CExpected,
        a: AExpected,
    }

    struct CExpected {
        p_wait: f64,
        mean_wait_all_s: f64,
        mean_queue_length: f64,
        occupancy: f64,
        sl_20: f64,
        sl_120: f64,
    }

    struct AExpected {
        p_wait: f64,
        p_abandon: f64,
        mean_wait_all_s: f64,
        mean_queue_length: f64,
        occupancy: f64,
        asa_answered_s: f64,
        mean_wait_abandoned_s: f64,
        /// answered/offered, p_wait_le_t, answered/answered, offered cdf
        sl_20: [f64; 4],
        sl_120: [f64; 4],
        p_wait_patience_1e4_aht: f64,
    }

    fn cases() -> Vec<Case> {
        vec![
            Case {
                id: "S01_c2_rho050",
                lambda: 0.0033333333333333335,
                aht: 300.0,
                agents: 2,
                patience: 180.0,
                c: CExpected {
                    p_wait: 0.3333333333333333,
                    mean_wait_all_s: 100.0,
                    mean_queue_length: 0.3333333333333333,
                    occupancy: 0.5,
                    sl_20: 0.6881643383227941,
                    sl_120: 0.7765599846547869,
                },
                a: AExpected {
                    p_wait: 0.24982661233993253,
                    p_abandon: 0.1252600814901012,
                    mean_wait_all_s: 22.546814668218218,
                    mean_queue_length: 0.07515604889406073,
                    occupancy: 0.43736995925494937,
                    asa_answered_s: 13.249714780189667,
                    mean_wait_abandoned_s: 87.47208297147382,
                    sl_20: [
                        0.7730562188894452,
                        0.7980663693180238,
                        0.8837555055293811,
                        0.7743353170926145,
                    ],
                    sl_120: [
                        0.8398608976418831,
                        0.9331129153522684,
                        0.9601264099991785,
                        0.8697217483247076,
                    ],
                    p_wait_patience_1e4_aht: 0.33331111925405416,
                },
            },
            Case {
                id: "S03_c10_rho090",
                lambda: 0.05,
                aht: 180.0,
                agents: 10,
                patience: 300.0,
                c: CExpected {
                    p_wait: 0.6687315241076971,
                    mean_wait_all_s: 120.37167433938548,
                    mean_queue_length: 6.018583716969275,
                    occupancy: 0.9,
                    sl_20: 0.40159273983523613,
                    sl_120: 0.6566617874863518,
                },
                a: AExpected {
                    p_wait: 0.45437969265240236,
                    p_abandon: 0.07189597530385713,
                    mean_wait_all_s: 21.568792591157138,
                    mean_queue_length: 1.078439629557857,
                    occupancy: 0.8352936222265286,
                    asa_answered_s: 20.05746401175297,
                    mean_wait_abandoned_s: 41.078509668575535,
                    sl_20: [
                        0.6565812992071112,
                        0.6821426101558656,
                        0.7074436504270876,
                        0.6602298059448571,
                    ],
                    sl_120: [
                        0.9024827254365235,
                        0.9713415566221185,
                        0.9723939358327773,
                        0.9572466263729225,
                    ],
                    p_wait_patience_1e4_aht: 0.6685325836697118,
                },
            },
            Case {
                id: "S11_published_anchor",
                lambda: 0.05555555555555555,
                aht: 180.0,
                agents: 14,
                patience: 300.0,
                c: CExpected {
                    p_wait: 0.17413193359504975,
                    mean_wait_all_s: 7.8359370117772364,
                    mean_queue_length: 0.4353298339876242,
                    occupancy: 0.7142857142857142,
                    sl_20: 0.888350019179467,
                    sl_120: 0.9879007122857163,
                },
                a: AExpected {
                    p_wait: 0.14526011429636113,
                    p_abandon: 0.01398374412240893,
                    mean_wait_all_s: 4.1951232367226785,
                    mean_queue_length: 0.2330624020401488,
                    occupancy: 0.7042973256268507,
                    asa_answered_s: 3.8784800445210195,
                    mean_wait_abandoned_s: 26.522143245869138,
                    sl_20: [
                        0.9167920918635469,
                        0.9239560272747456,
                        0.92979409456852,
                        0.9187136237975985,
                    ],
                    sl_120: [
                        0.9847677462020079,
                        0.9986593589592457,
                        0.9987337838822221,
                        0.9979999985847313,
                    ],
                    p_wait_patience_1e4_aht: 0.1741229472813684,
                },
            },
        ]
    }

    #[test]
    fn erlang_b_textbook_values() {
        assert_eq!(erlang_b(0, 3.0), 1.0);
        check("B(1,1)", erlang_b(1, 1.0), 0.5);
        check("B(2,1)", erlang_b(2, 1.0), 0.2);
        check("B(3,2)", erlang_b(3, 2.0), 4.0 / 19.0);
        check("B(5,3)", erlang_b(5, 3.0), 2.025 / 18.4);
        assert_eq!(erlang_b(4, 0.0), 0.0);
        assert!(erlang_b(3, -1.0).is_nan());
        // Log-domain inverse agrees with the recursion.
        let l = ln_inv_erlang_b(30, 21.5);
        check("ln 1/B(30,21.5)", l, -erlang_b(30, 21.5).ln());
    }

    #[test]
    fn erlang_c_matches_reference() {
        for case in cases() {
            let m = ErlangC::new(case.agents, case.lambda, case.aht).unwrap();
            let f = m.figures();
            let id = case.id;
            check(&format!("{id} C p_wait"), f.p_wait, case.c.p_wait);
            assert_eq!(f.p_abandon, 0.0);
            check(
                &format!("{id} C mean_wait_all"),
                f.mean_wait_all_s,
                case.c.mean_wait_all_s,
            );
            check(
                &format!("{id} C asa_answered"),
                f.asa_answered_s,
                case.c.mean_wait_all_s,
            );
            let lq = f.mean_queue_length;
            check(
                &format!("{id} C mean_queue_length"),
                lq,
                case.c.mean_queue_length,
            );
            check(&format!("{id} C occupancy"), f.occupancy, case.c.occupancy);
            let sl20 = m.answered_within_over_offered(20.0);
            check(&format!("{id} C sl20"), sl20, case.c.sl_20);
            let sl120 = m.answered_within_over_offered(120.0);
            check(&format!("{id} C sl120"), sl120, case.c.sl_120);
        }
    }

    #[test]
    fn erlang_a_matches_reference() {
        for case in cases() {
            let m = ErlangA::new(case.agents, case.lambda, case.aht, case.patience).unwrap();
            let (f, e, id) = (m.figures(), &case.a, case.id);
            check(&format!("{id} A p_wait"), f.p_wait, e.p_wait);
            check(&format!("{id} A p_abandon"), f.p_abandon, e.p_abandon);
            check(
                &format!("{id} A mean_wait_all"),
                f.mean_wait_all_s,
                e.mean_wait_all_s,
            );
            check(
                &format!("{id} A asa_answered"),
                f.asa_answered_s,
                e.asa_answered_s,
            );
            let lq = f.mean_queue_length;
            check(
                &format!("{id} A mean_queue_length"),
                lq,
                e.mean_queue_length,
            );
            check(&format!("{id} A occupancy"), f.occupancy, e.occupancy);
            let wab = m.mean_wait_abandoned_s();
            check(
                &format!("{id} A mean_wait_abandoned"),
                wab,
                e.mean_wait_abandoned_s,
            );
            for (t, sl) in [(20.0, e.sl_20), (120.0, e.sl_120)] {
                let got = [
                    m.answered_within_over_offered(t),
                    m.p_wait_le_t(t),
                    m.answered_within_over_answered(t),
                    m.offered_wait_cdf(t),
                ];
                let names = ["ans/offered", "p_wait_le_t", "ans/answered", "offered cdf"];
                for ((g, x), name) in got.into_iter().zip(sl).zip(names) {
                    check(&format!("{id} A {name} {t}s"), g, x);
                }
            }
        }
    }

    #[test]
    fn erlang_a_with_huge_patience_approaches_erlang_c() {
        for case in cases() {
            let m = ErlangA::new(case.agents, case.lambda, case.aht, 1e4 * case.aht).unwrap();
            let c = ErlangC::new(case.agents, case.lambda, case.aht).unwrap();
            let (fa, fc) = (m.figures(), c.figures());
            let id = case.id;
            check(
                &format!("{id} A(1e4 AHT) p_wait"),
                fa.p_wait,
                case.a.p_wait_patience_1e4_aht,
            );
            assert!((fa.p_wait - fc.p_wait).abs() < 1e-3);
            assert!((fa.mean_wait_all_s / fc.mean_wait_all_s - 1.0).abs() < 1e-2);
            let (sa, sc) = (
                m.answered_within_over_offered(20.0),
                c.answered_within_over_offered(20.0),
            );
            assert!((sa - sc).abs() < 1e-3, "{sa} vs {sc}");
        }
    }

    #[test]
    fn erlang_a_internal_consistency() {
        let m = ErlangA::new(10, 0.05, 180.0, 300.0).unwrap();
        let f = m.figures();
        // Everybody who waits is eventually answered or abandons.
        check(
            "1 - P(Ab) = answered within inf",
            m.answered_within_over_offered(1e9),
            1.0 - f.p_abandon,
        );
        check("P(V < inf) = 1", m.offered_wait_cdf(f64::INFINITY), 1.0);
        check("P(min(V,τ) < inf) = 1", m.p_wait_le_t(1e9), 1.0);
        check(
            "SL(0) = 1 - p_wait",
            m.answered_within_over_offered(0.0),
            1.0 - f.p_wait,
        );
        assert_eq!(m.answered_within_over_offered(-1.0), 0.0);
        assert_eq!(m.answered_within_over_offered(f64::NAN), 0.0);
    }

    #[test]
    fn erlang_a_large_systems_are_finite_and_consistent() {
        // c = 500, offered load up to 750 Erlangs (rho = 1.5).
        for (a, patience) in [
            (100.0, 60.0),
            (450.0, 120.0),
            (600.0, 60.0),
            (750.0, 30.0),
            (750.0, 3e4),
        ] {
            let m = ErlangA::new(500, a / 300.0, 300.0, patience).unwrap();
            let f = m.figures();
            for x in [f.p_wait, f.p_abandon, f.occupancy] {
                assert!((0.0..=1.0).contains(&x), "{a} {patience}: {f:?}");
            }
            assert!(f.mean_wait_all_s.is_finite() && f.asa_answered_s.is_finite());
            let all = m.answered_within_over_offered(1e12);
            assert!(
                (all - (1.0 - f.p_abandon)).abs() < 1e-9,
                "{a} {patience}: {all} {f:?}"
            );
            let sl = m.answered_within_over_offered(20.0);
            assert!(sl >= 1.0 - f.p_wait - 1e-12 && sl <= all + 1e-12);
            if a > 500.0 {
                // overloaded: carried load is (almost) c servers
                assert!(f.occupancy > 0.95 && f.occupancy <= 1.0, "{f:?}");
            }
        }
        // Light load: P(wait) underflows gracefully.
        let f = ErlangA::new(500, 10.0 / 300.0, 300.0, 60.0)
            .unwrap()
            .figures();
        assert_eq!(f.p_wait, 0.0);
        assert!((f.occupancy - 10.0 / 500.0).abs() < 1e-15);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(ErlangC::new(0, 0.1, 10.0).is_none());
        assert!(ErlangC::new(2, 0.2, 10.0).is_none()); // a = c
        assert!(ErlangC::new(2, 0.1, 0.0).is_none());
        assert!(ErlangC::new(2, f64::NAN, 10.0).is_none());
        assert!(ErlangA::new(2, 0.1, 10.0, 0.0).is_none());
        assert!(ErlangA::new(2, 0.1, 10.0, f64::INFINITY).is_none());
        assert!(ErlangA::new(0, 0.1, 10.0, 5.0).is_none());
        let idle = ErlangA::new(2, 0.0, 10.0, 5.0).unwrap();
        assert_eq!(idle.figures().p_wait, 0.0);
        assert_eq!(idle.answered_within_over_offered(1.0), 1.0);
        let c_idle = ErlangC::new(2, 0.0, 10.0).unwrap().figures();
        assert_eq!((c_idle.p_wait, c_idle.occupancy), (0.0, 0.0));
    }
}
