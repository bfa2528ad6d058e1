//! `[[schedule]]`: settings that change during a run (接待人数 raised at
//! the peak, a policy or the offline rule changed at night, agents lent to
//! another group), each seen taking effect at its instant.

use kefusim::engine::{Engine, Rule};
use kefusim::routing::{Command, Commands, Ctx, Dispatcher, Notice, Reason};

use crate::support::{agent, col, m, parse, shop};

/// 接待人数 raised at the peak: a `[[schedule]]` cap change takes chats at
/// once when raised; lowered, the agent keeps its open chats and takes no
/// new one until it is under the new cap. Occupancy is against the cap of
/// the moment.
#[test]
fn a_scheduled_cap_change_applies_at_its_instant_and_keeps_open_chats() {
    let s = shop(
        "4h",
        "30m",
        "[[agents]]\nname = \"a\"\nmax_concurrent = 1\n\
         [[schedule]]\nat = \"2026-11-09T01:00:00+08:00\"\nagents = \"a\"\nmax_concurrent = 5\n\
         [[schedule]]\nat = \"2026-11-09T02:15:00+08:00\"\nagents = \"a\"\nmax_concurrent = 1\n",
    );
    let sessions = col(&s, "sessions_in_service_mean");
    let capacity = col(&s, "capacity_on_shift_mean");
    assert_eq!(capacity[1..], [5.0, 2.0, 1.0]);
    // Buyers queue from the start: 1 chat at a time, then 5 from 01:00
    // (chats of 30 minutes start at 01:00, 01:30, 02:00); at 02:15 the cap
    // drops to 1, the 5 chats of 02:00 are kept until 02:30, then 1.
    assert!(sessions[0] <= 1.0, "{sessions:?}");
    assert_eq!(sessions[1..], [5.0, 3.0, 1.0]);
    let a = agent(&s, "a");
    assert!(a.occupancy > 0.9 && a.occupancy <= 1.2, "{}", a.occupancy);
}

/// `nobody_online` scheduled: from 01:00, with the only sub-account off
/// shift, Taobao's fallback sends chats to the main account (不参与分流 here,
/// so before the change it takes none).
#[test]
fn a_scheduled_main_account_fallback_takes_over_at_its_instant() {
    let with = |schedule: &str| {
        shop(
            "2h",
            "1m",
            &format!(
                "[[agents]]\nname = \"boss\"\nmain_account = true\nroutable = false\nmax_concurrent = 50\n\
                 [[agents]]\nname = \"sub\"\nmax_concurrent = 50\nshift = {{ start = \"00:00\", end = \"01:00\" }}\n{schedule}"
            ),
        )
    };
    let s = with(
        "[[schedule]]\nat = \"2026-11-09T01:00:00+08:00\"\nnobody_online = \"main_account\"\n",
    );
    let after = col(&s, "offered")[1];
    assert!(after > 30.0);
    assert!(
        agent(&s, "boss").assigned >= after - 1.0,
        "{}",
        agent(&s, "boss").assigned
    );
    assert_eq!(agent(&with(""), "boss").assigned, 0.0);
}

/// A second group joined at 01:00 and left at 02:15: a helper from
/// aftersales takes presale's waiting chats at once when it joins, and,
/// once it has left, keeps the chats it holds but takes no new one.
#[test]
fn agents_lent_to_a_group_serve_it_from_their_instant_and_keep_their_chats() {
    let s = shop(
        "4h",
        "30m",
        "[routing]\nentry_groups = { product = \"presale\" }\n\
         [[groups]]\nname = \"presale\"\n[[groups]]\nname = \"aftersales\"\n\
         [[agents]]\nname = \"p\"\ngroups = [\"presale\"]\nmax_concurrent = 1\n\
         [[agents]]\nname = \"helper\"\ngroups = [\"aftersales\"]\nmax_concurrent = 4\n\
         [[schedule]]\nat = \"2026-11-09T01:00:00+08:00\"\nagents = \"helper\"\ngroups = [\"aftersales\", \"presale\"]\n\
         [[schedule]]\nat = \"2026-11-09T02:15:00+08:00\"\nagents = \"helper\"\ngroups = [\"aftersales\"]\n",
    );
    // Buyers queue from the start; chats of 30 minutes. `p` holds 1 all
    // the time; the helper takes 4 at 01:00, 01:30 and 02:00, and keeps
    // those of 02:00 until 02:30 after leaving presale at 02:15.
    assert_eq!(col(&s, "sessions_in_service_mean")[1..], [5.0, 3.0, 1.0]);
    assert_eq!(agent(&s, "helper").assigned, 12.0);
    assert_eq!(agent(&s, "p").assigned, 8.0);
    // Fair shares count each agent's on-shift hours in presale only while
    // it served presale: 4 h for `p`, 1 h 15 min for the helper.
    let helper_fair = 20.0 * 1.25 / 5.25;
    let ratio = agent(&s, "helper").fair_share_ratio;
    assert!((ratio - 12.0 / helper_fair).abs() < 1e-9, "{ratio}");
    // Without the schedule, the helper never serves presale.
    let without = shop(
        "4h",
        "30m",
        "[routing]\nentry_groups = { product = \"presale\" }\n\
         [[groups]]\nname = \"presale\"\n[[groups]]\nname = \"aftersales\"\n\
         [[agents]]\nname = \"p\"\ngroups = [\"presale\"]\nmax_concurrent = 1\n\
         [[agents]]\nname = \"helper\"\ngroups = [\"aftersales\"]\nmax_concurrent = 4\n",
    );
    assert_eq!(agent(&without, "helper").assigned, 0.0);
}

