//! The routing policies a group can use (their implementations are in
//! `routing/policy.rs`).

/// A group's selection policy (closed set; chosen in the scenario).
///
/// Each rule below is the one with equal weights. In a group whose weights
/// differ, the policies that [use weights](PolicyKind::uses_weights) follow
/// them: the least-loaded ones and `taobao_queue` order by open chats ÷
/// weight, then chats since coming on shift ÷ weight; `round_robin` becomes
/// smooth weighted round robin; `random` draws in proportion to weight.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// Fewest open chats; tie → longest since last assignment; tie → lower id.
    LeastActive,
    /// Smooth weighted round robin: each eligible agent's share of new chats
    /// is proportional to its weight; tie → lower id.
    Weighted,
    /// Next eligible agent after the last one chosen, in id order.
    RoundRobin,
    /// Agents with no open chat first, longest idle first; else least recent
    /// activity (assignment or chat end); tie → lower id.
    LongestIdle,
    /// Uniformly random among eligible agents (routing random stream).
    Random,
    /// Feige 平均分配: fewest open chats; tie → fewest chats since coming on
    /// shift; tie → lower id.
    FeigeEven,
    /// Feige 按优先级 (after the sticky step): the most idle agent — fewest
    /// open chats; tie → least recent activity (assignment or chat end); tie → lower id.
    FeigePriority,
    /// Taobao: an ordered list of the group's agents, stably re-sorted by
    /// current load (open chats), main account first among equals, before
    /// every assignment; the first eligible agent in the list.
    TaobaoQueue,
    /// Most free slots (cap − open); tie → longest since last assignment; tie → lower id.
    MostAvailable,
    /// Largest free fraction (1 − open/cap); tie → longest since last assignment; tie → lower id.
    PercentAvailable,
}

impl PolicyKind {
    /// Every policy with its scenario name.
    pub const ALL: [(PolicyKind, &'static str); 10] = [
        (Self::LeastActive, "least_active"),
        (Self::Weighted, "weighted"),
        (Self::RoundRobin, "round_robin"),
        (Self::LongestIdle, "longest_idle"),
        (Self::Random, "random"),
        (Self::FeigeEven, "feige_even"),
        (Self::FeigePriority, "feige_priority"),
        (Self::TaobaoQueue, "taobao_queue"),
        (Self::MostAvailable, "most_available"),
        (Self::PercentAvailable, "percent_available"),
    ];

    /// Whether the policy follows the agents' weights (权重值) in a group
    /// whose weights differ. `longest_idle` orders by idle time only, and
    /// `most_available` / `percent_available` by free capacity, for which
    /// the cap is the weight; `check` warns when weights are set under them.
    pub fn uses_weights(self) -> bool {
        !matches!(
            self,
            Self::LongestIdle | Self::MostAvailable | Self::PercentAvailable
        )
    }

    /// The scenario name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(p, _)| *p == self)
            .map_or("?", |(_, n)| n)
    }

    /// Parses a scenario name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(p, _)| *p)
    }

    /// The names, for error messages.
    pub fn names() -> String {
        Self::ALL
            .iter()
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
