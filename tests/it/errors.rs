//! Bad input gets a precise error naming the file, key, line and column and
//! what is allowed, never a panic.

use kefusim::scenario::{Scenario, ScenarioError};

const GOOD: &str = r#"[run]
start = "2026-11-11T00:00:00+08:00"
duration = "1h"

[arrivals]
rate_per_hour = 60

[service]
duration = { dist = "exponential", mean = "5m" }

[[agents]]
count = 2
max_concurrent = 5
"#;

fn error_of(text: &str) -> String {
    match Scenario::from_toml(text, "bad.toml", "bad") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e @ ScenarioError::Invalid { .. }) => e.to_string(),
        Err(e) => panic!("unexpected error kind: {e}"),
    }
}

fn assert_error(text: &str, expected: &[&str]) {
    let msg = error_of(text);
    for e in expected {
        assert!(msg.contains(e), "expected `{e}` in:\n{msg}");
    }
}

#[test]
fn the_good_file_is_good() {
    Scenario::from_toml(GOOD, "good.toml", "good").unwrap();
}

#[test]
fn unknown_key() {
    let text = GOOD.replace("count = 2", "count = 2\nmax_concurent = 5");
    assert_error(
        &text,
        &[
            "bad.toml:13:1",
            "agents[0].max_concurent",
            "unknown field `max_concurent`",
            "expected one of",
            "`max_concurrent`",
        ],
    );
}

#[test]
fn max_concurrent_out_of_range() {
    let text = GOOD.replace("max_concurrent = 5", "max_concurrent = 80");
    assert_error(
        &text,
        &[
            "bad.toml:13:18",
            "agents[0].max_concurrent",
            "max_concurrent must be 1..=50, got 80",
            "1 problem",
        ],
    );
    let text = GOOD.replace("max_concurrent = 5", "max_concurrent = 0");
    assert_error(&text, &["max_concurrent must be 1..=50, got 0"]);
}

#[test]
fn bad_durations() {
    assert_error(
        &GOOD.replace("\"5m\"", "\"5 minutes\""),
        &[
            "bad.toml:9:",
            "service.duration.mean",
            "unknown unit `minutes`",
        ],
    );
    assert_error(
        &GOOD.replace("duration = \"1h\"", "duration = \"90\""),
        &["bad.toml:3:12", "run.duration", "missing unit"],
    );
    assert_error(
        &GOOD.replace("duration = \"1h\"", "duration = 90"),
        &[
            "bad.toml:3:12",
            "invalid type: integer `90`, expected a string",
        ],
    );
}

#[test]
fn empty_and_overlapping_shifts() {
    let empty = format!("{GOOD}shift = {{ start = \"09:00\", end = \"09:00\" }}\n");
    assert_error(
        &empty,
        &[
            "agents[0].shift",
            "shift is empty: it starts and ends at 09:00",
        ],
    );
    let overlap =
        format!("{GOOD}shift = {{ windows = [[\"09:00\", \"13:00\"], [\"12:00\", \"18:00\"]] }}\n");
    assert_error(
        &overlap,
        &["agents[0].shift", "shift windows overlap by 1h"],
    );
    let half = format!("{GOOD}shift = {{ start = \"09:00\" }}\n");
    assert_error(&half, &["a shift needs both start and end"]);
    let bad_break = format!(
        "{GOOD}shift = {{ start = \"09:00\", end = \"10:00\", breaks = [{{ after = \"50m\", length = \"15m\" }}] }}\n"
    );
    assert_error(
        &bad_break,
        &[
            "agents[0].shift.breaks[0]",
            "break ends 1h5m into the shift but the shortest window lasts 1h",
        ],
    );
}

#[test]
fn several_problems_are_all_reported() {
    let text = GOOD
        .replace("max_concurrent = 5", "max_concurrent = 80\nweight = -1")
        .replace("\"1h\"", "\"1x\"");
    let msg = error_of(&text);
    assert!(msg.contains("3 problems"), "{msg}");
}