/// A group opened only on the sale day (a `[[groups]]` nobody serves at
/// the start): its chats wait until its agents join, then are served.
#[test]
fn a_group_opened_on_the_sale_day_serves_from_then() {
    let s = shop(
        "2h",
        "1m",
        "[routing]\nentry_groups = { product = \"sale\" }\n\
         [[groups]]\nname = \"sale\"\n\
         [[agents]]\nname = \"a\"\ngroups = [\"shop\"]\nmax_concurrent = 50\n\
         [[schedule]]\nat = \"2026-11-09T01:00:00+08:00\"\nagents = \"a\"\ngroups = [\"shop\", \"sale\"]\n",
    );
    let sessions = col(&s, "sessions_in_service_mean");
    assert_eq!(sessions[0], 0.0, "nobody serves the sale desk before 01:00");
    assert!(sessions[1] > 0.5, "{sessions:?}");
    assert!(m(&s, "answered") > m(&s, "offered") / 2.0);
}

/// Assigns every new chat to agent 1 (the helper), whatever its groups:
/// the engine's rule check judges each against the membership of the moment.
struct AlwaysHelper;

impl Dispatcher for AlwaysHelper {
    fn on(&mut self, notice: Notice, _: &mut Ctx<'_>, out: &mut Commands<'_>) -> bool {
        if let Notice::Arrived(info) = notice {
            out.push(Command::Assign {
                chat: info.chat,
                agent: 1,
                reason: Reason::Policy(kefusim::routing::PolicyKind::LeastActive),
            });
        }
        false
    }
}

#[test]
fn a_routing_service_is_judged_by_the_groups_of_the_moment() {
    let sc = parse(
        "[run]\nstart = \"2026-11-09T00:00:00+08:00\"\nduration = \"3h\"\n\
         [arrivals]\nrate_per_hour = 60\n[service]\nduration = { dist = \"constant\", value = \"1m\" }\n\
         [routing]\nentry_groups = { product = \"presale\" }\n\
         [[groups]]\nname = \"presale\"\n[[groups]]\nname = \"aftersales\"\n\
         [[agents]]\nname = \"p\"\ngroups = [\"presale\"]\nmax_concurrent = 50\n\
         [[agents]]\nname = \"helper\"\ngroups = [\"aftersales\"]\nmax_concurrent = 50\n\
         [[schedule]]\nat = \"2026-11-09T01:00:00+08:00\"\nagents = \"helper\"\ngroups = [\"presale\"]\n\
         [[schedule]]\nat = \"2026-11-09T02:00:00+08:00\"\nagents = \"helper\"\ngroups = [\"aftersales\"]\n",
    );
    let mut engine = Engine::with_dispatcher(&sc, 0, AlwaysHelper);
    engine.run();
    let stats = engine.stats();
    let outside = stats.violations.by_rule[Rule::OutsideGroup as usize];
    let result = engine.finish();
    let helper = result.agents[1].assigned();
    // Refused in the first and the third hour, applied in the second.
    assert!(helper > 40.0 && outside > 80, "{helper} {outside}");
    assert_eq!(outside, stats.violations.total());
    assert_eq!(helper + outside as f64, stats.arrivals as f64);
}
