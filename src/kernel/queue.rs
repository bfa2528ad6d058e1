//! A radix-heap event queue in `(time, seq)` order with lazily cancelled timers.
//!
//! Times only grow: every event is scheduled at or after the time of the
//! last popped one (the past is clamped to now), so every time pushed is
//! at least the last time popped. A radix heap (Ahuja, Mehlhorn, Orlin,
//! Tarjan 1990) uses exactly that. Here its digits are [`DIGIT`] bits
//! wide: an event later than the last popped time goes to the bucket of
//! the highest digit in which the two times differ (its level) and its
//! value of that digit; an event at the last popped time goes to the
//! `current` FIFO. A push is one `leading_zeros` and a `Vec::push`. A pop
//! takes the front of `current`, or else the lowest level's smallest digit
//! (two `trailing_zeros`): that bucket holds the earliest time — usually
//! alone — and is redistributed around it, each entry moving only to lower
//! levels (so at most once per level), the ones at that time into `current`.
//!
//! `seq` is not stored: every bucket is kept in push order. A push appends
//! the newest event; a redistribution empties the lowest occupied bucket
//! into buckets that are all empty then (they are lower), in its order;
//! nothing is removed from the middle of a bucket but with an
//! order-keeping `remove`. So `current` holds the events at the last
//! popped time in push order, and equal times pop in the order they were
//! scheduled — the same total `(time, seq)` order as any correct priority
//! queue.

use std::collections::VecDeque;

use crate::time::SimTime;

/// Handle of a cancellable timer returned by [`EventQueue::schedule_timer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerId {
    slot: u32,
    generation: u32,
}

const NOT_A_TIMER: u32 = u32::MAX;

/// Bits per digit: a level has `FAN` buckets, one per value of its digit.
const DIGIT: u32 = 4;
const FAN: usize = 1 << DIGIT;
/// Levels of 64-bit times.
const LEVELS: usize = 64usize.div_ceil(DIGIT as usize);
const BUCKETS: usize = LEVELS * FAN;

struct Entry<E> {
    time: SimTime,
    slot: u32,
    generation: u32,
    event: E,
}

/// Future events in `(time, seq)` order: events at the same time pop in the
/// order they were scheduled.
///
/// Invariant: no event is scheduled before now, so every time pushed is at
/// least the last time popped (the radix heap's precondition); every bucket
/// and `current` are in push order, so the pop order is the total
/// `(time, push order)` order, independent of the buckets' internals.
/// Invariant: a cancelled timer never pops; cancelling is O(1) (the entry is
/// dropped when it reaches the front), and timer slots are reused, so memory
/// is bounded by the number of timers alive at once plus stale entries.
pub(crate) struct EventQueue<E> {
    /// Events at `last`, in push order.
    current: VecDeque<Entry<E>>,
    /// Bucket `level * FAN + digit`: events after `last`.
    buckets: Box<[Vec<Entry<E>>; BUCKETS]>,
    /// Per level, bit `d` set: the level's bucket of digit `d` is not empty.
    digits: [u32; LEVELS],
    /// Bit `l` set: level `l` has an entry.
    levels: u32,
    /// The time of the last event taken out of the buckets.
    last: SimTime,
    now: SimTime,
    generations: Vec<u32>,
    free_slots: Vec<u32>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time 0.
    pub fn new() -> Self {
        Self {
            current: VecDeque::new(),
            buckets: Box::new(std::array::from_fn(|_| Vec::new())),
            digits: [0; LEVELS],
            levels: 0,
            last: 0,
            now: 0,
            generations: Vec::new(),
            free_slots: Vec::new(),
        }
    }

    /// The time of the last popped event.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Moves the clock to `t` without an event (something from outside
    /// happens then). `t` is clamped between now and the next event's time,
    /// so `(time, seq)` order holds; returns the time set.
    pub fn advance_to(&mut self, t: SimTime) -> SimTime {
        let mut t = t.max(self.now);
        if let Some(next) = self.peek_time() {
            t = t.min(next);
        }
        self.now = t;
        t
    }

