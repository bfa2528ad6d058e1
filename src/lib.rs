//! kefusim: a discrete-event load simulator for e-commerce customer-service
//! chat (客服): buyers arrive, routing (分流) assigns them to agents on shifts,
//! and the tool measures first response, the golden 2-minute rule,
//! abandonment, occupancy and load balance.
//!
//! The crate is five layers; each uses only its own and lower ones
//! (enforced by `tests/it/tidy.rs`):
//!
//! ```text
//! app       app, cli                          the commands, exit codes
//! report    report                            the only code that writes files
//! tools     replicate, shard, plan, sweep,    many replications, shards and their
//!           regress                           merge, planning, grids, gates
//! simulation engine, routing, agents, metrics, trace, kernel, conversation
//! model     scenario, catalog, time, dist, stats, analytic, arrivals, shifts
//! ```
//!
//! One replication is an [`engine::Engine`]: a single-threaded event loop
//! that can be stepped (`next_time`, `step`, `step_until`, `inject`,
//! `finish`) and whose routing service is a [`routing::Dispatcher`] — the
//! built-in [`routing::Router`], or anything that answers notices with
//! commands. Every metric is defined once, in [`catalog`].
//!
//! ```
//! use kefusim::scenario::Scenario;
//! let toml = r#"
//! [run]
//! start = "2026-11-11T00:00:00+08:00"
//! duration = "2h"
//! [arrivals]
//! rate_per_hour = 60
//! [service]
//! duration = { dist = "exponential", mean = "5m" }
//! [[agents]]
//! count = 3
//! max_concurrent = 3
//! "#;
//! let scenario = Scenario::from_toml(toml, "example.toml", "example").unwrap();
//! let summary = kefusim::replicate::run(&scenario, Some(1)).unwrap();
//! let golden = summary.metric("answered_within_120s_over_offered").unwrap();
//! assert!(golden.mean > 0.9);
//! ```
#![warn(missing_docs)]

pub mod agents;
pub mod analytic;
pub mod app;
pub mod arrivals;
pub mod catalog;
pub mod cli;
pub(crate) mod conversation;
pub mod dist;
pub mod engine;
pub mod kernel;
pub mod live;
pub mod metrics;
pub mod plan;
pub mod regress;
pub mod remote;
pub mod replicate;
pub mod report;
pub mod routing;
pub mod scenario;
pub mod serve;
pub mod shard;
pub mod shifts;
pub mod stats;
pub mod sweep;
pub mod time;
pub mod trace;
