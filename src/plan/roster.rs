//! Shifts from the requirement: each template's coverage of each interval,
//! and the least-cost roster (an LP bound, rounded and trimmed).

use super::*;

/// Each template's coverage of each interval and its on-duty hours in the
/// window (see [`plan_coverage`]).
pub(super) fn coverage(base: &Scenario, spec: &PlanSpec) -> (Vec<Vec<f64>>, Vec<f64>) {
    let n = base.run.intervals();
    let mut cover = vec![vec![0.0; spec.shifts.len()]; n];
    let mut hours = vec![0.0; spec.shifts.len()];
    for (t, tpl) in spec.shifts.iter().enumerate() {
        let (c, h) = plan_coverage(base, &tpl.plan);
        for (row, v) in cover.iter_mut().zip(c) {
            row[t] = v;
        }
        hours[t] = h;
    }
    (cover, hours)
}

/// One shift plan's coverage of each interval (share of the interval one
/// agent is on duty and off its scheduled breaks, averaged over the plan's
/// stagger positions) and its on-duty hours in the window.
pub(super) fn plan_coverage(base: &Scenario, plan: &ShiftPlan) -> (Vec<f64>, f64) {
    let run = &base.run;
    let n = run.intervals();
    let from = run.measure_from() as i64;
    let to = run.measure_to() as i64;
    let iv = run.interval as i64;
    let mut cover = vec![0.0; n];
    let mut hours = 0.0;
    let positions = plan.cycle_days().clamp(1, 64) as u32;
    for p in 0..positions {
        let stagger = plan.stagger(p, positions);
        let mut at = from;
        while let Some(inst) = plan.next_instance(&run.clock, stagger, at) {
            if inst.start >= to {
                break;
            }
            let mut add = |a: i64, b: i64, duty: bool| {
                let (a, b) = (a.max(from), b.min(to));
                let mut s = a;
                while s < b {
                    let i = ((s - from) / iv) as usize;
                    let e = (from + (i as i64 + 1) * iv).min(b);
                    let share = (e - s) as f64 / iv as f64 / f64::from(positions);
                    if duty {
                        hours += (e - s) as f64 / HOUR_MS as f64 / f64::from(positions);
                    } else {
                        cover[i] += share;
                    }
                    s = e;
                }
            };
            add(inst.start, inst.end, true);
            // Available = on duty minus scheduled breaks.
            let mut s = inst.start;
            for b in &plan.breaks {
                let bs = inst.start + b.after as i64;
                let be = (bs + b.length as i64).min(inst.end);
                if bs > s {
                    add(s, bs.min(inst.end), false);
                }
                s = s.max(be);
            }
            if s < inst.end {
                add(s, inst.end, false);
            }
            at = inst.end;
        }
    }
    (cover, hours)
}

/// Least agent-hours covering `needed`: the LP bound and an integer roster
/// (LP rounded up, then trimmed greedily; a greedy cover when the LP fails).
pub(super) fn roster(
    spec: &PlanSpec,
    starts: &[String],
    cover: &[Vec<f64>],
    hours: &[f64],
    needed: &[f64],
) -> Result<(Vec<u32>, Option<f64>), String> {
    let m = spec.shifts.len();
    let max = |t: usize| {
        spec.shifts[t]
            .max
            .map_or(f64::from(u32::MAX / 2), f64::from)
    };
    // Intervals no template can cover.
    let uncovered: Vec<usize> = (0..needed.len())
        .filter(|&i| needed[i] > 1e-9 && cover[i].iter().all(|&c| c <= 0.0))
        .collect();
    if let Some(&first) = uncovered.first() {
        return Err(format!(
            "no shift template has agents on duty and off break in {} interval(s) that need agents, the first starting {}; add a [[plan.shifts]] template for those hours or move its breaks",
            uncovered.len(),
            starts[first]
        ));
    }
    let feasible = |x: &[u32]| {
        (0..needed.len()).all(|i| {
            let c: f64 = (0..m).map(|t| cover[i][t] * f64::from(x[t])).sum();
            c + 1e-9 >= needed[i]
        })
    };
    // microlp may panic on a numerically hard problem: that only costs the
    // bound (the greedy cover below still gives a roster), and its message
    // is kept off the terminal.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let lp = std::panic::catch_unwind(|| {
        use microlp::{ComparisonOp, OptimizationDirection, Problem};
        let mut p = Problem::new(OptimizationDirection::Minimize);
        let vars: Vec<_> = (0..m)
            .map(|t| p.add_var(hours[t].max(1e-6), (0.0, max(t))))
            .collect();
        for (i, &need) in needed.iter().enumerate() {
            if need > 1e-9 {
                let expr: Vec<_> = (0..m)
                    .filter(|&t| cover[i][t] > 0.0)
                    .map(|t| (vars[t], cover[i][t]))
                    .collect();
                p.add_constraint(expr.as_slice(), ComparisonOp::Ge, need);
            }
        }
        p.solve().ok().map(|s| {
            (
                s.objective(),
                vars.iter().map(|&v| s[v]).collect::<Vec<f64>>(),
            )
        })
    })
    .ok()
    .flatten();
    std::panic::set_hook(hook);
    let (mut x, bound) = match lp {
        Some((obj, xs)) => {
            let x: Vec<u32> = xs
                .iter()
                .map(|v| (v - 1e-7).ceil().max(0.0) as u32)
                .collect();
            (x, Some(obj))
        }
        None => (vec![0; m], None),
    };
    // Greedy repair (covers what rounding or a failed LP left short).
    let mut guard = 0;
    while !feasible(&x) {
        guard += 1;
        if guard > 1_000_000 {
            return Err("the shift templates' limits (max) cannot cover the requirement".into());
        }
        let best = (0..m)
            .filter(|&t| f64::from(x[t]) + 1.0 <= max(t))
            .map(|t| {
                let gain: f64 = (0..needed.len())
                    .map(|i| {
                        let c: f64 = (0..m).map(|u| cover[i][u] * f64::from(x[u])).sum();
                        (needed[i] - c).max(0.0).min(cover[i][t])
                    })
                    .sum();
                (t, gain / hours[t].max(1e-6))
            })
            .filter(|&(_, g)| g > 1e-12)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        match best {
            Some((t, _)) => x[t] += 1,
            None => {
                return Err(
                    "the shift templates' limits (max) cannot cover the requirement".into(),
                );
            }
        }
    }
    // Trim: drop agents from the costliest templates while still covering.
    loop {
        let mut order: Vec<usize> = (0..m).filter(|&t| x[t] > 0).collect();
        order.sort_by(|&a, &b| hours[b].total_cmp(&hours[a]).then(a.cmp(&b)));
        let Some(t) = order.into_iter().find(|&t| {
            x[t] -= 1;
            let ok = feasible(&x);
            x[t] += 1;
            ok
        }) else {
            break;
        };
        x[t] -= 1;
    }
    Ok((x, bound))
}
