//! Platform rules (DOMAIN.md §3–§4) seen end to end through a run's results:
//! offline messages, queue cap, abandonment on Feige, overflow, shift-end
//! modes, random state changes, automatic suspension, the processing message.

use kefusim::replicate::{self, Summary};

use crate::support::{agent, col, m, parse, shop};

#[test]
fn feige_offline_messages_wait_for_an_online_agent_with_a_free_slot() {
    let s = shop(
        "3h",
        "1m",
        "[routing]\nnobody_online = \"offline_message\"\n\
         [[agents]]\nmax_concurrent = 50\nshift = { start = \"01:00\", end = \"03:00\" }\n",
    );
    let first_hour = col(&s, "offered")[0];
    assert!(first_hour > 30.0);
    assert_eq!(col(&s, "offline_messages"), vec![first_hour, 0.0, 0.0]);
    assert_eq!(m(&s, "offline_messages.nobody_online"), first_hour);
    assert_eq!(
        m(&s, "offline_answered"),
        first_hour,
        "all picked up at 01:00"
    );
    // Offline messages are never answered live: they are misses of the golden rate.
    assert_eq!(m(&s, "answered"), m(&s, "offered") - first_hour);
    let delay = m(&s, "offline_answer_delay_mean_s");
    assert!((0.0..3600.0).contains(&delay) && delay > 1000.0, "{delay}");
    assert!(col(&s, "offline_pending_mean")[0] > 10.0);
}

#[test]
fn a_buyer_refused_by_the_queue_cap_becomes_an_offline_message() {
    let s = shop(
        "2h",
        "30m",
        "[routing]\nmax_queue = 0\n[[agents]]\nmax_concurrent = 2\n",
    );
    assert_eq!(m(&s, "p_wait"), 0.0, "nobody ever queues");
    assert_eq!(
        m(&s, "offline_messages.queue_full"),
        m(&s, "offered") - m(&s, "answered")
    );
    assert!(m(&s, "offline_messages") > 50.0);
}

#[test]
fn on_feige_an_abandoned_chat_is_counted_twice_abandoned_and_offline_message() {
    let s = shop(
        "2h",
        "30m",
        "[buyers]\npatience = { dist = \"constant\", value = \"1m\" }\n\
         [routing]\nabandon_to_offline = true\n[[agents]]\nmax_concurrent = 2\n",
    );
    let abandoned = m(&s, "abandoned");
    assert!(abandoned > 50.0);
    assert_eq!(m(&s, "offline_messages.abandoned"), abandoned);
    assert_eq!(m(&s, "offline_messages"), abandoned);
}

#[test]
fn queued_chats_overflow_to_another_group_after_the_wait() {
    let s = shop(
        "4h",
        "30m",
        "[[groups]]\nname = \"presale\"\noverflow_to = \"aftersales\"\noverflow_after = \"2m\"\n\
         [[groups]]\nname = \"aftersales\"\n\
         [routing]\nentry_groups = { product = \"presale\" }\n\
         [[agents]]\nname = \"p\"\ngroups = [\"presale\"]\n\
         [[agents]]\nname = \"a\"\ngroups = [\"aftersales\"]\nmax_concurrent = 50\n",
    );
    let overflowed = m(&s, "overflowed");
    assert!(overflowed > 150.0, "{overflowed}");
    assert_eq!(m(&s, "answered"), m(&s, "offered"));
    let after = s.agents.iter().find(|a| a.agent == "a").unwrap();
    assert!(after.assigned > 150.0);
    // Every overflowed chat waited exactly 2 minutes.
    assert!((m(&s, "frt_p99_s") - 120.0).abs() < 0.5);
}

#[test]
fn shift_end_modes_finish_reroute_or_leave_chats_stuck() {
    let body = |mode: &str| {
        format!(
            "[routing]\nshift_end = \"{mode}\"\n\
             [[agents]]\nname = \"early\"\nmax_concurrent = 3\nshift = {{ windows = [[\"00:00\", \"01:00\"], [\"05:00\", \"06:00\"]] }}\n\
             [[agents]]\nname = \"late\"\nmax_concurrent = 50\nshift = {{ start = \"01:00\", end = \"05:00\" }}\n"
        )
    };
    let finish = shop("3h", "50m", &body("finish"));
    let reroute = shop("3h", "50m", &body("reroute"));
    let stuck = shop("3h", "50m", &body("stuck"));
    let early = |s: &Summary| {
        s.agents
            .iter()
            .find(|a| a.agent == "early")
            .unwrap()
            .clone()
    };
    assert!(early(&finish).overtime_chat_hours > 0.5);
    assert_eq!(m(&finish, "rerouted"), 0.0);
    // Rerouted: the three open chats end at 01:00 and go to `late`.
    assert_eq!(m(&reroute, "rerouted"), 3.0);
    assert_eq!(early(&reroute).overtime_chat_hours, 0.0);
    // Stuck: held off shift without progress until 05:00 (3 chats × the 2 h
    // left in the window), finished after it.
    assert_eq!(m(&stuck, "rerouted"), 0.0);
    assert_eq!(early(&stuck).overtime_chat_hours, 6.0);
    // Each of the 3 stuck chats lasted 4 h longer.
    let longer = 3.0 * 4.0 * 3600.0 / m(&stuck, "offered");
    assert!((m(&stuck, "mean_session_s") - m(&finish, "mean_session_s") - longer).abs() < 1e-6);
}

