//! The decision order of DOMAIN.md §4 for one chat:
//!
//! 1. a private contact (私密联系人) goes to the main account only — held for
//!    it while it is at its cap, an offline message while it is offline;
//! 2. a buyer who addresses an agent directly reaches it if it is online or
//!    suspended (and under its cap, `direct_respects_cap`), unless it is a
//!    sub-account outside routing (不参与分流);
//! 3. a returning buyer reaches the agent who served them within the
//!    recency window if it is routable, online or suspended (and under its
//!    cap, `sticky_respects_cap`);
//! 4. otherwise the chat's group (from its entry point) and 5. the group's
//!    [`PolicyKind`] among eligible agents (online, routable, under cap, not
//!    held back by the fairness limiter);
//! 6. nobody eligible: the chat waits in the queue;
//! 7. nobody of the group online at all: by `nobody_online`, still the queue,
//!    an offline message, or the main account even if suspended (spread
//!    evenly over the suspended accounts only when main and every
//!    sub-account on shift are suspended; an offline message for main when
//!    everyone is off shift).
//!
//! Keyed policies are answered by a tournament tree per group, kept in step
//! with the agents through the pool's change list ([`Ctx::changes`]).

use std::collections::VecDeque;

use super::index::MinTree;
use super::policy::{self, least_loaded};
use super::small::Small;
use super::{BuyerKind, Ctx, PolicyKind, Reason};
use crate::agents::{AgentId, AgentStatus, Presence};
use crate::kernel::StreamRng;
use crate::scenario::{ChangeKind, Fairness, Membership, NobodyOnline, Scenario};
use crate::time::SimTime;

/// The outcome of routing a new chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Give it to this agent now.
    Assign {
        /// The agent.
        agent: AgentId,
        /// Why.
        reason: Reason,
    },
    /// Nobody eligible: wait in the group's queue.
    Queue,
    /// Nobody of the group online: an offline message in the group's pool.
    Offline,
    /// Taobao, every account of the group and the main account off shift:
    /// an offline message for the main account.
    OfflineForMain,
    /// A private contact the main account cannot take now: held for it, as
    /// an offline message if `offline` (main is off shift).
    ForMain {
        /// Main is offline.
        offline: bool,
    },
}

struct GroupRouting {
    policy: PolicyKind,
    /// The members' weights differ and the policy uses them ([`policy::weighted_key`]).
    weighted: bool,
    /// The members' weights differ.
    weights_differ: bool,
    /// Scheduled policy changes (`[[schedule]]`), by time; applied lazily,
    /// before the first selection at or after their time.
    changes: Vec<(SimTime, PolicyKind)>,
    /// Its agents now (`[[schedule]]` may change them), in id order.
    members: Vec<AgentId>,
    /// Members by the policy's key, for policies that order agents by a key.
    index: Option<MinTree>,
    /// Round-robin cursor: position in `members` of the last choice.
    cursor: usize,
    /// Smooth weighted round-robin credits, aligned with `members`.
    credits: Vec<f64>,
    /// Taobao's ordered list (main account first, then id order, initially).
    order: Vec<AgentId>,
    /// Members that are online and routable.
    online: u32,
}

/// Chooses agents: the decision order, the policies and the fairness limiter.
pub(crate) struct Selector {
    groups: Vec<GroupRouting>,
    /// For each agent: `(group, position in the group's members)` for every group it serves.
    memberships: Vec<Small<(u32, u32), 2>>,
    /// For each agent: whether it counted as online and routable at the last sync.
    counted_online: Vec<bool>,
    main: Option<AgentId>,
    nobody_online: NobodyOnline,
    /// Scheduled changes of `nobody_online`, latest first (popped when due).
    nobody_changes: Vec<(SimTime, NobodyOnline)>,
    /// When the next scheduled change (of any group's policy, or of
    /// `nobody_online`) is due; `SimTime::MAX` if none (one comparison per
    /// decision).
    next_setting: SimTime,
    /// Feige: offline messages only when nobody of the group is on shift.
    offline_off_shift: bool,
    direct_cap: bool,
    sticky_cap: bool,
    fairness: Option<Fairness>,
    /// Per agent, the times of its last `fairness.max` assignments.
    recent: Vec<VecDeque<SimTime>>,
    rng: StreamRng,
}

