//! Scenario files: TOML in, a validated [`Scenario`] out.
//!
//! Two stages: `raw` mirrors the file with serde (syntax, unknown keys
//! rejected), then `validate` turns it into domain values and reports
//! every problem with its key path. `locate` maps key paths and parser
//! spans back to `file:line:column`. A [`Scenario`] that exists is valid:
//! the engine never re-checks it.

mod describe;
mod locate;
mod plan_spec;
mod policy;
mod raw;
mod settings;
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::arrivals::{ArrivalModel, EntryPoint};
use crate::dist::{Count, Distribution};
use crate::shifts::{ShiftPlan, Stagger};
use crate::time::{Instant, LocalClock, Millis, SimTime};

pub use describe::fnv1a_hex;
pub use locate::Diagnostic;
pub use plan_spec::{PlanSpec, ShiftTemplate};
pub use policy::PolicyKind;
pub use settings::{Change, ChangeKind, Membership, Overload, VipChannel};

/// How long after the measured window a run keeps following counted chats.
pub const DRAIN_LIMIT_MS: SimTime = 7 * crate::time::DAY_MS;

/// Largest `max_concurrent` the platforms allow (接待上限 1..=50).
pub const MAX_CONCURRENT_LIMIT: u32 = 50;

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Name (from `run.name`, else the file stem).
    pub name: String,
    /// Run settings.
    pub run: Run,
    /// The arrival process.
    pub arrivals: ArrivalModel,
    /// Buyer attributes.
    pub buyers: Buyers,
    /// Service model.
    pub service: Service,
    /// `[[agents]]` entries, in file order.
    pub entries: Vec<AgentEntry>,
    /// Every agent, expanded from the entries in file order.
    pub agents: Vec<AgentSpec>,
    /// Groups, in order of first mention.
    pub groups: Vec<Group>,
    /// Group of each entry point (indexed by [`EntryPoint`]); `None` = no chats come from it.
    /// For an entry with a menu, the menu's first group.
    pub entry_group: [Option<usize>; 5],
    /// Pre-routing question menus (DOMAIN.md §4 step 4): for an entry, the
    /// buyer's choice of group as cumulative `(group, probability)`.
    pub menus: [Option<Vec<(usize, f64)>>; 5],
    /// Service-level settings.
    pub sla: Sla,
    /// Shop-wide routing rules (DOMAIN.md §4).
    pub routing: Routing,
    /// `[thresholds] require`: judged on the merged results of a run.
    pub thresholds: Vec<crate::catalog::Threshold>,
    /// `[compare]`: which metrics gate a comparison with a baseline, their
    /// tolerances and the family-wise false-alarm rate (not part of the
    /// model: the digest leaves it out).
    pub compare: crate::catalog::GateSpec,
    /// `[plan]`: capacity planning settings (`kefusim plan`).
    pub plan: Option<PlanSpec>,
    /// Set by capacity planning only (never from a file): the chats and
    /// agents to follow interval by interval.
    pub focus: Option<Focus>,
    /// `[routing] service` (or `--router`): a routing service to use instead
    /// of the built-in router. Not part of the model (the digest leaves it
    /// out): a service that routes as the built-in router does gives the same results.
    pub router: Option<ServiceSpec>,
    /// `[routing] timeout`, ms: the longest wait for one answer of a
    /// routing service (also for `--router`).
    pub router_timeout_ms: u64,
    /// Settings that change during the run, by time (declaration order at one instant).
    pub schedule: Vec<Change>,
}

/// A routing service to drive (`[routing] service`, `timeout`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    /// Base URL: `http://HOST:PORT` with an optional path prefix, no trailing slash.
    pub url: String,
    /// Longest wait for one answer, ms.
    pub timeout_ms: u64,
    /// Whether the host is a loopback address (`127.0.0.0/8`, `::1`, `localhost`).
    pub loopback: bool,
    /// When the service goes down mid-run, finish on the fallback (and say
    /// so in every output) instead of stopping (`--finish-on-fallback`).
    pub finish_if_down: bool,
}

