//! The discrete-event kernel: integer simulated time, a `(time, seq)`-ordered
//! event queue with cancellable timers, and named random-number streams.
//!
//! The kernel knows nothing about chats or agents; the engine
//! (the `engine` module) defines the event type and drives the loop. The kernel
//! never reads the wall clock and never uses a thread-local RNG.

mod queue;
mod rng;

pub(crate) use queue::{EventQueue, TimerId};
pub use rng::{Stream, StreamRng, stream_rng};
