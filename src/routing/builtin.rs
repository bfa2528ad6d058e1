//! The built-in routing service: the platforms' routing rules behind
//! [`Dispatcher`].
//!
//! It keeps what a routing service keeps: the waiting queue per group (and
//! one for the main account's private contacts) with its classes and
//! order, where each waiting or offered chat is, who declined an offer,
//! the fairness limiter's memory, and which drains are due. The decision
//! order itself is in `select.rs`, the policies in `policy.rs`.
//!
//! Draining: whenever a slot frees, an agent returns from a break, a
//! buyer leaves an offer or agents come on shift, the queues that agent
//! (or anyone) serves are served head first, in the shop-wide order
//! (golden 2-minute overdue if enabled, VIP tiers, other buyers, offline
//! messages). One chat is given per answer, and the router asks to go on
//! ([`Notice::Continue`]), so that each choice sees the agents as the last
//! assignment left them. A new chat never overtakes chats already waiting
//! in its group; agents coming on shift at one instant share the backlog
//! through one drain after all of them are on.
//!
//! Invariant: drains run one at a time, in the order they became due; a
//! notice that arrives while a drain waits for [`Notice::Continue`] only
//! adds work after it.

mod drain;

use std::collections::VecDeque;

use drain::{Drain, Job};

use super::OfflineCause;
use super::queue::{Waiting, WaitingQueue};
use super::select::{Decision, Selector};
use super::{
    BuyerKind, ChatInfo, ChatRef, Class, Command, Commands, Ctx, Dispatcher, Notice, OfferOutcome,
    Reason,
};
use crate::agents::AgentId;
use crate::kernel::StreamRng;
use crate::scenario::{Scenario, Variant, VipChannel};
use crate::time::{Millis, SimTime};

/// Tag of the drain after agents come on shift (or the Taobao fallback may apply).
const DRAIN: u32 = 0;
/// Tag of the drain when the fairness limiter releases an agent.
const LIMITER: u32 = 1;

/// Where a chat the router placed is, by chat slot.
#[derive(Debug, Clone, Copy)]
struct Seat {
    id: u64,
    queue: usize,
    /// The group of the chat's entry (a VIP channel's chats overflow to it).
    home: usize,
    class: Class,
    /// Arrival time (its queue entries carry it, for the golden priority).
    at: SimTime,
    /// An offline message (never offered; picked up from the list).
    offline: bool,
    /// In a queue now (not offered, not gone).
    waiting: bool,
}

const NO_SEAT: Seat = Seat {
    id: u64::MAX,
    queue: 0,
    home: 0,
    class: Class(0),
    at: 0,
    offline: false,
    waiting: false,
};

/// The built-in router of one replication.
pub struct Router {
    sel: Selector,
    waiting: WaitingQueue,
    seats: Vec<Seat>,
    /// Offer variants: per chat slot, the agents that declined it (or let the offer lapse).
    excluded: Vec<Vec<AgentId>>,
    /// Per queue: nobody can take its head right now (within one drain).
    blocked: Vec<bool>,
    /// `0..queues`, for draining every queue.
    all_queues: Vec<usize>,
    /// Per agent: the queues it can serve when a slot frees.
    drain_sets: Vec<Vec<usize>>,
    /// Index of the main account's own queue (private contacts).
    personal: usize,
    main: Option<AgentId>,
    groups: usize,
    /// Per group: its overflow group and delay.
    overflow: Vec<Option<(usize, Millis)>>,
    /// VIP专属通道, if the shop has one.
    vip_channel: Option<VipChannel>,
    transfer_to_break: bool,
    transfer_exceeds_cap: bool,
    /// Routed chats are offered (offer variants).
    offers: bool,
    /// Omni-Channel never offers a chat again to an agent who declined or let it lapse.
    omni: bool,
    /// Chatwoot v1: a chat that finds everyone full is left unassigned.
    chatwoot: bool,
    /// Taobao's main-account fallback is on at some time of the run (the
    /// main account drains every queue; whether it applies now is the
    /// selector's `main_fallback_on`).
    main_fallback: bool,
    max_queue: Option<u32>,
    golden_priority: bool,
    abandon_to_offline: bool,
    fairness: bool,
    drain_scheduled: bool,
    limiter_wake: Option<SimTime>,
    jobs: VecDeque<Job>,
    current: Drain,
}

