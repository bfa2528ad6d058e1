//! Agents at run time: presence, open chats, and the work-speed bookkeeping
//! of the session model.
//!
//! Service with slowdown: every chat carries an amount of *work* (its
//! duration when the agent holds only that chat). While an agent holds `k`
//! chats, each progresses at `speed / slowdown[k-1]`. An agent keeps a
//! *virtual clock* `vclock` (work done per chat so far); a chat assigned at
//! virtual time `v` with work `w` ends when `vclock` reaches `v + w`. Only the
//! agent's earliest end needs a timer; it is re-timed whenever the agent's
//! concurrency (and so its speed) changes. With exponential work this is
//! exactly the level-dependent CTMC of Tezcan & Zhang (2014).

use crate::kernel::TimerId;
use crate::scenario::Scenario;
use crate::time::SimTime;

/// Index of an agent (its position in the scenario's `[[agents]]`, expanded).
pub type AgentId = u32;

/// Where an agent stands for routing (DOMAIN.md §2, §4). Invisible (隐身)
/// counts as online and is not a separate state.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Off shift (离线): no new chats; what happens to its open chats is `[routing] shift_end`.
    Offline,
    /// On shift and taking chats (在线).
    Online,
    /// 忙碌: on shift, receives nothing new.
    Busy,
    /// On a break (小休): keeps its chats, takes no new ones, may receive transfers.
    Break,
    /// 挂起: no newly routed chats; returning and directly addressed buyers still reach it.
    Suspended,
}

impl Presence {
    /// Whether the agent is on shift (any state but offline).
    #[inline]
    pub fn on_shift(self) -> bool {
        self != Presence::Offline
    }

    /// Name used in traces and tables.
    pub fn name(self) -> &'static str {
        match self {
            Presence::Offline => "offline",
            Presence::Online => "online",
            Presence::Busy => "busy",
            Presence::Break => "break",
            Presence::Suspended => "suspended",
        }
    }
}

/// What routing may know about an agent: its state, load and the times
/// the policies order by. Plain data; the engine's pool keeps one per agent
/// and reports every change to routing (the pool's change list).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct AgentStatus {
    /// Concurrent chat cap.
    pub cap: u32,
    /// Routing weight.
    pub weight: f64,
    /// Takes part in routing (`false` = 不参与分流).
    pub routable: bool,
    /// The shop's main account.
    pub main: bool,
    /// Chats assigned since the agent last came on shift.
    pub shift_assigned: u32,
    /// Presence.
    pub presence: Presence,
    /// Open chats.
    pub open: u32,
    /// Chats offered to the agent and not yet accepted (offer variants).
    pub reserved: u32,
    /// Last time a chat was assigned; `None` = never.
    pub last_assigned_at: Option<SimTime>,
    /// Since when the agent has had no open chats while online (longest-idle order).
    pub idle_since: SimTime,
    /// Last assignment or chat end.
    pub last_activity: SimTime,
}

impl AgentStatus {
    /// Whether routing may give this agent a new chat.
    #[inline]
    pub fn accepts_new(&self) -> bool {
        self.presence == Presence::Online && self.routable && self.load() < self.cap
    }

    /// Open chats plus chats offered and not yet accepted: what counts against the cap.
    #[inline]
    pub fn load(&self) -> u32 {
        self.open + self.reserved
    }

    /// Whether a buyer who addresses this agent (directly, or as a recent
    /// contact) reaches it: online or suspended, and under its cap if `cap` applies.
    #[inline]
    pub fn takes_addressed(&self, cap: bool) -> bool {
        matches!(self.presence, Presence::Online | Presence::Suspended)
            && (!cap || self.load() < self.cap)
    }
}

/// The session model's work bookkeeping of one agent (engine only).
#[derive(Debug, Clone)]
pub(crate) struct AgentWork {
    /// Work is frozen (chats stuck while off shift, `shift_end = "stuck"`).
    pub frozen: bool,
    /// Work is paused (the agent is on a break, `break_pauses_chats`).
    pub paused: bool,
    /// Work done per chat so far (virtual clock, ms of work).
    pub vclock: f64,
    /// Simulated time `vclock` refers to.
    pub vclock_at: SimTime,
    /// Current per-chat work speed.
    pub chat_speed: f64,
    /// Open chats as a min-heap on virtual end: `(v_end, conversation)`.
    pub ends: Vec<(f64, u32)>,
    /// Timer of the earliest chat end, with its time.
    pub end_timer: Option<(TimerId, SimTime)>,
}

