//! Routing (分流): which agent gets a new chat, and the shop-wide waiting queue.
//!
//! [`Router::route`] follows the decision order of DOMAIN.md §4. This first
//! cut implements steps 4–6: the chat's group comes from its entry point, the
//! group's [`PolicyKind`] selects among eligible agents, and when nobody is
//! eligible the chat waits in the [`WaitingQueue`] (VIP first, FIFO within a
//! class). The earlier steps (private contact, directly addressed, sticky)
//! and later ones (offline messages, overflow) slot in as further arms of
//! [`Decision`] and [`Reason`] without changing the callers.
//!
//! Invariant: every choice is deterministic given the state and the routing
//! random stream; ties always fall back to the lower agent id.

mod index;
mod policy;
mod queue;

pub use policy::PolicyKind;
pub use queue::{Waiting, WaitingQueue};

use crate::agents::{AgentId, AgentPool};
use crate::kernel::StreamRng;
use crate::scenario::Scenario;
use crate::time::SimTime;

/// What routing needs to know about a new chat.
#[derive(Debug, Clone, Copy)]
pub struct ChatRequest {
    /// Group from the entry point.
    pub group: usize,
    /// VIP buyers queue ahead of others.
    pub vip: bool,
}

/// Why a chat went where it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Selected by the group's policy.
    Policy(PolicyKind),
}

/// The outcome of routing a new chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Give it to this agent now.
    Assign {
        /// The agent.
        agent: AgentId,
        /// Why.
        reason: Reason,
    },
    /// Nobody eligible: wait in the queue.
    Queue,
}

struct GroupRouting {
    policy: PolicyKind,
    members: Vec<AgentId>,
    /// Members by the policy's key, for policies that order agents by a key.
    index: Option<index::MinTree>,
    /// Round-robin cursor: position in `members` of the last choice.
    cursor: usize,
    /// Smooth weighted round-robin credits, aligned with `members`.
    credits: Vec<f64>,
}

/// The routing engine of one replication.
pub struct Router {
    groups: Vec<GroupRouting>,
    /// For each agent: `(group, position in the group's members)` for the
    /// groups whose policy keeps an index.
    memberships: Vec<Vec<(usize, usize)>>,
    rng: StreamRng,
}

impl Router {
    /// A router for the scenario's groups, drawing random choices from `rng`.
    pub fn new(scenario: &Scenario, rng: StreamRng) -> Self {
        let groups = scenario
            .groups
            .iter()
            .map(|group| {
                let members: Vec<AgentId> = group.members.iter().map(|&i| i as AgentId).collect();
                let credits = vec![0.0; members.len()];
                let index =
                    policy::is_keyed(group.policy).then(|| index::MinTree::new(members.len()));
                GroupRouting {
                    policy: group.policy,
                    members,
                    index,
                    cursor: usize::MAX,
                    credits,
                }
            })
            .collect::<Vec<_>>();
        let mut memberships = vec![Vec::new(); scenario.agents.len()];
        for (g, group) in groups.iter().enumerate().filter(|(_, g)| g.index.is_some()) {
            for (pos, &id) in group.members.iter().enumerate() {
                memberships[id as usize].push((g, pos));
            }
        }
        Self {
            groups,
            memberships,
            rng,
        }
    }

    /// Re-keys the agents that changed since the last selection.
    #[inline]
    fn sync(&mut self, agents: &mut AgentPool) {
        let (groups, memberships) = (&mut self.groups, &self.memberships);
        agents.drain_dirty(|id, agent| {
            for &(g, pos) in &memberships[id as usize] {
                let group = &mut groups[g];
                if let Some(index) = &mut group.index {
                    index.set(pos, policy::key(group.policy, agent));
                }
            }
        });
    }

    /// Decides where a new chat goes.
    #[inline]
    pub fn route(&mut self, chat: &ChatRequest, agents: &mut AgentPool, now: SimTime) -> Decision {
        match self.select(chat.group, agents, now) {
            Some(agent) => Decision::Assign {
                agent,
                reason: Reason::Policy(self.groups[chat.group].policy),
            },
            None => Decision::Queue,
        }
    }

    /// Picks an eligible agent of `group` by the group's policy, if any.
    ///
    /// `now` is part of the contract for time-aware rules (stickiness
    /// recency, fairness windows); today's policies do not need it.
    #[inline]
    pub fn select(
        &mut self,
        group: usize,
        agents: &mut AgentPool,
        _now: SimTime,
    ) -> Option<AgentId> {
        self.sync(agents);
        let g = &mut self.groups[group];
        match &g.index {
            Some(index) => index.min().map(|pos| g.members[pos]),
            None => policy::select_unkeyed(
                g.policy,
                &g.members,
                &mut g.cursor,
                &mut g.credits,
                agents,
                &mut self.rng,
            ),
        }
    }

    /// Agents serving `group`, in id order.
    pub fn members(&self, group: usize) -> &[AgentId] {
        &self.groups[group].members
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::Presence;
    use crate::kernel::{Stream, stream_rng};
    use rand::RngExt;

    /// The keyed index, fed only through the pool's change tracking, picks
    /// exactly what a scan of the current state picks.
    #[test]
    fn index_matches_a_scan_under_random_changes() {
        for policy in ["least_active", "longest_idle"] {
            let sc = Scenario::from_toml(
                &format!(
                    "[run]\nstart = \"2026-11-11T00:00:00+08:00\"\nduration = \"1h\"\n[arrivals]\nrate_per_hour = 1\n\
                     [service]\nduration = {{ dist = \"constant\", value = \"1m\" }}\n[routing]\npolicy = \"{policy}\"\n\
                     [[agents]]\ncount = 9\nmax_concurrent = 3\n"
                ),
                "t.toml",
                "t",
            )
            .unwrap();
            let mut pool = AgentPool::new(&sc);
            let mut router = Router::new(&sc, stream_rng(1, 0, Stream::Routing));
            let mut rng = stream_rng(2, 0, Stream::Service);
            let mut conv = 0;
            for now in 0..3_000u64 {
                let id = rng.random_range(0..9u32);
                match rng.random_range(0..4) {
                    0 => {
                        pool.agent_mut(id).presence =
                            [Presence::Online, Presence::Break, Presence::Offline]
                                [rng.random_range(0..3)]
                    }
                    1 if pool.get(id).open < 3 => {
                        conv += 1;
                        pool.start_chat(id, conv, 1.0 + rng.random_range(0.0..100.0), now);
                    }
                    2 => {
                        pool.end_earliest(id, now);
                    }
                    _ => {}
                }
                let g = &router.groups[0];
                let (members, kind) = (g.members.clone(), g.policy);
                let scan = policy::scan_keyed(kind, &members, &pool);
                assert_eq!(
                    router.select(0, &mut pool, now),
                    scan,
                    "{policy} at step {now}"
                );
            }
        }
    }
}
