//! `report.html` in a real browser (headless Chromium, from the
//! distribution's packages): no request leaves the page, no script error,
//! every plot is drawn, a plot's values show on hover, and Chinese is drawn with the page's embedded font
//! (measured: an ideograph in that font is 1 em wide, the fallback's
//! missing-glyph box is not). Runs when Chromium is installed; with
//! `KEFUSIM_REQUIRE_BROWSER=1` (as `.ci/run` sets) its absence fails. The
//! screenshot of the first screen stays at
//! `target/tmp/browser/double11/report.png`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{kefusim, text};

/// Chromium on the PATH, if any.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// Loads `report.html` in a frame and reports what the page holds and how
/// its font drew, as JSON in `#result`.
const HARNESS: &str = r#"<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<iframe id="f" src="report.html" width="1200" height="800"></iframe>
<pre id="result">pending</pre>
<script>
const f = document.getElementById('f');
f.addEventListener('load', async () => {
  const r = {};
  try {
    const d = f.contentDocument, w = f.contentWindow;
    await d.fonts.ready;
    r.figures = d.querySelectorAll('figure svg').length;
    r.requests = w.performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('data:'));
    const span = d.createElement('span');
    span.textContent = '尾款尾款尾款';
    span.style.fontSize = '40px';
    span.style.fontFamily = "'kefusim-cjk', monospace";
    d.body.appendChild(span);
    await d.fonts.ready;
    r.embedded_width = span.getBoundingClientRect().width;
    span.style.fontFamily = 'monospace';
    r.fallback_width = span.getBoundingClientRect().width;
    r.font_loaded = d.fonts.check("40px 'kefusim-cjk'", '尾款');
    // Values on hover: the page's script shows a column's tip at once.
    r.tip_rects = d.querySelectorAll('figure svg .tips rect').length;
    const rect = d.querySelector('#plot-arrivals .tips rect:nth-child(9)');
    const box = rect.getBoundingClientRect();
    rect.dispatchEvent(new w.MouseEvent('mousemove', {bubbles: true, clientX: box.left + 2, clientY: box.top + 40}));
    const tip = d.getElementById('tip');
    r.tip_display = tip.style.display;
    r.tip_text = tip.textContent;
    r.titles_left = d.querySelectorAll('.tips title').length;
  } catch (e) { r.error = String(e); }
  document.getElementById('result').textContent = JSON.stringify(r);
});
</script></body></html>"#;

fn browse(chromium: &Path, args: &[&str], url: &str) -> (String, String) {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--allow-file-access-from-files",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs");
    (text(&out.stdout), text(&out.stderr))
}

#[test]
fn the_report_reads_in_a_real_browser() {
    let _cores = crate::support::exclusive();
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var("KEFUSIM_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "KEFUSIM_REQUIRE_BROWSER=1 but no chromium on the PATH"
        );
        eprintln!("skipped: no chromium on the PATH (apt-get install chromium)");
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser/double11");
    let _ = std::fs::remove_dir_all(&dir);
    let run = kefusim(&[
        "run",
        "scenarios/double11.toml",
        "--replications",
        "2",
        "--out",
        dir.to_str().unwrap(),
        "--progress",
        "never",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    std::fs::write(dir.join("harness.html"), HARNESS).unwrap();
    let url = |name: &str| format!("file://{}", dir.join(name).display());
    let (dom, log) = browse(
        &chromium,
        &["--virtual-time-budget=15000", "--dump-dom"],
        &url("harness.html"),
    );
    assert!(!log.contains("Uncaught"), "a script error: {log}");
    let json = dom
        .split("<pre id=\"result\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| panic!("no result in the page: {dom}"));
    let r: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(r["error"], serde_json::Value::Null, "{r}");
    assert_eq!(r["figures"], 5, "every plot drawn: {r}");
    assert_eq!(
        r["requests"],
        serde_json::json!([]),
        "no request leaves the page: {r}"
    );
    assert_eq!(r["font_loaded"], true, "{r}");
    assert!(r["tip_rects"].as_u64().unwrap() > 100, "{r}");
    assert_eq!(r["tip_display"], "block", "{r}");
    let tip = r["tip_text"].as_str().unwrap();
    assert!(
        tip.starts_with("11-10 ")
            && tip.contains("\ndemand, slots: ")
            && tip.contains("\ncapacity, slots: "),
        "{r}"
    );
    assert_eq!(
        r["titles_left"], 0,
        "the script replaces the native titles: {r}"
    );
    // Six ideographs at 40 px: 240 px in the embedded font (1 em each).
    let (embedded, fallback) = (
        r["embedded_width"].as_f64().unwrap(),
        r["fallback_width"].as_f64().unwrap(),
    );
    assert!((embedded - 240.0).abs() < 1.0, "{r}");
    if (fallback - 240.0).abs() < 1.0 {
        eprintln!("this machine has a CJK font of its own: the comparison cannot tell them apart");
    }
    let shot = dir.join("report.png");
    browse(
        &chromium,
        &[
            "--window-size=1200,1400",
            &format!("--screenshot={}", shot.display()),
        ],
        &url("report.html"),
    );
    assert!(
        shot.metadata().is_ok_and(|m| m.len() > 10_000),
        "a screenshot"
    );
    eprintln!("screenshot: {}", shot.display());
}
