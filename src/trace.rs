//! The event log of one replication (`kefusim trace`): what happened to
//! each chat and agent, and why routing chose what it chose.
//!
//! The engine builds a [`TraceEvent`] only when a [`Tracer`] is attached and
//! its [`TraceFilter`] wants it; the report layer turns events into JSON Lines.

use crate::agents::{AgentId, Presence};
use crate::arrivals::EntryPoint;
use crate::routing::{BuyerKind, Class, OfferOutcome, OfflineCause, Reason};
use crate::time::SimTime;

/// Which events to keep.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceFilter {
    /// Only this conversation (arrival number, from 0).
    pub conversation: Option<u64>,
    /// Only events that concern this agent: chats routed to it, its
    /// chats' replies and ends, its state changes (and, with
    /// [`Candidates::All`], the routing decisions it was a candidate in).
    pub agent: Option<AgentId>,
    /// How much of the candidates a routing decision lists.
    pub candidates: Candidates,
}

/// How much of the candidates a routing line shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Candidates {
    /// None.
    None,
    /// How many were eligible, and how many were not by why (full, on a
    /// break, offline, …): a line of constant size at any shop size.
    #[default]
    Counts,
    /// The eligible agents, each with its open chats and cap, and the counts.
    Eligible,
    /// Every agent of the group, eligible or not.
    All,
}

impl Candidates {
    /// Every mode with its command-line name.
    pub const ALL: [(&'static str, Candidates); 4] = [
        ("none", Self::None),
        ("counts", Self::Counts),
        ("eligible", Self::Eligible),
        ("all", Self::All),
    ];
}

impl TraceFilter {
    /// Whether an event about conversation `conv` (if any) and `agents` is wanted.
    pub fn wants(&self, conv: Option<u64>, agents: &[AgentId]) -> bool {
        self.conversation.is_none_or(|c| conv == Some(c))
            && self.agent.is_none_or(|a| agents.contains(&a))
    }

    /// Whether a routing decision's candidates count as involved in it (an
    /// `--agent` trace shows the decisions its agent was merely a candidate
    /// in only when every candidate is listed).
    pub fn candidates_involved(&self) -> bool {
        self.candidates == Candidates::All
    }
}

/// An agent as routing saw it when deciding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// The agent.
    pub agent: AgentId,
    /// Its state.
    pub presence: Presence,
    /// Open chats.
    pub open: u32,
    /// Its cap.
    pub cap: u32,
    /// Whether the group's policy could choose it (online, routable, under cap).
    pub eligible: bool,
}

/// Where a routing decision sent a chat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// To this agent.
    Assigned {
        /// The agent.
        agent: AgentId,
        /// Why.
        reason: Reason,
    },
    /// Offered to an agent (offer variants), who answers later.
    Offered {
        /// The agent.
        agent: AgentId,
        /// Why this agent.
        reason: Reason,
    },
    /// Into a queue and class.
    Queued {
        /// Queue (group index; the main account's own queue is the last).
        queue: usize,
        /// Class.
        class: Class,
    },
    /// Became an offline message.
    Offline {
        /// Why.
        cause: OfflineCause,
    },
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceEvent {
    /// A buyer asked for a human (转人工).
    Arrival {
        /// When.
        t: SimTime,
        /// Conversation (arrival number).
        conv: u64,
        /// Entry point.
        entry: EntryPoint,
        /// Group.
        group: usize,
        /// VIP buyer.
        vip: bool,
        /// Who the buyer is.
        kind: BuyerKind,
        /// Whether it is counted in the results (arrived in the measured window).
        counted: bool,
    },
    /// A routing decision: on arrival, from a queue, or after a reroute.
    Route {
        /// When.
        t: SimTime,
        /// Conversation.
        conv: u64,
        /// Where it went.
        outcome: Outcome,
        /// The group's agents as routing saw them.
        candidates: Vec<Candidate>,
    },
    /// The first human reply (session model: assignment + first-reply delay).
    FirstReply {
        /// When the reply is sent.
        t: SimTime,
        /// Conversation.
        conv: u64,
        /// Agent.
        agent: AgentId,
        /// First response time, ms (from arrival).
        frt_ms: u64,
    },
    /// Dialogue model: a buyer message.
    Message {
        /// When.
        t: SimTime,
        /// Conversation.
        conv: u64,
    },
    /// Dialogue model: an agent's reply (answers every pending buyer message).
    Reply {
        /// When.
        t: SimTime,
        /// Conversation.
        conv: u64,
        /// Agent.
        agent: AgentId,
    },
    /// Offer variants: the agent's answer to an offer.
    OfferAnswer {
        /// When.
        t: SimTime,
        /// Conversation.
        conv: u64,
        /// Agent.
        agent: AgentId,
        /// The agent's answer.
        outcome: OfferOutcome,
    },
    /// The buyer left the queue.
    Abandon {
        /// When.
        t: SimTime,
        /// Conversation.
        conv: u64,
        /// Time waited, ms.
        waited_ms: u64,
    },
    /// A queued chat moved to another group.
    Overflow {
        /// When.
        t: SimTime,
        /// Conversation.
        conv: u64,
        /// From group.
        from: usize,
        /// To group.
        to: usize,
    },
    /// A chat ended and freed its slot.
    ChatEnd {
        /// When.
        t: SimTime,
        /// Conversation.
        conv: u64,
        /// Agent.
        agent: AgentId,
    },
    /// A chat moved (with its history) to another agent, or could not.
    Transfer {
        /// When.
        t: SimTime,
        /// Conversation.
        conv: u64,
        /// From.
        from: AgentId,
        /// To, or `None` if no agent of the target group could take it.
        to: Option<AgentId>,
        /// Target group.
        group: usize,
    },
    /// A chat was ended at its agent's shift end, to be routed again.
    Reroute {
        /// When.
        t: SimTime,
        /// Conversation.
        conv: u64,
        /// The agent going off shift.
        agent: AgentId,
    },
    /// A routing service's command was refused (it could not apply or
    /// broke a rule); the chat fell back to waiting in its queue.
    Refused {
        /// When.
        t: SimTime,
        /// Conversation, if the command named a live one.
        conv: Option<u64>,
        /// The agent the command named, if any.
        agent: Option<AgentId>,
        /// The command (`assign`, `offer`, …).
        command: &'static str,
        /// The rule it broke (`over_cap`, `agent_offline`, …).
        rule: &'static str,
    },
    /// An agent changed state.
    State {
        /// When.
        t: SimTime,
        /// Agent.
        agent: AgentId,
        /// Before.
        from: Presence,
        /// After.
        to: Presence,
    },
}

/// Receives the events of a traced run.
pub struct Tracer<'a> {
    /// Which events to keep.
    pub filter: TraceFilter,
    /// Events at or after this time are not produced (and the run stops).
    pub until: SimTime,
    /// Where they go.
    pub sink: Box<dyn FnMut(&TraceEvent) + 'a>,
}
