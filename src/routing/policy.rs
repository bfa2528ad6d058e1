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
/// `weighted`: the group's weights differ and the policy uses them
/// ([`PolicyKind::uses_weights`]): the key is [`weighted_key`].
#[inline]
pub(super) fn key(policy: PolicyKind, weighted: bool, a: &AgentStatus) -> u64 {
    if !a.accepts_new() {
        return INELIGIBLE;
    }
    if weighted {
        return weighted_key(a);
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

/// The order of every weight-using policy in a group whose weights differ:
/// load ÷ weight, then chats since coming on shift ÷ weight (so shares
/// follow the weights at any load: under load, open chats settle in
/// proportion to the weights; when agents are idle, the counts do), then
/// the lower id. Load ÷ weight is compared to 1 part in 8,192 (an f32
/// with 13 mantissa bits, 22 bits in all), the count ÷ weight to 1 part
/// in 2^31; both are monotone, so the index and a scan agree exactly.
#[inline]
pub(super) fn weighted_key(a: &AgentStatus) -> u64 {
    let load = ((f64::from(a.load()) / a.weight) as f32).to_bits() >> 9;
    let count = (f64::from(a.shift_assigned) / a.weight).to_bits() >> 21;
    (u64::from(load) << 42) | count
}

/// Selection for the policies without a key (keyed ones are served by the
/// router's index; see [`scan_keyed`] for their definition as a scan).
pub(super) fn select_unkeyed(
    policy: PolicyKind,
    weighted: bool,
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
        PolicyKind::TaobaoQueue if weighted => {
            // Stable: equal weighted loads keep their previous order, main account first.
            order.sort_by_key(|&id| {
                let a = get(id);
                (weighted_key(a), !a.main)
            });
            order.iter().copied().find(|&id| eligible(id))
        }
        PolicyKind::TaobaoQueue => {
            // Stable: equal loads keep their previous order, main account first.
            order.sort_by_key(|&id| {
                let a = get(id);
                (a.load(), !a.main)
            });
            order.iter().copied().find(|&id| eligible(id))
        }
        PolicyKind::RoundRobin if !weighted => {
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
        // Weighted rotation: smooth weighted round robin (nginx's), among eligible agents.
        PolicyKind::Weighted | PolicyKind::RoundRobin => {
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
        PolicyKind::Random if weighted => {
            // Probability proportional to weight among the eligible agents.
            let total: f64 = members
                .iter()
                .filter(|&&id| eligible(id))
                .map(|&id| get(id).weight)
                .sum();
            if total <= 0.0 {
                return None;
            }
            let mut u = rng.random_range(0.0..total);
            let mut last = None;
            for &id in members.iter().filter(|&&id| eligible(id)) {
                last = Some(id);
                u -= get(id).weight;
                if u < 0.0 {
                    return Some(id);
                }
            }
            last
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
        _ => scan_keyed(policy, weighted, members, agents, allowed),
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
    weighted: bool,
    members: &[AgentId],
    agents: &[AgentStatus],
    allowed: impl Fn(AgentId) -> bool,
) -> Option<AgentId> {
    let get = |id: AgentId| &agents[id as usize];
    let best = members
        .iter()
        .copied()
        .filter(|&id| allowed(id))
        .min_by_key(|&id| (key(policy, weighted, get(id)), id))?;
    (key(policy, weighted, get(best)) != INELIGIBLE).then_some(best)
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
