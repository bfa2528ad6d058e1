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

use std::collections::VecDeque;

use rand::RngExt;
use rand_distr::{Distribution as _, Open01};

use crate::agents::{AgentId, AgentPool, Presence};
use crate::arrivals::{ArrivalGenerator, EntryPoint};
use crate::conversation::{ConvState, Conversation, Conversations};
use crate::kernel::{EventQueue, Stream, StreamRng, TimerId, stream_rng};
use crate::metrics::platform::Pending;
use crate::metrics::{GOLDEN_MS, OfflineCause, Recorder, RepResult, StateCounters};
use crate::routing::{
    BuyerKind, ChatRequest, Class, Decision, Reason, Router, Waiting, WaitingQueue,
};
use crate::scenario::{
    Dialogue, EpisodeState, NobodyOnline, Scenario, ShiftEnd, TransferAfter, Variant,
};
use crate::shifts::Instance;
use crate::time::{DAY_MS, HOUR_MS, SimTime};
use crate::trace::{Candidate, Outcome, TraceEvent, Tracer};

/// How long after the measured window the loop keeps following counted chats.
pub const DRAIN_LIMIT_MS: SimTime = 7 * DAY_MS;

/// Most recent assignments remembered for returning buyers.
const RECENT_CONTACTS_LIMIT: usize = 1 << 20;

/// Events of the simulation (kernel payload).
#[derive(Debug, Clone, Copy)]
enum Event {
    /// The next buyer arrives, from this entry point.
    Arrival { entry: EntryPoint },
    /// A queued buyer's patience runs out.
    Patience { conv: u32 },
    /// A queued chat moves to its group's overflow group.
    Overflow { conv: u32 },
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
    /// Offer variants: the agent answers an offer (0 accept, 1 decline) or it times out (2).
    OfferEnd { conv: u32, outcome: u8 },
    /// Dialogue model: the buyer's next message.
    BuyerMessage { conv: u32 },
    /// Dialogue model: an agent finished typing a reply.
    ReplyDone { agent: AgentId },
    /// Dialogue model: the inactivity timeout closes a session.
    SessionTimeout { conv: u32 },
    /// Drain the queue after agents came on shift at this instant.
    Drain,
    /// The fairness limiter releases an agent: drain the queue.
    LimiterWake,
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

/// Dialogue model: one conversation's progress (by conversation slot).
#[derive(Debug, Clone, Default)]
struct Talk {
    /// Rounds not yet started.
    rounds_left: u32,
    /// Messages of the current round still to come.
    msgs_left: u32,
    /// The buyer's messages waiting for a reply.
    pending: Pending,
    /// Next buyer message or inactivity timeout.
    timer: Option<TimerId>,
    /// A human has replied at least once.
    replied: bool,
    /// Replies that closed a round.
    rounds_replied: u32,
    /// A time-based transfer came while the agent was typing this chat's
    /// reply: it happens right after that reply.
    transfer_after_reply: bool,
}

/// Per-agent duty bookkeeping.
#[derive(Clone, Copy)]
struct Duty {
    shift: Option<Instance>,
    break_timer: Option<TimerId>,
    /// Timer of the next random state change, or of the end of the current one.
    episode_timer: Option<TimerId>,
    /// In a random state change.
    in_episode: bool,
    /// Suspended because it reached `suspend_at_open` open chats.
    auto_suspended: bool,
}

/// Where a replication reports how far it has got (every [`TAP_EVERY`] events).
struct ProgressTap<'a> {
    to: &'a crate::replicate::Progress,
    /// Events and simulated time already reported.
    events: u64,
    sim_ms: u64,
}

/// Events between two progress reports.
const TAP_EVERY: u64 = 1 << 16;

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
    limiter_wake: Option<SimTime>,
    counted_open: u64,
    next_token: u64,
    stats: LoopStats,
    /// Per queue: nobody can take its head right now (within one drain).
    blocked: Vec<bool>,
    /// `0..queues`, for draining every queue.
    all_queues: Vec<usize>,
    /// Per agent: the queues it can serve when a slot frees.
    drain_sets: Vec<Vec<usize>>,
    /// Index of the main account's own queue (private contacts).
    personal: usize,
    main: Option<AgentId>,
    /// `(assigned at, agent)` of recent assignments, for returning buyers.
    recent_contacts: VecDeque<(SimTime, AgentId)>,
    /// Whether any buyer can be private, direct or returning.
    population: bool,
    /// Whether returning buyers exist (assignments are remembered).
    remember_contacts: bool,
    /// Whether any entry has a pre-routing menu.
    menus: bool,
    /// Whether routed chats are offered (offer variants).
    offers: bool,
    /// Whether any group transfers chats.
    transfers: bool,
    /// Taobao's main-account fallback is on: presence changes may let queued chats go to main.
    main_fallback: bool,
    tracer: Option<Tracer<'s>>,
    progress: Option<ProgressTap<'s>>,
    /// Dialogue model: parameters, conversations by slot, open chats and typing per agent.
    dialogue: Option<&'s Dialogue>,
    talks: Vec<Talk>,
    talk_open: Vec<Vec<u32>>,
    typing: Vec<Option<(u32, SimTime)>>,
}

