//! Quality gates on results: `[thresholds]` in a scenario (judged after a
//! run) and comparing a run with a baseline (`kefusim compare`,
//! `run --baseline`).

pub mod compare;

pub use crate::catalog::{Op, Threshold, parse_threshold};
pub use crate::replicate::{Verdict, judge};
