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
    /// Round-robin cursor: position in `members` of the last choice.
    cursor: usize,
    /// Smooth weighted round-robin credits, aligned with `members`.
    credits: Vec<f64>,
}

/// The routing engine of one replication.
pub struct Router {
    groups: Vec<GroupRouting>,
    rng: StreamRng,
}

impl Router {
    /// A router for the scenario's groups, drawing random choices from `rng`.
    pub fn new(scenario: &Scenario, rng: StreamRng) -> Self {
        let groups = scenario
            .groups
            .iter()
            .enumerate()
            .map(|(g, group)| {
                let members: Vec<AgentId> = scenario
                    .agents
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.groups.contains(&g))
                    .map(|(i, _)| i as AgentId)
                    .collect();
                let credits = vec![0.0; members.len()];
                GroupRouting { policy: group.policy, members, cursor: usize::MAX, credits }
            })
            .collect();
        Self { groups, rng }
    }

    /// Decides where a new chat goes.
    #[inline]
    pub fn route(&mut self, chat: &ChatRequest, agents: &AgentPool, now: SimTime) -> Decision {
        match self.select(chat.group, agents, now) {
            Some(agent) => Decision::Assign { agent, reason: Reason::Policy(self.groups[chat.group].policy) },
            None => Decision::Queue,
        }
    }

    /// Picks an eligible agent of `group` by the group's policy, if any.
    #[inline]
    pub fn select(&mut self, group: usize, agents: &AgentPool, now: SimTime) -> Option<AgentId> {
        let g = &mut self.groups[group];
        policy::select(g.policy, &g.members, &mut g.cursor, &mut g.credits, agents, &mut self.rng, now)
    }

    /// Agents serving `group`, in id order.
    pub fn members(&self, group: usize) -> &[AgentId] {
        &self.groups[group].members
    }
}