#[test]
fn other_mistakes_say_what_is_allowed() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "rate_per_hour = 60",
            "rate_per_hour = -3",
            "rate_per_hour must be between 0 and 1e7, got -3",
        ),
        (
            "dist = \"exponential\"",
            "dist = \"weibull\"",
            "unknown distribution \"weibull\" (allowed: exponential, lognormal",
        ),
        (
            "dist = \"exponential\"",
            "dist = \"lognormal\"",
            "distribution \"lognormal\" needs `sd`",
        ),
        (
            "start = \"2026-11-11T00:00:00+08:00\"",
            "start = \"2026-11-11 00:00\"",
            "missing UTC offset",
        ),
        (
            "[[agents]]",
            "[routing]\npolicy = \"fastest\"\n\n[[agents]]",
            "unknown policy \"fastest\" (allowed: least_active, weighted",
        ),
        ("count = 2", "count = 0", "count must be 1..=100000, got 0"),
        (
            "duration = \"1h\"",
            "duration = \"1h\"\nwarmup = \"2h\"",
            "warmup (2h) must be shorter than duration (1h)",
        ),
        (
            "[service]",
            "[buyers]\nentries = { product = 0.5, order = 0.2 }\n\n[service]",
            "entry shares must sum to 1, got 0.7",
        ),
        (
            "start = \"2026-11-11T00:00:00+08:00\"",
            "start = \"2026-11-1一T00:00+08:00\"",
            "run.start: `2026-11-1一T00:00+08:00`: expected an RFC 3339 instant",
        ),
        (
            "count = 2",
            "count = 2\nspeed = 0",
            "speed must be between 0.01 and 100, got 0",
        ),
        (
            "rate_per_hour = 60",
            "rate_per_hour = 1e13",
            "rate_per_hour must be between 0 and 1e7, got 1e13",
        ),
        (
            "rate_per_hour = 60",
            "rate_per_hour = 1e7\nprofile = [[\"00:00\", 100.0]]",
            "the arrival rate reaches 1.000e9/h with every factor applied; at most 1e8/h",
        ),
        (
            "count = 2",
            "name = \"a\"\ncount = 2\n\n[[agents]]\nname = \"a-01\"",
            "agents[1].name: two agents would both be named `a-01`",
        ),
        (
            "[service]\n",
            "[service]\nslowdown = [1.0, 1e30]\n",
            "service.slowdown[1]: slowdown[1] must be between 0.01 and 100, got 1e30",
        ),
    ];

    for (from, to, expected) in cases {
        let text = GOOD.replace(from, to);
        assert_ne!(text, GOOD, "{from}");
        assert_error(&text, &[expected]);
    }
}

#[test]
fn entries_need_groups_when_there_are_several() {
    let text = GOOD.replace("count = 2", "count = 2\ngroups = [\"presale\"]")
        + "\n[[agents]]\nname = \"after\"\ngroups = [\"aftersales\"]\n\n[buyers]\nentries = { product = 0.5, order = 0.5 }\n";
    assert_error(
        &text,
        &[
            "routing.entry_groups",
            "entry `product` receives chats but has no group",
        ],
    );
}

#[test]
fn syntax_errors_are_located() {
    assert_error(
        "[run\nstart = 1",
        &["bad.toml:1:5", "unclosed table, expected `]`"],
    );
    assert_error(
        &GOOD.replace("[arrivals]\n", ""),
        &["bad.toml:", "unknown field `rate_per_hour`"],
    );
}

#[test]
fn every_problem_of_an_entry_is_listed_in_file_order() {
    let text = GOOD
        .replace(
            "max_concurrent = 5",
            "max_concurrent = 80\nshift = { start = \"09:00\", end = \"09:00\" }",
        )
        .replace(
            "{ dist = \"exponential\", mean = \"5m\" }",
            "{ dist = \"lognormal\", mean = \"6m\" }",
        );
    let msg = error_of(&text);
    assert!(msg.contains("3 problems"), "{msg}");
    let (a, b, c) = (
        msg.find("needs `sd`").unwrap(),
        msg.find("got 80").unwrap(),
        msg.find("shift is empty").unwrap(),
    );
    assert!(a < b && b < c, "{msg}");
}