impl Selector {
    /// A selector for the scenario's groups, drawing random choices from `rng`.
    pub fn new(scenario: &Scenario, rng: StreamRng) -> Self {
        let fairness = scenario.routing.fairness;
        let start = Membership::at_start(scenario);
        let groups = scenario
            .groups
            .iter()
            .enumerate()
            .map(|(gi, group)| {
                let members: Vec<AgentId> =
                    start.members(gi).iter().map(|&i| i as AgentId).collect();
                let credits = vec![0.0; members.len()];
                // The limiter makes eligibility depend on time: keyed policies scan instead.
                let index = (policy::is_keyed(group.policy) && fairness.is_none())
                    .then(|| MinTree::new(members.len()));
                let mut order = members.clone();
                order.sort_by_key(|&id| (!scenario.agents[id as usize].main_account, id));
                let weights_differ = scenario.weights_differ(gi);
                GroupRouting {
                    policy: group.policy,
                    weighted: weights_differ && group.policy.uses_weights(),
                    weights_differ,
                    changes: scenario
                        .schedule
                        .iter()
                        .rev()
                        .filter_map(|c| match c.what {
                            ChangeKind::Policy { group: g, policy } if g == gi => {
                                Some((c.at, policy))
                            }
                            _ => None,
                        })
                        .collect(),
                    members,
                    index,
                    cursor: usize::MAX,
                    credits,
                    order,
                    online: 0,
                }
            })
            .collect::<Vec<_>>();
        let mut memberships = vec![Small::default(); scenario.agents.len()];
        for (g, group) in groups.iter().enumerate() {
            for (pos, &id) in group.members.iter().enumerate() {
                memberships[id as usize].push((g as u32, pos as u32));
            }
        }
        let recent = match fairness {
            Some(f) => vec![VecDeque::with_capacity(f.max as usize); scenario.agents.len()],
            None => Vec::new(),
        };
        Self {
            groups,
            memberships,
            counted_online: vec![false; scenario.agents.len()],
            main: scenario.main_account().map(|m| m as AgentId),
            nobody_online: scenario.routing.nobody_online,
            nobody_changes: scenario
                .schedule
                .iter()
                .rev()
                .filter_map(|c| match c.what {
                    ChangeKind::NobodyOnline(v) => Some((c.at, v)),
                    _ => None,
                })
                .collect(),
            offline_off_shift: scenario.routing.offline_only_when_off_shift,
            next_setting: scenario
                .schedule
                .iter()
                .find(|c| !matches!(c.what, ChangeKind::Cap { .. }))
                .map_or(SimTime::MAX, |c| c.at),
            direct_cap: scenario.routing.direct_respects_cap,
            sticky_cap: scenario.routing.sticky_respects_cap,
            fairness,
            recent,
            rng,
        }
    }

    /// Re-keys the agents that changed since the last selection and keeps
    /// the per-group count of online agents.
    #[inline(always)]
    fn sync(&mut self, ctx: &mut Ctx<'_>) {
        if ctx.now() >= self.next_setting {
            self.settle(ctx);
        }
        let (groups, memberships, counted) = (
            &mut self.groups,
            &self.memberships,
            &mut self.counted_online,
        );
        ctx.changes(|id, agent| {
            let ms = memberships[id as usize].as_slice();
            for &(g, pos) in ms {
                let group = &mut groups[g as usize];
                if let Some(index) = &mut group.index {
                    index.set(
                        pos as usize,
                        policy::key(group.policy, group.weighted, agent),
                    );
                }
            }
            let online = agent.presence == Presence::Online && agent.routable;
            if online != counted[id as usize] {
                counted[id as usize] = online;
                for &(g, _) in ms {
                    if online {
                        groups[g as usize].online += 1;
                    } else {
                        groups[g as usize].online -= 1;
                    }
                }
            }
        });
    }

    /// Decides where a new chat of `group` goes (steps 1–7).
    #[inline(always)]
    pub fn route(&mut self, group: usize, kind: BuyerKind, ctx: &mut Ctx<'_>) -> Decision {
        self.sync(ctx);
        let assign = |agent, reason| Decision::Assign { agent, reason };
        match kind {
            BuyerKind::Private => {
                let main = self
                    .main
                    .expect("validated: private contacts need a main account");
                let a = ctx.agent(main);
                return if !a.presence.on_shift() {
                    Decision::ForMain { offline: true }
                } else if a.load() < a.cap {
                    assign(main, Reason::Private)
                } else {
                    Decision::ForMain { offline: false }
                };
            }
            // 不参与分流 sub-accounts take no chats at all, addressed ones included.
            BuyerKind::Direct(id)
                if (ctx.agent(id).routable || ctx.agent(id).main)
                    && ctx.agent(id).takes_addressed(self.direct_cap) =>
            {
                return assign(id, Reason::Direct);
            }
            BuyerKind::Returning(id) => {
                let a = ctx.agent(id);
                if a.routable && a.takes_addressed(self.sticky_cap) {
                    return assign(id, Reason::Sticky);
                }
            }
            _ => {}
        }
        match self.route_group(group, ctx) {
            Some((agent, reason)) => assign(agent, reason),
            None => self.no_agent(group, ctx),
        }
    }

