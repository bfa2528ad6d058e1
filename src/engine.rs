//! One replication: the event loop that moves buyers, agents and chats
//! through simulated time, as a simulation that can be stepped.
//!
//! ```text
//!  ArrivalGenerator ──Arrival──▶ chats ──Notice──▶ Dispatcher (routing service)
//!                                  ▲                   │
//!                                  └──── Command ◀─────┘  assign, offer, wait, offline, overflow, …
//!  ShiftPlan ──ShiftStart/ShiftEnd/BreakDue/BreakEnd──▶ duty (presence) ──Notice──▶ Dispatcher
//!  chats ◀──ChatEnd (session work) / dialogue (rounds, typing, replies)
//!  every event ─▶ Recorder (state integrals, chat outcomes) and, if attached, the tracer
//! ```
//!
//! [`Engine`] is nexosim's `Simulation` for one replication:
//! [`Engine::next_time`], [`Engine::step`], [`Engine::step_until`],
//! [`Engine::inject`] (a routing command from outside, at the current
//! time) and [`Engine::finish`]; [`Engine::run`] is a loop over `step`.
//! The routing service is a type parameter ([`Dispatcher`]); the built-in
//! [`Router`] is the default.
//!
//! The engine's own concerns live in submodules: `chats` (a chat's life
//! from arrival to end, and the routing commands applied to it), `exchange`
//! (the conversation with the dispatcher), `duty` (shifts, breaks, random
//! episodes, presence), `dialogue` (rounds, typing and replies) and
//! `buyers` (who a new buyer is).
//!
//! Invariant: one single-threaded loop per replication; events pop in
//! `(time, seq)` order; all randomness comes from the replication's named
//! streams; the loop never reads the wall clock.
//! Invariant: counted chats (arrived in the measured window) are followed
//! until they end; the loop stops once the window is over and none is left,
//! or [`DRAIN_LIMIT_MS`] after the window (what remains is reported as
//! unfinished, never as answered).

mod buyers;
mod chats;
mod dialogue;
mod duty;
mod exchange;
mod offers;
mod rules;
mod transfers;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64};

use crate::agents::{AgentId, AgentPool};
use crate::arrivals::{ArrivalGenerator, EntryPoint};
use crate::conversation::{ConvState, Conversations};
use crate::kernel::{EventQueue, Stream, StreamRng, TimerId, stream_rng};
use crate::metrics::{Recorder, RepResult, StateCounters};
use crate::routing::{Command, Dispatcher, Notice, OfferOutcome, Router};
use crate::scenario::{Dialogue, Membership, Scenario};
use crate::shifts::Instance;
use crate::time::SimTime;
use crate::trace::Tracer;

pub use crate::scenario::DRAIN_LIMIT_MS;
pub use exchange::Refused;
pub(crate) use rules::add_router_stats;
pub use rules::{EXAMPLES, Rule, Violations};

use dialogue::Talk;

/// Events of the simulation (kernel payload).
#[derive(Debug, Clone, Copy)]
enum Event {
    /// The next buyer arrives, from this entry point.
    Arrival { entry: EntryPoint },
    /// A waiting buyer's patience runs out.
    Patience { conv: u32 },
    /// A timer the dispatcher asked for about a waiting chat.
    ChatWake { conv: u32 },
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
    /// A random state change is due (if the agent is online then).
    EpisodeDue { agent: AgentId },
    /// A random state change ends.
    EpisodeEnd { agent: AgentId },
    /// A chat due for a transfer is transferred.
    Transfer { conv: u32 },
    /// Offer variants: the agent answers an offer, or it lapses.
    OfferEnd { conv: u32, outcome: OfferOutcome },
    /// Dialogue model: the buyer's next message.
    BuyerMessage { conv: u32 },
    /// Dialogue model: an agent finished typing a reply.
    ReplyDone { agent: AgentId },
    /// Dialogue model: the inactivity timeout closes a session.
    SessionTimeout { conv: u32 },
    /// A timer the dispatcher asked for.
    Wake { tag: u32 },
    /// A scheduled setting change (`[[schedule]]`, by index) applies.
    Setting { index: u32 },
    /// Is the agent still overloaded (`overload_transfer`)?
    Overload { agent: AgentId },
}