/// Runs replication `replication` of `scenario` and returns its results.
pub fn run_replication(scenario: &Scenario, replication: u32) -> (RepResult, LoopStats) {
    run_replication_with(scenario, replication, None)
}

/// [`run_replication`], reporting events and simulated time into `progress`.
pub fn run_replication_with(
    scenario: &Scenario,
    replication: u32,
    progress: Option<&crate::replicate::Progress>,
) -> (RepResult, LoopStats) {
    let mut engine = Engine::new(scenario, replication);
    engine.progress = progress.map(|to| ProgressTap {
        to,
        events: 0,
        sim_ms: 0,
    });
    let end = engine.run();
    engine.tap(end);
    let stats = engine.stats;
    (engine.finish(end), stats)
}

impl<'s> Engine<'s> {
    /// Sets up agents, shifts and the first arrival at time 0.
    pub fn new(sc: &'s Scenario, replication: u32) -> Self {
        let seed = sc.run.seed;
        let s = |stream| stream_rng(seed, replication, stream);
        let groups = sc.groups.len();
        let personal = groups;
        let main = sc.main_account().map(|m| m as AgentId);
        let drain_sets = sc
            .agents
            .iter()
            .map(|a| {
                let mut set =
                    if a.main_account && sc.routing.nobody_online == NobodyOnline::MainAccount {
                        (0..groups).collect()
                    } else {
                        a.groups.clone()
                    };
                if a.main_account {
                    set.push(personal);
                }
                set
            })
            .collect();
        let b = &sc.buyers;
        let mut engine = Self {
            sc,
            queue: EventQueue::new(),
            agents: AgentPool::new(sc),
            router: Router::new(sc, s(Stream::Routing)),
            waiting: WaitingQueue::new(
                groups + 1,
                sc.routing.queue_order,
                sc.buyers.vip_tiers.len() as u8,
            ),
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
            duty: vec![
                Duty {
                    shift: None,
                    break_timer: None,
                    episode_timer: None,
                    in_episode: false,
                    auto_suspended: false,
                };
                sc.agents.len()
            ],
            on_break: vec![0; groups],
            break_waiters: Vec::new(),
            drain_scheduled: false,
            limiter_wake: None,
            counted_open: 0,
            next_token: 0,
            stats: LoopStats::default(),
            blocked: vec![false; groups + 1],
            all_queues: (0..=groups).collect(),
            drain_sets,
            personal,
            main,
            recent_contacts: VecDeque::new(),
            population: b.private_share + b.direct_share + b.returning_share > 0.0,
            remember_contacts: b.returning_share > 0.0,
            menus: sc.has_menus(),
            offers: sc.routing.variant.offer().is_some(),
            transfers: sc.groups.iter().any(|g| g.transfer.is_some()),
            main_fallback: sc.routing.nobody_online == NobodyOnline::MainAccount,
            tracer: None,
            progress: None,
            dialogue: sc.service.dialogue(),
            talks: Vec::new(),
            talk_open: vec![Vec::new(); sc.agents.len()],
            typing: vec![None; sc.agents.len()],
        };
        for agent in 0..sc.agents.len() as AgentId {
            engine.plan_first_shift(agent);
        }
        engine.schedule_next_arrival();
        engine
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

    /// Attaches an event log; the run stops at the tracer's `until`. Attach
    /// before running (events of time 0 set up in [`Engine::new`] are not logged).
    pub fn with_tracer(mut self, tracer: Tracer<'s>) -> Self {
        self.tracer = Some(tracer);
        self
    }

    /// Logs an event about conversation `conv` and `agents` if a tracer wants it.
    #[inline]
    fn trace(
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
    fn trace_route(&mut self, conv: u32, outcome: Outcome, now: SimTime) {
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
            self.router.members(c.queue).to_vec()
        };
        let mut involved = members.clone();
        if let Outcome::Assigned { agent, .. } = outcome {
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
        let until = self.tracer.as_ref().map_or(SimTime::MAX, |t| t.until);
        while let Some((now, event)) = self.queue.pop() {
            if (now >= window_end && self.counted_open == 0) || now >= until {
                return now;
            }
            if now > hard_stop {
                return hard_stop;
            }
            self.stats.events += 1;
            if self.stats.events.is_multiple_of(TAP_EVERY) {
                self.tap(now);
            }
            self.rec.advance(now, &self.state);
            self.handle(now, event);
            self.state.queue_len = self.waiting.buyers() as u64;
            self.state.offline_pending = self.waiting.offline() as u64;
        }
        self.queue.now()
    }

    fn handle(&mut self, now: SimTime, event: Event) {
        match event {
            Event::Arrival { entry } => self.on_arrival(entry, now),
            Event::Patience { conv } => self.on_patience(conv, now),
            Event::Overflow { conv } => self.on_overflow(conv, now),
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
            Event::Drain => {
                self.drain_scheduled = false;
                self.drain_all(now);
            }
            Event::LimiterWake => {
                if self.limiter_wake == Some(now) {
                    self.limiter_wake = None;
                }
                self.drain_all(now);
            }
        }
    }

    fn drain_all(&mut self, now: SimTime) {
        let all = std::mem::take(&mut self.all_queues);
        self.drain(&all, now);
        self.all_queues = all;
    }

    /// Who the buyer is: private contact, addressing an agent of the group,
    /// returning to a recent agent, or new (population stream).
    fn draw_kind(&mut self, group: usize, now: SimTime) -> BuyerKind {
        if !self.population {
            return BuyerKind::New;
        }
        let b = &self.sc.buyers;
        let u: f64 = Open01.sample(&mut self.rng.population);
        let v: f64 = self.rng.population.random();
        if u < b.private_share {
            return BuyerKind::Private;
        }
        if u < b.private_share + b.direct_share {
            let members = self.router.members(group);
            let k = ((v * members.len() as f64) as usize).min(members.len() - 1);
            return BuyerKind::Direct(members[k]);
        }
        if u < b.private_share + b.direct_share + b.returning_share {
            let horizon = now.saturating_sub(b.recency);
            while self
                .recent_contacts
                .front()
                .is_some_and(|&(t, _)| t < horizon)
            {
                self.recent_contacts.pop_front();
            }
            let n = self.recent_contacts.len();
            if n > 0 {
                let k = ((v * n as f64) as usize).min(n - 1);
                return BuyerKind::Returning(self.recent_contacts[k].1);
            }
        }
        BuyerKind::New
    }

    fn on_arrival(&mut self, entry: EntryPoint, now: SimTime) {
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
        let vip = tier > 0;

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
            entry,
            group,
            queue: group,
            kind,
            offline: false,
            served: false,
            transfer: false,
            transfer_timer: None,
            excluded: Vec::new(),
            parked: false,
            tier,
            interval: iv,
            work_ms,
            first_reply_ms,
            state: ConvState::Queued {
                patience: None,
                overflow: None,
                class: self.waiting.normal(),
            },
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
            vip,
            kind,
            counted: iv.is_some(),
        });
        if self.dialogue.is_some() {
            let slot = conv as usize;
            if self.talks.len() <= slot {
                self.talks.resize_with(slot + 1, Talk::default);
            }
            self.talks[slot] = Talk {
                rounds_left: rounds,
                ..Talk::default()
            };
            self.on_buyer_message(conv, now);
        }
        let request = ChatRequest { group, kind };
        // A new chat never overtakes chats already waiting in its group. After
        // every handler a group with waiting chats has no eligible agent (chat
        // ends and break ends drain at once); agents coming on shift wait for
        // the one `Drain` event at that instant, which serves the queue in order.
        // Private, direct and returning buyers do not go through the group queue.
        let decision = if kind == BuyerKind::New && self.waiting.buyers_in(group) > 0 {
            self.router.no_agent(group, &mut self.agents)
        } else {
            self.router.route(&request, &mut self.agents, now)
        };
        let offers = self.offers;
        match decision {
            Decision::Assign { agent, reason } if offers && routed(reason) => {
                self.start_waiting(conv, group, patience_ms, now);
                self.offer(conv, agent, reason, now);
            }
            Decision::Assign { agent, reason } => self.assign(conv, agent, reason, now),
            Decision::Queue if matches!(sc.routing.variant, Variant::ChatwootV1) => {
                // Chatwoot v1: everyone was full, so the chat is left unassigned for good.
                self.start_waiting(conv, group, patience_ms, now);
                let c = self.convs.get_mut(conv);
                c.parked = true;
                // It is in no queue, so it cannot overflow either.
                if let ConvState::Queued { overflow, .. } = &mut c.state
                    && let Some(timer) = overflow.take()
                {
                    self.queue.cancel(timer);
                }
                if iv.is_some() {
                    self.rec.on_left_unassigned();
                }
            }
            Decision::Queue => {
                let full = sc
                    .routing
                    .max_queue
                    .is_some_and(|m| self.waiting.buyers() >= m as usize);
                if full {
                    self.leave_offline_message(conv, group, OfflineCause::QueueFull, now);
                } else {
                    self.enqueue(conv, group, patience_ms, now);
                    if offers || self.main_fallback {
                        // Chats ahead may wait only for agents that declined them.
                        self.drain(&[group], now);
                    }
                }
            }
            Decision::Offline => {
                self.leave_offline_message(conv, group, OfflineCause::NobodyOnline, now)
            }
            Decision::ForMain { offline: true } => {
                self.leave_offline_message(conv, self.personal, OfflineCause::MainOffline, now)
            }
            Decision::ForMain { offline: false } => {
                self.enqueue(conv, self.personal, patience_ms, now)
            }
        }
        self.schedule_next_arrival();
    }