#[test]
fn routing_rule_errors_name_the_key_and_what_is_allowed() {
    let with = |extra: &str| format!("{GOOD}{extra}");
    assert_error(
        &with("[routing]\nnobody_online = \"bot\"\n"),
        &[
            "routing.nobody_online",
            "unknown nobody_online \"bot\" (allowed: queue, offline_message, main_account)",
        ],
    );
    assert_error(
        &with("[routing]\nnobody_online = \"main_account\"\n"),
        &["routing.nobody_online", "needs a main account"],
    );
    assert_error(
        &GOOD.replace("count = 2", "count = 2\nmain_account = true"),
        &["agents[0].main_account", "count = 1, got 2"],
    );
    assert_error(
        &GOOD.replace(
            "[[agents]]",
            "[buyers]\nprivate_share = 0.1\nreturning_share = 0.95\n[[agents]]",
        ),
        &["buyers.returning_share", "must be at most 1, got 1.05"],
    );
    assert_error(
        &GOOD.replace(
            "max_concurrent = 5",
            "max_concurrent = 5\nsuspend_at_open = 80",
        ),
        &[
            "agents[0].suspend_at_open",
            "suspend_at_open must be 1..=50, got 80",
        ],
    );
    assert_error(
        &with(
            "[[agents.episodes]]\nstate = \"nap\"\nrate_per_hour = 1\nlength = { dist = \"constant\", value = \"5m\" }\n",
        ),
        &[
            "agents[0].episodes[0].state",
            "allowed: busy, break, suspended",
        ],
    );
    assert_error(
        &with("[[groups]]\nname = \"shop\"\noverflow_to = \"vip\"\noverflow_after = \"1m\"\n"),
        &["groups[0].overflow_to", "unknown group `vip`"],
    );
    assert_error(
        &with("[routing]\nfairness = { max_assignments = 0, window = \"10m\" }\n"),
        &[
            "routing.fairness.max_assignments",
            "must be 1..=1000, got 0",
        ],
    );
}

#[test]
fn dialogue_transfer_and_variant_errors_say_what_is_allowed() {
    let dialogue = GOOD.replace(
        "duration = { dist = \"exponential\", mean = \"5m\" }",
        "model = \"dialogue\"\nrounds = { dist = \"geometric\", mean = 0.5 }\ntyping = { dist = \"constant\", value = \"20s\" }",
    );
    assert_error(
        &dialogue,
        &[
            "service.rounds.mean",
            "mean must be between 1 and 100, got 0.5",
        ],
    );
    assert_error(
        &GOOD.replace(
            "[service]",
            "[service]\nthink = { dist = \"constant\", value = \"1m\" }",
        ),
        &["service.think", "belongs to the dialogue model"],
    );
    assert_error(
        &GOOD.replace(
            "duration = { dist = \"exponential\", mean = \"5m\" }",
            "model = \"dialogue\"",
        ),
        &["needs `rounds`", "needs `typing`"],
    );
    let with = |extra: &str| format!("{GOOD}{extra}");
    assert_error(
        &with(
            "[[groups]]\nname = \"shop\"\ntransfer = { share = 0.1, to = \"shop\", after = \"1m\" }\n",
        ),
        &["groups[0].transfer.to", "cannot transfer to itself"],
    );
    assert_error(
        &with("[[groups]]\nname = \"a\"\ntransfer = { share = 0.1, to = \"b\", after_rounds = 2 }\n[[groups]]\nname = \"b\"\n")
            .replace("count = 2", "count = 2\ngroups = [\"a\", \"b\"]"),
        &["groups[0].transfer.after_rounds", "needs the dialogue model"],
    );
    assert_error(
        &with("[routing]\nvariant = \"omni_channel\"\n"),
        &["routing", "variant \"omni_channel\" needs `offer"],
    );
    assert_error(
        &with("[routing]\nvariant = \"genesys\"\n"),
        &[
            "routing.variant",
            "allowed: none, omni_channel, taskrouter, chatwoot_v1",
        ],
    );
}

#[test]
fn menu_errors_name_the_entry_and_group() {
    let text = format!("{GOOD}[routing]\nmenu = {{ dm = {{ vip = 1 }}, fax = {{ shop = 1 }} }}\n");
    assert_error(
        &text,
        &[
            "routing.menu.dm.vip",
            "unknown group `vip`",
            "routing.menu.fax",
            "unknown entry `fax`",
        ],
    );
}

#[test]
fn vip_tier_errors() {
    let text = GOOD.replace(
        "[[agents]]",
        "[buyers]\nvip_share = 0.1\nvip_tiers = [{ name = \"gold\", share = 0.7 }, { name = \"gold\", share = 0.6 }]\n[[agents]]",
    );
    assert_error(
        &text,
        &[
            "buyers.vip_tiers",
            "not both",
            "buyers.vip_tiers[1].name",
            "unique",
        ],
    );
}

