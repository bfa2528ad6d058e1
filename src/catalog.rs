//! The metric catalogue: every number kefusim reports, defined once — its
//! name, unit, better direction, scope, when it is reported, and the text
//! that says what it measures (DOMAIN.md §5).
//!
//! Three tables, one per output:
//! - [`scalars`]: the run's metrics, in `summary.json` order (shop-wide,
//!   then per group, VIP buyers and VIP tiers);
//! - [`series_columns`]: the columns of `timeseries.csv`, one value per
//!   interval (each gets a `_ci95` twin);
//! - [`AGENT_COLUMNS`]: the columns of `agents.csv`, one row per agent.
//!
//! The simulation produces each value with an exhaustive `match` over
//! [`Id`], [`Column`] and [`AgentColumn`], so a metric added here without a
//! value, or a value without an entry here, does not compile. Comparisons
//! ([`lookup`] for the better direction), `[thresholds]` and plan targets
//! (names checked against [`scalars`]) and the report's definitions all
//! read these tables.

mod agents;
mod gate;
mod names;
mod series;
mod shop;
#[cfg(test)]
mod tests;
mod threshold;

pub use agents::{AGENT_COLUMNS, AgentColumn};
pub use gate::{
    DEFAULT_ALPHA, GateSpec, Tolerance, check_alpha, default_tolerance, parse_amount,
    parse_tolerance,
};
pub use names::{ALIASES, resolve};
pub use series::{Column, SeriesColumn, series_columns};
pub use shop::{
    ABANDON_RATE, Arg, BALANCE, CLASS, FRT_P50_S, FRT_P90_S, FRT_P99_S, GOLDEN, GOLDEN_MS,
    GROUP_BALANCE, HEAD, Id, JAIN_OCCUPANCY, OCCUPANCY, OFFERED, OUTCOMES, ROUNDS, STATE, Scalar,
    Shape, WITHIN, lookup, name_patterns, names, scalars, within_name,
};
pub use threshold::{
    Bound, During, LIVE_FIGURES, LIVE_PREFIX, Op, Over, Threshold, check_target, live_figure,
    parse_threshold, target_bound,
};

/// Which way a metric should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Higher is better.
    Higher,
    /// Lower is better.
    Lower,
    /// Neither (counts, occupancy): changes are listed, never regressions.
    Neither,
}

impl Better {
    /// As `compare` prints it.
    pub fn word(self) -> &'static str {
        match self {
            Better::Higher => "higher is better",
            Better::Lower => "lower is better",
            Better::Neither => "no direction",
        }
    }
}

/// What a metric is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Chats (a count, or a mean count per replication).
    Chats,
    /// A share of something, 0..=1.
    Fraction,
    /// Seconds.
    Seconds,
    /// Hours.
    Hours,
    /// Agents (a time average).
    Agents,
    /// Chat slots (`max_concurrent` summed).
    Slots,
    /// Chats per hour.
    ChatsPerHour,
    /// A dimensionless index or ratio.
    Ratio,
    /// Text (names in `agents.csv`).
    Text,
}

impl Unit {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Chats => "chats",
            Unit::Fraction => "fraction",
            Unit::Seconds => "s",
            Unit::Hours => "h",
            Unit::Agents => "agents",
            Unit::Slots => "slots",
            Unit::ChatsPerHour => "chats/h",
            Unit::Ratio => "ratio",
            Unit::Text => "text",
        }
    }
}

/// Whom a metric is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole shop, over the measured window.
    Shop,
    /// One group (`group.<name>.…`).
    Group,
    /// A class of buyers: every group (`group.<name>.…`), VIP buyers
    /// (`vip.…`) and each VIP tier (`vip.<tier>.…`).
    Class,
    /// One interval of the time series.
    Interval,
    /// One agent (`agents.csv`).
    Agent,
}

/// When a shop metric is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Always.
    Always,
    /// With an offer variant (`omni_channel`, `taskrouter`).
    Offers,
    /// With the Chatwoot v1 variant.
    Chatwoot,
    /// With the dialogue model.
    Dialogue,
    /// With `processing_message_after`.
    Processing,
}

/// One metric, defined once.
#[derive(Debug, Clone, Copy)]
pub struct Def<K> {
    /// What produces its value.
    pub id: K,
    /// Its name (`{s}`: an SLA threshold in seconds; scoped metrics get a
    /// `group.<name>.`, `vip.` or `vip.<tier>.` prefix).
    pub name: &'static str,
    /// Unit.
    pub unit: Unit,
    /// Better direction.
    pub better: Better,
    /// Scope.
    pub scope: Scope,
    /// When it is reported.
    pub when: When,
    /// What it measures (`{s}`, `{who}`, `{golden}`, `{window}`, `{round}`,
    /// `{after}` are filled in per scenario).
    pub definition: &'static str,
}
