//! Plots of a run's time series, as SVG (text in the page's fonts, the
//! embedded subset first; hover tips per interval, see [`super::axes`])
//! and PNG (text drawn with the WenQuanYi Micro Hei font shipped in
//! `assets/fonts`, which covers Chinese group and agent names).

use crate::catalog::{self, Column};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{
    KeyItem, Swatch, Tip, column_tips, err, frame, hour_ticks, keyed, span_label, tidy, time_tick,
    tip_number, tips_svg,
};
use crate::replicate::Summary;

/// The font file, under its licence in `assets/fonts/wqy-microhei.COPYRIGHT`.
pub(super) static FONT: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei.ttc");

/// Width and height of a one-panel plot, pixels.
pub(super) const SIZE: (u32, u32) = (1100, 480);

/// Width and height of `plot`, pixels: a one-panel size per panel.
fn size(plot: Plot) -> (u32, u32) {
    match plot {
        Plot::ServiceLevel | Plot::Live => (SIZE.0, 2 * SIZE.1 - 60),
        _ => SIZE,
    }
}

/// The golden-rate target line drawn on the service-level plot.
pub const GOLDEN_TARGET: f64 = 0.90;

pub(super) fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // A font that cannot be loaded leaves plotters without text, never a panic.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// The plots, by file stem.
#[derive(Debug, Clone, Copy)]
enum Plot {
    Arrivals,
    ServiceLevel,
    Queue,
    Agents,
    Frt,
    /// A live run's service latency over time, above the golden rate.
    Live,
}

const PLOTS: [(Plot, &str); 5] = [
    (Plot::Arrivals, "arrivals"),
    (Plot::ServiceLevel, "service_level"),
    (Plot::Queue, "queue"),
    (Plot::Agents, "agents"),
    (Plot::Frt, "frt_distribution"),
];

/// Something drawn on either backend; it returns its hover tips.
pub(super) trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<Vec<Tip>, String>;
}

/// `figure` as `(svg, png)` at `size`; `None` if it cannot be drawn. The
/// SVG carries the hover tips.
pub(super) fn render(figure: &impl Figure, size: (u32, u32)) -> Option<(Vec<u8>, Vec<u8>)> {
    register_font();
    let mut svg = String::new();
    let tips = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        figure.draw(&root).ok()?
    };
    if let Some(end) = svg.rfind("</svg>") {
        svg.insert_str(end, &tips_svg(&tips));
    }
    let mut rgb = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        figure.draw(&root).ok()?;
    }
    let mut png = Vec::new();
    use image::ImageEncoder;
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&rgb, size.0, size.1, image::ExtendedColorType::Rgb8)
        .ok()?;
    Some((svg.into_bytes(), png))
}

impl Figure for (Plot, &Summary) {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<Vec<Tip>, String> {
        draw(self.0, self.1, root)
    }
}

/// Every plot of a summary as `(file name, bytes)`, each as `.svg` and `.png`.
/// A plot that cannot be drawn (e.g. no interval at all) is left out.
pub fn plots(summary: &Summary) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let live = summary.live.is_some().then_some((Plot::Live, "live"));
    for (plot, stem) in PLOTS.into_iter().chain(live) {
        if let Some((svg, png)) = render(&(plot, summary), size(plot)) {
            out.push((format!("{stem}.svg"), svg));
            out.push((format!("{stem}.png"), png));
        }
    }
    out
}

/// A time-series column by name (NaN where missing).
fn column(s: &Summary, name: &str) -> Vec<f64> {
    match s.series.columns.iter().position(|c| c == name) {
        Some(i) => s
            .series
            .rows
            .iter()
            .map(|r| r.get(i).copied().unwrap_or(f64::NAN))
            .collect(),
        None => vec![f64::NAN; s.series.rows.len()],
    }
}

/// Each interval's length in hours: to the next interval's start, the
/// last one to the end of the window (it may be shorter); 1 where unknown.
fn row_hours(s: &Summary) -> Vec<f64> {
    let at = |t: &str| crate::time::parse_instant(t).ok().map(|i| i.local_ms());
    let starts = &s.series.interval_start;
    (0..starts.len())
        .map(|i| {
            let end = starts.get(i + 1).unwrap_or(&s.window_to);
            match (at(&starts[i]), at(end)) {
                (Some(a), Some(b)) if b > a => (b - a) as f64 / 3_600_000.0,
                _ => 1.0,
            }
        })
        .collect()
}