    /// Schedules `event` at `time` (clamped to now: the past cannot be scheduled).
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        self.push(time, NOT_A_TIMER, 0, event);
    }

    /// Schedules `event` at `time` and returns a handle that can cancel it.
    #[inline]
    pub fn schedule_timer(&mut self, time: SimTime, event: E) -> TimerId {
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.generations.push(0);
                (self.generations.len() - 1) as u32
            }
        };
        let generation = self.generations[slot as usize];
        self.push(time, slot, generation, event);
        TimerId { slot, generation }
    }

    /// Cancels a timer; cancelling one that already fired or was cancelled does nothing.
    #[inline]
    pub fn cancel(&mut self, timer: TimerId) {
        self.retire(timer.slot, timer.generation);
    }

    /// Ends the timer of `slot` if it is still in `generation` (it neither
    /// fired nor was cancelled): its slot can be reused. Returns whether it was.
    #[inline]
    fn retire(&mut self, slot: u32, generation: u32) -> bool {
        let g = &mut self.generations[slot as usize];
        if *g != generation {
            return false;
        }
        *g = g.wrapping_add(1);
        self.free_slots.push(slot);
        true
    }

    /// Whether `entry` is a timer that was cancelled.
    #[inline]
    fn cancelled(&self, entry: &Entry<E>) -> bool {
        entry.slot != NOT_A_TIMER && self.generations[entry.slot as usize] != entry.generation
    }

    /// The time of the next live event, without popping it (cancelled
    /// timers at the front are dropped on the way). The buckets are only
    /// searched, not redistributed: an event may still be scheduled before
    /// the one found (at now or later).
    pub fn peek_time(&mut self) -> Option<SimTime> {
        while let Some(front) = self.current.front() {
            if !self.cancelled(front) {
                return Some(front.time);
            }
            self.current.pop_front();
        }
        loop {
            let (level, digit) = self.lowest()?;
            let bucket = &self.buckets[level * FAN + digit];
            let pos = min_pos(bucket);
            if !self.cancelled(&bucket[pos]) {
                return Some(bucket[pos].time);
            }
            // Order-keeping: the bucket stays in push order.
            let bucket = &mut self.buckets[level * FAN + digit];
            bucket.remove(pos);
            if bucket.is_empty() {
                self.unmark(level, digit);
            }
        }
    }

    /// Pops the next live event and advances `now` to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        loop {
            let entry = match self.current.pop_front() {
                Some(entry) => entry,
                None => match self.take_min() {
                    Some(entry) => entry,
                    None => {
                        // Cancelled timers taken out last may lie beyond
                        // now; with the queue empty, `last` goes back to
                        // now, below every time that can still come.
                        self.last = self.now;
                        return None;
                    }
                },
            };
            if entry.slot != NOT_A_TIMER && !self.retire(entry.slot, entry.generation) {
                continue; // cancelled
            }
            self.now = entry.time;
            return Some((self.now, entry.event));
        }
    }

    /// The lowest level with entries and its smallest digit: the bucket
    /// that holds the earliest time.
    #[inline]
    fn lowest(&self) -> Option<(usize, usize)> {
        if self.levels == 0 {
            return None;
        }
        let level = self.levels.trailing_zeros() as usize;
        Some((level, self.digits[level].trailing_zeros() as usize))
    }

    #[inline]
    fn mark(&mut self, level: usize, digit: usize) {
        self.digits[level] |= 1 << digit;
        self.levels |= 1 << level;
    }

    #[inline]
    fn unmark(&mut self, level: usize, digit: usize) {
        self.digits[level] &= !(1 << digit);
        // Without a branch: whether the level empties is data-dependent
        // and mispredicted often.
        self.levels &= !(u32::from(self.digits[level] == 0) << level);
    }

    /// With `current` empty: removes the first entry at the earliest time,
    /// which becomes `last`, and redistributes the rest of its bucket into
    /// lower levels (the ones at that time into `current`, in order).
    /// `None` if the queue is empty.
    #[inline]
    fn take_min(&mut self) -> Option<Entry<E>> {
        debug_assert!(self.current.is_empty());
        let (level, digit) = self.lowest()?;
        self.unmark(level, digit);
        let bucket = &mut self.buckets[level * FAN + digit];
        if bucket.len() == 1 {
            // The common case: nothing to redistribute.
            let entry = bucket.pop().expect("one entry");
            self.last = entry.time;
            return Some(entry);
        }
        let pos = min_pos(bucket);
        self.last = bucket[pos].time;
        let mut rest = std::mem::take(bucket);
        // Entries before the first one at `last` are later; the rest are
        // redistributed in order too.
        let mut entries = rest.drain(..);
        for _ in 0..pos {
            let entry = entries.next().expect("pos is in the bucket");
            self.place(entry);
        }
        let min = entries.next().expect("pos is in the bucket");
        for entry in entries {
            self.place(entry);
        }
        // Keep the emptied bucket's allocation for its next entries.
        self.buckets[level * FAN + digit] = rest;
        Some(min)
    }

    /// Files `entry` (at or after `last`) into `current` or its bucket.
    #[inline(always)]
    fn place(&mut self, entry: Entry<E>) {
        if entry.time == self.last {
            self.current.push_back(entry);
            return;
        }
        let (l, d) = bucket_of(entry.time, self.last);
        self.mark(l, d);
        self.buckets[l * FAN + d].push(entry);
    }

    #[inline]
    fn push(&mut self, time: SimTime, slot: u32, generation: u32, event: E) {
        let time = time.max(self.now);
        // `last` ≤ now (see `pop`): an event before it would break the order.
        assert!(
            time >= self.last,
            "event times only grow (radix heap order)"
        );
        self.place(Entry {
            time,
            slot,
            generation,
            event,
        });
    }
}

