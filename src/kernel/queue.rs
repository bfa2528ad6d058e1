//! A calendar event queue in `(time, seq)` order with lazily cancelled timers.
//!
//! Times only grow: every event is scheduled at or after now (the past is
//! clamped to now). Time is cut into windows of 2^[`WIDTH_BITS`] = 32 ms,
//! and the queue keeps three places:
//!
//! - `current`: the events of the current window (the one of the last
//!   popped event), sorted by time, equal times in push order;
//! - the wheel: [`SLOTS`] slots, one per window of the next `SLOTS - 1`
//!   after the current one (window `k` in slot `k mod SLOTS`), each a list
//!   in push order — a push there is one append, and nearly every event
//!   is pushed there once and never moved (the horizon is 8.7 minutes);
//! - `far`: the events beyond the horizon, a binary heap on `(time, seq)`.
//!
//! A pop takes the front of `current`; when that is empty, the next
//! window with events becomes current (found with a two-level bitmap of
//! the occupied slots): its slot is emptied into `current` and sorted by
//! time (a stable sort: equal times keep push order), and the far events
//! that are now within the horizon move into the wheel in `(time, seq)`
//! order. So a slot receives the far events of its window before any
//! event pushed there directly (a direct push to a window happens only
//! once it is within the horizon, after that move), and every list is in
//! push order: events pop in the total `(time, seq)` order, the same as
//! any correct priority queue's.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use crate::time::SimTime;

/// Handle of a cancellable timer returned by [`EventQueue::schedule_timer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerId {
    slot: u32,
    generation: u32,
}

const NOT_A_TIMER: u32 = u32::MAX;

/// Bits of a window: windows are 2^`WIDTH_BITS` ms.
const WIDTH_BITS: u32 = 5;
/// Slots of the wheel (a power of two): the horizon is `SLOTS` windows.
const SLOTS: usize = 1 << 14;
const WORDS: usize = SLOTS / 64;
const SUMMARY: usize = WORDS.div_ceil(64);
/// End of a slot's list / no node.
const NIL: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Entry<E> {
    time: SimTime,
    slot: u32,
    generation: u32,
    event: E,
}

/// An entry in a wheel slot's circular list.
#[derive(Clone, Copy)]
struct Node<E> {
    entry: Entry<E>,
    next: u32,
}

/// An event beyond the horizon, ordered by `(time, seq)` (smallest on top).
struct Far<E> {
    seq: u64,
    entry: Entry<E>,
}

impl<E> PartialEq for Far<E> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<E> Eq for Far<E> {}
impl<E> PartialOrd for Far<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Far<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.entry.time, other.seq).cmp(&(self.entry.time, self.seq))
    }
}

