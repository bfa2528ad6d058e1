//! kefusim against a bare event loop, as a ratio measured in the same run.
//!
//! The reference is the smallest program that simulates M/M/c+M: a
//! binary heap of `(time, seq)` events (arrival, service end, patience
//! end), a FIFO queue, a free-server count, ChaCha8 random numbers and
//! integer milliseconds — what any discrete-event simulator has to do at
//! least. kefusim runs the same model (`scenarios/bench/mm100.toml`
//! scaled: λ = 0.9·c per minute, exponential 1-minute service,
//! exponential 5-minute patience, c agents taking one chat each) through
//! its full engine.
//!
//! Absolute speed on a shared machine is noise; the ratio of two loops
//! measured in interleaved rounds on the same core is not. Each round runs
//! the bare loop and kefusim once per size; the minimum time of each over
//! the rounds is reported (the least disturbed run).
//!
//!   cargo bench --bench ratio               # 100, 1,000 and 10,000 agents
//!   KEFUSIM_RATIO_ROUNDS=20 cargo bench --bench ratio
//!   KEFUSIM_RATIO_AGENTS=100 cargo bench --bench ratio

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, Instant};

use kefusim::engine::run_replication;
use kefusim::scenario::Scenario;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, Exp};

/// Arrivals simulated per run (after the warm-up).
const ARRIVALS: f64 = 400_000.0;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Arrival,
    Departure,
    Patience(u32),
}

/// The bare M/M/c+M loop: returns (arrivals, answered, abandoned).
fn bare(c: u32, lambda_per_min: f64, horizon_ms: u64, seed: u64) -> (u64, u64, u64) {
    let mut arrivals_rng = ChaCha8Rng::seed_from_u64(seed);
    let mut service_rng = ChaCha8Rng::seed_from_u64(seed + 1);
    let mut patience_rng = ChaCha8Rng::seed_from_u64(seed + 2);
    let gap = Exp::new(lambda_per_min / 60_000.0).expect("a rate");
    let service = Exp::new(1.0 / 60_000.0).expect("a rate");
    let patience = Exp::new(1.0 / 300_000.0).expect("a rate");
    let mut heap: BinaryHeap<Reverse<(u64, u64, Kind)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, t: u64, k: Kind| {
        seq += 1;
        heap.push(Reverse((t, seq, k)));
    };
    // Waiting buyers by id; `waiting[id]` is false once served or gone.
    let mut queue: VecDeque<u32> = VecDeque::new();
    let mut waiting: Vec<bool> = Vec::new();
    let (mut free, mut arrivals, mut answered, mut abandoned) = (c, 0u64, 0u64, 0u64);
    push(
        &mut heap,
        gap.sample(&mut arrivals_rng) as u64,
        Kind::Arrival,
    );
    while let Some(Reverse((t, _, kind))) = heap.pop() {
        match kind {
            Kind::Arrival => {
                if t >= horizon_ms {
                    continue;
                }
                arrivals += 1;
                let next = t + gap.sample(&mut arrivals_rng) as u64;
                push(&mut heap, next, Kind::Arrival);
                if free > 0 {
                    free -= 1;
                    answered += 1;
                    let end = t + service.sample(&mut service_rng) as u64;
                    push(&mut heap, end, Kind::Departure);
                } else {
                    let id = waiting.len() as u32;
                    waiting.push(true);
                    queue.push_back(id);
                    let give_up = t + patience.sample(&mut patience_rng) as u64;
                    push(&mut heap, give_up, Kind::Patience(id));
                }
            }
            Kind::Departure => {
                // The longest-waiting buyer still there, if any.
                let mut next = None;
                while let Some(id) = queue.pop_front() {
                    if waiting[id as usize] {
                        next = Some(id);
                        break;
                    }
                }
                match next {
                    Some(id) => {
                        waiting[id as usize] = false;
                        answered += 1;
                        let end = t + service.sample(&mut service_rng) as u64;
                        push(&mut heap, end, Kind::Departure);
                    }
                    None => free += 1,
                }
            }
            Kind::Patience(id) => {
                if waiting[id as usize] {
                    waiting[id as usize] = false;
                    abandoned += 1;
                }
            }
        }
    }
    (arrivals, answered, abandoned)
}

