//! Issue 18: `kefusim live` against a running routing service (`kefusim
//! serve`, sometimes made slow with `--delay`). Only 127.0.0.1 is ever
//! contacted.
//!
//! A test binary of its own: these tests run on the wall clock, so they
//! run after the main suite (cargo runs test binaries one after another)
//! and one at a time (`support::exclusive`), with the cores to themselves.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use kefusim::replicate::{LiveFigures, Summary};

#[allow(dead_code)]
#[path = "../it/support.rs"]
mod support;

use support::{Served, kefusim, repo, text};

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kefusim-live-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `kefusim live SCENARIO --router URL ARGS --out DIR --progress never`.
fn live(scenario: &str, url: &str, args: &[&str], out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kefusim"))
        .args(["live", scenario, "--router", url, "--progress", "never"])
        .args(args)
        .args(["--out", out.to_str().unwrap()])
        .current_dir(repo(""))
        .output()
        .expect("binary runs")
}

fn results(dir: &Path) -> (Summary, LiveFigures) {
    let s = kefusim::report::load_summary(dir).expect("results load");
    let l = s.live.clone().expect("a live section");
    (s, l)
}

fn mean_ci(s: &Summary, name: &str) -> (f64, f64) {
    let m = s.metric(name).unwrap_or_else(|| panic!("no {name}"));
    (m.mean, m.ci95.unwrap_or(0.0))
}

/// Every event is exactly one of answered, timed out, errored, dropped,
/// unanswered at the end.
fn all_accounted(l: &LiveFigures) {
    assert_eq!(l.accounted(), l.events, "events not accounted for: {l:?}");
    assert!(l.events > 0);
}

