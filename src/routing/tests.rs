//! Each routing rule with a small hand-built state and the exact expected choice.

use rand::RngExt;

use super::select::{Decision, Selector};
use super::*;
use crate::agents::{AgentId, AgentPool, Presence};
use crate::kernel::{Stream, StreamRng, stream_rng};
use crate::scenario::Scenario;
use crate::time::SimTime;

fn parse(toml: &str) -> Scenario {
    Scenario::from_toml(toml, "test.toml", "test").unwrap_or_else(|e| panic!("{e}"))
}

/// What routing needs to know about a new chat.
struct ChatRequest {
    group: usize,
    kind: BuyerKind,
}

/// The selector with the engine's side of the calls (a context at `now`).
struct Router {
    sel: Selector,
}

impl Router {
    fn new(sc: &Scenario, rng: StreamRng) -> Self {
        Self {
            sel: Selector::new(sc, rng),
        }
    }

    fn select(&mut self, group: usize, pool: &mut AgentPool, now: SimTime) -> Option<AgentId> {
        self.sel.select(group, &mut Ctx::new(now, pool))
    }

    fn route(&mut self, req: &ChatRequest, pool: &mut AgentPool, now: SimTime) -> Decision {
        self.sel
            .route(req.group, req.kind, &mut Ctx::new(now, pool))
    }

    fn members(&self, group: usize) -> &[AgentId] {
        self.sel.members(group)
    }

    fn on_assigned(&mut self, agent: AgentId, now: SimTime) {
        self.sel.on_assigned(agent, now);
    }

    fn set_member(&mut self, agent: AgentId, group: usize, member: bool, pool: &mut AgentPool) {
        self.sel
            .set_member(agent, group, member, &mut Ctx::new(0, pool));
    }

    fn next_release(&self, group: usize, pool: &mut AgentPool, now: SimTime) -> Option<SimTime> {
        self.sel.next_release(group, &Ctx::new(now, pool))
    }
}

/// The keyed index, fed only through the pool's change tracking, picks
/// exactly what a scan of the current state picks.
#[test]
fn index_matches_a_scan_under_random_changes() {
    let policies = [
        "least_active",
        "longest_idle",
        "feige_even",
        "feige_priority",
        "most_available",
        "percent_available",
    ];
    // Equal weights, then weights that differ (the weighted order).
    let staffs = [
        "[[agents]]\ncount = 9\nmax_concurrent = 3\n",
        "[[agents]]\ncount = 5\nmax_concurrent = 3\n[[agents]]\nname = \"w\"\ncount = 4\nweight = 2.5\nmax_concurrent = 3\n",
    ];
    for (policy, staff) in policies
        .iter()
        .flat_map(|p| staffs.iter().map(move |s| (p, s)))
    {
        let sc = Scenario::from_toml(
            &format!(
                "[run]\nstart = \"2026-11-11T00:00:00+08:00\"\nduration = \"1h\"\n[arrivals]\nrate_per_hour = 1\n\
                 [service]\nduration = {{ dist = \"constant\", value = \"1m\" }}\n[routing]\npolicy = \"{policy}\"\n{staff}"
            ),
            "t.toml",
            "t",
        )
        .unwrap();
        let mut pool = AgentPool::new(&sc);
        let mut sel = Selector::new(&sc, stream_rng(1, 0, Stream::Routing));
        let mut rng = stream_rng(2, 0, Stream::Service);
        let mut conv = 0;
        for now in 0..3_000u64 {
            let id = rng.random_range(0..9u32);
            match rng.random_range(0..4) {
                0 => {
                    pool.agent_mut(id).presence =
                        [Presence::Online, Presence::Break, Presence::Offline]
                            [rng.random_range(0..3)]
                }
                1 if pool.get(id).open < 3 => {
                    conv += 1;
                    pool.start_chat(id, conv, 1.0 + rng.random_range(0.0..100.0), now);
                }
                2 => {
                    pool.end_earliest(id, now);
                }
                _ => {}
            }
            let (members, kind) = (sel.members(0).to_vec(), sel.policy(0));
            let scan = policy::scan_keyed(kind, sel.weighted(0), &members, pool.all(), |_| true);
            let mut ctx = Ctx::new(now, &mut pool);
            assert_eq!(sel.select(0, &mut ctx), scan, "{policy} at step {now}");
        }
    }
}

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

// ---- DOMAIN.md §4: the decision order, one rule per test ----

fn route(r: &mut Router, pool: &mut AgentPool, kind: BuyerKind) -> Decision {
    let req = ChatRequest { group: 0, kind };
    r.route(&req, pool, 1_000)
}

