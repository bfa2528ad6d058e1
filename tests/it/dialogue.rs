//! The dialogue model (DOMAIN.md §3) and the platform reply metrics (§5),
//! with constant times so that every figure is exact.

use kefusim::replicate::{self, Summary};

use crate::support::parse;

/// Sparse arrivals, many idle agents: no chat ever waits for a typist.
fn run(service: &str, extra: &str) -> Summary {
    let text = format!(
        "[run]\nstart = \"2026-11-25T00:00:00+08:00\"\nduration = \"2d\"\n\
         [arrivals]\nrate_per_hour = 4\n\
         [service]\nmodel = \"dialogue\"\n{service}\n{extra}\
         [[agents]]\ncount = 50\nmax_concurrent = 3\n"
    );
    replicate::run(&parse(&text), Some(1)).unwrap()
}

fn m(s: &Summary, name: &str) -> f64 {
    s.metric(name)
        .unwrap_or_else(|| panic!("no metric {name}"))
        .mean
}

const CONSTANT: &str = "rounds = { dist = \"constant\", value = 2 }\n\
    think = { dist = \"constant\", value = \"30s\" }\n\
    typing = { dist = \"constant\", value = \"20s\" }\n\
    inactivity_timeout = \"5m\"\n";

#[test]
fn a_chat_is_rounds_of_message_reply_think_then_the_inactivity_timeout() {
    let s = run(CONSTANT, "");
    let answered = m(&s, "answered");
    assert!(answered > 100.0);
    // Typing 20 s, think 30 s, typing 20 s, then 5 minutes without a message.
    assert_eq!(m(&s, "mean_session_s"), 20.0 + 30.0 + 20.0 + 300.0);
    assert_eq!(m(&s, "frt_mean_s"), 20.0);
    assert_eq!(m(&s, "rounds"), 2.0 * answered);
    assert_eq!(m(&s, "round_response_mean_s"), 20.0);
    assert_eq!(m(&s, "reply_rate_3min_rounds"), 1.0);
    assert_eq!(m(&s, "reply_rate_3min_messages"), 1.0);
    // Utilisation: 40 s of typing per chat over all on-shift time.
    let on_shift_s: f64 = s.agents.iter().map(|a| a.on_shift_hours * 3600.0).sum();
    assert!((m(&s, "utilisation") - 40.0 * answered / on_shift_s).abs() < 1e-3);
    assert_eq!(m(&s, "silent_abandons"), 0.0);
}

#[test]
fn a_buyer_who_thinks_longer_than_the_timeout_finds_the_session_closed() {
    let s = run(&CONSTANT.replace("value = \"30s\"", "value = \"6m\""), "");
    assert_eq!(m(&s, "closed_by_inactivity"), m(&s, "answered"));
    assert_eq!(m(&s, "rounds"), m(&s, "answered"), "only the first round");
    assert_eq!(m(&s, "mean_session_s"), 20.0 + 300.0);
}

#[test]
fn silent_buyers_leave_after_their_round_and_free_the_slot_at_the_timeout() {
    let s = run(&format!("{CONSTANT}silent_abandon = 1.0\n"), "");
    assert_eq!(m(&s, "silent_abandons"), m(&s, "offered"));
    assert_eq!(m(&s, "rounds"), m(&s, "answered"));
    assert_eq!(m(&s, "mean_session_s"), 20.0 + 300.0);
}

#[test]
fn messages_within_a_round_each_count_in_the_per_message_rate() {
    // Two messages 100 s apart, typing 90 s: the first message is answered
    // at 90 s (a round on its own), the second 90 s after it arrives.
    let s = run(
        "rounds = { dist = \"constant\", value = 1 }\n\
         messages_per_round = { dist = \"constant\", value = 2 }\n\
         message_gap = { dist = \"constant\", value = \"100s\" }\n\
         typing = { dist = \"constant\", value = \"90s\" }\n",
        "",
    );
    let answered = m(&s, "answered");
    assert_eq!(m(&s, "rounds"), 2.0 * answered);
    assert_eq!(m(&s, "round_response_mean_s"), 90.0);
    assert_eq!(m(&s, "frt_mean_s"), 90.0);
}

#[test]
fn typing_slows_down_with_open_chats_and_replies_queue_behind_each_other() {
    // One agent, busy: response times grow with concurrency by themselves.
    let text = |slowdown: &str| {
        format!(
            "[run]\nstart = \"2026-11-25T00:00:00+08:00\"\nduration = \"3d\"\n\
             [arrivals]\nrate_per_hour = 30\n\
             [service]\nmodel = \"dialogue\"\n{CONSTANT}{slowdown}\n\
             [[agents]]\nmax_concurrent = 5\n"
        )
    };
    let plain = replicate::run(&parse(&text("")), Some(1)).unwrap();
    let slowed = replicate::run(
        &parse(&text("slowdown = [1.0, 1.5, 2.0, 2.5, 3.0]")),
        Some(1),
    )
    .unwrap();
    assert!(
        m(&plain, "round_response_mean_s") > 20.0,
        "replies wait for each other"
    );
    assert!(m(&slowed, "round_response_mean_s") > m(&plain, "round_response_mean_s") + 5.0);
    assert!(m(&slowed, "utilisation") > m(&plain, "utilisation"));
}

#[test]
fn the_assessment_window_keeps_chats_arriving_from_08_to_23() {
    let s = run(CONSTANT, "");
    let all = m(&s, "rounds");
    let assessed = m(&s, "rounds.assessed");
    // 15 of 24 hours at a constant rate.
    let share = assessed / all;
    assert!((share - 15.0 / 24.0).abs() < 0.06, "{share}");
}