#[test]
fn random_busy_episodes_take_their_expected_share_of_time() {
    // Busy at 1 per online hour for 6 minutes: busy fraction 0.1 / 1.1 of on-shift time.
    let s = shop(
        "200d",
        "10s",
        "[[agents]]\nmax_concurrent = 50\n\
         [[agents.episodes]]\nstate = \"busy\"\nrate_per_hour = 1\nlength = { dist = \"constant\", value = \"6m\" }\n",
    );
    let a = &s.agents[0];
    let share = a.busy_hours / a.on_shift_hours;
    assert!((share - 0.1 / 1.1).abs() < 0.006, "{share}");
    // Busy means no new chats: they queue.
    assert!(m(&s, "p_wait") > 0.05);
}

#[test]
fn an_agent_suspends_itself_at_n_open_chats() {
    let s = shop(
        "10h",
        "30m",
        "[buyers]\npatience = { dist = \"constant\", value = \"10m\" }\n\
         [[agents]]\nmax_concurrent = 5\nsuspend_at_open = 2\n",
    );
    let a = &s.agents[0];
    assert!(
        a.occupancy <= 0.4 + 1e-9,
        "never more than 2 of 5: {}",
        a.occupancy
    );
    assert!(a.occupancy > 0.35);
    assert!(a.suspended_hours > 8.0);
}

#[test]
fn the_processing_message_goes_to_chats_without_a_reply_at_its_age() {
    let with = shop(
        "3h",
        "5m",
        "[routing]\nprocessing_message_after = \"30s\"\n[[agents]]\nmax_concurrent = 4\n",
    );
    let n = m(&with, "processing_messages");
    assert!(n > 10.0 && n < m(&with, "offered"), "{n}");
    // It is not a response: first response times are unchanged.
    let without = shop("3h", "5m", "[[agents]]\nmax_concurrent = 4\n");
    assert_eq!(m(&with, "frt_mean_s"), m(&without, "frt_mean_s"));
    assert!(without.metric("processing_messages").is_none());
}

#[test]
fn weighted_shares_converge_to_the_weights() {
    let s = shop(
        "30d",
        "5m",
        "[routing]\npolicy = \"weighted\"\n\
         [[agents]]\nname = \"a\"\nweight = 3\nmax_concurrent = 50\n\
         [[agents]]\nname = \"b\"\nweight = 1\nmax_concurrent = 50\n",
    );
    let share = s.agents[0].assigned / (s.agents[0].assigned + s.agents[1].assigned);
    assert!((share - 0.75).abs() < 0.001, "{share}");
}

#[test]
fn returning_buyers_reach_their_recent_agent() {
    // Every buyer after the first returns to a recent contact: all of them
    // are agent 1's (least_active picks it first), so it keeps them all,
    // where the policy alone would spread them.
    let base = "[[agents]]\ncount = 2\nmax_concurrent = 50\n";
    let sticky = shop(
        "1d",
        "5m",
        &format!("[buyers]\nreturning_share = 1\nrecency = \"1h\"\n{base}"),
    );
    let plain = shop("1d", "5m", base);
    assert_eq!(sticky.agents[1].assigned, 0.0);
    assert_eq!(sticky.agents[0].assigned, m(&sticky, "answered"));
    assert!(plain.agents[1].assigned > 100.0);
    assert_eq!(m(&sticky, "offered"), m(&plain, "offered"), "same buyers");
}

const TWO_GROUPS: &str = "[routing]\nentry_groups = { product = \"presale\" }\n";

fn transfer_shop(rule: &str, routing: &str, aftersales: &str) -> Summary {
    shop(
        "6h",
        "10m",
        &format!(
            "{TWO_GROUPS}{routing}\
             [[groups]]\nname = \"presale\"\ntransfer = {rule}\n\
             [[groups]]\nname = \"aftersales\"\n\
             [[agents]]\nname = \"p\"\ngroups = [\"presale\"]\nmax_concurrent = 50\n\
             [[agents]]\nname = \"a\"\ncount = 2\ngroups = [\"aftersales\"]\n{aftersales}\n"
        ),
    )
}

