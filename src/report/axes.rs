//! What every chart shares: the frame, hour ticks on time axes, tidy axis
//! numbers, a key (legend) in a strip under the plot rather than over the
//! data, and hover tips.
//!
//! A tip is a transparent SVG rectangle with a `<title>` (a plot column,
//! a bar, a point): browsers show the title on hover with scripts off, and
//! the page's small inline script shows it at once, next to the pointer.
//! The PNG files carry no tips.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// A drawing error as text.
pub(super) fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// An `f64` axis whose ticks are chosen by the chart (plotters' own
/// `WithKeyPoints` loses the label formatter of `f64`).
pub(super) struct Ticked {
    inner: RangedCoordf64,
    ticks: Ticks,
}

impl Ranged for Ticked {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.ticks.light.clone()
        } else {
            self.ticks.bold.clone()
        }
    }
}

/// The coordinates of every chart: `f64 × f64`, x with chosen ticks.
pub(super) type Coord = Cartesian2d<Ticked, RangedCoordf64>;

/// A chart on [`Coord`].
pub(super) type Chart2d<'a, DB> = ChartContext<'a, DB, Coord>;

/// The points of an x axis: `bold` are labelled (with a grid line),
/// `light` get a faint grid line only.
#[derive(Debug, Clone, Default)]
pub(super) struct Ticks {
    pub bold: Vec<f64>,
    pub light: Vec<f64>,
}

/// A chart with a title on `area` over `x × y` with `ticks` on x, with
/// room for y labels `y_label_width` pixels wide (the common frame of
/// every plot).
pub(super) fn frame<'a, DB: DrawingBackend + 'a>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    y_label_width: u32,
    x: Range<f64>,
    ticks: Ticks,
    y: Range<f64>,
) -> Result<Chart2d<'a, DB>, String> {
    let x = Ticked {
        inner: x.into(),
        ticks,
    };
    ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(y_label_width)
        .build_cartesian_2d(x, y)
        .map_err(err)
}

/// Round-number ticks over `x`, about `n` labelled.
pub(super) fn auto_ticks(x: Range<f64>, n: usize) -> Ticks {
    let r = RangedCoordf64::from(x);
    Ticks {
        bold: r.key_points(n),
        light: r.key_points(n * 5),
    }
}

/// An axis number without float noise or a needless `.0` (`200`, `2.5`, `0.3`).
pub(super) fn tidy(v: &f64) -> String {
    format!("{}", crate::stats::sig12(*v))
}

