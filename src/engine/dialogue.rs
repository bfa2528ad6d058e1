//! The dialogue model (DOMAIN.md §3): a chat is rounds of buyer messages,
//! each answered by the agent's typed reply; an agent types one reply at a
//! time, longest-waiting chat first; sessions close after an inactivity
//! timeout. Transfers that wait for a reply happen here too.

use rand_distr::{Distribution as _, Open01};

use super::{Engine, Event};
use crate::agents::{AgentId, Presence};
use crate::catalog::GOLDEN_MS;
use crate::conversation::ConvState;
use crate::kernel::TimerId;
use crate::metrics::platform::Pending;
use crate::routing::Dispatcher;
use crate::scenario::TransferAfter;
use crate::time::SimTime;
use crate::trace::TraceEvent;

/// Dialogue model: one conversation's progress (by conversation slot).
#[derive(Debug, Clone, Default)]
pub(super) struct Talk {
    /// The chat's token (read with the talk when choosing what to type,
    /// without touching the conversation).
    pub token: u64,
    /// Rounds not yet started.
    pub rounds_left: u32,
    /// Messages of the current round still to come.
    pub msgs_left: u32,
    /// The buyer's messages waiting for a reply.
    pub pending: Pending,
    /// Next buyer message or inactivity timeout.
    pub timer: Option<TimerId>,
    /// A human has replied at least once.
    pub replied: bool,
    /// Replies that closed a round.
    pub rounds_replied: u32,
    /// A time-based transfer came while the agent was typing this chat's
    /// reply: it happens right after that reply.
    pub transfer_after_reply: bool,
}

impl Talk {
    /// A new chat `token` in this slot with `rounds` rounds to come; the
    /// message buffer keeps its allocation (no allocation per chat).
    pub fn restart(&mut self, token: u64, rounds: u32) {
        let mut pending = std::mem::take(&mut self.pending);
        pending.clear();
        *self = Talk {
            token,
            rounds_left: rounds,
            pending,
            ..Talk::default()
        };
    }
}