#[test]
fn a_transferred_chat_moves_with_its_history_to_the_target_group() {
    let s = transfer_shop(
        "{ share = 1.0, to = \"aftersales\", after = \"1m\" }",
        "",
        "max_concurrent = 50",
    );
    let answered = m(&s, "answered");
    assert_eq!(m(&s, "transfers"), answered);
    assert_eq!(m(&s, "transfers_failed"), 0.0);
    assert_eq!(agent(&s, "p").transfers_out, answered);
    assert_eq!(
        agent(&s, "a-01").transfers_in + agent(&s, "a-02").transfers_in,
        answered
    );
    // The work carries over: the session still lasts its 10 minutes in all.
    assert_eq!(m(&s, "mean_session_s"), 600.0);
    // The source held each chat 1 minute of its 10.
    assert!((agent(&s, "p").occupancy * 50.0 * 6.0 * 60.0 - answered).abs() < 2.0);
}

#[test]
fn transfers_need_an_online_target_under_its_cap_and_a_break_only_if_allowed() {
    let on_break = "max_concurrent = 50\nshift = { start = \"00:00\", end = \"24:00\", breaks = [{ after = \"1s\", length = \"23h\" }] }";
    let allowed = transfer_shop(
        "{ share = 1.0, to = \"aftersales\", after = \"1m\" }",
        "transfer_to_break = true\n",
        on_break,
    );
    // Feige: a break agent may receive transfers (which then wait for it:
    // its chats pause during the break, so it fills up to its cap of 50).
    assert_eq!(
        m(&allowed, "transfers"),
        100.0,
        "Feige: a break agent may receive transfers"
    );
    let refused = transfer_shop(
        "{ share = 1.0, to = \"aftersales\", after = \"1m\" }",
        "transfer_to_break = false\n",
        on_break,
    );
    assert_eq!(m(&refused, "transfers"), 0.0);
    assert_eq!(m(&refused, "transfers_failed"), m(&refused, "answered"));
    // Cap 1 each: most transfers find both targets full unless the cap may be exceeded.
    let capped = transfer_shop(
        "{ share = 1.0, to = \"aftersales\", after = \"1m\" }",
        "",
        "max_concurrent = 1",
    );
    assert!(m(&capped, "transfers_failed") > 100.0);
    let exceed = transfer_shop(
        "{ share = 1.0, to = \"aftersales\", after = \"1m\" }",
        "transfer_exceeds_cap = true\n",
        "max_concurrent = 1",
    );
    assert_eq!(m(&exceed, "transfers_failed"), 0.0);
}

#[test]
fn a_share_of_chats_is_transferred() {
    let s = transfer_shop(
        "{ share = 0.3, to = \"aftersales\", after = \"1m\" }",
        "",
        "max_concurrent = 50",
    );
    let share = m(&s, "transfers") / m(&s, "answered");
    assert!((share - 0.3).abs() < 0.08, "{share}");
}

#[test]
fn dialogue_transfer_after_a_round_and_an_unanswered_round_is_charged_to_the_source() {
    // Twenty presale agents for 20 chats an hour: every chat finds its agent idle.
    let dialogue = |rule: &str| {
        let text = format!(
            "[run]\nstart = \"2026-11-25T00:00:00+08:00\"\nduration = \"1d\"\ninterval = \"1h\"\n\
             [arrivals]\nrate_per_hour = 20\n\
             [service]\nmodel = \"dialogue\"\nrounds = {{ dist = \"constant\", value = 3 }}\n\
             think = {{ dist = \"constant\", value = \"30s\" }}\ntyping = {{ dist = \"constant\", value = \"20s\" }}\n\
             {TWO_GROUPS}\
             [[groups]]\nname = \"presale\"\ntransfer = {rule}\n\
             [[groups]]\nname = \"aftersales\"\n\
             [[agents]]\nname = \"p\"\ncount = 20\ngroups = [\"presale\"]\nmax_concurrent = 50\n\
             [[agents]]\nname = \"a\"\ncount = 20\ngroups = [\"aftersales\"]\nmax_concurrent = 50\n"
        );
        replicate::run(&parse(&text), Some(1)).unwrap()
    };
    // Pooled over a team: (rounds, mean round response).
    let team = |s: &Summary, prefix: &str| {
        let rows: Vec<_> = s
            .agents
            .iter()
            .filter(|a| a.agent.starts_with(prefix))
            .collect();
        let rounds: f64 = rows.iter().map(|a| a.rounds).sum();
        let sum: f64 = rows
            .iter()
            .filter(|a| a.rounds > 0.0)
            .map(|a| a.rounds * a.round_response_mean_s)
            .sum();
        (rounds, sum / rounds)
    };
    // With its reply to round 1, presale hands the chat over: rounds 2 and 3 are after-sales'.
    let s = dialogue("{ share = 1.0, to = \"aftersales\", after_rounds = 1 }");
    let answered = m(&s, "answered");
    assert_eq!(m(&s, "transfers"), answered);
    assert_eq!(team(&s, "p-"), (answered, 20.0));
    assert_eq!(team(&s, "a-"), (2.0 * answered, 20.0));
    // Due 10 s after assignment, while the first reply is being typed: the
    // transfer waits for that reply, so nothing is charged.
    let s = dialogue("{ share = 1.0, to = \"aftersales\", after = \"10s\" }");
    assert_eq!(team(&s, "p-"), (answered, 20.0));
    // An agent already typing another chat cannot answer before the transfer:
    // the pending round is charged to it as 600 s (never within 3 minutes).
    let busy = |rule: &str| {
        let text = format!(
            "[run]\nstart = \"2026-11-25T00:00:00+08:00\"\nduration = \"1d\"\ninterval = \"1h\"\n\
             [arrivals]\nrate_per_hour = 90\n\
             [service]\nmodel = \"dialogue\"\nrounds = {{ dist = \"constant\", value = 3 }}\n\
             think = {{ dist = \"constant\", value = \"30s\" }}\ntyping = {{ dist = \"constant\", value = \"20s\" }}\n\
             {TWO_GROUPS}\
             [[groups]]\nname = \"presale\"\ntransfer = {rule}\n\
             [[groups]]\nname = \"aftersales\"\n\
             [[agents]]\nname = \"p\"\ngroups = [\"presale\"]\nmax_concurrent = 50\n\
             [[agents]]\nname = \"a\"\ncount = 20\ngroups = [\"aftersales\"]\nmax_concurrent = 50\n"
        );
        replicate::run(&parse(&text), Some(1)).unwrap()
    };
    let s = busy("{ share = 1.0, to = \"aftersales\", after = \"30s\" }");
    let p = agent(&s, "p");
    assert!(
        p.reply_rate_3min_rounds < 0.95,
        "{}",
        p.reply_rate_3min_rounds
    );
    assert!(
        p.round_response_mean_s > 40.0,
        "{}",
        p.round_response_mean_s
    );
    let (a_rounds, a_mean) = team(&s, "a-");
    assert_eq!(a_mean, 20.0, "after-sales agents are idle");
    assert_eq!(p.rounds + a_rounds, m(&s, "rounds"));
}

