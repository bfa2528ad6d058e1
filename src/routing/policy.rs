//! Selection policies: pick one eligible agent of a group.

use rand::RngExt;

use super::index::INELIGIBLE;
use crate::agents::{Agent, AgentId, AgentPool};
use crate::kernel::StreamRng;

/// A group's selection policy (closed set; chosen in the scenario).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Fewest open chats; tie → longest since last assignment; tie → lower id.
    LeastActive,
    /// Smooth weighted round robin: each eligible agent's share of new chats
    /// is proportional to its weight; tie → lower id.
    Weighted,
    /// Next eligible agent after the last one chosen, in id order.
    RoundRobin,
    /// Agents with no open chat first, longest idle first; else least recent
    /// activity (assignment or chat end); tie → lower id.
    LongestIdle,
    /// Uniformly random among eligible agents (routing random stream).
    Random,
}

impl PolicyKind {
    /// Every policy with its scenario name.
    pub const ALL: [(PolicyKind, &'static str); 5] = [
        (Self::LeastActive, "least_active"),
        (Self::Weighted, "weighted"),
        (Self::RoundRobin, "round_robin"),
        (Self::LongestIdle, "longest_idle"),
        (Self::Random, "random"),
    ];

    /// The scenario name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(p, _)| *p == self)
            .map_or("?", |(_, n)| n)
    }

    /// Parses a scenario name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(p, _)| *p)
    }

    /// The names, for error messages.
    pub fn names() -> String {
        Self::ALL
            .iter()
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether the policy orders agents by a [`key`] kept in the router's index.
pub(super) fn is_keyed(policy: PolicyKind) -> bool {
    matches!(policy, PolicyKind::LeastActive | PolicyKind::LongestIdle)
}

/// The ordering key of a keyed policy: the eligible agent with the smallest
/// key is chosen, ties to the lower id; [`INELIGIBLE`] if it cannot take a chat.
#[inline]
pub(super) fn key(policy: PolicyKind, a: &Agent) -> u64 {
    if !a.accepts_new() {
        return INELIGIBLE;
    }
    // Times are < 2^56 ms (over 2 million years); open chats ≤ 50 < 2^6.
    const TIME: u64 = (1 << 56) - 1;
    match policy {
        // Fewest open chats, then longest since the last assignment (never = longest ago).
        PolicyKind::LeastActive => {
            (u64::from(a.open) << 56) | a.last_assigned_at.map_or(0, |t| (t + 1).min(TIME))
        }
        // Idle agents first, longest idle first; then busy ones by least recent activity.
        PolicyKind::LongestIdle if a.open == 0 => a.idle_since.min(TIME),
        PolicyKind::LongestIdle => (1 << 62) | a.last_activity.min(TIME),
        _ => INELIGIBLE,
    }
}

/// Selection for the policies without a key (keyed ones are served by the
/// router's index; see [`scan_keyed`] for their definition as a scan).
pub(super) fn select_unkeyed(
    policy: PolicyKind,
    members: &[AgentId],
    cursor: &mut usize,
    credits: &mut [f64],
    agents: &AgentPool,
    rng: &mut StreamRng,
) -> Option<AgentId> {
    match policy {
        // Never reached: keyed groups always have an index. A scan is still the right answer.
        PolicyKind::LeastActive | PolicyKind::LongestIdle => scan_keyed(policy, members, agents),
        PolicyKind::RoundRobin => {
            let n = members.len();
            let start = if *cursor == usize::MAX {
                0
            } else {
                *cursor + 1
            };
            let pos = (0..n)
                .map(|k| (start + k) % n)
                .find(|&p| agents.get(members[p]).accepts_new())?;
            *cursor = pos;
            Some(members[pos])
        }
        PolicyKind::Weighted => {
            let mut total = 0.0;
            let mut best: Option<usize> = None;
            for (p, &id) in members.iter().enumerate() {
                let a = agents.get(id);
                if a.accepts_new() {
                    credits[p] += a.weight;
                    total += a.weight;
                    if best.is_none_or(|b| credits[p] > credits[b]) {
                        best = Some(p);
                    }
                }
            }
            let p = best?;
            credits[p] -= total;
            Some(members[p])
        }
        PolicyKind::Random => {
            let eligible = members
                .iter()
                .filter(|&&id| agents.get(id).accepts_new())
                .count();
            if eligible == 0 {
                return None;
            }
            let k = rng.random_range(0..eligible);
            members
                .iter()
                .copied()
                .filter(|&id| agents.get(id).accepts_new())
                .nth(k)
        }
    }
}

/// A keyed policy as a plain scan: the eligible member with the smallest key,
/// ties to the lower id. The router's index must always agree with it.
pub(super) fn scan_keyed(
    policy: PolicyKind,
    members: &[AgentId],
    agents: &AgentPool,
) -> Option<AgentId> {
    let best = members
        .iter()
        .copied()
        .min_by_key(|&id| (key(policy, agents.get(id)), id))?;
    (key(policy, agents.get(best)) != INELIGIBLE).then_some(best)
}