struct Rngs {
    arrivals: StreamRng,
    buyers: StreamRng,
    service: StreamRng,
    patience: StreamRng,
    first_reply: StreamRng,
    transfers: StreamRng,
    offers: StreamRng,
    population: StreamRng,
    states: StreamRng,
    dialogue: StreamRng,
}

/// The groups `agent` serves now (borrowing only what it reads, so the
/// engine's other fields stay free).
#[inline]
fn groups_now<'a>(
    sc: &'a Scenario,
    membership: &'a Option<Membership>,
    agent: AgentId,
) -> &'a [usize] {
    match membership {
        Some(m) => m.groups_of(agent as usize),
        None => &sc.agents[agent as usize].groups,
    }
}

/// Per-agent duty bookkeeping.
#[derive(Clone, Copy, Default)]
struct Duty {
    shift: Option<Instance>,
    break_timer: Option<TimerId>,
    /// Timer of the next random state change, or of the end of the current one.
    episode_timer: Option<TimerId>,
    /// In a random state change.
    in_episode: bool,
    /// Suspended because it reached `suspend_at_open` open chats.
    auto_suspended: bool,
    /// An overload check is scheduled (`overload_transfer`).
    overload_check: bool,
}

/// How far a run has got, updated by the worker threads as they go (read
/// by a progress display; never part of the results).
#[derive(Debug, Default)]
pub struct Progress {
    /// Replications finished.
    pub replications_done: AtomicU32,
    /// Events handled, all replications.
    pub events: AtomicU64,
    /// Simulated time covered, summed over replications (ms, up to the end of each run).
    pub simulated_ms: AtomicU64,
}

/// Where a replication reports how far it has got (every [`TAP_EVERY`] events).
struct ProgressTap<'a> {
    to: &'a Progress,
    /// Events and simulated time already reported.
    events: u64,
    sim_ms: u64,
}

/// Events between two progress reports.
const TAP_EVERY: u64 = 1 << 16;

/// Counts of what the loop did (for speed measurements), and whether it
/// had to stop a diverging replication.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct LoopStats {
    /// Events handled.
    pub events: u64,
    /// Arrivals generated (counted or not).
    pub arrivals: u64,
    /// Routing commands refused because they could not apply or broke a
    /// rule (dispatchers other than the built-in router only).
    pub refused: u64,
    /// The refused commands by rule.
    pub violations: rules::Violations,
    /// Requests to a routing service that got no answer in time (the
    /// fallback handled their event).
    pub router_timeouts: u64,
    /// Requests to a routing service answered with an error or not in the
    /// protocol (the fallback handled their event).
    pub router_errors: u64,
    /// Replications stopped because they diverged (0 or 1 for one replication).
    pub diverged: u32,
    /// Why the first of them stopped.
    pub divergence: Option<Divergence>,
}

/// Why a replication was stopped before its end: its work would not have
/// stayed bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Divergence {
    /// More chats open at once than [`MAX_OPEN_BEYOND_CAPACITY`] beyond
    /// the agents' total capacity: the queue grows without bound.
    Queue {
        /// Chats open when it stopped.
        open: u64,
        /// Simulated time it stopped at.
        at: SimTime,
    },
    /// More events than the work budget ([`EVENTS_PER_ARRIVAL`] per
    /// arrival, [`EVENTS_PER_AGENT_DAY`] per agent and simulated day,
    /// plus [`EVENTS_BASE`]): something repeats without end (e.g. offers
    /// declined and made again at once).
    Work {
        /// Events when it stopped.
        events: u64,
        /// Arrivals by then.
        arrivals: u64,
        /// Simulated time it stopped at.
        at: SimTime,
    },
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Divergence::Queue { open, at } => write!(
                f,
                "{open} chats were open at once {} into the run: the queue grows without bound (more arrivals than the agents can take)",
                crate::time::format_duration(at)
            ),
            Divergence::Work {
                events,
                arrivals,
                at,
            } => write!(
                f,
                "{events} events for {arrivals} arrivals {} into the run: something repeats without end (e.g. offers declined and made again at once)",
                crate::time::format_duration(at)
            ),
        }
    }
}

