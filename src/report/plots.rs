//! Plots of a run's time series, as SVG (text left to the viewer's fonts)
//! and PNG (text drawn with the WenQuanYi Micro Hei font shipped in
//! `assets/fonts`, which covers Chinese group and agent names).

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::replicate::Summary;

/// The font file, under its licence in `assets/fonts/wqy-microhei.COPYRIGHT`.
static FONT: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei.ttc");

/// Width and height of every plot, pixels.
const SIZE: (u32, u32) = (1100, 480);

/// The golden-rate target line drawn on the service-level plot.
pub const GOLDEN_TARGET: f64 = 0.90;

fn register_font() {
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
}

const PLOTS: [(Plot, &str); 3] = [
    (Plot::Arrivals, "arrivals"),
    (Plot::ServiceLevel, "service_level"),
    (Plot::Queue, "queue"),
];

/// Every plot of a summary as `(file name, bytes)`, each as `.svg` and `.png`.
/// A plot that cannot be drawn (e.g. no interval at all) is left out.
pub fn plots(summary: &Summary) -> Vec<(String, Vec<u8>)> {
    register_font();
    let mut out = Vec::new();
    for (plot, stem) in PLOTS {
        let mut svg = String::new();
        let svg_ok = {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            draw(plot, summary, &root).is_ok()
        };
        let mut rgb = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
        let png_ok = {
            let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
            draw(plot, summary, &root).is_ok()
        };
        let mut png = Vec::new();
        use image::ImageEncoder;
        let encoded = png_ok
            && image::codecs::png::PngEncoder::new(&mut png)
                .write_image(&rgb, SIZE.0, SIZE.1, image::ExtendedColorType::Rgb8)
                .is_ok();
        if svg_ok && encoded {
            out.push((format!("{stem}.svg"), svg.into_bytes()));
            out.push((format!("{stem}.png"), png));
        }
    }
    out
}

/// A time-series column by name (NaN where missing).
fn column(s: &Summary, name: &str) -> Vec<f64> {
    match s.series.columns.iter().position(|c| c == name) {
        Some(i) => s.series.rows.iter().map(|r| r[i]).collect(),
        None => vec![f64::NAN; s.series.rows.len()],
    }
}

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Interval length in hours, from the first two interval starts (1 if unknown).
fn interval_hours(s: &Summary) -> f64 {
    let n = s.series.rows.len() as f64;
    let window = (
        crate::time::parse_instant(&s.window_to),
        crate::time::parse_instant(&s.window_from),
    );
    match window {
        (Ok(to), Ok(from)) if n > 0.0 => (to.local_ms() - from.local_ms()) as f64 / 3_600_000.0 / n,
        _ => 1.0,
    }
}

