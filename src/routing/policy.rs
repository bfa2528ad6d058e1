//! Selection policies: pick one eligible agent of a group.

use rand::RngExt;

use super::index::INELIGIBLE;
use crate::agents::{AgentId, AgentStatus};
use crate::kernel::StreamRng;
pub use crate::scenario::PolicyKind;

/// Whether the policy orders agents by a [`key`] kept in the router's index.
pub(super) fn is_keyed(policy: PolicyKind) -> bool {
    !matches!(
        policy,
        PolicyKind::Weighted
            | PolicyKind::RoundRobin
            | PolicyKind::Random
            | PolicyKind::TaobaoQueue
    )
}

/// The ordering key of a keyed policy: the eligible agent with the smallest
/// key is chosen, ties to the lower id; [`INELIGIBLE`] if it cannot take a chat.
#[inline]
pub(super) fn key(policy: PolicyKind, a: &AgentStatus) -> u64 {
    if !a.accepts_new() {
        return INELIGIBLE;
    }
    // Times are < 2^42 ms (139 years; runs are at most 366 days plus a
    // 7-day drain); open chats of an eligible agent are < cap ≤ 50 < 2^6.
    const TIME: u64 = (1 << 42) - 1;
    let assigned = assigned_rank(a).min(TIME);
    let open = u64::from(a.load());
    match policy {
        // Fewest open chats, then longest since the last assignment (never = longest ago).
        PolicyKind::LeastActive => (open << 56) | assigned,
        // Idle agents first, longest idle first; then busy ones by least recent activity.
        PolicyKind::LongestIdle if a.load() == 0 => a.idle_since.min(TIME),
        PolicyKind::LongestIdle => (1 << 62) | a.last_activity.min(TIME),
        PolicyKind::FeigeEven => (open << 56) | u64::from(a.shift_assigned).min(TIME),
        PolicyKind::FeigePriority => (open << 56) | a.last_activity.min(TIME),
        // Free slots 1..=50: more first.
        PolicyKind::MostAvailable => ((64 - u64::from(a.cap - a.load())) << 56) | assigned,
        // open/cap in 20-bit fixed point: distinct fractions with denominators
        // ≤ 50 differ by more than 2^-20, so the order is exact.
        PolicyKind::PercentAvailable => ((open << 20) / u64::from(a.cap)) << 42 | assigned,
        PolicyKind::Weighted
        | PolicyKind::RoundRobin
        | PolicyKind::Random
        | PolicyKind::TaobaoQueue => INELIGIBLE,
    }
}

/// Selection for the policies without a key (keyed ones are served by the
/// router's index; see [`scan_keyed`] for their definition as a scan).
pub(super) fn select_unkeyed(
    policy: PolicyKind,
    state: &mut UnkeyedState<'_>,
    agents: &[AgentStatus],
    allowed: impl Fn(AgentId) -> bool,
    rng: &mut StreamRng,
) -> Option<AgentId> {
    let members: &[AgentId] = state.members;
    let (cursor, credits, order) = (&mut *state.cursor, &mut *state.credits, &mut *state.order);
    let get = |id: AgentId| &agents[id as usize];
    let eligible = |id: AgentId| get(id).accepts_new() && allowed(id);
    match policy {
        PolicyKind::TaobaoQueue => {
            // Stable: equal loads keep their previous order, main account first.
            order.sort_by_key(|&id| {
                let a = get(id);
                (a.load(), !a.main)
            });
            order.iter().copied().find(|&id| eligible(id))
        }
        PolicyKind::RoundRobin => {
            let n = members.len();
            let start = if *cursor == usize::MAX {
                0
            } else {
                *cursor + 1
            };
            let pos = (0..n)
                .map(|k| (start + k) % n)
                .find(|&p| eligible(members[p]))?;
            *cursor = pos;
            Some(members[pos])
        }
        PolicyKind::Weighted => {
            let mut total = 0.0;
            let mut best: Option<usize> = None;
            for (p, &id) in members.iter().enumerate() {
                let a = get(id);
                if eligible(id) {
                    credits[p] += a.weight;
                    total += a.weight;
                    if best.is_none_or(|b| credits[p] > credits[b]) {
                        best = Some(p);
                    }
                }
            }
            let p = best?;
            credits[p] -= total;
            Some(members[p])
        }
        PolicyKind::Random => {
            let n = members.iter().filter(|&&id| eligible(id)).count();
            if n == 0 {
                return None;
            }
            let k = rng.random_range(0..n);
            members.iter().copied().filter(|&id| eligible(id)).nth(k)
        }
        // Keyed policies are served by the router's index, or by a scan (fairness limiter, exclusions).
        _ => scan_keyed(policy, members, agents, allowed),
    }
}

/// Per-group state of the policies without a key.
pub(super) struct UnkeyedState<'a> {
    /// The group's members, in id order.
    pub members: &'a [AgentId],
    /// Round-robin cursor: position in `members` of the last choice.
    pub cursor: &'a mut usize,
    /// Smooth weighted round-robin credits, aligned with `members`.
    pub credits: &'a mut [f64],
    /// Taobao's ordered list.
    pub order: &'a mut Vec<AgentId>,
}

/// A keyed policy as a plain scan: the eligible member with the smallest key,
/// ties to the lower id. The router's index must always agree with it.
pub(super) fn scan_keyed(
    policy: PolicyKind,
    members: &[AgentId],
    agents: &[AgentStatus],
    allowed: impl Fn(AgentId) -> bool,
) -> Option<AgentId> {
    let get = |id: AgentId| &agents[id as usize];
    let best = members
        .iter()
        .copied()
        .filter(|&id| allowed(id))
        .min_by_key(|&id| (key(policy, get(id)), id))?;
    (key(policy, get(best)) != INELIGIBLE).then_some(best)
}

/// "Least loaded, then longest since the last assignment, then lower id"
/// as a sort key (smallest first): open and offered chats, the time of the
/// last assignment (never = longest ago), the id. The one order of
/// `least_active` (whose index key [`key`] packs the same first two
/// fields), the suspended spread and transfer targets.
#[inline]
pub(super) fn least_loaded(id: AgentId, a: &AgentStatus) -> (u32, u64, AgentId) {
    (a.load(), assigned_rank(a), id)
}

/// The last assignment as a rank: 0 = never (longest ago), else time + 1.
#[inline]
fn assigned_rank(a: &AgentStatus) -> u64 {
    a.last_assigned_at.map_or(0, |t| t + 1)
}