/// Against `kefusim serve` at a speed that plays the quickstart's 26 hours
/// in about 40 s, the live run's customer-service levels agree with the
/// simulated-time run's within their confidence intervals (6 replications
/// each, the same seed), every event is accounted for, and the latency is
/// that of loopback.
#[test]
fn a_live_run_agrees_with_the_simulated_run_on_the_quickstart() {
    let _cores = support::exclusive();
    let served = Served::start("scenarios/quickstart.toml");
    let (live_dir, sim_dir) = (tmp("agree-live"), tmp("agree-sim"));
    let out = live(
        "scenarios/quickstart.toml",
        &served.url,
        &["--speed", "2400", "--replications", "6"],
        &live_dir,
    );
    // Exit 5 if the machine is so busy that the latency threshold is
    // missed: the threshold is judged either way (below).
    assert!(
        matches!(out.status.code(), Some(0 | 5)),
        "{}",
        text(&out.stderr)
    );
    let sim = kefusim(&[
        "run",
        "scenarios/quickstart.toml",
        "--replications",
        "6",
        "--progress",
        "never",
        "--out",
        sim_dir.to_str().unwrap(),
    ]);
    assert_eq!(sim.status.code(), Some(0), "{}", text(&sim.stderr));
    let (l, figures) = results(&live_dir);
    let s = kefusim::report::load_summary(&sim_dir).unwrap();
    eprintln!(
        "live quickstart at 2400×: latency p50 {:?} p99 {:?} max {:?} ms; service p99 {:?} ms; sender lag p99 {:?} ms; {} events, {:.0} requests/s; {} late decisions",
        figures.latency_ms.p50,
        figures.latency_ms.p99,
        figures.latency_ms.max,
        figures.service_ms.p99,
        figures.sender_lag_ms.p99,
        figures.events,
        figures.requests_per_s,
        figures.late_decisions
    );
    for metric in [
        "answered_within_120s_over_offered",
        "abandon_rate",
        "occupancy",
        "jain_occupancy",
        "offered",
    ] {
        let (a, ha) = mean_ci(&l, metric);
        let (b, hb) = mean_ci(&s, metric);
        eprintln!("{metric:<36} live {a:.4} ± {ha:.4}  simulated {b:.4} ± {hb:.4}");
        assert!(
            (a - b).abs() <= ha + hb,
            "{metric}: live {a} ± {ha} and simulated {b} ± {hb} do not overlap (latency p99 {:?} ms, sender lag p99 {:?} ms)",
            figures.latency_ms.p99,
            figures.sender_lag_ms.p99
        );
    }
    all_accounted(&figures);
    assert_eq!(figures.timeouts + figures.errors + figures.dropped(), 0);
    let p50 = figures.latency_ms.p50.unwrap();
    assert!(p50 > 0.0 && p50 < 50.0, "loopback latency p50 {p50} ms");
    // The live run's own figures and thresholds are in every output.
    let csv = std::fs::read_to_string(live_dir.join("live.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 96);
    assert!(live_dir.join("live.svg").exists());
    let html = std::fs::read_to_string(live_dir.join("report.html")).unwrap();
    assert!(html.contains("Routing service under load"));
    assert!(html.contains("decision latency from intended send time"));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("router.latency_p99_ms < 50"), "{stdout}");
    assert!(stdout.contains("PASS router.timeouts == 0"), "{stdout}");
    // A simulated-time run does not judge the service's figures.
    assert!(!text(&sim.stdout).contains("router.latency"));
    let _ = std::fs::remove_dir_all(&live_dir);
    let _ = std::fs::remove_dir_all(&sim_dir);
}

/// A service that takes 15 ms per decision, played at 1200× (12 s: the
/// 2 h warm-up and the first 2 h of the day): its requests
/// queue behind each other, and the latency measured from the intended
/// send times shows it (far above the service's own 15 ms), while the
/// harness itself keeps to its schedule; buyers wait longer and leave more
/// often than with a fast service; decisions that arrive after the buyer
/// left are refused and counted; and every event is accounted for.
#[test]
fn a_slow_service_shows_in_latency_waits_and_late_decisions() {
    let _cores = support::exclusive();
    let fast = Served::start("scenarios/quickstart.toml");
    let slow = Served::start_with("scenarios/quickstart.toml", &["--delay", "15ms"]);
    let (fast_dir, slow_dir) = (tmp("fast"), tmp("slow"));
    let args = [
        "--speed",
        "1200",
        "--duration",
        "12s",
        "--replications",
        "2",
    ];
    std::thread::scope(|s| {
        let a = s.spawn(|| live("scenarios/quickstart.toml", &fast.url, &args, &fast_dir));
        let b = s.spawn(|| live("scenarios/quickstart.toml", &slow.url, &args, &slow_dir));
        for out in [a.join().unwrap(), b.join().unwrap()] {
            // Thresholds are missed (exit 5) or met (0): either way the
            // results are written.
            assert!(
                matches!(out.status.code(), Some(0 | 5)),
                "{}",
                text(&out.stderr)
            );
        }
    });
    let (f, fl) = results(&fast_dir);
    let (s, sl) = results(&slow_dir);
    for (name, l) in [("fast", &fl), ("slow", &sl)] {
        eprintln!(
            "{name}: latency p99 {:?} ms, service p50 {:?} ms, lag p99 {:?} ms, {} events, {} late",
            l.latency_ms.p99, l.service_ms.p50, l.sender_lag_ms.p99, l.events, l.late_decisions
        );
    }
    assert_eq!(sl.interrupted.as_deref(), Some("stopped at --duration"));
    let (latency, service) = (sl.latency_ms.p99.unwrap(), sl.service_ms.p50.unwrap());
    assert!(service >= 15.0, "the service's own time {service} ms");
    assert!(
        latency > 10.0 * service,
        "latency from intended send time p99 {latency} ms should show the queue behind a {service} ms service"
    );
    let lag = sl.sender_lag_ms.p99.unwrap();
    assert!(lag < 100.0, "the harness fell behind: lag p99 {lag} ms");
    for metric in ["mean_wait_all_s", "abandon_rate"] {
        let (a, b) = (mean_ci(&s, metric).0, mean_ci(&f, metric).0);
        assert!(a > b, "{metric}: slow {a} should exceed fast {b}");
    }
    assert!(
        sl.late_decisions > 0,
        "late decisions are refused and counted"
    );
    assert!(sl.late_decisions <= sl.refused);
    all_accounted(&fl);
    all_accounted(&sl);
    let _ = std::fs::remove_dir_all(&fast_dir);
    let _ = std::fs::remove_dir_all(&slow_dir);
}

/// With a backlog bound of 20 requests per session and a slow service,
/// the harness keeps sending on schedule, drops what does not fit (counted
/// as `backlog_full`; those chats get the fallback), and still accounts
/// for every event; with decisions by callback the same holds.
#[test]
fn overload_drops_are_counted_and_every_event_is_accounted_for() {
    let _cores = support::exclusive();
    let served = Served::start_with("scenarios/quickstart.toml", &["--delay", "5ms"]);
    for decisions in ["response", "callback"] {
        let dir = tmp(&format!("overload-{decisions}"));
        let out = live(
            "scenarios/quickstart.toml",
            &served.url,
            &[
                "--speed",
                "3000",
                "--duration",
                "6s",
                "--replications",
                "1",
                "--max-in-flight",
                "20",
                "--decisions",
                decisions,
            ],
            &dir,
        );
        assert!(
            matches!(out.status.code(), Some(0 | 5)),
            "{}",
            text(&out.stderr)
        );
        let (_, l) = results(&dir);
        eprintln!(
            "{decisions}: {} events, {} answered, dropped {:?}, {} unanswered at the end",
            l.events, l.answered, l.dropped_by_harness, l.unanswered_at_end
        );
        assert_eq!(l.decisions, decisions);
        let full = l
            .dropped_by_harness
            .iter()
            .find(|(k, _)| k == "backlog_full")
            .map_or(0, |(_, n)| *n);
        assert!(full > 0, "the backlog bound drops events");
        assert!(l.answered > 0);
        all_accounted(&l);
        let json = std::fs::read_to_string(dir.join("summary.json")).unwrap();
        assert!(json.contains("\"dropped_by_harness\""));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Safe by default: a service that is not on this machine needs
/// --allow-remote (nothing is sent); so does a callback endpoint that is
/// not loopback; a live run needs a service; a service that is not there
/// is exit code 7 before anything is written.
#[test]
fn live_is_safe_by_default_and_fails_clearly() {
    // Usage errors (exit 2), each with what the message must name.
    let refused: [(&[&str], &str); 4] = [
        (&["--router", "http://10.11.12.13:7878"], "--allow-remote"),
        (&[], "needs a routing service"),
        (
            &[
                "--router",
                "http://127.0.0.1:9",
                "--decisions",
                "callback",
                "--callback-listen",
                "0.0.0.0:0",
            ],
            "loopback",
        ),
        (
            &["--router", "http://127.0.0.1:9", "--speed", "0"],
            "--speed must be within",
        ),
    ];
    for (flags, needle) in refused {
        let mut args = vec!["live", "scenarios/quickstart.toml"];
        args.extend_from_slice(flags);
        let out = kefusim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let dir = tmp("down");
    let out = live("scenarios/quickstart.toml", "http://127.0.0.1:9", &[], &dir);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(!dir.exists(), "nothing is written");
}

/// Ctrl-C stops sending, waits for the answers in flight, writes complete
/// results marked as interrupted, and exits with 130.
#[test]
fn ctrl_c_writes_results_marked_as_interrupted() {
    let _cores = support::exclusive();
    let served = Served::start("scenarios/quickstart.toml");
    let dir = tmp("interrupted");
    let child = Command::new(env!("CARGO_BIN_EXE_kefusim"))
        .args(["live", "scenarios/quickstart.toml", "--router", &served.url])
        .args([
            "--speed",
            "600",
            "--replications",
            "2",
            "--progress",
            "never",
        ])
        .args(["--out", dir.to_str().unwrap()])
        .current_dir(repo(""))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    // SAFETY: a signal to our own child process, which is still running.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0, "SIGINT sent");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let (_, l) = results(&dir);
    assert_eq!(l.interrupted.as_deref(), Some("interrupted (Ctrl-C)"));
    all_accounted(&l);
    assert!(text(&out.stdout).contains("LIVE RUN INTERRUPTED (CTRL-C)"));
    let _ = std::fs::remove_dir_all(&dir);
}