fn variant(routing: &str, agents: &str) -> Summary {
    shop(
        "4h",
        "10m",
        &format!(
            "[buyers]\npatience = {{ dist = \"constant\", value = \"5m\" }}\n[routing]\n{routing}\n{agents}"
        ),
    )
}

const OFFER: &str = "offer = { accept = ACCEPT, response = { dist = \"constant\", value = \"RESPONSE\" }, timeout = \"30s\" }";

fn offer(accept: &str, response: &str) -> String {
    OFFER
        .replace("ACCEPT", accept)
        .replace("RESPONSE", response)
}

#[test]
fn omni_channel_never_offers_a_chat_again_to_an_agent_who_declined() {
    let s = variant(
        &format!("variant = \"omni_channel\"\n{}", offer("0.0", "1s")),
        "[[agents]]\ncount = 3\nmax_concurrent = 50\n",
    );
    let offered = m(&s, "offered");
    // Each chat is declined once by each of the three agents, then waits until the buyer leaves.
    assert_eq!(m(&s, "offers_declined"), 3.0 * offered);
    assert_eq!(m(&s, "abandoned"), offered);
    assert_eq!(m(&s, "answered"), 0.0);
}

#[test]
fn taskrouter_evaluates_again_and_may_reserve_the_same_worker() {
    let s = variant(
        &format!("variant = \"taskrouter\"\n{}", offer("0.0", "1s")),
        "[[agents]]\ncount = 3\nmax_concurrent = 50\n",
    );
    // Re-reserved every second for the 5 minutes of patience.
    assert!(m(&s, "offers_declined") > 250.0 * m(&s, "offered"));
}

#[test]
fn an_accepted_offer_starts_the_chat_after_the_response_time_and_a_timeout_moves_on() {
    let s = variant(
        &format!("variant = \"omni_channel\"\n{}", offer("1.0", "10s")),
        "[[agents]]\ncount = 50\nmax_concurrent = 50\n",
    );
    assert_eq!(m(&s, "frt_mean_s"), 10.0);
    assert_eq!(m(&s, "offers_accepted"), m(&s, "offered"));
    let s = variant(
        &format!("variant = \"omni_channel\"\n{}", offer("1.0", "1m")),
        "[[agents]]\ncount = 3\nmax_concurrent = 50\n",
    );
    assert_eq!(m(&s, "offers_timed_out"), 3.0 * m(&s, "offered"));
    assert_eq!(m(&s, "answered"), 0.0);
}

#[test]
fn chatwoot_v1_leaves_chats_unassigned_when_everyone_was_full() {
    let agents = "[[agents]]\ncount = 2\nmax_concurrent = 2\n";
    let bad = variant("variant = \"chatwoot_v1\"", agents);
    let good = variant("", agents);
    let left = m(&bad, "left_unassigned");
    assert!(left > 50.0);
    // Never picked up: they all abandon.
    assert_eq!(m(&bad, "abandoned"), left);
    // Slots that free up stay idle while those buyers wait: fewer chats served.
    assert!(m(&bad, "answered") < m(&good, "answered"));
    assert!(good.metric("left_unassigned").is_none());
}

