//! Measured error rates of the comparison gate (issue 12, part 3), over 100
//! seeds of the shipped quickstart: how often the default gate (every
//! directional metric judged, the catalogue's tolerances, Holm–Bonferroni
//! at α = 0.05) fails an unchanged model, and how often it catches real
//! changes. The table it prints is recorded in `reports/gate_error_rates.md`
//! (`cargo test --release gate_error_rates -- --nocapture`).

use kefusim::regress::compare::{GateSpec, compare};
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

/// Runs `sc` at seeds `first..first + SEEDS` (replications on one thread
/// each: the seeds run in parallel).
fn at_seeds(sc: &Scenario, first: u64) -> Vec<Summary> {
    (first..first + SEEDS)
        .into_par_iter()
        .map(|seed| kefusim::replicate::run(&sc.clone().with_seed(seed), Some(1)).unwrap())
        .collect()
}

/// Whether the gate before issue 12 failed: every directional metric on
/// its own, worse beyond √(h₁² + h₂²), no tolerance.
fn failed_before(current: &Summary, baseline: &Summary) -> bool {
    use kefusim::catalog::Better;
    baseline.metrics.iter().any(|b| {
        let Some(c) = current.metric(&b.name) else {
            return false;
        };
        let noise = (b.ci95.unwrap_or(0.0).powi(2) + c.ci95.unwrap_or(0.0).powi(2)).sqrt();
        let worse_by = match kefusim::regress::compare::better(&b.name) {
            Better::Higher => b.mean - c.mean,
            Better::Lower => c.mean - b.mean,
            Better::Neither => return false,
        };
        worse_by > noise
    })
}

/// A change to the quickstart: its name, text edits, and whether the issue's
/// ≥ 95% detection bar applies.
type Change<'a> = (&'a str, &'a [(&'a str, &'a str)], bool);

/// The study: rows of (change, comparison, failures of 100), printed as a
/// Markdown table; the bars of the issue asserted.
#[test]
fn gate_error_rates() {
    let gate = GateSpec::default();
    // The unchanged model at seeds 1..=100 and, independent of those, at
    // seeds 1001..=1100 (the unpaired comparisons' other side).
    let shipped = quickstart(&[]);
    let base = at_seeds(&shipped, 1);
    let other = at_seeds(&shipped, 1001);
    let mut culprits: std::collections::BTreeMap<String, usize> = Default::default();
    let mut lines = vec![
        "| model change | comparison | runs failing the gate (of 100) |".to_string(),
        "|---|---|---|".to_string(),
    ];
    let mut row = |change: &str, current: &[Summary], paired: bool| -> usize {
        let baselines = if paired { &base } else { &other };
        let mut n = 0;
        for (c, b) in current.iter().zip(baselines) {
            let cmp = compare(c, b, &gate, false);
            assert_eq!(cmp.paired, paired, "{change}");
            if !cmp.failures().is_empty() {
                n += 1;
                for r in cmp.failures() {
                    *culprits.entry(r.metric.clone()).or_default() += 1;
                }
            }
        }
        let how = if paired {
            "paired: seed k vs seed k"
        } else {
            "unpaired: seed k vs seed 1000 + k"
        };
        lines.push(format!("| {change} | {how} | {n} |"));
        n
    };

    // No change at all, independent draws.
    let null_unpaired = row("none", &base, false);
    let before = base
        .iter()
        .zip(&other)
        .filter(|(c, b)| failed_before(c, b))
        .count();
    // No change in distribution, every draw different: starting an hour
    // earlier with an hour more of warm-up (same measured window).
    let reshuffled = at_seeds(
        &quickstart(&[
            ("start = \"2026-11-24T22:00", "start = \"2026-11-24T21:00"),
            ("duration = \"26h\"", "duration = \"27h\""),
            ("warmup = \"2h\"", "warmup = \"3h\""),
        ]),
        1,
    );
    let null_paired = row(
        "none (start 1 h earlier, warm-up 3 h: every draw differs)",
        &reshuffled,
        true,
    );
    let changes: [Change; 8] = [
        (
            "2 of 46 agents removed (presale 24 → 22)",
            &[("count = 24", "count = 22")],
            true,
        ),
        (
            "10% more arrivals (220 → 242/h)",
            &[("rate_per_hour = 220", "rate_per_hour = 242")],
            true,
        ),
        (
            "routing least_active → random",
            &[("policy = \"least_active\"", "policy = \"random\"")],
            false,
        ),
        (
            "routing least_active → round_robin",
            &[("policy = \"least_active\"", "policy = \"round_robin\"")],
            false,
        ),
        (
            "routing least_active → longest_idle",
            &[("policy = \"least_active\"", "policy = \"longest_idle\"")],
            false,
        ),
        (
            "routing least_active → taobao_queue (seniors at weight 1: the list is sorted by load alone)",
            &[
                ("policy = \"least_active\"", "policy = \"taobao_queue\""),
                ("weight = 2.0", "weight = 1.0"),
            ],
            true,
        ),
        (
            "1 of 46 agents removed (presale 24 → 23)",
            &[("count = 24", "count = 23")],
            false,
        ),
        (
            "3% more arrivals (220 → 226.6/h)",
            &[("rate_per_hour = 220", "rate_per_hour = 226.6")],
            false,
        ),
    ];
    let mut required = Vec::new();
    for (name, edits, bar) in changes {
        let changed = at_seeds(&quickstart(edits), 1);
        let paired = row(name, &changed, true);
        row(name, &changed, false);
        if bar {
            required.push((name, paired));
        }
    }
    lines.insert(
        3,
        format!(
            "| none | the gate before issue 12 (each metric alone, beyond √(h₁² + h₂²), no tolerance): seed k vs seed 1000 + k | {before} |"
        ),
    );
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

    // The bars: ≤ 5% false alarms; ≥ 95% detection (paired) of 2
    // agents fewer, 10% more arrivals and a routing change (Taobao's list,
    // which piles chats on its head when agents are idle). `random`,
    // `round_robin` and `longest_idle` are reported, not required: on this
    // shop, with the weights followed by every policy (issue 14), their
    // effect on service metrics is mostly below the tolerances
    // (reports/gate_error_rates.md).
    assert!(null_unpaired <= 5, "{null_unpaired} false alarms of 100");
    assert!(null_paired <= 5, "{null_paired} false alarms of 100");
    assert!(before >= 10, "the old gate's false alarms: {before}");
    for (name, n) in required {
        assert!(n >= 95, "{name}: detected in {n} of 100");
    }
}