impl Router {
    /// The router for `scenario`, drawing random choices from `rng`.
    pub fn new(scenario: &Scenario, rng: StreamRng) -> Self {
        let groups = scenario.groups.len();
        let personal = groups;
        let r = &scenario.routing;
        let main_fallback = scenario.main_fallback_ever();
        let drain_sets = scenario
            .agents
            .iter()
            .map(|a| {
                let mut set = if a.main_account && main_fallback {
                    (0..groups).collect()
                } else {
                    a.start_groups.clone()
                };
                if a.main_account {
                    set.push(personal);
                }
                set
            })
            .collect();
        Self {
            sel: Selector::new(scenario, rng),
            waiting: WaitingQueue::new(
                groups + 1,
                r.queue_order,
                scenario.buyers.vip_tiers.len() as u8,
            ),
            seats: Vec::new(),
            excluded: Vec::new(),
            blocked: vec![false; groups + 1],
            all_queues: (0..=groups).collect(),
            drain_sets,
            personal,
            main: scenario.main_account().map(|m| m as AgentId),
            groups,
            overflow: scenario.groups.iter().map(|g| g.overflow).collect(),
            vip_channel: r.vip_channel.clone(),
            transfer_to_break: r.transfer_to_break,
            transfer_exceeds_cap: r.transfer_exceeds_cap,
            offers: r.variant.offer().is_some(),
            omni: matches!(r.variant, Variant::OmniChannel(_)),
            chatwoot: matches!(r.variant, Variant::ChatwootV1),
            main_fallback,
            max_queue: r.max_queue,
            golden_priority: r.golden_priority,
            abandon_to_offline: r.abandon_to_offline,
            fairness: r.fairness.is_some(),
            drain_scheduled: false,
            limiter_wake: None,
            jobs: VecDeque::new(),
            current: Drain {
                job: None,
                overdue_at: None,
                set_aside: Vec::new(),
            },
        }
    }

    /// `agent` serves `group` from now on (`member`), or no longer: the
    /// selector's group and the queues the agent drains follow.
    #[cold]
    fn set_member(&mut self, agent: AgentId, group: usize, member: bool, ctx: &mut Ctx<'_>) {
        self.sel.set_member(agent, group, member, ctx);
        if Some(agent) == self.main && self.main_fallback {
            return; // it drains every queue anyway
        }
        let set = &mut self.drain_sets[agent as usize];
        set.retain(|&q| q != group);
        if member {
            // Before the main account's own queue, if it has one.
            let pos = set
                .iter()
                .position(|&q| q == self.personal)
                .unwrap_or(set.len());
            set.insert(pos, group);
        }
    }

    fn seat_mut(&mut self, slot: u32) -> &mut Seat {
        let i = slot as usize;
        if self.seats.len() <= i {
            self.seats.resize(i + 1, NO_SEAT);
        }
        &mut self.seats[i]
    }

    /// The seat of `chat`, if the router placed it.
    fn seat(&self, chat: ChatRef) -> Option<Seat> {
        self.seats
            .get(chat.slot as usize)
            .copied()
            .filter(|s| s.id == chat.id)
    }

    /// Places the chat in `queue` (its home group is kept if the seat is
    /// already the chat's, else it is `queue`).
    fn place(&mut self, chat: ChatRef, queue: usize, class: Class, at: SimTime, offline: bool) {
        let home = self.seat(chat).map_or(queue, |s| s.home);
        *self.seat_mut(chat.slot) = Seat {
            id: chat.id,
            queue,
            home,
            class,
            at,
            offline,
            waiting: false,
        };
    }

    fn excluded_mut(&mut self, slot: u32) -> &mut Vec<AgentId> {
        let i = slot as usize;
        if self.excluded.len() <= i {
            self.excluded.resize_with(i + 1, Vec::new);
        }
        &mut self.excluded[i]
    }

