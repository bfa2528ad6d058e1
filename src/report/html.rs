//! `report.html`: one self-contained page (plots inline as SVG, no network
//! access) with the run's headline, every metric with its interval and
//! definition, the plots and the per-agent table.

use std::fmt::Write;

use super::table::{headline, number};
use crate::replicate::Summary;

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A section a command adds to the page (e.g. the capacity plan), after the headline.
pub struct Section {
    /// Its `id`.
    pub id: &'static str,
    /// Its heading.
    pub title: String,
    /// Its body, HTML (already escaped).
    pub body: String,
}

/// The page for `summary`, with `plots` as `(file name, bytes)` (the SVGs
/// are inlined) and `extra` sections after the headline.
pub fn report_html(summary: &Summary, plots: &[(String, Vec<u8>)], extra: &[Section]) -> String {
    let s = summary;
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>kefusim · {name}</title>\n<style>\n\
         body, svg text {{ font-family: '{family}', system-ui, sans-serif; }}\n\
         body {{ margin: 2em auto; max-width: 1150px; color: #222; }}\n\
         nav.toc {{ font-size: 0.95em; }} nav.toc a {{ margin-right: 1.2em; white-space: nowrap; }}\n\
         figure {{ margin: 1em 0; }}\n\
         @media print {{ body {{ margin: 0; max-width: none; }} nav.toc {{ display: none; }} section, figure, tr {{ break-inside: avoid; }} }}\n\
         table {{ border-collapse: collapse; margin: 1em 0; }}\n\
         th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }}\n\
         td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}\n\
         th {{ background: #f3f3f3; }}\n\
         section {{ margin-bottom: 2.5em; }}\n\
         .def {{ color: #555; font-size: 0.9em; }}\n\
         td.pass {{ color: #1a7f37; }} td.fail, p.fail {{ color: #b42318; font-weight: bold; }}\n\
         </style>\n</head>\n<body>\n",
        name = esc(&s.scenario),
        family = super::fonts::FAMILY
    );
    let reps = if s.replications == 1 {
        "1 replication (no confidence intervals)".to_string()
    } else {
        format!(
            "{} replications; ± is the 95% confidence half-width (Student t)",
            s.replications
        )
    };
    let _ = write!(
        o,
        "<section id=\"scenario\">\n<h1>kefusim · {}</h1>\n<p>Seed {} · {} · measured window {} → {}{}.</p>\n</section>\n",
        esc(&s.scenario),
        s.seed,
        esc(&reps),
        esc(&s.window_from),
        esc(&s.window_to),
        if s.work.events > 0 {
            format!(" · {} events simulated", s.work.events)
        } else {
            String::new()
        }
    );
    o.push_str(&toc(s, plots, extra));
    if s.work.diverged > 0 {
        let _ = writeln!(
            o,
            "<p class=\"fail\"><strong>Diverging:</strong> {} of the replications were stopped before their end{}; the numbers below are those up to that point.</p>",
            s.work.diverged,
            s.work
                .divergence
                .map_or_else(String::new, |d| format!(" ({})", esc(&d.to_string())))
        );
    }
    if let Some(text) = super::router_sentence(s) {
        let _ = writeln!(
            o,
            "<p class=\"fail\"><strong>Routing service:</strong> {}.</p>",
            esc(&text)
        );
    }
    o.push_str("<section id=\"headline\">\n<h2>Headline</h2>\n<table>\n");
    for (label, value) in headline(s) {
        let _ = writeln!(
            o,
            "<tr><th>{}</th><td class=\"num\">{}</td></tr>",
            esc(label),
            esc(&value)
        );
    }
    o.push_str("</table>\n</section>\n");
    for x in extra {
        let _ = writeln!(
            o,
            "<section id=\"{}\">\n<h2>{}</h2>\n{}\n</section>",
            x.id,
            esc(&x.title),
            x.body
        );
    }
    if !s.thresholds.is_empty() {
        o.push_str("<section id=\"thresholds\">\n<h2>Thresholds</h2>\n<table>\n");
        for v in &s.thresholds {
            let _ = writeln!(
                o,
                "<tr><td class=\"{}\">{}</td></tr>",
                if v.passed { "pass" } else { "fail" },
                esc(&v.line())
            );
        }
        o.push_str("</table>\n<p class=\"def\">Each threshold is judged on the metric's mean over replications; an undefined metric fails.</p>\n</section>\n");
    }
    o.push_str("<section id=\"plots\">\n<h2>Plots</h2>\n");
    for (name, bytes) in plots.iter().filter(|(n, _)| n.ends_with(".svg")) {
        let svg = String::from_utf8_lossy(bytes);
        // The XML declaration is not allowed inside HTML; the <svg> element is.
        let start = svg.find("<svg").unwrap_or(0);
        let stem = name.trim_end_matches(".svg");
        let _ = writeln!(
            o,
            "<figure id=\"plot-{}\">\n<h3>{}</h3>\n{}\n</figure>",
            esc(stem),
            esc(plot_title(stem)),
            &svg[start..]
        );
    }
    o.push_str("</section>\n");
    o.push_str(
        "<section id=\"metrics\">\n<h2>Every metric</h2>\n<table>\n<tr><th>metric</th><th>mean</th><th>±95%</th><th>unit</th><th>better</th><th>what it measures</th></tr>\n",
    );
    for m in &s.metrics {
        // Unit and direction from the metric catalogue (saved results of
        // another kefusim may name metrics it does not know).
        let def = crate::catalog::lookup(&m.name);
        let better = match def.map(|d| d.better) {
            Some(crate::catalog::Better::Higher) => "higher",
            Some(crate::catalog::Better::Lower) => "lower",
            _ => "",
        };
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"def\">{}</td></tr>",
            esc(&m.name),
            number(m.mean),
            m.ci95.map_or("—".to_string(), number),
            def.map_or("", |d| d.unit.label()),
            better,
            esc(&m.definition)
        );
    }
    o.push_str("</table>\n</section>\n");
    o.push_str(
        "<section id=\"agents\">\n<h2>Agents</h2>\n<table>\n<tr><th>agent</th><th>groups</th><th>cap</th><th>weight</th>\
         <th>assigned</th><th>on-shift h</th><th>occupancy</th><th>chats per on-shift h</th><th>fair-share ratio</th>\
         <th>utilisation</th><th>3-min rate (rounds)</th></tr>\n",
    );
    for a in &s.agents {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&a.agent),
            esc(&a.groups),
            a.max_concurrent,
            number(a.weight),
            number(a.assigned),
            number(a.on_shift_hours),
            number(a.occupancy),
            number(a.chats_per_on_shift_hour),
            number(a.fair_share_ratio),
            number(a.utilisation),
            number(a.reply_rate_3min_rounds)
        );
    }
    o.push_str("</table>\n<p class=\"def\">Per agent: means per replication of counts; ratios pooled over replications. See README \"Results\" for every definition.</p>\n</section>\n</body>\n</html>\n");
    // The glyphs the page uses, from the shipped font (Chinese on any machine).
    if let Some(face) = super::fonts::font_face(&o) {
        o = o.replacen("<style>\n", &format!("<style>\n{face}"), 1);
    }
    o
}

/// The plots' titles in the table of contents, by file stem.
fn plot_title(stem: &str) -> &str {
    match stem {
        "arrivals" => "Demand and capacity",
        "service_level" => "Service level",
        "queue" => "Queue",
        "agents" => "Agents' load",
        "frt_distribution" => "First response times",
        "plan" => "Plan",
        other => other,
    }
}

/// The table of contents: every section and plot of the page, linked.
fn toc(s: &Summary, plots: &[(String, Vec<u8>)], extra: &[Section]) -> String {
    let mut links: Vec<(String, String)> = vec![("headline".into(), "Headline".into())];
    links.extend(extra.iter().map(|x| (x.id.to_string(), x.title.clone())));
    if !s.thresholds.is_empty() {
        links.push(("thresholds".into(), "Thresholds".into()));
    }
    for (name, _) in plots.iter().filter(|(n, _)| n.ends_with(".svg")) {
        let stem = name.trim_end_matches(".svg");
        links.push((format!("plot-{stem}"), plot_title(stem).to_string()));
    }
    links.push(("metrics".into(), "Every metric".into()));
    links.push(("agents".into(), "Agents".into()));
    let mut o = String::from("<nav class=\"toc\" aria-label=\"Contents\">");
    for (id, title) in links {
        let _ = write!(o, "<a href=\"#{}\">{}</a>", esc(&id), esc(&title));
    }
    o.push_str("</nav>\n");
    o
}