fn assigned(agent: u32, reason: Reason) -> Decision {
    Decision::Assign { agent, reason }
}

/// A Taobao-style shop: main account `boss` (id 0) and three sub-accounts (ids 1–3).
fn shop(routing: &str) -> (Router, AgentPool) {
    setup(
        "least_active",
        &format!(
            "nobody_online = \"{routing}\"\n[buyers]\nprivate_share = 0.1\n\
             [[agents]]\nname = \"boss\"\nmain_account = true\nmax_concurrent = 3\n\
             [[agents]]\nname = \"sub\"\ncount = 3\nmax_concurrent = 3\n"
        ),
    )
}

#[test]
fn a_suspended_agent_receives_its_returning_buyer_but_not_a_new_one() {
    let (mut r, mut pool) = four("least_active");
    for id in [0, 1, 3] {
        pool.agent_mut(id).presence = Presence::Offline;
    }
    pool.agent_mut(2).presence = Presence::Suspended;
    assert_eq!(route(&mut r, &mut pool, BuyerKind::New), Decision::Queue);
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::Returning(2)),
        assigned(2, Reason::Sticky)
    );
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::Direct(2)),
        assigned(2, Reason::Direct)
    );
}

#[test]
fn busy_and_break_agents_receive_neither_new_nor_returning_buyers() {
    let (mut r, mut pool) = four("least_active");
    pool.agent_mut(0).presence = Presence::Busy;
    pool.agent_mut(1).presence = Presence::Break;
    // The returning buyer of a busy agent falls through to the policy.
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::Returning(0)),
        assigned(2, Reason::Policy(PolicyKind::LeastActive))
    );
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::Direct(1)),
        assigned(2, Reason::Policy(PolicyKind::LeastActive))
    );
}

#[test]
fn sticky_cap_is_a_parameter() {
    for (cap_applies, expected) in [
        (true, assigned(1, Reason::Policy(PolicyKind::LeastActive))),
        (false, assigned(0, Reason::Sticky)),
    ] {
        let (mut r, mut pool) = setup(
            "least_active",
            &format!(
                "sticky_respects_cap = {cap_applies}\n[[agents]]\ncount = 2\nmax_concurrent = 2\n"
            ),
        );
        pool.agent_mut(0).open = 2; // at its cap
        assert_eq!(route(&mut r, &mut pool, BuyerKind::Returning(0)), expected);
    }
}

#[test]
fn a_private_contact_never_reaches_a_sub_account() {
    let (mut r, mut pool) = shop("queue");
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::Private),
        assigned(0, Reason::Private)
    );
    // Main at its cap: held for main, although sub-accounts are free.
    pool.agent_mut(0).open = 3;
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::Private),
        Decision::ForMain { offline: false }
    );
    // Main suspended (any on-shift state): still main.
    pool.agent_mut(0).open = 0;
    pool.agent_mut(0).presence = Presence::Suspended;
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::Private),
        assigned(0, Reason::Private)
    );
    // Main offline: an offline message for main, never a sub-account.
    pool.agent_mut(0).presence = Presence::Offline;
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::Private),
        Decision::ForMain { offline: true }
    );
}

#[test]
fn all_sub_accounts_offline_sends_chats_to_the_main_account_even_though_suspended() {
    let (mut r, mut pool) = shop("main_account");
    for id in 1..=3 {
        pool.agent_mut(id).presence = Presence::Offline;
    }
    pool.agent_mut(0).presence = Presence::Suspended;
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::New),
        assigned(0, Reason::MainFallback)
    );
    // A main account that is off shift too: everyone is offline, so the
    // chat is an offline message for the main account.
    pool.agent_mut(0).presence = Presence::Offline;
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::New),
        Decision::OfflineForMain
    );
    // … but while a sub-account is on shift (on a break), the chat waits.
    pool.agent_mut(2).presence = Presence::Break;
    assert_eq!(route(&mut r, &mut pool, BuyerKind::New), Decision::Queue);
}