/// One line of a chart: values per interval (NaN = gap), the 95%
/// half-width per interval for a band (empty = none), colour, its name in
/// the key and in the tips, and whether it is a dashed reference line.
struct Line {
    values: Vec<f64>,
    ci: Vec<f64>,
    colour: RGBColor,
    name: String,
    short: String,
    reference: bool,
}

/// A line; `short` names it in the hover tips.
fn line(values: Vec<f64>, colour: RGBColor, name: &str, short: &str) -> Line {
    Line {
        values,
        ci: Vec::new(),
        colour,
        name: name.to_string(),
        short: short.to_string(),
        reference: false,
    }
}

/// A time-series column with its confidence band, each row divided by
/// `per[row]` when given (e.g. the interval's hours, for a rate per hour).
fn banded(
    s: &Summary,
    column: &str,
    per: Option<&[f64]>,
    colour: RGBColor,
    (label, short): (&str, &str),
) -> Line {
    let scaled = |c: &str| {
        self::column(s, c)
            .iter()
            .enumerate()
            .map(|(i, v)| v / per.map_or(1.0, |p| p[i]))
            .collect()
    };
    Line {
        ci: scaled(&format!("{column}_ci95")),
        ..line(scaled(column), colour, label, short)
    }
}

/// One panel of a time-series plot.
struct Chart {
    title: String,
    x_desc: &'static str,
    y_desc: &'static str,
    /// Upper end of the y axis; `None` = from the data, with 10% headroom.
    y_max: Option<f64>,
    percent: bool,
    lines: Vec<Line>,
    /// Shade the scenario's peaks and holidays.
    marks: bool,
    /// Shade the intervals with nobody on shift.
    unstaffed: bool,
}

/// The golden 2-minute rate per interval against its target, with `more`
/// drawn beside it.
fn golden_panel(s: &Summary, title: String, more: Option<Line>) -> Chart {
    let n = s.series.rows.len();
    Chart {
        title,
        x_desc: "local time (start of interval, by arrival)",
        y_desc: "share of offered chats, %",
        y_max: Some(1.05),
        percent: true,
        lines: std::iter::once(banded(
            s,
            catalog::GOLDEN,
            None,
            BLUE,
            (
                "first reply ≤ 120 s ÷ offered (golden 2 minutes)",
                "golden 2-minute rate",
            ),
        ))
        .chain(more)
        .chain([Line {
            reference: true,
            ..line(
                vec![GOLDEN_TARGET; n],
                BLACK,
                &format!("target {:.0}%", GOLDEN_TARGET * 100.0),
                "",
            )
        }])
        .collect(),
        marks: false,
        unstaffed: true,
    }
}

