//! Conversations (chats) in flight, in a slab whose slots are reused, so
//! memory follows the number of open chats rather than the run length.

use crate::agents::AgentId;
use crate::arrivals::EntryPoint;
use crate::kernel::TimerId;
use crate::routing::{BuyerKind, Class, Reason};
use crate::time::{Millis, SimTime};

/// Where a conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvState {
    /// Waiting for an agent, with its patience timer if the buyer is impatient.
    Queued {
        /// Abandonment timer.
        patience: Option<TimerId>,
        /// Overflow timer.
        overflow: Option<TimerId>,
        /// Class it waits in.
        class: Class,
    },
    /// Offered to an agent (offer variants): not in a queue, the buyer still waiting.
    Offered {
        /// The agent.
        agent: AgentId,
        /// Abandonment timer.
        patience: Option<TimerId>,
        /// When the agent's answer (or the timeout) comes.
        offer: TimerId,
        /// Class it waited in.
        class: Class,
        /// Why this agent.
        reason: Reason,
    },
    /// Held by an agent since `since`.
    InService {
        /// The agent.
        agent: AgentId,
        /// Assignment time.
        since: SimTime,
    },
    /// Finished or abandoned; the slot is free.
    Done,
}

/// One chat, from 转人工 (arrival) to its end.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// Arrival number: unique and increasing within a replication.
    pub token: u64,
    /// Arrival (转人工) time.
    pub arrived_at: SimTime,
    /// Entry point.
    pub entry: EntryPoint,
    /// Group the entry maps to (the group it is counted in).
    pub group: usize,
    /// Queue it is routed in: its group, the group it overflowed to, or the
    /// main account's own queue.
    pub queue: usize,
    /// Who the buyer is.
    pub kind: BuyerKind,
    /// It became an offline message (nobody online, queue full, abandoned on Feige, main offline).
    pub offline: bool,
    /// An agent has taken it at least once (its first response is recorded).
    pub served: bool,
    /// It is due to be transferred (drawn at its first assignment).
    pub transfer: bool,
    /// Timer of a time-based transfer.
    pub transfer_timer: Option<TimerId>,
    /// Offer variants: agents that declined it or let the offer time out (Omni-Channel never re-offers to them).
    pub excluded: Vec<AgentId>,
    /// Chatwoot v1 variant: left unassigned, in no queue.
    pub parked: bool,
    /// VIP tier (1 = highest; 0 = not VIP).
    pub tier: u8,
    /// Time-series interval of its arrival if it arrived inside the measured
    /// window (it is counted in the results), else `None`.
    pub interval: Option<u32>,
    /// Session model: work in ms at speed 1. Dialogue model: unused (0).
    pub work_ms: f64,
    /// Delay from assignment to the first human reply.
    pub first_reply_ms: Millis,
    /// Current state.
    pub state: ConvState,
}

/// Conversations by slot.
#[derive(Default)]
pub struct Conversations {
    slots: Vec<Conversation>,
    free: Vec<u32>,
}

impl Conversations {
    /// Stores a conversation and returns its slot.
    #[inline]
    pub fn insert(&mut self, conv: Conversation) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = conv;
                slot
            }
            None => {
                self.slots.push(conv);
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// Frees a slot for reuse.
    #[inline]
    pub fn remove(&mut self, slot: u32) {
        self.slots[slot as usize].state = ConvState::Done;
        self.free.push(slot);
    }

    /// The conversation in `slot`.
    #[inline]
    pub fn get(&self, slot: u32) -> &Conversation {
        &self.slots[slot as usize]
    }

    /// The conversation in `slot`, mutably.
    #[inline]
    pub fn get_mut(&mut self, slot: u32) -> &mut Conversation {
        &mut self.slots[slot as usize]
    }

    /// Whether `slot` still holds the conversation with arrival number
    /// `token`, waiting in queue `queue` in class `class`.
    #[inline]
    pub fn is_queued(&self, slot: u32, token: u64, queue: usize, class: Class) -> bool {
        let c = &self.slots[slot as usize];
        c.token == token
            && c.queue == queue
            && matches!(c.state, ConvState::Queued { class: k, .. } if k == class)
    }

    /// Live conversations with their slots, in slot order.
    pub fn live_slots(&self) -> impl Iterator<Item = (u32, &Conversation)> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, c)| c.state != ConvState::Done)
            .map(|(i, c)| (i as u32, c))
    }

    /// Live conversations (queued or in service), in slot order.
    pub fn live(&self) -> impl Iterator<Item = &Conversation> {
        self.slots.iter().filter(|c| c.state != ConvState::Done)
    }
}