    /// Puts a live buyer in queue `q` (VIP or normal class), with its
    /// patience and overflow timers.
    fn enqueue(&mut self, conv: u32, q: usize, patience_ms: Option<SimTime>, now: SimTime) {
        let class = self.start_waiting(conv, q, patience_ms, now);
        let c = self.convs.get(conv);
        let (token, arrived_at) = (c.token, c.arrived_at);
        self.waiting.push(
            q,
            class,
            Waiting {
                conv,
                token,
                at: arrived_at,
            },
        );
        self.trace_route(conv, Outcome::Queued { queue: q, class }, now);
        self.wake_for_limiter(q, now);
    }

    /// The buyer starts waiting live for queue `q`: its class, patience and
    /// overflow timers (without putting it in the queue).
    fn start_waiting(
        &mut self,
        conv: u32,
        q: usize,
        patience_ms: Option<SimTime>,
        now: SimTime,
    ) -> Class {
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
        let overflow = self.overflow_timer(conv, q, now);
        let class = self.waiting.class_of(tier);
        let c = self.convs.get_mut(conv);
        c.queue = q;
        c.state = ConvState::Queued {
            patience,
            overflow,
            class,
        };
        class
    }

    fn overflow_timer(&mut self, conv: u32, q: usize, now: SimTime) -> Option<TimerId> {
        let (_, after) = self.sc.groups.get(q)?.overflow?;
        Some(
            self.queue
                .schedule_timer(now.saturating_add(after), Event::Overflow { conv }),
        )
    }

