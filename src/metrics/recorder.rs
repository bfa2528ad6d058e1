//! The recorder: the observations of one replication, as they happen.

mod values;

use hdrhistogram::Histogram;

use super::platform::{self, Pending, ReplyTally};
use super::{
    AgentAccount, STATE_FIELDS, StateCounters, buckets, chat_col, chat_stride, empty_accounts,
    focus_col,
};
use crate::agents::Presence;
use crate::catalog::GOLDEN_MS;
use crate::routing::{OfferOutcome, OfflineCause};
use crate::scenario::Scenario;
use crate::time::{DAY_MS, HOUR_MS, LocalClock, Millis, SimTime};

/// Collects the observations of one replication.
pub(crate) struct Recorder {
    from: SimTime,
    to: SimTime,
    interval: Millis,
    thresholds_ms: Vec<Millis>,
    chat_stride: usize,
    chat: Vec<f64>,
    state: Vec<f64>,
    last_t: SimTime,
    /// The interval `last_t` integrates into and its end (time only moves
    /// forward, so no division per event).
    seg: usize,
    seg_end: SimTime,
    frt_ms: Histogram<u64>,
    /// `intervals × buckets::COUNT`.
    frt_buckets: Vec<u32>,
    /// Waits of answered chats. `None` in the session model without
    /// `first_reply`: every answered chat's first reply comes at
    /// assignment, so its wait is its first response time and `frt_ms` is
    /// the waits' histogram too (recorded once).
    wait_answered_ms: Option<Histogram<u64>>,
    sum_frt_ms: f64,
    sum_wait_abandoned_ms: f64,
    sum_wait_unfinished_ms: f64,
    /// Abandoned with wait ≤ threshold k.
    short_abandons: Vec<u64>,
    completed: u64,
    sum_session_ms: f64,
    sessions_unfinished: u64,
    /// Offline messages by cause (see [`OfflineCause`]).
    offline_by_cause: [u64; 4],
    offline_answered: u64,
    offline_unanswered: u64,
    offline_delay_ms: Histogram<u64>,
    sum_offline_delay_ms: f64,
    rerouted: u64,
    overflowed: u64,
    transfers: u64,
    transfers_failed: u64,
    /// Offers by outcome: accepted, declined, timed out.
    offers: [u64; 3],
    left_unassigned: u64,
    processing_after: Option<Millis>,
    processing_messages: u64,
    clock: LocalClock,
    replies_all: ReplyTally,
    replies_assessed: ReplyTally,
    silent_abandons: u64,
    closed_by_inactivity: u64,
    /// Per agent: its current cap.
    caps: Vec<u32>,
    /// Per group.
    groups: Vec<ClassTally>,
    /// VIP buyers, all tiers.
    vip: ClassTally,
    /// Per VIP tier, when there are several.
    tiers: Vec<ClassTally>,
    agents: Vec<AgentAccount>,
    focus: Option<FocusTally>,
}

/// Per-interval counts for capacity planning: the chats of some groups and
/// the occupancy of some agents (only when [`Scenario::focus`] is set).
struct FocusTally {
    groups: Vec<bool>,
    /// Cap of each followed agent; 0 = not followed.
    caps: Vec<u32>,
    /// `intervals × focus_col::width(thresholds)`.
    table: Vec<f64>,
    width: usize,
}

/// Counts for one class of chats (a group, or VIP buyers).
#[derive(Debug, Clone, Copy, Default)]
struct ClassTally {
    offered: u64,
    waited: u64,
    answered: u64,
    golden: u64,
    sum_wait_answered_ms: f64,
}

