//! Closing the books: a replication's numbers, one per catalogue metric.

use hdrhistogram::Histogram;

use super::Recorder;
use crate::agents::AgentPool;
use crate::catalog;
use crate::metrics::{
    Balance, FRT_QUANTILES, RepResult, STATE_FIELDS, Scalar, StateCounters, chat_col, column_sums,
    load_balance, state_col,
};
use crate::routing::{OfferOutcome, OfflineCause};
use crate::scenario::Scenario;

impl Recorder {
    /// Closes the window and computes the replication's numbers.
    ///
    /// `state` and `pool` are as the loop left them: if the loop stopped
    /// before the window's end, they held from the last event to it; if it
    /// went past, the window was already integrated and this adds nothing.
    pub fn finish(
        mut self,
        scenario: &Scenario,
        pool: &AgentPool,
        state: &StateCounters,
    ) -> RepResult {
        let to = self.to;
        self.advance(to, state);

        for (i, a) in pool.all().iter().enumerate() {
            self.agent_advance(i, to, a.open, a.presence);
            self.close_cap_segment(i);
            self.close_member_segments(i);
        }
        let scalars = self.scalars(scenario);
        let frt_quantiles = FRT_QUANTILES
            .iter()
            .map(|&q| {
                if self.frt_ms.is_empty() {
                    f64::NAN
                } else {
                    self.frt_ms.value_at_quantile(q) as f64 / 1e3
                }
            })
            .collect();
        RepResult {
            router_examples: Vec::new(),
            router_down: None,
            scalars,
            chat: self.chat,
            state: self.state,
            agents: self.agents,
            frt_quantiles,
            frt_buckets: self.frt_buckets,
            focus: self.focus.map(|f| f.table).unwrap_or_default(),
        }
    }

    fn scalars(&self, sc: &Scenario) -> Vec<Scalar> {
        let t = column_sums(&self.chat, self.chat_stride);
        let state_totals = column_sums(&self.state, STATE_FIELDS);
        let balance = load_balance(sc, &self.agents);
        catalog::scalars(&sc.shape())
            .into_iter()
            .map(|m| Scalar {
                value: self.value(&m, &t, &state_totals, &balance),
                name: m.name,
                definition: m.definition,
            })
            .collect()
    }

