//! The integration test binary: one module per area.

mod cli;
mod determinism;
mod engine;
mod errors;
mod routing;
mod scenarios;
mod support;
mod validation;
