//! The routing protocol (`docs/protocol.md`): kefusim's routing interface
//! ([`crate::routing::Dispatcher`]) carried over HTTP/1.1 + JSON, so that a
//! routing service outside the binary can route a simulated shop.
//!
//! The messages are the interface's own types ([`Notice`], [`Command`],
//! [`AgentStatus`]) with the envelopes below; `kefusim schema --protocol`
//! prints their JSON Schema. The client ([`RemoteRouter`]) is blocking: the
//! simulated-time loop stays synchronous and waits for every answer, so a
//! deterministic service gives deterministic results. The server side is
//! `kefusim serve` (`crate::serve`).
//!
//! Endpoints (all under `/v1`):
//!
//! - `GET /v1/health` → [`Health`]: the protocol and whether sessions are
//!   independent (replications may then run in parallel).
//! - `POST /v1/sessions` with [`Hello`] → `201` [`Welcome`]: one session per
//!   replication, with the shop's groups and agents.
//! - `POST /v1/sessions/{id}/events` with [`Events`] → `200` [`Answer`].
//! - `DELETE /v1/sessions/{id}` → `204`.
//!
//! Errors are a status ≥ 400 with [`ErrorBody`].

mod client;

pub use client::{
    MAX_FAILURES_IN_A_ROW, RemoteRouter, RouterError, Service, check_service, drive, fallback,
};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::agents::{AgentId, AgentStatus};
use crate::routing::{Command, Notice};
use crate::scenario::Scenario;
use crate::time::SimTime;

/// The protocol's name and major version, in [`Health`] and [`Hello`].
pub const PROTOCOL: &str = "kefusim-routing/1";

/// `GET /v1/health`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// [`PROTOCOL`].
    pub protocol: String,
    /// Sessions keep no state in common, so kefusim may run several
    /// replications at once (one session each). Default: `false`.
    #[serde(default)]
    pub independent_sessions: bool,
}

/// A group as the service is told about it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct GroupInfo {
    /// Index (the `group` and `queue` of events and commands).
    pub id: usize,
    /// Name in the scenario.
    pub name: String,
    /// The group's selection policy in the scenario.
    pub policy: crate::routing::PolicyKind,
    /// Its agents' ids at the start (`group_joined`/`group_left` events
    /// follow a `[[schedule]]` change).
    pub members: Vec<AgentId>,
}

/// An agent as the service is told about it (its state comes in `changes`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AgentInfo {
    /// Id (index).
    pub id: AgentId,
    /// Name in the scenario.
    pub name: String,
    /// Groups it belongs to at the start.
    pub groups: Vec<usize>,
}

/// `POST /v1/sessions`: a replication starts.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Hello {
    /// [`PROTOCOL`].
    pub protocol: String,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario's digest (as in `summary.json`).
    pub digest: String,
    /// The run's seed.
    pub seed: u64,
    /// The replication (0-based): with the seed, it names the random
    /// streams of a service that draws random numbers the way kefusim does.
    pub replication: u32,
    /// Groups, by id.
    pub groups: Vec<GroupInfo>,
    /// Agents, by id.
    pub agents: Vec<AgentInfo>,
    /// The main account's own queue (private contacts): the queue index
    /// after the groups.
    pub main_queue: usize,
    /// Number of VIP tiers: waiting classes are tier 1.. (0-based
    /// `tier − 1`), then `vip_tiers` (normal), then `vip_tiers + 1`
    /// (offline messages).
    pub vip_tiers: u8,
    /// Live runs with asynchronous decisions (`kefusim live --decisions
    /// callback`): the URL to POST each [`Answer`] to, with `reply_to` set
    /// to the `seq` of the [`Events`] it answers, instead of answering in
    /// the response. Absent: answer in the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
}

/// The answer to [`Hello`].
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Welcome {
    /// The session's id, for its URL.
    pub session: String,
}

/// One agent's state, as changed since the previous request.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// The agent.
    pub agent: AgentId,
    /// Its state now.
    #[serde(flatten)]
    pub status: AgentStatus,
}

/// `POST /v1/sessions/{id}/events`: what happened at `now`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Events {
    /// The request's number in the session, from 1 (0: not numbered).
    #[serde(default)]
    pub seq: u64,
    /// The simulated instant, ms since the run's start.
    pub now: SimTime,
    /// Agents whose state changed since the previous request, in the order
    /// they changed (every agent in the first request).
    #[serde(default)]
    pub changes: Vec<Change>,
    /// The events, in order (kefusim sends one per request).
    pub events: Vec<Notice>,
}

/// Borrowed [`Events`], for sending without copying.
#[derive(Serialize)]
pub(crate) struct EventsRef<'a> {
    pub seq: u64,
    pub now: SimTime,
    pub changes: &'a [Change],
    pub events: [Notice; 1],
}

/// The answer to [`Events`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Answer {
    /// Commands, applied in order at the same instant.
    #[serde(default)]
    pub commands: Vec<Command>,
    /// Send a `continue` event once these commands are applied (to decide
    /// one chat at a time, each seeing the agents as the previous left them).
    #[serde(default, rename = "continue")]
    pub more: bool,
    /// In a callback (asynchronous decisions): the `seq` of the [`Events`]
    /// this answers. Absent in a response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u64>,
}

/// A 4xx or 5xx answer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    /// What was wrong, naming the field where there is one.
    pub error: String,
}

/// The [`Hello`] of replication `replication` of `sc`.
pub fn hello(sc: &Scenario, replication: u32) -> Hello {
    let start = crate::scenario::Membership::at_start(sc);
    Hello {
        protocol: PROTOCOL.to_string(),
        scenario: sc.name.clone(),
        digest: sc.digest(),
        seed: sc.run.seed,
        replication,
        groups: sc
            .groups
            .iter()
            .enumerate()
            .map(|(id, g)| GroupInfo {
                id,
                name: g.name.clone(),
                policy: g.policy,
                members: start.members(id).iter().map(|&m| m as AgentId).collect(),
            })
            .collect(),
        agents: sc
            .agents
            .iter()
            .enumerate()
            .map(|(id, a)| AgentInfo {
                id: id as AgentId,
                name: a.name.clone(),
                groups: a.start_groups.clone(),
            })
            .collect(),
        main_queue: sc.groups.len(),
        vip_tiers: sc.buyers.vip_tiers.len() as u8,
        callback: None,
    }
}

/// The JSON Schema of every message of the protocol, by name.
pub fn schema() -> serde_json::Value {
    let mut defs = serde_json::Map::new();
    let mut add = |name: &str, s: schemars::Schema| {
        defs.insert(name.to_string(), s.to_value());
    };
    add("Health", schemars::schema_for!(Health));
    add("Hello", schemars::schema_for!(Hello));
    add("Welcome", schemars::schema_for!(Welcome));
    add("Events", schemars::schema_for!(Events));
    add("Answer", schemars::schema_for!(Answer));
    add("ErrorBody", schemars::schema_for!(ErrorBody));
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("{PROTOCOL}: the messages of kefusim's routing protocol"),
        "messages": defs,
    })
}