impl ServiceSpec {
    /// Default `timeout`.
    pub const DEFAULT_TIMEOUT_MS: u64 = 2_000;

    /// Parses a service URL: `http://HOST:PORT[/PATH]`.
    pub fn parse(url: &str, timeout_ms: u64) -> Result<Self, String> {
        let allowed = "a routing service URL is http://HOST:PORT with an optional path, e.g. http://127.0.0.1:8080";
        let Some(rest) = url.strip_prefix("http://") else {
            return Err(if url.starts_with("https://") {
                format!(
                    "`{url}`: https is not supported (kefusim talks plain HTTP to a service on this machine); {allowed}"
                )
            } else {
                format!("`{url}` is not an http:// URL; {allowed}")
            });
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() => (h, p),
            _ => return Err(format!("`{url}` names no port; {allowed}")),
        };
        if port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(format!("`{url}`: port must be 1..=65535, got `{port}`"));
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let loopback = bare.eq_ignore_ascii_case("localhost")
            || bare
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        Ok(Self {
            url: format!("http://{authority}{}", path.trim_end_matches('/')),
            timeout_ms,
            loopback,
            finish_if_down: false,
        })
    }
}

/// Which chats (by group) and agents a run follows per interval for
/// capacity planning (`kefusim plan`).
#[derive(Debug, Clone, PartialEq)]
pub struct Focus {
    /// Chats counted in these groups.
    pub groups: Vec<bool>,
    /// These agents' occupancy.
    pub agents: Vec<bool>,
}

/// Where a new chat goes when no agent of its group is online (DOMAIN.md §4 step 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NobodyOnline {
    /// Wait in the queue like any other chat (generic engines).
    Queue,
    /// Become an offline message (离线留言), answered when an agent of the
    /// group is online and has a free slot (Feige).
    OfflineMessage,
    /// Go to the main account even if it is suspended; if every on-shift
    /// account is suspended, spread evenly among them (Taobao).
    MainAccount,
}

/// What happens to an agent's open chats when its shift ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShiftEnd {
    /// Finish them first (Feige: no going offline with open sessions).
    Finish,
    /// End them; the buyer's next message is routed again as a new chat of
    /// the same conversation (not counted as offered twice).
    Reroute,
    /// Leave them stuck: no progress until the agent is back on shift.
    Stuck,
    /// Hand them over (转发, "如果需要离开…把之前交流过的客户转给…子帐号"):
    /// each open chat is transferred, with its history, to an agent of its
    /// group by the transfer rules; one that finds no target (or whose reply
    /// is being typed) is finished by the leaving agent, as with `Finish`.
    HandOver,
}

/// Order of the waiting queue within a priority class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOrder {
    /// First come, first served.
    Fifo,
    /// Last come, first served.
    Lifo,
}

