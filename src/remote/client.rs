//! The client side: a [`Dispatcher`] that asks a routing service over HTTP.
//!
//! Blocking (ureq, keep-alive): each notice is one request, answered
//! before the engine goes on. A request that gets no answer in time, a
//! status ≥ 400 or an answer that is not the protocol's JSON is counted
//! ([`RemoteRouter::timeouts`], [`RemoteRouter::errors`]) and its event
//! goes to the fallback (a chat that needs an agent waits in its queue). A
//! service that cannot be reached is kept as the error
//! ([`RemoteRouter::error`]); from then on the dispatcher answers nothing
//! and the caller stops the replication.

use std::time::Duration;

use super::{Answer, Change, ErrorBody, EventsRef, Health, PROTOCOL, Welcome, hello};
use crate::routing::{Class, Command, Commands, Ctx, Dispatcher, Notice};
use crate::scenario::Scenario;

/// A routing service to use instead of the built-in router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Base URL, e.g. `http://127.0.0.1:8080` (the `/v1/…` paths are appended).
    pub url: String,
    /// Longest wait for one answer.
    pub timeout: Duration,
    /// When the service goes down mid-run, answer every later event with
    /// the fallback instead of failing.
    pub finish_if_down: bool,
}

/// What went wrong with the routing service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("routing service {url}: {message}")]
pub struct RouterError {
    /// The service.
    pub url: String,
    /// What happened.
    pub message: String,
}

impl Service {
    /// The service a scenario names (`[routing] service` or `--router`).
    pub fn of(spec: &crate::scenario::ServiceSpec) -> Self {
        Self {
            url: spec.url.clone(),
            timeout: Duration::from_millis(spec.timeout_ms),
            finish_if_down: spec.finish_if_down,
        }
    }
}

/// Steps `engine` to its end, or until its service fails (that failure).
pub fn drive(engine: &mut crate::engine::Engine<'_, RemoteRouter>) -> Result<(), RouterError> {
    while engine.step().is_some() {
        if engine.dispatcher().error().is_some() {
            break;
        }
    }
    engine
        .dispatcher()
        .error()
        .map_or(Ok(()), |e| Err(e.clone()))
}

fn agent(timeout: Duration) -> ureq::Agent {
    // Timeouts on connecting and on each read and write of the socket, not
    // on the call: a call timeout also bounds name resolution, which ureq
    // then does on a thread of its own for every request; its per-phase
    // timeouts do not apply to a reused connection.
    ureq::Agent::config_builder()
        .timeout_connect(Some(timeout))
        .timeout_per_read(Some(timeout))
        .timeout_per_write(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into()
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    /// No answer within the timeout: the fallback handles the event.
    Timeout(String),
    /// An error status or an answer not in the protocol: the fallback
    /// handles the event.
    Error(String),
    /// The service cannot be reached (refused, reset, closed): the run stops.
    Down(String),
}

impl Failure {
    fn message(self) -> String {
        match self {
            Failure::Timeout(m) | Failure::Error(m) | Failure::Down(m) => m,
        }
    }
}

/// Reads an answer: the body as `T` for a 2xx status, else the failure.
fn answer<T: serde::de::DeserializeOwned>(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    what: &str,
) -> Result<T, Failure> {
    let timed_out = |e: &ureq::Error| match e {
        ureq::Error::Timeout(_) => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
        ),
        _ => false,
    };
    let mut response = result.map_err(|e| match e {
        e if timed_out(&e) => Failure::Timeout(format!("{what}: no answer in time")),
        ureq::Error::StatusCode(s) => Failure::Error(format!("{what}: HTTP {s}")),
        e => Failure::Down(format!("{what}: {e}")),
    })?;
    let status = response.status();
    let body = response.body_mut().read_to_vec().map_err(|e| match e {
        e if timed_out(&e) => Failure::Timeout(format!("{what}: no answer in time")),
        e => Failure::Down(format!("{what}: reading the answer: {e}")),
    })?;
    if !status.is_success() {
        let detail = serde_json::from_slice::<ErrorBody>(&body)
            .map(|b| b.error)
            .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(300).collect());
        return Err(Failure::Error(format!("{what}: HTTP {status}: {detail}")));
    }
    serde_json::from_slice(&body)
        .map_err(|e| Failure::Error(format!("{what}: the answer is not valid: {e}")))
}

/// Asks the service whether it is up and speaks the protocol; returns
/// whether its sessions are independent.
pub fn check_service(service: &Service) -> Result<bool, RouterError> {
    let err = |message: String| RouterError {
        url: service.url.clone(),
        message,
    };
    let health: Health = answer(
        agent(service.timeout)
            .get(format!("{}/v1/health", service.url))
            .call(),
        "GET /v1/health",
    )
    .map_err(|f| err(f.message()))?;
    if health.protocol != PROTOCOL {
        return Err(err(format!(
            "it speaks `{}`, kefusim speaks `{PROTOCOL}`",
            health.protocol
        )));
    }
    Ok(health.independent_sessions)
}

/// What the engine does for an event a routing service did not answer
/// (no answer in time, an error, or not sent at all): a chat that needs an
/// agent waits in its queue; a due transfer stays; other events need nothing.
pub fn fallback(notice: Notice, tiers: u8) -> Option<Command> {
    match notice {
        Notice::Arrived(info) | Notice::Rerouted(info) => Some(Command::Wait {
            chat: info.chat,
            queue: info.queue,
            class: Class::of_tier(info.tier, tiers),
        }),
        Notice::TransferDue { chat, group, .. } => Some(Command::Transfer {
            chat,
            to: None,
            group,
        }),
        _ => None,
    }
}

