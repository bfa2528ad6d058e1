//! Exact stationary solution of the chat-concurrency CTMC: `c` agents each
//! holding up to `N` open chats, per-chat completion rate depending on the
//! agent's current number of chats (slowdown), least-loaded routing, a FCFS
//! queue when every agent is at `N`, optional exponential patience.
//!
//! State: the histogram `(n_0, …, n_N)` of agents by number of open chats,
//! plus the queue length `q` (only when every agent is at `N`). The queue
//! region is a birth–death tail attached to the "all at `N`, `q = 0`" state,
//! leaving it only through that state; it is summed exactly (Erlang-A-like
//! with drain rate `c N μ_N`). The histogram chain, censored to exclude the
//! queue, is block tridiagonal in the total number of open chats; it is
//! solved by GTH (Grassmann–Taksar–Heyman) state elimination, level by
//! level from the top — subtraction-free, hence accurate to rounding.

use std::collections::HashMap;
use std::fmt;

use super::QueueFigures;
use super::erlang::WaitRegion;

/// Largest number of histogram states (`C(c+N, N)`) the solver accepts.
pub const MAX_HISTOGRAM_STATES: u64 = 200_000;

/// Largest number of rates stored for the elimination (memory bound).
const MAX_STORED_RATES: f64 = 2.5e7;

/// Largest number of elimination flops (time bound, roughly 10–30 s).
const MAX_FLOPS: f64 = 3e10;

/// The chat-concurrency model (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct ChatCtmc {
    /// Number of agents `c` (at least 1).
    pub agents: u32,
    /// Maximum open chats per agent `N` (at least 1).
    pub max_concurrent: u32,
    /// Poisson arrival rate `λ` of new chats (per second, `≥ 0`).
    pub arrival_rate_per_s: f64,
    /// Mean chat duration when the agent holds a single chat (seconds).
    pub mean_service_s: f64,
    /// Mean duration multiplier at 1, 2, …, N open chats; shorter than `N`:
    /// the last value repeats; empty: all 1.0; entries beyond `N` are
    /// ignored. Each must be positive and finite.
    pub slowdown: Vec<f64>,
    /// Mean of the exponential patience while waiting (seconds); `None`:
    /// nobody abandons (then `λ < c N μ_N` is required).
    pub mean_patience_s: Option<f64>,
}

/// Stationary figures of a [`ChatCtmc`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChatCtmcSolution {
    /// Queue figures; `occupancy` = mean open chats per agent / `N`.
    pub figures: QueueFigures,
    /// Time-average fraction of agents holding `k = 0..=N` open chats.
    pub level_fractions: Vec<f64>,
    /// Mean number of open chats (chats in service, queue excluded).
    pub mean_chats_in_service: f64,
    /// Completed chats per second, `Σ_k c · frac_k · k · μ_k`
    /// (equals `λ(1 − P(Ab))`).
    pub throughput_per_s: f64,
    /// Number of histogram states `C(c+N, N)` (the queue comes on top).
    pub histogram_states: usize,
    region: WaitRegion,
}

impl ChatCtmcSolution {
    /// Chats answered with wait `≤ t_s`, divided by all arrivals (abandons
    /// count as misses). Negative or NaN `t_s` gives 0.
    pub fn answered_within_over_offered(&self, t_s: f64) -> f64 {
        self.region.answered_within(t_s)
    }

    /// Chats answered with wait `≤ t_s`, divided by answered chats.
    pub fn answered_within_over_answered(&self, t_s: f64) -> f64 {
        self.region.answered_within_over_answered(t_s)
    }

    /// `P(min(V, patience) ≤ t_s)`: abandons before `t_s` count as hits.
    pub fn p_wait_le_t(&self, t_s: f64) -> f64 {
        self.region.p_wait_le_t(t_s)
    }
}

/// Why [`ChatCtmc::solve`] failed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CtmcError {
    /// A parameter is out of range (the message says which).
    InvalidParameter(&'static str),
    /// Without abandonment the arrival rate reaches the full capacity.
    Unstable {
        /// Arrival rate `λ` (per second).
        arrival_rate_per_s: f64,
        /// Capacity `c N μ_N` (per second).
        capacity_per_s: f64,
    },
    /// The exact solver would need too many states, memory or time.
    TooLarge {
        /// Number of histogram states `C(c+N, N)` (saturating).
        histogram_states: u64,
    },
}

