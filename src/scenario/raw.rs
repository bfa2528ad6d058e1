//! serde types that mirror the scenario file, syntax only.
//!
//! Every table rejects unknown keys. Values stay as the user wrote them
//! (durations and instants as strings, integers as `i64`) so that
//! [`super::validate`] can say exactly what is wrong and where.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub run: RawRun,
    pub arrivals: RawArrivals,
    #[serde(default)]
    pub buyers: RawBuyers,
    pub service: RawService,
    #[serde(default)]
    pub agents: Vec<RawAgents>,
    #[serde(default)]
    pub groups: Vec<RawGroup>,
    #[serde(default)]
    pub routing: RawRouting,
    #[serde(default)]
    pub sla: RawSla,
    #[serde(default)]
    pub thresholds: RawThresholds,
    pub compare: Option<RawCompare>,
    pub plan: Option<RawPlan>,
    /// Settings that change during the run.
    #[serde(default)]
    pub schedule: Vec<RawChange>,
}

/// `[[schedule]]`: a setting that changes at an instant (`at`) or every
/// day at a local time (`daily`): an `[[agents]]` entry's `max_concurrent`
/// or `groups`, a group's `policy`, or the shop's `nobody_online`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawChange {
    /// An RFC 3339 instant, e.g. "2026-11-10T19:30:00+08:00".
    pub at: Option<String>,
    /// A local time of day, e.g. "19:30", every day of the run.
    pub daily: Option<String>,
    /// The `[[agents]]` entry whose cap or groups change.
    pub agents: Option<String>,
    /// The new cap (接待人数), 1..=50.
    pub max_concurrent: Option<i64>,
    /// The groups the entry's agents serve from then on (a group opened,
    /// or agents lent to another group, at the peak).
    pub groups: Option<Vec<String>>,
    /// The group whose policy changes.
    pub group: Option<String>,
    /// The new policy.
    pub policy: Option<String>,
    /// The new `[routing] nobody_online` (shop-wide).
    pub nobody_online: Option<String>,
}

/// `[compare]`: how `run --baseline` and `compare` judge these results
/// against a baseline.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCompare {
    /// The metrics that gate (default: every metric with a better
    /// direction); the others are reported, not judged.
    pub metrics: Option<Vec<String>>,
    /// How much worse a metric may get before it is a regression: an
    /// amount in its unit (`"0.005"`) or a percentage of the baseline
    /// (`"5%"`), replacing the catalogue's default.
    pub tolerances: Option<BTreeMap<String, String>>,
    /// The family-wise false-alarm rate, in (0, 0.5] (default 0.05).
    pub alpha: Option<f64>,
}

/// `[plan]`: capacity planning (`kefusim plan`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    /// The `[[agents]]` entry to plan (default: the first).
    pub entry: Option<String>,
    /// Entries the roster replaces (default: the planned entry).
    pub replace: Option<Vec<String>>,
    /// Per-interval targets, `METRIC OP NUMBER`.
    pub targets: Option<Vec<String>>,
    /// Share of on-duty time lost to what the model does not see.
    pub shrinkage: Option<f64>,
    /// Most planned agents on duty in one interval.
    pub max_agents: Option<i64>,
    /// Shift templates.
    #[serde(default)]
    pub shifts: Vec<RawPlanShift>,
}