/// Every rule switched on at once, in every combination of service model,
/// shift-end mode and variant: no panic, and every offered chat is answered,
/// abandoned, unfinished or an offline message left on arrival; every offline
/// message is answered or pending.
#[test]
fn everything_at_once_conserves_chats() {
    let template =
        std::fs::read_to_string(crate::support::repo("tests/kitchen_sink.toml")).unwrap();
    let session = "duration = { dist = \"exponential\", mean = \"6m\" }\nslowdown = [1.0, 1.2, 1.5]\n\
                   first_reply = { dist = \"uniform\", min = \"2s\", max = \"10s\" }";
    let dialogue = "model = \"dialogue\"\nrounds = { dist = \"geometric\", mean = 3 }\n\
                    messages_per_round = { dist = \"uniform\", min = 1, max = 3 }\n\
                    think = { dist = \"exponential\", mean = \"2m\" }\ntyping = { dist = \"exponential\", mean = \"20s\" }\n\
                    inactivity_timeout = \"3m\"\nsilent_abandon = 0.1\nslowdown = [1.0, 1.2, 1.5]";
    let offer = "offer = { accept = 0.7, response = { dist = \"exponential\", mean = \"8s\" }, timeout = \"15s\" }";
    for variant in ["none", "omni_channel", "taskrouter", "chatwoot_v1"] {
        for (model, service) in [("session", session), ("dialogue", dialogue)] {
            for shift_end in ["finish", "stuck", "reroute"] {
                if model == "dialogue" && shift_end == "reroute" {
                    continue;
                }
                let text = template
                    .replace("VARIANT", variant)
                    .replace(
                        "OFFER",
                        if variant.starts_with("omni") || variant == "taskrouter" {
                            offer
                        } else {
                            ""
                        },
                    )
                    .replace("SERVICE", service)
                    .replace("SHIFT_END", shift_end);
                let s = replicate::run(&parse(&text), Some(2)).unwrap();
                let case = format!("{variant} {model} {shift_end}");
                let left_message = m(&s, "offline_messages") - m(&s, "offline_messages.abandoned");
                assert_eq!(
                    m(&s, "answered") + m(&s, "abandoned") + m(&s, "unfinished") + left_message,
                    m(&s, "offered"),
                    "{case}"
                );
                assert_eq!(
                    m(&s, "offline_answered") + m(&s, "offline_unanswered"),
                    m(&s, "offline_messages"),
                    "{case}"
                );
                assert!(m(&s, "transfers") > 0.0, "{case}");
            }
        }
    }
}

#[test]
fn a_pre_routing_menu_splits_an_entry_between_groups() {
    let s = shop(
        "20d",
        "1m",
        "[buyers]\nentries = { product = 0.5, dm = 0.5 }\n\
         [routing]\nentry_groups = { product = \"presale\" }\nmenu = { dm = { presale = 1, aftersales = 3 } }\n\
         [[agents]]\ngroups = [\"presale\", \"aftersales\"]\nmax_concurrent = 50\n",
    );
    let pre = m(&s, "group.presale.offered");
    let after = m(&s, "group.aftersales.offered");
    // product → presale; dm → presale 1/4, after-sales 3/4: overall 5/8 and 3/8.
    let share = after / (pre + after);
    assert!((share - 3.0 / 8.0).abs() < 0.01, "{share}");
}

#[test]
fn higher_vip_tiers_wait_less() {
    let s = shop(
        "10d",
        "2m",
        "[buyers]\nvip_tiers = [{ name = \"gold\", share = 0.1 }, { name = \"silver\", share = 0.2 }]\n\
         [[agents]]\nmax_concurrent = 2\n",
    );
    let gold = m(&s, "vip.gold.asa_answered_s");
    let silver = m(&s, "vip.silver.asa_answered_s");
    let all = m(&s, "asa_answered_s");
    assert!(gold < silver && silver < all, "{gold} {silver} {all}");
    let share = m(&s, "vip.gold.offered") / m(&s, "offered");
    assert!((share - 0.1).abs() < 0.01, "{share}");
    assert_eq!(
        m(&s, "vip.offered"),
        m(&s, "vip.gold.offered") + m(&s, "vip.silver.offered")
    );
}

/// Conservation checks shared by the regression tests below.
fn conserved(s: &Summary) {
    let left_message = m(s, "offline_messages") - m(s, "offline_messages.abandoned");
    assert_eq!(
        m(s, "answered") + m(s, "abandoned") + m(s, "unfinished") + left_message,
        m(s, "offered")
    );
    assert_eq!(
        m(s, "offline_answered") + m(s, "offline_unanswered"),
        m(s, "offline_messages")
    );
}