#[test]
fn suspended_sub_accounts_get_no_new_chats_while_main_is_online_full_busy_or_offline() {
    let (mut r, mut pool) = shop("main_account");
    pool.agent_mut(1).presence = Presence::Suspended;
    pool.agent_mut(2).presence = Presence::Offline;
    pool.agent_mut(3).presence = Presence::Offline;
    // Main online at its cap: the chat waits for main (挂起后,基本上不会被分流).
    pool.agent_mut(0).open = 3;
    assert_eq!(route(&mut r, &mut pool, BuyerKind::New), Decision::Queue);
    // Main busy, on a break or offline: the chat waits too.
    pool.agent_mut(0).open = 0;
    for p in [Presence::Busy, Presence::Break, Presence::Offline] {
        pool.agent_mut(0).presence = p;
        assert_eq!(
            route(&mut r, &mut pool, BuyerKind::New),
            Decision::Queue,
            "{p:?}"
        );
    }
    // Main suspended, a sub-account suspended, another on a break: not
    // every account is suspended, so main takes it.
    pool.agent_mut(0).presence = Presence::Suspended;
    pool.agent_mut(2).presence = Presence::Break;
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::New),
        assigned(0, Reason::MainFallback)
    );
    // Main suspended and full, the others as before: the chat waits.
    pool.agent_mut(0).open = 3;
    assert_eq!(route(&mut r, &mut pool, BuyerKind::New), Decision::Queue);
    // The sub on a break suspends too: every account on shift is suspended.
    pool.agent_mut(2).presence = Presence::Suspended;
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::New),
        assigned(1, Reason::SuspendedSpread)
    );
}

#[test]
fn a_sub_account_outside_routing_takes_no_directly_addressed_buyer() {
    let (mut r, mut pool) = shop("queue");
    pool.agent_mut(1).routable = false; // 不参与分流
    let to_group = route(&mut r, &mut pool, BuyerKind::Direct(1));
    assert!(
        matches!(to_group, Decision::Assign { agent, reason: Reason::Policy(_) } if agent != 1),
        "{to_group:?}"
    );
    // The main account outside routing still takes its own buyers.
    pool.agent_mut(0).routable = false;
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::Direct(0)),
        assigned(0, Reason::Direct)
    );
}

#[test]
fn every_account_suspended_spreads_chats_evenly() {
    let (mut r, mut pool) = shop("main_account");
    for id in 0..=3 {
        pool.agent_mut(id).presence = Presence::Suspended;
    }
    pool.agent_mut(0).open = 1;
    pool.agent_mut(1).open = 2;
    pool.agent_mut(2).open = 1;
    pool.agent_mut(2).last_assigned_at = Some(500);
    pool.agent_mut(3).open = 1;
    pool.agent_mut(3).last_assigned_at = Some(400);
    // Fewest open chats (1: boss, sub-02, sub-03), then least recently assigned (boss never).
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::New),
        assigned(0, Reason::SuspendedSpread)
    );
    pool.agent_mut(0).last_assigned_at = Some(900);
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::New),
        assigned(3, Reason::SuspendedSpread)
    );
}

#[test]
fn nobody_online_on_feige_makes_an_offline_message_but_full_agents_make_a_queue() {
    let (mut r, mut pool) = shop("offline_message");
    for id in 0..=3 {
        pool.agent_mut(id).open = 3;
    }
    assert_eq!(route(&mut r, &mut pool, BuyerKind::New), Decision::Queue);
    for id in 0..=3 {
        pool.agent_mut(id).presence = Presence::Break;
    }
    assert_eq!(route(&mut r, &mut pool, BuyerKind::New), Decision::Offline);
}

#[test]
fn a_non_routable_agent_gets_no_chats_at_all() {
    // 不参与分流: "永远不参与旺旺咨询" — routed, returning and directly
    // addressed buyers all go to the group.
    let (mut r, mut pool) = setup(
        "least_active",
        "[[agents]]\nname = \"x\"\nroutable = false\n[[agents]]\nname = \"y\"\n",
    );
    let policy = assigned(1, Reason::Policy(PolicyKind::LeastActive));
    assert_eq!(route(&mut r, &mut pool, BuyerKind::New), policy);
    assert_eq!(route(&mut r, &mut pool, BuyerKind::Returning(0)), policy);
    assert_eq!(route(&mut r, &mut pool, BuyerKind::Direct(0)), policy);
}

#[test]
fn direct_addressing_respects_the_cap_unless_told_otherwise() {
    for (cap_applies, expected) in [
        (true, assigned(1, Reason::Policy(PolicyKind::LeastActive))),
        (false, assigned(0, Reason::Direct)),
    ] {
        let (mut r, mut pool) = setup(
            "least_active",
            &format!("direct_respects_cap = {cap_applies}\n[[agents]]\ncount = 2\n"),
        );
        pool.agent_mut(0).open = 1;
        assert_eq!(route(&mut r, &mut pool, BuyerKind::Direct(0)), expected);
    }
}