/// The panels of a time-series plot, top to bottom (`None` for the other plots).
fn chart(plot: Plot, s: &Summary) -> Option<Vec<Chart>> {
    let reps = if s.replications == 1 {
        String::new()
    } else {
        format!(", mean of {} replications, bands 95% CI", s.replications)
    };
    let hours = row_hours(s);
    let per_hour = Some(hours.as_slice());
    let title = |what: &str| format!("{}: {what}{reps}", s.scenario);
    let n = s.series.rows.len();
    let flat = |value: f64, name: &str| Line {
        reference: true,
        ..line(vec![value; n], BLACK, name, "")
    };
    Some(match plot {
        Plot::Agents | Plot::Frt => return None,
        Plot::Live => {
            let l = s.live.as_ref()?;
            let col = |f: fn(&crate::replicate::LiveInterval) -> Option<f64>| -> Vec<f64> {
                let mut v: Vec<f64> = l
                    .intervals
                    .iter()
                    .map(|i| f(i).unwrap_or(f64::NAN))
                    .collect();
                v.resize(n, f64::NAN);
                v
            };
            vec![
                Chart {
                    title: format!(
                        "{}: routing service decision latency per interval (live, {}× speed)",
                        s.scenario,
                        tidy(&l.speed)
                    ),
                    x_desc: "local time (start of interval, by when events were due)",
                    y_desc: "ms",
                    y_max: None,
                    percent: false,
                    lines: vec![
                        line(
                            col(|i| i.latency_p50_ms),
                            BLUE,
                            "latency p50, from intended send time",
                            "latency p50, ms",
                        ),
                        line(
                            col(|i| i.latency_p99_ms),
                            RED,
                            "latency p99, from intended send time",
                            "latency p99, ms",
                        ),
                        line(
                            col(|i| i.latency_max_ms),
                            MAGENTA,
                            "latency max",
                            "latency max, ms",
                        ),
                        line(
                            col(|i| i.sender_lag_p99_ms),
                            GREEN,
                            "kefusim's own sender lag p99",
                            "sender lag p99, ms",
                        ),
                    ],
                    marks: true,
                    unstaffed: false,
                },
                golden_panel(s, title("golden 2-minute rate per interval"), None),
            ]
        }
        Plot::Arrivals => {
            let mut lines = Vec::new();
            // Demand in the unit of capacity: offered chats per hour × the
            // mean time a chat holds a slot (`mean_session_s`, assignment
            // to session end), in slots: the offered load in Erlangs.
            let held_s = s.metric("mean_session_s").map_or(f64::NAN, |m| m.mean);
            if held_s.is_finite() && held_s > 0.0 {
                let held_h = held_s / 3600.0;
                let load: Vec<f64> = hours.iter().map(|h| h / held_h).collect();
                lines.push(banded(
                    s,
                    Column::Offered.name(),
                    Some(load.as_slice()),
                    BLUE,
                    (
                        &format!(
                            "demand: offered chats per hour × {:.1} min a chat holds a slot",
                            held_h * 60.0
                        ),
                        "demand, slots",
                    ),
                ));
            }
            lines.push(banded(
                s,
                Column::CapacityOnShiftMean.name(),
                None,
                GREEN,
                (
                    "capacity: Σ max_concurrent of agents on shift",
                    "capacity, slots",
                ),
            ));
            lines.push(banded(
                s,
                Column::SessionsInServiceMean.name(),
                None,
                RED,
                ("chats in service", "in service, slots"),
            ));
            vec![Chart {
                title: title("demand vs capacity in chat slots"),
                x_desc: "local time (start of interval)",
                y_desc: "chat slots (concurrent chats)",
                y_max: None,
                percent: false,
                lines,
                marks: true,
                unstaffed: true,
            }]
        }
        Plot::ServiceLevel => vec![
            golden_panel(
                s,
                title("golden 2-minute rate per interval"),
                Some(banded(
                    s,
                    Column::ReplyRate3minRounds.name(),
                    None,
                    MAGENTA,
                    (
                        "rounds answered within 3 min ÷ rounds",
                        "3-minute reply rate (rounds)",
                    ),
                )),
            ),
            Chart {
                title: title("first response time per interval"),
                x_desc: "local time (start of interval, by arrival)",
                y_desc: "first response time of answered chats, s",
                y_max: None,
                percent: false,
                lines: vec![
                    banded(
                        s,
                        Column::FrtP50S.name(),
                        None,
                        GREEN,
                        ("p50", "FRT p50, s"),
                    ),
                    banded(s, Column::FrtP90S.name(), None, BLUE, ("p90", "FRT p90, s")),
                    banded(s, Column::FrtP99S.name(), None, RED, ("p99", "FRT p99, s")),
                    flat(120.0, "120 s (golden 2 minutes)"),
                ],
                marks: false,
                unstaffed: true,
            },
        ],
        Plot::Queue => vec![Chart {
            title: title("backlog: chats waiting and offline messages"),
            x_desc: "local time (start of interval)",
            y_desc: "chats (time average) / abandoned per hour",
            y_max: None,
            percent: false,
            lines: vec![
                banded(
                    s,
                    Column::QueueLenMean.name(),
                    None,
                    BLUE,
                    (
                        "chats waiting in the queue (time average)",
                        "waiting in the queue",
                    ),
                ),
                banded(
                    s,
                    Column::OfflinePendingMean.name(),
                    None,
                    MAGENTA,
                    (
                        "offline messages waiting for an agent (time average)",
                        "offline messages waiting",
                    ),
                ),
                banded(
                    s,
                    Column::Abandoned.name(),
                    per_hour,
                    RED,
                    (
                        "abandoned, per hour (by arrival interval)",
                        "abandoned per hour",
                    ),
                ),
            ],
            marks: true,
            unstaffed: true,
        }],
    })
}

