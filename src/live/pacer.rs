//! One live replication: the engine on a thread of its own, stepped as the
//! wall clock reaches each event's due time (`speed` times faster than
//! simulated time), its routing notices handed to a sender task on tokio
//! that posts them to the service in order, and the answers applied when
//! they arrive — so a slow service makes buyers wait, as it would.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use hyper::Method;

use super::LiveOptions;
use super::callback::Callbacks;
use super::http::{Conn, Failure, split_url};
use super::tally::{Dropped, Tally};
use crate::engine::{Engine, LoopStats, Progress};
use crate::metrics::RepResult;
use crate::remote::{
    Answer, Change, ErrorBody, EventsRef, MAX_FAILURES_IN_A_ROW, RouterError, Service, Welcome,
    fallback, hello,
};
use crate::routing::{Commands, Ctx, Dispatcher, Notice};
use crate::scenario::Scenario;
use crate::time::SimTime;

/// What reaches a pacer from outside.
pub(crate) enum Inbound {
    /// The sender's outcome for request `seq`.
    Reply {
        seq: u64,
        sent: Instant,
        received: Instant,
        outcome: Outcome,
    },
    /// A callback: the service's answer to request `answer.reply_to`.
    Callback { answer: Answer, received: Instant },
}

/// What came of one request.
pub(crate) enum Outcome {
    Answer(Answer),
    Timeout,
    Error(String),
    Down(String),
    /// Not sent: the run stopped first.
    NotSent,
}

/// A request for the sender: its number and body.
pub(crate) struct Request {
    seq: u64,
    body: Vec<u8>,
}

/// Simulated time ↔ wall time.
#[derive(Debug, Clone, Copy)]
struct Clock {
    t0: Instant,
    speed: f64,
}

impl Clock {
    fn wall(&self, t: SimTime) -> Instant {
        self.t0 + Duration::from_secs_f64(t as f64 / 1000.0 / self.speed)
    }

    fn sim(&self, at: Instant) -> SimTime {
        (at.saturating_duration_since(self.t0).as_secs_f64() * self.speed * 1000.0) as SimTime
    }
}

/// An event handed to the sender and not settled yet.
struct Pending {
    notice: Notice,
    sim: SimTime,
    intended: Instant,
    /// When its request was written (callback mode: once acknowledged).
    sent: Option<Instant>,
}

/// The dispatcher of a live replication: every notice becomes a request
/// for the sender (or, when it cannot be sent, is dropped and gets the
/// fallback at once); decisions come later, through [`apply`].
pub(crate) struct LiveRouter {
    out: Option<tokio::sync::mpsc::Sender<Request>>,
    seq: u64,
    clock: Clock,
    changes: Vec<Change>,
    agents: usize,
    tiers: u8,
    pending: HashMap<u64, Pending>,
    tally: Tally,
    down: Option<String>,
    failing: u32,
}

impl LiveRouter {
    /// Agents' changes carried over from dropped requests, at most one
    /// (the latest) per agent, in the order of their latest change.
    fn compact(&mut self) {
        if self.changes.len() <= 2 * self.agents {
            return;
        }
        let mut seen = vec![false; self.agents];
        let mut kept: Vec<Change> = Vec::with_capacity(self.agents);
        for c in self.changes.drain(..).rev() {
            if let Some(s) = seen.get_mut(c.agent as usize)
                && !*s
            {
                *s = true;
                kept.push(c);
            }
        }
        kept.reverse();
        self.changes = kept;
    }
}