/// `[routing]`: the decision order's switches (DOMAIN.md §4).
#[derive(Debug, Clone)]
pub struct Routing {
    /// Step 7.
    pub nobody_online: NobodyOnline,
    /// Whether a directly addressed agent must be under its cap.
    pub direct_respects_cap: bool,
    /// Whether a returning buyer's previous agent must be under its cap.
    pub sticky_respects_cap: bool,
    /// Open chats at shift end.
    pub shift_end: ShiftEnd,
    /// Queue order within a class.
    pub queue_order: QueueOrder,
    /// Most chats waiting shop-wide; a buyer refused by the cap becomes an offline message.
    pub max_queue: Option<u32>,
    /// A buyer who abandons the queue leaves an offline message (Feige).
    pub abandon_to_offline: bool,
    /// Fairness limiter: at most `max` new chats per agent in any `window`.
    pub fairness: Option<Fairness>,
    /// Chats waiting longer than 2 minutes are served before every other chat.
    pub golden_priority: bool,
    /// Age at which an automatic "正在为您处理中…" message goes to a chat with
    /// no human reply yet (it is not a response).
    pub processing_message_after: Option<Millis>,
    /// A transfer may go to an agent on a break (Feige); never to a suspended one.
    pub transfer_to_break: bool,
    /// A transfer may exceed the target's cap.
    pub transfer_exceeds_cap: bool,
    /// A comparison variant from another engine (off by default).
    pub variant: Variant,
    /// VIP专属通道: VIP buyers routed to their own group.
    pub vip_channel: Option<VipChannel>,
    /// 忙不过来: an agent still above `above` open chats `after` it went
    /// above hands its newest chat over to a colleague of its group.
    pub overload_transfer: Option<Overload>,
    /// Feige's offline messages (`nobody_online = "offline_message"`) only
    /// when nobody of the group is on shift: agents on a break, busy or
    /// suspended then hold chats in the queue. Default false: only agents
    /// online (在线) count, as the Feige page says busy agents receive nothing.
    pub offline_only_when_off_shift: bool,
}

/// Comparison variants from other engines (DOMAIN.md §4 item 10).
#[derive(Debug, Clone)]
pub enum Variant {
    /// kefusim's (the Chinese platforms') push routing: assignment is immediate.
    None,
    /// Salesforce Omni-Channel: the chat is offered; the agent accepts,
    /// declines or lets the push time out; it is never offered again to an
    /// agent who declined or timed out.
    OmniChannel(Offer),
    /// Twilio TaskRouter: a reservation the worker accepts or rejects; on
    /// rejection or timeout the task is evaluated again (the same worker may
    /// be chosen again).
    TaskRouter(Offer),
    /// Chatwoot v1's known failure: a chat that finds every agent full is
    /// left unassigned and never picked up (a known-bad baseline).
    ChatwootV1,
}

/// How agents respond to an offer or reservation.
#[derive(Debug, Clone)]
pub struct Offer {
    /// Probability that an agent who responds in time accepts.
    pub accept: f64,
    /// The agent's response time.
    pub response: Distribution,
    /// The offer lapses after this long without a response.
    pub timeout: Millis,
}

impl Variant {
    /// The offer settings, if the variant offers chats.
    pub fn offer(&self) -> Option<&Offer> {
        match self {
            Variant::OmniChannel(o) | Variant::TaskRouter(o) => Some(o),
            Variant::None | Variant::ChatwootV1 => None,
        }
    }
}

/// At most `max` assignments per agent in any window of length `window`.
#[derive(Debug, Clone, Copy)]
pub struct Fairness {
    /// Assignments allowed per window.
    pub max: u32,
    /// Window length.
    pub window: Millis,
}

/// A random change of state while on shift (e.g. an unplanned 小休).
#[derive(Debug, Clone)]
pub struct Episode {
    /// The state the agent goes into.
    pub state: EpisodeState,
    /// Rate while online, per hour of online time.
    pub rate_per_hour: f64,
    /// How long it lasts.
    pub length: Distribution,
}

/// States a random episode can put an agent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpisodeState {
    /// 忙碌: no new chats at all.
    Busy,
    /// 小休: no new chats, keeps its chats (same as a scheduled break).
    Break,
    /// 挂起: only returning and directly addressed buyers.
    Suspended,
}

/// `[run]`.
#[derive(Debug, Clone)]
pub struct Run {
    /// Start instant; its UTC offset is the run's local time.
    pub start: Instant,
    /// The local clock derived from `start`.
    pub clock: LocalClock,
    /// Simulated length, warm-up included.
    pub duration: Millis,
    /// Leading part of `duration` whose arrivals are not counted.
    pub warmup: Millis,
    /// Independent replications.
    pub replications: u32,
    /// Seed of every random stream.
    pub seed: u64,
    /// Length of one time-series interval.
    pub interval: Millis,
}

impl Run {
    /// Start of the measured window (simulated time).
    pub fn measure_from(&self) -> SimTime {
        self.warmup
    }

