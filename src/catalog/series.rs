//! The columns of `timeseries.csv`: one value per interval.

use super::Better::{self, Higher, Lower, Neither};
use super::{Def, Scope, Unit, When};

/// The columns of `timeseries.csv` (see [`series_columns`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Column {
    Offered,
    Answered,
    Abandoned,
    Unfinished,
    PWait,
    AbandonRate,
    WithinOverOffered,
    AsaAnsweredS,
    QueueLenMean,
    AgentsOnShift,
    AgentsOnBreak,
    SessionsInServiceMean,
    Occupancy,
    OfflineMessages,
    OfflinePendingMean,
    RoundResponseMeanS,
    ReplyRate3minRounds,
    CapacityOnShiftMean,
    FrtP50S,
    FrtP90S,
    FrtP99S,
}

const fn interval(
    id: Column,
    name: &'static str,
    unit: Unit,
    better: Better,
    definition: &'static str,
) -> Def<Column> {
    Def {
        id,
        name,
        unit,
        better,
        scope: Scope::Interval,
        when: When::Always,
        definition,
    }
}

/// Before the per-threshold columns.
#[rustfmt::skip]
const SERIES_HEAD: [Def<Column>; 6] = [
    interval(Column::Offered, "offered", Unit::Chats, Neither, "chats arriving in the interval (mean per replication)"),
    interval(Column::Answered, "answered", Unit::Chats, Neither, "chats arriving in the interval later taken by an agent (mean per replication)"),
    interval(Column::Abandoned, "abandoned", Unit::Chats, Neither, "chats arriving in the interval whose buyer left the queue (mean per replication)"),
    interval(Column::Unfinished, "unfinished", Unit::Chats, Neither, "chats arriving in the interval still waiting when the run stopped (mean per replication)"),
    interval(Column::PWait, "p_wait", Unit::Fraction, Lower, "fraction of the interval's chats that queued on arrival"),
    interval(Column::AbandonRate, "abandon_rate", Unit::Fraction, Lower, "chats arriving in the interval whose buyer left the queue ÷ its offered chats"),
];

/// Per SLA threshold `{s}`.
const SERIES_WITHIN: Def<Column> = interval(
    Column::WithinOverOffered,
    "answered_within_{s}s_over_offered",
    Unit::Fraction,
    Higher,
    "chats arriving in the interval first answered within {s} s ÷ its offered chats",
);

/// After the per-threshold columns.
#[rustfmt::skip]
const SERIES_TAIL: [Def<Column>; 14] = [
    interval(Column::AsaAnsweredS, "asa_answered_s", Unit::Seconds, Lower, "mean queue wait of the interval's answered chats, seconds"),
    interval(Column::QueueLenMean, "queue_len_mean", Unit::Chats, Lower, "time-averaged chats waiting in the queue during the interval"),
    interval(Column::AgentsOnShift, "agents_on_shift", Unit::Agents, Neither, "time-averaged agents on shift (breaks included) during the interval"),
    interval(Column::AgentsOnBreak, "agents_on_break", Unit::Agents, Neither, "time-averaged agents on a break during the interval"),
    interval(Column::SessionsInServiceMean, "sessions_in_service_mean", Unit::Chats, Neither, "time-averaged chats held by agents during the interval"),
    interval(Column::Occupancy, "occupancy", Unit::Fraction, Neither, "∫ open chats ÷ ∫ caps of on-shift agents over the interval"),
    interval(Column::OfflineMessages, "offline_messages", Unit::Chats, Neither, "chats arriving in the interval that became offline messages (mean per replication)"),
    interval(Column::OfflinePendingMean, "offline_pending_mean", Unit::Chats, Lower, "time-averaged offline messages not yet picked up during the interval"),
    interval(Column::RoundResponseMeanS, "round_response_mean_s", Unit::Seconds, Lower, "Taobao 平均响应时长 of the interval's chats (600 s cap), seconds"),
    interval(Column::ReplyRate3minRounds, "reply_rate_3min_rounds", Unit::Fraction, Higher, "rounds of the interval's chats answered within 180 s ÷ their rounds"),
    interval(Column::CapacityOnShiftMean, "capacity_on_shift_mean", Unit::Slots, Neither, "time-averaged chat slots (max_concurrent) of agents on shift during the interval"),
    interval(Column::FrtP50S, "frt_p50_s", Unit::Seconds, Lower, "median first response time of the interval's answered chats, seconds (within 6.25%)"),
    interval(Column::FrtP90S, "frt_p90_s", Unit::Seconds, Lower, "90th percentile first response time of the interval's answered chats, seconds (within 6.25%)"),
    interval(Column::FrtP99S, "frt_p99_s", Unit::Seconds, Lower, "99th percentile first response time of the interval's answered chats, seconds (within 6.25%)"),
];

/// One column of the time series.
#[derive(Debug, Clone)]
pub struct SeriesColumn {
    /// The catalogue entry.
    pub def: &'static Def<Column>,
    /// Its name in `timeseries.csv`.
    pub name: String,
    /// For the per-threshold column: the threshold's index.
    pub k: usize,
}

/// The columns of `timeseries.csv` before their `_ci95` twins, in order.
pub fn series_columns(thresholds_s: &[u32]) -> Vec<SeriesColumn> {
    let plain = |def: &'static Def<Column>| SeriesColumn {
        def,
        name: def.name.to_string(),
        k: 0,
    };
    let mut out: Vec<SeriesColumn> = SERIES_HEAD.iter().map(plain).collect();
    out.extend(thresholds_s.iter().enumerate().map(|(k, &s)| SeriesColumn {
        def: &SERIES_WITHIN,
        name: SERIES_WITHIN.name.replace("{s}", &s.to_string()),
        k,
    }));
    out.extend(SERIES_TAIL.iter().map(plain));
    out
}

impl Column {
    /// Its entry in the catalogue.
    pub fn def(self) -> &'static Def<Column> {
        SERIES_HEAD
            .iter()
            .chain(std::iter::once(&SERIES_WITHIN))
            .chain(&SERIES_TAIL)
            .find(|d| d.id == self)
            .expect("every Column has an entry (tested)")
    }

    /// Its name (`{s}` for the per-threshold column).
    pub fn name(self) -> &'static str {
        self.def().name
    }
}
