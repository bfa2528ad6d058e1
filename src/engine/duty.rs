//! Agent duty: shifts, scheduled breaks (with the groups' break caps),
//! random episodes (unplanned 小休, 忙碌, 挂起), automatic suspension, and
//! the one place presence changes ([`Engine::set_presence`]).

use rand::RngExt;
use rand_distr::{Distribution as _, Open01};

use super::{Engine, Event, groups_now};
use crate::agents::{AgentId, Presence};
use crate::conversation::ConvState;
use crate::routing::{Dispatcher, Notice};
use crate::scenario::{ChangeKind, EpisodeState, ShiftEnd};
use crate::time::{DAY_MS, HOUR_MS, SimTime};
use crate::trace::TraceEvent;

impl<D: Dispatcher> Engine<'_, D> {
    pub(super) fn plan_first_shift(&mut self, agent: AgentId) {
        let spec = &self.sc.agents[agent as usize];
        let Some(plan) = &self.sc.entries[spec.entry].shift else {
            self.go_on_shift(agent, 0);
            return;
        };
        let Some(inst) = plan.next_instance(&self.sc.run.clock, spec.stagger, 0) else {
            return;
        };
        self.duty[agent as usize].shift = Some(inst);
        if inst.start <= 0 {
            self.start_shift(agent, 0);
        } else {
            self.queue
                .schedule(inst.start as SimTime, Event::ShiftStart { agent });
        }
    }

    /// Changes the agent's presence: state counters, its accounts, the
    /// trace, deferred breaks, the dispatcher, typing.
    pub(super) fn set_presence(&mut self, agent: AgentId, presence: Presence, now: SimTime) {
        let a = self.agents.get(agent);
        self.rec
            .agent_advance(agent as usize, now, a.open, a.presence);
        let was_on = a.presence.on_shift();
        let is_on = presence.on_shift();
        let (cap, open, old) = (u64::from(a.cap), u64::from(a.open), a.presence);
        let state = self.state_mut();
        match (was_on, is_on) {
            (false, true) => {
                state.agents_on_shift += 1;
                state.cap_on_shift += cap;
                state.sessions_on_shift += open;
            }
            (true, false) => {
                state.agents_on_shift -= 1;
                state.cap_on_shift -= cap;
                state.sessions_on_shift -= open;
            }
            _ => {}
        }
        if old == Presence::Break {
            state.agents_on_break -= 1;
        }
        if presence == Presence::Break {
            state.agents_on_break += 1;
        }
        self.agents.set_presence(agent, presence, now);
        if self.sc.service.break_pauses_chats
            && self.dialogue.is_none()
            && (old == Presence::Break) != (presence == Presence::Break)
        {
            // 小休: the agent is away, its chats wait for it.
            self.agents
                .set_paused(agent, presence == Presence::Break, now);
            self.retime(agent);
        }
        if old != presence {
            self.trace(None, &[agent], |_| TraceEvent::State {
                t: now,
                agent,
                from: old,
                to: presence,
            });
        }
        if presence == Presence::Online && !self.break_waiters.is_empty() {
            self.release_waiting_breaks(now);
        }
        self.dispatch(
            Notice::Presence {
                agent,
                from: old,
                to: presence,
            },
            now,
        );
        if self.dialogue.is_some() {
            self.maybe_type(agent, now);
        }
    }

    /// Back to taking chats: online, or suspended if it holds `suspend_at_open` chats.
    pub(super) fn settle_online(&mut self, agent: AgentId, now: SimTime) {
        let open = self.agents.get(agent).open;
        let suspend = self.sc.agents[agent as usize]
            .suspend_at
            .is_some_and(|n| open >= n);
        self.duty[agent as usize].auto_suspended = suspend;
        let p = if suspend {
            Presence::Suspended
        } else {
            Presence::Online
        };
        self.set_presence(agent, p, now);
    }

    fn go_on_shift(&mut self, agent: AgentId, now: SimTime) {
        if self.agents.work(agent).frozen {
            self.agents.set_frozen(agent, false, now);
            self.retime(agent);
            self.maybe_type(agent, now);
        }
        self.settle_online(agent, now);
        self.schedule_episode(agent, now);
        self.dispatch(Notice::OnShift { agent }, now);
    }

    pub(super) fn start_shift(&mut self, agent: AgentId, now: SimTime) {
        let Some(inst) = self.duty[agent as usize].shift else {
            return;
        };
        self.go_on_shift(agent, now);
        self.queue
            .schedule(inst.end as SimTime, Event::ShiftEnd { agent });
        let spec = &self.sc.agents[agent as usize];
        let plan = self.sc.entries[spec.entry]
            .shift
            .as_ref()
            .expect("agents with a shift instance have a plan");
        for (index, b) in plan.breaks.iter().enumerate() {
            let at = inst.start + b.after as i64;
            if at >= now as i64 {
                self.queue.schedule(
                    at as SimTime,
                    Event::BreakDue {
                        agent,
                        index: index as u16,
                    },
                );
            }
        }
    }

    pub(super) fn end_shift(&mut self, agent: AgentId, now: SimTime) {
        let duty = &mut self.duty[agent as usize];
        let (break_timer, episode_timer) = (duty.break_timer.take(), duty.episode_timer.take());
        let in_episode = std::mem::take(&mut duty.in_episode);
        duty.auto_suspended = false;
        if in_episode && self.agents.get(agent).presence == Presence::Break {
            self.leave_break_counts(agent);
        }
        if let Some(timer) = episode_timer {
            self.queue.cancel(timer);
        }
        if let Some(timer) = break_timer {
            self.queue.cancel(timer);
            self.leave_break_counts(agent);
        }
        match self.sc.routing.shift_end {
            ShiftEnd::Finish => self.set_presence(agent, Presence::Offline, now),
            ShiftEnd::HandOver => {
                self.set_presence(agent, Presence::Offline, now);
                self.hand_over(agent, now);
            }
            ShiftEnd::Stuck => {
                // Frozen first, so that going offline does not start a reply.
                self.agents.set_frozen(agent, true, now);
                self.set_presence(agent, Presence::Offline, now);
                self.retime(agent);
            }
            ShiftEnd::Reroute => {
                let a = self.agents.get(agent);
                self.rec
                    .agent_advance(agent as usize, now, a.open, a.presence);
                let chats = self.agents.take_all(agent, now);
                let state = self.state_mut();
                state.sessions -= chats.len() as u64;
                state.sessions_on_shift -= chats.len() as u64;
                self.retime(agent);
                self.set_presence(agent, Presence::Offline, now);
                for (conv, remaining) in chats {
                    let token = self.convs.get(conv).token;
                    self.trace(Some(token), &[agent], |_| TraceEvent::Reroute {
                        t: now,
                        conv: token,
                        agent,
                    });
                    self.reroute(conv, remaining, now);
                }
            }
        }
        self.release_waiting_breaks(now);
        let spec = &self.sc.agents[agent as usize];
        let plan = self.sc.entries[spec.entry]
            .shift
            .as_ref()
            .expect("shift ends only for agents with a plan");
        let next = plan.next_instance(&self.sc.run.clock, spec.stagger, now as i64);
        self.duty[agent as usize].shift = next;
        if let Some(inst) = next {
            self.queue.schedule(
                inst.start.max(now as i64) as SimTime,
                Event::ShiftStart { agent },
            );
        }
    }

    /// A chat ended at its agent's shift end: the buyer's next message is
    /// routed again with the work that was left (no second first response,
    /// no patience: the buyer is mid-conversation).
    fn reroute(&mut self, conv: u32, remaining: f64, now: SimTime) {
        self.cancel_transfer(conv);
        let c = self.convs.get_mut(conv);
        c.work_ms = remaining;
        c.state = ConvState::New { patience_ms: None };
        if c.interval.is_some() {
            self.rec.on_rerouted();
        }
        let info = self.chat_info(conv);
        self.dispatch(Notice::Rerouted(info), now);
        self.keep_unplaced_waiting(conv, now);
    }

    fn break_allowed(&self, agent: AgentId) -> bool {
        self.groups_of(agent).iter().all(|&g| {
            self.sc.groups[g]
                .max_on_break
                .is_none_or(|cap| self.on_break[g] < cap)
        })
    }

    pub(super) fn on_break_due(&mut self, agent: AgentId, index: u16, now: SimTime) {
        match self.agents.get(agent).presence {
            Presence::Offline => {}
            Presence::Online
                if self.break_allowed(agent)
                    && !self.break_waiters.iter().any(|&(a, _)| a == agent) =>
            {
                self.start_break(agent, index, now);
            }
            // Capped, busy, suspended, or still on (or waiting for) an earlier break: wait its turn.
            _ => self.break_waiters.push((agent, index)),
        }
    }

    fn start_break(&mut self, agent: AgentId, index: u16, now: SimTime) {
        let spec = &self.sc.agents[agent as usize];
        let plan = self.sc.entries[spec.entry]
            .shift
            .as_ref()
            .expect("breaks come from a plan");
        let length = plan.breaks[index as usize].length;
        let shift_end = self.duty[agent as usize].shift.map_or(i64::MAX, |s| s.end);
        let end = now.saturating_add(length).min(shift_end.max(0) as SimTime);

        for &g in groups_now(self.sc, &self.membership, agent) {
            self.on_break[g] += 1;
        }
        self.set_presence(agent, Presence::Break, now);
        self.duty[agent as usize].break_timer =
            Some(self.queue.schedule_timer(end, Event::BreakEnd { agent }));
    }

    fn leave_break_counts(&mut self, agent: AgentId) {
        for &g in groups_now(self.sc, &self.membership, agent) {
            self.on_break[g] -= 1;
        }
    }

    pub(super) fn end_break(&mut self, agent: AgentId, now: SimTime) {
        self.duty[agent as usize].break_timer = None;
        self.leave_break_counts(agent);
        self.settle_online(agent, now);
        self.release_waiting_breaks(now);
        if self.chats_wait() {
            self.dispatch(Notice::Returned { agent }, now);
        }
    }

    /// Starts deferred breaks, first come first served, where the caps now
    /// allow. Breaks of agents off shift are dropped; breaks of agents not
    /// online (on an earlier break, busy, suspended) keep their place.
    fn release_waiting_breaks(&mut self, now: SimTime) {
        let mut i = 0;
        while i < self.break_waiters.len() {
            let (agent, index) = self.break_waiters[i];
            match self.agents.get(agent).presence {
                Presence::Offline => {
                    self.break_waiters.remove(i);
                }
                Presence::Online if self.break_allowed(agent) => {
                    self.break_waiters.remove(i);
                    self.start_break(agent, index, now);
                }
                _ => i += 1,
            }
        }
    }

    /// Schedules the agent's next random state change (memoryless, at the
    /// total rate of its entry's episodes).
    fn schedule_episode(&mut self, agent: AgentId, now: SimTime) {
        let episodes = &self.sc.entries[self.sc.agents[agent as usize].entry].episodes;
        let rate: f64 = episodes.iter().map(|e| e.rate_per_hour).sum();
        if rate <= 0.0 {
            return;
        }
        let u: f64 = Open01.sample(&mut self.rng.states);
        let gap = (-u.ln() / rate * HOUR_MS as f64).min(366.0 * DAY_MS as f64);
        let timer = self.queue.schedule_timer(
            now.saturating_add(gap.ceil() as SimTime),
            Event::EpisodeDue { agent },
        );
        self.duty[agent as usize].episode_timer = Some(timer);
    }

    pub(super) fn on_episode_due(&mut self, agent: AgentId, now: SimTime) {
        self.duty[agent as usize].episode_timer = None;
        if self.agents.get(agent).presence != Presence::Online {
            // Only an online agent changes state at random; try again later.
            self.schedule_episode(agent, now);
            return;
        }
        let episodes = &self.sc.entries[self.sc.agents[agent as usize].entry].episodes;
        let rate: f64 = episodes.iter().map(|e| e.rate_per_hour).sum();
        let mut pick = self.rng.states.random::<f64>() * rate;
        let episode = episodes
            .iter()
            .find(|e| {
                pick -= e.rate_per_hour;
                pick < 0.0
            })
            .unwrap_or(&episodes[episodes.len() - 1]);
        let length = episode.length.sample_ms(&mut self.rng.states).round() as SimTime;
        if episode.state == EpisodeState::Break {
            if !self.break_allowed(agent) {
                // The group's break cap is reached: no unplanned 小休 now.
                self.schedule_episode(agent, now);
                return;
            }
            for &g in groups_now(self.sc, &self.membership, agent) {
                self.on_break[g] += 1;
            }
        }
        let presence = match episode.state {
            EpisodeState::Busy => Presence::Busy,
            EpisodeState::Break => Presence::Break,
            EpisodeState::Suspended => Presence::Suspended,
        };
        self.set_presence(agent, presence, now);
        let duty = &mut self.duty[agent as usize];
        duty.in_episode = true;
        duty.episode_timer = Some(self.queue.schedule_timer(
            now.saturating_add(length.max(1)),
            Event::EpisodeEnd { agent },
        ));
    }

    pub(super) fn end_episode(&mut self, agent: AgentId, now: SimTime) {
        if self.agents.get(agent).presence == Presence::Break {
            self.leave_break_counts(agent);
        }
        let duty = &mut self.duty[agent as usize];
        duty.episode_timer = None;
        duty.in_episode = false;
        self.settle_online(agent, now);
        if self.chats_wait() {
            self.dispatch(Notice::Returned { agent }, now);
        }
        self.schedule_episode(agent, now);
    }

    /// A scheduled change of an entry: its cap or its groups.
    pub(super) fn apply_setting(&mut self, index: usize, now: SimTime) {
        match &self.sc.schedule[index].what {
            ChangeKind::Cap { entry, cap } => self.change_cap(*entry, *cap, now),
            ChangeKind::Groups { entry, groups } => self.change_groups(*entry, groups, now),
            ChangeKind::Policy { .. } | ChangeKind::NobodyOnline(_) => {}
        }
    }

    /// Every agent of the entry gets the new cap at `now`, its open chats
    /// kept (a lowered cap takes no new chat until the agent is under it);
    /// routing is told, and drains on a raise.
    fn change_cap(&mut self, entry: usize, cap: u32, now: SimTime) {
        for (i, spec) in self.sc.agents.iter().enumerate() {
            if spec.entry != entry {
                continue;
            }
            let agent = i as AgentId;
            let a = self.agents.get(agent);
            let (from, open, presence) = (a.cap, a.open, a.presence);
            if from == cap {
                continue;
            }
            self.rec.agent_advance(i, now, open, presence);
            self.rec.set_cap(i, cap);
            if presence.on_shift() {
                let state = self.state_mut();
                state.cap_on_shift = state.cap_on_shift - u64::from(from) + u64::from(cap);
            }
            self.agents.agent_mut(agent).cap = cap;
            self.dispatch(
                Notice::CapChanged {
                    agent,
                    from,
                    to: cap,
                },
                now,
            );
        }
    }

    /// Every agent of the entry serves exactly `groups` from `now`: it
    /// keeps the chats it holds; an agent on a break moves its break from
    /// the groups it left to those it joined (the break goes on even if a
    /// joined group is at its `max_on_break`). Routing is told of each
    /// group left, then each joined (a cue to drain it).
    fn change_groups(&mut self, entry: usize, groups: &[usize], now: SimTime) {
        let sc = self.sc;
        for (i, spec) in sc.agents.iter().enumerate() {
            if spec.entry != entry {
                continue;
            }
            let agent = i as AgentId;
            let membership = self
                .membership
                .as_mut()
                .expect("a schedule with group changes keeps a membership");
            let (left, joined) = membership.set(i, groups);
            let a = self.agents.get(agent);
            let (open, presence) = (a.open, a.presence);
            self.rec.agent_advance(i, now, open, presence);
            self.rec.set_groups(i, &spec.groups, groups);
            if presence == Presence::Break {
                for &g in &left {
                    self.on_break[g] -= 1;
                }
                for &g in &joined {
                    self.on_break[g] += 1;
                }
            }
            for group in left {
                self.dispatch(Notice::GroupLeft { agent, group }, now);
            }
            for group in joined {
                self.dispatch(Notice::GroupJoined { agent, group }, now);
            }
        }
    }
}