/// A [`Dispatcher`] backed by a routing service: one session per replication.
pub struct RemoteRouter {
    agent: ureq::Agent,
    url: String,
    session_url: String,
    events_url: String,
    changes: Vec<Change>,
    body: Vec<u8>,
    error: Option<RouterError>,
    requests: u64,
    timeouts: u64,
    errors: u64,
    /// Failed requests in a row (reset by an answer).
    failing: u32,
    tiers: u8,
    finish_if_down: bool,
    /// When and why the service went down, if the run finishes on the fallback.
    down: Option<String>,
}

/// Failed requests in a row after which the service counts as down.
pub const MAX_FAILURES_IN_A_ROW: u32 = 20;

impl RemoteRouter {
    /// Opens a session for replication `replication` of `sc`.
    pub fn connect(
        service: &Service,
        sc: &Scenario,
        replication: u32,
    ) -> Result<Self, RouterError> {
        let agent = agent(service.timeout);
        let welcome: Welcome = answer(
            agent
                .post(format!("{}/v1/sessions", service.url))
                .send_json(hello(sc, replication)),
            "POST /v1/sessions",
        )
        .map_err(|f| RouterError {
            url: service.url.clone(),
            message: f.message(),
        })?;
        let session_url = format!("{}/v1/sessions/{}", service.url, welcome.session);
        Ok(Self {
            agent,
            url: service.url.clone(),
            events_url: format!("{session_url}/events"),
            session_url,
            changes: Vec::new(),
            body: Vec::with_capacity(1024),
            error: None,
            requests: 0,
            timeouts: 0,
            errors: 0,
            failing: 0,
            finish_if_down: service.finish_if_down,
            down: None,
            tiers: sc.buyers.vip_tiers.len() as u8,
        })
    }

    /// The first failure, if any (the replication must stop).
    pub fn error(&self) -> Option<&RouterError> {
        self.error.as_ref()
    }

    /// When and why the service went down, if the replication finished on
    /// the fallback.
    pub fn down(&self) -> Option<&str> {
        self.down.as_deref()
    }

    /// Requests sent.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Requests that got no answer in time (their events went to the fallback).
    pub fn timeouts(&self) -> u64 {
        self.timeouts
    }

    /// Requests answered with an error or not in the protocol (their
    /// events went to the fallback).
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// What the engine does for an event the service did not answer: a
    /// chat that needs an agent waits in its queue; a due transfer stays.
    fn fallback(&self, notice: Notice, out: &mut Commands<'_>) {
        if let Some(c) = fallback(notice, self.tiers) {
            out.push(c);
        }
    }

    /// Something that ends the session when called (best effort: the
    /// results do not depend on it).
    pub fn closer(&self) -> impl FnOnce() + use<> {
        let (agent, url) = (self.agent.clone(), self.session_url.clone());
        move || {
            let _ = agent.delete(&url).call();
        }
    }

    fn exchange(&mut self, notice: Notice, now: u64) -> Result<Answer, Failure> {
        self.body.clear();
        serde_json::to_writer(
            &mut self.body,
            &EventsRef {
                seq: self.requests + 1,
                now,
                changes: &self.changes,
                events: [notice],
            },
        )
        .map_err(|e| Failure::Error(e.to_string()))?;
        self.requests += 1;
        answer(
            self.agent
                .post(&self.events_url)
                .header("content-type", "application/json")
                .send(&self.body[..]),
            "POST /v1/sessions/…/events",
        )
    }
}

impl Dispatcher for RemoteRouter {
    fn on(&mut self, notice: Notice, ctx: &mut Ctx<'_>, out: &mut Commands<'_>) -> bool {
        if self.error.is_some() {
            return false;
        }
        if self.down.is_some() {
            self.fallback(notice, out);
            return false;
        }
        self.changes.clear();
        let changes = &mut self.changes;
        ctx.changes(|agent, status| {
            changes.push(Change {
                agent,
                status: status.clone(),
            })
        });
        let result = self.exchange(notice, ctx.now());
        if result.is_ok() {
            self.failing = 0;
        } else {
            self.failing += 1;
        }
        let result = match result {
            Err(Failure::Timeout(m) | Failure::Error(m))
                if self.failing >= MAX_FAILURES_IN_A_ROW =>
            {
                Err(Failure::Down(format!(
                    "{MAX_FAILURES_IN_A_ROW} requests in a row failed; the last: {m}"
                )))
            }
            r => r,
        };
        match result {
            Ok(a) => {
                for c in a.commands {
                    out.push(c);
                }
                a.more
            }
            Err(Failure::Timeout(_)) => {
                self.timeouts += 1;
                self.fallback(notice, out);
                false
            }
            Err(Failure::Error(_)) => {
                self.errors += 1;
                self.fallback(notice, out);
                false
            }
            Err(Failure::Down(message)) if self.finish_if_down => {
                self.down = Some(format!("at simulated {} ms: {message}", ctx.now()));
                self.fallback(notice, out);
                false
            }
            Err(Failure::Down(message)) => {
                self.error = Some(RouterError {
                    url: self.url.clone(),
                    message: format!("at simulated {} ms: {message}", ctx.now()),
                });
                false
            }
        }
    }
}
