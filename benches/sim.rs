//! Speed of the simulator: arrivals/s and events/s on one core.
//!
//! `cargo bench` prints criterion's throughput for
//! - `mm100/arrivals` and `mm100/events`: the M/M/100+M model of
//!   `scenarios/bench/mm100.toml` (λ = 90/min, service 1 min, patience 5 min),
//!   one replication of ≈200,000 arrivals per iteration;
//! - `quickstart/arrivals`: one replication of the shipped quickstart (full
//!   model: shifts, breaks, two groups, slowdown, VIP);
//! - `taobao_shop/…`: the dialogue model with the Taobao routing rules;
//! - `double11/…`: the Double-11 shop (hundreds of agents, a 15× spike).
//!
//! Benches measure; tests assert. No timing threshold lives in `cargo test`.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kefusim::engine::run_replication;
use kefusim::scenario::Scenario;

fn load(path: &str) -> Scenario {
    Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect("shipped scenario")
}

fn bench_scenario(c: &mut Criterion, name: &str, path: &str, with_events: bool) {
    let sc = load(path);
    let (_, stats) = run_replication(&sc, 0);
    let mut group = c.benchmark_group(name);
    group.sample_size(20);
    group.throughput(Throughput::Elements(stats.arrivals));
    group.bench_function("arrivals", |b| b.iter(|| run_replication(&sc, 0)));
    if with_events {
        group.throughput(Throughput::Elements(stats.events));
        group.bench_function("events", |b| b.iter(|| run_replication(&sc, 0)));
    }
    group.finish();
}

fn simulator(c: &mut Criterion) {
    bench_scenario(c, "mm100", "scenarios/bench/mm100.toml", true);
    bench_scenario(c, "quickstart", "scenarios/quickstart.toml", false);
    // The full routing engine with the dialogue model (offline messages,
    // private contacts, suspensions, transfers, overflow, fairness limiter).
    bench_scenario(c, "taobao_shop", "scenarios/taobao_shop.toml", true);
    // Double 11: hundreds of agents, a 15× midnight spike, temporary shifts.
    bench_scenario(c, "double11", "scenarios/double11.toml", true);
}

criterion_group!(benches, simulator);
criterion_main!(benches);