    /// Makes the chat an offline message in queue `q` (no timers: nobody waits live).
    fn leave_offline_message(&mut self, conv: u32, q: usize, cause: OfflineCause, now: SimTime) {
        let c = self.convs.get_mut(conv);
        c.offline = true;
        c.excluded.clear();
        c.queue = q;
        c.state = ConvState::Queued {
            patience: None,
            overflow: None,
            class: self.waiting.offline_class(),
        };
        let w = Waiting {
            conv,
            token: c.token,
            at: c.arrived_at,
        };
        if let Some(iv) = c.interval {
            self.rec.on_offline(iv, cause);
        }
        self.waiting.push(q, self.waiting.offline_class(), w);
        if self.dialogue.is_some() {
            // The buyer left a message and is gone: one reply is owed, nothing more comes.
            let arrived_at = w.at;
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

    fn assign(&mut self, conv: u32, agent: AgentId, reason: Reason, now: SimTime) {
        self.trace_route(conv, Outcome::Assigned { agent, reason }, now);
        let c = self.convs.get_mut(conv);
        if let ConvState::Queued {
            patience, overflow, ..
        } = c.state
        {
            for timer in [patience, overflow].into_iter().flatten() {
                self.queue.cancel(timer);
            }
        }
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
        let agent_groups = &self.sc.agents[agent as usize].groups;
        let group_pos = agent_groups
            .iter()
            .position(|&g| g == served_in)
            .or_else(|| agent_groups.iter().position(|&g| g == group));
        self.rec.on_assigned(agent as usize, group_pos, now);
        self.state.sessions += 1;
        if a.presence.on_shift() {
            self.state.sessions_on_shift += 1;
        }
        self.router.on_assigned(agent, now);
        if self.remember_contacts {
            if self.recent_contacts.len() == RECENT_CONTACTS_LIMIT {
                self.recent_contacts.pop_front();
            }
            self.recent_contacts.push_back((now, agent));
        }
        let served_in = self.convs.get(conv).queue;
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
    }

    // ---- Offer variants (Omni-Channel, TaskRouter) ----

    /// Gives a routed chat to `agent`: at once, or as an offer in the offer variants.
    fn give(&mut self, conv: u32, agent: AgentId, reason: Reason, now: SimTime) {
        // Offline messages are picked up from the list, not pushed as offers.
        if self.offers && routed(reason) && !self.convs.get(conv).offline {
            self.offer(conv, agent, reason, now);
        } else {
            self.assign(conv, agent, reason, now);
        }
    }

    /// Offers a waiting chat to `agent`, reserving one of its slots; the
    /// answer (accept, decline) or the timeout is drawn now and delivered later.
    fn offer(&mut self, conv: u32, agent: AgentId, reason: Reason, now: SimTime) {
        let o = self
            .sc
            .routing
            .variant
            .offer()
            .expect("offer variants only");
        let ConvState::Queued {
            patience,
            overflow,
            class,
        } = self.convs.get(conv).state
        else {
            unreachable!("only waiting chats are offered");
        };
        if let Some(timer) = overflow {
            self.queue.cancel(timer);
        }
        let response = o.response.sample_ms(&mut self.rng.offers);
        let u: f64 = Open01.sample(&mut self.rng.offers);
        let (delay, outcome) = if response <= o.timeout as f64 {
            (response.round() as SimTime, u8::from(u >= o.accept))
        } else {
            (o.timeout, 2)
        };
        let timer = self
            .queue
            .schedule_timer(now.saturating_add(delay), Event::OfferEnd { conv, outcome });
        self.agents.reserve(agent, 1);
        self.trace_route(conv, Outcome::Offered { agent, reason }, now);
        self.convs.get_mut(conv).state = ConvState::Offered {
            agent,
            patience,
            offer: timer,
            class,
            reason,
        };
    }

    fn on_offer_end(&mut self, conv: u32, outcome: u8, now: SimTime) {
        let c = self.convs.get(conv);
        let ConvState::Offered {
            agent,
            patience,
            class,
            reason,
            ..
        } = c.state
        else {
            unreachable!("offer timers are cancelled when the buyer leaves");
        };
        let (token, q, counted) = (c.token, c.queue, c.interval.is_some());
        self.agents.reserve(agent, -1);
        let a = self.agents.get(agent);
        // An agent who went off shift or on a break meanwhile cannot take it.
        let can_take =
            matches!(a.presence, Presence::Online | Presence::Suspended) && a.load() < a.cap;
        let accepted = outcome == 0 && can_take;
        if counted {
            self.rec.on_offer(outcome);
        }
        self.trace(Some(token), &[agent], |_| TraceEvent::OfferAnswer {
            t: now,
            conv: token,
            agent,
            outcome,
        });
        self.convs.get_mut(conv).state = ConvState::Queued {
            patience,
            overflow: None,
            class,
        };
        if accepted {
            self.assign(conv, agent, reason, now);
            return;
        }
        if matches!(self.sc.routing.variant, Variant::OmniChannel(_)) || outcome == 0 {
            self.convs.get_mut(conv).excluded.push(agent);
        }
        // Back in the queue: overflow counts from now.
        let overflow = self.overflow_timer(conv, q, now);
        if let ConvState::Queued { overflow: o, .. } = &mut self.convs.get_mut(conv).state {
            *o = overflow;
        }
        let at = self.convs.get(conv).arrived_at;
        self.waiting
            .push_front(q, class, Waiting { conv, token, at });
        self.drain(&[q], now);
        self.drain_for(agent, now);
    }

    // ---- Transfers ----

    fn cancel_transfer(&mut self, conv: u32) {
        let c = self.convs.get_mut(conv);
        c.transfer = false;
        if let Some(timer) = c.transfer_timer.take() {
            self.queue.cancel(timer);
        }
    }

    /// A time-based transfer is due. In the dialogue model, a reply being
    /// typed for this chat is finished first.
    fn on_transfer_due(&mut self, conv: u32, now: SimTime) {
        self.convs.get_mut(conv).transfer_timer = None;
        let ConvState::InService { agent, .. } = self.convs.get(conv).state else {
            unreachable!("transfer timers are cancelled when the chat ends");
        };
        if self.dialogue.is_some() && self.typing[agent as usize].is_some_and(|(c, _)| c == conv) {
            self.talks[conv as usize].transfer_after_reply = true;
            return;
        }
        self.transfer(conv, now);
    }

    /// The agent of `group` a transfer goes to: online (or on a break if
    /// allowed), never suspended, under its cap unless allowed; fewest open
    /// chats, then longest since last assignment, then lower id.
    fn transfer_target(&self, group: usize, from: AgentId) -> Option<AgentId> {
        let r = &self.sc.routing;
        self.router
            .members(group)
            .iter()
            .copied()
            .filter(|&id| id != from)
            .filter(|&id| {
                let a = self.agents.get(id);
                let state_ok = match a.presence {
                    Presence::Online => true,
                    Presence::Break => r.transfer_to_break,
                    Presence::Busy | Presence::Suspended | Presence::Offline => false,
                };
                state_ok && (r.transfer_exceeds_cap || a.load() < a.cap)
            })
            .min_by_key(|&id| {
                let a = self.agents.get(id);
                (a.open, a.last_assigned_at.map_or(0, |t| t + 1), id)
            })
    }

    /// Moves the chat, with its history, to an agent of its group's transfer
    /// target; an unanswered round at that moment is charged to the source.
    fn transfer(&mut self, conv: u32, now: SimTime) {
        let c = self.convs.get(conv);
        let ConvState::InService { agent: from, since } = c.state else {
            return;
        };
        let (token, iv, arrived_at, served_in) = (c.token, c.interval, c.arrived_at, c.queue);
        let Some(tr) = self.sc.groups.get(served_in).and_then(|g| g.transfer) else {
            return;
        };
        self.convs.get_mut(conv).transfer = false;
        let target = self.transfer_target(tr.to, from);
        if iv.is_some() {
            self.rec
                .on_transfer(from as usize, target.map(|t| t as usize));
        }
        self.trace(Some(token), &[from], |_| TraceEvent::Transfer {
            t: now,
            conv: token,
            from,
            to: target,
            group: tr.to,
        });
        let Some(to) = target else { return };
        for id in [from, to] {
            let a = self.agents.get(id);
            self.rec.agent_advance(id as usize, now, a.open, a.presence);
        }
        if self.agents.get(from).presence.on_shift() {
            self.state.sessions_on_shift -= 1;
        }
        if self.agents.get(to).presence.on_shift() {
            self.state.sessions_on_shift += 1;
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
        c.queue = tr.to;
        c.state = ConvState::InService { agent: to, since };
        self.maybe_type(to, now);
        self.after_slot_freed(from, now);
    }

    // ---- Dialogue model ----

    /// The buyer of `conv` sends a message: the first of a new round if the
    /// previous round is complete.
    fn on_buyer_message(&mut self, conv: u32, now: SimTime) {
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
    fn unanswered_round(&mut self, conv: u32, _now: SimTime) {
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
        let a = self.agents.get(agent);
        match a.presence {
            Presence::Break => false,
            Presence::Offline => !a.frozen,
            Presence::Online | Presence::Busy | Presence::Suspended => true,
        }
    }

    /// If the agent is free to type, starts the reply to its longest-waiting
    /// chat (golden 2-minute chats without a first reply first, if enabled).
    fn maybe_type(&mut self, agent: AgentId, now: SimTime) {
        let Some(d) = self.dialogue else { return };
        if self.typing[agent as usize].is_some() || !self.can_type(agent) {
            return;
        }
        let golden = self.sc.routing.golden_priority;
        let next = self.talk_open[agent as usize]
            .iter()
            .filter_map(|&conv| {
                let t = &self.talks[conv as usize];
                let since = t.pending.since()?;
                let token = self.convs.get(conv).token;
                Some((reply_order(since, t.replied, token, now, golden), conv))
            })
            .min();
        let Some((_, conv)) = next else { return };
        let a = self.agents.get(agent);
        let k = (a.open as usize).clamp(1, self.sc.service.slowdown.len().max(1));
        let factor = self.sc.service.slowdown.get(k - 1).copied().unwrap_or(1.0)
            / self.sc.agents[agent as usize].speed;
        let ms = (d.typing.sample_ms(&mut self.rng.dialogue) * factor).round() as SimTime;
        self.typing[agent as usize] = Some((conv, now));
        self.queue
            .schedule(now.saturating_add(ms.max(1)), Event::ReplyDone { agent });
    }

    fn on_reply_done(&mut self, agent: AgentId, now: SimTime) {
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
        self.talks[slot].pending = Pending::default();
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
            self.transfer(conv, now);
        }
        self.maybe_type(agent, now);
    }

    fn on_session_timeout(&mut self, conv: u32, now: SimTime) {
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
    fn close_conversation(&mut self, conv: u32, agent: AgentId, on_shift: bool, now: SimTime) {
        self.state.sessions -= 1;
        if on_shift {
            self.state.sessions_on_shift -= 1;
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
    fn after_slot_freed(&mut self, agent: AgentId, now: SimTime) {
        let a = self.agents.get(agent);
        let limit = self.sc.agents[agent as usize].suspend_at;
        if self.duty[agent as usize].auto_suspended
            && a.presence == Presence::Suspended
            && limit.is_none_or(|n| a.open < n)
        {
            self.settle_online(agent, now);
        }
        self.drain_for(agent, now);
    }

    /// Drains the queues `agent` serves if it may take a chat from them now.
    fn drain_for(&mut self, agent: AgentId, now: SimTime) {
        let a = self.agents.get(agent);
        if a.presence.on_shift() && a.load() < a.cap && !self.waiting.is_empty() {
            let sets = std::mem::take(&mut self.drain_sets);
            self.drain(&sets[agent as usize], now);
            self.drain_sets = sets;
        }
    }

    fn on_patience(&mut self, conv: u32, now: SimTime) {
        let c = self.convs.get(conv);
        let (q, interval, arrived_at, token, parked, group) = (
            c.queue,
            c.interval,
            c.arrived_at,
            c.token,
            c.parked,
            c.group,
        );
        let mut released = None;
        match c.state {
            ConvState::Queued {
                overflow, class, ..
            } => {
                if let Some(timer) = overflow {
                    self.queue.cancel(timer);
                }
                if !parked {
                    self.waiting.forget(q, class);
                }
            }
            ConvState::Offered { agent, offer, .. } => {
                self.queue.cancel(offer);
                self.agents.reserve(agent, -1);
                released = Some(agent);
            }
            ConvState::InService { .. } | ConvState::Done => {
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
        if self.sc.routing.abandon_to_offline {
            self.convs.get_mut(conv).parked = false;
            self.leave_offline_message(conv, q, OfflineCause::Abandoned, now);
        } else {
            if interval.is_some() {
                self.counted_open -= 1;
            }
            self.convs.remove(conv);
        }
        if let Some(agent) = released {
            self.drain_for(agent, now);
        }
    }

    fn on_overflow(&mut self, conv: u32, now: SimTime) {
        let c = self.convs.get(conv);
        let ConvState::Queued {
            patience, class, ..
        } = c.state
        else {
            unreachable!("overflow timers are cancelled when the chat leaves the queue");
        };
        let from = c.queue;
        let Some((to, _)) = self.sc.groups[from].overflow else {
            return;
        };
        self.waiting.forget(from, class);
        let w = Waiting {
            conv,
            token: c.token,
            at: c.arrived_at,
        };
        if c.interval.is_some() {
            self.rec.on_overflowed();
        }
        let token = c.token;
        self.trace(Some(token), &[], |_| TraceEvent::Overflow {
            t: now,
            conv: token,
            from,
            to,
        });
        let overflow = self.overflow_timer(conv, to, now);
        let c = self.convs.get_mut(conv);
        c.queue = to;
        c.state = ConvState::Queued {
            patience,
            overflow,
            class,
        };
        self.waiting.push(to, class, w);
        self.drain(&[to], now);
    }

    /// Assigns waiting chats of `queues` in the shop-wide order (golden
    /// 2-minute overdue first if enabled, then VIP, then other buyers, then
    /// offline messages) while someone can take them.
    fn drain(&mut self, queues: &[usize], now: SimTime) {
        if self.waiting.is_empty() {
            return;
        }
        let overdue_at = if self.sc.routing.golden_priority {
            now.checked_sub(GOLDEN_MS)
        } else {
            None
        };
        let mut set_aside: Vec<(usize, crate::routing::Head)> = Vec::new();
        loop {
            let mut best: Option<(crate::routing::Head, usize)> = None;
            for &q in queues {
                if self.blocked[q] {
                    continue;
                }
                let convs = &self.convs;
                let live = |w: Waiting, class| convs.is_queued(w.conv, w.token, q, class);
                let Some(head) = self.waiting.head(q, live, overdue_at) else {
                    continue;
                };
                if best.is_none_or(|(b, _)| head.key < b.key) {
                    best = Some((head, q));
                }
            }
            let Some((head, q)) = best else { break };
            let conv = head.entry.conv;
            let excluded = if self.offers {
                std::mem::take(&mut self.convs.get_mut(conv).excluded)
            } else {
                Vec::new()
            };
            let target = if q == self.personal {
                self.main
                    .filter(|&m| {
                        let a = self.agents.get(m);
                        a.presence.on_shift() && a.load() < a.cap
                    })
                    .map(|m| (m, Reason::Private))
            } else {
                self.router
                    .route_group_excluding(q, &mut self.agents, now, &excluded)
            };
            let has_exclusions = !excluded.is_empty();
            if self.offers {
                self.convs.get_mut(conv).excluded = excluded;
            }
            match target {
                Some((agent, reason)) => {
                    self.waiting.take(q, &head);
                    self.give(conv, agent, reason, now);
                }
                None if has_exclusions => {
                    // Only agents that declined it are free: let the chats behind it go first.
                    self.waiting.take(q, &head);
                    set_aside.push((q, head));
                }
                None => {
                    self.blocked[q] = true;
                    self.wake_for_limiter(q, now);
                }
            }
        }
        for &q in queues {
            self.blocked[q] = false;
        }
        for (q, head) in set_aside.into_iter().rev() {
            self.waiting.push_front(q, head.class, head.entry);
        }
    }

    /// Under the fairness limiter, makes sure the queue is drained again
    /// when an agent of group `q` is released.
    fn wake_for_limiter(&mut self, q: usize, now: SimTime) {
        if self.sc.routing.fairness.is_none() || q >= self.sc.groups.len() {
            return;
        }
        if let Some(t) = self.router.next_release(q, &self.agents, now)
            && self.limiter_wake.is_none_or(|w| w < now || w > t)
        {
            self.limiter_wake = Some(t);
            self.queue.schedule(t, Event::LimiterWake);
        }
    }

    fn set_presence(&mut self, agent: AgentId, presence: Presence, now: SimTime) {
        let a = self.agents.get(agent);
        self.rec
            .agent_advance(agent as usize, now, a.open, a.presence);
        let was_on = a.presence.on_shift();
        let is_on = presence.on_shift();
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
        // Taobao: a group left with nobody online (or a main account back)
        // may now send its waiting chats to the main account.
        if self.main_fallback && !self.waiting.is_empty() && !self.drain_scheduled {
            self.drain_scheduled = true;
            self.queue.schedule(now, Event::Drain);
        }
        if self.dialogue.is_some() {
            self.maybe_type(agent, now);
        }
    }

    /// Back to taking chats: online, or suspended if it holds `suspend_at_open` chats.
    fn settle_online(&mut self, agent: AgentId, now: SimTime) {
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
        if self.agents.get(agent).frozen {
            self.agents.set_frozen(agent, false, now);
            self.retime(agent);
            self.maybe_type(agent, now);
        }
        self.settle_online(agent, now);
        self.schedule_episode(agent, now);
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
                self.state.sessions -= chats.len() as u64;
                self.state.sessions_on_shift -= chats.len() as u64;
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
        let (q, counted, kind) = (c.queue, c.interval.is_some(), c.kind);
        if counted {
            self.rec.on_rerouted();
        }
        if kind == BuyerKind::Private {
            // Never to a sub-account: it waits for the main account's return.
            self.enqueue(conv, self.personal, None, now);
            return;
        }
        let target = if q == self.personal {
            None
        } else {
            self.router.route_group(q, &mut self.agents, now)
        };
        match target {
            Some((agent, reason)) => {
                if self.offers && routed(reason) {
                    self.start_waiting(conv, q, None, now);
                }
                self.give(conv, agent, reason, now);
            }
            None => self.enqueue(conv, q, None, now),
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
        self.settle_online(agent, now);
        self.release_waiting_breaks(now);
        self.drain_for(agent, now);
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

    fn on_episode_due(&mut self, agent: AgentId, now: SimTime) {
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
            for &g in &self.sc.agents[agent as usize].groups {
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

    fn end_episode(&mut self, agent: AgentId, now: SimTime) {
        if self.agents.get(agent).presence == Presence::Break {
            self.leave_break_counts(agent);
        }
        let duty = &mut self.duty[agent as usize];
        duty.episode_timer = None;
        duty.in_episode = false;
        self.settle_online(agent, now);
        self.drain_for(agent, now);
        self.schedule_episode(agent, now);
    }

    /// Marks what is still open as unfinished and closes the books.
    pub fn finish(mut self, end: SimTime) -> RepResult {
        let stop = end.max(self.sc.run.measure_to());
        let mut open_rounds = Vec::new();
        for (slot, c) in self.convs.live_slots() {
            let waiting = matches!(
                c.state,
                ConvState::Queued { .. } | ConvState::Offered { .. }
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
        self.rec.finish(self.sc, &self.agents, &self.state)
    }
}

/// The VIP tier of a buyer with uniform draw `u` (1 = highest; 0 = not VIP).
fn vip_tier(tiers: &[crate::scenario::VipTier], u: f64) -> u8 {
    let mut acc = 0.0;
    for (i, t) in tiers.iter().enumerate() {
        acc += t.share;
        if u < acc {
            return i as u8 + 1;
        }
    }
    0
}

/// Order of an agent's pending replies (smallest first): with the golden
/// 2-minute priority, chats still without a first reply that have waited
/// 2 minutes or more come first; then the longest-waiting unanswered
/// message; then the earlier arrival.
fn reply_order(
    since: SimTime,
    replied: bool,
    token: u64,
    now: SimTime,
    golden: bool,
) -> (bool, SimTime, u64) {
    let overdue = golden && !replied && now - since >= GOLDEN_MS;
    (!overdue, since, token)
}

/// Whether a decision came from push routing (policy, sticky, fallbacks),
/// which the offer variants turn into offers; private and directly
/// addressed buyers reach their agent without one.
fn routed(reason: Reason) -> bool {
    !matches!(reason, Reason::Private | Reason::Direct)
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