    /// End of the measured window (simulated time).
    pub fn measure_to(&self) -> SimTime {
        self.duration
    }

    /// Number of time-series intervals in the measured window (the last may be partial).
    pub fn intervals(&self) -> usize {
        (self.duration - self.warmup).div_ceil(self.interval) as usize
    }
}

/// `[buyers]`.
#[derive(Debug, Clone)]
pub struct Buyers {
    /// Probability that a buyer is VIP, any tier (queued ahead of others).
    pub vip_share: f64,
    /// VIP tiers (会员分级), highest first; one tier `vip` with `vip_share`
    /// unless the scenario lists tiers.
    pub vip_tiers: Vec<VipTier>,
    /// Patience while queued; `None` = never abandons.
    pub patience: Option<Distribution>,
    /// Probability that a buyer returns to the agent who served them within `recency`.
    pub returning_share: f64,
    /// How long a buyer counts as a recent contact of the agent who served them.
    pub recency: Millis,
    /// Probability that a buyer addresses one agent of the group directly.
    pub direct_share: f64,
    /// Probability that a buyer is a private contact (私密联系人) of the main account.
    pub private_share: f64,
}

/// A VIP tier.
#[derive(Debug, Clone)]
pub struct VipTier {
    /// Name (metrics `vip.<name>.…` when there are several tiers).
    pub name: String,
    /// Probability that a buyer is of this tier.
    pub share: f64,
}

/// `[service]`: how agents serve chats.
#[derive(Debug, Clone)]
pub struct Service {
    /// Session or dialogue model.
    pub model: ServiceModel,
    /// Session model: duration multiplier at 1, 2, 3… open chats; dialogue
    /// model: typing-time multiplier (empty = no slowdown).
    pub slowdown: Vec<f64>,
    /// Session model: delay from assignment to the first human reply; `None` = at assignment.
    pub first_reply: Option<Distribution>,
    /// Session model: an agent's open chats make no progress while it is on
    /// a break (小休: the agent is away; the dialogue model stops typing).
    pub break_pauses_chats: bool,
}

/// The two service models of DOMAIN.md §3.
#[derive(Debug, Clone)]
pub enum ServiceModel {
    /// A chat holds a slot for a sampled amount of work.
    Session {
        /// Work in a chat, as its duration when the agent holds only that chat.
        duration: Distribution,
    },
    /// A chat is a series of rounds answered by a single responder (boxed:
    /// it is the larger; the engine holds a reference to it either way).
    Dialogue(Box<Dialogue>),
}

/// `[service] model = "dialogue"`: rounds of buyer messages and agent replies.
#[derive(Debug, Clone)]
pub struct Dialogue {
    /// Rounds per chat.
    pub rounds: Count,
    /// Buyer messages per round.
    pub messages_per_round: Count,
    /// Gap between the buyer's messages within a round.
    pub message_gap: Distribution,
    /// Buyer think time from the agent's reply to the next round.
    pub think: Distribution,
    /// Agent typing time per reply (× `slowdown` at the agent's open chats).
    pub typing: Distribution,
    /// The session closes this long after the last reply with no new message.
    pub inactivity_timeout: Millis,
    /// Probability per round that the buyer leaves silently after sending it.
    pub silent_abandon: f64,
}

impl Service {
    /// The session model's work distribution, if that is the model.
    pub fn duration(&self) -> Option<&Distribution> {
        match &self.model {
            ServiceModel::Session { duration } => Some(duration),
            ServiceModel::Dialogue(_) => None,
        }
    }

    /// The dialogue model's parameters, if that is the model.
    pub fn dialogue(&self) -> Option<&Dialogue> {
        match &self.model {
            ServiceModel::Dialogue(d) => Some(d),
            ServiceModel::Session { .. } => None,
        }
    }
}

