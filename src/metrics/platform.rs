//! The platforms' own reply metrics (DOMAIN.md §5): round response time
//! (Taobao 平均响应时长, each round capped at 600 s, an unanswered round
//! counted as 600 s) and the 3-minute reply rate (3分钟人工回复率) in its
//! round and per-message variants.

use crate::time::{Millis, SimTime};

/// Cap on one round's response time, and the value of an unanswered round.
pub const ROUND_CAP_MS: Millis = 600_000;
/// The 3-minute reply threshold.
pub const REPLY_3MIN_MS: Millis = 180_000;

/// Sums over rounds and buyer messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReplyTally {
    /// Rounds (answered or not).
    pub rounds: u64,
    /// Rounds answered within 180 s.
    pub rounds_within_3min: u64,
    /// Σ min(response, 600 s) over rounds, unanswered = 600 s.
    pub sum_round_capped_ms: f64,
    /// Buyer messages.
    pub messages: u64,
    /// Buyer messages whose next human reply came within 180 s.
    pub messages_within_3min: u64,
}

impl ReplyTally {
    /// A round answered after `rt` (`None` = never answered).
    #[inline]
    pub fn round(&mut self, rt: Option<Millis>) {
        self.rounds += 1;
        self.rounds_within_3min += u64::from(rt.is_some_and(|r| r <= REPLY_3MIN_MS));
        self.sum_round_capped_ms += rt.map_or(ROUND_CAP_MS, |r| r.min(ROUND_CAP_MS)) as f64;
    }

    /// A buyer message answered after `rt` (`None` = never answered).
    #[inline]
    pub fn message(&mut self, rt: Option<Millis>) {
        self.messages += 1;
        self.messages_within_3min += u64::from(rt.is_some_and(|r| r <= REPLY_3MIN_MS));
    }

    /// One round of one message (session model): `within` is 1 if answered
    /// within 180 s, `capped` the round's capped response in ms.
    #[inline]
    pub fn single(&mut self, within: u64, capped: f64) {
        self.rounds += 1;
        self.rounds_within_3min += within;
        self.sum_round_capped_ms += capped;
        self.messages += 1;
        self.messages_within_3min += within;
    }

    /// Adds another tally.
    pub fn add(&mut self, o: &ReplyTally) {
        self.rounds += o.rounds;
        self.rounds_within_3min += o.rounds_within_3min;
        self.sum_round_capped_ms += o.sum_round_capped_ms;
        self.messages += o.messages;
        self.messages_within_3min += o.messages_within_3min;
    }
}

/// One conversation's buyer messages not yet answered: a round runs from
/// the first of them to the next human reply.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pending {
    messages: Vec<SimTime>,
}

impl Pending {
    /// The buyer sends a message at `t`.
    #[inline]
    pub fn message(&mut self, t: SimTime) {
        self.messages.push(t);
    }

    /// Forgets the messages, keeping the allocation (a slot's next round
    /// or next chat reuses it).
    #[inline]
    pub fn clear(&mut self) {
        self.messages.clear();
    }

    /// When the current round began, if a message waits for a reply.
    #[inline]
    pub fn since(&self) -> Option<SimTime> {
        self.messages.first().copied()
    }

    /// A human reply at `t` closes the round.
    pub fn reply(&mut self, t: SimTime, tally: &mut ReplyTally) {
        let Some(first) = self.since() else { return };
        tally.round(Some(t - first));
        for &m in &self.messages {
            tally.message(Some(t - m));
        }
        self.messages.clear();
    }

    /// The conversation ends with the round unanswered.
    pub fn unanswered(&mut self, tally: &mut ReplyTally) {
        if self.messages.is_empty() {
            return;
        }
        tally.round(None);
        for _ in &self.messages {
            tally.message(None);
        }
        self.messages.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u64, m: u64, s: u64) -> SimTime {
        ((h * 60 + m) * 60 + s) * 1000
    }

    /// The Taobao worked example (DOMAIN.md §5, issue text).
    #[test]
    fn taobao_three_minute_worked_example() {
        let mut tally = ReplyTally::default();
        let mut p = Pending::default();
        p.message(at(10, 10, 15));
        p.message(at(10, 15, 20));
        p.reply(at(10, 18, 10), &mut tally);
        // One round from 10:10:15, answered after 7 min 55 s: not within 3 min.
        assert_eq!((tally.rounds, tally.rounds_within_3min), (1, 0));
        // Per message: 475 s (no) and 170 s (yes).
        assert_eq!((tally.messages, tally.messages_within_3min), (2, 1));
        assert_eq!(tally.sum_round_capped_ms, 475_000.0);
        p.message(at(10, 18, 30));
        p.reply(at(10, 19, 0), &mut tally);
        assert_eq!((tally.rounds, tally.rounds_within_3min), (2, 1));
        assert_eq!((tally.messages, tally.messages_within_3min), (3, 2));
    }

    #[test]
    fn rounds_are_capped_and_unanswered_rounds_count_as_600_s() {
        let mut tally = ReplyTally::default();
        let mut p = Pending::default();
        p.message(0);
        p.reply(900_000, &mut tally);
        p.message(1_000_000);
        p.unanswered(&mut tally);
        assert_eq!(tally.rounds, 2);
        assert_eq!(tally.sum_round_capped_ms, 1_200_000.0);
        assert_eq!(tally.rounds_within_3min, 0);
    }
}
