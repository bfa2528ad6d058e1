//! What the report's plots and page show a planner: hour ticks on time
//! axes, tidy axis numbers, keys under the plots rather than over the data,
//! each agent's shift, the hours nobody is on shift explained, and values
//! on hover (SVG titles, shown at once by the page's script).

use crate::support::{kefusim, text};

/// The text elements of an SVG as `(y, text)`.
fn texts(svg: &str) -> Vec<(f64, String)> {
    svg.split("<text ")
        .skip(1)
        .filter_map(|t| {
            let y = t.split("y=\"").nth(1)?.split('"').next()?.parse().ok()?;
            let body = t.split('>').nth(1)?.split("</text").next()?.trim();
            Some((y, body.to_string()))
        })
        .collect()
}

#[test]
fn plots_tick_whole_hours_show_shifts_and_tell_values_on_hover() {
    let dir = std::env::temp_dir().join(format!("kefusim-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("shifts.toml");
    std::fs::write(
        &scenario,
        "[run]\nstart = \"2026-11-09T00:00:00+08:00\"\nduration = \"1d\"\nreplications = 2\ninterval = \"15m\"\n\
         [arrivals]\nrate_per_hour = 30\nprofile = [[\"00:00\", 0.2], [\"10:00\", 1.5], [\"18:00\", 0.5]]\n\
         [service]\nduration = { dist = \"constant\", value = \"6m\" }\n\
         [routing]\nnobody_online = \"offline_message\"\n\
         [[agents]]\nname = \"early\"\ncount = 2\nmax_concurrent = 3\nshift = { start = \"08:00\", end = \"14:00\" }\n\
         [[agents]]\nname = \"late\"\ncount = 2\nmax_concurrent = 3\nshift = { start = \"14:00\", end = \"20:00\" }\n",
    )
    .unwrap();
    let out_dir = dir.join("out");
    let out = kefusim(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--progress",
        "never",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let read = |name: &str| std::fs::read_to_string(out_dir.join(name)).unwrap();

    // Each agent's shift, in agents.csv and on the page.
    let csv = read("agents.csv");
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let at = header
        .iter()
        .position(|h| *h == "shift")
        .expect("a shift column");
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let want = if cells[0].starts_with("early") {
            "08:00-14:00"
        } else {
            "14:00-20:00"
        };
        assert_eq!(cells[at], want, "{line}");
    }

    // The time axis: labels on whole hours, evenly apart (24 h: every 2 h),
    // the date on the first and at midnight.
    let queue = read("queue.svg");
    let labels: Vec<String> = texts(&queue)
        .into_iter()
        .map(|t| t.1)
        .filter(|t| t.len() >= 5 && t[t.len() - 5..].chars().nth(2) == Some(':'))
        .collect();
    assert_eq!(labels[0], "11-09 00:00", "{labels:?}");
    let hours: Vec<u32> = labels
        .iter()
        .map(|l| l[l.len() - 5..l.len() - 3].parse().unwrap())
        .collect();
    assert_eq!(
        hours,
        [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22],
        "{labels:?}"
    );
    assert!(labels.iter().all(|l| l.ends_with(":00")), "{labels:?}");

    // No float noise or needless ".0" on any axis.
    for name in [
        "arrivals.svg",
        "queue.svg",
        "service_level.svg",
        "agents.svg",
    ] {
        let svg = read(name);
        for (_, t) in texts(&svg) {
            assert!(
                !(t.ends_with(".0") && t[..t.len() - 2].chars().all(|c| c.is_ascii_digit())),
                "{name}: axis label {t}"
            );
        }
    }

    // Keys sit under the plot: below the x-axis description, not over the data.
    let all = texts(&queue);
    let axis_y = all
        .iter()
        .find(|t| t.1 == "local time (start of interval)")
        .map(|t| t.0)
        .unwrap();
    for key in [
        "nobody on shift",
        "chats waiting in the queue (time average)",
    ] {
        let y = all.iter().find(|t| t.1 == key).map(|t| t.0).unwrap();
        assert!(y > axis_y, "{key} at y {y}, the axis text at {axis_y}");
    }

    // The agents plot names each shift in its key.
    let agents = read("agents.svg");
    assert!(agents.contains("shift 08:00-14:00") && agents.contains("shift 14:00-20:00"));

    // Hover tips: one per interval, with the values and the unstaffed hours.
    let tips = queue.split("<g class=\"tips\">").nth(1).expect("tips");
    assert_eq!(tips.matches("<rect").count(), 96);
    assert!(tips.contains("<title>11-09 03:00–03:15\nwaiting in the queue: "));
    assert!(tips.contains("nobody on shift</title>"));
    assert!(agents.contains("<title>early-01 (shop; shift 08:00-14:00)\n"));

    // The page explains the night gap and shows the tips with a small script.
    let html = read("report.html");
    assert!(
        html.contains("Nobody is on shift 11-09 00:00–08:00, 11-09 20:00–00:00"),
        "{}",
        html.split("<figcaption>").nth(1).unwrap_or("")
    );
    assert!(html.contains("<div id=\"tip\"") && html.contains("closest('.tips rect')"));
    assert!(html.contains("<td>08:00-14:00</td>"));

    // Results saved before the shift column still load.
    let old = dir.join("old");
    std::fs::create_dir_all(&old).unwrap();
    for name in ["summary.json", "timeseries.csv"] {
        std::fs::copy(out_dir.join(name), old.join(name)).unwrap();
    }
    let without: String = csv
        .lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split(',').collect();
            cells.remove(at);
            cells.join(",") + "\n"
        })
        .collect();
    std::fs::write(old.join("agents.csv"), without).unwrap();
    let again = kefusim(&["report", old.to_str().unwrap()]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}