impl<D: Dispatcher> Engine<'_, D> {
    /// The buyer of `conv` sends a message: the first of a new round if the
    /// previous round is complete.
    pub(super) fn on_buyer_message(&mut self, conv: u32, now: SimTime) {
        let d = self.dialogue.expect("dialogue model");
        let slot = conv as usize;
        self.talks[slot].timer = None;
        if self.talks[slot].msgs_left == 0 {
            // A new round: how many messages, and whether the buyer leaves silently after it.
            let m = d.messages_per_round.sample(&mut self.rng.dialogue);
            let u: f64 = Open01.sample(&mut self.rng.dialogue);
            let t = &mut self.talks[slot];
            t.rounds_left = t.rounds_left.saturating_sub(1);
            t.msgs_left = m;
            if u < d.silent_abandon {
                t.rounds_left = 0;
                if self.convs.get(conv).interval.is_some() {
                    self.rec.on_silent_abandon();
                }
            }
        }
        let t = &mut self.talks[slot];
        t.pending.message(now);
        t.msgs_left -= 1;
        let token = self.convs.get(conv).token;
        self.trace(Some(token), &[], |_| TraceEvent::Message {
            t: now,
            conv: token,
        });
        let t = &mut self.talks[slot];
        if t.msgs_left > 0 {
            let gap = d.message_gap.sample_ms(&mut self.rng.dialogue).round() as SimTime;
            let timer = self
                .queue
                .schedule_timer(now.saturating_add(gap), Event::BuyerMessage { conv });
            self.talks[slot].timer = Some(timer);
        }
        if let ConvState::InService { agent, .. } = self.convs.get(conv).state {
            self.maybe_type(agent, now);
        }
    }

    /// A counted chat leaves (abandons) or the run stops with its current round unanswered.
    pub(super) fn unanswered_round(&mut self, conv: u32, _now: SimTime) {
        let c = self.convs.get(conv);
        let (Some(iv), arrived_at) = (c.interval, c.arrived_at) else {
            return;
        };
        if c.offline {
            return;
        }
        let holder = match c.state {
            ConvState::InService { agent, .. } => Some(agent as usize),
            _ => None,
        };
        match self.dialogue {
            None => self.rec.on_single_round(iv, arrived_at, None, holder),
            Some(_) => {
                let t = &mut self.talks[conv as usize];
                self.rec
                    .on_unanswered(iv, arrived_at, &mut t.pending, holder);
            }
        }
    }

    /// Whether the agent types replies now: not on a break, and not with stuck chats.
    fn can_type(&self, agent: AgentId) -> bool {
        match self.agents.get(agent).presence {
            Presence::Break => false,
            Presence::Offline => !self.agents.work(agent).frozen,
            Presence::Online | Presence::Busy | Presence::Suspended => true,
        }
    }

    /// If the agent is free to type, starts the reply to its longest-waiting
    /// chat (golden 2-minute chats without a first reply first, if enabled).
    pub(super) fn maybe_type(&mut self, agent: AgentId, now: SimTime) {
        let Some(d) = self.dialogue else { return };
        if self.typing[agent as usize].is_some() || !self.can_type(agent) {
            return;
        }
        let golden = self.sc.routing.golden_priority;
        // A plain loop with the best rank and chat in registers, chosen by
        // conditional moves: `min` over `Option<(tuple, conv)>` kept its
        // accumulator on the stack in overlapping pieces (perf: stalls on
        // every step).
        let (mut best, mut conv) = (u128::MAX, u32::MAX);
        for &c in &self.talk_open[agent as usize] {
            let t = &self.talks[c as usize];
            let Some(since) = t.pending.since() else {
                continue;
            };
            let rank = reply_order(since, t.replied, t.token, now, golden);
            (best, conv) = std::hint::select_unpredictable(rank < best, (rank, c), (best, conv));
        }
        if conv == u32::MAX {
            return;
        }
        let a = self.agents.get(agent);
        let k = (a.open as usize).clamp(1, self.sc.service.slowdown.len().max(1));
        let factor = self.sc.service.slowdown.get(k - 1).copied().unwrap_or(1.0)
            / self.sc.agents[agent as usize].speed;
        let ms = (d.typing.sample_ms(&mut self.rng.dialogue) * factor).round() as SimTime;
        self.typing[agent as usize] = Some((conv, now));
        self.queue
            .schedule(now.saturating_add(ms.max(1)), Event::ReplyDone { agent });
    }

    pub(super) fn on_reply_done(&mut self, agent: AgentId, now: SimTime) {
        let d = self.dialogue.expect("dialogue model");
        let (conv, started) = self.typing[agent as usize]
            .take()
            .expect("a reply is being typed");
        if self.agents.get(agent).presence.on_shift() {
            self.rec.on_typing(agent as usize, started, now);
        }
        let c = self.convs.get(conv);
        let (iv, arrived_at, token, offline, group, tier) = (
            c.interval,
            c.arrived_at,
            c.token,
            c.offline,
            c.group,
            c.tier,
        );
        let assigned_at = match c.state {
            ConvState::InService { since, .. } => since,
            _ => now,
        };
        let slot = conv as usize;
        let first = !std::mem::replace(&mut self.talks[slot].replied, true);
        if self.talks[slot].pending.since().is_some() {
            self.talks[slot].rounds_replied += 1;
        }
        let frt = now - arrived_at;
        if let Some(iv) = iv {
            if first && offline {
                self.rec.on_offline_answered(frt);
            } else if first {
                self.rec
                    .on_answered(iv, group, tier, assigned_at - arrived_at, frt);
            }
            if !offline {
                self.rec.on_reply(
                    iv,
                    arrived_at,
                    &mut self.talks[slot].pending,
                    now,
                    agent as usize,
                );
            }
        }
        self.talks[slot].pending.clear();
        if first {
            self.trace(Some(token), &[agent], |_| TraceEvent::FirstReply {
                t: now,
                conv: token,
                agent,
                frt_ms: frt,
            });
        }
        self.trace(Some(token), &[agent], |_| TraceEvent::Reply {
            t: now,
            conv: token,
            agent,
        });
        let t = &self.talks[slot];
        if t.msgs_left == 0 {
            // The round is complete: the buyer thinks and writes again, or the session winds down.
            let think = (t.rounds_left > 0)
                .then(|| d.think.sample_ms(&mut self.rng.dialogue).round() as SimTime);
            let event = match think {
                Some(th) if th < d.inactivity_timeout => {
                    (now.saturating_add(th), Event::BuyerMessage { conv })
                }
                other => {
                    if other.is_some() && iv.is_some() {
                        self.rec.on_closed_by_inactivity();
                    }
                    (
                        now.saturating_add(d.inactivity_timeout),
                        Event::SessionTimeout { conv },
                    )
                }
            };
            self.talks[slot].timer = Some(self.queue.schedule_timer(event.0, event.1));
        }
        // Transfers that wait for this reply: time-based ones that came
        // while typing, and "after_rounds" ones with the reply to that round.
        let c = self.convs.get(conv);
        let due_by_rounds = c.transfer
            && matches!(
                self.sc.groups.get(c.queue).and_then(|g| g.transfer).map(|t| t.after),
                Some(TransferAfter::Rounds(k)) if self.talks[slot].rounds_replied >= k
            );
        if std::mem::take(&mut self.talks[slot].transfer_after_reply) || due_by_rounds {
            self.request_transfer(conv, now);
        }
        self.maybe_type(agent, now);
    }

    pub(super) fn on_session_timeout(&mut self, conv: u32, now: SimTime) {
        let ConvState::InService { agent, .. } = self.convs.get(conv).state else {
            unreachable!("sessions time out only in service");
        };
        let a = self.agents.get(agent);
        self.rec
            .agent_advance(agent as usize, now, a.open, a.presence);
        let on_shift = a.presence.on_shift();
        self.agents.close_chat(agent, now);
        let open = &mut self.talk_open[agent as usize];
        if let Some(i) = open.iter().position(|&c| c == conv) {
            open.swap_remove(i);
        }
        self.talks[conv as usize].timer = None;
        self.close_conversation(conv, agent, on_shift, now);
        self.after_slot_freed(agent, now);
    }
}

