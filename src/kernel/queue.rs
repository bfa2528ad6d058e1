//! A binary-heap event queue keyed by `(time, seq)` with lazily cancelled timers.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::SimTime;

/// Handle of a cancellable timer returned by [`EventQueue::schedule_timer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerId {
    slot: u32,
    generation: u32,
}

const NOT_A_TIMER: u32 = u32::MAX;

struct Entry<E> {
    /// `!(time << 64 | seq)`: one integer comparison orders entries, and the
    /// max-heap pops the smallest `(time, seq)` first.
    rank: u128,
    slot: u32,
    generation: u32,
    event: E,
}

impl<E> Entry<E> {
    #[inline]
    fn time(&self) -> SimTime {
        ((!self.rank) >> 64) as SimTime
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.rank == other.rank
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank.cmp(&other.rank)
    }
}

/// Future events in `(time, seq)` order: events at the same time pop in the
/// order they were scheduled.
///
/// Invariant: `seq` strictly increases with every scheduled event, so the
/// order is total and independent of the heap's internals.
/// Invariant: a cancelled timer never pops; cancelling is O(1) (the entry is
/// dropped when it reaches the top), and timer slots are reused, so memory is
/// bounded by the number of timers alive at once plus stale entries.
pub(crate) struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
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
            heap: BinaryHeap::new(),
            next_seq: 0,
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
        let g = &mut self.generations[timer.slot as usize];
        if *g == timer.generation {
            *g = g.wrapping_add(1);
            self.free_slots.push(timer.slot);
        }
    }

    /// The time of the next live event, without popping it (cancelled
    /// timers at the top are dropped on the way).
    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        while let Some(entry) = self.heap.peek() {
            if entry.slot != NOT_A_TIMER
                && self.generations[entry.slot as usize] != entry.generation
            {
                self.heap.pop();
                continue;
            }
            return Some(entry.time());
        }
        None
    }

    /// Pops the next live event and advances `now` to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        while let Some(entry) = self.heap.pop() {
            if entry.slot != NOT_A_TIMER {
                let g = &mut self.generations[entry.slot as usize];
                if *g != entry.generation {
                    continue; // cancelled
                }
                *g = g.wrapping_add(1);
                self.free_slots.push(entry.slot);
            }
            self.now = entry.time();
            return Some((self.now, entry.event));
        }
        None
    }

    #[inline]
    fn push(&mut self, time: SimTime, slot: u32, generation: u32, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let time = time.max(self.now);
        let rank = !((u128::from(time) << 64) | u128::from(seq));
        self.heap.push(Entry {
            rank,
            slot,
            generation,
            event,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    /// Seeded randomized comparison against a naive oracle: a vector scanned
    /// for the smallest `(time, seq)` among live entries.
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
                        let t = queue.now() + rng.random_range(0..50);
                        queue.schedule(t, step);
                        oracle.push((t, seq, None, step));
                        seq += 1;
                    }
                    4..=5 => {
                        let t = queue.now() + rng.random_range(0..50);
                        let id = queue.schedule_timer(t, step);
                        oracle.push((t, seq, Some(id), step));
                        live_timers.push(id);
                        seq += 1;
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
