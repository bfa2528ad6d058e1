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
         figcaption {{ color: #444; font-size: 0.92em; max-width: 60em; margin: 0.3em 0 0.8em; }}\n\
         svg .tips rect:hover {{ fill-opacity: 0.07; }}\n\
         #tip {{ position: fixed; display: none; white-space: pre; pointer-events: none; z-index: 10; \
         background: #fff; border: 1px solid #888; border-radius: 3px; padding: 0.3em 0.6em; font-size: 13px; \
         box-shadow: 0 2px 6px rgba(0,0,0,0.2); font-variant-numeric: tabular-nums; }}\n\
         @media print {{ #tip {{ display: none !important; }} }}\n\
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
    if let Some(l) = &s.live {
        o.push_str("<section id=\"live\">\n<h2>Routing service under load</h2>\n<ul>\n");
        for line in super::live::live_lines(l) {
            let _ = writeln!(o, "<li>{}</li>", esc(&line));
        }
        o.push_str("</ul>\n</section>\n");
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
            "<figure id=\"plot-{}\">\n<h3>{}</h3>\n<figcaption>{}</figcaption>\n{}\n</figure>",
            esc(stem),
            esc(plot_title(stem)),
            esc(&caption(s, stem)),
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
        "<section id=\"agents\">\n<h2>Agents</h2>\n<table>\n<tr><th>agent</th><th>groups</th><th>shift</th><th>cap</th><th>weight</th>\
         <th>assigned</th><th>on-shift h</th><th>occupancy</th><th>chats per on-shift h</th><th>fair-share ratio</th>\
         <th>utilisation</th><th>3-min rate (rounds)</th></tr>\n",
    );
    for a in &s.agents {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&a.agent),
            esc(&a.groups),
            esc(&a.shift),
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
    o.push_str("</table>\n<p class=\"def\">Per agent: means per replication of counts; ratios pooled over replications. See README \"Results\" for every definition.</p>\n</section>\n");
    o.push_str(TIP_SCRIPT);
    o.push_str("</body>\n</html>\n");
    // The glyphs the page uses, from the shipped font (Chinese on any machine).
    if let Some(face) = super::fonts::font_face(&o) {
        o = o.replacen("<style>\n", &format!("<style>\n{face}"), 1);
    }
    o
}

/// Shows a plot's hover tips at once, next to the pointer (each tip is an
/// SVG `<title>`, which browsers also show, later, with scripts off).
const TIP_SCRIPT: &str = "<div id=\"tip\" role=\"tooltip\"></div>\n<script>\n(function () {\n\
  var tip = document.getElementById('tip');\n\
  document.querySelectorAll('svg .tips rect').forEach(function (r) {\n\
    var t = r.querySelector('title');\n\
    if (t) { r.setAttribute('data-tip', t.textContent); r.removeChild(t); }\n\
  });\n\
  document.addEventListener('mousemove', function (e) {\n\
    var r = e.target.closest ? e.target.closest('.tips rect') : null;\n\
    if (!r) { tip.style.display = 'none'; return; }\n\
    tip.textContent = r.getAttribute('data-tip');\n\
    tip.style.display = 'block';\n\
    var x = e.clientX + 16, y = e.clientY + 16;\n\
    if (x + tip.offsetWidth > window.innerWidth) { x = e.clientX - tip.offsetWidth - 16; }\n\
    if (y + tip.offsetHeight > window.innerHeight) { y = e.clientY - tip.offsetHeight - 16; }\n\
    tip.style.left = Math.max(0, x) + 'px';\n\
    tip.style.top = Math.max(0, y) + 'px';\n\
  });\n\
})();\n</script>\n";

/// What a plot shows and how to read it, under its heading.
fn caption(s: &Summary, stem: &str) -> String {
    let hover = " Hover over a plot for the values.";
    match stem {
        "arrivals" => {
            let held = s.metric("mean_session_s").map_or(String::new(), |m| {
                format!(" ({:.1} min here)", m.mean / 60.0)
            });
            format!(
                "Demand and capacity in one unit, chat slots. Demand is the offered load: \
                 chats offered per hour × the mean time a chat holds a slot{held}. Capacity is \
                 the sum of the caps (max_concurrent) of the agents on shift. Where demand rises \
                 above capacity, chats wait or leave; chats in service can never exceed \
                 capacity.{}{hover}",
                nobody_sentence(s)
            )
        }
        "service_level" => format!(
            "By arrival interval. A chat meets the golden 2 minutes when its first human reply \
             comes within 120 s of arrival; abandoned and unanswered chats count as missed. \
             First response times are those of answered chats.{}{hover}",
            nobody_sentence(s)
        ),
        "queue" => format!(
            "The backlog over time: chats waiting in the queue for an agent, and offline \
             messages (离线留言) — chats left when nobody could take them, answered when an agent \
             comes on shift — plus the chats abandoned per hour.{}{hover}",
            nobody_sentence(s)
        ),
        "agents" => format!(
            "Bars are grouped by group and coloured by shift. Chats per on-shift hour depend on \
             how busy the shift's hours are: an agent on the busy daytime or evening shift takes \
             more chats per hour than one on a quiet shift, so compare bars of one colour. The \
             black mark is the weight-fair share: the group's chats shared by weight × on-shift \
             hours, which does not weigh how busy those hours were.{hover}"
        ),
        "frt_distribution" => format!(
            "First response time of answered chats by percentile, on HdrHistogram's log scale: \
             p90, p99 and p99.9 are evenly apart, so the tail is visible.{hover}"
        ),
        "live" => format!(
            "The running routing service under this load: its decision latency per interval \
             (by when events were due), measured from each request's intended send time, so a \
             service that falls behind shows its backlog here rather than hiding it; kefusim's \
             own lag is the green line. Below, the golden 2-minute rate of the same intervals: \
             what the latency cost the buyers.{hover}"
        ),
        _ => hover.trim_start().to_string(),
    }
}

/// The spans with nobody on shift, as a sentence (empty when there are none).
fn nobody_sentence(s: &Summary) -> String {
    let nobody = super::plots::unstaffed(s);
    let mut spans: Vec<String> = super::plots::runs(nobody.len(), |i| nobody[i].then_some(()))
        .iter()
        .map(|run| {
            let (from, last) = (run[0].0 as usize, run[run.len() - 1].0 as usize);
            super::axes::span_label(&s.series.interval_start, &s.window_to, from, last + 1)
        })
        .collect();
    if spans.is_empty() {
        return String::new();
    }
    let more = spans.len().saturating_sub(3);
    spans.truncate(3);
    let list = match more {
        0 => spans.join(", "),
        1 => format!("{} and one more span", spans.join(", ")),
        m => format!("{} and {m} more spans", spans.join(", ")),
    };
    format!(
        " Nobody is on shift {list} (shaded grey): chats arriving then cannot be answered in time \
         and wait as offline messages until the next shift."
    )
}

/// The plots' titles in the table of contents, by file stem.
fn plot_title(stem: &str) -> &str {
    match stem {
        "arrivals" => "Demand and capacity",
        "service_level" => "Service level",
        "queue" => "Backlog",
        "agents" => "Agents' load",
        "frt_distribution" => "First response times",
        "live" => "Routing service latency",
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
