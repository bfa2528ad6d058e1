//! Named, portable random-number streams derived from `(seed, replication, stream)`.
//!
//! Every source of randomness has its own [`Stream`]. A stream's generator is
//! ChaCha8 keyed by the scenario seed, with the 64-bit ChaCha stream number
//! `replication << 8 | stream`, so streams never overlap and adding a new
//! source of randomness never shifts the numbers another source sees. This
//! gives common random numbers when two scenarios differ only in routing or
//! staffing.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

/// The generator type used for every stream.
pub type StreamRng = ChaCha8Rng;

/// The sources of randomness; the discriminant is part of the stream key, so
/// never renumber an existing variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Stream {
    /// Inter-arrival times and thinning decisions.
    Arrivals = 1,
    /// Buyer attributes: entry point, VIP.
    Buyers = 2,
    /// Service (session) work.
    Service = 3,
    /// Patience.
    Patience = 4,
    /// First-reply delay after assignment.
    FirstReply = 5,
    /// Random choices inside routing policies.
    Routing = 6,
    /// Buyer population: private, directly addressing, returning; whom they address.
    Population = 7,
    /// Random state changes of agents (unplanned 小休, 忙碌, 挂起).
    States = 8,
    /// Dialogue model: messages per round, gaps, think and typing times, silent abandonment.
    Dialogue = 9,
    /// Which chats are transferred.
    Transfers = 10,
    /// Offer variants: agents' response times and accept decisions.
    Offers = 11,
}

/// The generator for one stream of one replication.
pub fn stream_rng(seed: u64, replication: u32, stream: Stream) -> StreamRng {
    let mut key = [0u8; 32];
    let mut state = seed;
    for chunk in key.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream((u64::from(replication) << 8) | stream as u64);
    rng
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a = stream_rng(42, 0, Stream::Arrivals).next_u64();
        assert_eq!(a, stream_rng(42, 0, Stream::Arrivals).next_u64());
        assert_ne!(a, stream_rng(42, 1, Stream::Arrivals).next_u64());
        assert_ne!(a, stream_rng(42, 0, Stream::Service).next_u64());
        assert_ne!(a, stream_rng(43, 0, Stream::Arrivals).next_u64());
    }

    /// Portability guard: the first number of a stream is fixed forever
    /// (changing it silently changes every published result).
    #[test]
    fn first_value_is_pinned() {
        let v = stream_rng(1, 0, Stream::Arrivals).next_u64();
        assert_eq!(v, PINNED, "stream derivation changed: {v:#x}");
    }
    const PINNED: u64 = 0x1637_17f8_c8a0_19cc;
}