impl fmt::Display for CtmcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidParameter(what) => write!(f, "invalid chat CTMC parameter: {what}"),
            Self::Unstable {
                arrival_rate_per_s,
                capacity_per_s,
            } => write!(
                f,
                "unstable chat queue without abandonment: arrival rate {arrival_rate_per_s}/s \
                 >= capacity c*N*mu_N = {capacity_per_s}/s"
            ),
            Self::TooLarge { histogram_states } => write!(
                f,
                "chat CTMC too large for the exact solver: {histogram_states} histogram states \
                 (limits: {MAX_HISTOGRAM_STATES} states, {MAX_STORED_RATES:e} stored rates, \
                 {MAX_FLOPS:e} flops)"
            ),
        }
    }
}

impl std::error::Error for CtmcError {}

impl ChatCtmc {
    /// Solves the chain exactly. Errors: invalid parameters, instability
    /// without abandonment, or a state space beyond the solver's limits
    /// ([`MAX_HISTOGRAM_STATES`] and internal memory/time bounds).
    pub fn solve(&self) -> Result<ChatCtmcSolution, CtmcError> {
        self.validate()?;
        let mu = self.rates();
        let n = self.max_concurrent as usize;
        let lambda = self.arrival_rate_per_s;
        let capacity = f64::from(self.agents) * n as f64 * mu[n];
        let theta = self.mean_patience_s.map_or(0.0, |p| 1.0 / p);
        if theta == 0.0 && lambda >= capacity {
            return Err(CtmcError::Unstable {
                arrival_rate_per_s: lambda,
                capacity_per_s: capacity,
            });
        }
        let histogram_states = binomial(u64::from(self.agents) + n as u64, n as u64);
        let too_large = CtmcError::TooLarge { histogram_states };
        if histogram_states > MAX_HISTOGRAM_STATES {
            return Err(too_large);
        }
        let levels = Levels::enumerate(self.agents, n);
        if !levels.affordable() {
            return Err(too_large);
        }
        if lambda == 0.0 {
            return Ok(self.idle_solution(&mu, levels.count()));
        }
        let weights = levels.solve_censored(lambda, &mu);
        // ln of the non-full mass relative to the full state (top level).
        let ln_top = weights.ln_scale[weights.ln_scale.len() - 1]
            + weights.values.last().map_or(0.0, |v| v[0].ln());
        let ln_rest = weights.ln_mass_below_top() - ln_top;
        let region = WaitRegion::new(lambda, capacity, theta, ln_rest).ok_or(
            CtmcError::InvalidParameter("queue tail does not converge within 1e8 terms"),
        )?;
        let mean_agents = weights.mean_agents_by_level(&levels, ln_top, &region);
        Ok(self.solution(mean_agents, &mu, region, levels.count()))
    }

    fn validate(&self) -> Result<(), CtmcError> {
        let bad = |what| Err(CtmcError::InvalidParameter(what));
        let positive = |x: f64| x.is_finite() && x > 0.0;
        if self.agents == 0 {
            return bad("agents must be at least 1");
        }
        if self.max_concurrent == 0 {
            return bad("max_concurrent must be at least 1");
        }
        if !(self.arrival_rate_per_s.is_finite() && self.arrival_rate_per_s >= 0.0) {
            return bad("arrival_rate_per_s must be finite and non-negative");
        }
        if !positive(self.mean_service_s) {
            return bad("mean_service_s must be positive and finite");
        }
        if !self.slowdown.iter().all(|&s| positive(s)) {
            return bad("slowdown multipliers must be positive and finite");
        }
        if self.mean_patience_s.is_some_and(|p| !positive(p)) {
            return bad("mean_patience_s must be positive and finite (None: no abandonment)");
        }
        Ok(())
    }

    /// Per-chat completion rates `μ_k`, `k = 0..=N` (`μ_0 = 0`, unused).
    fn rates(&self) -> Vec<f64> {
        let n = self.max_concurrent as usize;
        let mut mu = vec![0.0; n + 1];
        for (k, rate) in mu.iter_mut().enumerate().skip(1) {
            let mult = match self.slowdown.len() {
                0 => 1.0,
                len => self.slowdown[(k - 1).min(len - 1)],
            };
            *rate = 1.0 / (self.mean_service_s * mult);
        }
        mu
    }

    /// Assembles the solution from `E[n_k]`.
    fn solution(
        &self,
        mean_agents: Vec<f64>,
        mu: &[f64],
        region: WaitRegion,
        histogram_states: usize,
    ) -> ChatCtmcSolution {
        let c = f64::from(self.agents);
        let n = f64::from(self.max_concurrent);
        let by_level = mean_agents.iter().enumerate();
        let mean_chats_in_service: f64 = by_level.clone().map(|(k, e)| k as f64 * e).sum();
        let throughput_per_s = by_level.map(|(k, e)| k as f64 * e * mu[k]).sum();
        ChatCtmcSolution {
            figures: region.figures(mean_chats_in_service / (c * n)),
            level_fractions: mean_agents.iter().map(|e| e / c).collect(),
            mean_chats_in_service,
            throughput_per_s,
            histogram_states,
            region,
        }
    }