impl Dispatcher for LiveRouter {
    fn on(&mut self, notice: Notice, ctx: &mut Ctx<'_>, out: &mut Commands<'_>) -> bool {
        let now = ctx.now();
        let changes = &mut self.changes;
        ctx.changes(|agent, status| {
            changes.push(Change {
                agent,
                status: status.clone(),
            })
        });
        self.tally.event(now);
        let why = match &self.out {
            None if self.down.is_some() => Some(Dropped::ServiceDown),
            None => Some(Dropped::Stopped),
            Some(tx) => {
                let seq = self.seq + 1;
                let body = serde_json::to_vec(&EventsRef {
                    seq,
                    now,
                    changes: &self.changes,
                    events: [notice],
                })
                .unwrap_or_default();
                match tx.try_send(Request { seq, body }) {
                    Ok(()) => {
                        self.seq = seq;
                        self.changes.clear();
                        self.pending.insert(
                            seq,
                            Pending {
                                notice,
                                sim: now,
                                intended: self.clock.wall(now),
                                sent: None,
                            },
                        );
                        None
                    }
                    Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                        Some(Dropped::BacklogFull)
                    }
                    Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => {
                        Some(Dropped::Stopped)
                    }
                }
            }
        };
        if let Some(why) = why {
            self.tally.dropped(why, now);
            self.compact();
            if let Some(c) = fallback(notice, self.tiers) {
                out.push(c);
            }
        }
        false
    }
}

/// Posts a session's requests in order on one keep-alive connection and
/// tells the pacer what came of each.
async fn send_loop(
    mut conn: Conn,
    path: String,
    timeout: Duration,
    mut rx: tokio::sync::mpsc::Receiver<Request>,
    inbox: mpsc::Sender<Inbound>,
    halt: Arc<AtomicBool>,
) {
    while let Some(req) = rx.recv().await {
        let sent = Instant::now();
        let outcome = if halt.load(Ordering::Relaxed) {
            Outcome::NotSent
        } else {
            match conn.request(Method::POST, &path, req.body, timeout).await {
                Ok((status, bytes)) if status.is_success() => {
                    if bytes.iter().all(u8::is_ascii_whitespace) {
                        Outcome::Answer(Answer::default())
                    } else {
                        match serde_json::from_slice::<Answer>(&bytes) {
                            Ok(a) => Outcome::Answer(a),
                            Err(e) => Outcome::Error(format!("the answer is not valid: {e}")),
                        }
                    }
                }
                Ok((status, bytes)) => {
                    let detail = serde_json::from_slice::<ErrorBody>(&bytes)
                        .map(|b| b.error)
                        .unwrap_or_else(|_| {
                            String::from_utf8_lossy(&bytes).chars().take(300).collect()
                        });
                    Outcome::Error(format!("HTTP {status}: {detail}"))
                }
                Err(Failure::Timeout) => Outcome::Timeout,
                Err(e @ Failure::Connect(_)) => Outcome::Down(e.to_string()),
                Err(e @ Failure::Io(_)) => Outcome::Error(e.to_string()),
            }
        };
        let reply = Inbound::Reply {
            seq: req.seq,
            sent,
            received: Instant::now(),
            outcome,
        };
        if inbox.send(reply).is_err() {
            break;
        }
    }
}

/// Sets the flag when dropped.
struct HaltOnDrop(Arc<AtomicBool>);

impl Drop for HaltOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// What one live replication hands back.
pub(crate) struct Finished {
    pub result: RepResult,
    pub stats: LoopStats,
    pub tally: Tally,
    pub interrupted: Option<String>,
}

/// Everything a replication needs from the run.
pub(crate) struct Setup<'a> {
    pub sc: &'a Scenario,
    pub service: &'a Service,
    pub options: &'a LiveOptions,
    pub runtime: &'a tokio::runtime::Handle,
    pub callbacks: &'a Callbacks,
    pub progress: &'a Progress,
    pub stop: &'a AtomicBool,
    pub started: Instant,
}

/// What a replication has told the progress display so far.
#[derive(Default)]
struct Told {
    events: u64,
    sim_ms: u64,
}

