//! The progress display of long runs, on stderr: a live line on a terminal,
//! plain periodic status lines otherwise (CI logs). It only reads the
//! counters the workers update; it never changes a result.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::cli::ProgressMode;
use crate::replicate::Progress;
use crate::scenario::Scenario;
use crate::time::DAY_MS;

/// Runs `work` with a progress display as `mode` asks.
pub fn with_progress<T: Send>(
    mode: ProgressMode,
    scenario: &Scenario,
    work: impl FnOnce(&Progress) -> T + Send,
) -> T {
    let progress = Progress::default();
    let terminal = std::io::stderr().is_terminal();
    // Seconds between status lines when stderr is not a terminal.
    let plain_every = match mode {
        ProgressMode::Never => return work(&progress),
        ProgressMode::Auto => 10.0,
        ProgressMode::Always => 2.0,
    };
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut last_plain = 0.0;
            let mut last_line = String::new();
            let mut shown = false;
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let t = started.elapsed().as_secs_f64();
                if terminal && t > 0.5 {
                    eprint!("\r\x1b[K{}", status(&progress, scenario, t));
                    shown = true;
                } else if !terminal && t - last_plain >= plain_every {
                    last_plain = t;
                    last_line = status(&progress, scenario, t);
                    eprintln!("progress: {last_line}");
                }
            }
            if shown {
                eprint!("\r\x1b[K");
            }
            // The final state, unless the last periodic line already said it.
            let last = status(&progress, scenario, started.elapsed().as_secs_f64());
            if !terminal && mode == ProgressMode::Always && last != last_line {
                eprintln!("progress: {last}");
            }
            let _ = std::io::stderr().flush();
        });
        let result = work(&progress);
        stop.store(true, Ordering::Relaxed);
        result
    })
}

/// One status line: replications, simulated time, speed, elapsed.
fn status(p: &Progress, sc: &Scenario, elapsed_s: f64) -> String {
    let reps = sc.run.replications;
    let done = p.replications_done.load(Ordering::Relaxed);
    let sim = p.simulated_ms.load(Ordering::Relaxed) as f64;
    let total = sc.run.duration as f64 * f64::from(reps);
    let frac = (sim / total).clamp(0.0, 1.0);
    let width = 24;
    let filled = (frac * width as f64).round() as usize;
    let events = p.events.load(Ordering::Relaxed) as f64;
    format!(
        "[{}{}] {:>3.0}% · replications {done}/{reps} · simulated {:.1} of {:.1} days · {:.2} M events/s · {:.0} s",
        "#".repeat(filled),
        "-".repeat(width - filled),
        frac * 100.0,
        sim / DAY_MS as f64,
        total / DAY_MS as f64,
        events / elapsed_s.max(1e-9) / 1e6,
        elapsed_s
    )
}