    /// The solution when no chat ever arrives.
    fn idle_solution(&self, mu: &[f64], histogram_states: usize) -> ChatCtmcSolution {
        let mut mean_agents = vec![0.0; mu.len()];
        mean_agents[0] = f64::from(self.agents);
        let region = WaitRegion::idle(0.0, 0.0);
        self.solution(mean_agents, mu, region, histogram_states)
    }
}

/// `C(n, k)` saturating at `u64::MAX`.
fn binomial(n: u64, k: u64) -> u64 {
    let k = k.min(n - k);
    let mut acc: u128 = 1;
    for i in 0..k {
        acc = acc * u128::from(n - i) / u128::from(i + 1);
        if acc > u128::from(u64::MAX) {
            return u64::MAX;
        }
    }
    acc as u64
}

/// Histogram states grouped by level (total open chats `m = Σ k n_k`).
struct Levels {
    states: Vec<Vec<Vec<u32>>>,
    index: HashMap<Vec<u32>, usize>,
}

impl Levels {
    fn enumerate(agents: u32, n: usize) -> Self {
        let mut levels = Self {
            states: vec![Vec::new(); agents as usize * n + 1],
            index: HashMap::new(),
        };
        let mut h = vec![0; n + 1];
        levels.fill(&mut h, 0, agents);
        levels
    }

    /// Recursively enumerates the compositions of `left` into `h[k..]`.
    fn fill(&mut self, h: &mut [u32], k: usize, left: u32) {
        if k + 1 == h.len() {
            h[k] = left;
            let m = level_of(h);
            self.index.insert(h.to_vec(), self.states[m].len());
            self.states[m].push(h.to_vec());
            return;
        }
        for x in (0..=left).rev() {
            h[k] = x;
            self.fill(h, k + 1, left - x);
        }
    }

    fn count(&self) -> usize {
        self.index.len()
    }

    fn size(&self, m: usize) -> usize {
        self.states[m].len()
    }

    /// Whether the elimination fits the memory and time bounds.
    fn affordable(&self) -> bool {
        let (mut stored, mut flops) = (0.0, 0.0);
        for m in 1..self.states.len() {
            let (hi, lo) = (self.size(m) as f64, self.size(m - 1) as f64);
            stored += hi * (0.5 * hi + lo);
            flops += hi * (hi + lo) * (hi + lo);
        }
        stored <= MAX_STORED_RATES && flops <= MAX_FLOPS
    }

    /// Index of a histogram within its level.
    fn locate(&self, h: &[u32]) -> usize {
        self.index[h]
    }
}

/// Total open chats of a histogram.
fn level_of(h: &[u32]) -> usize {
    h.iter().enumerate().map(|(k, &x)| k * x as usize).sum()
}

/// Index of the least-loaded agent's level that can take a chat, if any.
fn routing_level(h: &[u32]) -> Option<usize> {
    let n = h.len() - 1;
    (0..n).find(|&k| h[k] > 0)
}

/// `h` with one agent moved from level `from` to level `to`.
fn moved(h: &[u32], from: usize, to: usize) -> Vec<u32> {
    let mut g = h.to_vec();
    g[from] -= 1;
    g[to] += 1;
    g
}

/// Unnormalised stationary weights of the censored histogram chain:
/// `values[m][i] · exp(ln_scale[m])` for state `i` of level `m`.
struct Weights {
    values: Vec<Vec<f64>>,
    ln_scale: Vec<f64>,
}

/// What GTH keeps of one eliminated level for back-substitution.
struct Eliminated {
    /// Total outflow of each eliminated state at its elimination.
    out: Vec<f64>,
    /// In-rates from the states still present, state after state.
    cols: Vec<f64>,
}

impl Levels {
    /// GTH elimination from the top level down, then back-substitution.
    fn solve_censored(&self, lambda: f64, mu: &[f64]) -> Weights {
        let top = self.states.len() - 1;
        let mut kept: Vec<Option<Eliminated>> = (0..=top).map(|_| None).collect();
        let mut carry = vec![0.0; 1];
        for m in (1..=top).rev() {
            let (elim, lower) = self.eliminate_level(m, lambda, mu, &carry);
            kept[m] = Some(elim);
            carry = lower;
        }
        let mut w = Weights {
            values: vec![vec![1.0]],
            ln_scale: vec![0.0],
        };
        for (m, elim) in kept.iter().enumerate().skip(1) {
            let Some(elim) = elim else { continue };
            let mut hi = back_substitute(self.size(m), elim, &w.values[m - 1]);
            let max = hi.iter().copied().fold(0.0, f64::max);
            let ln_prev = w.ln_scale[m - 1];
            if max > 0.0 {
                hi.iter_mut().for_each(|x| *x /= max);
            }
            w.ln_scale.push(ln_prev + max.ln());
            w.values.push(hi);
        }
        w
    }

