//! Speed of the simulator: arrivals/s and events/s on one core.
//!
//! `cargo bench` prints criterion's throughput for
//! - `mm100/arrivals` and `mm100/events`: the M/M/100+M model of
//!   `scenarios/bench/mm100.toml` (λ = 90/min, service 1 min, patience 5 min),
//!   one replication of ≈200,000 arrivals per iteration;
//! - `quickstart/arrivals`: one replication of the shipped quickstart (full
//!   model: shifts, breaks, two groups, slowdown, VIP);
//! - `taobao_shop/…`: the dialogue model with the Taobao routing rules;
//! - `double11/…`: the Double-11 shop (hundreds of agents, a 15× spike);
//! - `double11_300_dialogue/…`: a one-day 300-agent Double-11 in the
//!   dialogue model (`scenarios/bench/double11-300-dialogue.toml`);
//! - `mm10k/arrivals`: M/M/10000+M (`scenarios/bench/mm10k.toml`);
//! - `remote/quickstart_1_session` and `remote/quickstart_2_sessions`: the
//!   quickstart routed by `kefusim serve` (started in this process, on
//!   loopback) over the routing protocol, one replication on one thread and
//!   two replications on two: routed chats per second, to compare with
//!   `quickstart/arrivals` (the built-in router in process).
//!
//! `cargo bench --bench ratio` prints kefusim's speed as a ratio to a bare
//! event loop measured in the same run (benches/ratio.rs).
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
    // The same day with 300 agents in the dialogue model (44 k arrivals).
    bench_scenario(
        c,
        "double11_300_dialogue",
        "scenarios/bench/double11-300-dialogue.toml",
        true,
    );
    // M/M/10000+M: shop scale, where memory layout decides the speed.
    bench_scenario(c, "mm10k", "scenarios/bench/mm10k.toml", false);
}

/// The quickstart routed by `kefusim serve` over loopback.
fn remote(c: &mut Criterion) {
    let sc = load("scenarios/quickstart.toml");
    let (tx, rx) = std::sync::mpsc::channel();
    let served = sc.clone();
    std::thread::spawn(move || {
        kefusim::serve::serve(
            served,
            kefusim::serve::ServeOptions::default(),
            "127.0.0.1:0".parse().expect("an address"),
            std::time::Duration::from_secs(3600),
            |addr| tx.send(addr).expect("the bench waits"),
        )
    });
    let addr = rx.recv().expect("serve starts");
    let (_, stats) = run_replication(&sc, 0);
    let mut group = c.benchmark_group("remote");
    group.sample_size(10);
    for (name, reps) in [("quickstart_1_session", 1u32), ("quickstart_2_sessions", 2)] {
        let mut remote = sc.clone().with_replications(reps);
        remote.router = Some(
            kefusim::scenario::ServiceSpec::parse(&format!("http://{addr}"), 10_000)
                .expect("a loopback URL"),
        );
        group.throughput(Throughput::Elements(stats.arrivals * u64::from(reps)));
        group.bench_function(name, |b| {
            b.iter(|| kefusim::replicate::run(&remote, Some(reps as usize)).expect("served"))
        });
    }
    group.finish();
}

criterion_group!(benches, simulator, remote);
criterion_main!(benches);