#[test]
fn feige_even_balances_counts_since_shift_start() {
    let (mut r, mut pool) = four("feige_even");
    for (id, (open, got)) in [(1, 5), (0, 9), (0, 4), (0, 4)].into_iter().enumerate() {
        let a = pool.agent_mut(id as u32);
        a.open = open;
        a.shift_assigned = got;
    }
    assert_eq!(
        r.select(0, &mut pool, 0),
        Some(2),
        "fewest open, then fewest today, then id"
    );
}

#[test]
fn feige_priority_takes_the_most_idle_agent() {
    let (mut r, mut pool) = four("feige_priority");
    for (id, (open, activity)) in [(0, 50), (0, 10), (1, 0), (0, 10)].into_iter().enumerate() {
        let a = pool.agent_mut(id as u32);
        a.open = open;
        a.last_activity = activity;
    }
    assert_eq!(r.select(0, &mut pool, 60), Some(1));
}

#[test]
fn taobao_queue_is_an_ordered_list_resorted_by_load_with_the_main_account_first() {
    let (mut r, mut pool) = setup(
        "taobao_queue",
        "[[agents]]\nname = \"sub\"\ncount = 2\nmax_concurrent = 3\n\
         [[agents]]\nname = \"boss\"\nmain_account = true\nmax_concurrent = 3\n",
    );
    // boss (id 2) first among equals, then the list order.
    let mut picks = Vec::new();
    for _ in 0..4 {
        let a = r.select(0, &mut pool, 0).unwrap();
        pool.start_chat(a, picks.len() as u32, 1e9, 0);
        picks.push(a);
    }
    assert_eq!(picks, vec![2, 0, 1, 2]);
    // sub-01 frees a chat: it moves ahead of everyone with one chat.
    pool.agent_mut(0).open = 0;
    assert_eq!(r.select(0, &mut pool, 0), Some(0));
}

#[test]
fn most_available_and_percent_available_use_free_slots() {
    let agents = "[[agents]]\nname = \"a\"\nmax_concurrent = 10\n[[agents]]\nname = \"b\"\nmax_concurrent = 4\n";
    // a: 10 − 7 = 3 free (30 %); b: 4 − 2 = 2 free (50 %).
    for (policy, expected) in [("most_available", 0), ("percent_available", 1)] {
        let (mut r, mut pool) = setup(policy, agents);
        pool.agent_mut(0).open = 7;
        pool.agent_mut(1).open = 2;
        assert_eq!(r.select(0, &mut pool, 0), Some(expected), "{policy}");
    }
}

#[test]
fn the_fairness_limiter_holds_an_agent_back_for_its_window() {
    let (mut r, mut pool) = setup(
        "least_active",
        "fairness = { max_assignments = 2, window = \"10m\" }\n[[agents]]\ncount = 2\nmax_concurrent = 50\n",
    );
    pool.agent_mut(1).open = 5; // least_active prefers agent 0
    r.on_assigned(0, 0);
    r.on_assigned(0, 60_000);
    assert_eq!(
        r.select(0, &mut pool, 120_000),
        Some(1),
        "two in the last 10 min"
    );
    assert_eq!(r.next_release(0, &mut pool, 120_000), Some(600_000));
    assert_eq!(
        r.select(0, &mut pool, 600_000),
        Some(0),
        "the first one left the window"
    );
}

#[test]
fn an_online_main_account_takes_fallback_chats_before_suspended_sub_accounts() {
    let (mut r, mut pool) = shop("main_account");
    pool.agent_mut(0).routable = false; // 不参与分流, but online
    for id in 1..=3 {
        pool.agent_mut(id).presence = Presence::Suspended;
    }
    assert_eq!(
        route(&mut r, &mut pool, BuyerKind::New),
        assigned(0, Reason::MainFallback)
    );
    // Main full: the chat waits for it; suspended sub-accounts get no new chats.
    pool.agent_mut(0).open = 3;
    assert_eq!(route(&mut r, &mut pool, BuyerKind::New), Decision::Queue);
}

#[test]
fn a_scheduled_policy_change_applies_from_its_instant() {
    // round_robin until 00:30, then least_active.
    let (mut r, mut pool) = setup(
        "round_robin",
        "[[agents]]\ncount = 3\nmax_concurrent = 5\n\
         [[schedule]]\nat = \"2026-11-11T00:30:00+08:00\"\ngroup = \"shop\"\npolicy = \"least_active\"\n",
    );
    pool.agent_mut(0).open = 3;
    pool.agent_mut(1).open = 1;
    pool.agent_mut(2).open = 2;
    let before: Vec<u32> = (0..3)
        .map(|_| r.select(0, &mut pool, 1_000).unwrap())
        .collect();
    assert_eq!(before, vec![0, 1, 2], "rotation ignores the loads");
    // From 00:30 the least loaded agent, whatever the rotation.
    assert_eq!(r.select(0, &mut pool, 1_800_000), Some(1));
    assert_eq!(
        r.route(
            &ChatRequest {
                group: 0,
                kind: BuyerKind::New
            },
            &mut pool,
            1_800_000
        ),
        assigned(1, Reason::Policy(PolicyKind::LeastActive))
    );
}