/// The same model as a kefusim scenario.
fn scenario(c: u32) -> (Scenario, f64, u64) {
    let lambda_per_min = 0.9 * f64::from(c);
    let minutes = (ARRIVALS / lambda_per_min).ceil() as u64 + 10;
    let text = format!(
        "[run]\nname = \"ratio-{c}\"\nstart = \"2026-11-11T00:00:00+08:00\"\n\
         duration = \"{minutes}m\"\nwarmup = \"10m\"\nreplications = 1\nseed = 1\n\
         [arrivals]\nrate_per_hour = {}\n\
         [buyers]\npatience = {{ dist = \"exponential\", mean = \"5m\" }}\n\
         [service]\nduration = {{ dist = \"exponential\", mean = \"1m\" }}\n\
         [[agents]]\nname = \"agent\"\ncount = {c}\nmax_concurrent = 1\n",
        lambda_per_min * 60.0
    );
    let sc = Scenario::from_toml(&text, "ratio.toml", "ratio").expect("a valid scenario");
    (sc, lambda_per_min, minutes * 60_000)
}

/// The processor this runs on, as Linux reports it (model name, family,
/// model, stepping, cache size; "unknown" elsewhere): the ratio depends on
/// the machine, so a recorded figure says which one it came from.
fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    match field("model name") {
        Some(model) => format!(
            "{model} (family {}, model {}, stepping {}; cache {})",
            field("cpu family").unwrap_or_default(),
            field("model").unwrap_or_default(),
            field("stepping").unwrap_or_default(),
            field("cache size").unwrap_or_default()
        ),
        None => "unknown".to_string(),
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // that asks for a measurement: run one small round then.
    let measuring = std::env::args().any(|a| a == "--bench");
    let rounds: usize = std::env::var("KEFUSIM_RATIO_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if measuring { 12 } else { 1 });
    let sizes: Vec<u32> = std::env::var("KEFUSIM_RATIO_AGENTS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| {
            if measuring {
                vec![100, 1_000, 10_000]
            } else {
                vec![100]
            }
        });
    let cases: Vec<_> = sizes.iter().map(|&c| (c, scenario(c))).collect();
    let mut best = vec![(Duration::MAX, Duration::MAX, 0u64, 0u64); cases.len()];
    for round in 0..rounds {
        for (k, (c, (sc, lambda, horizon))) in cases.iter().enumerate() {
            let (t_bare, (n_bare, _, _)) = timed(|| bare(*c, *lambda, *horizon, round as u64));
            let (t_sim, (_, stats)) = timed(|| run_replication(sc, round as u32));
            let b = &mut best[k];
            b.0 = b.0.min(t_bare);
            b.1 = b.1.min(t_sim);
            b.2 = n_bare;
            b.3 = stats.arrivals;
        }
    }
    println!(
        "kefusim against a bare binary-heap M/M/c+M loop (λ = 0.9·c/min, service 1 min, patience 5 min), \
         minimum of {rounds} interleaved round(s)"
    );
    println!("machine: {}", machine());
    println!(
        "{:>8}  {:>16}  {:>16}  {:>7}",
        "agents", "bare arrivals/s", "kefusim arr/s", "ratio"
    );
    for ((c, _), (t_bare, t_sim, n_bare, n_sim)) in cases.iter().zip(&best) {
        let bare_rate = *n_bare as f64 / t_bare.as_secs_f64();
        let sim_rate = *n_sim as f64 / t_sim.as_secs_f64();
        println!(
            "{c:>8}  {:>14.2} M  {:>14.2} M  {:>7.3}",
            bare_rate / 1e6,
            sim_rate / 1e6,
            sim_rate / bare_rate
        );
    }
}