#[test]
fn overflow_cycles_and_unroutable_groups_are_refused() {
    let two = GOOD.replace("count = 2", "count = 2\ngroups = [\"a\", \"b\"]");
    assert_error(
        &format!(
            "{two}[[groups]]\nname = \"a\"\noverflow_to = \"b\"\noverflow_after = \"1m\"\n\
             [[groups]]\nname = \"b\"\noverflow_to = \"a\"\noverflow_after = \"1m\"\n\
             [routing]\nentry_groups = {{ product = \"a\" }}\n"
        ),
        &["groups[0].overflow_to", "comes back to it"],
    );
    assert_error(
        &GOOD.replace("count = 2", "count = 2\nroutable = false"),
        &["has no routable agent"],
    );
}

/// Issue 11, defect 1: an error past column 65,535 (a generated one-line
/// file) used to panic in the caret's formatting.
#[test]
fn an_error_far_along_a_long_line_is_located_with_an_excerpt() {
    let text = GOOD.replacen(
        "start = \"2026-11-11T00:00:00+08:00\"",
        &format!("start = {}\"nope\"", " ".repeat(65_536)),
        1,
    );
    let msg = error_of(&text);
    assert!(msg.contains("bad.toml:2:65545: run.start"), "{msg}");
    assert!(
        msg.len() < 1_000,
        "the source line is an excerpt: {} bytes",
        msg.len()
    );
    assert!(msg.contains('…'));
}

/// Issue 11, defect 3: thousands of problems are listed up to a cap (in
/// file order) and counted beyond it; each listed line is an excerpt.
#[test]
fn thousands_of_problems_are_capped_and_counted() {
    let mut text = GOOD.to_string();
    for _ in 0..4_000 {
        text.push_str("[[agents]]\nname = \"dup\"\n");
    }
    let msg = error_of(&text);
    assert!(
        msg.starts_with("invalid scenario (3999 problems)"),
        "{}",
        &msg[..80]
    );
    assert!(msg.contains("… and 3949 more problems (the first 50 in file order are listed)"));
    assert_eq!(msg.matches("are named `dup`").count(), 50);
    // One line with the same group 5,000 times: 4,999 problems, short output.
    let groups = vec!["\"shop\""; 5_000].join(", ");
    let text = GOOD.replace("count = 2", &format!("count = 2\ngroups = [{groups}]"));
    let msg = error_of(&text);
    assert!(msg.starts_with("invalid scenario (4999 problems)"));
    assert!(msg.len() < 30_000, "{} bytes", msg.len());
}

/// Issue 11, defect 3: validation is linear in the number of agents.
#[test]
fn a_hundred_thousand_valid_agents_validate() {
    let mut text = GOOD.replace("[[agents]]\ncount = 2\nmax_concurrent = 5\n", "");
    for i in 0..100_000 {
        text.push_str(&format!("[[agents]]\nname = \"a{i}\"\n"));
    }
    let sc = Scenario::from_toml(&text, "big.toml", "big").unwrap();
    assert_eq!(sc.agents.len(), 100_000);
    assert!(sc.describe().contains("agents (100000 in 100000 entries)"));
}

/// Issue 11, defect 7: malformed instants and clock times are refused, not
/// read with a surprising meaning.
#[test]
fn signs_inside_times_and_dates_are_refused() {
    for (from, to) in [
        ("+08:00\"", "+-8:00\""),
        ("2026-11-11T", "+999-11-11T"),
        ("2026-11-11T", "-001-11-11T"),
    ] {
        let text = GOOD.replacen(from, to, 1);
        assert_error(&text, &["bad.toml:2:9: run.start"]);
    }
    let text = GOOD.replace(
        "count = 2",
        "count = 2\nshift = { start = \"+9:+5\", end = \"18:00\" }",
    );
    assert_error(&text, &["agents[0].shift.start", "HH:MM"]);
}

/// Issue 11, defect 8: problems about something missing are placed where
/// it would be added (the end of the file), so every problem has a line.
#[test]
fn missing_sections_are_located_at_the_end_of_the_file() {
    let text = GOOD.replace("[[agents]]\ncount = 2\nmax_concurrent = 5\n", "");
    let lines = text.lines().count();
    assert_error(
        &text,
        &[&format!(
            "bad.toml:{}:1: agents: at least one [[agents]] entry is needed",
            lines + 1
        )],
    );
    let two = GOOD.replace(
        "[[agents]]\ncount = 2",
        "[[agents]]\nname = \"a\"\ngroups = [\"x\"]\n[[agents]]\nname = \"b\"\ngroups = [\"y\"]\ncount = 2",
    );
    let msg = error_of(&two);
    assert!(
        msg.contains(":1: routing.entry_groups: entry `product`"),
        "{msg}"
    );
}