    /// Where and when `chat`, entering queue `q` at `now`, overflows: a VIP
    /// channel's chat to its entry's group after the channel's wait; any
    /// other chat by its group's `overflow_to`.
    fn overflow_of(&self, chat: ChatRef, q: usize, now: SimTime) -> Option<(usize, SimTime)> {
        let home = self.seat(chat).map_or(q, |s| s.home);
        let (to, after) = match &self.vip_channel {
            Some(c) if c.group == q && home != q => (home, c.overflow_after?),
            _ => (*self.overflow.get(q)?)?,
        };
        Some((to, now.saturating_add(after)))
    }

    /// The overflow timer of `chat` entering queue `q` at `now`, if any.
    fn overflow_timer(&self, chat: ChatRef, q: usize, now: SimTime, out: &mut Commands<'_>) {
        if let Some((_, at)) = self.overflow_of(chat, q, now) {
            out.push(Command::ChatTimer { chat, at });
        }
    }

    /// A new chat: the decision order, then what the decision means here.
    #[inline(always)]
    fn arrived(&mut self, info: ChatInfo, ctx: &mut Ctx<'_>, out: &mut Commands<'_>) {
        let ChatInfo {
            chat,
            arrived_at: at,
            group: home,
            kind,
            tier,
            ..
        } = info;
        // A VIP channel's buyer is routed in the channel's group while
        // anyone of it is online; its seat remembers its entry's group.
        let channel = self.vip_channel.as_ref().filter(|c| c.takes(tier));
        let group = match channel.map(|c| c.group) {
            Some(g) if self.sel.anyone_online(g, ctx) => {
                *self.seat_mut(chat.slot) = Seat {
                    id: chat.id,
                    home,
                    ..NO_SEAT
                };
                g
            }
            _ => home,
        };
        // A new chat never overtakes chats already waiting in its group. After
        // every notice a group with waiting chats has no eligible agent (chat
        // ends and break ends drain at once); agents coming on shift wait for
        // the one drain at that instant, which serves the queue in order.
        // Private, direct and returning buyers do not go through the group queue.
        let decision = if kind == BuyerKind::New && self.waiting.buyers_in(group) > 0 {
            self.sel.no_agent(group, ctx)
        } else {
            self.sel.route(group, kind, ctx)
        };
        let class = self.waiting.class_of(tier);
        if self.offers {
            // A new chat in a reused slot: nobody has declined it yet.
            self.excluded_mut(chat.slot).clear();
        }
        match decision {
            Decision::Assign { agent, reason } if self.offers && reason.is_routed() => {
                self.place(chat, group, class, at, false);
                out.push(Command::Offer {
                    chat,
                    agent,
                    reason,
                });
            }
            Decision::Assign { agent, reason } => self.assign(chat, agent, reason, ctx.now(), out),
            Decision::Queue if self.chatwoot => {
                self.place(chat, group, class, at, false);
                out.push(Command::Unassigned { chat });
            }
            Decision::Queue => {
                let full = self
                    .max_queue
                    .is_some_and(|m| self.waiting.buyers() >= m as usize);
                if full {
                    self.offline_message(chat, group, at, OfflineCause::QueueFull, out);
                } else {
                    self.enqueue(chat, group, class, at, false, ctx, out);
                    if self.offers || self.sel.main_fallback_on() {
                        // Chats ahead may wait only for agents that declined them.
                        self.jobs.push_back(Job::One(group));
                    }
                }
            }
            Decision::Offline => {
                self.offline_message(chat, group, at, OfflineCause::NobodyOnline, out)
            }
            Decision::OfflineForMain => {
                self.offline_message(chat, self.personal, at, OfflineCause::NobodyOnline, out)
            }
            Decision::ForMain { offline: true } => {
                self.offline_message(chat, self.personal, at, OfflineCause::MainOffline, out)
            }
            Decision::ForMain { offline: false } => {
                self.enqueue(chat, self.personal, class, at, false, ctx, out)
            }
        }
    }