/// One `[[agents]]` entry.
#[derive(Debug, Clone)]
pub struct AgentEntry {
    /// Entry name; agents are named `name-01`, `name-02`… (just `name` if `count = 1`).
    pub name: String,
    /// Number of agents.
    pub count: u32,
    /// Duty pattern; `None` = on duty throughout.
    pub shift: Option<ShiftPlan>,
    /// Random state changes while on shift.
    pub episodes: Vec<Episode>,
}

/// One agent.
#[derive(Debug, Clone)]
pub struct AgentSpec {
    /// Unique name.
    pub name: String,
    /// Index of its `[[agents]]` entry.
    pub entry: usize,
    /// Groups served at some time of the run (indices into [`Scenario::groups`]):
    /// its entry's, then those a `[[schedule]]` change gives it.
    pub groups: Vec<usize>,
    /// Groups served at the run's start (its entry's `groups`, in their
    /// order); see [`Membership`].
    pub start_groups: Vec<usize>,
    /// Routing weight (> 0).
    pub weight: f64,
    /// Concurrent chat cap, 1..=50.
    pub max_concurrent: u32,
    /// Work speed factor (1 = nominal).
    pub speed: f64,
    /// Position in its entry's rotations.
    pub stagger: Stagger,
    /// The shop's main account (主账号).
    pub main_account: bool,
    /// Takes part in routing (`false` = 不参与分流: only private, direct and returning buyers).
    pub routable: bool,
    /// Suspends itself on reaching this many open chats, resumes below it.
    pub suspend_at: Option<u32>,
}

/// A group (客服分组).
#[derive(Debug, Clone)]
pub struct Group {
    /// Name.
    pub name: String,
    /// Routing policy for its chats.
    pub policy: PolicyKind,
    /// At most this many of its agents on break at once; `None` = no cap.
    pub max_on_break: Option<u32>,
    /// Its agents (indices into [`Scenario::agents`]), in id order; never
    /// empty: every agent that serves it at some time of the run (see
    /// [`Membership`] for the moment's).
    pub members: Vec<usize>,
    /// Queued chats move to this group after waiting this long.
    pub overflow: Option<(usize, Millis)>,
    /// A share of the group's chats is transferred to another group.
    pub transfer: Option<Transfer>,
}

/// `[[groups]] transfer`: a share of a group's chats moves to another group's agent.
#[derive(Debug, Clone, Copy)]
pub struct Transfer {
    /// Fraction of the group's answered chats that are transferred.
    pub share: f64,
    /// Target group.
    pub to: usize,
    /// When.
    pub after: TransferAfter,
}

/// When a chat is transferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferAfter {
    /// This long after the first assignment (a pending round is charged to the source).
    Time(Millis),
    /// Dialogue model: with the source agent's reply to this round.
    Rounds(u32),
}

/// `[sla]`.
#[derive(Debug, Clone)]
pub struct Sla {
    /// First-response thresholds in whole seconds, ascending; 120 always included.
    pub thresholds_s: Vec<u32>,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Syntax or validation problems, each with its place in the file.
    #[error("{}", DiagnosticList(.diagnostics, *.more))]
    Invalid {
        /// The problems found, in file order (at most 50; the rest are counted in `more`).
        diagnostics: Vec<Diagnostic>,
        /// Problems found beyond those listed.
        more: usize,
    },
}

struct DiagnosticList<'a>(&'a [Diagnostic], usize);

impl fmt::Display for DiagnosticList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len() + self.1;
        writeln!(
            f,
            "invalid scenario ({n} problem{})",
            if n == 1 { "" } else { "s" }
        )?;
        for d in self.0 {
            write!(f, "{d}")?;
        }
        if self.1 > 0 {
            writeln!(
                f,
                "… and {} more problem{} (the first {} in file order are listed)",
                self.1,
                if self.1 == 1 { "" } else { "s" },
                self.0.len()
            )?;
        }
        Ok(())
    }
}

