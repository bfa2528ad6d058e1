//! One replication: the event loop that moves buyers, agents and chats
//! through simulated time.
//!
//! ```text
//!  ArrivalGenerator ──Arrival──▶ Router ──Assign──▶ AgentPool (session work, virtual clocks)
//!                                   │                    │ ChatEnd ─▶ drain queue
//!                                   └─Queue─▶ WaitingQueue ◀─ Patience (abandon)
//!  ShiftPlan ──ShiftStart/ShiftEnd/BreakDue/BreakEnd──▶ AgentPool presence ─▶ drain queue
//!  every event ─▶ Recorder (state integrals, chat outcomes)
//! ```
//!
//! Invariant: one single-threaded loop per replication; events pop in
//! `(time, seq)` order; all randomness comes from the replication's named
//! streams; the loop never reads the wall clock.
//! Invariant: counted chats (arrived in the measured window) are followed
//! until they end; the loop stops once the window is over and none is left,
//! or 7 simulated days after the window (what remains is reported as
//! unfinished, never as answered).

use rand_distr::{Distribution as _, Open01};

use crate::agents::{AgentId, AgentPool, Presence};
use crate::arrivals::{ArrivalGenerator, EntryPoint};
use crate::conversation::{ConvState, Conversation, Conversations};
use crate::kernel::{EventQueue, Stream, StreamRng, TimerId, stream_rng};
use crate::metrics::{Recorder, RepResult, StateCounters};
use crate::routing::{ChatRequest, Decision, Router, Waiting, WaitingQueue};
use crate::scenario::Scenario;
use crate::shifts::Instance;
use crate::time::{DAY_MS, SimTime};

/// How long after the measured window the loop keeps following counted chats.
pub const DRAIN_LIMIT_MS: SimTime = 7 * DAY_MS;

/// Events of the simulation (kernel payload).
#[derive(Debug, Clone, Copy)]
enum Event {
    /// The next buyer arrives, from this entry point.
    Arrival { entry: EntryPoint },
    /// A queued buyer's patience runs out.
    Patience { conv: u32 },
    /// An agent's earliest chat ends.
    ChatEnd { agent: AgentId },
    /// An agent's shift starts.
    ShiftStart { agent: AgentId },
    /// An agent's shift ends.
    ShiftEnd { agent: AgentId },
    /// An agent's scheduled break is due.
    BreakDue { agent: AgentId, index: u16 },
    /// An agent's break ends.
    BreakEnd { agent: AgentId },
    /// Drain the queue after agents came on shift at this instant.
    Drain,
}

struct Rngs {
    arrivals: StreamRng,
    buyers: StreamRng,
    service: StreamRng,
    patience: StreamRng,
    first_reply: StreamRng,
}

/// Per-agent duty bookkeeping.
#[derive(Clone, Copy)]
struct Duty {
    shift: Option<Instance>,
    break_timer: Option<TimerId>,
}

/// Counts of what the loop did (for speed measurements).
#[derive(Debug, Clone, Copy, Default)]
pub struct LoopStats {
    /// Events handled.
    pub events: u64,
    /// Arrivals generated (counted or not).
    pub arrivals: u64,
}

/// The state of one replication.
pub struct Engine<'s> {
    sc: &'s Scenario,
    queue: EventQueue<Event>,
    agents: AgentPool,
    router: Router,
    waiting: WaitingQueue,
    convs: Conversations,
    generator: ArrivalGenerator<'s>,
    rng: Rngs,
    rec: Recorder,
    state: StateCounters,
    duty: Vec<Duty>,
    on_break: Vec<u32>,
    break_waiters: Vec<(AgentId, u16)>,
    drain_scheduled: bool,
    counted_open: u64,
    next_token: u64,
    stats: LoopStats,
    blocked: Vec<bool>,
    /// `0..groups`, for draining every group.
    all_groups: Vec<usize>,
}

/// Runs replication `replication` of `scenario` and returns its results.
pub fn run_replication(scenario: &Scenario, replication: u32) -> (RepResult, LoopStats) {
    let mut engine = Engine::new(scenario, replication);
    let end = engine.run();
    let stats = engine.stats;
    (engine.finish(end), stats)
}