impl Recorder {
    /// A recorder for one replication of `scenario`.
    pub fn new(scenario: &Scenario) -> Self {
        let run = &scenario.run;
        let thresholds_ms: Vec<Millis> = scenario
            .sla
            .thresholds_s
            .iter()
            .map(|&s| u64::from(s) * 1000)
            .collect();
        let chat_stride = chat_stride(thresholds_ms.len());
        let n = run.intervals();
        // Waits are at most the window plus the 7-day drain; anything longer saturates.
        let histogram =
            || Histogram::new_with_bounds(1, 400 * DAY_MS, 3).expect("valid histogram bounds");
        Self {
            from: run.measure_from(),
            to: run.measure_to(),
            interval: run.interval,
            short_abandons: vec![0; thresholds_ms.len()],
            thresholds_ms,
            chat_stride,
            chat: vec![0.0; n * chat_stride],
            state: vec![0.0; n * STATE_FIELDS],
            last_t: 0,
            seg: 0,
            seg_end: run.measure_from() + run.interval,
            frt_ms: histogram(),
            frt_buckets: vec![0; n * buckets::COUNT],
            wait_answered_ms: (scenario.service.dialogue().is_some()
                || scenario.service.first_reply.is_some())
            .then(histogram),
            sum_frt_ms: 0.0,
            sum_wait_abandoned_ms: 0.0,
            sum_wait_unfinished_ms: 0.0,
            completed: 0,
            sum_session_ms: 0.0,
            sessions_unfinished: 0,
            offline_by_cause: [0; 4],
            offline_answered: 0,
            offline_unanswered: 0,
            offline_delay_ms: histogram(),
            sum_offline_delay_ms: 0.0,
            rerouted: 0,
            overflowed: 0,
            transfers: 0,
            transfers_failed: 0,
            offers: [0; 3],
            left_unassigned: 0,
            processing_after: scenario.routing.processing_message_after,
            processing_messages: 0,
            clock: run.clock,
            replies_all: ReplyTally::default(),
            replies_assessed: ReplyTally::default(),
            silent_abandons: 0,
            closed_by_inactivity: 0,
            groups: vec![ClassTally::default(); scenario.groups.len()],
            vip: ClassTally::default(),
            tiers: if scenario.buyers.vip_tiers.len() > 1 {
                vec![ClassTally::default(); scenario.buyers.vip_tiers.len()]
            } else {
                Vec::new()
            },
            agents: empty_accounts(scenario),
            caps: scenario.agents.iter().map(|a| a.max_concurrent).collect(),
            focus: scenario.focus.as_ref().map(|f| {
                let width = focus_col::width(scenario.sla.thresholds_s.len());
                FocusTally {
                    groups: f.groups.clone(),
                    caps: scenario
                        .agents
                        .iter()
                        .zip(&f.agents)
                        .map(|(a, &on)| if on { a.max_concurrent } else { 0 })
                        .collect(),
                    table: vec![0.0; n * width],
                    width,
                }
            }),
        }
    }

    #[inline]
    fn focus_add(&mut self, iv: u32, group: usize, col: usize) {
        if self.focus.is_some() {
            self.focus_count(iv, group, col);
        }
    }

    /// Capacity planning only: kept out of line so the common path stays small.
    #[cold]
    #[inline(never)]
    fn focus_count(&mut self, iv: u32, group: usize, col: usize) {
        if let Some(f) = &mut self.focus
            && f.groups[group]
        {
            f.table[iv as usize * f.width + col] += 1.0;
        }
    }

    /// Capacity planning only: an answered chat's first reply against each threshold.
    #[cold]
    #[inline(never)]
    fn focus_answered(&mut self, iv: u32, group: usize, frt_ms: Millis) {
        for k in 0..self.thresholds_ms.len() {
            if frt_ms <= self.thresholds_ms[k] {
                self.focus_count(iv, group, focus_col::WITHIN + k);
            }
        }
    }

