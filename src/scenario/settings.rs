//! Routing settings beyond the decision order's switches (the VIP channel,
//! overload transfers, the schedule of settings that change in a run) and
//! the names of `nobody_online`.

use super::{NobodyOnline, PolicyKind};
use crate::time::{Millis, SimTime};

/// `[routing] overload_transfer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overload {
    /// Open chats above which an agent is overloaded.
    pub above: u32,
    /// How long it may stay above before it hands a chat over (and between hand-overs).
    pub after: Millis,
}

/// VIP专属通道 (a VIP channel): buyers of the listed VIP tiers are routed
/// to `group` instead of their entry's group, and, after waiting
/// `overflow_after` in its queue, go on to their entry's group.
#[derive(Debug, Clone)]
pub struct VipChannel {
    /// The channel's group.
    pub group: usize,
    /// The tiers it takes (1 = highest), in tier order.
    pub tiers: Vec<u8>,
    /// How long a chat waits in the channel's queue before it overflows
    /// to its entry's group (`None`: it stays).
    pub overflow_after: Option<Millis>,
}

impl VipChannel {
    /// Whether a buyer of `tier` (0 = not VIP) takes the channel.
    #[inline]
    pub fn takes(&self, tier: u8) -> bool {
        tier > 0 && self.tiers.contains(&tier)
    }
}

/// A setting that changes at `at` (`[[schedule]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// When (simulated time).
    pub at: SimTime,
    /// What.
    pub what: ChangeKind,
}

/// What a [`Change`] sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Every agent of an `[[agents]]` entry gets this cap: a raised cap
    /// takes chats at once, a lowered one takes none until the agent is
    /// under it (open chats are kept).
    Cap {
        /// The entry.
        entry: usize,
        /// The new cap.
        cap: u32,
    },
    /// What happens to a chat when nobody of its group is online, from now on.
    NobodyOnline(NobodyOnline),
    /// The group's policy from now on.
    Policy {
        /// The group.
        group: usize,
        /// The policy.
        policy: PolicyKind,
    },
}

impl NobodyOnline {
    /// Every value with its scenario name (the default first).
    pub const ALL: [(&'static str, NobodyOnline); 3] = [
        ("queue", Self::Queue),
        ("offline_message", Self::OfflineMessage),
        ("main_account", Self::MainAccount),
    ];

    /// The scenario name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("?", |(n, _)| n)
    }

    /// Parses a scenario name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}
