//! Routing (分流) as a service: everything that decides where a chat goes,
//! or when a waiting chat is taken, behind one interface, [`Dispatcher`].
//!
//! The engine tells the dispatcher what happened ([`Notice`]: a chat
//! arrived or must be routed again, a buyer left, an offer failed, a slot
//! freed, an agent came on shift or changed state, a timer it asked for is
//! due, a transfer is due) and applies the [`Command`]s it returns (assign,
//! offer, wait in a queue and class, leave an offline message, overflow,
//! transfer, leave unassigned, wake me at T). Both are plain data: no
//! references into engine memory, so the same exchange can be carried over
//! HTTP. Agent state and load reach the dispatcher as the pool's change
//! list ([`Ctx::changes`]): an in-process dispatcher reads it by reference
//! for speed; a remote one would receive each change as data.
//!
//! The exchange for one notice: the engine calls [`Dispatcher::on`], then
//! applies the commands in order. If `on` returned `true`, the engine calls
//! it again with [`Notice::Continue`] once they are applied (the built-in
//! router drains a queue one chat at a time this way, so that every choice
//! sees the agents as the previous assignment left them). Applying a
//! command may produce notices of its own (an agent suspends itself at
//! `suspend_at_open`); they are delivered at once, in order.
//!
//! A dispatcher of your own (the same example as the README's):
//!
//! ```
//! use kefusim::engine::Engine;
//! use kefusim::routing::{Command, Commands, Ctx, Dispatcher, Notice, Reason};
//! use kefusim::scenario::Scenario;
//!
//! /// Every new chat to agent 0.
//! struct FirstAgent;
//!
//! impl Dispatcher for FirstAgent {
//!     fn on(&mut self, notice: Notice, _: &mut Ctx<'_>, out: &mut Commands<'_>) -> bool {
//!         if let Notice::Arrived(chat) = notice {
//!             out.push(Command::Assign { chat: chat.chat, agent: 0, reason: Reason::Direct });
//!         }
//!         false // nothing more to do at this instant
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sc = Scenario::load("scenarios/quickstart.toml".as_ref())?;
//! let mut sim = Engine::with_dispatcher(&sc, 0, FirstAgent);
//! while let Some(t) = sim.next_time() {
//!     sim.step_until(t + 60_000); // a minute of simulated time at a time
//! }
//! // Agent 0 cannot take every chat: assignments that break the shop's
//! // rules (off shift, at its cap) are refused and those chats wait.
//! assert!(sim.stats().refused > 0);
//! let result = sim.finish(); // the replication's metrics, as `run` computes them
//! assert!(result.agents[0].assigned() > 0.0);
//! # Ok(())
//! # }
//! ```
//!
//! [`Router`] is the built-in implementation: the decision order of
//! DOMAIN.md §4 ([`Router`]'s module docs), the waiting queue, overflow,
//! the fairness limiter, transfers' targets and the offer variants.
//!
//! Invariant: every choice of the built-in router is deterministic given
//! the notices, the agents' states and the routing random stream; ties
//! always fall back to the lower agent id.

mod builtin;
mod index;
mod policy;
mod queue;
mod select;
mod small;
#[cfg(test)]
mod tests;

pub use builtin::Router;
pub use policy::PolicyKind;
pub use queue::Class;
pub(crate) use select::spread_applies;

use crate::agents::{AgentId, AgentPool, AgentStatus, Presence};
use crate::time::SimTime;

/// A chat as routing refers to it: its slot in the engine (reused once the
/// chat is over) and its arrival number (unique within a replication).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct ChatRef {
    /// Slot (small, reused).
    pub slot: u32,
    /// Arrival number, from 0.
    pub id: u64,
}

/// Who the buyer of a new chat is, for routing.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "kind", content = "agent", rename_all = "snake_case")]
pub enum BuyerKind {
    /// A new contact: routed by group and policy.
    New,
    /// Returning to the agent who served them recently.
    Returning(AgentId),
    /// Addressing this agent directly.
    Direct(AgentId),
    /// A private contact of the main account.
    Private,
}

/// What routing is told about a chat that needs an agent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct ChatInfo {
    /// The chat.
    pub chat: ChatRef,
    /// Arrival (转人工) time.
    pub arrived_at: SimTime,
    /// Group of its entry point (the group it is counted in).
    pub group: usize,
    /// Queue to route it in: its group on arrival; for a chat routed again,
    /// the queue it was last served from (a group, or [`Router`]'s main-account queue).
    pub queue: usize,
    /// Who the buyer is.
    pub kind: BuyerKind,
    /// VIP tier (1 = highest; 0 = not VIP).
    pub tier: u8,
    /// It is an offline message (a chat routed again may be one).
    pub offline: bool,
}

