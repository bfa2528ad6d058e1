//! The binary as a user meets it: exit codes, stdout/stderr, files.

use std::process::{Command, Output};

use crate::support::repo;

fn kefusim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kefusim"))
        .args(args)
        .current_dir(repo(""))
        .output()
        .expect("binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn run_prints_a_summary_and_writes_files() {
    let dir = std::env::temp_dir().join(format!("kefusim-cli-{}", std::process::id()));
    let out = kefusim(&[
        "run",
        "scenarios/quickstart.toml",
        "--replications",
        "2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("golden 2-minute rate"), "{stdout}");
    for f in ["summary.json", "timeseries.csv", "agents.csv"] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], 1);
    assert_eq!(json["replications"], 2);
    for key in [
        "offered",
        "answered",
        "abandoned",
        "p_wait",
        "asa_answered_s",
        "mean_wait_all_s",
        "abandon_rate",
        "occupancy",
        "frt_p50_s",
        "frt_p90_s",
        "frt_p99_s",
        "answered_within_20s_over_offered",
        "answered_within_60s_over_offered",
        "answered_within_120s_over_offered",
        "answered_within_180s_over_offered",
    ] {
        assert!(json["metrics"][key]["mean"].is_number(), "{key}");
        assert!(json["metrics"][key]["ci95"].is_number(), "{key}");
    }
    let ts = std::fs::read_to_string(dir.join("timeseries.csv")).unwrap();
    let header = ts.lines().next().unwrap();
    for col in [
        "interval_start",
        "offered",
        "answered",
        "abandoned",
        "p_wait",
        "answered_within_120s_over_offered",
        "asa_answered_s",
        "queue_len_mean",
        "agents_on_shift",
        "sessions_in_service_mean",
        "occupancy",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "timeseries.csv lacks {col}"
        );
    }
    assert_eq!(ts.lines().count(), 97);
    let agents = std::fs::read_to_string(dir.join("agents.csv")).unwrap();
    for col in ["agent", "groups", "assigned", "on_shift_hours", "occupancy"] {
        assert!(
            agents.lines().next().unwrap().split(',').any(|c| c == col),
            "agents.csv lacks {col}"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn json_format_prints_only_json() {
    let out = kefusim(&[
        "run",
        "scenarios/quickstart.toml",
        "--replications",
        "2",
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is exactly one JSON document");
    assert_eq!(v["scenario"], "quickstart");
}

#[test]
fn check_prints_the_resolved_scenario() {
    let out = kefusim(&["check", "scenarios/quickstart.toml"]);
    assert!(out.status.success());
    let s = text(&out.stdout);
    assert!(
        s.contains("valid") && s.contains("least_active") && s.contains("expected"),
        "{s}"
    );
}

#[test]
fn a_bad_scenario_exits_3_with_a_located_message() {
    let path = std::env::temp_dir().join(format!("kefusim-bad-{}.toml", std::process::id()));
    std::fs::write(&path, "[run]\nstart = \"2026-11-11T00:00:00+08:00\"\nduration = \"1h\"\n[arrivals]\nrate_per_hour = 5\n[service]\nduration = { dist = \"constant\", value = \"1m\" }\n[[agents]]\nmax_concurrent = 80\n").unwrap();
    let out = kefusim(&["run", path.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(":9:18: agents[0].max_concurrent: max_concurrent must be 1..=50, got 80"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
    assert!(out.stdout.is_empty());
    std::fs::remove_file(path).unwrap();
    let missing = kefusim(&["check", "no/such/file.toml"]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(text(&missing.stderr).contains("cannot read scenario no/such/file.toml"));
}

#[test]
fn usage_errors_exit_2_and_unwritable_output_exits_4() {
    assert_eq!(kefusim(&["run"]).status.code(), Some(2));
    assert_eq!(
        kefusim(&["run", "scenarios/quickstart.toml", "--replications", "0"])
            .status
            .code(),
        Some(2)
    );
    let out = kefusim(&[
        "run",
        "scenarios/quickstart.toml",
        "--replications",
        "2",
        "--out",
        "/proc/kefusim-cannot-write-here",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("golden 2-minute rate"),
        "the results are still printed"
    );
    assert!(
        text(&out.stderr).contains("cannot write /proc/kefusim-cannot-write-here"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn trace_explains_where_a_chat_went() {
    let out = kefusim(&["trace", "scenarios/taobao_shop.toml", "--until", "10h"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    let route = lines
        .iter()
        .find(|l| l["event"] == "route" && l["decision"]["reason"] == "private_contact")
        .expect("a private contact was routed");
    assert_eq!(route["decision"]["assigned_to"], "boss");
    // By default the candidates are counted (a private contact has one: the boss).
    let counted: u64 = route["candidates"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(counted, 1, "{route}");
    for event in ["arrival", "route", "first_reply", "chat_end", "state"] {
        assert!(
            lines.iter().any(|l| l["event"] == event),
            "no {event} event"
        );
    }
    assert!(
        lines
            .iter()
            .all(|l| l["t"].as_str().unwrap() < "2026-11-25T10:00" || l["event"] == "first_reply"),
        "--until stops the log"
    );
    // One conversation, from arrival to end.
    let id = route["conversation"].as_u64().unwrap().to_string();
    let one = kefusim(&["trace", "scenarios/taobao_shop.toml", "--conversation", &id]);
    let events: Vec<serde_json::Value> = text(&one.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    // Held for the boss first if it was busy or offline, then assigned.
    assert_eq!(kinds.first(), Some(&"arrival"));
    assert_eq!(kinds.last(), Some(&"chat_end"));
    assert_eq!(kinds.iter().filter(|k| **k == "first_reply").count(), 1);
    let last_route = events.iter().rev().find(|e| e["event"] == "route").unwrap();
    assert_eq!(last_route["decision"]["assigned_to"], "boss");
}

#[test]
fn trace_rejects_an_unknown_agent_with_a_usage_error() {
    let out = kefusim(&["trace", "scenarios/feige_shop.toml", "--agent", "nobody"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no agent named `nobody`"));
}

#[test]
fn trace_of_a_dialogue_shop_shows_messages_replies_transfers_and_one_agent() {
    let out = kefusim(&["trace", "scenarios/feige_shop.toml", "--until", "1d"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for event in ["message", "reply", "transfer", "state", "route"] {
        assert!(
            lines.iter().any(|l| l["event"] == event),
            "no {event} event"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l["decision"]["offline_message"] == true)
    );
    let one = kefusim(&[
        "trace",
        "scenarios/feige_shop.toml",
        "--agent",
        "presale-03",
        "--until",
        "12h",
    ]);
    let mine: Vec<serde_json::Value> = text(&one.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!mine.is_empty());
    for l in &mine {
        let s = l.to_string();
        assert!(s.contains("presale-03"), "an event without the agent: {s}");
        // Its own events only: a routing line is one that went to it.
        if l["event"] == "route" {
            let to = &l["decision"];
            assert!(
                to["assigned_to"] == "presale-03" || to["offered_to"] == "presale-03",
                "{s}"
            );
        }
    }
    // Every candidate listed, and the decisions it was only a candidate in.
    let all = kefusim(&[
        "trace",
        "scenarios/feige_shop.toml",
        "--agent",
        "presale-03",
        "--until",
        "12h",
        "--candidates",
        "all",
    ]);
    let lines: Vec<serde_json::Value> = text(&all.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() > mine.len());
    let route = lines.iter().find(|l| l["event"] == "route").unwrap();
    assert!(route["candidates"].as_array().unwrap().len() > 1, "{route}");
    // Reasons are names, never prose.
    for l in lines.iter().chain(&mine) {
        let reason = &l["decision"]["reason"];
        if let Some(r) = reason.as_str().or(l["reason"].as_str()) {
            assert!(r.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{r}");
        }
    }
}

/// A whole Double-11 trace with the default options stays small: routing
/// lines count their candidates instead of listing 200 agents each.
#[test]
fn a_double11_trace_stays_under_50_mb() {
    let dir = std::env::temp_dir().join(format!("kefusim-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("d11.jsonl");
    let out = kefusim(&[
        "trace",
        "scenarios/double11.toml",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let size = file.metadata().unwrap().len();
    assert!(size < 50_000_000, "{size} bytes");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every key of every shipped scenario is known to the printed JSON Schema
/// (walking `$ref`s, arrays and nullable types), and unknown keys are refused.
#[test]
fn schema_covers_the_shipped_scenarios_and_completions_print() {
    let out = kefusim(&["schema"]);
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    fn resolve<'a>(
        schema: &'a serde_json::Value,
        node: &'a serde_json::Value,
    ) -> &'a serde_json::Value {
        match node.get("$ref").and_then(|r| r.as_str()) {
            Some(r) => resolve(schema, &schema["$defs"][r.trim_start_matches("#/$defs/")]),
            None => match node.get("anyOf").and_then(|a| a.as_array()) {
                Some(options) => options
                    .iter()
                    .map(|o| resolve(schema, o))
                    .find(|o| o.get("type") != Some(&serde_json::json!("null")))
                    .unwrap_or(node),
                None => node,
            },
        }
    }
    fn check(
        schema: &serde_json::Value,
        node: &serde_json::Value,
        value: &serde_json::Value,
        at: &str,
    ) {
        let node = resolve(schema, node);
        match value {
            serde_json::Value::Object(map) => {
                if node.get("properties").is_some() {
                    assert_eq!(
                        node["additionalProperties"], false,
                        "{at} accepts unknown keys"
                    );
                }
                for (k, v) in map {
                    // A table with fixed keys, or a map whose values follow one schema.
                    let sub = node["properties"]
                        .get(k)
                        .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()))
                        .unwrap_or_else(|| panic!("{at}.{k} not in the schema"));
                    check(schema, sub, v, &format!("{at}.{k}"));
                }
            }
            serde_json::Value::Array(items) => {
                if let Some(item) = node.get("items") {
                    for v in items {
                        check(schema, item, v, &format!("{at}[]"));
                    }
                }
            }
            other => {
                if let Some(allowed) = node.get("enum").and_then(|e| e.as_array()) {
                    assert!(allowed.contains(other), "{at} = {other} not in {allowed:?}");
                }
            }
        }
    }
    // What the derive cannot know is added by hand: the policies, the
    // `nobody_online` values and metric names.
    for (def, key, value) in [
        ("RawRouting", "policy", "least_active"),
        ("RawGroup", "policy", "taobao_queue"),
        ("RawChange", "policy", "feige_even"),
        ("RawRouting", "nobody_online", "main_account"),
        ("RawChange", "nobody_online", "offline_message"),
    ] {
        let allowed = &schema["$defs"][def]["properties"][key]["enum"];
        assert!(
            allowed
                .as_array()
                .is_some_and(|a| a.contains(&serde_json::json!(value))),
            "{def}.{key}: {allowed}"
        );
    }
    let require = schema["$defs"]["RawThresholds"]["properties"]["require"]["description"]
        .as_str()
        .unwrap();
    for name in ["golden_rate", "frt_p90_s", "黄金2分钟", "abandon_rate"] {
        assert!(require.contains(name), "{name} missing from: {require}");
    }
    for name in ["quickstart", "feige_shop", "taobao_shop"] {
        let text = std::fs::read_to_string(repo(&format!("scenarios/{name}.toml"))).unwrap();
        let value: serde_json::Value = toml::from_str(&text).unwrap();
        check(&schema, &schema, &value, name);
    }
    let bash = kefusim(&["completions", "bash"]);
    assert!(text(&bash.stdout).contains("_kefusim"));
}

#[test]
fn run_out_writes_plots_that_decode_and_are_not_blank() {
    let dir = std::env::temp_dir().join(format!("kefusim-plots-{}", std::process::id()));
    let out = kefusim(&[
        "run",
        "scenarios/feige_shop.toml",
        "--replications",
        "2",
        "--progress",
        "never",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for stem in [
        "arrivals",
        "service_level",
        "queue",
        "agents",
        "frt_distribution",
    ] {
        let png = std::fs::read(dir.join(format!("{stem}.png"))).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        let height = if stem == "service_level" { 900 } else { 480 };
        assert_eq!(img.dimensions(), (1100, height), "{stem}");
        let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(
            colours.len() > 20,
            "{stem}.png looks blank ({} colours)",
            colours.len()
        );
        let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("feige_shop"),
            "{stem}.svg"
        );
    }
    // report.html: self-contained, every section, the plots inline.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for id in [
        "scenario",
        "headline",
        "plots",
        "metrics",
        "agents",
        "plot-arrivals",
        "plot-service_level",
        "plot-queue",
        "plot-agents",
        "plot-frt_distribution",
    ] {
        assert!(
            html.contains(&format!("id=\"{id}\"")),
            "report.html has no section {id}"
        );
    }
    assert_eq!(html.matches("<svg").count(), 5);
    assert!(html.contains("answered_within_120s_over_offered") && html.contains("presale-01"));
    // One inline script (the hover tips); nothing loaded from elsewhere.
    assert_eq!(html.matches("<script").count(), 1);
    for external in ["<script src", "<link", "src=\"http", "href=\"http", "<img"] {
        assert!(
            !html.contains(external),
            "report.html loads something: {external}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn report_rebuilds_the_page_and_plots_from_saved_results() {
    let base = std::env::temp_dir().join(format!("kefusim-report-{}", std::process::id()));
    let (with, without) = (base.join("with"), base.join("without"));
    for (dir, extra) in [(&with, None), (&without, Some("--no-report"))] {
        let mut args = vec![
            "run",
            "scenarios/quickstart.toml",
            "--replications",
            "2",
            "--progress",
            "never",
            "--out",
            dir.to_str().unwrap(),
        ];
        args.extend(extra);
        assert!(kefusim(&args).status.success());
    }
    assert!(!without.join("report.html").exists(), "--no-report");
    let out = kefusim(&["report", without.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The same page, but for the count of simulated events, which is not saved.
    let strip = |p: &std::path::Path| {
        let html = std::fs::read_to_string(p.join("report.html")).unwrap();
        let start = html
            .find(" · ")
            .and_then(|_| html.find(" events simulated"));
        match start {
            Some(end) => {
                let begin = html[..end].rfind(" · ").unwrap();
                format!(
                    "{}{}",
                    &html[..begin],
                    &html[end + " events simulated".len()..]
                )
            }
            None => html,
        }
    };
    assert_eq!(strip(&with), strip(&without));
    assert_eq!(
        std::fs::read(with.join("agents.png")).unwrap(),
        std::fs::read(without.join("agents.png")).unwrap()
    );
    let missing = kefusim(&["report", base.join("nothing").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("written by `kefusim run --out`"));
    std::fs::remove_dir_all(&base).unwrap();
}

/// A scenario with `[thresholds]`: met → exit 0; missed → exit 5 naming
/// the threshold and by how much, results still written; an unknown
/// metric → exit 3 at its line.
#[test]
fn thresholds_pass_fail_and_unknown_metrics() {
    let base = std::fs::read_to_string("scenarios/quickstart.toml").unwrap();
    // The quickstart's own [thresholds] section is replaced.
    let base = base.split("\n# Quality gates").next().unwrap().to_string();
    let dir = std::env::temp_dir().join(format!("kefusim-thr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, require: &str| {
        let path = dir.join(name);
        std::fs::write(
            &path,
            format!("{base}\n[thresholds]\nrequire = [{require}]\n"),
        )
        .unwrap();
        path.to_str().unwrap().to_string()
    };
    let ok = write(
        "ok.toml",
        "\"answered_within_120s_over_offered >= 80%\", \"abandon_rate < 0.2\"",
    );
    let out = kefusim(&["run", &ok, "--progress", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("2 of 2 met"));

    let bad = write("bad.toml", "\"abandon_rate < 0.1%\", \"frt_p90_s < 600\"");
    let results = dir.join("results");
    let out = kefusim(&[
        "run",
        &bad,
        "--progress",
        "never",
        "--out",
        results.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("1 of 2 thresholds missed") && err.contains("FAIL abandon_rate < 0.001"),
        "{err}"
    );
    assert!(err.contains("misses by"), "{err}");
    let json = std::fs::read_to_string(results.join("summary.json")).unwrap();
    assert!(json.contains("\"passed\": false") && json.contains("\"passed\": true"));
    let html = std::fs::read_to_string(results.join("report.html")).unwrap();
    assert!(html.contains("id=\"thresholds\""));

    let unknown = write("unknown.toml", "\"frt_p95 < 60\"");
    let out = kefusim(&["check", &unknown]);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(
        err.contains("thresholds.require[0]: unknown metric `frt_p95`; did you mean")
            && err.contains("`frt_p90_s`"),
        "{err}"
    );
    // The headline's name and the platforms' names are aliases (issue 12).
    let alias = write(
        "alias.toml",
        "\"golden_rate >= 10%\", \"平均响应时长 < 600\"",
    );
    let out = kefusim(&["check", &alias]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // Per interval and over part of the window (issue 12, part 4): the
    // intervals that missed are named with their values.
    let strict = write(
        "every.toml",
        "\"golden_rate >= 99.5% every 15m\", \"golden_rate >= 99% in 50% of intervals\", \"abandon_rate < 0.5% during 2026-11-25T19:00+08:00/2026-11-25T22:00+08:00\"",
    );
    let out = kefusim(&[
        "run",
        &strict,
        "--progress",
        "never",
        "--out",
        results.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("FAIL answered_within_120s_over_offered >= 0.995 every 15m: ")
            && err.contains(" of 96 intervals met")
            && err.contains("; missed at 11-25 "),
        "{err}"
    );
    assert!(
        text(&out.stdout)
            .contains("PASS answered_within_120s_over_offered >= 0.99 in 50% of intervals: "),
        "{}",
        text(&out.stdout)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("summary.json")).unwrap())
            .unwrap();
    let every = &json["thresholds"][0];
    assert_eq!(every["passed"], false);
    let missed = every["intervals"]["missed"].as_array().unwrap();
    assert!(!missed.is_empty() && missed[0]["value"].as_f64().unwrap() < 0.995);
    assert_eq!(
        every["intervals"]["met"].as_u64().unwrap() + missed.len() as u64,
        every["intervals"]["judged"].as_u64().unwrap()
    );
    assert!(
        json["thresholds"][2]["intervals"].is_null(),
        "a window is one value"
    );
    // The report renders from the saved verdicts.
    assert_eq!(
        kefusim(&["report", results.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );

    for (require, expected) in [
        (
            "\"golden_rate >= 80% every 1h\"",
            "`every 1h`: per-interval thresholds judge the time series, whose interval is 15m ([run] interval); write `every 15m` or set interval = \"1h\"",
        ),
        (
            "\"frt_mean_s < 30 every 15m\"",
            "`frt_mean_s` has no per-interval values, so it cannot be judged per interval or during part of the window; these can: offered, answered",
        ),
        (
            "\"golden_rate >= 80% during peak:midnight\"",
            "`during peak:midnight`: the scenario has no named peak",
        ),
        (
            "\"golden_rate >= 80% during 2026-11-25T19:10+08:00/2026-11-25T22:00+08:00\"",
            "2026-11-25T19:10+08:00 is not the start of an interval (intervals are 15m from the window's start)",
        ),
        (
            "\"golden_rate >= 80% during 2026-11-27T00:00+08:00/2026-11-27T02:00+08:00\"",
            "2026-11-27T00:00+08:00 is outside the window (the measured window is 2026-11-25T00:00:00+08:00 → 2026-11-26T00:00:00+08:00)",
        ),
        (
            "\"golden_rate >= 80% during 2026-11-25T22:00+08:00/2026-11-25T19:00+08:00\"",
            "FROM must be before TO",
        ),
        (
            "\"golden_rate >= 80% during tonight\"",
            "`during tonight`: expected FROM/TO (two RFC 3339 instants",
        ),
        (
            "\"golden_rate >= 80% in 150% of intervals\"",
            "\"150%\" in \"golden_rate >= 80% in 150% of intervals\" is not a share of intervals",
        ),
        (
            "\"golden_rate >= 80% every 15m daily\"",
            "unexpected \"daily\" after the number",
        ),
    ] {
        let path = write("scope.toml", require);
        let out = kefusim(&["check", &path]);
        assert_eq!(out.status.code(), Some(3), "{require}");
        assert!(
            text(&out.stderr).contains(expected),
            "{require}: {}",
            text(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `compare` and `run --baseline`: the same run is the same (exit 0); a
/// deliberately worse routing setting (a tight fairness limiter) is a
/// regression (exit 6) in the table and the JSON; `--strict` fails on any
/// change; tolerances are checked.
#[test]
fn compare_finds_a_worse_routing_setting() {
    let dir = std::env::temp_dir().join(format!("kefusim-cmp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::read_to_string("scenarios/quickstart.toml").unwrap();
    let worse = dir.join("worse.toml");
    std::fs::write(
        &worse,
        base.replace(
            "[routing]\n",
            "[routing]\nfairness = { max_assignments = 2, window = \"10m\" }\n",
        ),
    )
    .unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let run = |scenario: &str, out: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            scenario,
            "--replications",
            "4",
            "--progress",
            "never",
            "--out",
        ];
        let out = path(out);
        args.push(&out);
        args.extend_from_slice(extra);
        kefusim(&args)
    };
    assert!(
        run("scenarios/quickstart.toml", "base", &[])
            .status
            .success()
    );
    let baseline = path("base");
    let same = run(
        "scenarios/quickstart.toml",
        "again",
        &["--baseline", &baseline, "--strict"],
    );
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stderr));
    assert!(text(&same.stderr).contains("deterministic"));

    // The quickstart's own thresholds fail too, and their exit code (5) wins.
    let out = run(worse.to_str().unwrap(), "worse", &["--baseline", &baseline]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("paired")
            && err.contains("regressions")
            && err.contains("FAIL answered_within_120s_over_offered"),
        "{err}"
    );

    let out = kefusim(&["compare", &path("worse"), &baseline, "--format", "json"]);
    assert_eq!(out.status.code(), Some(6));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failures = doc["failures"].as_array().unwrap();
    assert!(
        failures
            .iter()
            .any(|f| f == "answered_within_120s_over_offered")
    );
    let row = doc["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == "abandon_rate")
        .unwrap();
    assert_eq!(row["verdict"], "worse");
    // A generous tolerance on every failing metric clears the regression.
    let mut args = vec!["compare".to_string(), path("worse"), baseline.clone()];
    for f in failures {
        args.push("--tolerance".into());
        args.push(format!("{}=1e9", f.as_str().unwrap()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(kefusim(&args).status.code(), Some(0));
    // LIFO is better on every service metric here (old waiters abandon
    // anyway): not a regression, but --strict fails on any change.
    let lifo = dir.join("lifo.toml");
    std::fs::write(
        &lifo,
        base.replace("[routing]\n", "[routing]\nqueue_order = \"lifo\"\n"),
    )
    .unwrap();
    assert!(run(lifo.to_str().unwrap(), "lifo", &[]).status.success());
    let out = kefusim(&["compare", &path("lifo"), &baseline]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("better"));
    let out = kefusim(&["compare", &path("lifo"), &baseline, "--strict"]);
    assert_eq!(out.status.code(), Some(6));

    let out = kefusim(&["compare", &baseline, &baseline, "--tolerance", "frt_p95=5%"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown metric `frt_p95`; did you mean"));
    let out = kefusim(&[
        "compare",
        &baseline,
        &baseline,
        "--tolerance",
        "golden_rate=1%",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = kefusim(&["compare", &baseline, dir.join("nowhere").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));

    // Only the chosen metrics gate: occupancy has no direction, so nothing
    // can regress; the rest are reported.
    let json = |out: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let out = kefusim(&[
        "compare",
        &path("worse"),
        &baseline,
        "--metrics",
        "occupancy",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc = json(&out);
    assert_eq!(
        (doc["judged"].as_u64(), doc["mode"].as_str()),
        (Some(1), Some("paired"))
    );
    let out = kefusim(&[
        "compare",
        &path("worse"),
        &baseline,
        "--metrics",
        "golden_rate,occupancy",
    ]);
    assert_eq!(out.status.code(), Some(6));
    assert!(
        text(&out.stdout).contains("(2 judged)"),
        "{}",
        text(&out.stdout)
    );
    // `[compare]` travels with the results; flags override it.
    let gated = dir.join("gated.toml");
    std::fs::write(
        &gated,
        format!(
            "{}\n[compare]\nmetrics = [\"occupancy\"]\nalpha = 0.01\n",
            std::fs::read_to_string(&worse).unwrap()
        ),
    )
    .unwrap();
    let out = run(gated.to_str().unwrap(), "gated", &["--baseline", &baseline]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "thresholds still fail: {}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("gate: 1 metric judged"),
        "{}",
        text(&out.stderr)
    );
    let out = kefusim(&["compare", &path("gated"), &baseline, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["alpha"], 0.01);
    let out = kefusim(&[
        "compare",
        &path("gated"),
        &baseline,
        "--metrics",
        "golden_rate",
    ]);
    assert_eq!(out.status.code(), Some(6));
    // Flag errors say what is allowed.
    for (flags, expected) in [
        (
            ["--metrics", "frt_p95"],
            "--metrics: the baseline has no such metric: unknown metric `frt_p95`; did you mean",
        ),
        (
            ["--alpha", "0.9"],
            "--alpha: alpha (the family-wise false-alarm rate) must be in (0, 0.5], got 0.9",
        ),
    ] {
        let mut args = vec!["compare", &baseline, &baseline];
        args.extend(flags);
        let out = kefusim(&args);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).contains(expected),
            "{}",
            text(&out.stderr)
        );
    }
    // Per-replication values must match the replications; a baseline
    // without them (an older kefusim) is compared unpaired.
    let summary = std::fs::read_to_string(dir.join("base/summary.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&summary).unwrap();
    doc["metrics"]["p_wait"]["per_replication"] = serde_json::json!([0.1, 0.2]);
    let damaged = dir.join("damaged.json");
    std::fs::write(&damaged, doc.to_string()).unwrap();
    let out = kefusim(&["compare", &baseline, damaged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("`metrics.p_wait.per_replication` has 2 values for 4 replications"),
        "{}",
        text(&out.stderr)
    );
    for m in doc["metrics"].as_object_mut().unwrap().values_mut() {
        m.as_object_mut().unwrap().remove("per_replication");
    }
    std::fs::write(&damaged, doc.to_string()).unwrap();
    let out = kefusim(&["compare", &path("worse"), damaged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(6));
    assert!(text(&out.stdout).contains("unpaired: same seed and replications, but the baseline was saved without per-replication values"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `kefusim sweep`: the grid's CSV (one row per point, keys, metrics with
/// intervals, thresholds), more agents never worse with common random
/// numbers here, the plot, a categorical first key, and clear key errors.
#[test]
fn sweep_writes_the_grid_csv_and_plot() {
    let dir = std::env::temp_dir().join(format!("kefusim-sweep-{}", std::process::id()));
    let out = kefusim(&[
        "sweep",
        "scenarios/quickstart.toml",
        "--set",
        "agents.presale.count=16..28:4",
        "--set",
        "agents.*.max_concurrent=4,5",
        "--replications",
        "3",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 1 + 8);
    assert_eq!(
        &rows[0][..5],
        [
            "point",
            "agents.presale.count",
            "agents.*.max_concurrent",
            "answered_within_120s_over_offered",
            "answered_within_120s_over_offered_ci95"
        ]
    );
    assert_eq!(rows[0].last(), Some(&"thresholds_met"));
    assert_eq!(&rows[4][1..3], ["20", "5"]);
    let golden = |count: &str, cap: &str| -> f64 {
        rows.iter().find(|r| r[1] == count && r[2] == cap).unwrap()[3]
            .parse()
            .unwrap()
    };
    for cap in ["4", "5"] {
        assert!(golden("16", cap) < golden("20", cap) && golden("20", cap) < golden("28", cap));
    }
    assert_eq!(rows[1].last(), Some(&"no"));
    assert_eq!(std::fs::read_to_string(dir.join("sweep.csv")).unwrap(), csv);
    // Means without float noise (132.671, not 132.67099999999996): no cell
    // carries more than 12 significant digits.
    for row in &rows[1..] {
        for cell in row {
            let digits = cell
                .trim_start_matches(['-', '0', '.'])
                .chars()
                .filter(char::is_ascii_digit)
                .count();
            assert!(digits <= 12, "{cell} in {row:?}");
        }
    }
    let png = image::open(dir.join("sweep.png")).unwrap().to_rgb8();
    assert_eq!(png.dimensions(), (1100, 480));
    let svg = std::fs::read_to_string(dir.join("sweep.svg")).unwrap();
    assert!(svg.contains("agents.presale.count") && svg.contains("threshold"));

    let out = kefusim(&[
        "sweep",
        "scenarios/quickstart.toml",
        "--set",
        "routing.policy=least_active,round_robin",
        "--replications",
        "2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        std::fs::read_to_string(dir.join("sweep.svg"))
            .unwrap()
            .contains("round_robin")
    );

    let out = kefusim(&[
        "sweep",
        "scenarios/quickstart.toml",
        "--set",
        "agents.pre.count=3",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no entry `pre`"));
    let out = kefusim(&[
        "sweep",
        "scenarios/quickstart.toml",
        "--set",
        "agents.presale.max_concurrent=80",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("agents[0].max_concurrent: max_concurrent must be 1..=50, got 80"),
        "{err}"
    );
    // No line numbers: they would point into the edited text, not the file.
    assert!(!err.contains(":4:"), "{err}");
    let out = kefusim(&[
        "sweep",
        "scenarios/quickstart.toml",
        "--set",
        "agents.presale.count=10,30",
        "--set",
        "agents.presale.count=20",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("given twice"));
    let out = kefusim(&[
        "sweep",
        "scenarios/quickstart.toml",
        "--set",
        "routing.policy=fastest",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `kefusim plan scenarios/double11.toml --out DIR`: accepted, the table,
/// the files, a roster that pastes into the scenario in place of the
/// replaced entries; errors for a scenario without or with a bad [plan].
#[test]
fn plan_double11_proposes_a_verified_roster_that_pastes_back() {
    let dir = std::env::temp_dir().join(format!("kefusim-plan-{}", std::process::id()));
    let out = kefusim(&[
        "plan",
        "scenarios/double11.toml",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("ACCEPTED") && table.contains("agent-hours"),
        "{table}"
    );
    assert!(text(&out.stderr).contains("plan: search 1"));
    for f in [
        "plan.csv",
        "plan.json",
        "roster.toml",
        "scenario.toml",
        "plan.svg",
        "plan.png",
        "report.html",
        "summary.json",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let csv = std::fs::read_to_string(dir.join("plan.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + 124,
        "one row per 15-minute interval"
    );
    assert!(csv.lines().skip(1).all(|l| l.ends_with(",yes")));
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("plan.json")).unwrap()).unwrap();
    assert_eq!(plan["accepted"], true);
    assert!(plan["optimality_gap"].as_f64().unwrap() < 0.1);
    let png = image::open(dir.join("plan.png")).unwrap().to_rgb8();
    assert_eq!(png.dimensions(), (1100, 480));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("id=\"plan\"")
            && html.contains("id=\"plot-plan\"")
            && html.contains("id=\"headline\"")
    );

    // Issue 12: where the agent-hours go, and verified template suggestions.
    for line in [
        "where the agent-hours go:",
        "required on duty (simulation, per interval)",
        "+ forced by the shift templates",
        "+ added by rounding to whole agents",
        "template suggestions",
        "verified: every interval meets every target",
        "[[plan.shifts]]",
    ] {
        assert!(table.contains(line), "{line}\n{table}");
    }
    let b = &plan["agent_hours_breakdown"];
    let f = |k: &str| b[k].as_f64().unwrap();
    assert!((f("required") + f("shrinkage") + f("verification") - f("needed")).abs() < 0.01);
    assert!(
        (f("needed") + f("forced_by_templates") + f("added_by_rounding") - f("scheduled")).abs()
            < 0.01
    );
    assert!((f("scheduled") - plan["agent_hours"].as_f64().unwrap()).abs() < 0.01);
    assert!(f("scheduled") > 2.0 * f("required"), "{b}");
    let suggestions = plan["suggestions"].as_array().unwrap();
    assert!(!suggestions.is_empty());
    let best = &suggestions[0];
    assert_eq!(best["accepted"], true);
    assert!(
        best["saving_agent_hours"].as_f64().unwrap() > 50.0,
        "{best}"
    );

    // Paste the roster as roster.toml says: a valid scenario whose run
    // meets the golden target.
    let roster_text = std::fs::read_to_string(dir.join("roster.toml")).unwrap();
    assert!(roster_text.contains("in [plan] set"), "{roster_text}");
    let mut doc: toml::Table = std::fs::read_to_string("scenarios/double11.toml")
        .unwrap()
        .parse()
        .unwrap();
    let roster: toml::Table = roster_text.parse().unwrap();
    let agents = doc["agents"].as_array_mut().unwrap();
    agents.retain(|a| !["presale", "temp-evening"].contains(&a["name"].as_str().unwrap()));
    let names: Vec<toml::Value> = roster["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].clone())
        .collect();
    agents.extend(roster["agents"].as_array().unwrap().iter().cloned());
    // roster.toml says: the pool's scheduled caps for each roster entry, the
    // other replaced entries' deleted.
    assert!(roster_text.contains("[[schedule]] changes the caps of replaced entries"));
    let schedule = doc["schedule"].as_array_mut().unwrap();
    let mut kept = Vec::new();
    for change in schedule.drain(..) {
        match change["agents"].as_str() {
            Some("presale") => {
                for n in &names {
                    let mut c = change.clone();
                    c.as_table_mut().unwrap().insert("agents".into(), n.clone());
                    kept.push(c);
                }
            }
            Some("temp-evening") => {}
            _ => kept.push(change),
        }
    }
    *schedule = kept;
    let plan_table = doc["plan"].as_table_mut().unwrap();
    plan_table.insert("entry".into(), names[0].clone());
    plan_table.insert("replace".into(), toml::Value::Array(names));
    let pasted = dir.join("pasted.toml");
    std::fs::write(&pasted, toml::to_string(&doc).unwrap()).unwrap();
    let out = kefusim(&["check", pasted.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = kefusim(&[
        "run",
        pasted.to_str().unwrap(),
        "--format",
        "json",
        "--progress",
        "never",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let golden = summary["metrics"]["group.presale.answered_within_120s_over_offered"]["mean"]
        .as_f64()
        .unwrap();
    assert!(
        golden >= 0.9,
        "presale golden rate with the pasted roster: {golden}"
    );

    // `--apply FILE` writes the same complete scenario as scenario.toml;
    // its run is the plan's verification run.
    let applied = dir.join("applied.toml");
    let out = kefusim(&[
        "plan",
        "scenarios/double11.toml",
        "--apply",
        applied.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("the scenario with the roster merged in"));
    assert_eq!(
        std::fs::read(&applied).unwrap(),
        std::fs::read(dir.join("scenario.toml")).unwrap()
    );
    let out = kefusim(&[
        "run",
        applied.to_str().unwrap(),
        "--format",
        "json",
        "--progress",
        "never",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let verification: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    for (name, m) in verification["metrics"].as_object().unwrap() {
        assert_eq!(run["metrics"][name]["mean"], m["mean"], "{name}");
    }
    // Nowhere to write: exit 4 naming the file, nothing half-written.
    let nowhere = dir.join("missing-dir").join("x.toml");
    let out = kefusim(&[
        "plan",
        "scenarios/double11.toml",
        "--apply",
        nowhere.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("missing-dir"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.join("missing-dir").exists());

    let out = kefusim(&["plan", "scenarios/quickstart.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("has no [plan] section"));
    let bad = dir.join("bad.toml");
    let base = std::fs::read_to_string("scenarios/double11.toml").unwrap();
    std::fs::write(
        &bad,
        base.replace("entry = \"presale\"", "entry = \"presales\"")
            .replace("\"occupancy <= 85%\"", "\"occupancy >= 85%\""),
    )
    .unwrap();
    let out = kefusim(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(
        err.contains("plan.entry: no [[agents]] entry named `presales`"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 11: a diverging run exits 1, prints and writes its results marked as such.
#[test]
fn a_diverging_run_exits_1_with_its_results_marked() {
    let dir = std::env::temp_dir().join(format!("kefusim-diverge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sc = dir.join("over.toml");
    std::fs::write(
        &sc,
        "[run]\nstart = \"2026-11-11T00:00:00+08:00\"\nduration = \"1h\"\n[arrivals]\nrate_per_hour = 20000\n\
         [service]\nduration = { dist = \"exponential\", mean = \"6m\" }\n[[agents]]\ncount = 1\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = kefusim(&[
        "run",
        sc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--progress",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("diverging: 1 of 1 replications were stopped"));
    assert!(text(&o.stdout).contains("DIVERGING"));
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("\"diverging\": {"), "{summary}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Diverging:"));
    // Saved results that say so are still readable.
    let o = kefusim(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 11, defect 8: a file that is not UTF-8 is located at its first
/// bad byte; judging options without a baseline are refused; an impossible
/// --until says what is wrong with it.
#[test]
fn bad_bytes_and_meaningless_flags_get_precise_errors() {
    let dir = std::env::temp_dir().join(format!("kefusim-bytes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sc = dir.join("latin1.toml");
    let mut bytes = b"[run]\nstart = \"2026-11-11T00:00:00+08:00\"\nduration = \"1h\"\n[[agents]]\nname = \"caf".to_vec();
    bytes.extend([0xE9, b'"', b'\n']);
    std::fs::write(&sc, bytes).unwrap();
    let o = kefusim(&["check", sc.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        text(&o.stderr).contains("latin1.toml:5:12: not valid UTF-8 (byte 0xE9"),
        "{}",
        text(&o.stderr)
    );
    let quickstart = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.toml");
    for flag in [
        ["--tolerance", "abandon_rate=1%"],
        ["--strict", "--progress"],
        ["--metrics", "golden_rate"],
        ["--alpha", "0.01"],
    ] {
        let mut args = vec!["run", quickstart];
        args.extend(flag);
        if flag[0] == "--strict" {
            args.push("never");
        }
        let o = kefusim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(text(&o.stderr).contains("need --baseline"));
    }
    let o = kefusim(&["trace", quickstart, "--until", "99999d"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("duration too large"),
        "{}",
        text(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--progress always` in a log: status lines every 2 s and one final line,
/// never the same line twice in a row.
#[test]
fn progress_lines_in_a_log_are_never_repeated() {
    let out = kefusim(&[
        "run",
        "scenarios/double11.toml",
        "--replications",
        "120",
        "--threads",
        "1",
        "--progress",
        "always",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("progress: "))
        .collect();
    // About 4 s of work: periodic lines, then the final one.
    assert!(lines.len() >= 2, "{err}");
    assert!(lines.last().unwrap().contains("100%"), "{err}");
    for w in lines.windows(2) {
        assert_ne!(w[0], w[1], "a line printed twice: {err}");
    }
}

/// The plots answer a planner's questions: demand and capacity in one unit
/// (chat slots), and the backlog with the hours nobody is on shift shaded.
#[test]
fn plots_show_demand_in_slots_and_the_unstaffed_backlog() {
    let dir = std::env::temp_dir().join(format!("kefusim-gap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("gap.toml");
    std::fs::write(
        &scenario,
        "[run]\nstart = \"2026-11-09T00:00:00+08:00\"\nduration = \"1d\"\nreplications = 2\n\
         [arrivals]\nrate_per_hour = 30\n\
         [service]\nduration = { dist = \"constant\", value = \"6m\" }\n\
         [routing]\nnobody_online = \"offline_message\"\n\
         [[agents]]\ncount = 2\nmax_concurrent = 3\nshift = { start = \"08:00\", end = \"20:00\" }\n",
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
    let arrivals = std::fs::read_to_string(out_dir.join("arrivals.svg")).unwrap();
    // 6 minutes of work, longer in a slot when an agent has several chats
    // at once (the session model's slowdown).
    let held: f64 = arrivals
        .split("offered chats per hour × ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no demand line: {arrivals}"));
    assert!((6.0..15.0).contains(&held), "{held}");
    assert!(arrivals.contains("chat slots (concurrent chats)"));
    let queue = std::fs::read_to_string(out_dir.join("queue.svg")).unwrap();
    assert!(queue.contains("nobody on shift"));
    assert!(queue.contains("offline messages waiting for an agent"));
    // The percentile axis spreads the tail: p90, p99 and p99.9 one unit apart.
    let frt = std::fs::read_to_string(out_dir.join("frt_distribution.svg")).unwrap();
    let ticks: Vec<&str> = frt
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('p') && l[1..].chars().all(|c| c.is_ascii_digit() || c == '.'))
        .collect();
    assert_eq!(ticks, ["p0", "p90", "p99", "p99.9"], "{frt}");
    let _ = std::fs::remove_dir_all(&dir);
}