/// A replication stops as diverging when this many chats beyond the
/// agents' total capacity are open at once (a few hundred bytes each).
pub const MAX_OPEN_BEYOND_CAPACITY: u64 = 250_000;
/// Work budget: events allowed per arrival.
pub const EVENTS_PER_ARRIVAL: u64 = 10_000;
/// Work budget: events allowed per agent and simulated day.
pub const EVENTS_PER_AGENT_DAY: u64 = 100_000;
/// Work budget: events allowed in any case.
pub const EVENTS_BASE: u64 = 1_000_000;

/// One replication: its state and its event loop.
pub struct Engine<'s, D: Dispatcher = Router> {
    sc: &'s Scenario,
    queue: EventQueue<Event>,
    agents: AgentPool,
    router: D,
    /// Reused buffer of the dispatcher's answers.
    commands: Vec<Command>,
    convs: Conversations,
    generator: ArrivalGenerator<'s>,
    rng: Rngs,
    rec: Recorder,
    state: StateCounters,
    duty: Vec<Duty>,
    on_break: Vec<u32>,
    break_waiters: Vec<(AgentId, u16)>,
    /// Who serves which group now, when the schedule changes it (else the
    /// scenario's fixed groups).
    membership: Option<Membership>,
    counted_open: u64,
    next_token: u64,
    stats: LoopStats,
    /// Index of the main account's own queue (private contacts).
    personal: usize,
    main: Option<AgentId>,
    /// Number of VIP tiers (waiting classes: tiers, then normal, then offline).
    tiers: u8,
    /// `(assigned at, agent)` of recent assignments, for returning buyers.
    recent_contacts: VecDeque<(SimTime, AgentId)>,
    /// Whether any buyer can be private, direct or returning.
    population: bool,
    /// Whether returning buyers exist (assignments are remembered).
    remember_contacts: bool,
    /// Whether any entry has a pre-routing menu.
    menus: bool,
    /// Whether any group transfers chats.
    transfers: bool,
    tracer: Option<Tracer<'s>>,
    progress: Option<ProgressTap<'s>>,
    /// Dialogue model: parameters, conversations by slot, open chats and typing per agent.
    dialogue: Option<&'s Dialogue>,
    talks: Vec<Talk>,
    talk_open: Vec<Vec<u32>>,
    typing: Vec<Option<(u32, SimTime)>>,
    /// `group_pos[agent × groups + g]`: the position of group `g` among
    /// the agent's groups (`AgentSpec::groups`), `u16::MAX` if it never
    /// serves it — one small flat table instead of each agent's own list.
    group_pos: Vec<u16>,
    /// When the run stopped, once it has.
    stopped: Option<SimTime>,
    /// The first refused commands of a dispatcher other than the built-in router.
    violation_examples: Vec<String>,
    /// End of the measured window; the tracer's `until` (or never); the drain limit.
    window_end: SimTime,
    until: SimTime,
    hard_stop: SimTime,
    /// Before this time the run cannot stop (the earlier of `window_end` and `until`).
    no_stop_before: SimTime,
    /// Most chats open at once before the run is stopped as diverging.
    max_open: u64,
}

/// Runs replication `replication` of `scenario` and returns its results.
pub fn run_replication(scenario: &Scenario, replication: u32) -> (RepResult, LoopStats) {
    run_replication_with(scenario, replication, None)
}

/// [`run_replication`], reporting events and simulated time into `progress`.
pub fn run_replication_with(
    scenario: &Scenario,
    replication: u32,
    progress: Option<&Progress>,
) -> (RepResult, LoopStats) {
    let mut engine = Engine::new(scenario, replication).with_progress(progress);
    engine.run();
    let stats = engine.stats;
    (engine.finish(), stats)
}

impl<'s> Engine<'s, Router> {
    /// Replication `replication` of `sc` with the built-in router, set up
    /// at time 0 (agents, shifts, the first arrival).
    pub fn new(sc: &'s Scenario, replication: u32) -> Self {
        let router = Router::new(sc, stream_rng(sc.run.seed, replication, Stream::Routing));
        Self::with_dispatcher(sc, replication, router)
    }
}