impl<'s> Engine<'s> {
    /// Sets up agents, shifts and the first arrival at time 0.
    pub fn new(sc: &'s Scenario, replication: u32) -> Self {
        let seed = sc.run.seed;
        let s = |stream| stream_rng(seed, replication, stream);
        let mut engine = Self {
            sc,
            queue: EventQueue::new(),
            agents: AgentPool::new(sc),
            router: Router::new(sc, s(Stream::Routing)),
            waiting: WaitingQueue::new(sc.groups.len()),
            convs: Conversations::default(),
            generator: ArrivalGenerator::new(&sc.arrivals),
            rng: Rngs {
                arrivals: s(Stream::Arrivals),
                buyers: s(Stream::Buyers),
                service: s(Stream::Service),
                patience: s(Stream::Patience),
                first_reply: s(Stream::FirstReply),
            },
            rec: Recorder::new(sc),
            state: StateCounters::default(),
            duty: vec![
                Duty {
                    shift: None,
                    break_timer: None
                };
                sc.agents.len()
            ],
            on_break: vec![0; sc.groups.len()],
            break_waiters: Vec::new(),
            drain_scheduled: false,
            counted_open: 0,
            next_token: 0,
            stats: LoopStats::default(),
            blocked: vec![false; sc.groups.len()],
            all_groups: (0..sc.groups.len()).collect(),
        };
        for agent in 0..sc.agents.len() as AgentId {
            engine.plan_first_shift(agent);
        }
        engine.schedule_next_arrival();
        engine
    }