    /// Eliminates the states of level `m` from the chain restricted to
    /// levels `≤ m`, whose within-level-`m` rates are `carry`. Returns the
    /// kept data and the new within-level-`(m−1)` rates.
    fn eliminate_level(
        &self,
        m: usize,
        lambda: f64,
        mu: &[f64],
        carry: &[f64],
    ) -> (Eliminated, Vec<f64>) {
        let (n_hi, n_lo) = (self.size(m), self.size(m - 1));
        let n = n_hi + n_lo;
        let mut a = vec![0.0; n * n];
        for i in 0..n_hi {
            a[i * n..i * n + n_hi].copy_from_slice(&carry[i * n_hi..(i + 1) * n_hi]);
            let h = &self.states[m][i];
            for k in 1..h.len() {
                if h[k] > 0 {
                    let j = n_hi + self.locate(&moved(h, k, k - 1));
                    a[i * n + j] += f64::from(h[k]) * k as f64 * mu[k];
                }
            }
        }
        for (i, h) in self.states[m - 1].iter().enumerate() {
            if let Some(k) = routing_level(h) {
                a[(n_hi + i) * n + self.locate(&moved(h, k, k + 1))] += lambda;
            }
        }
        let mut elim = Eliminated {
            out: Vec::with_capacity(n_hi),
            cols: Vec::new(),
        };
        for s in 0..n_hi {
            let out: f64 = a[s * n + s + 1..(s + 1) * n].iter().sum();
            elim.out.push(out);
            for i in s + 1..n {
                let r = a[i * n + s];
                elim.cols.push(r);
                if r > 0.0 {
                    let factor = r / out;
                    for j in s + 1..n {
                        a[i * n + j] += factor * a[s * n + j];
                    }
                }
            }
        }
        let mut lower = vec![0.0; n_lo * n_lo];
        for i in 0..n_lo {
            let row = (n_hi + i) * n + n_hi;
            lower[i * n_lo..(i + 1) * n_lo].copy_from_slice(&a[row..row + n_lo]);
        }
        (elim, lower)
    }
}

/// GTH back-substitution: weights of the states of one level (computed in
/// reverse elimination order), given the weights `lo` of the level below.
fn back_substitute(n_hi: usize, elim: &Eliminated, lo: &[f64]) -> Vec<f64> {
    let n = n_hi + lo.len();
    // Offsets of each state's stored column.
    let mut offsets = Vec::with_capacity(n_hi);
    let mut off = 0;
    for s in 0..n_hi {
        offsets.push(off);
        off += n - s - 1;
    }
    let mut hi = vec![0.0; n_hi];
    for s in (0..n_hi).rev() {
        let col = &elim.cols[offsets[s]..offsets[s] + n - s - 1];
        let inflow: f64 = col
            .iter()
            .enumerate()
            .map(|(r, &rate)| {
                let i = s + 1 + r;
                rate * if i < n_hi { hi[i] } else { lo[i - n_hi] }
            })
            .sum();
        hi[s] = inflow / elim.out[s];
    }
    hi
}

impl Weights {
    /// `ln` of the total weight of all levels below the top.
    fn ln_mass_below_top(&self) -> f64 {
        let top = self.values.len() - 1;
        let lns: Vec<f64> = (0..top)
            .map(|m| self.ln_scale[m] + self.values[m].iter().sum::<f64>().ln())
            .collect();
        let max = lns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if max == f64::NEG_INFINITY {
            return max;
        }
        max + lns.iter().map(|l| (l - max).exp()).sum::<f64>().ln()
    }

    /// `E[n_k]`, `k = 0..=N`, over the whole chain (queue included).
    fn mean_agents_by_level(&self, levels: &Levels, ln_top: f64, region: &WaitRegion) -> Vec<f64> {
        let top = self.values.len() - 1;
        let n = levels.states[0][0].len() - 1;
        let agents: u32 = levels.states[0][0].iter().sum();
        let mut mean = vec![0.0; n + 1];
        let ln_full0 = region.ln_p_full0();
        for m in 0..top {
            let factor = (self.ln_scale[m] - ln_top + ln_full0).exp();
            for (h, &v) in levels.states[m].iter().zip(&self.values[m]) {
                for (k, &x) in h.iter().enumerate() {
                    mean[k] += factor * v * f64::from(x);
                }
            }
        }
        mean[n] += region.p_wait() * f64::from(agents);
        mean
    }
}

#[cfg(test)]
mod tests;