/// All agents plus the speed table they share.
///
/// Invariant: every change that can affect routing (presence, open chats,
/// assignment and idle times) goes through a method that marks the agent
/// changed; routing reads the changed agents once before selecting
/// ([`AgentPool::drain_dirty`]).
pub(crate) struct AgentPool {
    status: Vec<AgentStatus>,
    work: Vec<AgentWork>,
    dirty: Vec<AgentId>,
    is_dirty: Vec<bool>,
    /// Per-chat speed at 1, 2, … open chats before the agent's own factor
    /// (`1 / slowdown[k-1]`), padded to the largest cap.
    speed_at: Vec<f64>,
    agent_speed: Vec<f64>,
}

impl AgentPool {
    /// All agents offline and idle at time 0.
    pub fn new(scenario: &Scenario) -> Self {
        let max_cap = scenario.max_cap() as usize;
        let slowdown = &scenario.service.slowdown;
        let speed_at = (1..=max_cap)
            .map(|k| {
                1.0 / slowdown
                    .get(k - 1)
                    .or(slowdown.last())
                    .copied()
                    .unwrap_or(1.0)
            })
            .collect();
        let status = scenario
            .agents
            .iter()
            .map(|spec| AgentStatus {
                cap: spec.max_concurrent,
                weight: spec.weight,
                routable: spec.routable,
                main: spec.main_account,
                shift_assigned: 0,
                presence: Presence::Offline,
                open: 0,
                reserved: 0,
                last_assigned_at: None,
                idle_since: 0,
                last_activity: 0,
            })
            .collect();
        let work = scenario
            .agents
            .iter()
            .map(|spec| AgentWork {
                frozen: false,
                paused: false,
                vclock: 0.0,
                vclock_at: 0,
                chat_speed: spec.speed,
                ends: Vec::with_capacity(spec.max_concurrent as usize),
                end_timer: None,
            })
            .collect();
        let agent_speed = scenario.agents.iter().map(|a| a.speed).collect();
        let n = scenario.agents.len();
        Self {
            status,
            work,
            dirty: (0..n as AgentId).collect(),
            is_dirty: vec![true; n],
            speed_at,
            agent_speed,
        }
    }

    /// The agent `id`.
    #[inline]
    pub fn get(&self, id: AgentId) -> &AgentStatus {
        &self.status[id as usize]
    }

    /// The agent's work bookkeeping.
    #[inline]
    pub fn work(&self, id: AgentId) -> &AgentWork {
        &self.work[id as usize]
    }

    /// Every agent, by id.
    pub fn all(&self) -> &[AgentStatus] {
        &self.status
    }

    /// The agent `id`, to change; marks it for re-keying by routing.
    #[inline]
    pub fn agent_mut(&mut self, id: AgentId) -> &mut AgentStatus {
        self.mark(id);
        &mut self.status[id as usize]
    }

    #[inline]
    fn mark(&mut self, id: AgentId) {
        if !self.is_dirty[id as usize] {
            self.is_dirty[id as usize] = true;
            self.dirty.push(id);
        }
    }

    /// Calls `f` once for every agent changed since the last call.
    #[inline(always)]
    pub fn drain_dirty(&mut self, mut f: impl FnMut(AgentId, &AgentStatus)) {
        for &id in &self.dirty {
            self.is_dirty[id as usize] = false;
            f(id, &self.status[id as usize]);
        }
        self.dirty.clear();
    }

    /// Changes the agent's presence at `now`. An agent coming online with no
    /// chat counts as idle from then on (longest-idle order).
    pub fn set_presence(&mut self, id: AgentId, presence: Presence, now: SimTime) {
        let a = self.agent_mut(id);
        if presence == Presence::Online && a.open == 0 {
            a.idle_since = now;
        }
        if !a.presence.on_shift() && presence.on_shift() {
            a.shift_assigned = 0;
        }
        a.presence = presence;
    }