impl<'s, D: Dispatcher> Engine<'s, D> {
    /// Replication `replication` of `sc` routed by `dispatcher`, set up at
    /// time 0 (agents, shifts, the first arrival).
    pub fn with_dispatcher(sc: &'s Scenario, replication: u32, dispatcher: D) -> Self {
        let seed = sc.run.seed;
        let s = |stream| stream_rng(seed, replication, stream);
        let groups = sc.groups.len();
        let b = &sc.buyers;
        let mut engine = Self {
            sc,
            queue: EventQueue::new(),
            agents: AgentPool::new(sc),
            router: dispatcher,
            commands: Vec::new(),
            convs: Conversations::default(),
            generator: ArrivalGenerator::new(&sc.arrivals),
            rng: Rngs {
                arrivals: s(Stream::Arrivals),
                buyers: s(Stream::Buyers),
                service: s(Stream::Service),
                patience: s(Stream::Patience),
                first_reply: s(Stream::FirstReply),
                transfers: s(Stream::Transfers),
                offers: s(Stream::Offers),
                population: s(Stream::Population),
                states: s(Stream::States),
                dialogue: s(Stream::Dialogue),
            },
            rec: Recorder::new(sc),
            state: StateCounters::default(),
            duty: vec![Duty::default(); sc.agents.len()],
            on_break: vec![0; groups],
            break_waiters: Vec::new(),
            membership: sc.membership_changes().then(|| Membership::at_start(sc)),
            counted_open: 0,
            next_token: 0,
            stats: LoopStats::default(),
            personal: groups,
            main: sc.main_account().map(|m| m as AgentId),
            tiers: sc.buyers.vip_tiers.len() as u8,
            recent_contacts: VecDeque::new(),
            population: b.private_share + b.direct_share + b.returning_share > 0.0,
            remember_contacts: b.returning_share > 0.0,
            menus: sc.has_menus(),
            transfers: sc.groups.iter().any(|g| g.transfer.is_some()),
            tracer: None,
            progress: None,
            dialogue: sc.service.dialogue(),
            talks: Vec::new(),
            talk_open: vec![Vec::new(); sc.agents.len()],
            typing: vec![None; sc.agents.len()],
            group_pos: group_positions(sc),
            stopped: None,
            violation_examples: Vec::new(),
            window_end: sc.run.measure_to(),
            until: SimTime::MAX,
            hard_stop: sc.run.measure_to() + DRAIN_LIMIT_MS,
            no_stop_before: sc.run.measure_to(),
            max_open: MAX_OPEN_BEYOND_CAPACITY
                + sc.agents
                    .iter()
                    .map(|a| u64::from(a.max_concurrent.max(sc.highest_cap(a.entry))))
                    .sum::<u64>(),
        };
        for agent in 0..sc.agents.len() as AgentId {
            engine.plan_first_shift(agent);
        }
        engine.schedule_next_arrival();
        // Only an entry's changes (cap, groups) are events; the router
        // applies policy and `nobody_online` changes itself.
        for (i, c) in sc.schedule.iter().enumerate() {
            if c.what.entry().is_some() {
                engine
                    .queue
                    .schedule(c.at, Event::Setting { index: i as u32 });
            }
        }
        engine
    }

    /// The groups `agent` serves now.
    #[inline]
    fn groups_of(&self, agent: AgentId) -> &[usize] {
        groups_now(self.sc, &self.membership, agent)
    }

    /// The agents serving `group` now, in id order.
    #[inline]
    fn members_of(&self, group: usize) -> &[usize] {
        match &self.membership {
            Some(m) => m.members(group),
            None => &self.sc.groups[group].members,
        }
    }

    /// Attaches an event log; the run stops at the tracer's `until`. Attach
    /// before running (events of time 0 set up in [`Engine::new`] are not logged).
    pub fn with_tracer(mut self, tracer: Tracer<'s>) -> Self {
        self.until = tracer.until;
        self.no_stop_before = self.window_end.min(self.until);
        self.tracer = Some(tracer);
        self
    }

    /// The dispatcher.
    pub fn dispatcher(&self) -> &D {
        &self.router
    }

    /// The dispatcher, to change (a live run's driver keeps its
    /// bookkeeping there).
    pub fn dispatcher_mut(&mut self) -> &mut D {
        &mut self.router
    }

    /// The time of the last event handled (0 before the first).
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// What the loop did so far.
    pub fn stats(&self) -> LoopStats {
        self.stats
    }

    /// Reports events and simulated time into `progress` as the run goes.
    pub(crate) fn with_progress(mut self, progress: Option<&'s Progress>) -> Self {
        self.progress = progress.map(|to| ProgressTap {
            to,
            events: 0,
            sim_ms: 0,
        });
        self
    }

