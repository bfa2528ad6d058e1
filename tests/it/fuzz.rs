//! Fuzz targets (issue 11), on stable Rust and with no extra crate: a small
//! deterministic mutation fuzzer. Each target first replays its corpus
//! (`tests/fuzz/corpus/<target>/`: every input that ever failed, kept as a
//! regression test), then mutates seeds for a time budget:
//! `KEFUSIM_FUZZ_SECONDS` per target (3 by default; `.ci/run` gives 60).
//!
//! - `check`: scenario text → validation. Never a panic; an invalid file
//!   gets a message of bounded size.
//! - `run`: a mutated scenario that validates → one replication through the
//!   stepping API (capped in events). Never a panic; the counts add up.
//! - `results`: a run's saved results with one file damaged → `report` and
//!   `compare`. Never a panic; a load that succeeds renders.
//!
//! A failing input is written to `target/fuzz-failures/` and named in the
//! failure; to keep it, move it into the corpus. Iterations are numbered
//! and every mutation is drawn from a generator seeded by the target and
//! the iteration, so a failure can be replayed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kefusim::engine::Engine;
use kefusim::scenario::Scenario;

use crate::support::repo;

/// splitmix64: a small, portable generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn budget() -> Duration {
    let s = std::env::var("KEFUSIM_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(3.0);
    Duration::from_secs_f64(s.max(0.0))
}

/// Every file of a corpus directory, by name.
fn corpus(target: &str) -> Vec<(String, String)> {
    let dir = repo(&format!("tests/fuzz/corpus/{target}"));
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(e.path()).expect("corpus files are UTF-8"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The shipped scenarios: seeds for mutation, and their lines a dictionary.
fn seeds() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["scenarios", "scenarios/validation", "scenarios/bench"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(repo(dir))
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        out.extend(files.iter().map(|p| std::fs::read_to_string(p).unwrap()));
    }
    out
}

/// Values that have broken parsers before, or might.
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "50",
    "51",
    "0.5",
    "1e308",
    "-1e308",
    "1e-308",
    "nan",
    "inf",
    "-0",
    "99999999999",
    "18446744073709551616",
    "0.000001",
    "1e7",
    "3.5",
];
const STRINGS: &[&str] = &[
    "",
    "x",
    "0s",
    "1ms",
    "99999d",
    "-1m",
    "1h30m",
    "24:00",
    "23:59",
    "+9:+5",
    "00:00",
    "2026-13-01T00:00+08:00",
    "2026-11-11T00:00+-8:00",
    "+999-01-01T00:00Z",
    "mon-fri",
    "constant",
    "exponential",
    "lognormal",
    "uniform",
    "geometric",
    "least_active",
    "taskrouter",
    "omni_channel",
    "chatwoot_v1",
    "reroute",
    "stuck",
    "lifo",
    "main_account",
    "offline_message",
    "dialogue",
    "session",
    "😀",
    "a,b",
];
const FRAGMENTS: &[&str] = &[
    "[",
    "]]",
    "=",
    "\"",
    "{",
    "}",
    "\n[[agents]]\n",
    "\n[[groups]]\nname = \"x\"\n",
    ",",
    "#",
    "\n[routing]\n",
    "\n[plan]\n",
    "\n[thresholds]\nrequire = [\"abandon_rate < 1%\"]\n",
];

/// One to four mutations of `text`.
fn mutate(text: &str, dictionary: &[&str], rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for _ in 0..=rng.below(4) {
        if lines.is_empty() {
            lines.push(rng.pick(dictionary).to_string());
            continue;
        }
        let i = rng.below(lines.len());
        match rng.below(9) {
            0 => {
                // A number replaced.
                let line = &lines[i];
                let digits: Vec<usize> = line
                    .char_indices()
                    .filter(|(_, c)| c.is_ascii_digit())
                    .map(|(k, _)| k)
                    .collect();
                if let Some(&at) = digits.get(rng.below(digits.len())) {
                    let end = line[at..]
                        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                        .map_or(line.len(), |e| at + e);
                    lines[i] = format!("{}{}{}", &line[..at], rng.pick(NUMBERS), &line[end..]);
                }
            }
            1 => {
                // A quoted string replaced.
                let line = lines[i].clone();
                let quotes: Vec<usize> = line.match_indices('"').map(|(k, _)| k).collect();
                if quotes.len() >= 2 {
                    let k = rng.below(quotes.len() / 2) * 2;
                    let (a, b) = (quotes[k], quotes[k + 1]);
                    lines[i] = format!("{}\"{}\"{}", &line[..a], rng.pick(STRINGS), &line[b + 1..]);
                }
            }
            2 => {
                lines.remove(i);
            }
            3 => {
                let copy = lines[i].clone();
                lines.insert(i, copy);
            }
            4 => {
                let j = rng.below(lines.len());
                lines.swap(i, j);
            }
            5 => lines.insert(i, rng.pick(dictionary).to_string()),
            6 => {
                let mut line = lines[i].clone();
                let cut = rng.below(line.len() + 1);
                let cut = (0..=cut)
                    .rev()
                    .find(|&c| line.is_char_boundary(c))
                    .unwrap_or(0);
                line.truncate(cut);
                lines[i] = line;
            }
            7 => {
                let line = lines[i].clone();
                let at = rng.below(line.len() + 1);
                let at = (0..=at)
                    .rev()
                    .find(|&c| line.is_char_boundary(c))
                    .unwrap_or(0);
                lines[i] = format!("{}{}{}", &line[..at], rng.pick(FRAGMENTS), &line[at..]);
            }
            _ => {
                lines.truncate(i);
            }
        }
    }
    lines.join("\n") + "\n"
}

