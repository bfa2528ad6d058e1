//! `kefusim live`: the scenario played against a running routing service
//! (`crate::live`), then delivered like a run: the same files, summary,
//! thresholds and exit codes, plus the service's figures.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::{AppError, Delivery, deliver, overridden, progress};
use crate::cli::{Decisions, LiveArgs};
use crate::live::{LiveError, LiveOptions};
use crate::scenario::Scenario;

/// Fastest and slowest `--speed`.
const SPEEDS: std::ops::RangeInclusive<f64> = 0.01..=100_000.0;

pub(super) fn live(args: LiveArgs) -> Result<(), AppError> {
    let overrides = crate::cli::RunOverrides {
        seed: args.seed,
        replications: args.replications,
        threads: None,
        router: args.router.clone(),
        allow_remote: args.allow_remote,
        finish_on_fallback: args.finish_on_fallback,
    };
    let sc = overridden(Scenario::load(&args.scenario)?, &overrides)?;
    let Some(spec) = &sc.router else {
        return Err(AppError::Usage(
            "kefusim live needs a routing service to load-test: --router http://127.0.0.1:PORT (or [routing] service in the scenario); `kefusim serve SCENARIO` is one".to_string(),
        ));
    };
    if !spec.loopback {
        eprintln!(
            "kefusim live: --allow-remote: sending to {}, which is not on this machine",
            spec.url
        );
    }
    if !SPEEDS.contains(&args.speed) {
        return Err(AppError::Usage(format!(
            "--speed must be within 0.01..=100000 (simulated time per wall time), got {}",
            args.speed
        )));
    }
    let duration = match &args.duration {
        None => None,
        Some(d) => Some(
            crate::time::parse_duration(d)
                .ok()
                .filter(|&ms| ms >= 1)
                .map(std::time::Duration::from_millis)
                .ok_or_else(|| {
                    AppError::Usage(format!(
                        "--duration must be a wall-clock duration such as 90s or 5m; got `{d}`"
                    ))
                })?,
        ),
    };
    let callback = match args.decisions {
        Decisions::Response => None,
        Decisions::Callback => {
            if !args.callback_listen.ip().is_loopback() && !args.allow_remote {
                return Err(AppError::Usage(format!(
                    "--callback-listen {}: not a loopback address; the callback endpoint binds loopback only unless --allow-remote is given",
                    args.callback_listen
                )));
            }
            Some(args.callback_listen)
        }
    };
    let options = LiveOptions {
        speed: args.speed,
        duration,
        max_in_flight: args.max_in_flight as usize,
        callback,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let summary = progress::with_progress(args.progress, &sc, |p| {
        crate::live::run(&sc, &options, p, stop)
    })
    .map_err(|e| match e {
        LiveError::Router(e) => AppError::Router(e.to_string()),
        LiveError::Start(m) => AppError::Failed(m),
    })?;
    if let Some(l) = &summary.live {
        eprintln!(
            "live: {} events in {:.1} s wall time ({:.0} requests/s) at {}× speed",
            l.events, l.wall_s, l.requests_per_s, l.speed
        );
    }
    let interrupted = summary.live.as_ref().and_then(|l| l.interrupted.clone());
    let delivered = deliver(
        &summary,
        &Delivery {
            out: args.out.as_deref(),
            report: !args.no_report,
            format: args.format,
            strict: false,
        },
        None,
    );
    match (interrupted, delivered) {
        // An interrupted run's thresholds judge a part of it: the
        // interruption is what the exit code says.
        (Some(why), Ok(()) | Err(AppError::Thresholds(_))) if why.starts_with("interrupted") => {
            Err(AppError::Interrupted(format!(
                "the live run was {why}; the results written cover what was sent"
            )))
        }
        (_, delivered) => delivered,
    }
}
