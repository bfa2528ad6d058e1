//! Measured error rates of the comparison gate (issue 12, part 3), over 100
//! seeds of the shipped quickstart: how often the default gate (every
//! directional metric judged, the catalogue's tolerances, Holm–Bonferroni
//! at α = 0.05) fails an unchanged model, and how often it catches real
//! changes. The table it prints is recorded in `reports/gate_error_rates.md`
//! (`cargo test --release gate_error_rates -- --nocapture`).

use kefusim::regress::compare::{Comparison, GateSpec, compare};
use kefusim::replicate::Summary;
use kefusim::scenario::Scenario;
use rayon::prelude::*;

use crate::support::repo;

const SEEDS: u64 = 100;

/// The quickstart with `edits` applied to its text (each must match once).
fn quickstart(edits: &[(&str, &str)]) -> Scenario {
    let mut text = std::fs::read_to_string(repo("scenarios/quickstart.toml")).unwrap();
    for (from, to) in edits {
        assert_eq!(text.matches(from).count(), 1, "{from}");
        text = text.replace(from, to);
    }
    Scenario::from_toml(&text, "quickstart.toml", "quickstart").unwrap()
}

/// Runs `sc` at seeds 1..=SEEDS (replications on one thread each: the seeds
/// run in parallel).
fn at_seeds(sc: &Scenario) -> Vec<Summary> {
    (1..=SEEDS)
        .into_par_iter()
        .map(|seed| kefusim::replicate::run(&sc.clone().with_seed(seed), Some(1)).unwrap())
        .collect()
}

fn fails(c: &Comparison) -> bool {
    !c.failures().is_empty()
}

#[test]
fn gate_error_rates() {
    let gate = GateSpec::default();
    let shipped = quickstart(&[]);
    let baseline = kefusim::replicate::run(&shipped, Some(1)).unwrap();
    let base = at_seeds(&shipped);
    // What fails most often, to say so.
    let mut culprits: std::collections::BTreeMap<String, usize> = Default::default();
    let mut rate = |pairs: Vec<(&Summary, &Summary)>| -> (usize, Option<bool>) {
        let mut n = 0;
        let mut paired = None;
        for (current, base) in pairs {
            let c = compare(current, base, &gate, false);
            paired = Some(c.paired);
            if fails(&c) {
                n += 1;
                for r in c.failures() {
                    *culprits.entry(r.metric.clone()).or_default() += 1;
                }
            }
        }
        (n, paired)
    };
    // The gate before issue 12, for comparison: every directional metric
    // judged on its own, worse beyond √(h₁² + h₂²), no tolerance.
    let before = base
        .iter()
        .filter(|current| {
            baseline.metrics.iter().any(|b| {
                let Some(c) = current.metric(&b.name) else {
                    return false;
                };
                let noise = (b.ci95.unwrap_or(0.0).powi(2) + c.ci95.unwrap_or(0.0).powi(2)).sqrt();
                let worse_by = match kefusim::regress::compare::better(&b.name) {
                    kefusim::catalog::Better::Higher => b.mean - c.mean,
                    kefusim::catalog::Better::Lower => c.mean - b.mean,
                    kefusim::catalog::Better::Neither => return false,
                };
                worse_by > noise
            })
        })
        .count();
    let mut lines = vec![
        "| model change | comparison | runs failing the gate (of 100) |".to_string(),
        "|---|---|---|".to_string(),
        format!(
            "| none | the gate before issue 12 (each metric alone, beyond √(h₁² + h₂²), no tolerance): seed k vs the shipped seed | {before} |"
        ),
    ];
    let mut row = |change: &str, how: &str, (n, paired): (usize, Option<bool>)| {
        let mode = if paired == Some(true) {
            "paired"
        } else {
            "unpaired"
        };
        assert!(how.starts_with(mode), "{change}: {how} but {mode}");
        lines.push(format!("| {change} | {how} | {n} |"));
        n
    };

    // No change: seed k against the shipped seed's baseline (independent draws).
    let null_unpaired = row(
        "none",
        "unpaired: seed k vs the shipped seed",
        rate(base.iter().map(|s| (s, &baseline)).collect()),
    );
    // No change in distribution, every draw different: starting an hour
    // earlier with an hour more of warm-up (same measured window).
    let reshuffled = at_seeds(&quickstart(&[
        ("start = \"2026-11-24T22:00", "start = \"2026-11-24T21:00"),
        ("duration = \"26h\"", "duration = \"27h\""),
        ("warmup = \"2h\"", "warmup = \"3h\""),
    ]));
    let null_paired = row(
        "none (start 1 h earlier, warm-up 3 h: every draw differs)",
        "paired: seed k vs seed k",
        rate(reshuffled.iter().zip(&base).collect()),
    );

    let changes = [
        (
            "2 of 42 agents removed (presale 24 → 22)",
            ("count = 24", "count = 22"),
        ),
        (
            "routing least_active → random",
            ("policy = \"least_active\"", "policy = \"random\""),
        ),
        (
            "10% more arrivals (220 → 242/h)",
            ("rate_per_hour = 220", "rate_per_hour = 242"),
        ),
    ];
    let mut detected = Vec::new();
    for (name, edit) in changes {
        let changed = at_seeds(&quickstart(&[edit]));
        let paired = row(
            name,
            "paired: seed k vs seed k",
            rate(changed.iter().zip(&base).collect()),
        );
        row(
            name,
            "unpaired: seed k vs the shipped seed",
            rate(changed.iter().map(|s| (s, &baseline)).collect()),
        );
        detected.push((name, paired));
    }
    // Smaller changes, where pairing pays (reported, not required).
    for (name, edit) in [
        (
            "1 of 42 agents removed (presale 24 → 23)",
            ("count = 24", "count = 23"),
        ),
        (
            "3% more arrivals (220 → 226.6/h)",
            ("rate_per_hour = 220", "rate_per_hour = 226.6"),
        ),
    ] {
        let changed = at_seeds(&quickstart(&[edit]));
        row(
            name,
            "paired: seed k vs seed k",
            rate(changed.iter().zip(&base).collect()),
        );
        row(
            name,
            "unpaired: seed k vs the shipped seed",
            rate(changed.iter().map(|s| (s, &baseline)).collect()),
        );
    }
    let mut top: Vec<_> = culprits.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    lines.push(String::new());
    lines.push(format!(
        "Metrics that failed most often (over all failing comparisons, so: those that caught the changes): {}",
        top.iter()
            .take(8)
            .map(|(m, n)| format!("`{m}` {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    println!("{}", lines.join("\n"));

    // The bar: ≤ 5% false alarms, ≥ 95% detection (paired).
    assert!(null_unpaired <= 5, "{null_unpaired} false alarms of 100");
    assert!(null_paired <= 5, "{null_paired} false alarms of 100");
    for (name, n) in detected {
        assert!(n >= 95, "{name}: detected in {n} of 100");
    }
}
