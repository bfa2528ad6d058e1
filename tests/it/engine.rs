//! Behaviour of the engine over time, seen through its results.

use kefusim::replicate::{self, Summary};

use crate::support::parse;

fn scenario(extra_run: &str, body: &str) -> String {
    format!(
        "[run]\nstart = \"2026-11-09T00:00:00+08:00\"\n{extra_run}\n[arrivals]\nrate_per_hour = 60\n\
         [service]\nduration = {{ dist = \"constant\", value = \"30m\" }}\n{body}"
    )
}

fn col(s: &Summary, name: &str) -> Vec<f64> {
    let i = s
        .series
        .columns
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    s.series.rows.iter().map(|r| r[i]).collect()
}

fn run(text: &str) -> Summary {
    replicate::run(&parse(text), Some(1)).unwrap()
}

#[test]
fn at_shift_end_an_agent_takes_no_new_chats_and_finishes_its_open_ones() {
    let s = run(&scenario(
        "duration = \"3h\"\ninterval = \"15m\"",
        "[buyers]\npatience = { dist = \"constant\", value = \"5m\" }\n\
         [[agents]]\nmax_concurrent = 3\nshift = { start = \"00:00\", end = \"01:00\" }\n",
    ));
    let on = col(&s, "agents_on_shift");
    let answered = col(&s, "answered");
    let sessions = col(&s, "sessions_in_service_mean");
    assert_eq!(&on[..4], &[1.0; 4]);
    assert!(on[4..].iter().all(|&x| x == 0.0));
    assert!(
        answered[5..].iter().all(|&x| x == 0.0),
        "nothing is assigned after the shift: {answered:?}"
    );
    assert!(
        sessions[4] > 0.0,
        "chats open at 01:00 are finished after it: {sessions:?}"
    );
    assert!(
        sessions[6..].iter().all(|&x| x == 0.0),
        "30-minute chats end by 01:30"
    );
    let overtime = s.agents[0].overtime_chat_hours;
    assert!(
        overtime > 0.0 && overtime <= 1.5,
        "at most 3 chats for at most 30 minutes: {overtime}"
    );
    assert_eq!(s.agents[0].on_shift_hours, 1.0);
}

