//! `kefusim serve`: the built-in routing engine behind the routing protocol
//! ([`crate::remote`], `docs/protocol.md`) — the reference implementation
//! and the test target.
//!
//! One session per replication, each with its own [`Router`] (the served
//! scenario's groups, policies and rules; random choices from the routing
//! stream of the seed and replication the client names) and a mirror of
//! the agents' states, kept from the `changes` of every request. Fed the
//! same notices and changes as in-process, it answers the same commands:
//! `run --router` against it gives byte-identical results.
//!
//! Safe by default: binds loopback unless `--allow-remote`; bodies are
//! limited ([`MAX_BODY`]); at most [`MAX_SESSIONS`] sessions; a bad
//! request gets a 4xx with a JSON error, and a sequence of events the
//! router cannot follow ends that session (422), never the server; the
//! server exits by itself after `--idle-exit` without requests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::agents::AgentPool;
use crate::kernel::{Stream, stream_rng};
use crate::remote::{Answer, ErrorBody, Events, Health, Hello, PROTOCOL, Welcome};
use crate::routing::{Commands, Ctx, Dispatcher, Router};
use crate::scenario::Scenario;

/// Largest request body, bytes (the first request of a session lists
/// every agent's state: about 250 bytes each).
pub const MAX_BODY: usize = 32 << 20;
/// Most sessions open at once.
pub const MAX_SESSIONS: usize = 4096;

struct Session {
    router: Router,
    agents: AgentPool,
    commands: Vec<crate::routing::Command>,
    /// Asynchronous decisions (`Hello::callback`): answers go to the
    /// session's pusher, which POSTs them in order.
    push: Option<tokio::sync::mpsc::Sender<Answer>>,
}

/// Answers queued for a session's callback before its events are refused (503).
pub const MAX_PUSH_BACKLOG: usize = 4096;

/// How `kefusim serve` behaves beyond routing.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServeOptions {
    /// Wait this long before answering each `events` request (a slow
    /// service, for load tests).
    pub delay: Duration,
    /// Allow callback URLs that are not on this machine.
    pub allow_remote: bool,
}

struct Shared {
    options: ServeOptions,
    scenario: Scenario,
    sessions: Mutex<HashMap<u64, Arc<Mutex<Session>>>>,
    next: AtomicU64,
    last_request: Mutex<Instant>,
}

type St = Arc<Shared>;

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(ErrorBody {
            error: message.into(),
        }),
    )
        .into_response()
}

/// A refused request: its status and message.
type Refusal = (StatusCode, String);

fn refused((status, message): Refusal) -> Response {
    error(status, message)
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            format!("the body is not a valid message: {e}"),
        )
    })
}

fn touch(st: &Shared) {
    if let Ok(mut t) = st.last_request.lock() {
        *t = Instant::now();
    }
}

async fn health(State(st): State<St>) -> Response {
    touch(&st);
    axum::Json(Health {
        protocol: PROTOCOL.to_string(),
        independent_sessions: true,
    })
    .into_response()
}