    /// Where a chat of `group` goes when no agent takes it now: the queue
    /// while an agent of the group is online and routable (full, or the
    /// queue is ahead); with nobody online, Feige's offline message, or,
    /// on Taobao with every account of the group and the main account off
    /// shift, an offline message for the main account.
    #[inline]
    pub fn no_agent(&mut self, group: usize, ctx: &mut Ctx<'_>) -> Decision {
        self.sync(ctx);
        if self.groups[group].online > 0 {
            return Decision::Queue;
        }
        match self.nobody_online {
            NobodyOnline::OfflineMessage
                if self.offline_off_shift
                    && self.groups[group]
                        .members
                        .iter()
                        .any(|&id| ctx.agent(id).routable && ctx.agent(id).presence.on_shift()) =>
            {
                Decision::Queue
            }
            NobodyOnline::OfflineMessage => Decision::Offline,
            NobodyOnline::MainAccount if self.everyone_offline(group, ctx) => {
                Decision::OfflineForMain
            }
            _ => Decision::Queue,
        }
    }

    /// Applies the scheduled changes due by now: `nobody_online`, and the
    /// policies of the groups (their keyed index rebuilt).
    #[cold]
    pub fn settle(&mut self, ctx: &Ctx<'_>) {
        let now = ctx.now();
        if now < self.next_setting {
            return;
        }
        while let Some(&(t, v)) = self.nobody_changes.last() {
            if t > now {
                break;
            }
            self.nobody_changes.pop();
            self.nobody_online = v;
        }
        for group in 0..self.groups.len() {
            if self.groups[group]
                .changes
                .last()
                .is_some_and(|&(t, _)| t <= now)
            {
                self.change_policy(group, ctx);
            }
        }
        self.next_setting = self
            .groups
            .iter()
            .filter_map(|g| g.changes.last().map(|&(t, _)| t))
            .chain(self.nobody_changes.last().map(|&(t, _)| t))
            .min()
            .unwrap_or(SimTime::MAX);
    }

    /// Taobao's main-account fallback is on now (as of the last [`Selector::settle`]).
    #[inline]
    pub fn main_fallback_on(&self) -> bool {
        self.nobody_online == NobodyOnline::MainAccount
    }

    /// Whether an agent of `group` is online and routable.
    #[inline]
    pub fn anyone_online(&mut self, group: usize, ctx: &mut Ctx<'_>) -> bool {
        self.sync(ctx);
        self.groups[group].online > 0
    }

    /// Every account of `group` and the main account are off shift.
    fn everyone_offline(&self, group: usize, ctx: &Ctx<'_>) -> bool {
        let off = |id: AgentId| ctx.agent(id).presence == Presence::Offline;
        self.main.is_none_or(off) && self.groups[group].members.iter().all(|&id| off(id))
    }

    /// Steps 5 and 7 for a chat of `group`: an agent by the group's policy,
    /// else (Taobao) the main-account fallback.
    #[inline(always)]
    pub fn route_group(&mut self, group: usize, ctx: &mut Ctx<'_>) -> Option<(AgentId, Reason)> {
        if let Some(agent) = self.select(group, ctx) {
            return Some((agent, Reason::Policy(self.groups[group].policy)));
        }
        if self.nobody_online == NobodyOnline::MainAccount && self.groups[group].online == 0 {
            return self.main_fallback(group, ctx);
        }
        None
    }

    /// Taobao, when no agent of the group is online and routable
    /// ("如果所有帐号都为离线状态,即使主帐号设置了挂起,消息还是会被分到主帐号"):
    /// the main account if it is online (even if 不参与分流) or suspended,
    /// under its cap — else the chat waits for it; while the main account
    /// is busy, on a break or offline, nothing (the chat waits, or becomes
    /// an offline message for main when everyone is off shift). Only when
    /// the main account and every routable sub-account of the group on
    /// shift are suspended (at least one sub-account) are the chats spread
    /// evenly over them, main included ([`least_loaded`] first, caps apply).
    fn main_fallback(&self, group: usize, ctx: &Ctx<'_>) -> Option<(AgentId, Reason)> {
        let main = self.main?;
        let m = ctx.agent(main);
        let main_free = m.load() < m.cap;
        match m.presence {
            Presence::Online => return main_free.then_some((main, Reason::MainFallback)),
            Presence::Suspended => {}
            Presence::Busy | Presence::Break | Presence::Offline => return None,
        }
        let members = self.groups[group].members.iter().map(|&id| ctx.agent(id));
        if !spread_applies(m, members) {
            return main_free.then_some((main, Reason::MainFallback));
        }
        let members = &self.groups[group].members;
        members
            .iter()
            .copied()
            .filter(|&id| id != main && ctx.agent(id).routable)
            .chain(std::iter::once(main))
            .filter(|&id| {
                let a = ctx.agent(id);
                a.presence == Presence::Suspended && a.load() < a.cap
            })
            .min_by_key(|&id| least_loaded(id, ctx.agent(id)))
            .map(|id| (id, Reason::SuspendedSpread))
    }