#[test]
fn compare_section_errors_are_located_and_say_what_is_allowed() {
    let with = |section: &str| format!("{GOOD}\n[compare]\n{section}\n");
    // Aliases resolve to canonical names; the gate is described by `check`.
    let sc = Scenario::from_toml(
        &with("metrics = [\"golden_rate\", \"abandon_rate\"]\ntolerances = { frt_p90_s = \"10%\" }\nalpha = 0.01"),
        "good.toml",
        "good",
    )
    .unwrap();
    assert_eq!(
        sc.compare.metrics.as_deref(),
        Some(
            &[
                "answered_within_120s_over_offered".to_string(),
                "abandon_rate".to_string()
            ][..]
        )
    );
    assert_eq!(sc.compare.alpha, 0.01);
    assert!(sc.describe().contains("compare\n  judged         answered_within_120s_over_offered, abandon_rate (family-wise α = 0.01"));
    // Not part of the model: the digest ignores it.
    let plain = Scenario::from_toml(GOOD, "good.toml", "good").unwrap();
    assert_eq!(sc.digest(), plain.digest());
    let cases: &[(&str, &str)] = &[
        (
            "metrics = [\"frt_p95\"]",
            "bad.toml:16:12: compare.metrics[0]: unknown metric `frt_p95`; did you mean `frt_p90`",
        ),
        (
            "metrics = []",
            "compare.metrics: metrics must name at least one metric (leave it out to judge every metric with a better direction)",
        ),
        (
            "metrics = [\"abandon_rate\", \"abandonment\"]",
            "compare.metrics[1]: `abandon_rate` is listed twice",
        ),
        (
            "tolerances = { frt_p90_s = \"lots\" }",
            "compare.tolerances.frt_p90_s: \"lots\" is not a non-negative number or percentage (e.g. 0.005 or 5%)",
        ),
        (
            "tolerances = { frt_p95_s = \"5%\" }",
            "compare.tolerances.frt_p95_s: unknown metric `frt_p95_s`; did you mean `frt_p90_s`",
        ),
        (
            "alpha = 0.9",
            "compare.alpha: alpha (the family-wise false-alarm rate) must be in (0, 0.5], got 0.9",
        ),
        ("strict = true", "unknown field `strict`"),
    ];
    for (section, expected) in cases {
        assert_error(&with(section), &[expected]);
    }
}

#[test]
fn vip_channel_errors_name_the_key_and_what_is_allowed() {
    assert_error(
        &format!("{GOOD}[routing]\nvip_channel = {{ group = \"vip\" }}\n"),
        &[
            "routing.vip_channel.group",
            "unknown group `vip` (groups: shop)",
        ],
    );
    assert_error(
        &format!("{GOOD}[routing]\nvip_channel = {{ group = \"shop\" }}\n"),
        &["routing.vip_channel", "needs VIP buyers"],
    );
    assert_error(
        &format!(
            "{GOOD}[buyers]\nvip_tiers = [{{ name = \"svip\", share = 0.1 }}]\n\
             [routing]\nvip_channel = {{ group = \"shop\", tiers = [\"gold\"] }}\n"
        ),
        &[
            "routing.vip_channel.tiers[0]",
            "unknown VIP tier `gold` (tiers: svip)",
        ],
    );
    assert_error(
        &format!(
            "{GOOD}[buyers]\nvip_share = 0.1\n[routing]\nvip_channel = {{ group = \"shop\", overflow_after = \"0s\" }}\n"
        ),
        &["routing.vip_channel.overflow_after", "must be > 0"],
    );
}