/// Whether `hello` describes the served shop (same groups and agents, by name).
fn same_shop(sc: &Scenario, hello: &Hello) -> Result<(), String> {
    if hello.protocol != PROTOCOL {
        return Err(format!(
            "protocol: this server speaks `{PROTOCOL}`, got `{}`",
            hello.protocol
        ));
    }
    let same = |a: Vec<&str>, b: Vec<&str>| a == b;
    if !same(
        hello.agents.iter().map(|a| a.name.as_str()).collect(),
        sc.agents.iter().map(|a| a.name.as_str()).collect(),
    ) {
        return Err(format!(
            "agents: this server routes scenario `{}` with {} agents; the session's agents differ",
            sc.name,
            sc.agents.len()
        ));
    }
    if !same(
        hello.groups.iter().map(|g| g.name.as_str()).collect(),
        sc.groups.iter().map(|g| g.name.as_str()).collect(),
    ) {
        return Err(format!(
            "groups: this server routes scenario `{}` with groups {}; the session's groups differ",
            sc.name,
            sc.groups
                .iter()
                .map(|g| g.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(())
}

async fn open(State(st): State<St>, body: Bytes) -> Response {
    touch(&st);
    let hello: Hello = match parse(&body) {
        Ok(h) => h,
        Err(r) => return refused(r),
    };
    if let Err(e) = same_shop(&st.scenario, &hello) {
        return error(StatusCode::CONFLICT, e);
    }
    let push = match &hello.callback {
        None => None,
        Some(url) => match crate::scenario::ServiceSpec::parse(url, 0) {
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("callback: {e}")),
            Ok(spec) if !spec.loopback && !st.options.allow_remote => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "callback: {url} is not on this machine; kefusim serve calls back loopback addresses only unless started with --allow-remote"
                    ),
                );
            }
            Ok(spec) => Some(pusher(spec.url)),
        },
    };
    let sc = &st.scenario;
    let session = Session {
        router: Router::new(
            sc,
            stream_rng(hello.seed, hello.replication, Stream::Routing),
        ),
        agents: AgentPool::new(sc),
        commands: Vec::new(),
        push,
    };
    let id = st.next.fetch_add(1, Ordering::Relaxed) + 1;
    let Ok(mut sessions) = st.sessions.lock() else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "server state lost");
    };
    if sessions.len() >= MAX_SESSIONS {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{MAX_SESSIONS} sessions are open; close some (DELETE /v1/sessions/ID)"),
        );
    }
    sessions.insert(id, Arc::new(Mutex::new(session)));
    (
        StatusCode::CREATED,
        axum::Json(Welcome {
            session: id.to_string(),
        }),
    )
        .into_response()
}

fn session(st: &Shared, id: &str) -> Result<(u64, Arc<Mutex<Session>>), Refusal> {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            format!("no session `{id}` (open one with POST /v1/sessions)"),
        )
    };
    let key: u64 = id.parse().map_err(|_| not_found())?;
    let sessions = st.sessions.lock().map_err(|_| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "server state lost".to_string(),
        )
    })?;
    sessions
        .get(&key)
        .cloned()
        .map(|s| (key, s))
        .ok_or_else(not_found)
}

/// A task that POSTs a session's answers to its callback URL, in order,
/// until the session is closed (best effort: a failed POST is said once on
/// stderr and the next is tried).
fn pusher(url: String) -> tokio::sync::mpsc::Sender<Answer> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Answer>(MAX_PUSH_BACKLOG);
    tokio::spawn(async move {
        let (authority, path) = crate::live::split_url(&url);
        let mut conn = crate::live::Conn::new(&authority);
        let mut said = false;
        while let Some(answer) = rx.recv().await {
            let body = serde_json::to_vec(&answer).unwrap_or_default();
            let result = conn
                .request(
                    axum::http::Method::POST,
                    &path,
                    body,
                    Duration::from_secs(10),
                )
                .await;
            let failed = match result {
                Ok((status, _)) if status.is_success() => None,
                Ok((status, _)) => Some(format!("HTTP {status}")),
                Err(e) => Some(e.to_string()),
            };
            if let Some(why) = failed
                && !said
            {
                said = true;
                eprintln!(
                    "kefusim serve: a callback to {url} failed ({why}); later failures are not shown"
                );
            }
        }
    });
    tx
}