/// A value in a tip: four significant figures at most, `—` when undefined.
pub(super) fn tip_number(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let a = v.abs();
    if a >= 1000.0 || a == 0.0 || (a - a.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// `hh:mm` and the date `YYYY-MM-DD` of an interval start (an RFC 3339
/// local time, as the summary writes them).
fn clock(start: &str) -> Option<(u32, u32, &str)> {
    let hour = start.get(11..13)?.parse().ok()?;
    let minute = start.get(14..16)?.parse().ok()?;
    Some((hour, minute, start.get(0..10)?))
}

/// Ticks of a time axis whose point `i` is the interval starting at
/// `starts[i]`: labels on whole clock hours — every 1, 2, 3, 4, 6 or 12
/// hours, or every 1, 2, 3 or 7 days at midnight, whichever gives at most
/// 12 labels — and faint lines on the hours (or every 3 hours, or days)
/// between them. Intervals that start off the hour get round-number ticks.
pub(super) fn hour_ticks(starts: &[String]) -> Ticks {
    let n = starts.len();
    let points: Vec<(f64, u32, u32, &str)> = starts
        .iter()
        .enumerate()
        .filter_map(|(i, s)| clock(s).map(|(h, m, d)| (i as f64, h, m, d)))
        .filter(|p| p.2 == 0)
        .collect();
    let interval_h = match (
        starts.first().and_then(|s| at(s)),
        starts.get(1).and_then(|s| at(s)),
    ) {
        (Some(a), Some(b)) if b > a => (b - a) as f64 / 3_600_000.0,
        _ => 1.0,
    };
    let span_h = n as f64 * interval_h;
    if points.is_empty() {
        return auto_ticks(0.0..(n as f64 - 1.0).max(1.0), 12);
    }
    let step = [1, 2, 3, 4, 6, 12, 24, 48, 72, 168]
        .into_iter()
        .find(|&s| span_h / f64::from(s) <= 12.0)
        .unwrap_or(168 * ((span_h / 168.0 / 12.0).ceil() as u32).max(1));
    // Days counted from the first date on the axis, for steps of days.
    let mut day = 0u32;
    let days: Vec<u32> = points
        .iter()
        .enumerate()
        .map(|(k, p)| {
            if k > 0 && p.3 != points[k - 1].3 {
                day += 1;
            }
            day
        })
        .collect();
    let bold: Vec<f64> = points
        .iter()
        .zip(&days)
        .filter(|(p, d)| {
            if step < 24 {
                p.1 % step == 0
            } else {
                p.1 == 0 && *d % (step / 24) == 0
            }
        })
        .map(|(p, _)| p.0)
        .collect();
    let light_step = match step {
        s if s <= 6 => 1,
        s if s < 24 => 3,
        _ => 24, // midnights
    };
    let light = points
        .iter()
        .filter(|p| p.1 % light_step == 0)
        .map(|p| p.0)
        .collect();
    Ticks { bold, light }
}

/// An instant's local time in ms, for interval lengths.
fn at(text: &str) -> Option<i64> {
    crate::time::parse_instant(text).ok().map(|t| t.local_ms())
}

/// The label of time tick `x`: `hh:mm`, with the date (`MM-DD hh:mm`) at
/// midnight and on the first tick.
pub(super) fn time_tick(starts: &[String], first: Option<f64>, x: f64) -> String {
    let i = (x.round().max(0.0) as usize).min(starts.len().saturating_sub(1));
    let Some(start) = starts.get(i) else {
        return String::new();
    };
    let with_date =
        first.is_some_and(|f| (f - x).abs() < 1e-9) || start.get(11..16) == Some("00:00");
    match (with_date, start.get(5..10), start.get(11..16)) {
        (true, Some(date), Some(time)) => format!("{date} {time}"),
        (false, _, Some(time)) => time.to_string(),
        _ => String::new(),
    }
}

/// The time span of intervals `from..to` (`to` exclusive): `MM-DD hh:mm–hh:mm`,
/// the end being the next interval's start or the window's end.
pub(super) fn span_label(starts: &[String], window_to: &str, from: usize, to: usize) -> String {
    let end = starts.get(to).map_or(window_to, String::as_str);
    format!(
        "{}–{}",
        starts[from].get(5..16).unwrap_or("").replace('T', " "),
        end.get(11..16).unwrap_or("")
    )
}

/// The width of `text` as a browser draws it, pixels: browsers draw the
/// SVG's Latin text in their own sans-serif, up to a fifth wider than the
/// shipped font plotters measures with.
pub(super) fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
) -> i32 {
    let w = area
        .estimate_text_size(text, style)
        .map_or(8 * text.chars().count() as i32, |(w, _)| w as i32);
    w * 6 / 5
}

/// How an entry of a key is drawn.
#[derive(Debug, Clone, Copy)]
pub(super) enum Swatch {
    /// A line of this colour.
    Line(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
    /// A filled box (bars, shaded spans).
    Box(RGBAColor),
}

/// One entry of a key.
#[derive(Debug, Clone)]
pub(super) struct KeyItem {
    pub swatch: Swatch,
    pub label: String,
}

impl KeyItem {
    pub fn new(swatch: Swatch, label: impl Into<String>) -> Self {
        KeyItem {
            swatch,
            label: label.into(),
        }
    }
}

const KEY_ROW: i32 = 20;

/// Draws `key` in a strip at the bottom of `area`, entries left to right,
/// wrapping; returns the area above it, for the chart.
pub(super) fn keyed<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    key: &[KeyItem],
) -> Result<DrawingArea<DB, Shift>, String> {
    if key.is_empty() {
        return Ok(area.clone());
    }
    let font = ("sans-serif", 14).into_font();
    let style = TextStyle::from(font.clone());
    let (w, h) = area.dim_in_pixel();
    let (left, right) = (24, w as i32 - 12);
    // Place every entry: (x, row).
    let mut placed = Vec::with_capacity(key.len());
    let (mut x, mut row) = (left, 0);
    for item in key {
        let width = 28 + text_width(area, &item.label, &style) + 24;
        if x > left && x + width > right {
            x = left;
            row += 1;
        }
        placed.push((x, row));
        x += width;
    }
    let strip = (row + 1) * KEY_ROW + 8;
    let (chart, strip_area) = area.split_vertically(h as i32 - strip);
    for (item, &(x, row)) in key.iter().zip(&placed) {
        let y = row * KEY_ROW + 4 + KEY_ROW / 2;
        match item.swatch {
            Swatch::Line(c) => strip_area
                .draw(&PathElement::new(
                    vec![(x, y), (x + 22, y)],
                    c.stroke_width(2),
                ))
                .map_err(err)?,
            Swatch::Dashed(c) => {
                for dx in [0, 9, 18] {
                    strip_area
                        .draw(&PathElement::new(
                            vec![(x + dx, y), (x + dx + 5, y)],
                            c.stroke_width(2),
                        ))
                        .map_err(err)?;
                }
            }
            Swatch::Box(c) => strip_area
                .draw(&Rectangle::new(
                    [(x + 3, y - 6), (x + 19, y + 6)],
                    c.filled(),
                ))
                .map_err(err)?,
        }
        strip_area
            .draw(&Text::new(
                item.label.clone(),
                (x + 28, y - 8),
                font.clone(),
            ))
            .map_err(err)?;
    }
    Ok(chart)
}

/// A hover tip: a rectangle in pixels and its text (lines split by `\n`).
#[derive(Debug, Clone)]
pub(super) struct Tip {
    pub x: Range<i32>,
    pub y: Range<i32>,
    pub text: String,
}

/// One tip per x position `0..n` of `chart`, each the full plot height and
/// from halfway to the previous point to halfway to the next.
pub(super) fn column_tips<DB: DrawingBackend>(
    chart: &Chart2d<'_, DB>,
    n: usize,
    text: impl Fn(usize) -> String,
) -> Vec<Tip> {
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    (0..n)
        .map(|i| {
            let px = |x: f64| chart.backend_coord(&(x, 0.0)).0.clamp(xs.start, xs.end);
            Tip {
                x: px(i as f64 - 0.5)..px(i as f64 + 0.5),
                y: ys.clone(),
                text: text(i),
            }
        })
        .filter(|t| t.x.end > t.x.start)
        .collect()
}

/// The tips as an SVG group, to go last in the `<svg>`.
pub(super) fn tips_svg(tips: &[Tip]) -> String {
    let mut o = String::from("<g class=\"tips\">\n");
    for t in tips {
        let text = t
            .text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        o.push_str(&format!(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#000\" fill-opacity=\"0\"><title>{text}</title></rect>\n",
            t.x.start,
            t.y.start,
            t.x.end - t.x.start,
            t.y.end - t.y.start
        ));
    }
    o.push_str("</g>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(from_h: u32, n: usize, minutes: u32) -> Vec<String> {
        (0..n)
            .map(|i| {
                let m = from_h * 60 + i as u32 * minutes;
                let (day, h, min) = (10 + m / 1440, m / 60 % 24, m % 60);
                format!("2026-11-{day:02}T{h:02}:{min:02}:00+08:00")
            })
            .collect()
    }

    #[test]
    fn time_axes_tick_on_whole_hours() {
        // 30 hours from 19:00 in 15-minute intervals: a label every 3 hours,
        // on 21:00, 00:00, 03:00, …; faint lines every hour.
        let s = starts(19, 120, 15);
        let t = hour_ticks(&s);
        let labels: Vec<String> = t
            .bold
            .iter()
            .map(|&x| time_tick(&s, t.bold.first().copied(), x))
            .collect();
        assert_eq!(labels[..3], ["11-10 21:00", "11-11 00:00", "03:00"]);
        assert_eq!(labels.len(), 10);
        assert_eq!(t.light.len(), 30);
        // 26 hours of hourly intervals from 22:00: every 3 hours.
        let s = starts(22, 26, 60);
        let t = hour_ticks(&s);
        assert_eq!(t.bold, [2.0, 5.0, 8.0, 11.0, 14.0, 17.0, 20.0, 23.0]);
        // A week of hours: a label every day at midnight.
        let s = starts(0, 24 * 7, 60);
        let t = hour_ticks(&s);
        assert_eq!(t.bold.len(), 7);
        assert!(
            t.bold
                .iter()
                .all(|&x| time_tick(&s, None, x).ends_with("00:00"))
        );
        // Intervals off the hour: round-number ticks instead.
        let odd: Vec<String> = (0..20)
            .map(|i| format!("2026-11-10T10:{:02}:00+08:00", 7 + i * 2))
            .collect();
        assert!(!hour_ticks(&odd).bold.is_empty());
    }

    #[test]
    fn numbers_are_tidy() {
        assert_eq!(tidy(&200.0), "200");
        assert_eq!(tidy(&(0.1 + 0.2)), "0.3");
        assert_eq!(tidy(&2.5), "2.5");
        assert_eq!(tip_number(1560.4), "1560");
        assert_eq!(tip_number(0.91234), "0.912");
        assert_eq!(tip_number(12.0), "12");
        assert_eq!(tip_number(f64::NAN), "—");
    }
}