/// The FRT percentile spectrum: seconds against the share of answered chats
/// answered at least that fast, with the 120 s golden line.
fn frt<DB: DrawingBackend>(s: &Summary, root: &DrawingArea<DB, Shift>) -> Result<Vec<Tip>, String> {
    // HdrHistogram's percentile axis: x = log10(1 / (1 − q)), so p90,
    // p99 and p99.9 are a unit apart and the tail is not squeezed.
    let x_of = |q: f64| -(1.0 - q).log10();
    let points: Vec<(f64, f64, f64)> = s
        .frt_spectrum
        .iter()
        .filter(|(q, v)| v.is_finite() && *q < 1.0)
        .map(|&(q, v)| (x_of(q), v, q))
        .collect();
    if points.is_empty() {
        return Err("no answered chat".into());
    }
    root.fill(&WHITE).map_err(err)?;
    let area = keyed(
        root,
        &[
            KeyItem::new(Swatch::Line(BLUE), "first response time"),
            KeyItem::new(Swatch::Dashed(BLACK), "120 s (golden 2 minutes)"),
        ],
    )?;
    let top = points.iter().map(|p| p.1).fold(130.0, f64::max) * 1.1;
    let reps = if s.replications == 1 {
        String::new()
    } else {
        format!(", mean of {} replications", s.replications)
    };
    let title = format!("{}: first response time by percentile{reps}", s.scenario);
    let right = points.iter().map(|p| p.0).fold(1.0, f64::max).ceil();
    let ticks = super::axes::Ticks {
        bold: (0..=right as usize).map(|k| k as f64).collect(),
        light: Vec::new(),
    };
    let mut chart = frame(&area, &title, 70, 0.0..right, ticks, 0.0..top)?;
    let pct = |q: f64| {
        let text = format!("{:.3}", q * 100.0);
        format!("p{}", text.trim_end_matches('0').trim_end_matches('.'))
    };
    let label = |x: &f64| pct(1.0 - 10f64.powf(-x));
    chart
        .configure_mesh()
        .x_label_formatter(&label)
        .y_label_formatter(&tidy)
        .x_desc(
            "percentile of answered chats (log scale of 1 ÷ (1 − q): p90, p99, p99.9 evenly apart)",
        )
        .y_desc("first response time, s (queue wait included)")
        .draw()
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|p| (p.0, p.1)),
            BLUE.stroke_width(2),
        ))
        .map_err(err)?;
    chart
        .draw_series(
            points
                .iter()
                .map(|p| Circle::new((p.0, p.1), 3, BLUE.filled())),
        )
        .map_err(err)?;
    chart
        .draw_series(DashedLineSeries::new(
            [(0.0, 120.0), (right, 120.0)],
            6,
            4,
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
    let tips = points
        .iter()
        .map(|&(x, v, q)| {
            let (px, py) = chart.backend_coord(&(x, v));
            Tip {
                x: px - 6..px + 6,
                y: py - 6..py + 6,
                text: format!(
                    "{}: {} s\n{} of answered chats had their first reply within {} s",
                    pct(q),
                    tip_number(v),
                    pct(q).trim_start_matches('p').to_string() + "%",
                    tip_number(v)
                ),
            }
        })
        .collect();
    root.present().map_err(err)?;
    Ok(tips)
}

fn draw<DB: DrawingBackend>(
    plot: Plot,
    s: &Summary,
    root: &DrawingArea<DB, Shift>,
) -> Result<Vec<Tip>, String> {
    if s.series.rows.is_empty() {
        return Err("no interval".into());
    }
    let Some(panels) = chart(plot, s) else {
        return match plot {
            Plot::Frt => frt(s, root),
            _ => super::agent_chart::agents(s, root),
        };
    };
    root.fill(&WHITE).map_err(err)?;
    let mut tips = Vec::new();
    for (c, area) in panels.iter().zip(root.split_evenly((panels.len(), 1))) {
        tips.extend(panel(c, s, &area)?);
    }
    root.present().map_err(err)?;
    Ok(tips)
}

/// `[from, to)` of each mark as fractional interval indices, clipped to the plot.
fn mark_spans(s: &Summary) -> Vec<(f64, f64, &crate::replicate::Mark)> {
    let n = s.series.rows.len();
    let Ok(origin) = crate::time::parse_instant(&s.window_from) else {
        return Vec::new();
    };
    let interval_ms = row_hours(s).first().copied().unwrap_or(1.0) * 3_600_000.0;
    let at = |text: &str| {
        crate::time::parse_instant(text)
            .ok()
            .map(|t| (t.local_ms() - origin.local_ms()) as f64 / interval_ms)
    };
    let last = (n as f64 - 1.0).max(1.0);
    s.marks
        .iter()
        .filter_map(|m| {
            let (a, b) = (at(&m.from)?, at(&m.to)?);
            (b > 0.0 && a < last).then_some((a.max(0.0), b.min(last), m))
        })
        .collect()
}

/// The kinds of marks: what the summary calls them, colour, key entry.
const MARK_KINDS: [(&str, RGBColor, &str); 2] = [
    (
        "peak",
        RGBColor(255, 140, 0),
        "peak (ramp start to 3 decay constants after the plateau)",
    ),
    ("holiday", RGBColor(120, 120, 120), "holiday"),
];

/// The shade of intervals with nobody on shift.
const UNSTAFFED: RGBColor = RGBColor(90, 90, 90);

/// The intervals with nobody on shift (a whole interval's mean of 0).
pub(super) fn unstaffed(s: &Summary) -> Vec<bool> {
    column(s, Column::AgentsOnShift.name())
        .iter()
        .map(|&v| v == 0.0)
        .collect()
}

/// The hover text of interval `i` of panel `c`: its time span, each line's
/// value (± its 95% half-width), and what shades it.
fn interval_tip(c: &Chart, s: &Summary, i: usize, nobody: bool) -> String {
    let mut text = span_label(&s.series.interval_start, &s.window_to, i, i + 1);
    for l in c.lines.iter().filter(|l| !l.reference) {
        let (v, h) = (l.values[i], l.ci.get(i).copied().unwrap_or(f64::NAN));
        let scale = if c.percent { 100.0 } else { 1.0 };
        let unit = if c.percent { "%" } else { "" };
        let ci = if h.is_finite() && v.is_finite() {
            format!(" ± {}", tip_number(h * scale))
        } else {
            String::new()
        };
        text.push_str(&format!(
            "\n{}: {}{unit}{ci}",
            l.short,
            tip_number(v * scale)
        ));
    }
    if nobody {
        text.push_str("\nnobody on shift");
    }
    text
}

fn panel<DB: DrawingBackend>(
    c: &Chart,
    s: &Summary,
    area: &DrawingArea<DB, Shift>,
) -> Result<Vec<Tip>, String> {
    let n = s.series.rows.len();
    let labels = &s.series.interval_start;
    let spans = if c.marks { mark_spans(s) } else { Vec::new() };
    let nobody = unstaffed(s);
    let gaps = if c.unstaffed {
        runs(n, |i| nobody[i].then_some(()))
    } else {
        Vec::new()
    };
    // The key, under the plot: shading first, then the lines.
    let mut key = Vec::new();
    for (kind, colour, name) in MARK_KINDS {
        if spans.iter().any(|m| m.2.kind == kind) {
            key.push(KeyItem::new(Swatch::Box(colour.mix(0.3)), name));
        }
    }
    if !gaps.is_empty() {
        key.push(KeyItem::new(
            Swatch::Box(UNSTAFFED.mix(0.3)),
            "nobody on shift",
        ));
    }
    for l in &c.lines {
        let swatch = if l.reference {
            Swatch::Dashed(l.colour)
        } else {
            Swatch::Line(l.colour)
        };
        key.push(KeyItem::new(swatch, l.name.as_str()));
    }
    let area = keyed(area, &key)?;
    let y_label = |v: &f64| {
        if c.percent {
            format!("{:.0}%", v * 100.0)
        } else {
            tidy(v)
        }
    };
    let top = c.y_max.unwrap_or_else(|| {
        c.lines
            .iter()
            .flat_map(|l| l.values.iter().copied())
            .filter(|v| v.is_finite())
            .fold(1.0, f64::max)
            * 1.1
    });
    let ticks = hour_ticks(labels);
    let first = ticks.bold.first().copied();
    let x_label = |x: &f64| time_tick(labels, first, *x);
    let right = (n as f64 - 1.0).max(1.0);
    let mut chart = frame(&area, &c.title, 70, 0.0..right, ticks, 0.0..top)?;
    chart
        .configure_mesh()
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc(c.x_desc)
        .y_desc(c.y_desc)
        .draw()
        .map_err(err)?;
    let label_each = spans.len() <= 12;
    for (kind, colour, _) in MARK_KINDS {
        let mine: Vec<_> = spans.iter().filter(|m| m.2.kind == kind).collect();
        chart
            .draw_series(
                mine.iter().map(|&&(a, b, _)| {
                    Rectangle::new([(a, 0.0), (b, top)], colour.mix(0.15).filled())
                }),
            )
            .map_err(err)?;
        if label_each {
            chart
                .draw_series(mine.iter().map(|&&(a, _, m)| {
                    Text::new(m.name.clone(), (a, top * 0.97), ("sans-serif", 13))
                }))
                .map_err(err)?;
        }
    }
    chart
        .draw_series(gaps.iter().map(|g| {
            let (a, b) = (g[0].0 - 0.5, g[g.len() - 1].0 + 0.5);
            Rectangle::new(
                [(a.max(0.0), 0.0), (b.min(right), top)],
                UNSTAFFED.mix(0.18).filled(),
            )
        }))
        .map_err(err)?;
    for l in &c.lines {
        let colour = l.colour;
        for band in bands(l, c.percent.then_some(top)) {
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band,
                    colour.mix(0.18).filled(),
                )))
                .map_err(err)?;
        }
        // A gap in the data (NaN) is a gap in the line.
        let segments = runs(l.values.len(), |i| {
            Some(l.values[i]).filter(|v| v.is_finite())
        });
        for segment in &segments {
            if l.reference {
                chart
                    .draw_series(DashedLineSeries::new(
                        segment.iter().copied(),
                        6,
                        4,
                        colour.stroke_width(1),
                    ))
                    .map_err(err)?;
            } else {
                chart
                    .draw_series(LineSeries::new(
                        segment.iter().copied(),
                        colour.stroke_width(2),
                    ))
                    .map_err(err)?;
            }
        }
    }
    Ok(column_tips(&chart, n, |i| {
        interval_tip(c, s, i, c.unstaffed && nobody[i])
    }))
}

