//! Exact steady-state queueing formulas (ground truth for the simulator and
//! the basis of capacity planning).
//!
//! This module owns the shared result type [`QueueFigures`]; the formulas
//! live in the submodules:
//!
//! * [`erlang`]: Erlang B, Erlang C (M/M/c) and Erlang A (M/M/c+M);
//! * [`chat_ctmc`]: the exact continuous-time Markov chain of chat agents
//!   holding up to `N` concurrent chats with concurrency-dependent slowdown.
//!
//! Time is in seconds (`_s`), rates are per second (`_per_s`). Every figure
//! follows the conventions of `shared/validation/erlang_reference.json`.

pub mod chat_ctmc;
pub mod erlang;

/// Steady-state figures of a queue, every one defined as in
/// `erlang_reference.json` "conventions".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueFigures {
    /// Probability that an arriving contact is not answered immediately
    /// (all agents or chat slots busy at arrival; PASTA).
    pub p_wait: f64,
    /// Probability that an arriving contact abandons before being answered.
    pub p_abandon: f64,
    /// `E[min(offered wait, patience)]` over all arrivals, i.e. `Lq / λ`.
    pub mean_wait_all_s: f64,
    /// Mean queue wait of answered contacts only (the usual WFM ASA;
    /// contacts answered immediately count with wait 0).
    pub asa_answered_s: f64,
    /// Time-average number of contacts waiting in the queue (`Lq`).
    pub mean_queue_length: f64,
    /// Carried load per server or slot: `λ(1 − P(Ab)) / (c μ)` for the Erlang
    /// models, mean open chats per agent / `max_concurrent` for the chat CTMC.
    pub occupancy: f64,
}