    /// Capacity planning only: a followed agent's open chats and cap over `[t, end)`, split by interval.
    #[cold]
    #[inline(never)]
    fn focus_agent(&mut self, agent: usize, t: SimTime, end: SimTime, open: u32) {
        let (from, interval) = (self.from, self.interval);
        if let Some(f) = &mut self.focus
            && f.caps[agent] > 0
        {
            let mut s = t;
            while s < end {
                let i = ((s - from) / interval) as usize;
                let seg_end = (from + (i as u64 + 1) * interval).min(end);
                let d = (seg_end - s) as f64;
                f.table[i * f.width + focus_col::OPEN_MS] += f64::from(open) * d;
                f.table[i * f.width + focus_col::CAP_MS] += f64::from(f.caps[agent]) * d;
                s = seg_end;
            }
        }
    }

    /// The interval a chat arriving at `t` is counted in, if it is counted at all.
    /// Nearly always the interval the state integrals are at (`seg`, where
    /// [`Recorder::advance`] last brought them): no division then.
    #[inline]
    pub fn interval_of(&self, t: SimTime) -> Option<u32> {
        if !(t >= self.from && t < self.to) {
            return None;
        }
        if t < self.seg_end && t >= self.seg_end - self.interval {
            return Some(self.seg as u32);
        }
        Some(((t - self.from) / self.interval) as u32)
    }

    #[inline]
    fn add(&mut self, iv: u32, col: usize, v: f64) {
        self.chat[iv as usize * self.chat_stride + col] += v;
    }

    /// Integrates the shop-wide state from the last call up to `now`.
    /// Call before changing any counter (the engine does, in
    /// `Engine::state_mut`), not necessarily at every event.
    ///
    /// How the time is split does not change the sums: each term is a
    /// counter times whole milliseconds, an integer, and so is every partial
    /// sum; while an interval's value·ms stays below 2^53 (15-minute
    /// intervals: 10^10 chats at once; a day: 10^8) f64 adds them exactly.
    #[inline]
    pub fn advance(&mut self, now: SimTime, s: &StateCounters) {
        let mut t = self.last_t.max(self.from);
        let end = now.min(self.to);
        self.last_t = now;
        if t >= end {
            return;
        }
        let values = s.values();
        while t < end {
            while t >= self.seg_end {
                self.seg += 1;
                self.seg_end += self.interval;
            }
            let seg_end = self.seg_end.min(end);
            // Through i64: one instruction (times are far below 2^63).
            let dt = (seg_end - t) as i64 as f64;
            let row: &mut [f64; STATE_FIELDS] = (&mut self.state[self.seg * STATE_FIELDS..]
                [..STATE_FIELDS])
                .try_into()
                .expect("a row has STATE_FIELDS columns");
            for (acc, v) in row.iter_mut().zip(values) {
                *acc += v * dt;
            }
            t = seg_end;
        }
    }

    /// Integrates one agent's state up to `now`. Call before changing its presence or open chats.
    #[inline]
    pub fn agent_advance(&mut self, agent: usize, now: SimTime, open: u32, presence: Presence) {
        let acc = &mut self.agents[agent];
        let t = acc.last_t.max(self.from);
        let end = now.min(self.to);
        acc.last_t = now;
        if t >= end {
            return;
        }
        let dt = (end - t) as f64;
        if presence == Presence::Offline {
            acc.overtime_open_ms += f64::from(open) * dt;
            return;
        }
        acc.on_shift_ms += dt;
        acc.open_ms += f64::from(open) * dt;
        match presence {
            Presence::Break => acc.break_ms += dt,
            Presence::Busy => acc.busy_ms += dt,
            Presence::Suspended => acc.suspended_ms += dt,
            Presence::Online | Presence::Offline => {}
        }
        if self.focus.is_some() {
            self.focus_agent(agent, t, end, open);
        }
    }

    /// The agent's cap changed (after [`Recorder::agent_advance`] to now).
    pub fn set_cap(&mut self, agent: usize, cap: u32) {
        self.close_cap_segment(agent);
        self.caps[agent] = cap;
    }

