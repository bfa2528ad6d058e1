//! The agents' load: chats per on-shift hour of every agent on shift, as
//! bars grouped by group and coloured by shift, against its weight-fair
//! share.
//!
//! Bars are ordered by group, then shift, so that each group's agents
//! stand together and, within it, those of one shift: an early shift that
//! covers the busy daytime takes more chats per on-shift hour than a late
//! one, which is the shift's doing, not the router's. The x axis names the
//! groups (every agent when the names fit); the tips name each agent.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{KeyItem, Swatch, Ticks, Tip, err, frame, keyed, text_width, tidy, tip_number};
use crate::catalog;
use crate::metrics::AgentRow;
use crate::replicate::Summary;

/// Shift colours, in order of first appearance.
const PALETTE: [RGBColor; 7] = [
    BLUE,
    RGBColor(255, 140, 0),
    GREEN,
    MAGENTA,
    CYAN,
    RED,
    RGBColor(120, 60, 20),
];

/// An agent's first group.
fn first_group(a: &AgentRow) -> &str {
    a.groups.split(';').next().unwrap_or("")
}

/// The positions of `names` (at `centres`, pixel `px`) whose labels do not
/// run into the previous kept one.
fn fitting<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &[(f64, String)],
    px: impl Fn(f64) -> i32,
) -> Vec<(f64, String)> {
    let font = TextStyle::from(("sans-serif", 13).into_font());
    let mut kept: Vec<(f64, String)> = Vec::new();
    let mut right = i32::MIN;
    for (x, text) in labels {
        let w = text_width(root, text, &font);
        let left = px(*x) - w / 2;
        if left > right + 8 {
            kept.push((*x, text.clone()));
            right = left + w;
        }
    }
    kept
}