#[test]
fn a_dialogue_chat_with_an_agent_but_no_reply_yet_is_unfinished_not_lost() {
    // Typing takes 20 minutes and the agent's chats are stuck after 09:30 for days.
    let text = |extra: &str, start: &str, duration: &str| {
        format!(
            "[run]\nstart = \"2026-11-09T{start}:00+08:00\"\nduration = \"{duration}\"\n\
             [arrivals]\nrate_per_hour = 20\n\
             [service]\nmodel = \"dialogue\"\nrounds = {{ dist = \"constant\", value = 2 }}\n\
             typing = {{ dist = \"constant\", value = \"20m\" }}\ninactivity_timeout = \"5m\"\n\
             [routing]\nshift_end = \"stuck\"\n{extra}\n\
             [[agents]]\nmax_concurrent = 3\nshift = {{ start = \"09:00\", end = \"09:30\", on_days = 1, off_days = 10 }}\n"
        )
    };
    let s = replicate::run(&parse(&text("", "09:00", "1h")), Some(1)).unwrap();
    assert!(m(&s, "unfinished") > 10.0);
    conserved(&s);
    let s = replicate::run(
        &parse(&text("nobody_online = \"offline_message\"", "08:00", "2h")),
        Some(1),
    )
    .unwrap();
    assert!(m(&s, "offline_unanswered") > 10.0);
    conserved(&s);
}

#[test]
fn rerouted_chats_do_not_count_as_waiting_on_arrival_again() {
    let s = shop(
        "1h",
        "3h",
        "[routing]\nshift_end = \"reroute\"\n\
         [[agents]]\ncount = 3\nmax_concurrent = 50\nshift = { start = \"00:00\", end = \"01:00\" }\n",
    );
    assert!(m(&s, "rerouted") > 30.0);
    assert_eq!(m(&s, "p_wait"), 0.0, "every chat was taken on arrival");
}

#[test]
fn an_offline_message_transferred_unanswered_charges_no_round() {
    let text = "[run]\nstart = \"2026-11-09T08:00:00+08:00\"\nduration = \"1h\"\n\
                [arrivals]\nrate_per_hour = 30\n\
                [service]\nmodel = \"dialogue\"\nrounds = { dist = \"constant\", value = 1 }\n\
                typing = { dist = \"constant\", value = \"20s\" }\n\
                [routing]\nnobody_online = \"offline_message\"\nentry_groups = { product = \"presale\" }\n\
                [[groups]]\nname = \"presale\"\ntransfer = { share = 1.0, to = \"aftersales\", after = \"0s\" }\n\
                [[groups]]\nname = \"aftersales\"\n\
                [[agents]]\nname = \"p\"\ngroups = [\"presale\"]\nmax_concurrent = 3\nshift = { start = \"09:00\", end = \"18:00\" }\n\
                [[agents]]\nname = \"a\"\ngroups = [\"aftersales\"]\nshift = { start = \"09:00\", end = \"18:00\" }\n";
    let s = replicate::run(&parse(text), Some(1)).unwrap();
    assert!(m(&s, "offline_messages") > 10.0);
    assert_eq!(
        m(&s, "rounds"),
        0.0,
        "offline messages are outside the round metrics"
    );
    assert_eq!(agent(&s, "p").rounds, 0.0);
    conserved(&s);
}

#[test]
fn a_declined_offer_goes_back_to_the_queue_and_can_still_overflow() {
    let s = shop(
        "4h",
        "10m",
        "[buyers]\npatience = { dist = \"constant\", value = \"30m\" }\n\
         [routing]\nentry_groups = { product = \"presale\" }\nvariant = \"omni_channel\"\n\
         offer = { accept = 0.0, response = { dist = \"constant\", value = \"5s\" } }\n\
         [[groups]]\nname = \"presale\"\noverflow_to = \"aftersales\"\noverflow_after = \"1m\"\n\
         [[groups]]\nname = \"aftersales\"\n\
         [[agents]]\nname = \"p\"\ngroups = [\"presale\"]\nmax_concurrent = 50\n\
         [[agents]]\nname = \"a\"\ngroups = [\"aftersales\"]\nmax_concurrent = 50\n",
    );
    // `p` declines everything; a minute later the chats overflow to `a`, who declines too.
    assert_eq!(m(&s, "overflowed"), m(&s, "offered"));
    assert_eq!(m(&s, "offers_declined"), 2.0 * m(&s, "offered"));
}

#[test]
fn private_contacts_rerouted_at_the_main_accounts_shift_end_wait_for_it() {
    let text = "[run]\nstart = \"2026-11-25T00:00:00+08:00\"\nduration = \"3h\"\n\
                [arrivals]\nrate_per_hour = 10\n[buyers]\nprivate_share = 1.0\n\
                [service]\nduration = { dist = \"exponential\", mean = \"2h\" }\n\
                [routing]\nshift_end = \"reroute\"\n\
                [[agents]]\nname = \"sub\"\nmax_concurrent = 10\n\
                [[agents]]\nname = \"owner\"\nmain_account = true\nmax_concurrent = 10\nshift = { start = \"00:00\", end = \"01:00\" }\n";
    let s = replicate::run(&parse(text), Some(1)).unwrap();
    assert!(m(&s, "rerouted") > 0.0);
    assert_eq!(agent(&s, "sub").assigned, 0.0, "never a sub-account");
    conserved(&s);
}

