//! Weights (权重值) in every policy that routes by them: with weights 3 and 1
//! the heavier agent's share of new chats tends to 3/4, at light load (the
//! agents mostly idle: the tie-breaks decide) and at heavy load (the loads
//! decide); under the policies that ignore weights the fair share is equal.

use kefusim::replicate::{self, Summary};

use crate::support::{kefusim, parse, repo, text};

/// Two agents, weights 3 and 1, caps 50, under `policy`; `rate` chats an
/// hour of exponential `mean` work for `hours`.
fn pair(policy: &str, rate: u32, mean: &str, hours: u32) -> Summary {
    let toml = format!(
        "[run]\nstart = \"2026-11-09T00:00:00+08:00\"\nduration = \"{hours}h\"\nseed = 11\n\
         [arrivals]\nrate_per_hour = {rate}\n\
         [service]\nduration = {{ dist = \"exponential\", mean = \"{mean}\" }}\n\
         [routing]\npolicy = \"{policy}\"\n\
         [[agents]]\nname = \"heavy\"\nweight = 3\nmax_concurrent = 50\n\
         [[agents]]\nname = \"light\"\nweight = 1\nmax_concurrent = 50\n"
    );
    replicate::run(&parse(&toml), Some(1)).unwrap()
}

fn heavy_share(s: &Summary) -> f64 {
    s.agents[0].assigned / (s.agents[0].assigned + s.agents[1].assigned)
}

const WEIGHTED: [&str; 7] = [
    "least_active",
    "feige_even",
    "feige_priority",
    "taobao_queue",
    "weighted",
    "round_robin",
    "random",
];

#[test]
fn shares_follow_the_weights_at_light_load() {
    // One chat a minute of 10 s work: the agents are idle most of the time.
    for policy in WEIGHTED {
        let s = pair(policy, 60, "10s", 100);
        let share = heavy_share(&s);
        assert!((share - 0.75).abs() < 0.0375, "{policy}: {share}");
        for a in &s.agents {
            assert!(
                (a.fair_share_ratio - 1.0).abs() < 0.1,
                "{policy}: {} at {} of its fair share",
                a.agent,
                a.fair_share_ratio
            );
        }
    }
}

#[test]
fn shares_follow_the_weights_at_heavy_load() {
    // 50 Erlangs of work on 2 × 50 slots: several open chats each.
    for policy in WEIGHTED {
        let share = heavy_share(&pair(policy, 600, "5m", 20));
        assert!((share - 0.75).abs() < 0.0375, "{policy}: {share}");
    }
}

#[test]
fn equal_weights_give_equal_shares() {
    let toml = |policy: &str| {
        format!(
            "[run]\nstart = \"2026-11-09T00:00:00+08:00\"\nduration = \"100h\"\n\
             [arrivals]\nrate_per_hour = 60\n\
             [service]\nduration = {{ dist = \"exponential\", mean = \"10s\" }}\n\
             [routing]\npolicy = \"{policy}\"\n[[agents]]\ncount = 2\nweight = 3\nmax_concurrent = 50\n"
        )
    };
    for policy in ["least_active", "taobao_queue", "round_robin", "random"] {
        let s = replicate::run(&parse(&toml(policy)), Some(1)).unwrap();
        let share = heavy_share(&s);
        // least_active alternates exactly; taobao keeps its list (the first
        // agent takes most chats when idle) — not weighted, so not judged here.
        if policy != "taobao_queue" {
            assert!((share - 0.5).abs() < 0.03, "{policy}: {share}");
        }
    }
}

#[test]
fn policies_that_ignore_weights_are_judged_against_equal_shares_and_check_warns() {
    for policy in ["longest_idle", "most_available", "percent_available"] {
        let s = pair(policy, 600, "5m", 20);
        let share = heavy_share(&s);
        assert!(
            (share - 0.5).abs() < 0.05,
            "{policy} ignores weights: {share}"
        );
        for a in &s.agents {
            assert!(
                (a.fair_share_ratio - 1.0).abs() < 0.1,
                "{policy}: {} at {} of an equal share",
                a.agent,
                a.fair_share_ratio
            );
        }
    }
    let path = std::env::temp_dir().join(format!("kefusim-weights-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        "[run]\nstart = \"2026-11-09T00:00:00+08:00\"\nduration = \"1h\"\n[arrivals]\nrate_per_hour = 6\n\
         [service]\nduration = { dist = \"constant\", value = \"1m\" }\n[routing]\npolicy = \"longest_idle\"\n\
         [[agents]]\nname = \"a\"\nweight = 3\n[[agents]]\nname = \"b\"\n",
    )
    .unwrap();
    let out = kefusim(&["check", path.to_str().unwrap()]);
    std::fs::remove_file(&path).ok();
    assert!(out.status.success());
    let said = text(&out.stdout);
    assert!(
        said.contains("warning: group `shop`: policy `longest_idle` ignores weights"),
        "{said}"
    );
    // The shipped scenarios set weights only where their policy follows them.
    for s in [
        "quickstart",
        "feige_shop",
        "taobao_shop",
        "double11",
        "multi_group_vip",
    ] {
        let out = kefusim(&[
            "check",
            repo(&format!("scenarios/{s}.toml")).to_str().unwrap(),
        ]);
        assert!(!text(&out.stdout).contains("warning:"), "{s}");
    }
}
