//! Verdicts of the comparison: pairing, tolerances, Holm, modes.

use super::*;

#[test]
fn directions_follow_the_metric_names() {
    assert_eq!(better("answered_within_120s_over_offered"), Better::Higher);
    assert_eq!(
        better("group.presale.answered_within_120s_over_offered"),
        Better::Higher
    );
    assert_eq!(better("abandon_rate"), Better::Lower);
    assert_eq!(better("vip.gold.p_wait"), Better::Lower);
    assert_eq!(better("vip.p_wait"), Better::Lower);
    assert_eq!(
        better("vip.answered_within_120s_over_offered"),
        Better::Higher
    );
    assert_eq!(better("offline_answered"), Better::Neither);
    assert_eq!(better("round_response_mean_s.assessed"), Better::Lower);
    assert_eq!(better("offered"), Better::Neither);
    assert_eq!(better("occupancy"), Better::Neither);
}

fn metric(name: &str, values: &[f64]) -> MetricSummary {
    let (mean, ci95) = crate::stats::mean_ci95(values);
    MetricSummary {
        name: name.to_string(),
        mean,
        ci95,
        definition: String::new(),
        values: values.to_vec(),
    }
}

fn summary(seed: u64, digest: &str, metrics: Vec<MetricSummary>) -> Summary {
    let replications = metrics[0].values.len() as u32;
    Summary {
        router_examples: Vec::new(),
        router_down: None,
        live: None,
        scenario: "s".into(),
        seed,
        digest: digest.into(),
        replications,
        window_from: String::new(),
        window_to: String::new(),
        metrics,
        series: crate::replicate::Series {
            columns: Vec::new(),
            interval_start: Vec::new(),
            rows: Vec::new(),
        },
        agents: Vec::new(),
        work: Default::default(),
        frt_spectrum: Vec::new(),
        marks: Vec::new(),
        thresholds: Vec::new(),
        focus: Vec::new(),
        gate: GateSpec::default(),
    }
}

const GOLDEN: &str = "answered_within_120s_over_offered";

fn verdict(c: &Comparison, name: &str) -> Status {
    c.rows.iter().find(|r| r.metric == name).unwrap().status
}

#[test]
fn pairing_sees_a_shift_the_noise_would_hide() {
    // Replications vary a lot, but every one drops by 0.02: paired, that
    // is a sure regression (beyond the 0.005 tolerance); unpaired, noise.
    let base = [0.80, 0.95, 0.85, 0.90, 0.75, 0.92, 0.88, 0.83, 0.97, 0.79];
    let worse: Vec<f64> = base.iter().map(|v| v - 0.02).collect();
    let b = summary(1, "a", vec![metric(GOLDEN, &base)]);
    let c = summary(1, "b", vec![metric(GOLDEN, &worse)]);
    let paired = compare(&c, &b, &GateSpec::default(), false);
    assert!(paired.paired);
    assert_eq!(verdict(&paired, GOLDEN), Status::Worse);
    let row = &paired.rows[0];
    assert_eq!(row.test, Some(Test::Paired { n: 10 }));
    assert!((row.delta.unwrap().0 + 0.02).abs() < 1e-12);
    let c = summary(2, "b", vec![metric(GOLDEN, &worse)]);
    let unpaired = compare(&c, &b, &GateSpec::default(), false);
    assert!(!unpaired.paired);
    assert!(matches!(unpaired.rows[0].test, Some(Test::Unpaired { .. })));
    assert_eq!(verdict(&unpaired, GOLDEN), Status::Same);
    // Within the tolerance: changed, not worse, however sure.
    let slightly: Vec<f64> = base.iter().map(|v| v - 0.004).collect();
    let c = summary(1, "b", vec![metric(GOLDEN, &slightly)]);
    assert_eq!(
        verdict(&compare(&c, &b, &GateSpec::default(), false), GOLDEN),
        Status::Changed
    );
    // Better beyond the noise.
    let up: Vec<f64> = base.iter().map(|v| v + 0.01).collect();
    let c = summary(1, "b", vec![metric(GOLDEN, &up)]);
    assert_eq!(
        verdict(&compare(&c, &b, &GateSpec::default(), false), GOLDEN),
        Status::Better
    );
}