#[test]
fn taobao_fallback_serves_waiting_chats_once_the_group_has_nobody_online() {
    // The only sub-account of group g leaves at 01:00; the owner (online all
    // day, in another group) must take g's chats from then on.
    let text = "[run]\nstart = \"2026-11-25T00:00:00+08:00\"\nduration = \"6h\"\n\
                [arrivals]\nrate_per_hour = 20\n\
                [service]\nduration = { dist = \"exponential\", mean = \"10m\" }\n\
                [routing]\npolicy = \"taobao_queue\"\nnobody_online = \"main_account\"\nentry_groups = { product = \"g\" }\n\
                [[groups]]\nname = \"g\"\n[[groups]]\nname = \"h\"\n\
                [[agents]]\nname = \"sub\"\ngroups = [\"g\"]\nshift = { start = \"00:00\", end = \"01:00\" }\n\
                [[agents]]\nname = \"owner\"\nmain_account = true\ngroups = [\"h\"]\nmax_concurrent = 5\n";
    let s = replicate::run(&parse(text), Some(1)).unwrap();
    assert!(agent(&s, "owner").assigned > 60.0);
    assert_eq!(m(&s, "unfinished"), 0.0);
    // Its chats are outside its fair share: it serves no group g.
    assert!(
        agent(&s, "owner").fair_share_ratio.is_nan() || agent(&s, "owner").fair_share_ratio == 0.0
    );
    conserved(&s);
}

/// VIP专属通道: VIP buyers go to the VIP desk, others never; a VIP who waits
/// there `overflow_after` goes on to the group of its entry.
#[test]
fn a_vip_channel_routes_vip_buyers_to_their_own_desk_and_overflows_after_the_wait() {
    let body = |desk_cap: u32, service: &str| {
        shop(
            "24h",
            service,
            &format!(
                "[buyers]\nvip_share = 0.3\n\
                 [routing]\nvip_channel = {{ group = \"vip\", overflow_after = \"1m\" }}\n\
                 [[groups]]\nname = \"presale\"\n[[groups]]\nname = \"vip\"\n\
                 [routing.entry_groups]\nproduct = \"presale\"\norder = \"presale\"\ndm = \"presale\"\nlive = \"presale\"\nother = \"presale\"\n\
                 [[agents]]\nname = \"p\"\ngroups = [\"presale\"]\nmax_concurrent = 50\n\
                 [[agents]]\nname = \"desk\"\ngroups = [\"vip\"]\nmax_concurrent = {desk_cap}\n"
            ),
        )
    };
    // Room at the desk: every VIP buyer is served there, nobody else is.
    let s = body(50, "1m");
    let vip = m(&s, "vip.offered");
    assert!(vip > 300.0, "{vip}");
    assert_eq!(agent(&s, "desk").assigned, vip);
    assert_eq!(agent(&s, "p").assigned, m(&s, "offered") - vip);
    assert_eq!(m(&s, "overflowed"), 0.0);
    // One slot at the desk and 30-minute chats: VIP buyers overflow to presale after 1 minute.
    let s = body(1, "30m");
    assert!(m(&s, "overflowed") > 200.0, "{}", m(&s, "overflowed"));
    assert!(agent(&s, "desk").assigned < 60.0);
    assert!(agent(&s, "p").assigned > m(&s, "offered") - 60.0 - m(&s, "abandoned"));
}

/// 小休 in the session model: the agent is away, so its open chats make no
/// progress during the break (the platform default), unless
/// `break_pauses_chats = false`.
#[test]
fn chats_pause_while_their_agent_is_on_a_break() {
    let with = |pauses: bool| {
        let text = format!(
            "[run]\nstart = \"2026-11-09T00:00:00+08:00\"\nduration = \"4h\"\ninterval = \"1h\"\n\
             [arrivals]\nrate_per_hour = 60\n\
             [service]\nduration = {{ dist = \"constant\", value = \"10m\" }}\nbreak_pauses_chats = {pauses}\n\
             [[agents]]\nmax_concurrent = 50\n\
             shift = {{ start = \"00:00\", end = \"04:00\", breaks = [{{ after = \"1h\", length = \"1h\" }}] }}\n"
        );
        replicate::run(&parse(&text), Some(1)).unwrap()
    };
    // The break is 01:00–02:00: the ~10 chats open at 01:00 stay open through it.
    let paused = col(&with(true), "sessions_in_service_mean")[1];
    let going_on = col(&with(false), "sessions_in_service_mean")[1];
    assert!(paused > 7.0, "{paused}");
    assert!(going_on < 2.0, "{going_on}");
}