#[test]
fn break_cap_serialises_breaks() {
    let s = run(&scenario(
        "duration = \"6h\"\ninterval = \"30m\"",
        "[[groups]]\nname = \"team\"\nmax_on_break = 1\n\
         [[agents]]\ncount = 4\ngroups = [\"team\"]\nmax_concurrent = 5\n\
         shift = { start = \"00:00\", end = \"06:00\", breaks = [{ after = \"1h\", length = \"30m\" }] }\n",
    ));
    let on_break = col(&s, "agents_on_break");
    // One at a time, back to back: 01:00–03:00.
    assert_eq!(
        on_break,
        vec![0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    for a in &s.agents {
        assert_eq!(a.break_hours, 0.5, "{}", a.agent);
    }
}

#[test]
fn rotation_staggers_days_off() {
    let s = run(&scenario(
        "duration = \"12d\"\ninterval = \"1d\"",
        "[[agents]]\ncount = 6\nmax_concurrent = 5\nshift = { start = \"08:00\", end = \"20:00\", on_days = 4, off_days = 2 }\n",
    ));
    // Each day four of six agents work 12 hours: 48 agent-hours ÷ 24 h = 2 agents on average.
    assert!(
        col(&s, "agents_on_shift")
            .iter()
            .all(|&x| (x - 2.0).abs() < 1e-9)
    );
    for a in &s.agents {
        assert_eq!(a.on_shift_hours, 8.0 * 12.0, "{}", a.agent);
    }
}

#[test]
fn no_shift_means_on_duty_throughout_and_warmup_is_not_counted() {
    let s = run(&scenario(
        "duration = \"10h\"\nwarmup = \"5h\"\nreplications = 4",
        "[[agents]]\ncount = 2\nmax_concurrent = 10\n",
    ));
    assert_eq!(s.agents[0].on_shift_hours, 5.0);
    let offered = s.metric("offered").unwrap().mean;
    assert!(
        (230.0..370.0).contains(&offered),
        "60/h over the 5 h window, got {offered}"
    );
    assert_eq!(s.series.rows.len(), 20);
}

#[test]
fn chats_left_waiting_overnight_are_answered_the_next_morning() {
    let s = run(&scenario(
        "duration = \"1d\"",
        "[[agents]]\ncount = 3\nmax_concurrent = 10\nshift = { start = \"09:00\", end = \"18:00\" }\n",
    ));
    let m = |n: &str| s.metric(n).unwrap().mean;
    assert_eq!(m("unfinished"), 0.0);
    assert_eq!(m("answered"), m("offered"));
    assert!(m("p_wait") > 0.5);
    assert!(
        m("asa_answered_s") > 3.0 * 3600.0,
        "{}",
        m("asa_answered_s")
    );
}

#[test]
fn chats_nobody_can_take_are_censored_not_zero() {
    let s = run(&scenario(
        "start_note = 0"
            .replace("start_note = 0", "duration = \"2h\"")
            .as_str(),
        "[[agents]]\nshift = { start = \"00:00\", end = \"00:30\", on_days = 1, off_days = 20, anchor = \"2026-11-08\" }\n",
    ));
    let m = |n: &str| s.metric(n).unwrap().mean;
    assert!(m("offered") > 50.0);
    assert_eq!(m("answered"), 0.0);
    assert_eq!(m("unfinished"), m("offered"));
    assert!(
        m("mean_wait_all_s") > 7.0 * 86_400.0,
        "censored waits are at least the 7-day drain: {}",
        m("mean_wait_all_s")
    );
    assert!(m("answered_within_120s_over_offered") == 0.0);
}

#[test]
fn vip_buyers_are_served_first() {
    let s = replicate::run(
        &parse(&scenario(
            "duration = \"2d\"\nreplications = 4",
            "[buyers]\nvip_share = 0.2\npatience = { dist = \"exponential\", mean = \"20m\" }\n\
             [[agents]]\nmax_concurrent = 1\ncount = 28\n",
        )),
        Some(2),
    )
    .unwrap();
    let m = |n: &str| s.metric(n).unwrap().mean;
    // 60/h × 30 min = 30 Erlangs on 28 agents: most chats queue; a VIP waits
    // only for the next freed slot (one every ~64 s), others wait behind the queue.
    assert!(m("p_wait") > 0.5, "{}", m("p_wait"));
    assert!((0.15..0.25).contains(&(m("vip.offered") / m("offered"))));
    assert!(
        m("vip.asa_answered_s") * 2.0 < m("asa_answered_s"),
        "{} vs {}",
        m("vip.asa_answered_s"),
        m("asa_answered_s")
    );
    assert!(m("vip.asa_answered_s") < 64.0);

    assert!(m("vip.answered_within_120s_over_offered") > m("answered_within_120s_over_offered"));
}

/// A break that falls due while its agent is still on (or waiting for) an
/// earlier break waits its turn instead of being dropped.
#[test]
fn deferred_breaks_are_all_taken() {
    let s = run(&scenario(
        "duration = \"1d\"\ninterval = \"30m\"",
        "[[groups]]\nname = \"g\"\nmax_on_break = 1\n\
         [[agents]]\ncount = 3\ngroups = [\"g\"]\n\
         shift = { start = \"09:00\", end = \"14:00\", breaks = [{ after = \"1h\", length = \"30m\" }, { after = \"1h45m\", length = \"30m\" }] }\n",
    ));
    for a in &s.agents {
        assert_eq!(a.break_hours, 1.0, "{}", a.agent);
    }
    // Six 30-minute breaks back to back from 10:00, one at a time.
    let on_break = col(&s, "agents_on_break");
    assert_eq!(&on_break[20..26], &[1.0; 6]);
    assert_eq!(on_break[19] + on_break[26], 0.0);
}

/// Issue 11, defects 2 and 5: every accepted scenario's work is bounded.
/// A queue that grows without bound, or events that repeat without end,
/// stop the replication as diverging (results up to then), never an OOM
/// or a run that does not finish.
#[test]
fn unbounded_work_stops_as_diverging() {
    use kefusim::engine::{Divergence, Engine};
    let overloaded = parse(
        "[run]\nstart = \"2026-11-11T00:00:00+08:00\"\nduration = \"1h\"\n[arrivals]\nrate_per_hour = 20000\n\
         [service]\nduration = { dist = \"exponential\", mean = \"6m\" }\n[[agents]]\ncount = 1\n",
    );
    let mut e = Engine::new(&overloaded, 0);
    e.run();
    let s = e.stats();
    assert_eq!(s.diverged, 1);
    assert!(
        matches!(s.divergence, Some(Divergence::Queue { open, .. }) if open > 250_000 && open < 400_000),
        "{:?}",
        s.divergence
    );
    assert!(
        s.arrivals < 400_000,
        "stopped early: {} arrivals",
        s.arrivals
    );
    let r = e.finish();
    let unfinished = r
        .scalars
        .iter()
        .find(|m| m.name == "unfinished")
        .unwrap()
        .value;
    assert!(
        unfinished > 15_000.0,
        "counted chats still open are unfinished: {unfinished}"
    );

    // TaskRouter re-evaluates at once after a decline: with accept = 0 and a
    // 1 ms answer, offers repeat every millisecond for ever.
    let livelock = parse(
        "[run]\nstart = \"2026-11-11T00:00:00+08:00\"\nduration = \"1h\"\n[arrivals]\nrate_per_hour = 60\n\
         [service]\nduration = { dist = \"exponential\", mean = \"5m\" }\n[routing]\nvariant = \"taskrouter\"\n\
         offer = { accept = 0.0, response = { dist = \"constant\", value = \"1ms\" }, timeout = \"30s\" }\n\
         [[agents]]\ncount = 3\nmax_concurrent = 3\n",
    );
    let mut e = Engine::new(&livelock, 0);
    e.run();
    let s = e.stats();
    assert_eq!(s.diverged, 1);
    assert!(
        matches!(s.divergence, Some(Divergence::Work { .. })),
        "{:?}",
        s.divergence
    );
    assert!(s.events < 3_000_000, "{} events", s.events);

    // A stable scenario never trips either bound.
    let quiet = run(&scenario("duration = \"6h\"", "[[agents]]\ncount = 40\n"));
    assert_eq!(quiet.work.diverged, 0);
}