    /// Like [`Selector::route_group`], skipping `excluded` agents (offer
    /// variants: agents that declined the chat). The main-account fallback
    /// does not apply to such chats.
    pub fn route_group_excluding(
        &mut self,
        group: usize,
        ctx: &mut Ctx<'_>,
        excluded: &[AgentId],
    ) -> Option<(AgentId, Reason)> {
        if excluded.is_empty() {
            return self.route_group(group, ctx);
        }
        self.sync(ctx);
        let policy = self.groups[group].policy;
        self.select_among(group, ctx, excluded)
            .map(|a| (a, Reason::Policy(policy)))
    }

    /// The agent of `group` a transfer goes to: online (or on a break if
    /// `to_break`), never suspended, under its cap unless `exceed_cap`;
    /// [`least_loaded`] first.
    pub fn transfer_target(
        &self,
        group: usize,
        from: AgentId,
        to_break: bool,
        exceed_cap: bool,
        ctx: &Ctx<'_>,
    ) -> Option<AgentId> {
        self.groups[group]
            .members
            .iter()
            .copied()
            .filter(|&id| id != from)
            .filter(|&id| {
                let a = ctx.agent(id);
                let state_ok = match a.presence {
                    Presence::Online => true,
                    Presence::Break => to_break,
                    Presence::Busy | Presence::Suspended | Presence::Offline => false,
                };
                state_ok && (exceed_cap || a.load() < a.cap)
            })
            .min_by_key(|&id| least_loaded(id, ctx.agent(id)))
    }

    /// Records an assignment (every route counts toward the fairness limiter).
    #[inline]
    pub fn on_assigned(&mut self, agent: AgentId, now: SimTime) {
        if let Some(f) = self.fairness {
            let r = &mut self.recent[agent as usize];
            if r.len() == f.max as usize {
                r.pop_front();
            }
            r.push_back(now);
        }
    }

    /// When the fairness limiter next releases an agent of `group` that
    /// could otherwise take a chat, if it holds any back at `now`.
    pub fn next_release(&self, group: usize, ctx: &Ctx<'_>) -> Option<SimTime> {
        let f = self.fairness?;
        let now = ctx.now();
        self.groups[group]
            .members
            .iter()
            .filter(|&&id| {
                ctx.agent(id).accepts_new() && limited(self.fairness, &self.recent, id, now)
            })
            .filter_map(|&id| self.recent[id as usize].front().map(|&t| t + f.window))
            .min()
    }

    /// Picks an eligible agent of `group` by the group's policy, if any.
    #[inline]
    pub fn select(&mut self, group: usize, ctx: &mut Ctx<'_>) -> Option<AgentId> {
        self.sync(ctx);
        self.select_among(group, ctx, &[])
    }

    /// The group's policy over its eligible members other than `excluded`
    /// (the index is in sync). The tournament tree answers when nothing is
    /// excluded; otherwise, and for the policies without a key, a scan.
    #[inline(always)]
    fn select_among(
        &mut self,
        group: usize,
        ctx: &Ctx<'_>,
        excluded: &[AgentId],
    ) -> Option<AgentId> {
        let g = &mut self.groups[group];
        if let (Some(index), true) = (&g.index, excluded.is_empty()) {
            return index.min().map(|pos| g.members[pos]);
        }
        let now = ctx.now();
        let (fairness, recent) = (self.fairness, &self.recent);
        let allowed = |id: AgentId| !excluded.contains(&id) && !limited(fairness, recent, id, now);
        let mut state = policy::UnkeyedState {
            members: &g.members,
            cursor: &mut g.cursor,
            credits: &mut g.credits,
            order: &mut g.order,
        };
        policy::select_unkeyed(
            g.policy,
            g.weighted,
            &mut state,
            ctx.agents(),
            allowed,
            &mut self.rng,
        )
    }