    /// The agent serves `now` (of its group list `list`) from here on
    /// (after [`Recorder::agent_advance`] to now): its on-shift time per
    /// group counts from here for the groups joined, up to here for those left.
    pub fn set_groups(&mut self, agent: usize, list: &[usize], now: &[usize]) {
        self.close_member_segments(agent);
        let acc = &mut self.agents[agent];
        for (from, g) in acc.member_from_ms.iter_mut().zip(list) {
            *from = if now.contains(g) {
                acc.on_shift_ms
            } else {
                f64::NAN
            };
        }
    }

    /// Adds the on-shift time since the last membership change to every
    /// group the agent serves now.
    pub(super) fn close_member_segments(&mut self, agent: usize) {
        let acc = &mut self.agents[agent];
        for (ms, from) in acc.member_ms.iter_mut().zip(&mut acc.member_from_ms) {
            if !from.is_nan() {
                *ms += acc.on_shift_ms - *from;
                *from = acc.on_shift_ms;
            }
        }
    }

    /// Adds the on-shift time since the agent's last cap change at its
    /// current cap to its ∫ cap dt. Kept out of `agent_advance` (the hot
    /// path): with a constant cap this is cap × on-shift time, once.
    pub(super) fn close_cap_segment(&mut self, agent: usize) {
        let acc = &mut self.agents[agent];
        acc.cap_ms += f64::from(self.caps[agent]) * (acc.on_shift_ms - acc.cap_counted_ms);
        acc.cap_counted_ms = acc.on_shift_ms;
    }

    /// A counted chat arrived.
    #[inline]
    pub fn on_offered(&mut self, iv: u32, group: usize, tier: u8) {
        self.add(iv, chat_col::OFFERED, 1.0);
        self.focus_add(iv, group, focus_col::OFFERED);
        self.groups[group].offered += 1;
        for t in self.vip_tallies(tier) {
            t.offered += 1;
        }
    }

    /// The VIP tallies a chat of `tier` counts in (none if not VIP).
    #[inline]
    fn vip_tallies(&mut self, tier: u8) -> impl Iterator<Item = &mut ClassTally> {
        let (vip, tiers) = (&mut self.vip, &mut self.tiers);
        let per_tier = tier
            .checked_sub(1)
            .and_then(|t| tiers.get_mut(usize::from(t)));
        (tier > 0).then_some(vip).into_iter().chain(per_tier)
    }

    /// A counted chat found nobody eligible and queued.
    #[inline]
    pub fn on_queued(&mut self, iv: u32, group: usize, tier: u8) {
        self.add(iv, chat_col::WAITED, 1.0);
        self.groups[group].waited += 1;
        for t in self.vip_tallies(tier) {
            t.waited += 1;
        }
    }

    /// A counted chat was taken by an agent after `wait_ms`; its first reply came at `frt_ms`.
    #[inline]
    pub fn on_answered(
        &mut self,
        iv: u32,
        group: usize,
        tier: u8,
        wait_ms: Millis,
        frt_ms: Millis,
    ) {
        self.add(iv, chat_col::ANSWERED, 1.0);
        self.add(iv, chat_col::SUM_WAIT_ANSWERED_MS, wait_ms as f64);
        for k in 0..self.thresholds_ms.len() {
            if frt_ms <= self.thresholds_ms[k] {
                self.add(iv, chat_col::WITHIN + k, 1.0);
            }
        }
        if self.focus.is_some() {
            self.focus_answered(iv, group, frt_ms);
        }
        let golden = u64::from(frt_ms <= GOLDEN_MS);
        let count = |tally: &mut ClassTally| {
            tally.answered += 1;
            tally.golden += golden;
            tally.sum_wait_answered_ms += wait_ms as f64;
        };
        count(&mut self.groups[group]);
        for t in self.vip_tallies(tier) {
            count(t);
        }
        self.sum_frt_ms += frt_ms as f64;
        self.note_processing(frt_ms);
        self.frt_ms.saturating_record(frt_ms);
        self.frt_buckets[iv as usize * buckets::COUNT + buckets::of(frt_ms)] += 1;
        match &mut self.wait_answered_ms {
            Some(waits) => waits.saturating_record(wait_ms),
            None => debug_assert_eq!(wait_ms, frt_ms),
        }
    }