/// Per-agent load: chats per on-shift hour (bars, coloured by shift)
/// against the agent's weight-fair share (black marks).
pub(super) fn agents<DB: DrawingBackend>(
    s: &Summary,
    root: &DrawingArea<DB, Shift>,
) -> Result<Vec<Tip>, String> {
    let mut rows: Vec<&AgentRow> = s.agents.iter().filter(|a| a.on_shift_hours > 0.0).collect();
    if rows.is_empty() {
        return Err("no agent on shift".into());
    }
    let mut groups: Vec<&str> = Vec::new();
    for a in &rows {
        if !groups.contains(&first_group(a)) {
            groups.push(first_group(a));
        }
    }
    let group_of = |a: &AgentRow| groups.iter().position(|g| *g == first_group(a));
    rows.sort_by(|a, b| (group_of(a), a.shift.as_str()).cmp(&(group_of(b), b.shift.as_str())));
    let mut shifts: Vec<&str> = Vec::new();
    for a in &rows {
        if !shifts.contains(&a.shift.as_str()) {
            shifts.push(a.shift.as_str());
        }
    }
    let colour_of = |a: &AgentRow| {
        let k = shifts.iter().position(|x| *x == a.shift).unwrap_or(0);
        PALETTE[k % PALETTE.len()]
    };
    root.fill(&WHITE).map_err(err)?;
    let mut key: Vec<KeyItem> = shifts
        .iter()
        .enumerate()
        .map(|(k, shift)| {
            KeyItem::new(
                Swatch::Box(PALETTE[k % PALETTE.len()].mix(0.7)),
                format!("shift {shift}"),
            )
        })
        .collect();
    key.push(KeyItem::new(Swatch::Line(BLACK), "weight-fair share"));
    let area = keyed(root, &key)?;
    let fair = |a: &AgentRow| a.chats_per_on_shift_hour / a.fair_share_ratio;
    let top = rows
        .iter()
        .flat_map(|a| [a.chats_per_on_shift_hour, fair(a)])
        .filter(|v| v.is_finite())
        .fold(1.0, f64::max)
        * 1.15;
    let jain = s
        .metric(catalog::JAIN_OCCUPANCY)
        .map_or("—".to_string(), |m| format!("{:.3}", m.mean));
    let n = rows.len();
    let title = format!(
        "{}: chats per on-shift hour by agent and shift (Jain's index of occupancy {jain})",
        s.scenario
    );
    // Group boundaries and centres (bars are sorted by group).
    let mut blocks: Vec<(usize, usize, &str)> = Vec::new();
    for (i, a) in rows.iter().enumerate() {
        match blocks.last_mut() {
            Some(b) if b.2 == first_group(a) => b.1 = i + 1,
            _ => blocks.push((i, i + 1, first_group(a))),
        }
    }
    // Label every agent when the names fit side by side, else the groups
    // (the plot is the area's width less the y labels and margins).
    let (w, _) = area.dim_in_pixel();
    let plot_w = f64::from(w.saturating_sub(70 + 24).max(1));
    let px = |x: f64| (x / n as f64 * plot_w) as i32;
    let names: Vec<(f64, String)> = rows
        .iter()
        .enumerate()
        .map(|(i, a)| (i as f64 + 0.5, a.agent.clone()))
        .collect();
    let every_agent = fitting(root, &names, px).len() == n;
    let labels = if every_agent {
        names
    } else {
        let centres: Vec<(f64, String)> = blocks
            .iter()
            .map(|&(a, b, g)| ((a + b) as f64 / 2.0, format!("{g} ({})", b - a)))
            .collect();
        fitting(root, &centres, px)
    };
    let ticks = Ticks {
        bold: labels.iter().map(|l| l.0).collect(),
        light: Vec::new(),
    };
    let mut chart = frame(&area, &title, 70, 0.0..n as f64, ticks, 0.0..top)?;
    let x_label = |x: &f64| {
        labels
            .iter()
            .find(|l| (l.0 - x).abs() < 1e-9)
            .map_or(String::new(), |l| l.1.clone())
    };
    chart
        .configure_mesh()
        .x_label_formatter(&x_label)
        .y_label_formatter(&tidy)
        .x_desc(if every_agent {
            "agent (by group, then shift)"
        } else {
            "agents by group (lines between groups; each agent's name on hover)"
        })
        .y_desc("chats per on-shift hour")
        .disable_x_mesh()
        .draw()
        .map_err(err)?;
    chart
        .draw_series(rows.iter().enumerate().map(|(i, a)| {
            Rectangle::new(
                [
                    (i as f64 + 0.1, 0.0),
                    (i as f64 + 0.9, a.chats_per_on_shift_hour.max(0.0)),
                ],
                colour_of(a).mix(0.7).filled(),
            )
        }))
        .map_err(err)?;
    chart
        .draw_series(blocks.iter().skip(1).map(|&(a, _, _)| {
            PathElement::new(
                vec![(a as f64, 0.0), (a as f64, top)],
                RGBColor(60, 60, 60).stroke_width(1),
            )
        }))
        .map_err(err)?;
    chart
        .draw_series(
            rows.iter()
                .enumerate()
                .filter(|(_, a)| fair(a).is_finite())
                .map(|(i, a)| {
                    PathElement::new(
                        vec![(i as f64 + 0.05, fair(a)), (i as f64 + 0.95, fair(a))],
                        BLACK.stroke_width(2),
                    )
                }),
        )
        .map_err(err)?;
    let (_, ys) = chart.plotting_area().get_pixel_range();
    let tips = rows
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let x0 = chart.backend_coord(&(i as f64, 0.0)).0;
            let x1 = chart.backend_coord(&(i as f64 + 1.0, 0.0)).0;
            Tip {
                x: x0..x1.max(x0 + 1),
                y: ys.clone(),
                text: format!(
                    "{} ({}; shift {})\n{} chats per on-shift hour\nweight-fair share {}\noccupancy {}%\non shift {} h",
                    a.agent,
                    a.groups,
                    a.shift,
                    tip_number(a.chats_per_on_shift_hour),
                    tip_number(fair(a)),
                    tip_number(a.occupancy * 100.0),
                    tip_number(a.on_shift_hours)
                ),
            }
        })
        .collect();
    root.present().map_err(err)?;
    Ok(tips)
}
