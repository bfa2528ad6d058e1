//! Recording what happens in one replication, and turning it into numbers.
//!
//! The engine reports observations to a `Recorder`: chat outcomes (by the
//! interval the chat *arrived* in) and, once per event, the state it is about
//! to change (integrated exactly over time, split at interval boundaries).
//! Only chats arriving in the measured window `[warmup, duration)` are
//! counted; they are followed to their end even past the window. State
//! metrics are time averages over the window. `Recorder::finish` produces a
//! [`RepResult`]: named scalars (each with its definition), raw per-interval
//! sums and raw per-agent accounts, which the `replicate` module merges.
//!
//! Invariant: abandoned and unfinished chats are never counted as answered;
//! their waits are recorded as the time they actually waited (censored), not 0.

pub(crate) mod buckets;
mod load;
pub mod platform;
mod recorder;

use crate::time::SimTime;

use platform::ReplyTally;

pub use load::{AgentRow, Cell};
pub(crate) use load::{Balance, agent_rows, empty_accounts, load_balance, pool_accounts};
pub(crate) use recorder::Recorder;

/// Shop-wide state the engine keeps and the recorder integrates over time.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StateCounters {
    /// Chats waiting in the queue.
    pub queue_len: u64,
    /// Chats held by agents (on shift or finishing after it).
    pub sessions: u64,
    /// Agents on shift (online or on break).
    pub agents_on_shift: u64,
    /// Agents on break.
    pub agents_on_break: u64,
    /// Sum of `max_concurrent` over agents on shift.
    pub cap_on_shift: u64,
    /// Chats held by agents on shift.
    pub sessions_on_shift: u64,
    /// Offline messages not yet picked up.
    pub offline_pending: u64,
}

impl StateCounters {
    /// The counters in [`state_col`] order.
    // Through i64: the counters are far below 2^63, and a signed
    // conversion is one instruction where an unsigned one is several.
    fn values(&self) -> [f64; STATE_FIELDS] {
        let mut v = [0.0; STATE_FIELDS];
        v[state_col::QUEUE_LEN] = self.queue_len as i64 as f64;
        v[state_col::SESSIONS] = self.sessions as i64 as f64;
        v[state_col::AGENTS_ON_SHIFT] = self.agents_on_shift as i64 as f64;
        v[state_col::AGENTS_ON_BREAK] = self.agents_on_break as i64 as f64;
        v[state_col::CAP_ON_SHIFT] = self.cap_on_shift as i64 as f64;
        v[state_col::SESSIONS_ON_SHIFT] = self.sessions_on_shift as i64 as f64;
        v[state_col::OFFLINE_PENDING] = self.offline_pending as i64 as f64;
        v
    }
}

/// Number of state integrals per interval (the fields of the engine's state counters).
pub const STATE_FIELDS: usize = 7;

/// Per-interval state integrals (offsets into a row of value·ms).
pub mod state_col {
    /// Chats waiting in the queue.
    pub const QUEUE_LEN: usize = 0;
    /// Chats held by agents.
    pub const SESSIONS: usize = 1;
    /// Agents on shift.
    pub const AGENTS_ON_SHIFT: usize = 2;
    /// Agents on break.
    pub const AGENTS_ON_BREAK: usize = 3;
    /// Sum of caps of agents on shift.
    pub const CAP_ON_SHIFT: usize = 4;
    /// Chats held by agents on shift.
    pub const SESSIONS_ON_SHIFT: usize = 5;
    /// Offline messages not yet picked up.
    pub const OFFLINE_PENDING: usize = 6;
}

/// Length of a per-interval chat row for `thresholds` first-response thresholds.
pub fn chat_stride(thresholds: usize) -> usize {
    chat_col::WITHIN + thresholds
}

/// Sums the rows (of `width` values) of a flat row-major table.
pub(crate) fn column_sums(table: &[f64], width: usize) -> Vec<f64> {
    let mut sums = vec![0.0; width];
    for row in table.chunks_exact(width) {
        for (acc, v) in sums.iter_mut().zip(row) {
            *acc += v;
        }
    }
    sums
}