#[test]
fn feige_offline_messages_can_wait_for_agents_on_a_break_instead() {
    let (mut r, mut pool) = setup(
        "least_active",
        "nobody_online = \"offline_message\"\noffline_only_when_off_shift = true\n[[agents]]\ncount = 2\nmax_concurrent = 3\n",
    );
    pool.agent_mut(0).presence = Presence::Break;
    pool.agent_mut(1).presence = Presence::Busy;
    assert_eq!(route(&mut r, &mut pool, BuyerKind::New), Decision::Queue);
    pool.agent_mut(0).presence = Presence::Offline;
    pool.agent_mut(1).presence = Presence::Offline;
    assert_eq!(route(&mut r, &mut pool, BuyerKind::New), Decision::Offline);
}

#[test]
fn a_scheduled_nobody_online_change_applies_from_its_instant() {
    // Queue by default; offline messages from 00:30 (the shop closes its queue at night).
    let (mut r, mut pool) = setup(
        "least_active",
        "[[agents]]\ncount = 2\nmax_concurrent = 3\n\
         [[schedule]]\nat = \"2026-11-11T00:30:00+08:00\"\nnobody_online = \"offline_message\"\n",
    );
    for id in 0..2 {
        pool.agent_mut(id).presence = Presence::Offline;
    }
    let req = ChatRequest {
        group: 0,
        kind: BuyerKind::New,
    };
    assert_eq!(r.route(&req, &mut pool, 1_000), Decision::Queue);
    assert_eq!(r.route(&req, &mut pool, 1_800_000), Decision::Offline);
}

/// Two agents serve `g`, a third `h`; the third joins `g` (then the second
/// leaves it): the rotation goes on from where it was, over the members of
/// the moment, and a keyed policy sees the newcomer at once.
#[test]
fn members_join_and_leave_a_group_in_place() {
    let groups = "[routing]\nentry_groups = { product = \"g\" }\n\
        [[agents]]\nname = \"x\"\ncount = 2\ngroups = [\"g\"]\nmax_concurrent = 5\n\
        [[agents]]\nname = \"y\"\ngroups = [\"h\"]\nmax_concurrent = 5\n\
        [[schedule]]\nat = \"2026-11-11T00:30:00+08:00\"\nagents = \"y\"\ngroups = [\"g\", \"h\"]\n";
    let (mut r, mut pool) = setup("round_robin", &groups.replace("[routing]\n", ""));
    let next = |r: &mut Router, pool: &mut AgentPool| r.select(0, pool, 1_000).unwrap();
    assert_eq!(r.members(0), [0, 1], "the union is not the start");
    assert_eq!(
        [
            next(&mut r, &mut pool),
            next(&mut r, &mut pool),
            next(&mut r, &mut pool)
        ],
        [0, 1, 0]
    );
    r.set_member(2, 0, true, &mut pool);
    assert_eq!(r.members(0), [0, 1, 2]);
    assert_eq!(
        [
            next(&mut r, &mut pool),
            next(&mut r, &mut pool),
            next(&mut r, &mut pool)
        ],
        [1, 2, 0]
    );
    r.set_member(1, 0, false, &mut pool);
    assert_eq!(r.members(0), [0, 2]);
    assert_eq!([next(&mut r, &mut pool), next(&mut r, &mut pool)], [2, 0]);

    let (mut r, mut pool) = setup("least_active", &groups.replace("[routing]\n", ""));
    pool.agent_mut(0).open = 2;
    pool.agent_mut(1).open = 1;
    assert_eq!(r.select(0, &mut pool, 1_000), Some(1));
    r.set_member(2, 0, true, &mut pool);
    assert_eq!(
        r.select(0, &mut pool, 1_000),
        Some(2),
        "idle newcomer first"
    );
    pool.agent_mut(2).open = 5;
    assert_eq!(
        r.select(0, &mut pool, 1_000),
        Some(1),
        "index follows its load"
    );
    r.set_member(1, 0, false, &mut pool);
    assert_eq!(r.select(0, &mut pool, 1_000), Some(0));
}