/// Runs `f` on `input`; a panic is saved and reported with the input's file.
fn guard(target: &str, label: &str, input: &str, f: impl FnOnce()) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        let dir = repo("target/fuzz-failures");
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("{target}-{label}.txt"));
        let _ = std::fs::write(&path, input);
        format!(
            "{target} {label}: {why} (input saved as {})",
            path.display()
        )
    })
}

/// Fuzzes `target` over its corpus, then over mutations of `seeds` for the budget.
fn fuzz(target: &str, seeds: &[String], check: impl Fn(&str)) {
    let dictionary: Vec<&str> = seeds.iter().flat_map(|s| s.lines()).collect();
    let mut failures = Vec::new();
    let corpus = corpus(target);
    for (name, input) in &corpus {
        if let Err(e) = guard(target, name, input, || check(input)) {
            failures.push(e);
        }
    }
    let (started, budget) = (Instant::now(), budget());
    let mut tried = 0u64;
    let key = target
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    while started.elapsed() < budget && failures.len() < 5 {
        let mut rng = Rng(key ^ tried.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let seed = rng.pick(seeds);
        let input = mutate(seed, &dictionary, &mut rng);
        if let Err(e) = guard(target, &format!("iteration-{tried}"), &input, || {
            check(&input)
        }) {
            failures.push(e);
        }
        tried += 1;
    }
    eprintln!(
        "fuzz {target}: {} corpus inputs and {tried} mutated inputs in {:.1} s, {} failures",
        corpus.len(),
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fuzz_check() {
    fuzz("check", &seeds(), |text| {
        if let Err(e) = Scenario::from_toml(text, "fuzz.toml", "fuzz") {
            let shown = e.to_string();
            assert!(!shown.is_empty());
            assert!(
                shown.len() < 50_000 + text.len() / 10,
                "{} bytes of errors for {} bytes of input",
                shown.len(),
                text.len()
            );
        }
    });
}

#[test]
fn fuzz_run() {
    let mut seeds = seeds();
    seeds.extend(corpus("run").into_iter().map(|(_, text)| text));
    fuzz("run", &seeds, |text| {
        let Ok(sc) = Scenario::from_toml(text, "fuzz.toml", "fuzz") else {
            return;
        };
        let mut engine = Engine::new(&sc, 0);
        let mut steps = 0;
        while steps < 200_000 && engine.step().is_some() {
            steps += 1;
        }
        let result = engine.finish();
        let m = |name: &str| {
            result
                .scalars
                .iter()
                .find(|s| s.name == name)
                .map_or(0.0, |s| s.value)
        };
        assert!(m("answered") + m("abandoned") <= m("offered") + m("offline_answered") + 0.5);
        assert!(m("unfinished") <= m("offered"));
    });
}

/// A small run's saved files, as `run --out` writes them.
fn saved_results() -> Vec<(&'static str, String)> {
    let sc = Scenario::from_toml(
        "[run]\nstart = \"2026-11-11T00:00:00+08:00\"\nduration = \"2h\"\ninterval = \"30m\"\nreplications = 2\n\
         [arrivals]\nrate_per_hour = 60\n[buyers]\npatience = { dist = \"exponential\", mean = \"5m\" }\n\
         [service]\nduration = { dist = \"exponential\", mean = \"5m\" }\n[[agents]]\ncount = 3\nmax_concurrent = 2\n\
         [thresholds]\nrequire = [\"abandon_rate < 50%\"]\n",
        "small.toml",
        "small",
    )
    .unwrap();
    let summary = kefusim::replicate::run(&sc, Some(1)).unwrap();
    kefusim::report::output_files(&summary)
}

#[test]
fn fuzz_results() {
    let files = saved_results();
    let dir = std::env::temp_dir().join(format!("kefusim-fuzz-results-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let baseline = {
        for (name, text) in &files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        kefusim::report::load_summary(&dir).expect("the intact results load")
    };
    // Seeds: each file, tagged with its name on the first line.
    let seeds: Vec<String> = files
        .iter()
        .map(|(name, text)| format!("{name}\n{text}"))
        .collect();
    let write_set = |tagged: &str, dir: &Path| {
        let (name, text) = tagged.split_once('\n').unwrap_or((tagged, ""));
        for (n, t) in &files {
            let body = if *n == name { text } else { t.as_str() };
            std::fs::write(dir.join(n), body).unwrap();
        }
    };
    fuzz("results", &seeds, |tagged| {
        // Mutations may hit the tag line too: then a file is damaged by name.
        write_set(tagged, &dir);
        if let Ok(summary) = kefusim::report::load_summary(&dir) {
            let _ = kefusim::report::report_files(&summary, true);
            let c =
                kefusim::regress::compare::compare(&summary, &baseline, &Default::default(), false);
            let _ = kefusim::regress::compare::table(&c);
        }
        if let Ok(metrics) = kefusim::report::load_metrics(&dir.join("summary.json")) {
            let c =
                kefusim::regress::compare::compare(&metrics, &baseline, &Default::default(), true);
            let _ = kefusim::regress::compare::json(&c);
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
}
