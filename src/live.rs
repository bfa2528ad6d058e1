//! Live load (`kefusim live`): a scenario replayed in real time (or
//! `speed` times faster) against a running routing service, over the
//! routing protocol (`docs/protocol.md`).
//!
//! Each replication is one session and one pacer thread
//! (`live/pacer.rs`): the engine steps each event when the wall clock
//! reaches its due time, its notices go to a sender task on tokio that
//! posts them in order on a keep-alive connection, and the service's
//! decisions are applied when they arrive (in the response, or posted to
//! the callback endpoint, `live/callback.rs`). A slow service makes
//! buyers wait as it would in a shop. Latency is measured from each
//! request's intended send time (coordinated-omission free), the
//! sender's own lag separately, and every event is accounted for
//! (`live/tally.rs`). tokio is used here for real I/O only; the engine
//! never sees it.

mod callback;
mod http;
mod pacer;
mod tally;

pub(crate) use http::{Conn, split_url};

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::engine::Progress;
use crate::remote::{RouterError, Service, check_service};
use crate::replicate::{Merge, Summary};
use crate::scenario::Scenario;

/// How a live run goes.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Simulated time ÷ wall time (60: an hour in a minute).
    pub speed: f64,
    /// Stop after this much wall time (results for what was sent).
    pub duration: Option<Duration>,
    /// Requests a session may have waiting to be sent, its one in flight
    /// included; beyond that, events are dropped by the harness (counted).
    pub max_in_flight: usize,
    /// Asynchronous decisions: listen for the service's callbacks here
    /// (port 0: any free port). `None`: decisions come in the responses.
    pub callback: Option<SocketAddr>,
}

/// Why a live run could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The service cannot be reached or failed (exit code 7).
    #[error("{0}")]
    Router(#[from] RouterError),
    /// The runtime or the callback endpoint could not start (exit code 1).
    #[error("{0}")]
    Start(String),
}

/// Runs `scenario` live against its routing service (`scenario.router`)
/// and merges the replications; `stop` (set by Ctrl-C) ends it early with
/// complete results for what was sent, marked as interrupted.
pub fn run(
    scenario: &Scenario,
    options: &LiveOptions,
    progress: &Progress,
    stop: Arc<AtomicBool>,
) -> Result<Summary, LiveError> {
    let Some(spec) = &scenario.router else {
        return Err(LiveError::Start(
            "a live run needs a routing service: --router URL or [routing] service".to_string(),
        ));
    };
    let service = Service::of(spec);
    let independent = check_service(&service)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| LiveError::Start(format!("cannot start the I/O runtime: {e}")))?;
    let callbacks = match options.callback {
        Some(addr) => callback::Callbacks::start(&runtime, addr)
            .map_err(|e| LiveError::Start(format!("cannot listen for callbacks on {addr}: {e}")))?,
        None => callback::Callbacks::none(),
    };
    {
        let stop = stop.clone();
        runtime.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("kefusim live: interrupted; stopping, waiting for answers in flight");
                stop.store(true, Ordering::Relaxed);
            }
        });
    }
    let started = Instant::now();
    let setup = pacer::Setup {
        sc: scenario,
        service: &service,
        options,
        runtime: runtime.handle(),
        callbacks: &callbacks,
        progress,
        stop: &stop,
        started,
    };
    let reps = scenario.run.replications;
    // Independent sessions: every replication at once (each is mostly
    // asleep until its next event); otherwise one after another.
    let batch = if independent { MAX_AT_ONCE } else { 1 };
    let mut finished = Vec::with_capacity(reps as usize);
    let mut start = 0;
    while start < reps {
        let end = (start + batch).min(reps);
        let results: Vec<Result<pacer::Finished, RouterError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (start..end)
                .map(|r| {
                    let setup = &setup;
                    scope.spawn(move || {
                        let f = pacer::replication(setup, r);
                        progress.replications_done.fetch_add(1, Ordering::Relaxed);
                        f
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a live replication panicked"))
                .collect()
        });
        for f in results {
            finished.push(f?);
        }
        start = end;
    }
    let wall_s = started.elapsed().as_secs_f64();
    let mut merge = Merge::new(scenario);
    let mut tally = tally::Tally::new(scenario);
    let mut interrupted = None;
    for f in finished {
        tally.add(&f.tally);
        interrupted = interrupted.or(f.interrupted);
        merge.add(f.result, f.stats);
    }
    let mut summary = merge.finish();
    summary.live = Some(tally.figures(tally::LiveHead {
        speed: options.speed,
        decisions: if options.callback.is_some() {
            "callback"
        } else {
            "response"
        },
        wall_s,
        interrupted,
    }));
    // The thresholds on the service's own figures (`router.…`), after
    // the others.
    let live = crate::replicate::judge_live(&scenario.thresholds, &summary);
    summary.thresholds.extend(live);
    Ok(summary)
}

/// Most replications run live at once.
pub const MAX_AT_ONCE: u32 = 64;