    /// The waits of answered chats (the first response times when they are the same).
    pub(super) fn waits_answered(&self) -> &Histogram<u64> {
        self.wait_answered_ms.as_ref().unwrap_or(&self.frt_ms)
    }

    /// A counted chat left the queue after `wait_ms`.
    #[inline]
    pub fn on_abandoned(&mut self, iv: u32, group: usize, wait_ms: Millis) {
        self.add(iv, chat_col::ABANDONED, 1.0);
        self.focus_add(iv, group, focus_col::ABANDONED);
        self.sum_wait_abandoned_ms += wait_ms as f64;
        self.note_processing(wait_ms);
        for (k, &t) in self.thresholds_ms.iter().enumerate() {
            if wait_ms <= t {
                self.short_abandons[k] += 1;
            }
        }
    }

    /// A counted chat was still waiting when the simulation stopped, after `waited_ms`.
    pub fn on_unfinished(&mut self, iv: u32, waited_ms: Millis) {
        self.add(iv, chat_col::UNFINISHED, 1.0);
        self.sum_wait_unfinished_ms += waited_ms as f64;
        self.note_processing(waited_ms);
    }

    /// The automatic "processing" message went out if the buyer was still
    /// without a human reply at its age.
    #[inline]
    fn note_processing(&mut self, no_reply_for_ms: Millis) {
        if self.processing_after.is_some_and(|t| no_reply_for_ms > t) {
            self.processing_messages += 1;
        }
    }

    /// Whether a chat arriving at `t` is in the platforms' daily assessment
    /// window, 08:00:00–22:59:59 local time.
    #[inline]
    pub fn assessed(&self, t: SimTime) -> bool {
        (8 * HOUR_MS..23 * HOUR_MS).contains(&self.clock.ms_of_day(t))
    }

    fn absorb(&mut self, iv: u32, arrived_at: SimTime, delta: &ReplyTally, agent: Option<usize>) {
        if let Some(a) = agent {
            self.agents[a].replies.add(delta);
        }
        self.replies_all.add(delta);
        if self.assessed(arrived_at) {
            self.replies_assessed.add(delta);
        }
        self.add(iv, chat_col::ROUNDS, delta.rounds as f64);
        self.add(iv, chat_col::ROUNDS_3MIN, delta.rounds_within_3min as f64);
        self.add(iv, chat_col::ROUND_SUM_MS, delta.sum_round_capped_ms);
    }

    /// Session model: a counted chat's one round (its question at arrival)
    /// was answered after `rt` (`None` = never).
    #[inline]
    pub fn on_single_round(
        &mut self,
        iv: u32,
        arrived_at: SimTime,
        rt: Option<Millis>,
        agent: Option<usize>,
    ) {
        let within = u64::from(rt.is_some_and(|r| r <= platform::REPLY_3MIN_MS));
        let capped = rt.map_or(platform::ROUND_CAP_MS, |r| r.min(platform::ROUND_CAP_MS)) as f64;
        if let Some(a) = agent {
            self.agents[a].replies.single(within, capped);
        }
        let base = iv as usize * self.chat_stride;
        let row = &mut self.chat[base..base + chat_col::WITHIN];
        row[chat_col::ROUNDS] += 1.0;
        row[chat_col::ROUNDS_3MIN] += within as f64;
        row[chat_col::ROUND_SUM_MS] += capped;
        self.replies_all.single(within, capped);
        if self.assessed(arrived_at) {
            self.replies_assessed.single(within, capped);
        }
    }

    /// Dialogue model: a human reply at `t` closes the pending round of a counted chat.
    pub fn on_reply(
        &mut self,
        iv: u32,
        arrived_at: SimTime,
        pending: &mut Pending,
        t: SimTime,
        agent: usize,
    ) {
        let mut d = ReplyTally::default();
        pending.reply(t, &mut d);
        self.absorb(iv, arrived_at, &d, Some(agent));
    }