    /// Freezes or thaws the agent's work at `now` (stuck chats make no progress).
    pub fn set_frozen(&mut self, id: AgentId, frozen: bool, now: SimTime) {
        self.advance_clock(id, now);
        self.work[id as usize].frozen = frozen;
    }

    /// Pauses or resumes the agent's work at `now` (a break).
    pub fn set_paused(&mut self, id: AgentId, paused: bool, now: SimTime) {
        self.advance_clock(id, now);
        self.work[id as usize].paused = paused;
    }

    /// Ends every open chat of the agent at `now`; returns each conversation
    /// with the work it still had, in conversation order.
    pub fn take_all(&mut self, id: AgentId, now: SimTime) -> Vec<(u32, f64)> {
        self.mark(id);
        self.advance_clock(id, now);
        let w = &mut self.work[id as usize];
        let mut out: Vec<(u32, f64)> = w
            .ends
            .drain(..)
            .map(|(v_end, conv)| (conv, (v_end - w.vclock).max(0.0)))
            .collect();
        out.sort_unstable_by_key(|&(conv, _)| conv);
        let a = &mut self.status[id as usize];
        a.open = 0;
        a.last_activity = now;
        a.idle_since = now;
        out
    }

    /// Records the timer of the agent's earliest chat end (not a routing change).
    #[inline]
    pub fn set_end_timer(&mut self, id: AgentId, timer: Option<(TimerId, SimTime)>) {
        self.work[id as usize].end_timer = timer;
    }

    /// Number of agents.
    pub fn len(&self) -> usize {
        self.status.len()
    }

    /// Brings the agent's virtual clock to `now`.
    #[inline]
    fn advance_clock(&mut self, id: AgentId, now: SimTime) {
        let i = id as usize;
        advance(&self.status[i], &mut self.work[i], now);
    }

    /// Sets the per-chat speed for the agent's open chats.
    #[inline]
    fn set_speed(&mut self, id: AgentId) {
        let i = id as usize;
        let k = self.status[i].open as usize;
        if k > 0 {
            self.work[i].chat_speed = self.speed(i, k);
        }
    }

    /// The per-chat speed of agent `i` holding `k` ≥ 1 chats (above the
    /// cap — addressed or transferred chats — the last entry holds).
    #[inline]
    fn speed(&self, i: usize, k: usize) -> f64 {
        self.agent_speed[i] * self.speed_at[k.min(self.speed_at.len()) - 1]
    }

    /// Gives the agent a chat with `work_ms` of work at `now`.
    #[inline]
    pub fn start_chat(&mut self, id: AgentId, conv: u32, work_ms: f64, now: SimTime) {
        self.mark(id);
        let i = id as usize;
        let (a, w) = (&mut self.status[i], &mut self.work[i]);
        advance(a, w, now);
        heap_push(&mut w.ends, (w.vclock + work_ms, conv));
        opened(a, now);
        let k = a.open as usize;
        self.work[i].chat_speed = self.speed(i, k);
    }

    /// Offer variants: reserves (or releases) a slot for an offered chat.
    pub fn reserve(&mut self, id: AgentId, delta: i32) {
        let a = self.agent_mut(id);
        a.reserved = a.reserved.wrapping_add_signed(delta);
    }

    /// Session model: removes chat `conv` from the agent at `now` (a transfer)
    /// and returns the work it still had.
    pub fn take_chat(&mut self, id: AgentId, conv: u32, now: SimTime) -> Option<f64> {
        self.mark(id);
        self.advance_clock(id, now);
        let w = &mut self.work[id as usize];
        let i = w.ends.iter().position(|&(_, c)| c == conv)?;
        let (v_end, _) = w.ends.swap_remove(i);
        let rest = std::mem::take(&mut w.ends);
        for item in rest {
            heap_push(&mut w.ends, item);
        }
        let remaining = (v_end - w.vclock).max(0.0);
        closed(&mut self.status[id as usize], now);
        self.set_speed(id);
        Some(remaining)
    }

