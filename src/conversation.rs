//! Conversations (chats) in flight, in a slab whose slots are reused, so
//! memory follows the number of open chats rather than the run length.

use crate::agents::AgentId;
use crate::kernel::TimerId;
use crate::routing::{BuyerKind, Class, Reason};
use crate::time::{Millis, SimTime};

/// Where a conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConvState {
    /// Being routed (on arrival, or again after its agent's shift ended):
    /// the dispatcher has not placed it yet.
    New {
        /// The buyer's patience, if it will wait live.
        patience_ms: Option<SimTime>,
    },
    /// Waiting for an agent, with its patience timer if the buyer is impatient.
    Queued {
        /// Abandonment timer.
        patience: Option<TimerId>,
        /// The dispatcher's timer about this chat (e.g. overflow).
        wake: Option<TimerId>,
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
pub(crate) struct Conversation {
    /// Arrival number: unique and increasing within a replication.
    pub token: u64,
    /// Arrival (转人工) time.
    pub arrived_at: SimTime,
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
    /// Waits outside any queue (Chatwoot v1's unassigned chats, or a chat a dispatcher left unplaced).
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
pub(crate) struct Conversations {
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

    /// The conversation in `slot`, if the slot exists.
    #[inline]
    pub fn try_get(&self, slot: u32) -> Option<&Conversation> {
        self.slots.get(slot as usize)
    }

    /// Conversations in flight.
    #[inline]
    pub fn live(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Live conversations with their slots, in slot order.
    pub fn live_slots(&self) -> impl Iterator<Item = (u32, &Conversation)> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, c)| c.state != ConvState::Done)
            .map(|(i, c)| (i as u32, c))
    }
}