/// A JSON Schema of the scenario file format (for editor completion and
/// checks); values the schema cannot express (ranges, durations) are
/// checked by `kefusim check`.
pub fn json_schema() -> String {
    use serde_json::{Value, json};
    let mut schema =
        serde_json::to_value(schemars::schema_for!(raw::RawScenario)).expect("a schema is JSON");
    schema["title"] = json!("kefusim scenario");
    // What the derive cannot know: the allowed policies, and metric names.
    let mut policies: Vec<Value> = PolicyKind::ALL.iter().map(|(_, n)| json!(n)).collect();
    policies.push(Value::Null);
    for def in ["RawRouting", "RawGroup", "RawChange"] {
        schema["$defs"][def]["properties"]["policy"]["enum"] = Value::Array(policies.clone());
    }
    let mut nobody: Vec<Value> = NobodyOnline::ALL.iter().map(|(n, _)| json!(n)).collect();
    nobody.push(Value::Null);
    for def in ["RawRouting", "RawChange"] {
        schema["$defs"][def]["properties"]["nobody_online"]["enum"] = Value::Array(nobody.clone());
    }
    let metrics = format!(
        "METRIC is one of: {}; {{s}} is one of [sla] thresholds (120 always). Aliases: {}.",
        crate::catalog::name_patterns().join(", "),
        crate::catalog::ALIASES
            .iter()
            .map(|(a, c)| format!("{a} = {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (def, key) in [
        ("RawThresholds", "require"),
        ("RawPlan", "targets"),
        ("RawCompare", "metrics"),
    ] {
        let p = &mut schema["$defs"][def]["properties"][key];
        let before = p["description"].as_str().unwrap_or_default().to_string();
        p["description"] = json!(format!("{before} {metrics}"));
        p["examples"] = if key == "metrics" {
            json!([["golden_rate", "abandon_rate", "frt_p90_s"]])
        } else {
            json!([["golden_rate >= 90%", "abandon_rate < 3%"]])
        };
    }
    serde_json::to_string_pretty(&schema).expect("a schema serialises")
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let bytes = std::fs::read(path).map_err(|source| ScenarioError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| ScenarioError::Invalid {
            diagnostics: vec![locate::from_bad_utf8(
                e.as_bytes(),
                &path.display().to_string(),
                &e.utf8_error(),
            )],
            more: 0,
        })?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("scenario");
        Self::from_toml(&text, &path.display().to_string(), stem)
    }

    /// Validates scenario text; `file` names it in diagnostics, `default_name` is used without `run.name`.
    pub fn from_toml(text: &str, file: &str, default_name: &str) -> Result<Self, ScenarioError> {
        let raw: raw::RawScenario = toml::from_str(text).map_err(|e| ScenarioError::Invalid {
            diagnostics: vec![locate::from_toml_error(text, file, &e)],
            more: 0,
        })?;
        validate::scenario(raw, default_name).map_err(|issues| {
            let (diagnostics, more) = locate::from_issues(text, file, issues);
            ScenarioError::Invalid { diagnostics, more }
        })
    }

    /// Replaces the seed (command-line override).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.run.seed = seed;
        self
    }

    /// Replaces the number of replications (command-line override); must be ≥ 1.
    pub fn with_replications(mut self, replications: u32) -> Self {
        self.run.replications = replications.max(1);
        self
    }

    /// The group chats from `entry` go to, if any (for an entry with a
    /// menu, the group the buyer picks with uniform `u` in (0, 1)).
    pub fn group_of(&self, entry: EntryPoint, u: f64) -> Option<usize> {
        match &self.menus[entry as usize] {
            Some(menu) => menu
                .iter()
                .find(|&&(_, c)| u < c)
                .or(menu.last())
                .map(|&(g, _)| g),
            None => self.entry_group[entry as usize],
        }
    }

    /// Whether any entry has a pre-routing menu.
    pub fn has_menus(&self) -> bool {
        self.menus.iter().any(Option::is_some)
    }

    /// The main account, if the scenario has one.
    pub fn main_account(&self) -> Option<usize> {
        self.agents.iter().position(|a| a.main_account)
    }

    /// The weight `agent` is routed by in `group`: its weight if the group's
    /// policy follows weights ([`PolicyKind::uses_weights`]), else 1.
    pub fn routing_weight(&self, agent: usize, group: usize) -> f64 {
        if self.groups[group].policy.uses_weights() {
            self.agents[agent].weight
        } else {
            1.0
        }
    }

    /// The weight `agent`'s chats per hour are compared by: its weight if
    /// any of its groups follows weights, else 1.
    pub fn share_weight(&self, agent: usize) -> f64 {
        let a = &self.agents[agent];
        if a.groups
            .iter()
            .any(|&g| self.groups[g].policy.uses_weights())
        {
            a.weight
        } else {
            1.0
        }
    }

    /// `[routing] nobody_online` at simulated time `t` (the schedule's last change by then).
    pub fn nobody_online_at(&self, t: SimTime) -> NobodyOnline {
        self.schedule
            .iter()
            .take_while(|c| c.at <= t)
            .filter_map(|c| match c.what {
                ChangeKind::NobodyOnline(v) => Some(v),
                _ => None,
            })
            .last()
            .unwrap_or(self.routing.nobody_online)
    }

    /// Whether Taobao's main-account fallback is on at any time of the run.
    pub fn main_fallback_ever(&self) -> bool {
        self.routing.nobody_online == NobodyOnline::MainAccount
            || self
                .schedule
                .iter()
                .any(|c| c.what == ChangeKind::NobodyOnline(NobodyOnline::MainAccount))
    }

    /// Whether the schedule changes who serves which group.
    pub fn membership_changes(&self) -> bool {
        self.schedule
            .iter()
            .any(|c| matches!(c.what, ChangeKind::Groups { .. }))
    }

    /// The highest cap the schedule gives agents of `entry` (0 if none).
    pub fn highest_cap(&self, entry: usize) -> u32 {
        self.schedule
            .iter()
            .filter_map(|c| match c.what {
                ChangeKind::Cap { entry: e, cap } if e == entry => Some(cap),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// Whether the weights of `group`'s agents differ.
    pub fn weights_differ(&self, group: usize) -> bool {
        let mut weights = self.groups[group]
            .members
            .iter()
            .map(|&i| self.agents[i].weight);
        let first = weights.next();
        weights.any(|w| Some(w) != first)
    }

    /// Warnings about settings that have no effect (`kefusim check` prints them).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, g) in self.groups.iter().enumerate() {
            if !g.policy.uses_weights() && self.weights_differ(i) {
                out.push(format!(
                    "group `{}`: policy `{}` ignores weights, but its agents' weights differ (use `least_active`, `weighted`, `feige_even`, `feige_priority`, `taobao_queue`, `round_robin` or `random` to route by weight)",
                    g.name,
                    g.policy.name()
                ));
            }
        }
        out
    }

    /// The facts that decide which metrics a run reports and their names.
    pub fn shape(&self) -> crate::catalog::Shape {
        crate::catalog::Shape {
            thresholds_s: self.sla.thresholds_s.clone(),
            groups: self.groups.iter().map(|g| g.name.clone()).collect(),
            tiers: self
                .buyers
                .vip_tiers
                .iter()
                .map(|t| t.name.clone())
                .collect(),
            offers: self.routing.variant.offer().is_some(),
            chatwoot: matches!(self.routing.variant, Variant::ChatwootV1),
            dialogue: self.service.dialogue().is_some(),
            processing_after: self
                .routing
                .processing_message_after
                .map(crate::time::format_duration),
        }
    }

    /// Largest `max_concurrent` of any agent.
    pub fn max_cap(&self) -> u32 {
        self.agents
            .iter()
            .map(|a| a.max_concurrent)
            .max()
            .unwrap_or(1)
    }
}