#[test]
fn schedule_errors_name_the_change_and_what_is_allowed() {
    assert_error(
        &format!(
            "{GOOD}[[schedule]]\nat = \"2026-11-11T00:30:00+08:00\"\nagents = \"x\"\nmax_concurrent = 5\n"
        ),
        &[
            "schedule[0].agents",
            "unknown [[agents]] entry `x` (entries: agent1)",
        ],
    );
    assert_error(
        &format!(
            "{GOOD}[[schedule]]\ndaily = \"00:30\"\nagents = \"agent1\"\nmax_concurrent = 80\n"
        ),
        &[
            "schedule[0].max_concurrent",
            "max_concurrent must be 1..=50, got 80",
        ],
    );
    assert_error(
        &format!(
            "{GOOD}[[schedule]]\nat = \"2026-11-12T00:30:00+08:00\"\ngroup = \"shop\"\npolicy = \"random\"\n"
        ),
        &["schedule[0].at", "outside the run"],
    );
    assert_error(
        &format!("{GOOD}[[schedule]]\ndaily = \"00:30\"\ngroup = \"shop\"\npolicy = \"fastest\"\n"),
        &[
            "schedule[0].policy",
            "unknown policy `fastest`",
            "least_active",
        ],
    );
    assert_error(
        &format!(
            "{GOOD}[[schedule]]\ndaily = \"00:30\"\nat = \"2026-11-11T00:30:00+08:00\"\ngroup = \"shop\"\npolicy = \"random\"\n"
        ),
        &["schedule[0]", "either `at`"],
    );
    assert_error(
        &format!("{GOOD}[[schedule]]\ndaily = \"00:30\"\ngroup = \"shop\"\nmax_concurrent = 4\n"),
        &["schedule[0]", "`agents` + `max_concurrent`"],
    );
    assert_error(
        &format!(
            "{GOOD}[[schedule]]\ndaily = \"00:30\"\nagents = \"agent1\"\ngroups = [\"shop\", \"vip\", \"shop\"]\n"
        ),
        &[
            "schedule[0].groups[1]",
            "unknown group `vip` (groups: shop; a group no entry serves from the start is declared with [[groups]] name)",
            "schedule[0].groups[2]",
            "group `shop` is listed twice",
        ],
    );
    assert_error(
        &format!("{GOOD}[[schedule]]\ndaily = \"00:30\"\nagents = \"agent1\"\ngroups = []\n"),
        &["schedule[0].groups", "must not be empty"],
    );
    assert_error(
        &format!(
            "{GOOD}[[schedule]]\ndaily = \"00:30\"\nagents = \"agent1\"\ngroups = [\"shop\"]\nmax_concurrent = 3\n"
        ),
        &["schedule[0]", "`agents` + `groups`"],
    );
}

#[test]
fn dated_shift_errors_are_located() {
    assert_error(
        &GOOD.replace(
            "max_concurrent = 5\n",
            "max_concurrent = 5\nshift = { start = \"09:00\", end = \"18:00\", dates = [\"2026-02-30\"] }\n",
        ),
        &["agents[0].shift.dates[0]", "no such date"],
    );
    assert_error(
        &GOOD.replace(
            "max_concurrent = 5\n",
            "max_concurrent = 5\nshift = { start = \"09:00\", end = \"18:00\", except_dates = [\"2026-11-12..2026-11-10\"] }\n",
        ),
        &["agents[0].shift.except_dates[0]", "earlier date to a later one"],
    );
}

#[test]
fn overload_transfer_errors_say_what_is_allowed() {
    assert_error(
        &format!("{GOOD}[routing]\noverload_transfer = {{ above = 50, after = \"5m\" }}\n"),
        &[
            "routing.overload_transfer.above",
            "above must be 1..=49, got 50",
        ],
    );
    assert_error(
        &format!("{GOOD}[routing]\noverload_transfer = {{ above = 6, after = \"0s\" }}\n"),
        &["routing.overload_transfer.after", "after must be > 0"],
    );
}

#[test]
fn scheduled_nobody_online_errors() {
    assert_error(
        &format!("{GOOD}[[schedule]]\ndaily = \"00:30\"\nnobody_online = \"main_account\"\n"),
        &["schedule[0].nobody_online", "needs a main account"],
    );
    assert_error(
        &format!("{GOOD}[[schedule]]\ndaily = \"00:30\"\nnobody_online = \"closed\"\n"),
        &[
            "schedule[0].nobody_online",
            "unknown value `closed` (allowed: queue, offline_message, main_account)",
        ],
    );
}

#[test]
fn a_change_with_a_bad_time_and_a_bad_setting_reports_both() {
    assert_error(
        &format!(
            "{GOOD}[[schedule]]\ndaily = \"25:00\"\nagents = \"agent1\"\nmax_concurrent = 80\n"
        ),
        &[
            "schedule[0].daily",
            "schedule[0].max_concurrent",
            "2 problems",
        ],
    );
}
