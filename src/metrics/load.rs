//! Load balance across agents: occupancy fairness (Jain's index, CV,
//! max/mean) and chats per on-shift hour against the weight-fair share.

use super::AgentAccount;
use crate::catalog::AgentColumn;
use crate::scenario::Scenario;
use crate::time::HOUR_MS;

/// Jain's fairness index `(Σx)² / (n Σx²)`; 1 = perfectly even. All-zero counts as even.
pub(crate) fn jain(xs: &[f64]) -> f64 {
    let sum: f64 = xs.iter().sum();
    let sum_sq: f64 = xs.iter().map(|x| x * x).sum();
    if xs.is_empty() {
        f64::NAN
    } else if sum_sq == 0.0 {
        1.0
    } else {
        sum * sum / (xs.len() as f64 * sum_sq)
    }
}

/// Coefficient of variation (population standard deviation ÷ mean); 0 when the mean is 0.
pub(crate) fn cv(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if mean == 0.0 {
        return 0.0;
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    var.sqrt() / mean
}

fn max_over_mean(xs: &[f64]) -> f64 {
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    let max = xs.iter().copied().fold(f64::NAN, f64::max);
    if mean > 0.0 { max / mean } else { f64::NAN }
}

/// Occupancy of an agent: ∫open dt ÷ ∫cap dt, on shift.
fn occupancy(acc: &AgentAccount) -> f64 {
    acc.open_ms / acc.cap_ms
}

/// For each agent, its weight-fair number of chats: per group, the group's
/// assignments shared in proportion to weight × on-shift hours while
/// serving the group (weight 1 under a policy that ignores weights,
/// [`Scenario::routing_weight`]).
fn fair_shares(sc: &Scenario, accounts: &[AgentAccount]) -> Vec<f64> {
    let mut fair = vec![0.0; accounts.len()];
    for (g, group) in sc.groups.iter().enumerate() {
        let pos = |i: usize| {
            sc.agents[i]
                .groups
                .iter()
                .position(|&x| x == g)
                .unwrap_or(0)
        };
        let exposure = |i: usize| sc.routing_weight(i, g) * accounts[i].member_on_shift_ms(pos(i));
        let mut total = 0.0;
        let mut denom = 0.0;
        for &i in &group.members {
            total += accounts[i].assigned_by_group[pos(i)] as f64;
            denom += exposure(i);
        }
        if denom == 0.0 {
            continue;
        }
        for &i in &group.members {
            fair[i] += total * exposure(i) / denom;
        }
    }
    fair
}

/// Of `candidates`, the agents that were on shift in the window, with their occupancies.
fn on_shift_occupancies(
    accounts: &[AgentAccount],
    candidates: impl Iterator<Item = usize>,
) -> (Vec<usize>, Vec<f64>) {
    let agents: Vec<usize> = candidates
        .filter(|&i| accounts[i].on_shift_ms > 0.0)
        .collect();
    let occ = agents.iter().map(|&i| occupancy(&accounts[i])).collect();
    (agents, occ)
}

/// Load balance of one replication (see the catalogue's definitions).
#[derive(Debug, Clone)]
pub(crate) struct Balance {
    /// Jain's index of per-agent occupancy.
    pub jain_occupancy: f64,
    /// Coefficient of variation of per-agent occupancy.
    pub occupancy_cv: f64,
    /// Highest ÷ mean per-agent occupancy.
    pub occupancy_max_over_mean: f64,
    /// CV of chats per on-shift hour per unit of weight.
    pub chats_per_hour_cv: f64,
    /// Lowest assigned ÷ weight-fair share.
    pub fair_share_ratio_min: f64,
    /// Highest assigned ÷ weight-fair share.
    pub fair_share_ratio_max: f64,
    /// Per group, by group index.
    pub groups: Vec<GroupBalance>,
}

/// One group's load balance.
#[derive(Debug, Clone)]
pub(crate) struct GroupBalance {
    /// Occupancy of its agents.
    pub occupancy: f64,
    /// Jain's index of its agents' occupancy.
    pub jain_occupancy: f64,
}

/// Load balance of one replication: shop-wide, and per group.
pub(crate) fn load_balance(sc: &Scenario, accounts: &[AgentAccount]) -> Balance {
    let (on_shift, occ) = on_shift_occupancies(accounts, 0..accounts.len());
    let per_hour_weight: Vec<f64> = on_shift
        .iter()
        .map(|&i| {
            accounts[i].assigned() / (accounts[i].on_shift_ms / HOUR_MS as f64) / sc.share_weight(i)
        })
        .collect();
    let fair = fair_shares(sc, accounts);
    let ratios: Vec<f64> = on_shift
        .iter()
        .filter(|&&i| fair[i] > 0.0)
        .map(|&i| accounts[i].assigned_in_groups() / fair[i])
        .collect();
    let groups = sc
        .groups
        .iter()
        .map(|group| {
            let (members, occ) = on_shift_occupancies(accounts, group.members.iter().copied());
            let open: f64 = members.iter().map(|&i| accounts[i].open_ms).sum();
            let cap: f64 = members.iter().map(|&i| accounts[i].cap_ms).sum();
            GroupBalance {
                occupancy: open / cap,
                jain_occupancy: jain(&occ),
            }
        })
        .collect();
    Balance {
        jain_occupancy: jain(&occ),
        occupancy_cv: cv(&occ),
        occupancy_max_over_mean: max_over_mean(&occ),
        chats_per_hour_cv: cv(&per_hour_weight),
        fair_share_ratio_min: ratios.iter().copied().fold(f64::NAN, f64::min),
        fair_share_ratio_max: ratios.iter().copied().fold(f64::NAN, f64::max),
        groups,
    }
}

/// Zeroed accounts, one per agent of the scenario (with membership
/// bookkeeping for the agents whose groups the schedule changes).
pub(crate) fn empty_accounts(sc: &Scenario) -> Vec<AgentAccount> {
    let changing: Vec<usize> = sc
        .schedule
        .iter()
        .filter_map(|c| match c.what {
            crate::scenario::ChangeKind::Groups { entry, .. } => Some(entry),
            _ => None,
        })
        .collect();
    sc.agents
        .iter()
        .map(|a| {
            let tracked = changing.contains(&a.entry);
            AgentAccount {
                assigned_by_group: vec![0; a.groups.len()],
                member_ms: if tracked {
                    vec![0.0; a.groups.len()]
                } else {
                    Vec::new()
                },
                member_from_ms: if tracked {
                    a.groups
                        .iter()
                        .map(|g| {
                            if a.start_groups.contains(g) {
                                0.0
                            } else {
                                f64::NAN
                            }
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                ..Default::default()
            }
        })
        .collect()
}

/// Adds one replication's accounts into `pooled`.
pub(crate) fn pool_accounts(pooled: &mut [AgentAccount], rep: &[AgentAccount]) {
    for (p, acc) in pooled.iter_mut().zip(rep) {
        p.on_shift_ms += acc.on_shift_ms;
        p.cap_ms += acc.cap_ms;
        p.break_ms += acc.break_ms;
        p.busy_ms += acc.busy_ms;
        p.suspended_ms += acc.suspended_ms;
        p.typing_ms += acc.typing_ms;
        p.replies.add(&acc.replies);
        p.transfers_in += acc.transfers_in;
        p.transfers_out += acc.transfers_out;
        p.open_ms += acc.open_ms;
        p.overtime_open_ms += acc.overtime_open_ms;
        p.assigned_elsewhere += acc.assigned_elsewhere;
        for (x, y) in p.member_ms.iter_mut().zip(&acc.member_ms) {
            *x += y;
        }
        for (x, y) in p.assigned_by_group.iter_mut().zip(&acc.assigned_by_group) {
            *x += y;
        }
    }
}

/// One line of `agents.csv`: an agent's figures pooled over replications
/// (the columns are defined in [`crate::catalog::AGENT_COLUMNS`]).
#[derive(Debug, Clone, Default)]
pub struct AgentRow {
    /// Agent name.
    pub agent: String,
    /// Its `[[agents]]` entry.
    pub entry: String,
    /// Groups, `;`-separated.
    pub groups: String,
    /// Its duty windows in the measured window, local time (`08:00-16:30`,
    /// several `, `-separated; `all day` without a shift plan, `none`
    /// when it had no shift in the window).
    pub shift: String,
    /// Routing weight.
    pub weight: f64,
    /// Chat cap.
    pub max_concurrent: u32,
    /// Mean chats assigned in the window per replication.
    pub assigned: f64,
    /// Mean hours on shift (breaks included) per replication.
    pub on_shift_hours: f64,
    /// Mean hours on break per replication.
    pub break_hours: f64,
    /// ∫open dt ÷ (cap × on-shift time), pooled.
    pub occupancy: f64,
    /// Assigned ÷ on-shift hours, pooled.
    pub chats_per_on_shift_hour: f64,
    /// Assigned ÷ weight-fair share, pooled.
    pub fair_share_ratio: f64,
    /// Mean chat-hours held after the shift ended, per replication.
    pub overtime_chat_hours: f64,
    /// Mean hours busy (忙碌) per replication.
    pub busy_hours: f64,
    /// Mean hours suspended (挂起) per replication.
    pub suspended_hours: f64,
    /// Typing time ÷ on-shift time, pooled (dialogue model; 0 in the session model).
    pub utilisation: f64,
    /// Mean reply rounds charged to the agent per replication.
    pub rounds: f64,
    /// Its rounds answered within 180 s ÷ its rounds, pooled.
    pub reply_rate_3min_rounds: f64,
    /// Its mean round response time (600 s cap, unanswered = 600 s), pooled, seconds.
    pub round_response_mean_s: f64,
    /// Mean chats transferred in / out per replication.
    pub transfers_in: f64,
    /// See `transfers_in`.
    pub transfers_out: f64,
}

/// One cell of an [`AgentRow`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Text.
    Text(&'a str),
    /// A whole number.
    Count(u32),
    /// A number.
    Number(f64),
}

impl AgentRow {
    /// The cell of column `c`.
    pub fn cell(&self, c: AgentColumn) -> Cell<'_> {
        use Cell::{Count, Number, Text};
        match c {
            AgentColumn::Agent => Text(&self.agent),
            AgentColumn::Entry => Text(&self.entry),
            AgentColumn::Groups => Text(&self.groups),
            AgentColumn::Shift => Text(&self.shift),
            AgentColumn::Weight => Number(self.weight),
            AgentColumn::MaxConcurrent => Count(self.max_concurrent),
            AgentColumn::Assigned => Number(self.assigned),
            AgentColumn::OnShiftHours => Number(self.on_shift_hours),
            AgentColumn::BreakHours => Number(self.break_hours),
            AgentColumn::Occupancy => Number(self.occupancy),
            AgentColumn::ChatsPerOnShiftHour => Number(self.chats_per_on_shift_hour),
            AgentColumn::FairShareRatio => Number(self.fair_share_ratio),
            AgentColumn::OvertimeChatHours => Number(self.overtime_chat_hours),
            AgentColumn::BusyHours => Number(self.busy_hours),
            AgentColumn::SuspendedHours => Number(self.suspended_hours),
            AgentColumn::Utilisation => Number(self.utilisation),
            AgentColumn::Rounds => Number(self.rounds),
            AgentColumn::ReplyRate3minRounds => Number(self.reply_rate_3min_rounds),
            AgentColumn::RoundResponseMeanS => Number(self.round_response_mean_s),
            AgentColumn::TransfersIn => Number(self.transfers_in),
            AgentColumn::TransfersOut => Number(self.transfers_out),
        }
    }

    /// Sets column `c` from its text as `agents.csv` writes it (a number
    /// cell may be empty: undefined).
    pub fn set(&mut self, c: AgentColumn, text: &str) -> Result<(), String> {
        let n = || -> Result<f64, String> {
            if text.is_empty() {
                return Ok(f64::NAN);
            }
            text.parse::<f64>()
                .ok()
                .filter(|v| !v.is_nan())
                .ok_or_else(|| format!("`{text}` is not a number"))
        };
        match c {
            AgentColumn::Agent => self.agent = text.to_string(),
            AgentColumn::Entry => self.entry = text.to_string(),
            AgentColumn::Groups => self.groups = text.to_string(),
            AgentColumn::Shift => self.shift = text.to_string(),
            AgentColumn::Weight => self.weight = n()?,
            AgentColumn::MaxConcurrent => {
                self.max_concurrent = text
                    .parse()
                    .map_err(|_| format!("`{text}` is not a whole number"))?
            }
            AgentColumn::Assigned => self.assigned = n()?,
            AgentColumn::OnShiftHours => self.on_shift_hours = n()?,
            AgentColumn::BreakHours => self.break_hours = n()?,
            AgentColumn::Occupancy => self.occupancy = n()?,
            AgentColumn::ChatsPerOnShiftHour => self.chats_per_on_shift_hour = n()?,
            AgentColumn::FairShareRatio => self.fair_share_ratio = n()?,
            AgentColumn::OvertimeChatHours => self.overtime_chat_hours = n()?,
            AgentColumn::BusyHours => self.busy_hours = n()?,
            AgentColumn::SuspendedHours => self.suspended_hours = n()?,
            AgentColumn::Utilisation => self.utilisation = n()?,
            AgentColumn::Rounds => self.rounds = n()?,
            AgentColumn::ReplyRate3minRounds => self.reply_rate_3min_rounds = n()?,
            AgentColumn::RoundResponseMeanS => self.round_response_mean_s = n()?,
            AgentColumn::TransfersIn => self.transfers_in = n()?,
            AgentColumn::TransfersOut => self.transfers_out = n()?,
        }
        Ok(())
    }
}

/// The shifts agent `spec` works in the measured window, as local
/// windows (`08:00-16:30`; up to three, then `…`), `all day` without a
/// shift plan, `none` when no shift falls in the window.
fn shift_label(sc: &Scenario, spec: &crate::scenario::AgentSpec) -> String {
    let Some(plan) = &sc.entries[spec.entry].shift else {
        return "all day".into();
    };
    let (from, to) = (sc.run.measure_from() as i64, sc.run.measure_to() as i64);
    let windows = plan.windows_between(&sc.run.clock, spec.stagger, from, to, 4);
    match windows.len() {
        0 => "none".into(),
        1..=3 => windows.join(", "),
        _ => format!("{}, …", windows[..3].join(", ")),
    }
}

/// Pools per-agent accounts over replications into rows.
pub(crate) fn agent_rows(
    sc: &Scenario,
    pooled: &[AgentAccount],
    replications: u32,
) -> Vec<AgentRow> {
    let n = f64::from(replications.max(1));
    let fair = fair_shares(sc, pooled);
    sc.agents
        .iter()
        .zip(pooled)
        .enumerate()
        .map(|(i, (spec, acc))| {
            let assigned = acc.assigned();
            let hours = acc.on_shift_ms / HOUR_MS as f64;
            AgentRow {
                agent: spec.name.clone(),
                entry: sc.entries[spec.entry].name.clone(),
                groups: spec
                    .groups
                    .iter()
                    .map(|&g| sc.groups[g].name.as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
                shift: shift_label(sc, spec),
                weight: spec.weight,
                max_concurrent: spec.max_concurrent,
                assigned: assigned / n,
                on_shift_hours: hours / n,
                break_hours: acc.break_ms / HOUR_MS as f64 / n,
                occupancy: occupancy(acc),
                chats_per_on_shift_hour: assigned / hours,
                // Chats of groups the agent does not serve are outside its fair share.
                fair_share_ratio: acc.assigned_in_groups() / fair[i],
                overtime_chat_hours: acc.overtime_open_ms / HOUR_MS as f64 / n,
                busy_hours: acc.busy_ms / HOUR_MS as f64 / n,
                suspended_hours: acc.suspended_ms / HOUR_MS as f64 / n,
                utilisation: acc.typing_ms / acc.on_shift_ms,
                rounds: acc.replies.rounds as f64 / n,
                reply_rate_3min_rounds: acc.replies.rounds_within_3min as f64
                    / acc.replies.rounds as f64,
                round_response_mean_s: acc.replies.sum_round_capped_ms
                    / acc.replies.rounds as f64
                    / 1e3,
                transfers_in: acc.transfers_in as f64 / n,
                transfers_out: acc.transfers_out as f64 / n,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fairness_indices() {
        assert_eq!(jain(&[0.5, 0.5, 0.5]), 1.0);
        assert!((jain(&[1.0, 0.0, 0.0, 0.0]) - 0.25).abs() < 1e-12);
        assert_eq!(cv(&[2.0, 2.0]), 0.0);
        assert!((cv(&[1.0, 3.0]) - 0.5).abs() < 1e-12);
        assert_eq!(max_over_mean(&[1.0, 3.0]), 1.5);
    }
}