    /// A chat whose agent's shift ended: routed again in the queue it was
    /// served from, without patience; a private contact waits for the main
    /// account, never a sub-account.
    fn rerouted(&mut self, info: ChatInfo, ctx: &mut Ctx<'_>, out: &mut Commands<'_>) {
        let ChatInfo {
            chat,
            arrived_at: at,
            queue: q,
            kind,
            tier,
            offline,
            ..
        } = info;
        let class = self.waiting.class_of(tier);
        if kind == BuyerKind::Private {
            self.enqueue(chat, self.personal, class, at, offline, ctx, out);
            return;
        }
        let target = if q == self.personal {
            None
        } else {
            self.sel.route_group(q, ctx)
        };
        match target {
            Some((agent, reason)) => {
                self.place(chat, q, class, at, offline);
                self.give(chat, agent, reason, ctx.now(), out);
            }
            None => self.enqueue(chat, q, class, at, offline, ctx, out),
        }
    }

    /// Puts a live buyer in queue `q`, with its overflow timer.
    #[allow(clippy::too_many_arguments)]
    fn enqueue(
        &mut self,
        chat: ChatRef,
        q: usize,
        class: Class,
        at: SimTime,
        offline: bool,
        ctx: &Ctx<'_>,
        out: &mut Commands<'_>,
    ) {
        self.waiting.push(
            q,
            class,
            Waiting {
                conv: chat.slot,
                token: chat.id,
                at,
            },
        );
        self.place(chat, q, class, at, offline);
        self.seat_mut(chat.slot).waiting = true;
        out.push(Command::Wait {
            chat,
            queue: q,
            class,
        });
        self.overflow_timer(chat, q, ctx.now(), out);
        self.wake_for_limiter(q, ctx, out);
    }

    /// Makes the chat an offline message in queue `q`.
    fn offline_message(
        &mut self,
        chat: ChatRef,
        q: usize,
        at: SimTime,
        cause: OfflineCause,
        out: &mut Commands<'_>,
    ) {
        if self.offers {
            self.excluded_mut(chat.slot).clear();
        }
        let class = self.waiting.offline_class();
        self.waiting.push(
            q,
            class,
            Waiting {
                conv: chat.slot,
                token: chat.id,
                at,
            },
        );
        self.place(chat, q, class, at, true);
        self.seat_mut(chat.slot).waiting = true;
        out.push(Command::OfflineMessage {
            chat,
            queue: q,
            cause,
        });
    }

    #[inline(always)]
    fn assign(
        &mut self,
        chat: ChatRef,
        agent: AgentId,
        reason: Reason,
        now: SimTime,
        out: &mut Commands<'_>,
    ) {
        // Every assignment counts toward the fairness limiter.
        self.sel.on_assigned(agent, now);
        out.push(Command::Assign {
            chat,
            agent,
            reason,
        });
    }

    /// Gives a chat taken from a queue to `agent`: at once, or as an offer in
    /// the offer variants (offline messages are picked up, never offered).
    #[inline(always)]
    fn give(
        &mut self,
        chat: ChatRef,
        agent: AgentId,
        reason: Reason,
        now: SimTime,
        out: &mut Commands<'_>,
    ) {
        let offline = self.seat(chat).is_some_and(|s| s.offline);
        if self.offers && reason.is_routed() && !offline {
            out.push(Command::Offer {
                chat,
                agent,
                reason,
            });
        } else {
            self.assign(chat, agent, reason, now, out);
        }
    }

    /// The buyer left: forget its queue entry; Feige keeps the chat as an
    /// offline message; an agent it was offered to may take others.
    fn abandoned(&mut self, chat: ChatRef, offered_to: Option<AgentId>, out: &mut Commands<'_>) {
        let Some(seat) = self.seat(chat) else { return };
        if seat.waiting {
            self.waiting.forget(seat.queue, seat.class);
            self.seat_mut(chat.slot).waiting = false;
        }
        if self.abandon_to_offline {
            self.offline_message(chat, seat.queue, seat.at, OfflineCause::Abandoned, out);
        }
        if let Some(agent) = offered_to {
            self.jobs.push_back(Job::For(agent));
        }
    }

