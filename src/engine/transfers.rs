//! Transfers (转接): a chat due for a transfer is moved, with its history,
//! to the agent of the target group the dispatcher names; an unanswered
//! round at that moment is charged to the source.

use super::{Engine, Event};
use crate::agents::{AgentId, Presence};
use crate::conversation::ConvState;
use crate::routing::{BuyerKind, Dispatcher, Notice};
use crate::time::SimTime;
use crate::trace::TraceEvent;

impl<D: Dispatcher> Engine<'_, D> {
    pub(super) fn cancel_transfer(&mut self, conv: u32) {
        let c = self.convs.get_mut(conv);
        c.transfer = false;
        if let Some(timer) = c.transfer_timer.take() {
            self.queue.cancel(timer);
        }
    }

    /// A time-based transfer is due. In the dialogue model, a reply being
    /// typed for this chat is finished first.
    pub(super) fn on_transfer_due(&mut self, conv: u32, now: SimTime) {
        self.convs.get_mut(conv).transfer_timer = None;
        let ConvState::InService { agent, .. } = self.convs.get(conv).state else {
            unreachable!("transfer timers are cancelled when the chat ends");
        };
        if self.dialogue.is_some() && self.typing[agent as usize].is_some_and(|(c, _)| c == conv) {
            self.talks[conv as usize].transfer_after_reply = true;
            return;
        }
        self.request_transfer(conv, now);
    }

    /// Asks the dispatcher where the chat, due for a transfer, goes.
    pub(super) fn request_transfer(&mut self, conv: u32, now: SimTime) {
        let c = self.convs.get(conv);
        let ConvState::InService { agent: from, .. } = c.state else {
            return;
        };
        let Some(tr) = self.sc.groups.get(c.queue).and_then(|g| g.transfer) else {
            return;
        };
        self.convs.get_mut(conv).transfer = false;
        self.ask_transfer(conv, from, tr.to, now);
    }

    /// Asks the dispatcher which agent of `group` takes `conv` from `from`.
    fn ask_transfer(&mut self, conv: u32, from: AgentId, group: usize, now: SimTime) {
        let chat = self.chat_ref(conv);
        self.dispatch(Notice::TransferDue { chat, from, group }, now);
    }

    /// The chats `agent` may hand over, in conversation order: those it
    /// holds, except the one whose reply is being typed and private contacts.
    fn handable_chats(&self, agent: AgentId) -> Vec<u32> {
        let mut open: Vec<u32> = match self.dialogue {
            Some(_) => self.talk_open[agent as usize].clone(),
            None => self
                .agents
                .work(agent)
                .ends
                .iter()
                .map(|&(_, c)| c)
                .collect(),
        };
        open.sort_unstable();
        let typing = self.typing[agent as usize].map(|(c, _)| c);
        open.retain(|&conv| {
            let c = self.convs.get(conv);
            Some(conv) != typing
                && matches!(c.state, ConvState::InService { agent: holder, .. } if holder == agent)
                && c.kind != BuyerKind::Private
                && c.queue < self.sc.groups.len()
        });
        open
    }

    /// Hands `conv` over from `from` to a colleague of its own group (a
    /// random transfer due later is superseded).
    fn hand_over_chat(&mut self, conv: u32, from: AgentId, now: SimTime) {
        let group = self.convs.get(conv).queue;
        self.cancel_transfer(conv);
        self.ask_transfer(conv, from, group, now);
    }

    /// `shift_end = "hand_over"`: asks the dispatcher where each of the
    /// leaving agent's open chats goes, in its own group (a chat whose
    /// reply is being typed, and a private contact, stay; a random
    /// transfer due later is superseded).
    pub(super) fn hand_over(&mut self, agent: AgentId, now: SimTime) {
        for conv in self.handable_chats(agent) {
            self.hand_over_chat(conv, agent, now);
        }
    }

    /// [`crate::routing::Command::Transfer`]: moves the chat, with its
    /// history, to agent `to` of `group`; an unanswered round at that
    /// moment is charged to the source.
    pub(super) fn transfer_to(
        &mut self,
        conv: u32,
        target: Option<AgentId>,
        group: usize,
        now: SimTime,
    ) {
        let c = self.convs.get(conv);
        let ConvState::InService { agent: from, since } = c.state else {
            return;
        };
        let (token, iv, arrived_at) = (c.token, c.interval, c.arrived_at);
        if iv.is_some() {
            self.rec
                .on_transfer(from as usize, target.map(|t| t as usize));
        }
        self.trace(Some(token), &[from], |_| TraceEvent::Transfer {
            t: now,
            conv: token,
            from,
            to: target,
            group,
        });
        let Some(to) = target else { return };
        for id in [from, to] {
            let a = self.agents.get(id);
            self.rec.agent_advance(id as usize, now, a.open, a.presence);
        }
        let (from_on, to_on) = (
            self.agents.get(from).presence.on_shift(),
            self.agents.get(to).presence.on_shift(),
        );
        let state = self.state_mut();
        if from_on {
            state.sessions_on_shift -= 1;
        }
        if to_on {
            state.sessions_on_shift += 1;
        }
        match self.dialogue {
            None => {
                let remaining = self
                    .agents
                    .take_chat(from, conv, now)
                    .expect("the source holds the chat");
                self.retime(from);
                self.agents.start_chat(to, conv, remaining, now);
                self.retime(to);
            }
            Some(_) => {
                let t = &mut self.talks[conv as usize];
                let offline = self.convs.get(conv).offline;
                if let (Some(iv), Some(_), false) = (iv, t.pending.since(), offline) {
                    // Transferred without a reply: the round counts against the source,
                    // and the question waits anew for the target.
                    self.rec
                        .on_unanswered(iv, arrived_at, &mut t.pending, Some(from as usize));
                    t.pending.message(now);
                }
                let open = &mut self.talk_open[from as usize];
                if let Some(i) = open.iter().position(|&c| c == conv) {
                    open.swap_remove(i);
                }
                self.agents.close_chat(from, now);
                self.agents.open_chat(to, now);
                self.talk_open[to as usize].push(conv);
            }
        }
        let c = self.convs.get_mut(conv);
        c.queue = group;
        c.state = ConvState::InService { agent: to, since };
        self.maybe_type(to, now);
        self.watch_overload(to, now);
        self.after_slot_freed(from, now);
    }

    /// `overload_transfer`: an agent above the threshold is checked again
    /// `after` later (one check at a time).
    pub(super) fn watch_overload(&mut self, agent: AgentId, now: SimTime) {
        let Some(o) = self.sc.routing.overload_transfer else {
            return;
        };
        let d = &mut self.duty[agent as usize];
        if !d.overload_check && self.agents.get(agent).open > o.above {
            d.overload_check = true;
            self.queue
                .schedule(now.saturating_add(o.after), Event::Overload { agent });
        }
    }

    /// 忙不过来: still above the threshold, the agent hands its newest chat
    /// (the last assigned; not a private contact, not the reply being
    /// typed) over to a colleague of the chat's group by the transfer rules,
    /// if one is online below the threshold and its cap; checked again
    /// `after` later while it stays above.
    pub(super) fn on_overload(&mut self, agent: AgentId, now: SimTime) {
        self.duty[agent as usize].overload_check = false;
        let Some(o) = self.sc.routing.overload_transfer else {
            return;
        };
        if !self.agents.get(agent).presence.on_shift() || self.agents.get(agent).open <= o.above {
            return;
        }
        let newest = self.handable_chats(agent).into_iter().max_by_key(|&conv| {
            match self.convs.get(conv).state {
                ConvState::InService { since, .. } => (since, self.convs.get(conv).token),
                _ => (0, 0),
            }
        });
        // Only to a colleague who is not overloaded itself (no ping-pong
        // between agents who are all above the threshold).
        let relief = |e: &Self, group: usize| {
            e.members_of(group).iter().any(|&i| {
                let b = e.agents.get(i as AgentId);
                i as AgentId != agent
                    && b.presence == Presence::Online
                    && b.open < o.above
                    && b.load() < b.cap
            })
        };
        if let Some(conv) = newest.filter(|&c| relief(self, self.convs.get(c).queue)) {
            self.hand_over_chat(conv, agent, now);
        }
        self.watch_overload(agent, now);
    }
}