fn draw<DB: DrawingBackend>(
    plot: Plot,
    s: &Summary,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let n = s.series.rows.len();
    if n == 0 {
        return Err("no interval".into());
    }
    root.fill(&WHITE).map_err(err)?;
    let labels = &s.series.interval_start;
    // x axis: interval index, labelled with the local date and time.
    let x_label = |x: &f64| {
        let i = (x.round().max(0.0) as usize).min(n - 1);
        labels[i].get(5..16).unwrap_or("").replace('T', " ")
    };
    let reps = if s.replications == 1 {
        String::new()
    } else {
        format!(", mean of {} replications", s.replications)
    };
    let per_hour = 1.0 / interval_hours(s);
    match plot {
        Plot::Arrivals => {
            let offered: Vec<f64> = column(s, "offered").iter().map(|v| v * per_hour).collect();
            let capacity = column(s, "capacity_on_shift_mean");
            let sessions = column(s, "sessions_in_service_mean");
            let top = offered
                .iter()
                .chain(&capacity)
                .chain(&sessions)
                .copied()
                .filter(|v| v.is_finite())
                .fold(1.0, f64::max)
                * 1.1;
            let mut chart = ChartBuilder::on(root)
                .caption(
                    format!("{}: chats offered vs capacity{reps}", s.scenario),
                    ("sans-serif", 22),
                )
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(0f64..(n as f64 - 1.0).max(1.0), 0f64..top)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_labels(12)
                .x_label_formatter(&x_label)
                .x_desc("local time (start of interval)")
                .y_desc("chats per hour / chat slots / chats")
                .draw()
                .map_err(err)?;
            for (values, colour, name) in [
                (&offered, BLUE, "offered, chats per hour"),
                (
                    &capacity,
                    GREEN,
                    "capacity: Σ max_concurrent of agents on shift, slots",
                ),
                (&sessions, RED, "sessions in service, chats"),
            ] {
                chart
                    .draw_series(LineSeries::new(
                        values
                            .iter()
                            .enumerate()
                            .filter(|(_, v)| v.is_finite())
                            .map(|(i, v)| (i as f64, *v)),
                        colour.stroke_width(2),
                    ))
                    .map_err(err)?
                    .label(name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
            }
            chart
                .configure_series_labels()
                .border_style(BLACK)
                .background_style(WHITE.mix(0.85))
                .draw()
                .map_err(err)?;
        }
        Plot::ServiceLevel => {
            let golden = column(s, "answered_within_120s_over_offered");
            let reply = column(s, "reply_rate_3min_rounds");
            let mut chart = ChartBuilder::on(root)
                .caption(
                    format!("{}: golden 2-minute rate per interval{reps}", s.scenario),
                    ("sans-serif", 22),
                )
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(0f64..(n as f64 - 1.0).max(1.0), 0f64..1.05f64)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_labels(12)
                .x_label_formatter(&x_label)
                .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
                .x_desc("local time (start of interval, by arrival)")
                .y_desc("share of offered chats, %")
                .draw()
                .map_err(err)?;
            for (values, colour, name) in [
                (
                    &golden,
                    BLUE,
                    "first reply ≤ 120 s ÷ offered (golden 2 minutes)",
                ),
                (&reply, MAGENTA, "rounds answered within 3 min ÷ rounds"),
            ] {
                chart
                    .draw_series(LineSeries::new(
                        values
                            .iter()
                            .enumerate()
                            .filter(|(_, v)| v.is_finite())
                            .map(|(i, v)| (i as f64, *v)),
                        colour.stroke_width(2),
                    ))
                    .map_err(err)?
                    .label(name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
            }
            let target = GOLDEN_TARGET;
            chart
                .draw_series(LineSeries::new(
                    [(0.0, target), ((n as f64 - 1.0).max(1.0), target)],
                    BLACK.stroke_width(1),
                ))
                .map_err(err)?
                .label(format!("target {:.0}%", target * 100.0))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerLeft)
                .border_style(BLACK)
                .background_style(WHITE.mix(0.85))
                .draw()
                .map_err(err)?;
        }
        Plot::Queue => {
            let queue = column(s, "queue_len_mean");
            let abandoned: Vec<f64> = column(s, "abandoned")
                .iter()
                .map(|v| v * per_hour)
                .collect();
            let top = queue
                .iter()
                .chain(&abandoned)
                .copied()
                .filter(|v| v.is_finite())
                .fold(1.0, f64::max)
                * 1.1;
            let mut chart = ChartBuilder::on(root)
                .caption(
                    format!("{}: queue and abandonment{reps}", s.scenario),
                    ("sans-serif", 22),
                )
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(0f64..(n as f64 - 1.0).max(1.0), 0f64..top)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_labels(12)
                .x_label_formatter(&x_label)
                .x_desc("local time (start of interval)")
                .y_desc("chats waiting / abandoned per hour")
                .draw()
                .map_err(err)?;
            for (values, colour, name) in [
                (&queue, BLUE, "chats waiting (time average)"),
                (&abandoned, RED, "abandoned, per hour (by arrival interval)"),
            ] {
                chart
                    .draw_series(LineSeries::new(
                        values
                            .iter()
                            .enumerate()
                            .filter(|(_, v)| v.is_finite())
                            .map(|(i, v)| (i as f64, *v)),
                        colour.stroke_width(2),
                    ))
                    .map_err(err)?
                    .label(name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
            }
            chart
                .configure_series_labels()
                .border_style(BLACK)
                .background_style(WHITE.mix(0.85))
                .draw()
                .map_err(err)?;
        }
    }
    root.present().map_err(err)
}