    /// The value of catalogue metric `m` (`t`: the chat columns summed over
    /// intervals; `states`: the state integrals summed; `balance`: load balance).
    fn value(&self, m: &catalog::Scalar, t: &[f64], states: &[f64], balance: &Balance) -> f64 {
        use catalog::{Arg, Id};
        let div = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        let q = |h: &Histogram<u64>, p: f64| {
            if h.is_empty() {
                f64::NAN
            } else {
                h.value_at_quantile(p) as f64 / 1e3
            }
        };
        let offered = t[chat_col::OFFERED];
        let answered = t[chat_col::ANSWERED];
        let abandoned = t[chat_col::ABANDONED];
        let k = match m.arg {
            Arg::Threshold { k, .. } => k,
            _ => 0,
        };
        let within = || t[chat_col::WITHIN + k];
        let replies = match m.arg {
            Arg::Window { assessed: true } => &self.replies_assessed,
            _ => &self.replies_all,
        };
        let class = || match m.arg {
            Arg::Group(g) => &self.groups[g],
            Arg::Tier(tier) => &self.tiers[tier],
            _ => &self.vip,
        };
        let group = || match m.arg {
            Arg::Group(g) => &balance.groups[g],
            _ => unreachable!("group metrics have a group"),
        };
        let cause = |c: OfflineCause| self.offline_by_cause[c as usize] as f64;
        let window_ms = (self.to - self.from) as f64;
        match m.def.id {
            Id::Offered => offered,
            Id::Answered => answered,
            Id::Abandoned => abandoned,
            Id::Unfinished => t[chat_col::UNFINISHED],
            Id::PWait => div(t[chat_col::WAITED], offered),
            Id::AbandonRate => div(abandoned, offered),
            Id::AsaAnsweredS => div(t[chat_col::SUM_WAIT_ANSWERED_MS], answered) / 1e3,
            Id::MeanWaitAllS => {
                let all_waits = t[chat_col::SUM_WAIT_ANSWERED_MS]
                    + self.sum_wait_abandoned_ms
                    + self.sum_wait_unfinished_ms;
                let left_message_at_once = (self.offline_by_cause
                    [OfflineCause::NobodyOnline as usize]
                    + self.offline_by_cause[OfflineCause::QueueFull as usize]
                    + self.offline_by_cause[OfflineCause::MainOffline as usize])
                    as f64;
                div(all_waits, offered - left_message_at_once) / 1e3
            }
            Id::FrtMeanS => div(self.sum_frt_ms, answered) / 1e3,
            Id::FrtP50S => q(&self.frt_ms, 0.5),
            Id::FrtP90S => q(&self.frt_ms, 0.9),
            Id::FrtP99S => q(&self.frt_ms, 0.99),
            Id::WaitAnsweredP90S => q(self.waits_answered(), 0.9),
            Id::WithinOverOffered => div(within(), offered),
            Id::WithinOverAnswered => div(within(), answered),
            Id::WithinOverOfferedMinusShortAbandons => {
                div(within(), offered - self.short_abandons[k] as f64)
            }
            Id::MeanSessionS => div(self.sum_session_ms, self.completed as f64) / 1e3,
            Id::SessionsUnfinished => self.sessions_unfinished as f64,
            Id::OfflineMessages => t[chat_col::OFFLINE],
            Id::OfflineNobodyOnline => cause(OfflineCause::NobodyOnline),
            Id::OfflineQueueFull => cause(OfflineCause::QueueFull),
            Id::OfflineAbandoned => cause(OfflineCause::Abandoned),
            Id::OfflineMainOffline => cause(OfflineCause::MainOffline),
            Id::OfflineAnswered => self.offline_answered as f64,
            Id::OfflineUnanswered => self.offline_unanswered as f64,
            Id::OfflineAnswerDelayMeanS => {
                div(self.sum_offline_delay_ms, self.offline_answered as f64) / 1e3
            }
            Id::OfflineAnswerDelayP90S => q(&self.offline_delay_ms, 0.9),
            Id::Rerouted => self.rerouted as f64,
            Id::OffersAccepted => self.offers[OfferOutcome::Accepted as usize] as f64,
            Id::OffersDeclined => self.offers[OfferOutcome::Declined as usize] as f64,
            Id::OffersTimedOut => self.offers[OfferOutcome::TimedOut as usize] as f64,
            Id::LeftUnassigned => self.left_unassigned as f64,
            Id::Transfers => self.transfers as f64,
            Id::TransfersFailed => self.transfers_failed as f64,
            Id::Overflowed => self.overflowed as f64,
            Id::RoundResponseMeanS => div(replies.sum_round_capped_ms, replies.rounds as f64) / 1e3,
            Id::ReplyRate3minRounds => {
                div(replies.rounds_within_3min as f64, replies.rounds as f64)
            }
            Id::ReplyRate3minMessages => {
                div(replies.messages_within_3min as f64, replies.messages as f64)
            }
            Id::Rounds => replies.rounds as f64,
            Id::SilentAbandons => self.silent_abandons as f64,
            Id::ClosedByInactivity => self.closed_by_inactivity as f64,
            Id::Utilisation => {
                let typing: f64 = self.agents.iter().map(|a| a.typing_ms).sum();
                let on_shift: f64 = self.agents.iter().map(|a| a.on_shift_ms).sum();
                div(typing, on_shift)
            }
            Id::ProcessingMessages => self.processing_messages as f64,
            Id::Occupancy => div(
                states[state_col::SESSIONS_ON_SHIFT],
                states[state_col::CAP_ON_SHIFT],
            ),
            Id::QueueLenMean => states[state_col::QUEUE_LEN] / window_ms,
            Id::SessionsInServiceMean => states[state_col::SESSIONS] / window_ms,
            Id::AgentsOnShiftMean => states[state_col::AGENTS_ON_SHIFT] / window_ms,
            Id::JainOccupancy => balance.jain_occupancy,
            Id::OccupancyCv => balance.occupancy_cv,
            Id::OccupancyMaxOverMean => balance.occupancy_max_over_mean,
            Id::ChatsPerHourCv => balance.chats_per_hour_cv,
            Id::FairShareRatioMin => balance.fair_share_ratio_min,
            Id::FairShareRatioMax => balance.fair_share_ratio_max,
            Id::ClassOffered => class().offered as f64,
            Id::ClassPWait => div(class().waited as f64, class().offered as f64),
            Id::ClassGolden => div(class().golden as f64, class().offered as f64),
            Id::ClassAsaAnsweredS => {
                div(class().sum_wait_answered_ms, class().answered as f64) / 1e3
            }
            Id::GroupOccupancy => group().occupancy,
            Id::GroupJainOccupancy => group().jain_occupancy,
        }
    }
}