/// Why a chat went where it did.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "kind", content = "policy", rename_all = "snake_case")]
pub enum Reason {
    /// A private contact, to the main account.
    Private,
    /// The buyer addressed this agent.
    Direct,
    /// The buyer's recent agent (sticky).
    Sticky,
    /// Selected by the group's policy.
    Policy(PolicyKind),
    /// Nobody of the group online: the main account (Taobao).
    MainFallback,
    /// Nobody online and sub-accounts suspended: spread evenly over suspended accounts (Taobao).
    SuspendedSpread,
}

impl Reason {
    /// Name used in traces.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Private => "private_contact",
            Reason::Direct => "direct",
            Reason::Sticky => "sticky",
            Reason::Policy(p) => p.name(),
            Reason::MainFallback => "main_account_fallback",
            Reason::SuspendedSpread => "suspended_spread",
        }
    }

    /// Whether the decision came from push routing (policy, sticky,
    /// fallbacks), which the offer variants turn into offers; private and
    /// directly addressed buyers reach their agent without one.
    pub fn is_routed(self) -> bool {
        !matches!(self, Reason::Private | Reason::Direct)
    }
}

/// Why a chat became an offline message.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OfflineCause {
    /// Nobody of its group was online (Feige).
    NobodyOnline = 0,
    /// The queue was at `max_queue`.
    QueueFull = 1,
    /// The buyer left the queue (Feige keeps the chat as an offline message).
    Abandoned = 2,
    /// A private contact while the main account was offline.
    MainOffline = 3,
}

/// How an offer (offer variants) ended.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OfferOutcome {
    /// The agent accepted in time.
    Accepted,
    /// The agent declined in time.
    Declined,
    /// The agent did not answer before the offer lapsed.
    TimedOut,
}

impl OfferOutcome {
    /// Every outcome, in counting order.
    pub const ALL: [OfferOutcome; 3] = [Self::Accepted, Self::Declined, Self::TimedOut];

    /// Name used in metrics (`offers_<name>`).
    pub fn name(self) -> &'static str {
        match self {
            OfferOutcome::Accepted => "accepted",
            OfferOutcome::Declined => "declined",
            OfferOutcome::TimedOut => "timed_out",
        }
    }
}

/// What the engine tells the dispatcher, at the current simulated instant.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Notice {
    /// A new chat needs an agent. Expected: one of assign, offer, wait,
    /// offline message or unassigned for it (a chat left unplaced waits
    /// with its patience running until a later command places it).
    Arrived(ChatInfo),
    /// A chat in service lost its agent (the agent's shift ended with
    /// `shift_end = "reroute"`): route it again; the buyer is
    /// mid-conversation and does not abandon.
    Rerouted(ChatInfo),
    /// The buyer of a waiting chat left (its patience ran out);
    /// `offered_to`: the agent it was being offered to, whose reserved
    /// slot is released. Unless the dispatcher makes it an offline message
    /// now, the chat is gone.
    Abandoned {
        /// The chat.
        chat: ChatRef,
        /// The agent it was offered to, if any.
        offered_to: Option<AgentId>,
    },
    /// An offer ended without the chat starting: the agent declined, let
    /// it lapse, or accepted when it could no longer take the chat (off
    /// shift or on a break). The chat waits again in its queue and class.
    OfferFailed {
        /// The chat.
        chat: ChatRef,
        /// The agent.
        agent: AgentId,
        /// The agent's answer.
        outcome: OfferOutcome,
    },
    /// The agent accepted an offer and now holds the chat.
    OfferAccepted {
        /// The chat.
        chat: ChatRef,
        /// The agent.
        agent: AgentId,
    },
    /// A slot of the agent freed (a chat ended or was transferred away),
    /// after the engine settled the agent's state. Sent while chats wait
    /// (in a queue, or as offline messages): a cue to drain.
    SlotFreed {
        /// The agent.
        agent: AgentId,
    },
    /// The agent is back from a break or a random state change. Sent
    /// while chats wait, like [`Notice::SlotFreed`].
    Returned {
        /// The agent.
        agent: AgentId,
    },
    /// The agent came on shift (a batch of agents may come at one instant).
    OnShift {
        /// The agent.
        agent: AgentId,
    },
    /// The agent's cap (接待人数) was changed by the scenario's
    /// `[[schedule]]`; open chats are kept. A raised cap is a cue to drain.
    CapChanged {
        /// The agent.
        agent: AgentId,
        /// The cap before.
        from: u32,
        /// The cap now.
        to: u32,
    },
    /// The agent serves `group` from now on (the scenario's `[[schedule]]`
    /// changed its groups): a cue to drain that group's queue for it.
    GroupJoined {
        /// The agent.
        agent: AgentId,
        /// The group.
        group: usize,
    },
    /// The agent no longer serves `group` (the scenario's `[[schedule]]`);
    /// it keeps the chats it holds.
    GroupLeft {
        /// The agent.
        agent: AgentId,
        /// The group.
        group: usize,
    },
    /// The agent's presence was set (possibly to the same value).
    Presence {
        /// The agent.
        agent: AgentId,
        /// Before.
        from: Presence,
        /// After.
        to: Presence,
    },
    /// A chat in service is due to move to an agent of `group` (转接).
    TransferDue {
        /// The chat.
        chat: ChatRef,
        /// Its agent now.
        from: AgentId,
        /// The target group.
        group: usize,
    },
    /// A timer asked for with [`Command::ChatTimer`] is due (the chat still waits).
    ChatTimer {
        /// The chat.
        chat: ChatRef,
    },
    /// A timer asked for with [`Command::Wake`] is due.
    Wake {
        /// The tag given with the request.
        tag: u32,
    },
    /// The commands of the previous answer were applied; go on.
    Continue,
}