    /// Dialogue model: a counted chat ended (or the run stopped) with its round unanswered.
    pub fn on_unanswered(
        &mut self,
        iv: u32,
        arrived_at: SimTime,
        pending: &mut Pending,
        agent: Option<usize>,
    ) {
        let mut d = ReplyTally::default();
        pending.unanswered(&mut d);
        self.absorb(iv, arrived_at, &d, agent);
    }

    /// Offer variants: an offer of a counted chat ended.
    pub fn on_offer(&mut self, outcome: OfferOutcome) {
        self.offers[outcome as usize] += 1;
    }

    /// Chatwoot v1 variant: a counted chat was left unassigned.
    pub fn on_left_unassigned(&mut self) {
        self.left_unassigned += 1;
    }

    /// A counted chat moved from agent `from` to `to` (`None`: nobody could take it).
    pub fn on_transfer(&mut self, from: usize, to: Option<usize>) {
        match to {
            Some(to) => {
                self.transfers += 1;
                self.agents[from].transfers_out += 1;
                self.agents[to].transfers_in += 1;
            }
            None => self.transfers_failed += 1,
        }
    }

    /// Dialogue model: a counted chat's buyer left silently.
    pub fn on_silent_abandon(&mut self) {
        self.silent_abandons += 1;
    }

    /// Dialogue model: a counted chat closed by inactivity before its last round
    /// (the buyer thought longer than `inactivity_timeout`).
    pub fn on_closed_by_inactivity(&mut self) {
        self.closed_by_inactivity += 1;
    }

    /// Dialogue model: the agent typed from `from` to `to` (on shift).
    pub fn on_typing(&mut self, agent: usize, from: SimTime, to: SimTime) {
        let (a, b) = (from.max(self.from), to.min(self.to));
        if a < b {
            self.agents[agent].typing_ms += (b - a) as f64;
        }
    }

    /// A counted chat became an offline message.
    pub fn on_offline(&mut self, iv: u32, cause: OfflineCause) {
        self.add(iv, chat_col::OFFLINE, 1.0);
        self.offline_by_cause[cause as usize] += 1;
    }

    /// A counted offline message was picked up; the reply came `delay_ms` after the buyer's message.
    pub fn on_offline_answered(&mut self, delay_ms: Millis) {
        self.offline_answered += 1;
        self.sum_offline_delay_ms += delay_ms as f64;
        self.offline_delay_ms.saturating_record(delay_ms);
    }

    /// A counted offline message was still pending when the simulation stopped.
    pub fn on_offline_unanswered(&mut self) {
        self.offline_unanswered += 1;
    }

    /// A counted chat in service was ended at its agent's shift end and routed again.
    pub fn on_rerouted(&mut self) {
        self.rerouted += 1;
    }

    /// A counted chat moved to its group's overflow group.
    pub fn on_overflowed(&mut self) {
        self.overflowed += 1;
    }

    /// A counted chat's session ended after `session_ms` with an agent.
    #[inline]
    pub fn on_completed(&mut self, session_ms: Millis) {
        self.completed += 1;
        self.sum_session_ms += session_ms as f64;
    }

    /// A counted chat was still with an agent when the simulation stopped.
    pub fn on_session_unfinished(&mut self) {
        self.sessions_unfinished += 1;
    }

    /// A chat was assigned to `agent` at `now` (counted when `now` is in the window).
    #[inline]
    pub fn on_assigned(&mut self, agent: usize, group_pos: Option<usize>, now: SimTime) {
        if now >= self.from && now < self.to {
            let a = &mut self.agents[agent];
            match group_pos {
                Some(pos) => a.assigned_by_group[pos] += 1,
                None => a.assigned_elsewhere += 1,
            }
        }
    }
}