    /// An offer failed: back at the front of its queue (Omni-Channel never
    /// offers it to that agent again), overflow counting from now.
    fn offer_failed(
        &mut self,
        chat: ChatRef,
        agent: AgentId,
        outcome: OfferOutcome,
        now: SimTime,
        out: &mut Commands<'_>,
    ) {
        let Some(seat) = self.seat(chat) else { return };
        if self.omni || outcome == OfferOutcome::Accepted {
            self.excluded_mut(chat.slot).push(agent);
        }
        self.overflow_timer(chat, seat.queue, now, out);
        self.seat_mut(chat.slot).waiting = true;
        self.waiting.push_front(
            seat.queue,
            seat.class,
            Waiting {
                conv: chat.slot,
                token: chat.id,
                at: seat.at,
            },
        );
        self.jobs.push_back(Job::One(seat.queue));
        self.jobs.push_back(Job::For(agent));
    }

    /// The chat's overflow timer: it moves to its group's overflow group.
    fn overflow(&mut self, chat: ChatRef, now: SimTime, out: &mut Commands<'_>) {
        let Some(seat) = self.seat(chat).filter(|s| s.waiting) else {
            return;
        };
        let from = seat.queue;
        let Some((to, _)) = self.overflow_of(chat, from, now) else {
            return;
        };
        self.waiting.forget(from, seat.class);
        out.push(Command::Overflow { chat, to });
        self.seat_mut(chat.slot).queue = to;
        self.overflow_timer(chat, to, now, out);
        self.waiting.push(
            to,
            seat.class,
            Waiting {
                conv: chat.slot,
                token: chat.id,
                at: seat.at,
            },
        );
        self.jobs.push_back(Job::One(to));
    }
}

impl Dispatcher for Router {
    const TRUSTED: bool = true;

    #[inline(always)]
    fn on(&mut self, notice: Notice, ctx: &mut Ctx<'_>, out: &mut Commands<'_>) -> bool {
        let now = ctx.now();
        if self.main_fallback {
            self.sel.settle(ctx);
        }
        match notice {
            Notice::Arrived(info) => self.arrived(info, ctx, out),
            Notice::Rerouted(info) => self.rerouted(info, ctx, out),
            Notice::Abandoned { chat, offered_to } => self.abandoned(chat, offered_to, out),
            Notice::OfferFailed {
                chat,
                agent,
                outcome,
            } => self.offer_failed(chat, agent, outcome, now, out),
            Notice::OfferAccepted { agent, .. } => self.sel.on_assigned(agent, now),
            Notice::SlotFreed { agent } | Notice::Returned { agent } => {
                if self.current.job.is_none() && self.jobs.is_empty() {
                    // Nothing queued behind a drain: serve this agent's queues now.
                    self.start(Job::For(agent), ctx);
                    return self.current.job.is_some() && self.run_jobs(ctx, out);
                }
                self.jobs.push_back(Job::For(agent))
            }
            Notice::OnShift { .. } => self.drain_soon(now, out),
            Notice::CapChanged { agent, from, to } => {
                if to > from {
                    self.jobs.push_back(Job::For(agent));
                }
            }
            Notice::GroupJoined { agent, group } => {
                self.set_member(agent, group, true, ctx);
                self.jobs.push_back(Job::For(agent));
            }
            Notice::GroupLeft { agent, group } => self.set_member(agent, group, false, ctx),
            Notice::Presence { .. } => {
                // Taobao: a group left with nobody online (or a main account
                // back) may now send its waiting chats to the main account.
                if self.sel.main_fallback_on() {
                    self.drain_soon(now, out);
                }
            }
            Notice::TransferDue { chat, from, group } => {
                let to = self.sel.transfer_target(
                    group,
                    from,
                    self.transfer_to_break,
                    self.transfer_exceeds_cap,
                    ctx,
                );
                out.push(Command::Transfer { chat, to, group });
            }
            Notice::ChatTimer { chat } => self.overflow(chat, now, out),
            Notice::Wake { tag } => {
                match tag {
                    DRAIN => self.drain_scheduled = false,
                    _ => {
                        if self.limiter_wake == Some(now) {
                            self.limiter_wake = None;
                        }
                    }
                }
                self.jobs.push_back(Job::All);
            }
            Notice::Continue => return self.run_jobs(ctx, out),
        }
        if self.jobs.is_empty() || self.current.job.is_some() {
            // A drain waits for its Continue, or nothing to do.
            return false;
        }
        self.run_jobs(ctx, out)
    }
}
