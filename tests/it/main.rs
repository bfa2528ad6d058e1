//! The integration test binary: one module per area.

mod browser;
mod cli;
mod corrupt;
mod determinism;
mod dialogue;
mod engine;
mod errors;
mod fuzz;
mod gate;
mod kill;
mod plan;
mod platform;
mod remote;
mod report;
mod scenarios;
mod schedule;
mod shards;
mod stepping;
mod support;
mod tidy;
mod validation;
mod weights;