/// Future events in `(time, seq)` order: events at the same time pop in the
/// order they were scheduled.
///
/// Invariant: with `k` the current window, `current` holds the events of
/// window `k` sorted by time (equal times in push order), slot `j` of the
/// wheel those of the one window `w` with `k < w < k + SLOTS` and
/// `w mod SLOTS = j`, in push order, and `far` those of windows
/// `≥ k + SLOTS`; now is in window `k` or later, so every push lands in
/// one of them. Pops are in the total `(time, push order)` order.
/// Invariant: a cancelled timer never pops; cancelling is O(1) (the entry is
/// dropped when it reaches the front), and timer slots are reused, so memory
/// is bounded by the number of timers alive at once plus stale entries.
pub(crate) struct EventQueue<E> {
    /// Events of the current window, by time, equal times in push order.
    current: VecDeque<Entry<E>>,
    /// The current window (time >> `WIDTH_BITS`).
    window: u64,
    /// Per slot, the last node of its circular list (the last pushed,
    /// whose `next` is the first), or `NIL`.
    tails: Box<[u32; SLOTS]>,
    /// The wheel's nodes; free ones are chained from `free`.
    nodes: Vec<Node<E>>,
    free: u32,
    /// Bit `j`: slot `j` is not empty; `summary` bit `i`: word `i` is not zero.
    occupied: Box<[u64; WORDS]>,
    summary: [u64; SUMMARY],
    far: BinaryHeap<Far<E>>,
    far_seq: u64,
    now: SimTime,
    generations: Vec<u32>,
    free_slots: Vec<u32>,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue at time 0.
    pub fn new() -> Self {
        Self {
            current: VecDeque::new(),
            window: 0,
            tails: Box::new([NIL; SLOTS]),
            nodes: Vec::new(),
            free: NIL,
            occupied: Box::new([0; WORDS]),
            summary: [0; SUMMARY],
            far: BinaryHeap::new(),
            far_seq: 0,
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
    /// timers at the front of `current` or `far` are dropped on the way).
    /// Nothing moves: an event may still be scheduled before the one found
    /// (at now or later).
    pub fn peek_time(&mut self) -> Option<SimTime> {
        while let Some(front) = self.current.front() {
            if !self.cancelled(front) {
                return Some(front.time);
            }
            self.current.pop_front();
        }
        // The wheel's windows in order, from the one after the current
        // (whose slot is empty), until the search wraps around.
        let here = self.window as usize % SLOTS;
        let mut behind = 0;
        while let Some(j) = self.occupied_after((here + behind) % SLOTS) {
            let ahead = (j + SLOTS - here) % SLOTS;
            if ahead <= behind {
                break;
            }
            if let Some(t) = self.live_min(j) {
                return Some(t);
            }
            behind = ahead;
        }
        while let Some(top) = self.far.peek() {
            if !self.cancelled(&top.entry) {
                return Some(top.entry.time);
            }
            self.far.pop();
        }
        None
    }

    /// The earliest time of a live entry in slot `j`.
    fn live_min(&self, j: usize) -> Option<SimTime> {
        let tail = self.tails[j];
        let mut min = None;
        let mut i = tail;
        loop {
            i = self.nodes[i as usize].next;
            let e = &self.nodes[i as usize].entry;
            if !self.cancelled(e) {
                min = Some(min.map_or(e.time, |m: SimTime| m.min(e.time)));
            }
            if i == tail {
                return min;
            }
        }
    }

    /// Pops the next live event and advances `now` to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        loop {
            let entry = match self.current.pop_front() {
                Some(entry) => entry,
                None => self.next_window()?,
            };
            if entry.slot != NOT_A_TIMER && !self.retire(entry.slot, entry.generation) {
                continue; // cancelled
            }
            self.now = entry.time;
            return Some((self.now, entry.event));
        }
    }

    /// With `current` empty: makes the next window with events current,
    /// moves the far events now within the horizon into the wheel, and
    /// takes the window's first entry; the rest of its slot goes to
    /// `current`, sorted. `None` if the queue is empty.
    #[inline]
    fn next_window(&mut self) -> Option<Entry<E>> {
        debug_assert!(self.current.is_empty());
        let here = self.window as usize % SLOTS;
        let slot = self.occupied_after(here);
        match slot {
            Some(j) => self.window += ((j + SLOTS - here) % SLOTS) as u64,
            None => self.window = self.far.peek()?.entry.time >> WIDTH_BITS,
        }
        // With the wheel in use, the new window is before the horizon the
        // far events were beyond: none of them lands in `current` or slot `j`.
        while let Some(top) = self.far.peek() {
            if (top.entry.time >> WIDTH_BITS) - self.window >= SLOTS as u64 {
                break;
            }
            let entry = self.far.pop().expect("peeked").entry;
            self.place(entry);
        }
        if let Some(j) = slot {
            let tail = self.tails[j];
            self.tails[j] = NIL;
            self.clear_bit(j);
            if self.nodes[tail as usize].next == tail {
                // The common case: one entry, nothing to sort.
                self.release(tail);
                return Some(self.nodes[tail as usize].entry);
            }
            self.empty_list(tail);
            // The slot's list is in push order; by time, equal times keep it.
            let s = self.current.make_contiguous();
            if !s.is_sorted_by_key(|e| e.time) {
                s.sort_by_key(|e| e.time);
            }
        }
        self.current.pop_front()
    }

    /// A node holding `entry`, from the free chain or new.
    #[inline]
    fn alloc(&mut self, entry: Entry<E>) -> u32 {
        let node = Node { entry, next: NIL };
        if self.free == NIL {
            self.nodes.push(node);
            return (self.nodes.len() - 1) as u32;
        }
        let i = self.free;
        self.free = self.nodes[i as usize].next;
        self.nodes[i as usize] = node;
        i
    }

    /// Returns node `i` to the free chain (its entry stays readable until reused).
    #[inline]
    fn release(&mut self, i: u32) {
        self.nodes[i as usize].next = self.free;
        self.free = i;
    }

    /// Moves the entries of the circular list ending at `tail` (a slot's,
    /// taken out of the wheel), in push order, to the back of `current`.
    fn empty_list(&mut self, tail: u32) {
        let mut i = self.nodes[tail as usize].next;
        loop {
            let node = self.nodes[i as usize];
            self.current.push_back(node.entry);
            self.release(i);
            if i == tail {
                return;
            }
            i = node.next;
        }
    }