    /// `agent` serves `group` from now on (`member`), or no longer. Its
    /// position in the group's rotation, credits and Taobao list are kept
    /// for the others; a newcomer starts with no credit, at the end of the
    /// Taobao list (the main account at its head); the keyed index is
    /// rebuilt.
    #[cold]
    pub fn set_member(&mut self, agent: AgentId, group: usize, member: bool, ctx: &mut Ctx<'_>) {
        self.sync(ctx);
        let online = self.counted_online[agent as usize];
        let g = &mut self.groups[group];
        match (g.members.binary_search(&agent), member) {
            (Err(pos), true) => {
                g.members.insert(pos, agent);
                g.credits.insert(pos, 0.0);
                if g.cursor != usize::MAX && pos <= g.cursor {
                    g.cursor += 1;
                }
                if ctx.agent(agent).main {
                    g.order.insert(0, agent);
                } else {
                    g.order.push(agent);
                }
                g.online += u32::from(online);
            }
            (Ok(pos), false) => {
                g.members.remove(pos);
                g.credits.remove(pos);
                if g.cursor != usize::MAX && pos <= g.cursor {
                    // The next choice is the one after the agent who left.
                    g.cursor = g.cursor.checked_sub(1).unwrap_or(usize::MAX);
                }
                g.order.retain(|&id| id != agent);
                g.online -= u32::from(online);
            }
            _ => return,
        }
        // Positions in the group moved: renumber its members' entries.
        let gi = group as u32;
        self.memberships[agent as usize].retain(|&(g, _)| g != gi);
        for (pos, &id) in self.groups[group].members.iter().enumerate() {
            let ms = &mut self.memberships[id as usize];
            match ms.as_mut_slice().iter_mut().find(|(g, _)| *g == gi) {
                Some(entry) => entry.1 = pos as u32,
                None => ms.push((gi, pos as u32)),
            }
        }
        self.rebuild_index(group, ctx);
    }

    /// Applies the group's scheduled policy changes due by now: the new
    /// policy orders the group from the next selection on; a keyed
    /// policy's index is rebuilt from the agents' current state.
    #[cold]
    fn change_policy(&mut self, group: usize, ctx: &Ctx<'_>) {
        let now = ctx.now();
        let g = &mut self.groups[group];
        while let Some(&(t, policy)) = g.changes.last() {
            if t > now {
                break;
            }
            g.changes.pop();
            g.policy = policy;
        }
        g.weighted = g.weights_differ && g.policy.uses_weights();
        self.rebuild_index(group, ctx);
    }

    /// The group's keyed index from the agents' current state (none for a
    /// policy without a key, or under the fairness limiter).
    fn rebuild_index(&mut self, group: usize, ctx: &Ctx<'_>) {
        let g = &mut self.groups[group];
        g.index = (policy::is_keyed(g.policy) && self.fairness.is_none()).then(|| {
            let mut index = MinTree::new(g.members.len());
            for (pos, &id) in g.members.iter().enumerate() {
                index.set(pos, policy::key(g.policy, g.weighted, ctx.agent(id)));
            }
            index
        });
    }

    /// Agents serving `group`, in id order.
    #[cfg(test)]
    pub fn members(&self, group: usize) -> &[AgentId] {
        &self.groups[group].members
    }

    /// Whether the group's policy follows weights that differ.
    #[cfg(test)]
    pub fn weighted(&self, group: usize) -> bool {
        self.groups[group].weighted
    }

    /// The group's policy.
    #[cfg(test)]
    pub fn policy(&self, group: usize) -> PolicyKind {
        self.groups[group].policy
    }
}

/// Whether Taobao's suspended spread applies to a group: the `main`
/// account is suspended, and so is every routable sub-account among
/// `members` that is on shift (at least one). Also what the rule check of
/// a routing service accepts.
pub(crate) fn spread_applies<'a>(
    main: &AgentStatus,
    members: impl IntoIterator<Item = &'a AgentStatus>,
) -> bool {
    if main.presence != Presence::Suspended {
        return false;
    }
    let mut any = false;
    members
        .into_iter()
        .filter(|a| !a.main && a.routable && a.presence != Presence::Offline)
        .all(|a| {
            any = true;
            a.presence == Presence::Suspended
        })
        && any
}

/// Whether the fairness limiter holds `agent` back at `now`: it had `max`
/// assignments within the last `window`.
#[inline]
fn limited(
    fairness: Option<Fairness>,
    recent: &[VecDeque<SimTime>],
    agent: AgentId,
    now: SimTime,
) -> bool {
    let Some(f) = fairness else { return false };
    let r = &recent[agent as usize];
    r.len() >= f.max as usize && r.front().is_some_and(|&t| now < t + f.window)
}
