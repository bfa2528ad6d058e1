//! Replications routed by a routing service (`[routing] service`,
//! `--router`): the same merge as the built-in router's, each replication
//! in a session of its own. The service is asked first whether it is up;
//! replications run one at a time unless it says its sessions are
//! independent. A request that fails goes to the fallback and is counted;
//! a replication whose service cannot be reached stops at once and the
//! run fails with it (nothing is merged or written).

use super::{Progress, RunError, chunks, in_pool};
use crate::engine::Engine;
use crate::engine::LoopStats;
use crate::metrics::RepResult;
use crate::remote::{RemoteRouter, RouterError, Service, check_service, drive};
use crate::scenario::{Scenario, ServiceSpec};

pub(super) fn run(
    scenario: &Scenario,
    spec: &ServiceSpec,
    threads: Option<usize>,
    progress: &Progress,
    reps: std::ops::Range<u32>,
    sink: &mut (dyn FnMut(RepResult, LoopStats) + Send),
) -> Result<(), RunError> {
    let service = Service::of(spec);
    let independent = check_service(&service)?;
    let threads = if independent { threads } else { Some(1) };
    let work = || {
        chunks(
            progress,
            reps,
            |r| {
                let router = RemoteRouter::connect(&service, scenario, r)?;
                let mut engine =
                    Engine::with_dispatcher(scenario, r, router).with_progress(Some(progress));
                drive(&mut engine)?;
                let close = engine.dispatcher().closer();
                let mut stats = engine.stats();
                stats.router_timeouts = engine.dispatcher().timeouts();
                stats.router_errors = engine.dispatcher().errors();
                let down = engine.dispatcher().down().map(str::to_string);
                let mut result = engine.finish();
                result.router_down = down;
                close();
                Ok::<_, RouterError>((result, stats))
            },
            sink,
        )
    };
    Ok(in_pool(threads, work)??)
}
