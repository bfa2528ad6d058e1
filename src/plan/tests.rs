//! Tests of capacity planning's pieces.

use super::*;

fn spec(maxes: &[Option<u32>]) -> PlanSpec {
    PlanSpec {
        entry: 0,
        replace: vec![0],
        targets: Vec::new(),
        shrinkage: 0.0,
        shifts: maxes
            .iter()
            .enumerate()
            .map(|(i, &max)| ShiftTemplate {
                name: format!("t{i}"),
                plan: ShiftPlan {
                    dates: Default::default(),
                    patterns: vec![Vec::new()],
                    rotate_every_days: 7,
                    work_days: crate::shifts::WorkDays::Weekdays([true; 7]),
                    breaks: Vec::new(),
                    anchor_day: 0,
                    fixed: Vec::new(),
                },
                max,
                toml: String::new(),
            })
            .collect(),
        max_agents: 100,
    }
}

fn starts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("interval {i}")).collect()
}

#[test]
fn the_roster_is_the_cheapest_cover() {
    // Template 0 covers every interval (4 h), template 1 the middle two (2 h).
    let cover = vec![
        vec![1.0, 0.0],
        vec![1.0, 1.0],
        vec![1.0, 1.0],
        vec![1.0, 0.0],
    ];
    let hours = [4.0, 2.0];
    let (x, bound) = roster(
        &spec(&[None, None]),
        &starts(4),
        &cover,
        &hours,
        &[1.0, 3.0, 3.0, 1.0],
    )
    .unwrap();
    assert_eq!(x, [1, 2]);
    assert!((bound.unwrap() - 8.0).abs() < 1e-6);
    // A cap on the cheap template forces the expensive one.
    let (x, _) = roster(
        &spec(&[None, Some(1)]),
        &starts(4),
        &cover,
        &hours,
        &[1.0, 3.0, 3.0, 1.0],
    )
    .unwrap();
    assert_eq!(x, [2, 1]);
    // Fractional needs (shrinkage) round up; breaks (partial cover) count partly.
    let cover = vec![vec![0.5], vec![1.0]];
    let (x, _) = roster(&spec(&[None]), &starts(2), &cover, &[2.0], &[1.2, 1.2]).unwrap();
    assert_eq!(x, [3]);
    // Nothing covers an interval that needs agents: a clear error.
    let e = roster(&spec(&[None]), &starts(1), &[vec![0.0]], &[1.0], &[1.0]).unwrap_err();
    assert!(e.contains("no shift template has agents on duty"), "{e}");
}