async fn events(State(st): State<St>, Path(id): Path<String>, body: Bytes) -> Response {
    touch(&st);
    if !st.options.delay.is_zero() {
        tokio::time::sleep(st.options.delay).await;
    }
    let events: Events = match parse(&body) {
        Ok(e) => e,
        Err(r) => return refused(r),
    };
    let (key, s) = match session(&st, &id) {
        Ok(s) => s,
        Err(r) => return refused(r),
    };
    let n = st.scenario.agents.len();
    if let Some((i, c)) = events
        .changes
        .iter()
        .enumerate()
        .find(|(_, c)| c.agent as usize >= n)
    {
        return error(
            StatusCode::BAD_REQUEST,
            format!("changes[{i}].agent: {} is not an agent (0..{n})", c.agent),
        );
    }
    let Ok(mut guard) = s.lock() else {
        return error(StatusCode::GONE, "the session failed earlier");
    };
    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let Session {
            router,
            agents,
            commands,
            ..
        } = &mut *guard;
        for c in &events.changes {
            *agents.agent_mut(c.agent) = c.status.clone();
        }
        commands.clear();
        let mut more = false;
        for notice in &events.events {
            let mut ctx = Ctx::new(events.now, agents);
            more = router.on(*notice, &mut ctx, &mut Commands::new(commands));
        }
        Answer {
            commands: commands.clone(),
            more,
            reply_to: None,
        }
    }));
    // Asynchronous decisions: queued for the pusher under the session's
    // lock, so they leave in the order the events came.
    let answer = match (answer, &guard.push) {
        (Ok(mut a), Some(push)) => {
            a.reply_to = Some(events.seq);
            match push.try_send(a) {
                Ok(()) => Ok(Answer::default()),
                Err(_) => {
                    return error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!(
                            "{MAX_PUSH_BACKLOG} answers wait to be called back; the callback endpoint is not keeping up"
                        ),
                    );
                }
            }
        }
        (a, _) => a,
    };
    drop(guard);
    match answer {
        Ok(a) => axum::Json(a).into_response(),
        Err(_) => {
            if let Ok(mut sessions) = st.sessions.lock() {
                sessions.remove(&key);
            }
            error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the router cannot follow these events (a chat, agent, group or queue it does not know, or events out of order); the session is closed",
            )
        }
    }
}

async fn close(State(st): State<St>, Path(id): Path<String>) -> Response {
    touch(&st);
    let (key, _) = match session(&st, &id) {
        Ok(s) => s,
        Err(r) => return refused(r),
    };
    if let Ok(mut sessions) = st.sessions.lock() {
        sessions.remove(&key);
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn fallback() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "unknown path; the protocol's paths are GET /v1/health, POST /v1/sessions, POST /v1/sessions/ID/events, DELETE /v1/sessions/ID",
    )
}

/// Serves `scenario`'s routing on `listen` until `idle_exit` passes
/// without a request (or Ctrl-C); `ready` is told the bound address.
pub fn serve(
    scenario: Scenario,
    options: ServeOptions,
    listen: SocketAddr,
    idle_exit: Duration,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    // A request the router cannot follow is answered 422; say so in one line.
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "kefusim serve: a request failed inside the router ({info}); its session is closed"
        )
    }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        ready(listener.local_addr()?);
        // One small request after another on each connection: no Nagle delay.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let shared = Arc::new(Shared {
            options,
            scenario,
            sessions: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
            last_request: Mutex::new(Instant::now()),
        });
        let app = axum::Router::new()
            .route("/v1/health", get(health))
            .route("/v1/sessions", post(open))
            .route("/v1/sessions/{id}/events", post(events))
            .route("/v1/sessions/{id}", axum::routing::delete(close))
            .fallback(fallback)
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(shared.clone());
        let idle = async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500).min(idle_exit)).await;
                let last = shared.last_request.lock().map(|t| *t).unwrap_or_else(|_| Instant::now());
                if last.elapsed() >= idle_exit {
                    eprintln!(
                        "kefusim serve: no request for {}; stopping",
                        crate::time::format_duration(idle_exit.as_millis() as u64)
                    );
                    return;
                }
            }
        };
        let stop = async move {
            tokio::select! {
                _ = idle => {}
                _ = tokio::signal::ctrl_c() => { eprintln!("kefusim serve: interrupted; stopping"); }
            }
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
    })
}
