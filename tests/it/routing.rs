//! Each routing rule with a small hand-built state and the exact expected choice.

use kefusim::agents::{AgentPool, Presence};
use kefusim::kernel::{Stream, stream_rng};
use kefusim::routing::{BuyerKind, ChatRequest, Decision, PolicyKind, Reason, Router};

use crate::support::parse;

fn setup(policy: &str, agents: &str) -> (Router, AgentPool) {
    let sc = parse(&format!(
        "[run]\nstart = \"2026-11-11T00:00:00+08:00\"\nduration = \"1h\"\n[arrivals]\nrate_per_hour = 1\n\
         [service]\nduration = {{ dist = \"constant\", value = \"1m\" }}\n[routing]\npolicy = \"{policy}\"\n{agents}"
    ));
    let mut pool = AgentPool::new(&sc);
    for id in 0..pool.len() as u32 {
        pool.agent_mut(id).presence = Presence::Online;
    }
    (Router::new(&sc, stream_rng(1, 0, Stream::Routing)), pool)
}

fn four(policy: &str) -> (Router, AgentPool) {
    setup(policy, "[[agents]]\ncount = 4\nmax_concurrent = 3\n")
}

#[test]
fn least_active_prefers_fewest_chats_then_longest_since_assignment_then_lowest_id() {
    let (mut r, mut pool) = four("least_active");
    for (id, (open, last)) in [(2, Some(10)), (1, Some(5)), (1, Some(3)), (3, None)]
        .into_iter()
        .enumerate()
    {
        let a = pool.agent_mut(id as u32);
        a.open = open;
        a.last_assigned_at = last;
    }
    assert_eq!(r.select(0, &mut pool, 20), Some(2));
    pool.agent_mut(1).last_assigned_at = None; // never assigned counts as longest ago
    assert_eq!(r.select(0, &mut pool, 20), Some(1));
    pool.agent_mut(2).last_assigned_at = None;
    assert_eq!(r.select(0, &mut pool, 20), Some(1), "full tie: lower id");
}

#[test]
fn nobody_eligible_means_queue() {
    let (mut r, mut pool) = four("least_active");
    pool.agent_mut(0).open = 3; // at cap
    pool.agent_mut(1).presence = Presence::Break;
    pool.agent_mut(2).presence = Presence::Offline;
    assert_eq!(r.select(0, &mut pool, 0), Some(3));
    pool.agent_mut(3).open = 3;
    let req = ChatRequest {
        group: 0,
        vip: false,
        kind: BuyerKind::New,
    };
    assert_eq!(r.route(&req, &mut pool, 0), Decision::Queue);
    pool.agent_mut(3).open = 2;
    assert_eq!(
        r.route(&req, &mut pool, 0),
        Decision::Assign {
            agent: 3,
            reason: Reason::Policy(PolicyKind::LeastActive)
        }
    );
}

#[test]
fn weighted_is_smooth_and_proportional() {
    let (mut r, mut pool) = setup(
        "weighted",
        "[[agents]]\nname = \"a\"\nweight = 2.0\nmax_concurrent = 50\n[[agents]]\nname = \"b\"\nmax_concurrent = 50\n",
    );
    let picks: Vec<u32> = (0..6).map(|_| r.select(0, &mut pool, 0).unwrap()).collect();
    assert_eq!(picks, vec![0, 1, 0, 0, 1, 0]);
}

#[test]
fn round_robin_cycles_and_skips_ineligible() {
    let (mut r, mut pool) = four("round_robin");
    pool.agent_mut(2).presence = Presence::Break;
    let picks: Vec<u32> = (0..5).map(|_| r.select(0, &mut pool, 0).unwrap()).collect();
    assert_eq!(picks, vec![0, 1, 3, 0, 1]);
}

#[test]
fn longest_idle_prefers_idle_agents_by_idle_time() {
    let (mut r, mut pool) = four("longest_idle");
    for (id, (open, idle_since, last)) in [(1, 0, 50), (0, 40, 40), (0, 30, 30), (1, 0, 10)]
        .into_iter()
        .enumerate()
    {
        let a = pool.agent_mut(id as u32);
        a.open = open;

        a.idle_since = idle_since;
        a.last_activity = last;
    }
    assert_eq!(r.select(0, &mut pool, 100), Some(2));
    pool.agent_mut(1).open = 1;
    pool.agent_mut(2).open = 1;
    assert_eq!(
        r.select(0, &mut pool, 100),
        Some(3),
        "nobody idle: least recent activity"
    );
}

#[test]
fn random_is_uniform_over_eligible_and_reproducible() {
    let (mut r, mut pool) = four("random");
    pool.agent_mut(1).open = 3;
    let mut counts = [0u32; 4];
    let mut seq = Vec::new();
    for _ in 0..30_000 {
        let a = r.select(0, &mut pool, 0).unwrap();
        counts[a as usize] += 1;
        seq.push(a);
    }
    assert_eq!(counts[1], 0);
    for c in [counts[0], counts[2], counts[3]] {
        assert!((9_500..10_500).contains(&c), "{counts:?}");
    }
    let (mut r2, _) = four("random");
    let again: Vec<u32> = (0..100)
        .map(|_| r2.select(0, &mut pool, 0).unwrap())
        .collect();
    assert_eq!(&seq[..100], &again[..]);
}

#[test]
fn groups_only_route_to_their_members() {
    let (mut r, mut pool) = setup(
        "least_active",
        "[[agents]]\nname = \"pre\"\ngroups = [\"presale\"]\n[[agents]]\nname = \"post\"\ngroups = [\"aftersales\"]\n\
         [buyers]\nentries = { product = 0.5, order = 0.5 }\n[routing.entry_groups]\nproduct = \"presale\"\norder = \"aftersales\"\n",
    );
    assert_eq!(r.members(0), &[0]);
    assert_eq!(r.select(1, &mut pool, 0), Some(1));
}