    /// When the next event is due, or `None` when the run is over: the
    /// window has ended with no counted chat left, the tracer's `until` or
    /// the drain limit is reached, or nothing is left to happen.
    pub fn next_time(&mut self) -> Option<SimTime> {
        if self.stopped.is_some() {
            return None;
        }
        let t = self.queue.peek_time()?;
        self.stop_at(t).is_none().then_some(t)
    }

    /// Whether the run stops instead of handling an event at `t`, and when.
    #[inline]
    fn stop_at(&self, t: SimTime) -> Option<SimTime> {
        if t < self.no_stop_before {
            return None;
        }
        if (t >= self.window_end && self.counted_open == 0) || t >= self.until {
            return Some(t);
        }
        (t > self.hard_stop).then_some(self.hard_stop)
    }

    /// Handles the next event; returns its time, or `None` if the run is over.
    #[inline]
    pub fn step(&mut self) -> Option<SimTime> {
        if self.stopped.is_some() {
            return None;
        }
        let Some((now, event)) = self.queue.pop() else {
            self.stop(self.queue.now());
            return None;
        };
        if let Some(end) = self.stop_at(now) {
            self.stop(end);
            return None;
        }
        self.stats.events += 1;
        if self.stats.events.is_multiple_of(TAP_EVERY) {
            self.tap(now);
            if let Some(d) = self.diverging(now) {
                self.stats.diverged = 1;
                self.stats.divergence = Some(d);
                self.stop(now);
                return None;
            }
        }
        self.handle(now, event);
        Some(now)
    }

    /// Handles every event due before or at `t`; returns whether the run goes on.
    pub fn step_until(&mut self, t: SimTime) -> bool {
        while let Some(next) = self.next_time() {
            if next > t {
                return true;
            }
            self.step();
        }
        false
    }

    /// The shop-wide counters, to change them now: their integrals are
    /// brought up to now first. They are integrated over the time between
    /// changes, not at every event (most events change none); the sums are
    /// the same either way (see [`Recorder::advance`]). Every change goes
    /// through here (`tests/it/tidy.rs` checks).
    #[inline]
    fn state_mut(&mut self) -> &mut StateCounters {
        self.rec.advance(self.queue.now(), &self.state);
        &mut self.state
    }

    /// Runs the loop to its end; returns the time it stopped.
    pub fn run(&mut self) -> SimTime {
        while self.step().is_some() {}
        self.end()
    }

    /// Whether the replication's work has stopped being bounded (checked
    /// every [`TAP_EVERY`] events).
    #[cold]
    fn diverging(&self, now: SimTime) -> Option<Divergence> {
        let open = self.convs.live() as u64;
        if open > self.max_open {
            return Some(Divergence::Queue { open, at: now });
        }
        let days = now.div_ceil(crate::time::DAY_MS).max(1);
        let budget = EVENTS_BASE
            + EVENTS_PER_ARRIVAL * self.stats.arrivals
            + EVENTS_PER_AGENT_DAY * self.sc.agents.len() as u64 * days;
        (self.stats.events > budget).then_some(Divergence::Work {
            events: self.stats.events,
            arrivals: self.stats.arrivals,
            at: now,
        })
    }

    fn stop(&mut self, end: SimTime) {
        self.stopped = Some(end);
        self.tap(end);
    }

    /// When the run stopped, or the current time if it has not.
    fn end(&self) -> SimTime {
        self.stopped.unwrap_or_else(|| self.queue.now())
    }

    /// Applies a routing command now, as if the dispatcher had answered it
    /// (a decision that arrives from outside, e.g. asynchronously). It is
    /// checked first and refused if it cannot apply.
    pub fn inject(&mut self, command: Command) -> Result<(), Refused> {
        let now = self.queue.now();
        self.check(&command)?;
        self.apply(command, now);
        Ok(())
    }