#[test]
fn holm_controls_the_family_and_only_judged_metrics_fail() {
    // 40 metrics each worse with one-sided p ≈ 0.01: alone each would
    // fail at 5%, but not as a family of 40.
    let base: Vec<f64> = (0..10).map(|i| 10.0 + f64::from(i % 3)).collect();
    let noisy = [0.3, -0.2, 0.5, 0.1, -0.4, 0.6, 0.2, -0.1, 0.4, 0.0];
    let mut b = Vec::new();
    let mut c = Vec::new();
    for k in 0..40 {
        let name = format!("group.g{k}.asa_answered_s");
        b.push(metric(&name, &base));
        let cur: Vec<f64> = base.iter().zip(noisy).map(|(v, n)| v + 1.13 + n).collect();
        c.push(metric(&name, &cur));
    }
    let (b, c) = (summary(1, "a", b), summary(1, "b", c));
    let cmp = compare(&c, &b, &GateSpec::default(), false);
    assert_eq!(cmp.judged(), 40);
    assert!(cmp.failures().is_empty(), "{}", table(&cmp));
    // One of them much worse still fails.
    let mut c2 = c.clone();
    c2.metrics[7].values = base.iter().map(|v| v + 5.0).collect();
    c2.metrics[7].mean += 3.87;
    let cmp = compare(&c2, &b, &GateSpec::default(), false);
    assert_eq!(cmp.failures().len(), 1);
    assert_eq!(cmp.failures()[0].metric, "group.g7.asa_answered_s");
    // Judged alone, one of the 40 fails at 5% (p ≈ 0.013); the much
    // worse one, not chosen, is reported, not judged.
    let gate = GateSpec {
        metrics: Some(vec!["group.g0.asa_answered_s".into()]),
        ..GateSpec::default()
    };
    let cmp = compare(&c2, &b, &gate, false);
    assert_eq!(cmp.judged(), 1);
    assert_eq!(cmp.failures().len(), 1);
    assert_eq!(cmp.failures()[0].metric, "group.g0.asa_answered_s");
    assert_eq!(verdict(&cmp, "group.g7.asa_answered_s"), Status::Changed);
}

#[test]
fn exact_and_undefined_and_strict() {
    // One replication each: no noise; beyond the tolerance is worse.
    let b = summary(
        1,
        "a",
        vec![metric(GOLDEN, &[0.9]), metric("offered", &[100.0])],
    );
    let c = summary(
        2,
        "b",
        vec![metric(GOLDEN, &[0.89]), metric("offered", &[101.0])],
    );
    let cmp = compare(&c, &b, &GateSpec::default(), false);
    assert_eq!(cmp.rows[0].test, Some(Test::Exact));
    assert_eq!(verdict(&cmp, GOLDEN), Status::Worse);
    assert_eq!(verdict(&cmp, "offered"), Status::Changed);
    assert_eq!(
        compare(&c, &b, &GateSpec::default(), true).failures().len(),
        2
    );
    // Undefined now: worse for a judged directional metric.
    let c = summary(
        1,
        "b",
        vec![metric(GOLDEN, &[f64::NAN]), metric("offered", &[100.0])],
    );
    assert_eq!(
        verdict(&compare(&c, &b, &GateSpec::default(), false), GOLDEN),
        Status::Worse
    );
    // Same digest, a difference within the noise: listed as changed.
    let base = [0.80, 0.95, 0.85, 0.90, 0.75];
    let b = summary(1, "a", vec![metric(GOLDEN, &base)]);
    let wiggle = [0.81, 0.94, 0.85, 0.90, 0.76];
    let c = summary(1, "a", vec![metric(GOLDEN, &wiggle)]);
    let cmp = compare(&c, &b, &GateSpec::default(), false);
    assert!(cmp.deterministic);
    assert_eq!(verdict(&cmp, GOLDEN), Status::Changed);
    assert!(cmp.failures().is_empty());
    assert_eq!(
        compare(&c, &b, &GateSpec::default(), true).failures().len(),
        1
    );
    // Missing: fails when judged.
    let c = summary(1, "a", vec![metric("offered", &[1.0; 5])]);
    let cmp = compare(&c, &b, &GateSpec::default(), false);
    assert_eq!(verdict(&cmp, GOLDEN), Status::Missing);
    assert_eq!(cmp.failures().len(), 1);
}
