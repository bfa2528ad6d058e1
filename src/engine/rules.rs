//! The shop's rules, checked on the commands of a dispatcher that is not
//! the built-in router (a routing service): a command that cannot apply,
//! or that breaks a platform rule, is refused, counted by rule, and the
//! chat is handled by the fallback (it keeps waiting in its queue).

use super::exchange::Refused;
use super::{Engine, LoopStats};
use crate::agents::{AgentId, Presence};
use crate::conversation::ConvState;
use crate::routing::{BuyerKind, Class, Command, Dispatcher, Reason, spread_applies};
use crate::time::SimTime;
use crate::trace::TraceEvent;

/// A rule a routing command broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The chat is over (the buyer left, or it ended) or the reference is stale.
    ChatGone,
    /// The chat is not in a state the command applies to (e.g. already held by an agent).
    WrongState,
    /// No such agent.
    NoSuchAgent,
    /// No such queue, group or class.
    NoSuchQueue,
    /// An offer where the scenario has no offers.
    NoOffers,
    /// A chat given to an agent who is off shift.
    AgentOffline,
    /// A chat given to an agent who is busy (忙碌) or on a break (小休).
    AgentUnavailable,
    /// A newly routed chat given to a suspended (挂起) agent.
    AgentSuspended,
    /// A newly routed chat given to an agent who takes no part in routing.
    NotRoutable,
    /// A chat given to an agent at its cap (接待上限), offers included.
    OverCap,
    /// A newly routed chat given to an agent outside the chat's group.
    OutsideGroup,
    /// A private contact given to an agent other than the main account.
    PrivateNotMain,
}

impl Rule {
    /// Every rule, in counting order.
    pub const ALL: [Rule; 12] = [
        Rule::ChatGone,
        Rule::WrongState,
        Rule::NoSuchAgent,
        Rule::NoSuchQueue,
        Rule::NoOffers,
        Rule::AgentOffline,
        Rule::AgentUnavailable,
        Rule::AgentSuspended,
        Rule::NotRoutable,
        Rule::OverCap,
        Rule::OutsideGroup,
        Rule::PrivateNotMain,
    ];

    /// Name in `summary.json` (`router.violations.<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Rule::ChatGone => "chat_gone",
            Rule::WrongState => "wrong_state",
            Rule::NoSuchAgent => "no_such_agent",
            Rule::NoSuchQueue => "no_such_queue",
            Rule::NoOffers => "no_offers",
            Rule::AgentOffline => "agent_offline",
            Rule::AgentUnavailable => "agent_unavailable",
            Rule::AgentSuspended => "agent_suspended",
            Rule::NotRoutable => "not_routable",
            Rule::OverCap => "over_cap",
            Rule::OutsideGroup => "outside_group",
            Rule::PrivateNotMain => "private_not_main",
        }
    }
}

impl From<Refused> for Rule {
    fn from(r: Refused) -> Self {
        match r {
            Refused::NoSuchChat => Rule::ChatGone,
            Refused::WrongState => Rule::WrongState,
            Refused::NoSuchAgent => Rule::NoSuchAgent,
            Refused::NoSuchQueue => Rule::NoSuchQueue,
            Refused::NoOffers => Rule::NoOffers,
        }
    }
}

/// Rule violations of one replication: counts by rule and the first examples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Violations {
    /// Count per rule, in [`Rule::ALL`] order.
    pub by_rule: [u64; 12],
}

impl Violations {
    /// All violations.
    pub fn total(&self) -> u64 {
        self.by_rule.iter().sum()
    }

    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &Violations) {
        for (a, b) in self.by_rule.iter_mut().zip(&other.by_rule) {
            *a += b;
        }
    }
}

/// Most examples kept per replication.
pub const EXAMPLES: usize = 5;