/// Adds `b` into `a`, element by element.
pub(crate) fn add_into(a: &mut [f64], b: &[f64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// Per-interval chat counters, by arrival interval (offsets into a row).
pub mod chat_col {
    /// Chats offered.
    pub const OFFERED: usize = 0;
    /// Chats taken by an agent.
    pub const ANSWERED: usize = 1;
    /// Chats abandoned in the queue.
    pub const ABANDONED: usize = 2;
    /// Chats that were not taken on arrival.
    pub const WAITED: usize = 3;
    /// Sum of queue waits of answered chats, ms.
    pub const SUM_WAIT_ANSWERED_MS: usize = 4;
    /// Chats still waiting when the simulation stopped.
    pub const UNFINISHED: usize = 5;
    /// Chats that became offline messages.
    pub const OFFLINE: usize = 6;
    /// Reply rounds (platform definition; unanswered included).
    pub const ROUNDS: usize = 7;
    /// Rounds answered within 180 s.
    pub const ROUNDS_3MIN: usize = 8;
    /// Σ min(round response, 600 s), unanswered = 600 s, ms.
    pub const ROUND_SUM_MS: usize = 9;
    /// First of the "first reply within threshold k" counters.
    pub const WITHIN: usize = 10;
}

/// Accounting of one agent over the measured window.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct AgentAccount {
    last_t: SimTime,
    /// On shift (online or on break), ms.
    pub on_shift_ms: f64,
    /// ∫ cap dt while on shift (slot·ms; = cap × on-shift time unless the
    /// cap changed, `[[schedule]]`). Complete after the recorder's `finish`.
    pub cap_ms: f64,
    /// On-shift time already counted in `cap_ms` (ms; the recorder's bookkeeping).
    pub(crate) cap_counted_ms: f64,
    /// On break, ms.
    pub break_ms: f64,
    /// Busy (忙碌), ms.
    pub busy_ms: f64,
    /// Suspended (挂起), ms.
    pub suspended_ms: f64,
    /// Typing replies while on shift (dialogue model), ms.
    pub typing_ms: f64,
    /// Reply rounds of counted chats charged to this agent (answered by it,
    /// or unanswered while it held the chat).
    pub replies: ReplyTally,
    /// Chats transferred to this agent.
    pub transfers_in: u64,
    /// Chats this agent transferred away.
    pub transfers_out: u64,
    /// ∫ open chats dt while on shift, chat·ms.
    pub open_ms: f64,
    /// ∫ open chats dt while off shift (finishing chats after the shift), chat·ms.
    pub overtime_open_ms: f64,
    /// Chats assigned in the window, by position in the agent's group list.
    pub assigned_by_group: Vec<u64>,
    /// On-shift time while serving each group, ms, by position in the
    /// agent's group list, for an agent whose groups a `[[schedule]]`
    /// change sets (empty otherwise: it serves every group of its list
    /// throughout, and this is `on_shift_ms` for each). Complete after
    /// the recorder's `finish`.
    pub member_ms: Vec<f64>,
    /// Per position: the on-shift time at which the current membership
    /// began; NaN when not a member now (the recorder's bookkeeping).
    pub(crate) member_from_ms: Vec<f64>,
    /// Chats assigned in the window for groups the agent does not serve
    /// (main-account fallback, private and direct buyers); outside fair shares.
    pub assigned_elsewhere: u64,
}

impl AgentAccount {
    /// On-shift time while serving the group at `pos` in the agent's group list, ms.
    pub fn member_on_shift_ms(&self, pos: usize) -> f64 {
        self.member_ms.get(pos).copied().unwrap_or(self.on_shift_ms)
    }

    /// Chats assigned in the window, all groups together.
    pub fn assigned(&self) -> f64 {
        (self.assigned_by_group.iter().sum::<u64>() + self.assigned_elsewhere) as f64
    }

    /// Chats assigned in the window for the agent's own groups (what its fair share covers).
    pub fn assigned_in_groups(&self) -> f64 {
        self.assigned_by_group.iter().sum::<u64>() as f64
    }
}

/// One named result of a replication.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Scalar {
    /// Public name (see README).
    pub name: String,
    /// Value; `NaN` when undefined (e.g. a mean over no chats).
    pub value: f64,
    /// What exactly it measures.
    pub definition: String,
}

/// Everything one replication produced.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RepResult {
    /// Named scalars, in a fixed order for a given scenario.
    pub scalars: Vec<Scalar>,
    /// Raw per-interval chat counters, `intervals × chat_stride`.
    pub chat: Vec<f64>,
    /// Raw per-interval state integrals (value·ms), `intervals × STATE_FIELDS`.
    pub state: Vec<f64>,
    /// Raw per-agent accounts.
    pub agents: Vec<AgentAccount>,
    /// First response time at each quantile of [`FRT_QUANTILES`], seconds
    /// (answered chats; `NaN` if none).
    pub frt_quantiles: Vec<f64>,
    /// First response times of answered chats by arrival interval,
    /// `intervals × buckets::COUNT` counts (see `metrics/buckets.rs`).
    pub frt_buckets: Vec<u32>,
    /// Capacity planning's per-interval counts (empty unless
    /// [`crate::scenario::Scenario::focus`] is set), `intervals × focus_col::width`.
    pub focus: Vec<f64>,
    /// The first commands of a routing service refused in this replication, described.
    pub router_examples: Vec<String>,
    /// When and why the routing service went down, if the replication
    /// finished on the fallback.
    pub router_down: Option<String>,
}

/// Quantiles at which the FRT distribution is reported (percentile spectrum).
pub const FRT_QUANTILES: [f64; 17] = [
    0.01, 0.05, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 0.95, 0.97, 0.98, 0.99,
    0.995, 0.999,
];

/// Columns of the focus table.
pub mod focus_col {
    /// Chats offered.
    pub const OFFERED: usize = 0;
    /// Chats abandoned.
    pub const ABANDONED: usize = 1;
    /// Σ open chats × time of the followed agents while on shift (ms).
    pub const OPEN_MS: usize = 2;
    /// Σ cap × time of the followed agents while on shift (ms).
    pub const CAP_MS: usize = 3;
    /// First reply within threshold k: `WITHIN + k`.
    pub const WITHIN: usize = 4;
    /// Width of a row with `thresholds` thresholds.
    pub fn width(thresholds: usize) -> usize {
        WITHIN + thresholds
    }
}