    /// Applies an answer that came from outside at simulated time `t` (a
    /// live run: the routing service's decision arrives when it arrives):
    /// the clock moves to `t` (clamped between now and the next event),
    /// each command is judged like a routing service's and refused (counted,
    /// the chat falls back to its queue) or applied, and with `more` the
    /// dispatcher is told `Continue`. The rules of refused commands are
    /// pushed to `refused`; returns the time applied at.
    pub fn apply_answer(
        &mut self,
        t: SimTime,
        commands: &[Command],
        more: bool,
        refused: &mut Vec<Rule>,
    ) -> SimTime {
        if self.stopped.is_some() {
            return self.now();
        }
        let now = self.queue.advance_to(t);
        for command in commands {
            match self.judge(command) {
                Err(rule) => {
                    self.refuse(command, rule, now);
                    refused.push(rule);
                    self.route_again(command, now);
                }
                Ok(()) => self.apply(*command, now),
            }
        }
        if more {
            self.dispatch(Notice::Continue, now);
        }
        now
    }

    /// After a refused assignment or offer from outside, a chat that still
    /// waits is routed again: the dispatcher is told `Rerouted` (its
    /// decision came too late — the agent filled up or left meanwhile).
    fn route_again(&mut self, command: &Command, now: SimTime) {
        let (Command::Assign { chat, .. } | Command::Offer { chat, .. }) = *command else {
            return;
        };
        let waits = self.convs.try_get(chat.slot).is_some_and(|c| {
            c.token == chat.id && !c.offline && matches!(c.state, ConvState::Queued { .. })
        });
        if waits {
            let info = self.chat_info(chat.slot);
            self.dispatch(Notice::Rerouted(info), now);
        }
    }

    /// Reports events and simulated time (up to the run's end) since the last report.
    fn tap(&mut self, now: SimTime) {
        use std::sync::atomic::Ordering::Relaxed;
        let Some(p) = &mut self.progress else { return };
        let sim = now.min(self.sc.run.duration);
        p.to.events.fetch_add(self.stats.events - p.events, Relaxed);
        p.to.simulated_ms
            .fetch_add(sim.saturating_sub(p.sim_ms), Relaxed);
        p.events = self.stats.events;
        p.sim_ms = p.sim_ms.max(sim);
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

    fn handle(&mut self, now: SimTime, event: Event) {
        match event {
            Event::Arrival { entry } => self.on_arrival(entry, now),
            Event::Patience { conv } => self.on_patience(conv, now),
            Event::ChatWake { conv } => self.on_chat_wake(conv, now),
            Event::ChatEnd { agent } => self.on_chat_end(agent, now),
            Event::ShiftStart { agent } => self.start_shift(agent, now),
            Event::ShiftEnd { agent } => self.end_shift(agent, now),
            Event::BreakDue { agent, index } => self.on_break_due(agent, index, now),
            Event::BreakEnd { agent } => self.end_break(agent, now),
            Event::EpisodeDue { agent } => self.on_episode_due(agent, now),
            Event::EpisodeEnd { agent } => self.end_episode(agent, now),
            Event::Transfer { conv } => self.on_transfer_due(conv, now),
            Event::OfferEnd { conv, outcome } => self.on_offer_end(conv, outcome, now),
            Event::BuyerMessage { conv } => self.on_buyer_message(conv, now),
            Event::ReplyDone { agent } => self.on_reply_done(agent, now),
            Event::SessionTimeout { conv } => self.on_session_timeout(conv, now),
            Event::Wake { tag } => self.dispatch(crate::routing::Notice::Wake { tag }, now),
            Event::Setting { index } => self.apply_setting(index as usize, now),
            Event::Overload { agent } => self.on_overload(agent, now),
        }
    }

    /// Closes the books: what is still open is reported as unfinished.
    pub fn finish(mut self) -> RepResult {
        let stop = self.end().max(self.sc.run.measure_to());
        self.close_open_chats(stop);
        let mut result = self.rec.finish(self.sc, &self.agents, &self.state);
        result.router_examples = std::mem::take(&mut self.violation_examples);
        result
    }
}

/// The flat table of [`Engine::group_pos`].
fn group_positions(sc: &Scenario) -> Vec<u16> {
    let n = sc.groups.len();
    let mut table = vec![u16::MAX; sc.agents.len() * n];
    for (i, a) in sc.agents.iter().enumerate() {
        for (pos, &g) in a.groups.iter().enumerate() {
            let cell = &mut table[i * n + g];
            if *cell == u16::MAX {
                *cell = u16::try_from(pos).unwrap_or(u16::MAX - 1);
            }
        }
    }
    table
}
