//! The engine's side of the routing interface: telling the dispatcher what
//! happened, applying the commands it answers, refusing the ones that
//! cannot apply, and tracing where chats went.

use super::{Engine, Event};
use crate::agents::AgentId;
use crate::conversation::ConvState;
use crate::routing::{ChatRef, Class, Command, Commands, Ctx, Dispatcher, Notice};
use crate::time::SimTime;
use crate::trace::{Candidate, Outcome, TraceEvent};

/// Why a routing command was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The chat is over, or the reference is stale (its slot was reused).
    #[error("no such chat (it is over, or the reference is stale)")]
    NoSuchChat,
    /// The chat is not in a state the command applies to (e.g. assigning a
    /// chat an agent already holds).
    #[error("the chat is not in a state this command applies to")]
    WrongState,
    /// No such agent.
    #[error("no such agent")]
    NoSuchAgent,
    /// No such queue, group or class.
    #[error("no such queue, group or class")]
    NoSuchQueue,
    /// The scenario has no offers (offer variants only).
    #[error("offers need an offer variant")]
    NoOffers,
}

impl<D: Dispatcher> Engine<'_, D> {
    /// Tells the dispatcher `notice` and applies its answers (and, while it
    /// asks to go on, its further answers) in order.
    ///
    /// The answers go on one stack of commands: an exchange applies the
    /// ones it received (above where the stack stood when it began), and a
    /// nested exchange (a notice raised while applying them) works above
    /// those and leaves the stack as it found it.
    #[inline(always)]
    pub(super) fn dispatch(&mut self, notice: Notice, now: SimTime) {
        let base = self.commands.len();
        let mut notice = notice;
        loop {
            let again = {
                let mut ctx = Ctx::new(now, &mut self.agents);
                let mut out = Commands::new(&mut self.commands);
                self.router.on(notice, &mut ctx, &mut out)
            };
            let end = self.commands.len();
            for i in base..end {
                let command = self.commands[i];
                if !D::TRUSTED
                    && let Err(rule) = self.judge(&command)
                {
                    self.refuse(&command, rule, now);
                    continue;
                }
                self.apply(command, now);
            }
            self.commands.truncate(base);
            if !again {
                break;
            }
            notice = Notice::Continue;
        }
    }

    /// Whether any chat waits in a queue or as an offline message (then
    /// slots that free up and agents who return are worth a drain).
    #[inline]
    pub(super) fn chats_wait(&self) -> bool {
        self.state.queue_len + self.state.offline_pending > 0
    }

    /// Applies a command that passed [`Engine::check`] (or came from a trusted dispatcher).
    #[inline(always)]
    pub(super) fn apply(&mut self, command: Command, now: SimTime) {
        match command {
            Command::Assign {
                chat,
                agent,
                reason,
            } => {
                let conv = chat.slot;
                if let ConvState::Queued { .. } = self.convs.get(conv).state {
                    self.unqueue(conv);
                }
                self.assign(conv, agent, reason, now);
            }
            Command::Offer {
                chat,
                agent,
                reason,
            } => {
                let conv = chat.slot;
                match self.convs.get(conv).state {
                    ConvState::New { patience_ms } => {
                        let c = self.convs.get(conv);
                        let (q, class) = (c.queue, Class::of_tier(c.tier, self.tiers));
                        self.start_waiting(conv, q, class, patience_ms, now);
                    }
                    ConvState::Queued { .. } => self.leave_queue_count(conv),
                    _ => {}
                }
                self.offer(conv, agent, reason, now);
            }
            Command::Wait { chat, queue, class } => self.enqueue(chat.slot, queue, class, now),
            Command::Unassigned { chat } => self.leave_unassigned(chat.slot, now),
            Command::OfflineMessage { chat, queue, cause } => {
                if self.convs.get(chat.slot).parked {
                    // Cancels its patience (a no-op unless it waits unplaced).
                    self.unqueue(chat.slot);
                }
                self.leave_offline_message(chat.slot, queue, cause, now)
            }
            Command::Overflow { chat, to } => self.overflow(chat.slot, to, now),
            Command::Transfer { chat, to, group } => self.transfer_to(chat.slot, to, group, now),
            Command::ChatTimer { chat, at } => {
                let conv = chat.slot;
                let timer = self
                    .queue
                    .schedule_timer(at.max(now), Event::ChatWake { conv });
                if let ConvState::Queued { wake, .. } = &mut self.convs.get_mut(conv).state
                    && let Some(old) = wake.replace(timer)
                {
                    self.queue.cancel(old);
                }
            }
            Command::Wake { at, tag } => self.queue.schedule(at.max(now), Event::Wake { tag }),
        }
    }

    /// Whether `command` can apply now (its chat, agent and queue exist and
    /// the chat is in a state the command applies to).
    pub(super) fn check(&self, command: &Command) -> Result<(), Refused> {
        let queues = self.sc.groups.len() + 1;
        let agent_ok = |a: AgentId| {
            ((a as usize) < self.agents.len())
                .then_some(())
                .ok_or(Refused::NoSuchAgent)
        };
        let state = |chat: ChatRef| {
            let c = self
                .convs
                .try_get(chat.slot)
                .filter(|c| c.token == chat.id && c.state != ConvState::Done)
                .ok_or(Refused::NoSuchChat)?;
            Ok::<_, Refused>((c.state, c))
        };
        let wrong = Err(Refused::WrongState);
        match *command {
            Command::Assign { chat, agent, .. } => {
                agent_ok(agent)?;
                match state(chat)?.0 {
                    ConvState::New { .. } | ConvState::Queued { .. } => Ok(()),
                    _ => wrong,
                }
            }
            Command::Offer { chat, agent, .. } => {
                agent_ok(agent)?;
                if self.sc.routing.variant.offer().is_none() {
                    return Err(Refused::NoOffers);
                }
                match state(chat)? {
                    (ConvState::New { .. }, c) if !c.offline => Ok(()),
                    (ConvState::Queued { .. }, c) if !c.offline && !c.parked => Ok(()),
                    _ => wrong,
                }
            }
            Command::Wait { chat, queue, class } => {
                if queue >= queues || class.0 > self.tiers {
                    return Err(Refused::NoSuchQueue);
                }
                match state(chat)? {
                    (ConvState::New { .. }, _) => Ok(()),
                    // Left unplaced after it arrived (a later placement), or
                    // waiting already (it moves to this queue and class).
                    (ConvState::Queued { .. }, c) if !c.offline => Ok(()),
                    _ => wrong,
                }
            }
            Command::Unassigned { chat } => match state(chat)?.0 {
                ConvState::New { .. } => Ok(()),
                _ => wrong,
            },
            Command::OfflineMessage { chat, queue, .. } => {
                if queue >= queues {
                    return Err(Refused::NoSuchQueue);
                }
                match state(chat)? {
                    (ConvState::New { .. }, _) => Ok(()),
                    (ConvState::Queued { .. }, c) if c.parked && !c.offline => Ok(()),
                    _ => wrong,
                }
            }
            Command::Overflow { chat, to } => {
                if to >= self.sc.groups.len() {
                    return Err(Refused::NoSuchQueue);
                }
                match state(chat)? {
                    (ConvState::Queued { .. }, c) if !c.parked => Ok(()),
                    _ => wrong,
                }
            }
            Command::Transfer { chat, to, group } => {
                if group >= self.sc.groups.len() {
                    return Err(Refused::NoSuchQueue);
                }
                if let Some(a) = to {
                    agent_ok(a)?;
                }
                match state(chat)?.0 {
                    ConvState::InService { agent, .. } if to != Some(agent) => Ok(()),
                    _ => wrong,
                }
            }
            Command::ChatTimer { chat, .. } => match state(chat)?.0 {
                ConvState::Queued { .. } => Ok(()),
                _ => wrong,
            },
            Command::Wake { .. } => Ok(()),
        }
    }

    /// The chat's reference for the dispatcher.
    #[inline]
    pub(super) fn chat_ref(&self, conv: u32) -> ChatRef {
        ChatRef {
            slot: conv,
            id: self.convs.get(conv).token,
        }
    }

    /// Logs an event about conversation `conv` and `agents` if a tracer wants it.
    #[inline]
    pub(super) fn trace(
        &mut self,
        conv: Option<u64>,
        agents: &[AgentId],
        make: impl FnOnce(&Self) -> TraceEvent,
    ) {
        if self.tracer.is_none() {
            return;
        }
        let mut tracer = self.tracer.take().expect("checked");
        if tracer.filter.wants(conv, agents) {
            let event = make(self);
            (tracer.sink)(&event);
        }
        self.tracer = Some(tracer);
    }

    /// Logs a routing decision for the chat in `conv`, with the agents of its queue.
    #[inline]
    pub(super) fn trace_route(&mut self, conv: u32, outcome: Outcome, now: SimTime) {
        if self.tracer.is_some() {
            self.trace_route_now(conv, outcome, now);
        }
    }

    #[cold]
    fn trace_route_now(&mut self, conv: u32, outcome: Outcome, now: SimTime) {
        let c = self.convs.get(conv);
        let token = c.token;
        let members: Vec<AgentId> = if c.queue == self.personal {
            self.main.into_iter().collect()
        } else {
            self.members_of(c.queue)
                .iter()
                .map(|&m| m as AgentId)
                .collect()
        };
        let candidates_involved = self
            .tracer
            .as_ref()
            .is_some_and(|t| t.filter.candidates_involved());
        let mut involved = if candidates_involved {
            members.clone()
        } else {
            Vec::new()
        };
        if let Outcome::Assigned { agent, .. } | Outcome::Offered { agent, .. } = outcome {
            involved.push(agent);
        }
        self.trace(Some(token), &involved, |e| TraceEvent::Route {
            t: now,
            conv: token,
            outcome,
            candidates: members
                .iter()
                .map(|&id| {
                    let a = e.agents.get(id);
                    Candidate {
                        agent: id,
                        presence: a.presence,
                        open: a.open,
                        cap: a.cap,
                        eligible: a.accepts_new(),
                    }
                })
                .collect(),
        });
    }
}