    /// Dialogue model: the agent takes a chat at `now` (no work clock).
    pub fn open_chat(&mut self, id: AgentId, now: SimTime) {
        opened(self.agent_mut(id), now);
    }

    /// Dialogue model: one of the agent's chats closes at `now`.
    pub fn close_chat(&mut self, id: AgentId, now: SimTime) {
        closed(self.agent_mut(id), now);
    }

    /// Ends the agent's earliest chat at `now` and returns its conversation.
    #[inline]
    pub fn end_earliest(&mut self, id: AgentId, now: SimTime) -> Option<u32> {
        self.mark(id);
        let i = id as usize;
        let (a, w) = (&mut self.status[i], &mut self.work[i]);
        advance(a, w, now);
        let (_, conv) = heap_pop(&mut w.ends)?;
        closed(a, now);
        let k = a.open as usize;
        if k > 0 {
            self.work[i].chat_speed = self.speed(i, k);
        }
        Some(conv)
    }

    /// When the agent's earliest chat ends at the current speed, if it holds any.
    #[inline]
    pub fn next_end(&self, id: AgentId) -> Option<SimTime> {
        let w = &self.work[id as usize];
        if w.frozen || w.paused {
            return None;
        }
        let &(v_end, _) = w.ends.first()?;
        let remaining = ((v_end - w.vclock) / w.chat_speed).max(0.0);
        // Saturating: a chat that would end after the end of time simply never ends.
        Some(w.vclock_at.saturating_add(remaining.ceil() as SimTime))
    }
}

/// Brings an agent's virtual clock to `now` (work progresses while it holds chats, unless frozen).
#[inline]
fn advance(a: &AgentStatus, w: &mut AgentWork, now: SimTime) {
    if a.open > 0 && !w.frozen && !w.paused {
        w.vclock += (now - w.vclock_at) as f64 * w.chat_speed;
    }
    w.vclock_at = now;
}

/// Counts a new chat of the agent at `now`.
#[inline]
fn opened(a: &mut AgentStatus, now: SimTime) {
    a.open += 1;
    a.shift_assigned += 1;
    a.last_assigned_at = Some(now);
    a.last_activity = now;
}

/// Counts a chat of the agent gone at `now`.
#[inline]
fn closed(a: &mut AgentStatus, now: SimTime) {
    a.open -= 1;
    a.last_activity = now;
    if a.open == 0 {
        a.idle_since = now;
    }
}

fn heap_push(heap: &mut Vec<(f64, u32)>, item: (f64, u32)) {
    heap.push(item);
    let mut i = heap.len() - 1;
    while i > 0 {
        let parent = (i - 1) / 2;
        if less(&heap[i], &heap[parent]) {
            heap.swap(i, parent);
            i = parent;
        } else {
            break;
        }
    }
}

fn heap_pop(heap: &mut Vec<(f64, u32)>) -> Option<(f64, u32)> {
    if heap.is_empty() {
        return None;
    }
    let top = heap.swap_remove(0);
    let n = heap.len();
    let mut i = 0;
    loop {
        let (l, r) = (2 * i + 1, 2 * i + 2);
        let mut m = i;
        if l < n && less(&heap[l], &heap[m]) {
            m = l;
        }
        if r < n && less(&heap[r], &heap[m]) {
            m = r;
        }
        if m == i {
            break;
        }
        heap.swap(i, m);
        i = m;
    }
    Some(top)
}

/// Order by virtual end, then conversation id, so ties are deterministic.
#[inline]
fn less(a: &(f64, u32), b: &(f64, u32)) -> bool {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).is_lt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_orders_by_end_then_id() {
        let mut h = Vec::new();
        for (v, id) in [(5.0, 1), (1.0, 9), (3.0, 2), (1.0, 3), (8.0, 0)] {
            heap_push(&mut h, (v, id));
        }
        let order: Vec<u32> = std::iter::from_fn(|| heap_pop(&mut h).map(|x| x.1)).collect();
        assert_eq!(order, vec![3, 9, 2, 1, 0]);
    }
}
