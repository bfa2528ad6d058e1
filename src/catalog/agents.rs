//! The columns of `agents.csv`: one row per agent.

use super::Better::Neither;
use super::{Def, Scope, Unit, When};

/// The columns of `agents.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum AgentColumn {
    Agent,
    Entry,
    Groups,
    Shift,
    Weight,
    MaxConcurrent,
    Assigned,
    OnShiftHours,
    BreakHours,
    Occupancy,
    ChatsPerOnShiftHour,
    FairShareRatio,
    OvertimeChatHours,
    BusyHours,
    SuspendedHours,
    Utilisation,
    Rounds,
    ReplyRate3minRounds,
    RoundResponseMeanS,
    TransfersIn,
    TransfersOut,
}

const fn agent(
    id: AgentColumn,
    name: &'static str,
    unit: Unit,
    definition: &'static str,
) -> Def<AgentColumn> {
    Def {
        id,
        name,
        unit,
        better: Neither,
        scope: Scope::Agent,
        when: When::Always,
        definition,
    }
}

/// The columns of `agents.csv`, in order.
#[rustfmt::skip]
pub const AGENT_COLUMNS: [Def<AgentColumn>; 21] = [
    agent(AgentColumn::Agent, "agent", Unit::Text, "agent name"),
    agent(AgentColumn::Entry, "entry", Unit::Text, "its [[agents]] entry"),
    agent(AgentColumn::Groups, "groups", Unit::Text, "groups it serves, ;-separated"),
    agent(AgentColumn::Shift, "shift", Unit::Text, "its duty windows in the measured window, local time (e.g. 08:00-16:30; several comma-separated; all day without a shift plan)"),
    agent(AgentColumn::Weight, "weight", Unit::Ratio, "routing weight"),
    agent(AgentColumn::MaxConcurrent, "max_concurrent", Unit::Slots, "its chat cap"),
    agent(AgentColumn::Assigned, "assigned", Unit::Chats, "chats assigned in the window, mean per replication"),
    agent(AgentColumn::OnShiftHours, "on_shift_hours", Unit::Hours, "hours on shift (breaks included), mean per replication"),
    agent(AgentColumn::BreakHours, "break_hours", Unit::Hours, "hours on a break, mean per replication"),
    agent(AgentColumn::Occupancy, "occupancy", Unit::Fraction, "∫ open chats dt ÷ (cap × on-shift time), pooled"),
    agent(AgentColumn::ChatsPerOnShiftHour, "chats_per_on_shift_hour", Unit::ChatsPerHour, "chats assigned ÷ on-shift hours, pooled"),
    agent(AgentColumn::FairShareRatio, "fair_share_ratio", Unit::Ratio, "chats assigned ÷ weight-fair share, pooled"),
    agent(AgentColumn::OvertimeChatHours, "overtime_chat_hours", Unit::Hours, "chat-hours held after the shift ended, mean per replication"),
    agent(AgentColumn::BusyHours, "busy_hours", Unit::Hours, "hours busy (忙碌), mean per replication"),
    agent(AgentColumn::SuspendedHours, "suspended_hours", Unit::Hours, "hours suspended (挂起), mean per replication"),
    agent(AgentColumn::Utilisation, "utilisation", Unit::Fraction, "typing time ÷ on-shift time, pooled (dialogue model; 0 in the session model)"),
    agent(AgentColumn::Rounds, "rounds", Unit::Chats, "reply rounds charged to the agent, mean per replication"),
    agent(AgentColumn::ReplyRate3minRounds, "reply_rate_3min_rounds", Unit::Fraction, "its rounds answered within 180 s ÷ its rounds, pooled"),
    agent(AgentColumn::RoundResponseMeanS, "round_response_mean_s", Unit::Seconds, "its mean round response time (600 s cap, unanswered = 600 s), pooled"),
    agent(AgentColumn::TransfersIn, "transfers_in", Unit::Chats, "chats transferred to it, mean per replication"),
    agent(AgentColumn::TransfersOut, "transfers_out", Unit::Chats, "chats it transferred away, mean per replication"),
];