/// `shift_end = "hand_over"` (转发 when an agent must leave): at the end of
/// its shift an agent's open chats move to an agent of their group who is
/// on shift, instead of being finished in overtime.
#[test]
fn at_shift_end_open_chats_are_handed_over_to_a_colleague() {
    let with = |mode: &str| {
        shop(
            "3h",
            "30m",
            &format!(
                "[routing]\nshift_end = \"{mode}\"\n\
                 [[agents]]\nname = \"early\"\nmax_concurrent = 50\nshift = {{ start = \"00:00\", end = \"01:00\" }}\n\
                 [[agents]]\nname = \"late\"\nmax_concurrent = 50\nshift = {{ start = \"00:30\", end = \"24:00\" }}\n"
            ),
        )
    };
    let handed = with("hand_over");
    let early = agent(&handed, "early");
    assert!(
        m(&handed, "transfers") >= 10.0,
        "{}",
        m(&handed, "transfers")
    );
    assert_eq!(m(&handed, "transfers_failed"), 0.0);
    assert_eq!(early.transfers_out, m(&handed, "transfers"));
    assert_eq!(agent(&handed, "late").transfers_in, m(&handed, "transfers"));
    assert_eq!(early.overtime_chat_hours, 0.0, "nothing left to finish");
    let finished = with("finish");
    assert_eq!(m(&finished, "transfers"), 0.0);
    assert!(agent(&finished, "early").overtime_chat_hours > 1.0);
}

/// Shifts for dates (holiday staffing): `dates` works only those days,
/// `except_dates` never those days, on top of the weekly days.
#[test]
fn shifts_can_be_given_for_dates() {
    let s = shop(
        "4d",
        "1m",
        "[[agents]]\nname = \"sale\"\nmax_concurrent = 50\nshift = { start = \"00:00\", end = \"24:00\", dates = [\"2026-11-10\"] }\n\
         [[agents]]\nname = \"regular\"\nmax_concurrent = 50\nshift = { start = \"00:00\", end = \"24:00\", except_dates = [\"2026-11-10..2026-11-10\"] }\n",
    );
    let on_shift = |name: &str| agent(&s, name).on_shift_hours;
    assert_eq!(on_shift("sale"), 24.0, "only on 10 Nov");
    assert_eq!(on_shift("regular"), 72.0, "9, 11 and 12 Nov");
    let hours = col(&s, "agents_on_shift");
    assert_eq!(hours.len(), 96);
    assert!(hours.iter().all(|&n| n == 1.0), "one of them every hour");
}

/// 忙不过来: an agent above `overload_transfer.above` open chats for
/// `after` hands its newest chat over to a colleague of the group who is
/// below the threshold, again every `after` while above.
#[test]
fn an_overloaded_agent_hands_chats_over() {
    let with = |routing: &str| {
        shop(
            "3h",
            "30m",
            &format!(
                "[routing]\n{routing}\n\
                 [[agents]]\nname = \"a\"\nmax_concurrent = 50\n\
                 [[agents]]\nname = \"b\"\nmax_concurrent = 50\nshift = {{ start = \"01:00\", end = \"24:00\" }}\n"
            ),
        )
    };
    let s = with("overload_transfer = { above = 6, after = \"1m\" }");
    let moved = m(&s, "transfers");
    // From 01:00 `a`, holding ~30 chats, hands one a minute to `b` while
    // `b` is below 6; never back (`b` is never above while `a` is below).
    assert!(moved >= 3.0, "{moved}");
    assert_eq!(agent(&s, "a").transfers_out, moved);
    assert_eq!(agent(&s, "b").transfers_in, moved);
    assert_eq!(
        m(&s, "transfers_failed"),
        0.0,
        "no attempt without a colleague below 6"
    );
    assert_eq!(m(&with(""), "transfers"), 0.0);
}

/// The waits of answered chats are their first response times less the
/// first reply's delay (session model): one histogram serves both when
/// there is no delay, two are kept when there is.
#[test]
fn answered_waits_are_first_responses_less_the_first_reply_delay() {
    let agents = "[[agents]]\ncount = 3\nmax_concurrent = 1\n";
    let plain = shop("24h", "2m", agents);
    assert!(m(&plain, "wait_answered_p90_s") > 0.0);
    assert_eq!(m(&plain, "wait_answered_p90_s"), m(&plain, "frt_p90_s"));
    let delayed = shop(
        "24h",
        "2m",
        &format!("first_reply = {{ dist = \"constant\", value = \"30s\" }}\n{agents}"),
    );
    assert!(m(&delayed, "wait_answered_p90_s") > 0.0);
    let shift = m(&delayed, "frt_p90_s") - m(&delayed, "wait_answered_p90_s");
    assert!(
        (shift - 30.0).abs() < 0.5,
        "p90 first response - p90 wait = {shift} s"
    );
}