    fn plan_first_shift(&mut self, agent: AgentId) {
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

    fn schedule_next_arrival(&mut self) {
        let limit = self.sc.run.measure_to() + DRAIN_LIMIT_MS;
        let next = self
            .generator
            .next(&mut self.rng.arrivals, &mut self.rng.buyers, limit);
        if let Some((t, entry)) = next {
            self.queue.schedule(t, Event::Arrival { entry });
        }
    }

    /// Runs the loop; returns the time it stopped.
    pub fn run(&mut self) -> SimTime {
        let window_end = self.sc.run.measure_to();
        let hard_stop = window_end + DRAIN_LIMIT_MS;
        while let Some((now, event)) = self.queue.pop() {
            if now >= window_end && self.counted_open == 0 {
                return now;
            }
            if now > hard_stop {
                return hard_stop;
            }
            self.stats.events += 1;
            self.rec.advance(now, &self.state);
            self.handle(now, event);
        }
        self.queue.now()
    }

    fn handle(&mut self, now: SimTime, event: Event) {
        match event {
            Event::Arrival { entry } => self.on_arrival(entry, now),
            Event::Patience { conv } => self.on_patience(conv, now),
            Event::ChatEnd { agent } => self.on_chat_end(agent, now),
            Event::ShiftStart { agent } => self.start_shift(agent, now),
            Event::ShiftEnd { agent } => self.end_shift(agent, now),
            Event::BreakDue { agent, index } => self.on_break_due(agent, index, now),
            Event::BreakEnd { agent } => self.end_break(agent, now),
            Event::Drain => {
                self.drain_scheduled = false;
                let all = std::mem::take(&mut self.all_groups);
                self.drain(&all, now);
                self.all_groups = all;
            }
        }
    }

    fn on_arrival(&mut self, entry: EntryPoint, now: SimTime) {
        self.stats.arrivals += 1;
        let sc = self.sc;
        let group = sc
            .group_of(entry)
            .expect("validated: every entry with a positive share has a group");
        // Drawn even when the share is 0, so that the buyer stream stays aligned
        // across scenarios that differ only in their VIP share.
        let u_vip: f64 = Open01.sample(&mut self.rng.buyers);
        let vip = u_vip < sc.buyers.vip_share;

        let work_ms = sc.service.duration.sample_ms(&mut self.rng.service);
        let patience_ms = sc
            .buyers
            .patience
            .as_ref()
            .map(|d| d.sample_ms(&mut self.rng.patience).round() as SimTime);
        let first_reply_ms = sc.service.first_reply.as_ref().map_or(0, |d| {
            d.sample_ms(&mut self.rng.first_reply).round() as SimTime
        });
        let iv = self.rec.interval_of(now);
        let token = self.next_token;
        self.next_token += 1;
        let conv = self.convs.insert(Conversation {
            token,
            arrived_at: now,
            entry,
            group,
            vip,
            interval: iv,
            work_ms,
            first_reply_ms,
            state: ConvState::Queued { patience: None },
        });
        if let Some(iv) = iv {
            self.counted_open += 1;
            self.rec.on_offered(iv, group, vip);
        }
        let request = ChatRequest { group, vip };
        // A new chat never overtakes chats already waiting in its group. After
        // every handler a group with waiting chats has no eligible agent (chat
        // ends and break ends drain at once); agents coming on shift wait for
        // the one `Drain` event at that instant, which serves the queue in order.

        let decision = if self.waiting.len_of(group) > 0 {
            Decision::Queue
        } else {
            self.router.route(&request, &mut self.agents, now)
        };
        match decision {
            Decision::Assign { agent, .. } => self.assign(conv, agent, now),
            Decision::Queue => {
                if let Some(iv) = iv {
                    self.rec.on_queued(iv, group, vip);
                }
                let timer = patience_ms.map(|p| {
                    self.queue
                        .schedule_timer(now.saturating_add(p), Event::Patience { conv })
                });
                self.convs.get_mut(conv).state = ConvState::Queued { patience: timer };
                self.waiting.push(group, vip, Waiting { conv, token });
                self.state.queue_len += 1;
            }
        }
        self.schedule_next_arrival();
    }

    fn assign(&mut self, conv: u32, agent: AgentId, now: SimTime) {
        let c = self.convs.get_mut(conv);
        if let ConvState::Queued {
            patience: Some(timer),
        } = c.state
        {
            self.queue.cancel(timer);
        }
        c.state = ConvState::InService { agent, since: now };
        let (group, vip, work_ms, interval, arrived_at, first_reply_ms) = (
            c.group,
            c.vip,
            c.work_ms,
            c.interval,
            c.arrived_at,
            c.first_reply_ms,
        );
        if let Some(iv) = interval {
            let wait = now - arrived_at;
            self.rec
                .on_answered(iv, group, vip, wait, wait.saturating_add(first_reply_ms));
        }
        let a = self.agents.get(agent);
        self.rec
            .agent_advance(agent as usize, now, a.open, a.presence);
        let group_pos = self.sc.agents[agent as usize]
            .groups
            .iter()
            .position(|&g| g == group)
            .unwrap_or(0);
        self.rec.on_assigned(agent as usize, group_pos, now);
        self.state.sessions += 1;
        if a.presence != Presence::Offline {
            self.state.sessions_on_shift += 1;
        }
        self.agents.start_chat(agent, conv, work_ms, now);
        self.retime(agent);
    }

    /// Keeps the agent's chat-end timer on its earliest end at the current speed.
    fn retime(&mut self, agent: AgentId) {
        let next = self.agents.next_end(agent);
        let current = self.agents.get(agent).end_timer;
        if current.map(|(_, t)| t) == next {
            return;
        }
        if let Some((timer, _)) = current {
            self.queue.cancel(timer);
        }
        let timer = next.map(|t| (self.queue.schedule_timer(t, Event::ChatEnd { agent }), t));
        self.agents.set_end_timer(agent, timer);
    }

    fn on_chat_end(&mut self, agent: AgentId, now: SimTime) {
        let a = self.agents.get(agent);
        self.rec
            .agent_advance(agent as usize, now, a.open, a.presence);
        let on_shift = a.presence != Presence::Offline;
        self.agents.set_end_timer(agent, None);
        let Some(conv) = self.agents.end_earliest(agent, now) else {
            return;
        };
        self.state.sessions -= 1;
        if on_shift {
            self.state.sessions_on_shift -= 1;
        }
        let c = self.convs.get(conv);
        if c.interval.is_some() {
            if let ConvState::InService { since, .. } = c.state {
                self.rec.on_completed(now - since);
            }
            self.counted_open -= 1;
        }
        self.convs.remove(conv);
        self.retime(agent);
        if self.agents.get(agent).accepts_new() && !self.waiting.is_empty() {
            let sc = self.sc;
            self.drain(&sc.agents[agent as usize].groups, now);
        }
    }

    fn on_patience(&mut self, conv: u32, now: SimTime) {
        let c = self.convs.get(conv);
        debug_assert!(
            matches!(c.state, ConvState::Queued { .. }),
            "patience timers are cancelled at assignment"
        );
        let (group, interval, arrived_at) = (c.group, c.interval, c.arrived_at);
        self.waiting.forget(group);
        self.state.queue_len -= 1;
        if let Some(iv) = interval {
            self.rec.on_abandoned(iv, now - arrived_at);
            self.counted_open -= 1;
        }
        self.convs.remove(conv);
    }

    /// Assigns waiting chats of `groups` (shop-wide order: VIP first, then
    /// earliest arrival) while their groups have an eligible agent.
    fn drain(&mut self, groups: &[usize], now: SimTime) {
        if self.waiting.is_empty() {
            return;
        }
        loop {
            let mut best: Option<(bool, Waiting, usize)> = None;
            for &g in groups {
                if self.blocked[g] {
                    continue;
                }
                let convs = &self.convs;
                let Some((vip, w)) = self.waiting.head(g, |w| convs.is_queued(w.conv, w.token))
                else {
                    continue;
                };
                let better = best.is_none_or(|(bv, bw, _)| (!vip, w.token) < (!bv, bw.token));
                if better {
                    best = Some((vip, w, g));
                }
            }
            let Some((vip, w, g)) = best else { break };
            match self.router.select(g, &mut self.agents, now) {
                Some(agent) => {
                    self.waiting.pop_head(g, vip);
                    self.state.queue_len -= 1;
                    self.assign(w.conv, agent, now);
                }
                None => self.blocked[g] = true,
            }
        }
        for &g in groups {
            self.blocked[g] = false;
        }
    }

    fn set_presence(&mut self, agent: AgentId, presence: Presence, now: SimTime) {
        let a = self.agents.get(agent);
        self.rec
            .agent_advance(agent as usize, now, a.open, a.presence);
        let was_on = a.presence != Presence::Offline;
        let is_on = presence != Presence::Offline;
        let (cap, open, old) = (u64::from(a.cap), u64::from(a.open), a.presence);
        match (was_on, is_on) {
            (false, true) => {
                self.state.agents_on_shift += 1;
                self.state.cap_on_shift += cap;
                self.state.sessions_on_shift += open;
            }
            (true, false) => {
                self.state.agents_on_shift -= 1;
                self.state.cap_on_shift -= cap;
                self.state.sessions_on_shift -= open;
            }
            _ => {}
        }
        if old == Presence::Break {
            self.state.agents_on_break -= 1;
        }
        if presence == Presence::Break {
            self.state.agents_on_break += 1;
        }
        self.agents.set_presence(agent, presence, now);
    }

    fn go_on_shift(&mut self, agent: AgentId, now: SimTime) {
        self.set_presence(agent, Presence::Online, now);
        if !self.waiting.is_empty() && !self.drain_scheduled {
            self.drain_scheduled = true;
            self.queue.schedule(now, Event::Drain);
        }
    }

    fn start_shift(&mut self, agent: AgentId, now: SimTime) {
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

    fn end_shift(&mut self, agent: AgentId, now: SimTime) {
        if let Some(timer) = self.duty[agent as usize].break_timer.take() {
            self.queue.cancel(timer);
            self.leave_break_counts(agent);
        }
        self.set_presence(agent, Presence::Offline, now);
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

    fn break_allowed(&self, agent: AgentId) -> bool {
        self.sc.agents[agent as usize].groups.iter().all(|&g| {
            self.sc.groups[g]
                .max_on_break
                .is_none_or(|cap| self.on_break[g] < cap)
        })
    }

    fn on_break_due(&mut self, agent: AgentId, index: u16, now: SimTime) {
        match self.agents.get(agent).presence {
            Presence::Offline => {}
            Presence::Online
                if self.break_allowed(agent)
                    && !self.break_waiters.iter().any(|&(a, _)| a == agent) =>
            {
                self.start_break(agent, index, now);
            }
            // Capped, or still on (or waiting for) an earlier break: wait its turn.
            Presence::Online | Presence::Break => self.break_waiters.push((agent, index)),
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

        for &g in &self.sc.agents[agent as usize].groups {
            self.on_break[g] += 1;
        }
        self.set_presence(agent, Presence::Break, now);
        self.duty[agent as usize].break_timer =
            Some(self.queue.schedule_timer(end, Event::BreakEnd { agent }));
    }

    fn leave_break_counts(&mut self, agent: AgentId) {
        for &g in &self.sc.agents[agent as usize].groups {
            self.on_break[g] -= 1;
        }
    }

    fn end_break(&mut self, agent: AgentId, now: SimTime) {
        self.duty[agent as usize].break_timer = None;
        self.leave_break_counts(agent);
        self.set_presence(agent, Presence::Online, now);
        self.release_waiting_breaks(now);
        if !self.waiting.is_empty() {
            let sc = self.sc;
            self.drain(&sc.agents[agent as usize].groups, now);
        }
    }

    /// Starts deferred breaks, first come first served, where the caps now
    /// allow. Breaks of agents off shift are dropped; breaks of agents still
    /// on an earlier break keep their place.
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
                Presence::Online | Presence::Break => i += 1,
            }
        }
    }

    /// Marks what is still open as unfinished and closes the books.
    pub fn finish(mut self, end: SimTime) -> RepResult {
        let stop = end.max(self.sc.run.measure_to());
        for c in self.convs.live() {
            match (c.interval, c.state) {
                (Some(iv), ConvState::Queued { .. }) => {
                    self.rec.on_unfinished(iv, stop - c.arrived_at)
                }
                (Some(_), ConvState::InService { .. }) => self.rec.on_session_unfinished(),
                _ => {}
            }
        }
        self.rec.finish(self.sc, &self.agents, &self.state)
    }
}