/// What the dispatcher asks the engine to do, at the current instant.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// Give the chat to the agent now (the first human reply follows).
    Assign {
        /// The chat.
        chat: ChatRef,
        /// The agent.
        agent: AgentId,
        /// Why.
        reason: Reason,
    },
    /// Offer the chat to the agent (offer variants): one of the agent's
    /// slots is reserved until it answers; the chat waits meanwhile.
    Offer {
        /// The chat.
        chat: ChatRef,
        /// The agent.
        agent: AgentId,
        /// Why.
        reason: Reason,
    },
    /// The chat waits in `queue`, in `class` (its patience runs).
    Wait {
        /// The chat.
        chat: ChatRef,
        /// The queue (a group index, or the main account's queue).
        queue: usize,
        /// The class.
        class: Class,
    },
    /// The chat is left unassigned for good, in no queue (Chatwoot v1's
    /// known failure); its patience runs.
    Unassigned {
        /// The chat.
        chat: ChatRef,
    },
    /// The chat becomes an offline message (离线留言) in `queue`.
    OfflineMessage {
        /// The chat.
        chat: ChatRef,
        /// The queue.
        queue: usize,
        /// Why.
        cause: OfflineCause,
    },
    /// The waiting chat moves to group `to`'s queue (overflow).
    Overflow {
        /// The chat.
        chat: ChatRef,
        /// The group.
        to: usize,
    },
    /// The chat in service moves, with its history, to agent `to` of
    /// `group`; `to = None`: nobody can take it and it stays.
    Transfer {
        /// The chat.
        chat: ChatRef,
        /// The target agent.
        to: Option<AgentId>,
        /// The target group.
        group: usize,
    },
    /// Send [`Notice::ChatTimer`] about this waiting chat at `at`; replaces
    /// the chat's previous timer; void once the chat stops waiting.
    ChatTimer {
        /// The chat.
        chat: ChatRef,
        /// When.
        at: SimTime,
    },
    /// Send [`Notice::Wake`] with `tag` at `at` (not before now).
    Wake {
        /// When.
        at: SimTime,
        /// Returned with the notice.
        tag: u32,
    },
}

/// What a dispatcher sees of the engine while it handles a notice: the
/// time and the agents (read-only), with the list of agents changed since
/// it last looked.
pub struct Ctx<'a> {
    now: SimTime,
    agents: &'a mut AgentPool,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(now: SimTime, agents: &'a mut AgentPool) -> Self {
        Self { now, agents }
    }

    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Agent `id` as it is now.
    #[inline]
    pub fn agent(&self, id: AgentId) -> &AgentStatus {
        self.agents.get(id)
    }

    /// Every agent, by id.
    pub fn agents(&self) -> &[AgentStatus] {
        self.agents.all()
    }

    /// Calls `f` once for every agent whose status changed since the last
    /// call (any dispatcher's), with its status now.
    #[inline(always)]
    pub fn changes(&mut self, f: impl FnMut(AgentId, &AgentStatus)) {
        self.agents.drain_dirty(f);
    }
}

/// Where a dispatcher writes its answer: commands in the order they are to
/// be applied.
pub struct Commands<'a> {
    buf: &'a mut Vec<Command>,
}

impl<'a> Commands<'a> {
    pub(crate) fn new(buf: &'a mut Vec<Command>) -> Self {
        Self { buf }
    }

    /// Appends a command.
    #[inline]
    pub fn push(&mut self, command: Command) {
        self.buf.push(command);
    }
}

/// A routing service: told what happens, answers with commands.
pub trait Dispatcher {
    /// Whether the engine may apply this dispatcher's commands unchecked
    /// (the built-in router); others' commands are checked and refused
    /// when they cannot apply.
    const TRUSTED: bool = false;

    /// Handles `notice` at `ctx.now()`, appending commands to `out`.
    /// Returns `true` to be called again with [`Notice::Continue`] after
    /// the commands are applied.
    fn on(&mut self, notice: Notice, ctx: &mut Ctx<'_>, out: &mut Commands<'_>) -> bool;
}