/// `[[plan.shifts]]`: a shift template.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPlanShift {
    pub name: String,
    pub max: Option<i64>,
    pub shift: RawShift,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    pub name: Option<String>,
    pub start: String,
    pub duration: String,
    pub warmup: Option<String>,
    pub replications: Option<i64>,
    pub seed: Option<i64>,
    pub interval: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawArrivals {
    pub rate_per_hour: Option<f64>,
    pub profile: Option<Vec<(String, f64)>>,
    pub curve: Option<Vec<(String, f64)>>,
    pub weekdays: Option<RawWeekdays>,
    #[serde(default)]
    pub peaks: Vec<RawPeak>,
    #[serde(default)]
    pub holidays: Vec<RawHoliday>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWeekdays {
    pub mon: Option<f64>,
    pub tue: Option<f64>,
    pub wed: Option<f64>,
    pub thu: Option<f64>,
    pub fri: Option<f64>,
    pub sat: Option<f64>,
    pub sun: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPeak {
    pub name: Option<String>,
    pub start: String,
    pub ramp: Option<String>,
    pub hold: Option<String>,
    pub decay: Option<String>,
    pub multiplier: f64,
    pub entry: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHoliday {
    pub name: Option<String>,
    pub from: String,
    pub to: String,
    pub multiplier: f64,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBuyers {
    pub entries: Option<RawEntryShares>,
    pub vip_share: Option<f64>,
    pub vip_tiers: Option<Vec<RawVipTier>>,
    pub patience: Option<RawDist>,
    pub returning_share: Option<f64>,
    pub recency: Option<String>,
    pub direct_share: Option<f64>,
    pub private_share: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVipTier {
    pub name: String,
    pub share: f64,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEntryShares {
    pub product: Option<f64>,
    pub order: Option<f64>,
    pub dm: Option<f64>,
    pub live: Option<f64>,
    pub other: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub model: Option<String>,
    pub duration: Option<RawDist>,
    pub slowdown: Option<Vec<f64>>,
    pub first_reply: Option<RawDist>,
    /// Session model: chats pause while their agent is on a break (default true).
    pub break_pauses_chats: Option<bool>,
    pub rounds: Option<RawCount>,
    pub messages_per_round: Option<RawCount>,
    pub message_gap: Option<RawDist>,
    pub think: Option<RawDist>,
    pub typing: Option<RawDist>,
    pub inactivity_timeout: Option<String>,
    pub silent_abandon: Option<f64>,
}

/// `{ dist = "geometric", mean = 4 }`, `{ dist = "constant", value = 2 }`,
/// `{ dist = "uniform", min = 1, max = 6 }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCount {
    pub dist: String,
    pub mean: Option<f64>,
    pub value: Option<i64>,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// `{ dist = "...", ... }`: one struct for every family (no internally tagged
/// enum, which would lose error positions); validation checks which keys a
/// family needs.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDist {
    pub dist: String,
    pub mean: Option<String>,
    pub sd: Option<String>,
    pub value: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
    pub samples: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAgents {
    pub name: Option<String>,
    pub count: Option<i64>,
    pub groups: Option<Vec<String>>,
    pub weight: Option<f64>,
    pub max_concurrent: Option<i64>,
    pub speed: Option<f64>,
    pub shift: Option<RawShift>,
    pub main_account: Option<bool>,
    pub routable: Option<bool>,
    pub suspend_at_open: Option<i64>,
    #[serde(default)]
    pub episodes: Vec<RawEpisode>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEpisode {
    pub state: String,
    pub rate_per_hour: f64,
    pub length: RawDist,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawShift {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub windows: Option<Vec<(String, String)>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<Vec<(String, String)>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotate_every: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
    /// Dated staffing: only these dates (`"2026-11-11"`, `"2027-02-10..2027-02-16"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dates: Option<Vec<String>>,
    /// Dated staffing: never these dates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub except_dates: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<RawBreak>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBreak {
    pub after: String,
    pub length: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub name: String,
    pub policy: Option<String>,
    pub max_on_break: Option<i64>,
    pub overflow_to: Option<String>,
    pub overflow_after: Option<String>,
    pub transfer: Option<RawTransfer>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTransfer {
    pub share: f64,
    pub to: String,
    pub after: Option<String>,
    pub after_rounds: Option<i64>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRouting {
    pub policy: Option<String>,
    pub entry_groups: Option<BTreeMap<String, String>>,
    pub menu: Option<BTreeMap<String, BTreeMap<String, f64>>>,
    pub nobody_online: Option<String>,
    pub direct_respects_cap: Option<bool>,
    pub sticky_respects_cap: Option<bool>,
    pub shift_end: Option<String>,
    pub queue_order: Option<String>,
    pub max_queue: Option<i64>,
    pub abandon_to_offline: Option<bool>,
    pub fairness: Option<RawFairness>,
    pub golden_priority: Option<bool>,
    pub processing_message_after: Option<String>,
    pub transfer_to_break: Option<bool>,
    pub transfer_exceeds_cap: Option<bool>,
    pub variant: Option<String>,
    pub offer: Option<RawOffer>,
    /// 忙不过来: `{ above = 6, after = "5m" }`.
    pub overload_transfer: Option<RawOverload>,
    /// Offline messages only when nobody of the group is on shift (default false).
    pub offline_only_when_off_shift: Option<bool>,
    /// VIP专属通道: `{ group = "vip", tiers = ["svip"], overflow_after = "2m" }`.
    pub vip_channel: Option<RawVipChannel>,
    /// A routing service (`http://127.0.0.1:PORT`) instead of the built-in router.
    pub service: Option<String>,
    /// Longest wait for one answer of the service (default 2s).
    pub timeout: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOverload {
    /// Open chats above which an agent is overloaded (1..=49).
    pub above: i64,
    /// How long it may stay above before it hands its newest chat over.
    pub after: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVipChannel {
    /// The group VIP buyers are routed to.
    pub group: String,
    /// The VIP tiers it takes (default: every tier).
    pub tiers: Option<Vec<String>>,
    /// Wait in the channel's queue before going on to the entry's group.
    pub overflow_after: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOffer {
    pub accept: Option<f64>,
    pub response: Option<RawDist>,
    pub timeout: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFairness {
    pub max_assignments: i64,
    pub window: String,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSla {
    pub thresholds: Option<Vec<String>>,
}

/// `[thresholds]`: quality gates judged after a run.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawThresholds {
    /// `METRIC OP NUMBER` lines, e.g. `"abandon_rate < 3%"`.
    #[serde(default)]
    pub require: Vec<String>,
}