impl Told {
    fn tell(&mut self, engine: &LiveEngine<'_>, s: &Setup<'_>) {
        use std::sync::atomic::Ordering::Relaxed;
        let events = engine.stats().events;
        let sim = engine.now().min(s.sc.run.duration);
        s.progress.events.fetch_add(events - self.events, Relaxed);
        s.progress
            .simulated_ms
            .fetch_add(sim.saturating_sub(self.sim_ms), Relaxed);
        self.events = events;
        self.sim_ms = self.sim_ms.max(sim);
    }
}

/// How long a pacer sleeps at most before looking at the stop flag; how
/// often it tells the progress display and times out overdue callbacks.
const TICK: Duration = Duration::from_millis(20);

/// Runs replication `r` live.
pub(crate) fn replication(s: &Setup<'_>, r: u32) -> Result<Finished, RouterError> {
    let err = |message: String| RouterError {
        url: s.service.url.clone(),
        message,
    };
    let (inbox_tx, inbox) = mpsc::channel::<Inbound>();
    let mut hello = hello(s.sc, r);
    hello.callback = s.callbacks.register(r, inbox_tx.clone());
    let callback_mode = hello.callback.is_some();
    let (authority, base) = split_url(&s.service.url);
    let mut conn = Conn::new(&authority);
    let body = serde_json::to_vec(&hello).unwrap_or_default();
    let opened = s.runtime.block_on(conn.request(
        Method::POST,
        &format!("{base}/v1/sessions"),
        body,
        s.service.timeout,
    ));
    let welcome: Welcome = match opened {
        Ok((status, bytes)) if status.is_success() => serde_json::from_slice(&bytes)
            .map_err(|e| err(format!("POST /v1/sessions: the answer is not valid: {e}")))?,
        Ok((status, bytes)) => {
            return Err(err(format!(
                "POST /v1/sessions: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            )));
        }
        Err(e) => return Err(err(format!("POST /v1/sessions: {e}"))),
    };
    let session_path = format!("{base}/v1/sessions/{}", welcome.session);
    let (tx, rx) = tokio::sync::mpsc::channel(s.options.max_in_flight.max(1));
    let halt = Arc::new(AtomicBool::new(false));
    // However this replication ends (an error included), its sender stops
    // sending what is still queued.
    let _halt_on_exit = HaltOnDrop(halt.clone());
    s.runtime.spawn(send_loop(
        conn,
        format!("{session_path}/events"),
        s.service.timeout,
        rx,
        inbox_tx,
        halt.clone(),
    ));
    let clock = Clock {
        t0: Instant::now(),
        speed: s.options.speed,
    };
    let router = LiveRouter {
        out: Some(tx),
        seq: 0,
        clock,
        changes: Vec::new(),
        agents: s.sc.agents.len(),
        tiers: s.sc.buyers.vip_tiers.len() as u8,
        pending: HashMap::new(),
        tally: Tally::new(s.sc),
        down: None,
        failing: 0,
    };
    // Progress is told here, every tick: a live run has too few events per
    // second for the engine's own report (every 65,536 events).
    let mut engine = Engine::with_dispatcher(s.sc, r, router);
    let mut told = Told::default();
    let mut pacer = Pacer {
        clock,
        refused: Vec::new(),
        callback_mode,
        timeout: s.service.timeout,
        finish_if_down: s.service.finish_if_down,
        over: false,
    };
    let deadline = s.options.duration.map(|d| s.started + d);
    let mut interrupted = None;
    let mut ticked = Instant::now();
    loop {
        while let Ok(m) = inbox.try_recv() {
            pacer.take(&mut engine, m).map_err(err)?;
        }
        if s.stop.load(Ordering::Relaxed) {
            interrupted = Some("interrupted (Ctrl-C)".to_string());
            break;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            interrupted = Some("stopped at --duration".to_string());
            break;
        }
        // Once a tick: the progress display, and callbacks overdue.
        if ticked.elapsed() >= TICK {
            ticked = Instant::now();
            told.tell(&engine, s);
            if callback_mode {
                pacer.expire(&mut engine);
            }
        }
        let Some(t) = engine.next_time() else { break };
        let due = clock.wall(t);
        let now = Instant::now();
        if due <= now {
            pacer.step(&mut engine, t, now);
            continue;
        }
        if let Ok(m) = inbox.recv_timeout((due - now).min(TICK)) {
            pacer.take(&mut engine, m).map_err(err)?;
        }
    }
    // No new requests. Stopped early, nothing queued is sent; at the run's
    // end, what is queued still goes. Either way the wait for answers is
    // bounded; what is left then is unanswered at the end.
    pacer.over = true;
    if interrupted.is_some() {
        halt.store(true, Ordering::Relaxed);
    }
    engine.dispatcher_mut().out = None;
    let grace = Instant::now() + s.service.timeout + Duration::from_millis(500);
    while !engine.dispatcher().pending.is_empty() {
        let left = grace.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match inbox.recv_timeout(left) {
            Ok(m) => pacer.take(&mut engine, m).map_err(err)?,
            Err(_) => break,
        }
    }
    s.callbacks.unregister(r);
    told.tell(&engine, s);
    let router = engine.dispatcher_mut();
    router.tally.unanswered_at_end += router.pending.len() as u64;
    router.pending.clear();
    let mut closer = Conn::new(&authority);
    let _ = s.runtime.block_on(closer.request(
        Method::DELETE,
        &session_path,
        Vec::new(),
        Duration::from_secs(1),
    ));
    let mut stats = engine.stats();
    let tally = std::mem::replace(&mut engine.dispatcher_mut().tally, Tally::new(s.sc));
    stats.router_timeouts = tally.timeouts;
    stats.router_errors = tally.errors;
    let down = engine.dispatcher().down.clone();
    let mut result = engine.finish();
    result.router_down = down;
    Ok(Finished {
        result,
        stats,
        tally,
        interrupted,
    })
}

/// The pacer's own state.
struct Pacer {
    clock: Clock,
    refused: Vec<crate::engine::Rule>,
    callback_mode: bool,
    timeout: Duration,
    finish_if_down: bool,
    /// The run is over: answers are accounted for, not applied.
    over: bool,
}

type LiveEngine<'s> = Engine<'s, LiveRouter>;

impl Pacer {
    /// Handles the event due at `t`, `now` being the wall time.
    fn step(&mut self, engine: &mut LiveEngine<'_>, t: SimTime, now: Instant) {
        let lag = now
            .saturating_duration_since(self.clock.wall(t))
            .as_micros() as u64;
        engine.dispatcher_mut().tally.lag(t, lag);
        engine.step();
    }

    /// Applies commands that arrived at wall time `at`: first every event
    /// due by then, then the commands at that simulated instant.
    fn apply(&mut self, engine: &mut LiveEngine<'_>, answer: &Answer, at: Instant) {
        if self.over || (answer.commands.is_empty() && !answer.more) {
            return;
        }
        let t = self.clock.sim(at);
        while let Some(next) = engine.next_time() {
            if next > t {
                break;
            }
            self.step(engine, next, at);
        }
        self.refused.clear();
        let when = engine.apply_answer(t, &answer.commands, answer.more, &mut self.refused);
        let refused = std::mem::take(&mut self.refused);
        if std::env::var_os("KEFUSIM_LIVE_DEBUG").is_some() && !refused.is_empty() {
            eprintln!("t={t} refused {refused:?} of {:?}", answer.commands);
        }
        engine.dispatcher_mut().tally.refused(&refused, when);
        self.refused = refused;
    }

    /// A failed request: counted; its event gets the fallback.
    fn failed(
        &mut self,
        engine: &mut LiveEngine<'_>,
        p: Pending,
        timeout: bool,
        at: Instant,
    ) -> bool {
        let router = engine.dispatcher_mut();
        router.tally.failed(timeout, p.sim);
        router.failing += 1;
        let give_up = router.failing >= MAX_FAILURES_IN_A_ROW;
        if let Some(c) = fallback(p.notice, router.tiers) {
            let answer = Answer {
                commands: vec![c],
                ..Answer::default()
            };
            self.apply(engine, &answer, at);
        }
        give_up
    }

    /// The service is down: stop (an error) or, with
    /// `--finish-on-fallback`, go on without it.
    fn down(&mut self, engine: &mut LiveEngine<'_>, why: String) -> Result<(), String> {
        let when = engine.now();
        let router = engine.dispatcher_mut();
        if !self.finish_if_down {
            return Err(format!("at simulated {when} ms: {why}"));
        }
        if router.down.is_none() {
            router.down = Some(format!("at simulated {when} ms: {why}"));
            router.out = None;
        }
        Ok(())
    }

    /// Takes one message from outside.
    fn take(&mut self, engine: &mut LiveEngine<'_>, m: Inbound) -> Result<(), String> {
        match m {
            Inbound::Reply {
                seq,
                sent,
                received,
                outcome,
            } => {
                let router = engine.dispatcher_mut();
                let Some(mut p) = router.pending.remove(&seq) else {
                    return Ok(());
                };
                match outcome {
                    Outcome::NotSent => router.tally.dropped(Dropped::Stopped, p.sim),
                    Outcome::Answer(a) => {
                        router.failing = 0;
                        if self.callback_mode {
                            // Acknowledged: the decision comes by callback.
                            p.sent = Some(sent);
                            router.pending.insert(seq, p);
                        } else {
                            let latency = received.saturating_duration_since(p.intended);
                            let service = received.saturating_duration_since(sent);
                            router.tally.answered(
                                p.sim,
                                latency.as_micros() as u64,
                                service.as_micros() as u64,
                            );
                        }
                        self.apply(engine, &a, received);
                    }
                    Outcome::Timeout | Outcome::Error(_) => {
                        let timeout = matches!(outcome, Outcome::Timeout);
                        if self.failed(engine, p, timeout, received) {
                            let last = match outcome {
                                Outcome::Error(m) => m,
                                _ => "no answer in time".to_string(),
                            };
                            return self.down(
                                engine,
                                format!(
                                    "{MAX_FAILURES_IN_A_ROW} requests in a row failed; the last: {last}"
                                ),
                            );
                        }
                    }
                    Outcome::Down(why) => {
                        self.failed(engine, p, false, received);
                        return self.down(engine, format!("POST /v1/sessions/…/events: {why}"));
                    }
                }
            }
            Inbound::Callback { answer, received } => {
                let router = engine.dispatcher_mut();
                if let Some(p) = answer.reply_to.and_then(|s| router.pending.remove(&s)) {
                    router.failing = 0;
                    let latency = received.saturating_duration_since(p.intended);
                    let service = received.saturating_duration_since(p.sent.unwrap_or(p.intended));
                    router.tally.answered(
                        p.sim,
                        latency.as_micros() as u64,
                        service.as_micros() as u64,
                    );
                }
                self.apply(engine, &answer, received);
            }
        }
        Ok(())
    }

    /// Callback mode: acknowledged events with no decision within the
    /// timeout are timed out (their events get the fallback).
    fn expire(&mut self, engine: &mut LiveEngine<'_>) {
        let now = Instant::now();
        let expired: Vec<u64> = engine
            .dispatcher()
            .pending
            .iter()
            .filter(|(_, p)| {
                p.sent
                    .is_some_and(|s| now.saturating_duration_since(s) > self.timeout)
            })
            .map(|(&seq, _)| seq)
            .collect();
        let mut expired = expired;
        expired.sort_unstable();
        for seq in expired {
            if let Some(p) = engine.dispatcher_mut().pending.remove(&seq) {
                self.failed(engine, p, true, now);
            }
        }
    }
}