    /// The first occupied slot after slot `j`, wrapping around (`j` itself
    /// last); `None` if the wheel is empty.
    #[inline]
    fn occupied_after(&self, j: usize) -> Option<usize> {
        self.occupied_from((j + 1) % SLOTS)
            .or_else(|| self.occupied_from(0))
    }

    /// The first occupied slot at or after `from` (not wrapping around).
    #[inline]
    fn occupied_from(&self, from: usize) -> Option<usize> {
        let w = from / 64;
        let bits = self.occupied[w] & (u64::MAX << (from % 64));
        if bits != 0 {
            return Some(w * 64 + bits.trailing_zeros() as usize);
        }
        let mut s = w + 1;
        while s < WORDS {
            let bits = self.summary[s / 64] & (u64::MAX << (s % 64));
            if bits != 0 {
                let w = (s / 64) * 64 + bits.trailing_zeros() as usize;
                return Some(w * 64 + self.occupied[w].trailing_zeros() as usize);
            }
            s = (s / 64 + 1) * 64;
        }
        None
    }

    #[inline]
    fn set_bit(&mut self, j: usize) {
        self.occupied[j / 64] |= 1 << (j % 64);
        self.summary[j / 64 / 64] |= 1 << ((j / 64) % 64);
    }

    #[inline]
    fn clear_bit(&mut self, j: usize) {
        let w = j / 64;
        self.occupied[w] &= !(1 << (j % 64));
        if self.occupied[w] == 0 {
            self.summary[w / 64] &= !(1 << (w % 64));
        }
    }

    /// Files `entry` (in the current window or later) into `current`, its
    /// slot or `far`.
    #[inline(always)]
    fn place(&mut self, entry: Entry<E>) {
        let ahead = (entry.time >> WIDTH_BITS) - self.window;
        if ahead == 0 {
            // After every entry at or before its time.
            match self.current.back() {
                Some(back) if back.time > entry.time => {
                    let at = self.current.partition_point(|e| e.time <= entry.time);
                    self.current.insert(at, entry);
                }
                _ => self.current.push_back(entry),
            }
        } else if ahead < SLOTS as u64 {
            let j = (entry.time >> WIDTH_BITS) as usize % SLOTS;
            let i = self.alloc(entry);
            let tail = self.tails[j];
            if tail == NIL {
                self.nodes[i as usize].next = i;
                self.set_bit(j);
            } else {
                self.nodes[i as usize].next = self.nodes[tail as usize].next;
                self.nodes[tail as usize].next = i;
            }
            self.tails[j] = i;
        } else {
            self.far.push(Far {
                seq: self.far_seq,
                entry,
            });
            self.far_seq += 1;
        }
    }

    #[inline]
    fn push(&mut self, time: SimTime, slot: u32, generation: u32, event: E) {
        let time = time.max(self.now);
        // Now is in the current window or later (see the invariant).
        assert!(
            time >> WIDTH_BITS >= self.window,
            "event times only grow (calendar order)"
        );
        self.place(Entry {
            time,
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
    /// A delay: often short (equal times, low levels), sometimes hours (high levels).
    fn later(rng: &mut ChaCha8Rng) -> SimTime {
        if rng.random_bool(0.7) {
            rng.random_range(0..50)
        } else {
            rng.random_range(0..1 << 24)
        }
    }

    /// A delay that makes equal times across the horizon likely: an event
    /// scheduled beyond it and one scheduled directly later, at the same
    /// time, must pop in scheduling order.
    fn around_the_horizon(rng: &mut ChaCha8Rng) -> SimTime {
        let horizon = (SLOTS as SimTime) << WIDTH_BITS;
        let width = 1 << WIDTH_BITS;
        let choices = [
            0,
            1,
            width - 1,
            width,
            width + 1,
            horizon - width,
            horizon - 1,
        ];
        let base = choices[rng.random_range(0..choices.len())];
        base + [0, horizon, 2 * horizon][rng.random_range(0..3)] * u64::from(rng.random_bool(0.3))
    }

    #[test]
    fn matches_a_naive_oracle() {
        against_the_oracle(later);
    }

    #[test]
    fn matches_a_naive_oracle_across_the_horizon() {
        against_the_oracle(around_the_horizon);
    }

    fn against_the_oracle(later: fn(&mut ChaCha8Rng) -> SimTime) {
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