/// Where the first entry at the earliest time of an occupied bucket is.
#[inline]
fn min_pos<E>(bucket: &[Entry<E>]) -> usize {
    let mut pos = 0;
    for (i, e) in bucket.iter().enumerate().skip(1) {
        if e.time < bucket[pos].time {
            pos = i;
        }
    }
    pos
}

/// The bucket of `time` relative to the last popped time `last`
/// (`time > last`): the level of the highest digit in which they differ,
/// and `time`'s value of that digit.
#[inline(always)]
fn bucket_of(time: SimTime, last: SimTime) -> (usize, usize) {
    let bit = 63 - (time ^ last).leading_zeros();
    let level = bit / DIGIT;
    (
        level as usize,
        (time >> (level * DIGIT)) as usize & (FAN - 1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    /// Seeded randomized comparison against a naive oracle: a vector scanned
    /// for the smallest `(time, seq)` among live entries.
    /// A delay: often short (equal times, low levels), sometimes hours (high levels).
    fn later(rng: &mut ChaCha8Rng) -> SimTime {
        if rng.random_bool(0.7) {
            rng.random_range(0..50)
        } else {
            rng.random_range(0..1 << 24)
        }
    }

    #[test]
    fn matches_a_naive_oracle() {
        for seed in 0..20 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut queue = EventQueue::new();
            let mut oracle: Vec<(SimTime, u64, Option<TimerId>, u32)> = Vec::new();
            let mut live_timers: Vec<TimerId> = Vec::new();
            let mut seq = 0;
            let mut popped = 0;
            for step in 0..5_000u32 {
                match rng.random_range(0..10) {
                    0..=3 => {
                        let t = queue.now() + later(&mut rng);
                        queue.schedule(t, step);
                        oracle.push((t, seq, None, step));
                        seq += 1;
                    }
                    4..=5 => {
                        let t = queue.now() + later(&mut rng);
                        let id = queue.schedule_timer(t, step);
                        oracle.push((t, seq, Some(id), step));
                        live_timers.push(id);
                        seq += 1;
                    }
                    7 => {
                        // Peeking (and moving the clock up to the next event)
                        // must not disturb the order.
                        let expected = oracle.iter().map(|e| e.0).min();
                        assert_eq!(queue.peek_time(), expected, "seed {seed} step {step}");
                        if let Some(t) = expected {
                            let to = queue.now() + rng.random_range(0..(t - queue.now() + 2));
                            assert_eq!(queue.advance_to(to), to.min(t));
                        }
                    }
                    6 if !live_timers.is_empty() => {
                        let id = live_timers.swap_remove(rng.random_range(0..live_timers.len()));
                        queue.cancel(id);
                        queue.cancel(id); // twice is harmless
                        oracle.retain(|e| e.2 != Some(id));
                    }
                    _ => {
                        let expected = oracle
                            .iter()
                            .enumerate()
                            .min_by_key(|(_, e)| (e.0, e.1))
                            .map(|(i, _)| i);
                        let got = queue.pop();
                        match expected {
                            None => assert!(got.is_none()),
                            Some(i) => {
                                let e = oracle.remove(i);
                                if let Some(id) = e.2 {
                                    live_timers.retain(|x| *x != id);
                                }
                                assert_eq!(got, Some((e.0, e.3)), "seed {seed} step {step}");
                                popped += 1;
                            }
                        }
                    }
                }
            }
            assert!(popped > 100);
        }
    }

    #[test]
    fn equal_times_pop_in_insertion_order_and_past_is_clamped() {
        let mut q = EventQueue::new();
        q.schedule(10, 'a');
        q.schedule(10, 'b');
        q.schedule(5, 'c');
        assert_eq!(q.pop(), Some((5, 'c')));
        q.schedule(1, 'd'); // in the past: clamped to now = 5
        assert_eq!(q.pop(), Some((5, 'd')));
        assert_eq!(q.pop(), Some((10, 'a')));
        assert_eq!(q.pop(), Some((10, 'b')));
        assert_eq!(q.pop(), None);
    }
}
