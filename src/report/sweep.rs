//! A sweep's results: `sweep.csv` (one row per grid point) and a plot of
//! the first metric against the first swept key.

use std::fmt::Write;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{KeyItem, Swatch, Ticks, Tip, auto_ticks, err, frame, keyed, tidy, tip_number};
use super::plots::{Figure, SIZE, render};
use super::{csv_field, csv_number};
use crate::stats::sig12;
use crate::sweep::{Axis, Point, show};

/// A plotted point: x, mean, 95% half-width.
type Dot = (f64, f64, f64);

/// What a sweep produced, for writing.
pub struct SweepResults<'a> {
    /// Scenario name.
    pub scenario: &'a str,
    /// The swept keys.
    pub axes: &'a [Axis],
    /// Every point, in grid order.
    pub points: &'a [Point],
    /// The metrics reported (the first is plotted).
    pub metrics: &'a [String],
}

/// `sweep.csv`: `point`, the swept keys, each metric with its `_ci95`,
/// then `thresholds_met` (`yes`/`no`; empty when the scenario has none).
pub fn sweep_csv(r: &SweepResults) -> String {
    let mut out = String::from("point");
    for a in r.axes {
        let _ = write!(out, ",{}", csv_field(&a.key));
    }
    for m in r.metrics {
        let _ = write!(out, ",{},{}", csv_field(m), csv_field(&format!("{m}_ci95")));
    }
    out.push_str(",thresholds_met\n");
    for (i, p) in r.points.iter().enumerate() {
        let _ = write!(out, "{i}");
        for v in &p.values {
            let _ = write!(out, ",{}", csv_field(&show(v)));
        }
        for m in r.metrics {
            let s = p.summary.metric(m);
            let _ = write!(
                out,
                ",{},{}",
                csv_number(sig12(s.map_or(f64::NAN, |s| s.mean))),
                csv_number(sig12(s.and_then(|s| s.ci95).unwrap_or(f64::NAN)))
            );
        }
        let met = match &p.summary.thresholds {
            t if t.is_empty() => "",
            t if t.iter().all(|v| v.passed) => "yes",
            _ => "no",
        };
        let _ = writeln!(out, ",{met}");
    }
    out
}

/// `sweep.csv`, `sweep.svg` and `sweep.png` (the plot only when it can be drawn).
pub fn sweep_files(r: &SweepResults) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![("sweep.csv".to_string(), sweep_csv(r).into_bytes())];
    if let Some((svg, png)) = render(r, SIZE) {
        files.push(("sweep.svg".into(), svg));
        files.push(("sweep.png".into(), png));
    }
    files
}