/// The maximal runs of consecutive indices `i < len` where `known(i)` is `Some`.
pub(super) fn runs<T>(len: usize, known: impl Fn(usize) -> Option<T>) -> Vec<Vec<(f64, T)>> {
    let mut out = Vec::new();
    let mut run = Vec::new();
    for i in 0..len {
        match known(i) {
            Some(v) => run.push((i as f64, v)),
            None if !run.is_empty() => out.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// The confidence band of a line as polygons, one per run of intervals
/// where both the value and its half-width are known; clamped to
/// `[0, cap]`.
fn bands(l: &Line, cap: Option<f64>) -> Vec<Vec<(f64, f64)>> {
    let cap = cap.unwrap_or(f64::INFINITY);
    let known = |i: usize| {
        let (v, h) = (l.values[i], *l.ci.get(i).unwrap_or(&f64::NAN));
        (v.is_finite() && h.is_finite()).then_some(((v - h).max(0.0), (v + h).min(cap)))
    };
    runs(l.values.len(), known)
        .into_iter()
        .filter(|run| run.len() > 1)
        .map(|run| {
            let upper = run.iter().map(|&(x, (_, hi))| (x, hi));
            let lower = run.iter().rev().map(|&(x, (lo, _))| (x, lo));
            upper.chain(lower).collect()
        })
        .collect()
}
