//! Shared helpers for the integration tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use kefusim::replicate::{self, Summary};
use kefusim::scenario::Scenario;
use kefusim::stats::t975;

/// Path of a file in the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Loads a shipped scenario.
pub fn load(path: &str) -> Scenario {
    Scenario::load(&repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Parses scenario text.
pub fn parse(toml: &str) -> Scenario {
    Scenario::from_toml(toml, "test.toml", "test").unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a scenario on the default pool.
pub fn run(scenario: &Scenario) -> Summary {
    replicate::run(scenario, None).expect("run")
}

/// Asserts that the simulated mean of `metric` agrees with `exact`: within
/// 3.3 standard errors (a 99.9% interval), and that the interval is narrow
/// enough (95% half-width at most `max_ci95`) for the comparison to mean something.
pub fn assert_agrees(summary: &Summary, metric: &str, exact: f64, max_ci95: f64) {
    let m = summary
        .metric(metric)
        .unwrap_or_else(|| panic!("no metric {metric}"));
    let h = m.ci95.expect("needs at least two replications");
    let se = h / t975(summary.replications as usize - 1);
    let z = (m.mean - exact) / se.max(1e-300);
    eprintln!(
        "{:<28} {metric:<44} sim {:.6} ± {:.6}  exact {exact:.6}  z {z:+.2}",
        summary.scenario, m.mean, h
    );
    assert!(
        h <= max_ci95,
        "{metric}: 95% half-width {h} wider than {max_ci95}: the check would be too weak"
    );
    assert!(
        z.abs() <= 3.3,
        "{metric}: simulated {} ± {h} vs exact {exact} (z = {z:.2})",
        m.mean
    );
}

/// Runs the kefusim binary in the repository with `args`.
pub fn kefusim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_kefusim"))
        .args(args)
        .current_dir(repo(""))
        .output()
        .expect("binary runs")
}

/// Bytes of an output stream as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A shop opening at 00:00 on Monday 9 Nov 2026 with 60 chats an hour of
/// `service` work each; `body` adds agents and rules.
pub fn shop(duration: &str, service: &str, body: &str) -> Summary {
    let text = format!(
        "[run]\nstart = \"2026-11-09T00:00:00+08:00\"\nduration = \"{duration}\"\ninterval = \"1h\"\n\
         [arrivals]\nrate_per_hour = 60\n\
         [service]\nduration = {{ dist = \"constant\", value = \"{service}\" }}\n{body}"
    );
    replicate::run(&parse(&text), Some(1)).unwrap()
}

/// The mean of metric `name` over the replications.
pub fn m(s: &Summary, name: &str) -> f64 {
    s.metric(name)
        .unwrap_or_else(|| panic!("no metric {name}"))
        .mean
}

/// Column `name` of the per-interval series.
pub fn col(s: &Summary, name: &str) -> Vec<f64> {
    let i = s.series.columns.iter().position(|c| c == name).unwrap();
    s.series.rows.iter().map(|r| r[i]).collect()
}

/// The `agents.csv` row of agent `name`.
pub fn agent<'a>(s: &'a Summary, name: &str) -> &'a kefusim::metrics::AgentRow {
    s.agents.iter().find(|a| a.agent == name).unwrap()
}

/// Held by tests that need the machine's cores to themselves for their
/// timing (a live run against a service, on the wall clock) or that load
/// them heavily (Chromium, a hundred killed runs): they take turns.
pub fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static CORES: std::sync::Mutex<()> = std::sync::Mutex::new(());
    CORES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running `kefusim serve` on a free loopback port.
pub struct Served {
    /// The `kefusim serve` process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Served {
    pub fn start(scenario: &str) -> Served {
        Served::start_with(scenario, &[])
    }

    /// `kefusim serve SCENARIO` with `extra` arguments (e.g. `--delay 20ms`).
    pub fn start_with(scenario: &str, extra: &[&str]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kefusim"))
            .args([
                "serve",
                scenario,
                "--listen",
                "127.0.0.1:0",
                "--idle-exit",
                "60s",
            ])
            .args(extra)
            .current_dir(repo(""))
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut line = String::new();
        BufReader::new(child.stderr.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let at = line.find("http://127.0.0.1:").expect(&line);
        let url = line[at..].split_whitespace().next().unwrap().to_string();
        Served { child, url }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