impl<D: Dispatcher> Engine<'_, D> {
    /// Whether `command` can apply and keeps the shop's rules.
    pub(super) fn judge(&self, command: &Command) -> Result<(), Rule> {
        self.check(command)?;
        match *command {
            Command::Assign {
                chat,
                agent,
                reason,
            }
            | Command::Offer {
                chat,
                agent,
                reason,
            } => self.rules(chat.slot, agent, reason),
            _ => Ok(()),
        }
    }

    /// The platform rules for giving the chat in `slot` to `agent`
    /// (DOMAIN.md §4): presence, routing, cap, group, private contacts.
    fn rules(&self, slot: u32, agent: AgentId, reason: Reason) -> Result<(), Rule> {
        let c = self.convs.get(slot);
        let a = self.agents.get(agent);
        let routing = &self.sc.routing;
        // Addressed to this very agent: its own cap setting, and suspended is fine.
        let (addressed, cap_applies) = match c.kind {
            BuyerKind::Direct(x) if x == agent => (true, routing.direct_respects_cap),
            BuyerKind::Returning(x) if x == agent => (true, routing.sticky_respects_cap),
            BuyerKind::Private => (true, true),
            _ => (false, true),
        };
        if c.kind == BuyerKind::Private && !a.main {
            return Err(Rule::PrivateNotMain);
        }
        // Taobao: with nobody of the group online, chats go to the main
        // account (suspended or not); with the main account and every
        // sub-account on shift suspended, they spread over the suspended
        // ones. A fallback reason is accepted only when its condition holds.
        let fallback = match reason {
            Reason::MainFallback => a.main && self.nobody_online_in(c.queue),
            Reason::SuspendedSpread => self.spread_allowed(c.queue),
            _ => false,
        };
        match a.presence {
            Presence::Offline => return Err(Rule::AgentOffline),
            Presence::Busy | Presence::Break => return Err(Rule::AgentUnavailable),
            Presence::Suspended if !addressed && !fallback => {
                return Err(Rule::AgentSuspended);
            }
            _ => {}
        }
        // 不参与分流 ("永远不参与旺旺咨询"): no chats at all, addressed ones
        // included; the main account still takes private contacts and the
        // Taobao fallback.
        if !a.routable && !a.main {
            return Err(Rule::NotRoutable);
        }
        if cap_applies && a.load() >= a.cap {
            return Err(Rule::OverCap);
        }
        // The main account may take its shop's chats when nobody of the
        // group is online (Taobao's fallback).
        let groups = self.groups_of(agent);
        let in_group = c.queue >= self.sc.groups.len()
            || groups.contains(&c.queue)
            // A VIP channel's buyer may go to an agent of the channel.
            || self
                .sc
                .routing
                .vip_channel
                .as_ref()
                .is_some_and(|vc| vc.takes(c.tier) && groups.contains(&vc.group));
        let main_fallback = a.main && reason == Reason::MainFallback && fallback;
        if !addressed && !in_group && !main_fallback {
            return Err(Rule::OutsideGroup);
        }
        Ok(())
    }

    /// No agent of queue `q`'s group is online and routable (a private
    /// contact's queue has no group: false).
    fn nobody_online_in(&self, q: usize) -> bool {
        q < self.sc.groups.len()
            && self.members_of(q).iter().all(|&i| {
                let a = self.agents.get(i as AgentId);
                !(a.presence == Presence::Online && a.routable)
            })
    }

    /// Taobao's suspended spread may apply to a chat of queue `q`.
    fn spread_allowed(&self, q: usize) -> bool {
        let Some(main) = self.sc.main_account().filter(|_| q < self.sc.groups.len()) else {
            return false;
        };
        self.sc.nobody_online_at(self.queue.now()) == crate::scenario::NobodyOnline::MainAccount
            && self.nobody_online_in(q)
            && spread_applies(
                self.agents.get(main as AgentId),
                self.members_of(q)
                    .iter()
                    .map(|&i| self.agents.get(i as AgentId)),
            )
    }

    /// Counts a refused command, keeps an example, and applies the
    /// fallback: a new chat whose placement was refused waits in its queue.
    #[cold]
    pub(super) fn refuse(&mut self, command: &Command, rule: Rule, now: SimTime) {
        self.stats.refused += 1;
        self.stats.violations.by_rule[rule as usize] += 1;
        if self.violation_examples.len() < EXAMPLES {
            let text = self.describe_refusal(command, rule, now);
            self.violation_examples.push(text);
        }
        let (chat, agent, name) = match *command {
            Command::Assign { chat, agent, .. } => (Some(chat), Some(agent), "assign"),
            Command::Offer { chat, agent, .. } => (Some(chat), Some(agent), "offer"),
            Command::Wait { chat, .. } => (Some(chat), None, "wait"),
            Command::Unassigned { chat } => (Some(chat), None, "unassigned"),
            Command::OfflineMessage { chat, .. } => (Some(chat), None, "offline_message"),
            Command::Overflow { chat, .. } => (Some(chat), None, "overflow"),
            Command::Transfer { chat, to, .. } => (Some(chat), to, "transfer"),
            Command::ChatTimer { chat, .. } => (Some(chat), None, "chat_timer"),
            Command::Wake { .. } => (None, None, "wake"),
        };
        let agents: Vec<AgentId> = agent
            .filter(|&a| (a as usize) < self.sc.agents.len())
            .into_iter()
            .collect();
        let conv = chat.map(|c| c.id);
        self.trace(conv, &agents, |_| TraceEvent::Refused {
            t: now,
            conv,
            agent: agents.first().copied(),
            command: name,
            rule: rule.name(),
        });
        let (Command::Assign { chat, .. } | Command::Offer { chat, .. }) = *command else {
            return;
        };
        let Some(c) = self
            .convs
            .try_get(chat.slot)
            .filter(|c| c.token == chat.id && matches!(c.state, ConvState::New { .. }))
        else {
            return;
        };
        let wait = Command::Wait {
            chat,
            queue: c.queue,
            class: Class::of_tier(c.tier, self.tiers),
        };
        if self.check(&wait).is_ok() {
            self.apply(wait, now);
        }
    }

    fn describe_refusal(&self, command: &Command, rule: Rule, now: SimTime) -> String {
        let when = self.sc.run.clock.format(now);
        let agent = |a: AgentId| {
            self.sc
                .agents
                .get(a as usize)
                .map_or(format!("agent {a}"), |s| format!("{} ({a})", s.name))
        };
        let what = match *command {
            Command::Assign { chat, agent: a, .. } => {
                format!("assign chat {} to {}", chat.id, agent(a))
            }
            Command::Offer { chat, agent: a, .. } => {
                format!("offer chat {} to {}", chat.id, agent(a))
            }
            Command::Transfer { chat, to, group } => format!(
                "transfer chat {} to {} of group {group}",
                chat.id,
                to.map_or("nobody".to_string(), agent)
            ),
            c => format!("{c:?}"),
        };
        format!("{when}: {what}: {}", rule.name())
    }

    /// The first refused commands of this replication, described.
    pub fn violation_examples(&self) -> &[String] {
        &self.violation_examples
    }
}

/// Adds `b`'s router counters to `a` (for [`LoopStats`] merging).
pub(crate) fn add_router_stats(a: &mut LoopStats, b: &LoopStats) {
    a.violations.add(&b.violations);
    a.router_timeouts += b.router_timeouts;
    a.router_errors += b.router_errors;
}
