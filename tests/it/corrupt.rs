//! Saved results that were truncated, edited or damaged are refused with a
//! message naming the file (exit code 2), never rendered as if nothing were
//! wrong and never a panic (issue 11, defect 4).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kefusim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kefusim"))
        .args(args)
        .output()
        .expect("the binary runs")
}

const SMALL: &str = "[run]\nstart = \"2026-11-11T00:00:00+08:00\"\nduration = \"3h\"\ninterval = \"30m\"\n\
    replications = 2\n[arrivals]\nrate_per_hour = 60\n[buyers]\npatience = { dist = \"exponential\", mean = \"5m\" }\n\
    [service]\nduration = { dist = \"exponential\", mean = \"5m\" }\n[[agents]]\ncount = 3\nmax_concurrent = 2\n\
    [thresholds]\nrequire = [\"abandon_rate < 50%\"]\n\
    [compare]\nmetrics = [\"abandon_rate\"]\ntolerances = { abandon_rate = \"1%\" }\n";

fn results(root: &Path) -> PathBuf {
    std::fs::create_dir_all(root).unwrap();
    let sc = root.join("small.toml");
    std::fs::write(&sc, SMALL).unwrap();
    let out = root.join("good");
    let o = kefusim(&[
        "run",
        sc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-report",
        "--progress",
        "never",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

type Edit = fn(&str) -> String;

#[test]
fn damaged_results_are_refused_with_the_file_named() {
    let root = std::env::temp_dir().join(format!("kefusim-corrupt-{}", std::process::id()));
    let good = results(&root);
    let o = kefusim(&["report", good.to_str().unwrap()]);
    assert!(o.status.success(), "the intact results render");

    let cases: Vec<(&str, &str, Edit)> = vec![
        ("timeseries.csv", "truncated mid-line", |t| {
            t[..t.len() * 3 / 5].to_string()
        }),
        ("timeseries.csv", "last row dropped", |t| {
            let mut l: Vec<&str> = t.lines().collect();
            l.pop();
            l.join("\n") + "\n"
        }),
        ("timeseries.csv", "a row duplicated", |t| {
            let l: Vec<&str> = t.lines().collect();
            let mut out = l.clone();
            out.insert(2, l[2]);
            out.join("\n") + "\n"
        }),
        ("timeseries.csv", "rows swapped", |t| {
            let mut l: Vec<&str> = t.lines().collect();
            l.swap(1, 2);
            l.join("\n") + "\n"
        }),
        ("timeseries.csv", "a number replaced by text", |t| {
            t.replacen(",0.", ",x.", 1)
        }),
        ("timeseries.csv", "a column dropped from the header", |t| {
            t.replacen(",p_wait,", ",", 1)
        }),
        ("timeseries.csv", "a bad time", |t| {
            let mut l: Vec<String> = t.lines().map(String::from).collect();
            l[1] = l[1].replacen("2026", "20x6", 1);
            l.join("\n") + "\n"
        }),
        ("timeseries.csv", "empty", |_| String::new()),
        ("timeseries.csv", "header only", |t| {
            t.lines().next().unwrap().to_string() + "\n"
        }),
        ("timeseries.csv", "binary", |_| {
            "\u{0}\u{1}\u{fffd}garbage".to_string()
        }),
        ("agents.csv", "truncated mid-line", |t| {
            t[..t.len() - 7].to_string()
        }),
        ("agents.csv", "a number replaced by text", |t| {
            let mut l: Vec<String> = t.lines().map(String::from).collect();
            let fields: Vec<&str> = l[1].split(',').collect();
            let mut f: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
            f[5] = "many".into();
            l[1] = f.join(",");
            l.join("\n") + "\n"
        }),
        ("agents.csv", "a renamed column", |t| {
            t.replacen("occupancy", "occupation", 1)
        }),
        ("agents.csv", "empty", |_| String::new()),
        ("summary.json", "truncated", |t| {
            t[..t.len() / 2].to_string()
        }),
        ("summary.json", "replications as text", |t| {
            t.replacen("\"replications\": 2", "\"replications\": \"two\"", 1)
        }),
        ("summary.json", "a mean as text", |t| {
            t.replacen("\"mean\": ", "\"mean\": \"x\", \"was\": ", 1)
        }),
        ("summary.json", "no window", |t| {
            t.replacen("\"window\"", "\"windows\"", 1)
        }),
        ("summary.json", "a threshold that is no threshold", |t| {
            t.replacen("abandon_rate < 0.5", "abandon_rate ≈ 0.5", 1)
        }),
        ("summary.json", "a bad window end", |t| {
            t.replacen("T03:00:00", "T03:xx:00", 1)
        }),
        ("summary.json", "not JSON", |_| "{ nope".to_string()),
        ("summary.json", "a per-replication value as text", |t| {
            t.replacen("\"per_replication\": [", "\"per_replication\": [\"x\", ", 1)
        }),
        ("summary.json", "a per-replication value dropped", |t| {
            t.replacen(
                "\"per_replication\": [",
                "\"per_replication\": [], \"was\": [",
                1,
            )
        }),
        ("summary.json", "a gate's alpha out of range", |t| {
            t.replacen("\"alpha\": 0.05", "\"alpha\": 2.0", 1)
        }),
        ("summary.json", "a negative tolerance", |t| {
            t.replacen("\"relative\": 0.01", "\"relative\": -1", 1)
        }),
        ("summary.json", "gated metrics not a list", |t| {
            t.replacen("\"metrics\": [", "\"metrics\": 7, \"was\": [", 1)
        }),
    ];
    let mut refused = 0;
    for (n, (file, what, edit)) in cases.iter().enumerate() {
        let dir = root.join(format!("case{n}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["summary.json", "timeseries.csv", "agents.csv"] {
            std::fs::copy(good.join(f), dir.join(f)).unwrap();
        }
        let before = std::fs::read_to_string(dir.join(file)).unwrap();
        let after = edit(&before);
        assert_ne!(before, after, "{file}: {what}: the edit changed nothing");
        std::fs::write(dir.join(file), after).unwrap();
        let o = kefusim(&["report", dir.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{file} {what}: exit {:?}\n{err}",
            o.status.code()
        );
        assert!(
            err.contains(file),
            "{file} {what}: the message names the file:\n{err}"
        );
        assert!(
            !dir.join("report.html").exists(),
            "{file} {what}: nothing rendered"
        );
        if *file == "summary.json" {
            let o = kefusim(&["compare", dir.to_str().unwrap(), good.to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(2), "compare with {file} {what}");
        }
        refused += 1;
    }
    assert_eq!(refused, cases.len());
    let _ = std::fs::remove_dir_all(&root);
}

/// The names a complete set may drop from an earlier run are exactly
/// kefusim's outputs: a run's files are all among them.
#[test]
fn every_file_a_run_writes_is_a_known_output() {
    let root = std::env::temp_dir().join(format!("kefusim-names-{}", std::process::id()));
    let out = results(&root);
    let o = kefusim(&["report", out.to_str().unwrap()]);
    assert!(o.status.success());
    for e in std::fs::read_dir(&out).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(
            kefusim::report::OUTPUT_NAMES.contains(&name.as_str()),
            "{name}"
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}
