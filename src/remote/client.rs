//! The client side: a [`Dispatcher`] that asks a routing service over HTTP.
//!
//! Blocking (ureq, keep-alive): each notice is one request, answered
//! before the engine goes on. A failure — the service unreachable, a
//! timeout, a status ≥ 400, an answer that is not the protocol's JSON —
//! is kept ([`RemoteRouter::error`]); from then on the dispatcher answers
//! nothing and the caller stops the replication.

use std::time::Duration;

use super::{Answer, Change, ErrorBody, EventsRef, Health, PROTOCOL, Welcome, hello};
use crate::routing::{Commands, Ctx, Dispatcher, Notice};
use crate::scenario::Scenario;

/// A routing service to use instead of the built-in router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Base URL, e.g. `http://127.0.0.1:8080` (the `/v1/…` paths are appended).
    pub url: String,
    /// Longest wait for one answer.
    pub timeout: Duration,
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

fn agent(timeout: Duration) -> ureq::Agent {
    // Timeouts on each phase but name resolution: with a resolve timeout,
    // ureq resolves on a thread of its own for every request.
    ureq::Agent::config_builder()
        .timeout_connect(Some(timeout))
        .timeout_send_request(Some(timeout))
        .timeout_send_body(Some(timeout))
        .timeout_recv_response(Some(timeout))
        .timeout_recv_body(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into()
}

/// Reads an answer: the body as `T` for a 2xx status, else the error.
fn answer<T: serde::de::DeserializeOwned>(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    what: &str,
) -> Result<T, String> {
    let mut response = result.map_err(|e| match e {
        ureq::Error::Timeout(_) => format!("{what}: no answer in time"),
        e => format!("{what}: {e}"),
    })?;
    let status = response.status();
    let body = response
        .body_mut()
        .read_to_vec()
        .map_err(|e| format!("{what}: reading the answer: {e}"))?;
    if !status.is_success() {
        let detail = serde_json::from_slice::<ErrorBody>(&body)
            .map(|b| b.error)
            .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(300).collect());
        return Err(format!("{what}: HTTP {status}: {detail}"));
    }
    serde_json::from_slice(&body).map_err(|e| format!("{what}: the answer is not valid: {e}"))
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
    .map_err(err)?;
    if health.protocol != PROTOCOL {
        return Err(err(format!(
            "it speaks `{}`, kefusim speaks `{PROTOCOL}`",
            health.protocol
        )));
    }
    Ok(health.independent_sessions)
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
}

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
        .map_err(|message| RouterError {
            url: service.url.clone(),
            message,
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
        })
    }

    /// The first failure, if any (the replication must stop).
    pub fn error(&self) -> Option<&RouterError> {
        self.error.as_ref()
    }

    /// Requests sent.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Something that ends the session when called (best effort: the
    /// results do not depend on it).
    pub fn closer(&self) -> impl FnOnce() + use<> {
        let (agent, url) = (self.agent.clone(), self.session_url.clone());
        move || {
            let _ = agent.delete(&url).call();
        }
    }

    fn exchange(&mut self, notice: Notice, now: u64) -> Result<Answer, String> {
        self.body.clear();
        serde_json::to_writer(
            &mut self.body,
            &EventsRef {
                now,
                changes: &self.changes,
                events: [notice],
            },
        )
        .map_err(|e| e.to_string())?;
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
        self.changes.clear();
        let changes = &mut self.changes;
        ctx.changes(|agent, status| {
            changes.push(Change {
                agent,
                status: status.clone(),
            })
        });
        match self.exchange(notice, ctx.now()) {
            Ok(a) => {
                for c in a.commands {
                    out.push(c);
                }
                a.more
            }
            Err(message) => {
                self.error = Some(RouterError {
                    url: self.url.clone(),
                    message: format!("at simulated {} ms: {message}", ctx.now()),
                });
                false
            }
        }
    }
}
