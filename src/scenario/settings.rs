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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// When (simulated time).
    pub at: SimTime,
    /// What.
    pub what: ChangeKind,
}

/// What a [`Change`] sets.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Every agent of an `[[agents]]` entry serves exactly these groups
    /// from now on (open chats are kept; a group joined is drained at once).
    Groups {
        /// The entry.
        entry: usize,
        /// The groups, in the file's order (never empty).
        groups: Vec<usize>,
    },
    /// The group's policy from now on.
    Policy {
        /// The group.
        group: usize,
        /// The policy.
        policy: PolicyKind,
    },
}

impl ChangeKind {
    /// The `[[agents]]` entry the change applies to, for an entry's setting.
    pub fn entry(&self) -> Option<usize> {
        match *self {
            Self::Cap { entry, .. } | Self::Groups { entry, .. } => Some(entry),
            Self::NobodyOnline(_) | Self::Policy { .. } => None,
        }
    }

    /// The same change for another entry.
    pub fn for_entry(&self, entry: usize) -> Self {
        match self {
            Self::Cap { cap, .. } => Self::Cap { entry, cap: *cap },
            Self::Groups { groups, .. } => Self::Groups {
                entry,
                groups: groups.clone(),
            },
            other => other.clone(),
        }
    }
}

/// Who serves which group at the current instant, as `[[schedule]]`
/// group changes leave it (the scenario's `groups`/`members` are the
/// union over the run; this is the membership of the moment).
#[derive(Debug, Clone)]
pub struct Membership {
    /// Per agent, its groups now (its entry's order, then the schedule's).
    groups: Vec<Vec<usize>>,
    /// Per group, its agents now, in id order.
    members: Vec<Vec<usize>>,
}

impl Membership {
    /// The membership at the run's start.
    pub fn at_start(sc: &super::Scenario) -> Self {
        let groups: Vec<Vec<usize>> = sc.agents.iter().map(|a| a.start_groups.clone()).collect();
        let mut members = vec![Vec::new(); sc.groups.len()];
        for (i, gs) in groups.iter().enumerate() {
            for &g in gs {
                members[g].push(i);
            }
        }
        Self { groups, members }
    }

    /// The groups `agent` serves now.
    #[inline]
    pub fn groups_of(&self, agent: usize) -> &[usize] {
        &self.groups[agent]
    }

    /// The agents serving `group` now, in id order.
    #[inline]
    pub fn members(&self, group: usize) -> &[usize] {
        &self.members[group]
    }

    /// `agent` serves exactly `groups` from now on; returns the groups it
    /// left and the groups it joined.
    pub fn set(&mut self, agent: usize, groups: &[usize]) -> (Vec<usize>, Vec<usize>) {
        let old = std::mem::replace(&mut self.groups[agent], groups.to_vec());
        let left: Vec<usize> = old
            .iter()
            .copied()
            .filter(|g| !groups.contains(g))
            .collect();
        let joined: Vec<usize> = groups
            .iter()
            .copied()
            .filter(|g| !old.contains(g))
            .collect();
        for &g in &left {
            self.members[g].retain(|&i| i != agent);
        }
        for &g in &joined {
            let m = &mut self.members[g];
            let pos = m.partition_point(|&i| i < agent);
            m.insert(pos, agent);
        }
        (left, joined)
    }
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