impl Figure for SweepResults<'_> {
    /// The first metric against the first key: one line per combination of
    /// the other keys, 95% intervals as error bars, and the scenario's
    /// threshold on that metric as a dashed line.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<Vec<Tip>, String> {
        let (Some(axis), Some(metric)) = (self.axes.first(), self.metrics.first()) else {
            return Err("nothing to plot".into());
        };
        let numeric: Option<Vec<f64>> = axis
            .values
            .iter()
            .map(|v| v.as_float().or(v.as_integer().map(|i| i as f64)))
            .collect();
        let x_of = |k: usize| match &numeric {
            Some(xs) => xs[k],
            None => k as f64,
        };
        let per_line = self.points.len() / axis.values.len().max(1);
        // Points are in grid order with the first key slowest: point
        // k·per_line + j has the first key's value k and the others' combination j.
        let lines: Vec<(String, Vec<Dot>)> = (0..per_line)
            .map(|j| {
                let label = self.points.get(j).map_or(String::new(), |p| {
                    crate::sweep::label(&self.axes[1..], &p.values[1..])
                });
                let pts = (0..axis.values.len())
                    .filter_map(|k| {
                        let m = self.points.get(k * per_line + j)?.summary.metric(metric)?;
                        m.mean
                            .is_finite()
                            .then(|| (x_of(k), m.mean, m.ci95.unwrap_or(0.0)))
                    })
                    .collect();
                (label, pts)
            })
            .collect();
        let all = lines.iter().flat_map(|l| l.1.iter());
        let (mut lo, mut hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.1 - p.2), hi.max(p.1 + p.2))
        });
        let limits: Vec<f64> = self
            .points
            .first()
            .map(|p| {
                p.summary
                    .thresholds
                    .iter()
                    .filter(|v| &v.threshold.metric == metric)
                    .map(|v| v.threshold.limit)
                    .collect()
            })
            .unwrap_or_default();
        for &l in &limits {
            lo = lo.min(l);
            hi = hi.max(l);
        }
        if !lo.is_finite() {
            return Err("no defined value".into());
        }
        let pad = ((hi - lo) * 0.1).max(1e-6);
        let (x0, x1) = match &numeric {
            Some(xs) => {
                let (a, b) = xs
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                        (a.min(x), b.max(x))
                    });
                let p = ((b - a) * 0.05).max(0.5);
                (a - p, b + p)
            }
            None => (-0.5, axis.values.len() as f64 - 0.5),
        };
        root.fill(&WHITE).map_err(err)?;
        let palette = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];
        let name_of = |label: &String| {
            if label.is_empty() {
                metric.clone()
            } else {
                label.clone()
            }
        };
        let mut key: Vec<KeyItem> = lines
            .iter()
            .enumerate()
            .map(|(i, (label, _))| {
                KeyItem::new(Swatch::Line(palette[i % palette.len()]), name_of(label))
            })
            .collect();
        key.extend(
            limits
                .iter()
                .map(|l| KeyItem::new(Swatch::Dashed(BLACK), format!("threshold {l}"))),
        );
        let area = keyed(root, &key)?;
        let title = format!("{}: {metric} against {}", self.scenario, axis.key);
        let names: Vec<String> = axis.values.iter().map(show).collect();
        let ticks = match &numeric {
            Some(_) => auto_ticks(x0..x1, 10),
            None => Ticks {
                bold: (0..names.len()).map(|k| k as f64).collect(),
                light: Vec::new(),
            },
        };
        let mut chart = frame(&area, &title, 80, x0..x1, ticks, (lo - pad)..(hi + pad))?;
        let x_label = |x: &f64| match &numeric {
            Some(_) => tidy(x),
            None => names.get(x.round() as usize).cloned().unwrap_or_default(),
        };
        chart
            .configure_mesh()
            .x_label_formatter(&x_label)
            .y_label_formatter(&tidy)
            .x_desc(axis.key.as_str())
            .y_desc(format!("{metric} (mean, 95% interval)"))
            .draw()
            .map_err(err)?;
        let mut tips = Vec::new();
        for (i, (label, pts)) in lines.iter().enumerate() {
            let colour = palette[i % palette.len()];
            chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|&(x, y, _)| (x, y)),
                    colour.stroke_width(2),
                ))
                .map_err(err)?;
            chart
                .draw_series(pts.iter().map(|&(x, y, h)| {
                    PathElement::new(vec![(x, y - h), (x, y + h)], colour.stroke_width(1))
                }))
                .map_err(err)?;
            chart
                .draw_series(
                    pts.iter()
                        .map(|&(x, y, _)| Circle::new((x, y), 3, colour.filled())),
                )
                .map_err(err)?;
            for &(x, y, h) in pts {
                let (px, py) = chart.backend_coord(&(x, y));
                let at = match &numeric {
                    Some(_) => tidy(&x),
                    None => names.get(x.round() as usize).cloned().unwrap_or_default(),
                };
                tips.push(Tip {
                    x: px - 6..px + 6,
                    y: py - 6..py + 6,
                    text: format!(
                        "{} = {at}{}\n{metric}: {} ± {}",
                        axis.key,
                        if label.is_empty() {
                            String::new()
                        } else {
                            format!(", {label}")
                        },
                        tip_number(y),
                        tip_number(h)
                    ),
                });
            }
        }
        for l in limits {
            chart
                .draw_series(DashedLineSeries::new(
                    [(x0, l), (x1, l)],
                    6,
                    4,
                    BLACK.stroke_width(1),
                ))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
        Ok(tips)
    }
}