/// Order of an agent's pending replies (smallest first): with the golden
/// 2-minute priority, chats still without a first reply that have waited
/// 2 minutes or more come first; then the longest-waiting unanswered
/// message; then the earlier arrival. One number, the tuple
/// `(!overdue, since, token)` in its bits; never `u128::MAX`, which
/// `maybe_type` starts from (that would take `since` = 2^63 − 1: times are
/// far below).
#[inline]
fn reply_order(since: SimTime, replied: bool, token: u64, now: SimTime, golden: bool) -> u128 {
    debug_assert!(since < (1 << 63) - 1);
    let overdue = golden && !replied && now - since >= GOLDEN_MS;
    (u128::from(!overdue) << 127) | (u128::from(since) << 64) | u128::from(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_go_to_the_longest_waiting_chat_golden_2_minute_chats_first() {
        // A: a later round waiting since 0 s; B: no first reply yet, waiting since 10 s; now 200 s.
        let a = |golden| reply_order(0, true, 1, 200_000, golden);
        let b = |golden| reply_order(10_000, false, 2, 200_000, golden);
        assert!(a(false) < b(false), "longest waiting first");
        assert!(b(true) < a(true), "golden 2-minute chats first");
        // Not yet 2 minutes: no priority.
        assert!(
            reply_order(0, true, 1, 100_000, true) < reply_order(10_000, false, 2, 100_000, true)
        );
    }
}
