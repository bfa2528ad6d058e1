//! Every shipped scenario validates and runs; the quickstart's fixed-seed
//! summary is pinned (set `UPDATE_EXPECT=1` to rewrite the golden file after
//! an intended behaviour change).

use std::path::PathBuf;

use kefusim::engine::run_replication;
use kefusim::report::summary_json;

use crate::support::{load, repo, run};

fn shipped() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![repo("scenarios")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                out.push(path);
            }
        }
    }
    out.sort();
    assert!(
        out.len() >= 6,
        "expected the quickstart and the validation scenarios, found {out:?}"
    );
    out
}

/// Every chat offered is answered, abandoned or unfinished, in every
/// replication of every shipped scenario, and the headline is a rate.
#[test]
fn every_shipped_scenario_runs_and_conserves_chats() {
    for path in shipped() {
        let rel = path.strip_prefix(repo("")).unwrap().display().to_string();
        let sc = load(&rel);
        for r in 0..sc.run.replications.min(2) {
            let (result, stats) = run_replication(&sc, r);
            let get = |name: &str| {
                result
                    .scalars
                    .iter()
                    .find(|s| s.name == name)
                    .unwrap()
                    .value
            };
            let offered = get("offered");
            assert!(offered > 0.0, "{rel}: nothing offered");
            // Offline messages left on arrival are neither answered nor abandoned.
            let left_message = get("offline_messages") - get("offline_messages.abandoned");
            assert_eq!(
                get("answered") + get("abandoned") + get("unfinished") + left_message,
                offered,
                "{rel} replication {r}"
            );
            assert_eq!(
                get("offline_answered") + get("offline_unanswered"),
                get("offline_messages"),
                "{rel} replication {r}"
            );
            let golden = get("answered_within_120s_over_offered");
            assert!((0.0..=1.0).contains(&golden), "{rel}: {golden}");
            assert!(stats.arrivals as f64 >= offered && stats.events > stats.arrivals);
        }
    }
}

#[test]
fn quickstart_summary_is_pinned() {
    let summary = run(&load("scenarios/quickstart.toml"));
    let actual = summary_json(&summary);
    let golden = repo("tests/golden/quickstart.summary.json");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&golden, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert!(
        actual == expected,
        "quickstart summary changed; if intended, rerun with UPDATE_EXPECT=1 and review the diff of {}",
        golden.display()
    );
}

/// The quickstart is a believable shop: most chats answered within two
/// minutes, some abandonment, busy but not saturated agents.
#[test]
fn quickstart_is_sensible() {
    let s = run(&load("scenarios/quickstart.toml"));
    let m = |n: &str| s.metric(n).unwrap().mean;
    assert!((3000.0..6000.0).contains(&m("offered")));
    assert!(
        (0.8..1.0).contains(&m("answered_within_120s_over_offered")),
        "{}",
        m("answered_within_120s_over_offered")
    );
    assert!(m("abandon_rate") < 0.1);
    assert!((0.3..0.9).contains(&m("occupancy")));
    assert_eq!(s.series.rows.len(), 96);
    assert_eq!(
        s.agents.len(),
        load("scenarios/quickstart.toml").agents.len()
    );
}

/// The platform scenarios exercise the rules they document.
#[test]
fn platform_scenarios_use_their_rules() {
    let feige = run(&load("scenarios/feige_shop.toml"));
    let taobao = run(&load("scenarios/taobao_shop.toml"));
    let m = |s: &kefusim::replicate::Summary, n: &str| s.metric(n).unwrap().mean;
    assert!(m(&feige, "offline_messages.nobody_online") > 10.0);
    assert!(m(&feige, "offline_messages.abandoned") > 0.0);
    assert_eq!(
        m(&feige, "offline_unanswered"),
        0.0,
        "answered in the morning"
    );
    assert!(m(&feige, "processing_messages") > 0.0);
    assert!(feige.agents.iter().any(|a| a.busy_hours > 0.0));
    let owner = feige.agents.iter().find(|a| a.agent == "owner").unwrap();
    assert!(
        owner.assigned > 0.0,
        "direct buyers reach the unrouted owner"
    );
    assert!(owner.assigned < 20.0);
    assert!(m(&taobao, "offline_messages.main_offline") > 0.0);
    assert!(m(&taobao, "overflowed") > 0.0);
    assert!(taobao.agents.iter().all(|a| a.suspended_hours > 0.0));
    assert!(m(&taobao, "answered_within_120s_over_offered") > 0.8);
    assert!(m(&feige, "transfers") > 0.0);
    assert!(m(&taobao, "transfers") > 0.0);
    assert!(m(&taobao, "reply_rate_3min_rounds.assessed") > 0.8);
}

/// The double-11 time series carries per-interval FRT percentiles and
/// confidence half-widths, and the summary names the peaks to mark.
#[test]
fn double11_series_has_frt_percentiles_bands_and_marks() {
    let mut sc = load("scenarios/double11.toml");
    sc.run.replications = 3;
    let s = run(&sc);
    let col = |name: &str| {
        let i = s.series.columns.iter().position(|c| c == name);
        let i = i.unwrap_or_else(|| panic!("no column {name}"));
        s.series.rows.iter().map(move |r| r[i])
    };
    let rows: Vec<(f64, f64, f64, f64)> = col("answered")
        .zip(col("frt_p50_s"))
        .zip(col("frt_p90_s").zip(col("frt_p99_s")))
        .map(|((a, p50), (p90, p99))| (a, p50, p90, p99))
        .collect();
    for &(answered, p50, p90, p99) in &rows {
        if answered > 0.0 {
            assert!(p50 <= p90 && p90 <= p99, "{p50} {p90} {p99}");
        } else {
            assert!(p50.is_nan(), "no answered chat, yet p50 = {p50}");
        }
    }
    // The midnight spike pushes p90 well past the golden 2 minutes somewhere.
    assert!(rows.iter().any(|r| r.2 > 120.0));
    let bands = col("answered_within_120s_over_offered_ci95").filter(|h| h.is_finite());
    assert!(bands.count() > rows.len() / 2);
    for c in s.series.columns.clone() {
        if !c.ends_with("_ci95") {
            assert!(s.series.columns.contains(&format!("{c}_ci95")), "{c}");
        }
    }
    let names: Vec<&str> = s.marks.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["final payment (付尾款)", "00:00 sale opening"]);
    assert!(s.marks.iter().all(|m| m.kind == "peak" && m.from < m.to));
}
