//! A chat's life in the engine: arrival, waiting (patience), the routing
//! commands applied to it (assign, offer, wait, offline message, overflow,
//! transfer), the session model's end, and the books at the end of a run.

use rand_distr::{Distribution as _, Open01};

use super::{Engine, Event};
use crate::agents::{AgentId, Presence};
use crate::arrivals::EntryPoint;
use crate::conversation::{ConvState, Conversation};
use crate::routing::{ChatInfo, ChatRef, Class, Dispatcher, Notice, OfflineCause, Reason};
use crate::scenario::TransferAfter;
use crate::time::SimTime;
use crate::trace::{Outcome, TraceEvent};

use super::buyers::vip_tier;
use super::dialogue::Talk;

impl<D: Dispatcher> Engine<'_, D> {
    pub(super) fn on_arrival(&mut self, entry: EntryPoint, now: SimTime) {
        self.stats.arrivals += 1;
        let sc = self.sc;
        // The pre-routing menu choice, if the entry has a menu (population stream).
        let u_menu: f64 = if self.menus {
            Open01.sample(&mut self.rng.population)
        } else {
            0.5
        };
        let group = sc
            .group_of(entry, u_menu)
            .expect("validated: every entry with a positive share has a group or a menu");
        // Drawn even when the share is 0, so that the buyer stream stays aligned
        // across scenarios that differ only in their VIP share.
        let u_vip: f64 = Open01.sample(&mut self.rng.buyers);
        let tier = vip_tier(&sc.buyers.vip_tiers, u_vip);

        // Session model: the chat's work; dialogue model: its number of rounds
        // (both from the service stream, drawn at arrival).
        let (work_ms, rounds) = match sc.service.duration() {
            Some(d) => (d.sample_ms(&mut self.rng.service), 0),
            None => (
                0.0,
                self.dialogue
                    .map_or(1, |d| d.rounds.sample(&mut self.rng.service)),
            ),
        };
        let patience_ms = sc
            .buyers
            .patience
            .as_ref()
            .map(|d| d.sample_ms(&mut self.rng.patience).round() as SimTime);
        let first_reply_ms = sc.service.first_reply.as_ref().map_or(0, |d| {
            d.sample_ms(&mut self.rng.first_reply).round() as SimTime
        });
        let kind = self.draw_kind(group, now);
        let iv = self.rec.interval_of(now);
        let token = self.next_token;
        self.next_token += 1;
        let conv = self.convs.insert(Conversation {
            token,
            arrived_at: now,
            group,
            queue: group,
            kind,
            offline: false,
            served: false,
            transfer: false,
            transfer_timer: None,
            parked: false,
            tier,
            interval: iv,
            work_ms,
            first_reply_ms,
            state: ConvState::New { patience_ms },
        });
        if let Some(iv) = iv {
            self.counted_open += 1;
            self.rec.on_offered(iv, group, tier);
        }
        self.trace(Some(token), &[], |_| TraceEvent::Arrival {
            t: now,
            conv: token,
            entry,
            group,
            vip: tier > 0,
            kind,
            counted: iv.is_some(),
        });
        if self.dialogue.is_some() {
            let slot = conv as usize;
            if self.talks.len() <= slot {
                self.talks.resize_with(slot + 1, Talk::default);
            }
            self.talks[slot].restart(token, rounds);
            self.on_buyer_message(conv, now);
        }
        let info = ChatInfo {
            chat: ChatRef {
                slot: conv,
                id: token,
            },
            arrived_at: now,
            group,
            queue: group,
            kind,
            tier,
            offline: false,
        };
        self.dispatch(Notice::Arrived(info), now);
        self.keep_unplaced_waiting(conv, now);
        self.schedule_next_arrival();
    }

    /// What routing is told about the chat in `conv`.
    pub(super) fn chat_info(&self, conv: u32) -> ChatInfo {
        let c = self.convs.get(conv);
        ChatInfo {
            chat: self.chat_ref(conv),
            arrived_at: c.arrived_at,
            group: c.group,
            queue: c.queue,
            kind: c.kind,
            tier: c.tier,
            offline: c.offline,
        }
    }

    /// A chat the dispatcher left unplaced waits outside any queue, its
    /// patience running, until a later command places it.
    pub(super) fn keep_unplaced_waiting(&mut self, conv: u32, now: SimTime) {
        if D::TRUSTED {
            return;
        }
        let c = self.convs.get(conv);
        if let ConvState::New { patience_ms } = c.state {
            let (q, class) = (c.queue, Class::of_tier(c.tier, self.tiers));
            self.start_waiting(conv, q, class, patience_ms, now);
            self.convs.get_mut(conv).parked = true;
        }
    }

    /// A chat being routed starts waiting live for queue `q` in `class`: its
    /// patience timer runs (without counting it in a queue).
    pub(super) fn start_waiting(
        &mut self,
        conv: u32,
        q: usize,
        class: Class,
        patience_ms: Option<SimTime>,
        now: SimTime,
    ) {
        let c = self.convs.get(conv);
        let (tier, counted) = (c.tier, c.interval);
        // p_wait is about arrival: a chat served before and routed again is not counted twice.
        if let (Some(iv), false) = (counted, c.served) {
            self.rec.on_queued(iv, c.group, tier);
        }
        let patience = patience_ms.map(|p| {
            self.queue
                .schedule_timer(now.saturating_add(p), Event::Patience { conv })
        });
        let c = self.convs.get_mut(conv);
        c.queue = q;
        c.state = ConvState::Queued {
            patience,
            wake: None,
            class,
        };
    }

    /// Counts a chat of `class` into (`delta` = 1) or out of (−1) the waiting chats.
    #[inline]
    pub(super) fn count_queued(&mut self, class: Class, delta: i64) {
        let offline = class == Class::offline(self.tiers);
        let state = self.state_mut();
        let n = if offline {
            &mut state.offline_pending
        } else {
            &mut state.queue_len
        };
        *n = n.wrapping_add_signed(delta);
    }

    /// The chat leaves its queue (to an agent): its timers stop and it no
    /// longer counts as waiting.
    pub(super) fn unqueue(&mut self, conv: u32) {
        let c = self.convs.get(conv);
        let ConvState::Queued {
            patience,
            wake,
            class,
        } = c.state
        else {
            return;
        };
        for timer in [patience, wake].into_iter().flatten() {
            self.queue.cancel(timer);
        }
        if !c.parked {
            self.count_queued(class, -1);
        }
    }

    /// The chat leaves its queue to be offered: it no longer counts as
    /// waiting in a queue (its patience keeps running).
    pub(super) fn leave_queue_count(&mut self, conv: u32) {
        if let ConvState::Queued { class, .. } = self.convs.get(conv).state {
            self.count_queued(class, -1);
        }
    }

    /// [`crate::routing::Command::Wait`]: a new chat starts waiting in
    /// queue `q` and `class`; one that already waits moves there (`requeue`).
    pub(super) fn enqueue(&mut self, conv: u32, q: usize, class: Class, now: SimTime) {
        let patience_ms = match self.convs.get(conv).state {
            ConvState::New { patience_ms } => patience_ms,
            ConvState::Queued { .. } => return self.requeue(conv, q, class, now),
            _ => return,
        };
        self.start_waiting(conv, q, class, patience_ms, now);
        self.count_queued(class, 1);
        self.trace_route(conv, Outcome::Queued { queue: q, class }, now);
    }

    /// A waiting chat is placed in queue `q` and `class` by a routing
    /// service's later decision: one left unplaced after it arrived
    /// (parked, its patience running; a live run's decisions come after
    /// the event), or one already waiting, which moves. Its patience runs on.
    fn requeue(&mut self, conv: u32, q: usize, class: Class, now: SimTime) {
        let c = self.convs.get_mut(conv);
        let parked = c.parked;
        let ConvState::Queued { class: at, .. } = &mut c.state else {
            return;
        };
        let old = std::mem::replace(at, class);
        c.queue = q;
        c.parked = false;
        if !parked {
            self.count_queued(old, -1);
        }
        self.count_queued(class, 1);
        self.trace_route(conv, Outcome::Queued { queue: q, class }, now);
    }

    /// [`crate::routing::Command::Unassigned`]: the chat waits in no queue, for good.
    pub(super) fn leave_unassigned(&mut self, conv: u32, now: SimTime) {
        let c = self.convs.get(conv);
        let ConvState::New { patience_ms } = c.state else {
            return;
        };
        let (q, class, counted) = (
            c.queue,
            Class::of_tier(c.tier, self.tiers),
            c.interval.is_some(),
        );
        self.start_waiting(conv, q, class, patience_ms, now);
        self.convs.get_mut(conv).parked = true;
        if counted {
            self.rec.on_left_unassigned();
        }
    }

    /// Makes the chat an offline message in queue `q` (no timers: nobody waits live).
    pub(super) fn leave_offline_message(
        &mut self,
        conv: u32,
        q: usize,
        cause: OfflineCause,
        now: SimTime,
    ) {
        let offline = Class::offline(self.tiers);
        let c = self.convs.get_mut(conv);
        c.offline = true;
        c.parked = false;
        c.queue = q;
        c.state = ConvState::Queued {
            patience: None,
            wake: None,
            class: offline,
        };
        let (interval, arrived_at) = (c.interval, c.arrived_at);
        if let Some(iv) = interval {
            self.rec.on_offline(iv, cause);
        }
        self.count_queued(offline, 1);
        if self.dialogue.is_some() {
            // The buyer left a message and is gone: one reply is owed, nothing more comes.
            let t = &mut self.talks[conv as usize];
            if let Some(timer) = t.timer.take() {
                self.queue.cancel(timer);
            }
            t.rounds_left = 0;
            t.msgs_left = 0;
            if t.pending.since().is_none() {
                t.pending.message(arrived_at);
            }
        }
        self.trace_route(conv, Outcome::Offline { cause }, now);
    }

    pub(super) fn assign(&mut self, conv: u32, agent: AgentId, reason: Reason, now: SimTime) {
        self.trace_route(conv, Outcome::Assigned { agent, reason }, now);
        let c = self.convs.get_mut(conv);
        c.state = ConvState::InService { agent, since: now };
        let first_time = !std::mem::replace(&mut c.served, true);
        let (group, tier, work_ms, interval, arrived_at, first_reply_ms, offline) = (
            c.group,
            c.tier,
            c.work_ms,
            c.interval,
            c.arrived_at,
            c.first_reply_ms,
            c.offline,
        );
        let frt = (now - arrived_at).saturating_add(first_reply_ms);
        // Session model: the first reply follows assignment after `first_reply`;
        // dialogue model: it is typed (recorded in `on_reply_done`).
        let session = self.dialogue.is_none();
        if let (Some(iv), true, true) = (interval, first_time, session) {
            if offline {
                self.rec.on_offline_answered(frt);
            } else {
                self.rec.on_answered(iv, group, tier, now - arrived_at, frt);
                self.rec
                    .on_single_round(iv, arrived_at, Some(frt), Some(agent as usize));
            }
        }
        if first_time && session {
            let token = self.convs.get(conv).token;
            self.trace(Some(token), &[agent], |_| TraceEvent::FirstReply {
                t: now.saturating_add(first_reply_ms),
                conv: token,
                agent,
                frt_ms: frt,
            });
        }
        let a = self.agents.get(agent);
        self.rec
            .agent_advance(agent as usize, now, a.open, a.presence);
        // Counted toward the group the chat is served in if the agent serves
        // it (fair shares are per group), else apart (fallbacks, private, direct).
        let served_in = self.convs.get(conv).queue;
        let groups = self.sc.groups.len();
        // (The main account's own queue is past the groups: no position.)
        let pos = |g: usize| {
            let p = if g < groups {
                self.group_pos[agent as usize * groups + g]
            } else {
                u16::MAX
            };
            (p != u16::MAX).then_some(usize::from(p))
        };
        let group_pos = pos(served_in).or_else(|| pos(group));
        self.rec.on_assigned(agent as usize, group_pos, now);
        let on_shift = a.presence.on_shift();
        let state = self.state_mut();
        state.sessions += 1;
        if on_shift {
            state.sessions_on_shift += 1;
        }
        self.remember_contact(agent, now);
        if first_time
            && self.transfers
            && let Some(tr) = self.sc.groups.get(served_in).and_then(|g| g.transfer)
        {
            let u: f64 = Open01.sample(&mut self.rng.transfers);
            if u < tr.share {
                self.convs.get_mut(conv).transfer = true;
                if let TransferAfter::Time(after) = tr.after {
                    let timer = self
                        .queue
                        .schedule_timer(now.saturating_add(after), Event::Transfer { conv });
                    self.convs.get_mut(conv).transfer_timer = Some(timer);
                }
            }
        }
        if session {
            self.agents.start_chat(agent, conv, work_ms, now);
            self.retime(agent);
        } else {
            self.agents.open_chat(agent, now);
            self.talk_open[agent as usize].push(conv);
        }
        let a = self.agents.get(agent);
        let limit = self.sc.agents[agent as usize].suspend_at;
        if a.presence == Presence::Online && limit.is_some_and(|n| a.open >= n) {
            self.duty[agent as usize].auto_suspended = true;
            self.set_presence(agent, Presence::Suspended, now);
        }
        if !session {
            self.maybe_type(agent, now);
        }
        self.watch_overload(agent, now);
    }

    // ---- Waiting: patience and the dispatcher's timers ----

    pub(super) fn on_patience(&mut self, conv: u32, now: SimTime) {
        let c = self.convs.get_mut(conv);
        let (interval, arrived_at, token, group) = (c.interval, c.arrived_at, c.token, c.group);
        let mut released = None;
        match &mut c.state {
            ConvState::Queued { patience, .. } => {
                // It fired: nothing to cancel.
                *patience = None;
                self.unqueue(conv);
            }
            &mut ConvState::Offered { agent, offer, .. } => {
                self.queue.cancel(offer);
                self.agents.reserve(agent, -1);
                released = Some(agent);
            }
            ConvState::New { .. } | ConvState::InService { .. } | ConvState::Done => {
                unreachable!("patience timers are cancelled at assignment")
            }
        }
        self.trace(Some(token), &[], |_| TraceEvent::Abandon {
            t: now,
            conv: token,
            waited_ms: now - arrived_at,
        });
        if let Some(iv) = interval {
            self.rec.on_abandoned(iv, group, now - arrived_at);
        }
        self.unanswered_round(conv, now);
        if self.dialogue.is_some() {
            // The buyer is gone: no further messages.
            let t = &mut self.talks[conv as usize];
            if let Some(timer) = t.timer.take() {
                self.queue.cancel(timer);
            }
            t.msgs_left = 0;
        }
        // The dispatcher may keep it as an offline message (Feige); otherwise it is gone.
        let chat = self.chat_ref(conv);
        self.convs.get_mut(conv).state = ConvState::New { patience_ms: None };
        self.dispatch(
            Notice::Abandoned {
                chat,
                offered_to: released,
            },
            now,
        );
        if let ConvState::New { .. } = self.convs.get(conv).state {
            if interval.is_some() {
                self.counted_open -= 1;
            }
            self.convs.remove(conv);
        }
    }

    /// A timer the dispatcher set for a waiting chat is due.
    pub(super) fn on_chat_wake(&mut self, conv: u32, now: SimTime) {
        if let ConvState::Queued { wake, .. } = &mut self.convs.get_mut(conv).state {
            *wake = None;
        }
        let chat = self.chat_ref(conv);
        self.dispatch(Notice::ChatTimer { chat }, now);
    }

    /// [`crate::routing::Command::Overflow`]: the waiting chat moves to group `to`.
    pub(super) fn overflow(&mut self, conv: u32, to: usize, now: SimTime) {
        let c = self.convs.get_mut(conv);
        let (from, token, counted) = (c.queue, c.token, c.interval.is_some());
        c.queue = to;
        if counted {
            self.rec.on_overflowed();
        }
        self.trace(Some(token), &[], |_| TraceEvent::Overflow {
            t: now,
            conv: token,
            from,
            to,
        });
    }

    // ---- Session ends ----

    /// Keeps the agent's chat-end timer on its earliest end at the current speed.
    pub(super) fn retime(&mut self, agent: AgentId) {
        let next = self.agents.next_end(agent);
        let current = self.agents.work(agent).end_timer;
        if current.map(|(_, t)| t) == next {
            return;
        }
        if let Some((timer, _)) = current {
            self.queue.cancel(timer);
        }
        let timer = next.map(|t| (self.queue.schedule_timer(t, Event::ChatEnd { agent }), t));
        self.agents.set_end_timer(agent, timer);
    }

    pub(super) fn on_chat_end(&mut self, agent: AgentId, now: SimTime) {
        let a = self.agents.get(agent);
        self.rec
            .agent_advance(agent as usize, now, a.open, a.presence);
        let on_shift = a.presence.on_shift();
        self.agents.set_end_timer(agent, None);
        let Some(conv) = self.agents.end_earliest(agent, now) else {
            return;
        };
        self.close_conversation(conv, agent, on_shift, now);
        self.retime(agent);
        self.after_slot_freed(agent, now);
    }

    /// The books when a chat held by `agent` ends (it was on shift if
    /// `on_shift`): sessions, the chat's length, the counted-open count,
    /// its pending transfer, the slot, the log.
    pub(super) fn close_conversation(
        &mut self,
        conv: u32,
        agent: AgentId,
        on_shift: bool,
        now: SimTime,
    ) {
        let state = self.state_mut();
        state.sessions -= 1;
        if on_shift {
            state.sessions_on_shift -= 1;
        }
        self.cancel_transfer(conv);
        let c = self.convs.get(conv);
        let token = c.token;
        if c.interval.is_some() {
            if let ConvState::InService { since, .. } = c.state {
                self.rec.on_completed(now - since);
            }
            self.counted_open -= 1;
        }
        self.convs.remove(conv);
        self.trace(Some(token), &[agent], |_| TraceEvent::ChatEnd {
            t: now,
            conv: token,
            agent,
        });
    }

    /// A slot of `agent` freed: it may leave its automatic suspension, and
    /// it may take waiting chats.
    pub(super) fn after_slot_freed(&mut self, agent: AgentId, now: SimTime) {
        let a = self.agents.get(agent);
        let limit = self.sc.agents[agent as usize].suspend_at;
        if self.duty[agent as usize].auto_suspended
            && a.presence == Presence::Suspended
            && limit.is_none_or(|n| a.open < n)
        {
            self.settle_online(agent, now);
        }
        if self.chats_wait() {
            self.dispatch(Notice::SlotFreed { agent }, now);
        }
    }

    /// At the end of a run: what is still open is unfinished, never answered.
    pub(super) fn close_open_chats(&mut self, stop: SimTime) {
        let mut open_rounds = Vec::new();
        for (slot, c) in self.convs.live_slots() {
            let waiting = matches!(
                c.state,
                ConvState::New { .. } | ConvState::Queued { .. } | ConvState::Offered { .. }
            );
            match (c.interval, c.state) {
                // Served once, then routed again (shift end): mid-conversation, not unanswered.
                (Some(_), _) if waiting && c.served => self.rec.on_session_unfinished(),
                (Some(_), _) if waiting && c.offline => self.rec.on_offline_unanswered(),
                (Some(iv), _) if waiting => {
                    self.rec.on_unfinished(iv, stop - c.arrived_at);
                    open_rounds.push(slot);
                }
                (Some(iv), ConvState::InService { .. }) => {
                    self.rec.on_session_unfinished();
                    if self.dialogue.is_some() {
                        // Dialogue model: with an agent but never replied to yet.
                        if !self.talks[slot as usize].replied {
                            if c.offline {
                                self.rec.on_offline_unanswered();
                            } else {
                                self.rec.on_unfinished(iv, stop - c.arrived_at);
                            }
                        }
                        open_rounds.push(slot);
                    }
                }
                _ => {}
            }
        }
        for slot in open_rounds {
            self.unanswered_round(slot, stop);
        }
    }
}
