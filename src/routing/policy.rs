//! Selection policies: pick one eligible agent of a group.

use rand::RngExt;

use crate::agents::{Agent, AgentId, AgentPool};
use crate::kernel::StreamRng;
use crate::time::SimTime;

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
        Self::ALL.iter().find(|(p, _)| *p == self).map_or("?", |(_, n)| n)
    }

    /// Parses a scenario name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(p, _)| *p)
    }

    /// The names, for error messages.
    pub fn names() -> String {
        Self::ALL.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
    }
}

/// Picks by the smallest key among eligible members (ties: earlier member = lower id).
#[inline]
fn min_by_key<K: PartialOrd>(members: &[AgentId], agents: &AgentPool, key: impl Fn(&Agent) -> K) -> Option<AgentId> {
    let mut best: Option<(K, AgentId)> = None;
    for &id in members {
        let a = &agents.agents[id as usize];
        if !a.accepts_new() {
            continue;
        }
        let k = key(a);
        if best.as_ref().is_none_or(|(bk, _)| k < *bk) {
            best = Some((k, id));
        }
    }
    best.map(|(_, id)| id)
}

pub(super) fn select(
    policy: PolicyKind,
    members: &[AgentId],
    cursor: &mut usize,
    credits: &mut [f64],
    agents: &AgentPool,
    rng: &mut StreamRng,
    _now: SimTime,
) -> Option<AgentId> {
    match policy {
        PolicyKind::LeastActive => {
            // `None < Some(_)`: never assigned counts as longest ago.
            min_by_key(members, agents, |a| (a.open, a.last_assigned_at))
        }
        PolicyKind::LongestIdle => min_by_key(members, agents, |a| {
            if a.open == 0 { (0, a.idle_since) } else { (1, a.last_activity) }
        }),
        PolicyKind::RoundRobin => {
            let n = members.len();
            let start = if *cursor == usize::MAX { 0 } else { *cursor + 1 };
            let pos = (0..n).map(|k| (start + k) % n).find(|&p| agents.agents[members[p] as usize].accepts_new())?;
            *cursor = pos;
            Some(members[pos])
        }
        PolicyKind::Weighted => {
            let mut total = 0.0;
            let mut best: Option<usize> = None;
            for (p, &id) in members.iter().enumerate() {
                let a = &agents.agents[id as usize];
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
            let eligible = members.iter().filter(|&&id| agents.agents[id as usize].accepts_new()).count();
            if eligible == 0 {
                return None;
            }
            let k = rng.random_range(0..eligible);
            members.iter().copied().filter(|&id| agents.agents[id as usize].accepts_new()).nth(k)
        }
    }
}
