//! The shop-wide waiting queue, per group: VIP buyers, other buyers, and
//! offline messages (离线留言), each in arrival order.

use std::collections::VecDeque;

use crate::scenario::QueueOrder;
use crate::time::SimTime;

/// A queued chat: conversation slot, its arrival number (the token that
/// tells a live entry from a stale one after it left) and its arrival time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Waiting {
    /// Conversation slot.
    pub conv: u32,
    /// Arrival number of the conversation (unique, increasing).
    pub token: u64,
    /// Arrival (转人工) time, for the golden 2-minute priority.
    pub at: SimTime,
}

/// The class a chat waits in, served in index order unless golden priority
/// applies: VIP tiers first (会员分级, 0 = highest), then other live buyers
/// ([`Class::normal`]), then offline messages ([`Class::offline`]:
/// nobody waits for them live; oldest first).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct Class(pub u8);

impl Class {
    /// With `tiers` VIP tiers: the class of live buyers of VIP tier `tier`
    /// (1 = highest; 0 = not VIP).
    #[inline]
    pub fn of_tier(tier: u8, tiers: u8) -> Class {
        if tier == 0 {
            Class::normal(tiers)
        } else {
            Class(tier - 1)
        }
    }

    /// With `tiers` VIP tiers: the class of buyers who are not VIP.
    #[inline]
    pub fn normal(tiers: u8) -> Class {
        Class(tiers)
    }

    /// With `tiers` VIP tiers: the class of offline messages.
    #[inline]
    pub fn offline(tiers: u8) -> Class {
        Class(tiers + 1)
    }
}

/// Which end of a class's deque an entry was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The oldest.
    Front,
    /// The newest.
    Back,
}

/// The next chat a queue would serve, with the key that orders it against
/// other groups' candidates (smaller first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    /// Shop-wide order: `(rank, tie-break)`.
    pub key: (u8, u64),
    /// Its class.
    pub class: Class,
    /// The end it sits at.
    pub end: End,
    /// The chat.
    pub entry: Waiting,
}

struct GroupQueue {
    classes: Vec<VecDeque<Waiting>>,
    live: Vec<usize>,
}

/// Chats waiting for an agent, per queue (one per group, plus any the
/// engine adds, e.g. the main account's own).
///
/// Entries that left (abandoned, overflowed) are removed lazily: the caller
/// decrements the count with [`WaitingQueue::forget`] and the stale entry is
/// dropped when it reaches either end (`is_live` tells).
pub(crate) struct WaitingQueue {
    groups: Vec<GroupQueue>,
    /// Live buyers waiting (VIP and normal), all queues.
    buyers: usize,
    /// Offline messages pending, all queues.
    offline: usize,
    order: QueueOrder,
    /// Number of VIP tiers.
    tiers: u8,
}

impl WaitingQueue {
    /// `queues` empty queues with `tiers` VIP tiers, served in `order` within a class.
    pub fn new(queues: usize, order: QueueOrder, tiers: u8) -> Self {
        let classes = usize::from(tiers) + 2;
        Self {
            groups: (0..queues)
                .map(|_| GroupQueue {
                    classes: (0..classes).map(|_| VecDeque::new()).collect(),
                    live: vec![0; classes],
                })
                .collect(),
            buyers: 0,
            offline: 0,
            order,
            tiers,
        }
    }

    /// The class of live buyers of VIP tier `tier` (1 = highest; 0 = not VIP).
    #[inline]
    pub fn class_of(&self, tier: u8) -> Class {
        Class::of_tier(tier, self.tiers)
    }

    /// The class of buyers who are not VIP.
    #[cfg(test)]
    pub fn normal(&self) -> Class {
        Class::normal(self.tiers)
    }

    /// The class of offline messages.
    #[inline]
    pub fn offline_class(&self) -> Class {
        Class::offline(self.tiers)
    }

    /// Whether nothing waits at all (no buyer, no offline message).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buyers == 0 && self.offline == 0
    }

    /// Live buyers waiting in all queues.
    #[inline]
    pub fn buyers(&self) -> usize {
        self.buyers
    }

    /// Live buyers waiting in queue `q`.
    #[inline]
    pub fn buyers_in(&self, q: usize) -> usize {
        let l = &self.groups[q].live;
        l[..l.len() - 1].iter().sum()
    }

    /// Adds a chat at the back of its class.
    pub fn push(&mut self, q: usize, class: Class, w: Waiting) {
        let g = &mut self.groups[q];
        g.classes[usize::from(class.0)].push_back(w);
        g.live[usize::from(class.0)] += 1;
        self.count(class, 1);
    }

    fn count(&mut self, class: Class, delta: isize) {
        let c = if class == self.offline_class() {
            &mut self.offline
        } else {
            &mut self.buyers
        };
        *c = c.wrapping_add_signed(delta);
    }

    /// Puts a chat back at the front of its class (it was the head and could not be served).
    pub fn push_front(&mut self, q: usize, class: Class, w: Waiting) {
        let g = &mut self.groups[q];
        g.classes[usize::from(class.0)].push_front(w);
        g.live[usize::from(class.0)] += 1;
        self.count(class, 1);
    }

    /// Records that a chat of class `class` left queue `q`; its entry becomes stale.
    pub fn forget(&mut self, q: usize, class: Class) {
        self.groups[q].live[usize::from(class.0)] -= 1;
        self.count(class, -1);
    }

    /// The chat queue `q` would serve next: with `overdue_at` set (golden
    /// 2-minute priority), buyers who arrived at or before it come first,
    /// oldest first; then VIP, then other buyers (in the queue order), then
    /// offline messages, oldest first.
    pub fn head(
        &mut self,
        q: usize,
        is_live: impl Fn(Waiting, Class) -> bool,
        overdue_at: Option<SimTime>,
    ) -> Option<Head> {
        let lifo = self.order == QueueOrder::Lifo;
        let offline = self.offline_class();
        let g = &mut self.groups[q];
        let n = g.classes.len();
        if !lifo && overdue_at.is_none() {
            // Plain FIFO: classes are strictly ordered, the first live front wins.
            for c in 0..n {
                let class = Class(c as u8);
                if g.live[c] == 0 {
                    g.classes[c].clear();
                    continue;
                }
                let dq = &mut g.classes[c];
                while let Some(&w) = dq.front() {
                    if is_live(w, class) {
                        return Some(Head {
                            key: (1 + c as u8, w.token),
                            class,
                            end: End::Front,
                            entry: w,
                        });
                    }
                    dq.pop_front();
                }
            }
            return None;
        }
        let mut best: Option<Head> = None;
        let mut offer = |h: Head| {
            if best.is_none_or(|b| h.key < b.key) {
                best = Some(h);
            }
        };
        for c in 0..n {
            let class = Class(c as u8);
            let dq = &mut g.classes[c];
            if g.live[c] == 0 {
                dq.clear();
                continue;
            }
            while dq.front().is_some_and(|&w| !is_live(w, class)) {
                dq.pop_front();
            }
            // FIFO never reads the back; stale entries there reach the front in time.
            let from_back = lifo && class != offline;
            while from_back && dq.back().is_some_and(|&w| !is_live(w, class)) {
                dq.pop_back();
            }
            let (Some(&front), Some(&back)) = (dq.front(), dq.back()) else {
                continue;
            };
            if class != offline && overdue_at.is_some_and(|t| front.at <= t) {
                offer(Head {
                    key: (0, front.token),
                    class,
                    end: End::Front,
                    entry: front,
                });
            }
            let rank = 1 + c as u8;
            if from_back {
                offer(Head {
                    key: (rank, !back.token),
                    class,
                    end: End::Back,
                    entry: back,
                });
            } else {
                offer(Head {
                    key: (rank, front.token),
                    class,
                    end: End::Front,
                    entry: front,
                });
            }
        }
        best
    }

    /// Removes a head returned by [`WaitingQueue::head`].
    pub fn take(&mut self, q: usize, head: &Head) {
        let g = &mut self.groups[q];
        let dq = &mut g.classes[usize::from(head.class.0)];
        match head.end {
            End::Front => dq.pop_front(),
            End::Back => dq.pop_back(),
        };
        g.live[usize::from(head.class.0)] -= 1;
        self.count(head.class, -1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(conv: u32, token: u64, at: SimTime) -> Waiting {
        Waiting { conv, token, at }
    }

    fn serve_all(
        q: &mut WaitingQueue,
        live: impl Fn(Waiting) -> bool + Copy,
        overdue: Option<SimTime>,
    ) -> Vec<u32> {
        std::iter::from_fn(|| {
            let h = q.head(0, |w, _| live(w), overdue)?;
            q.take(0, &h);
            Some(h.entry.conv)
        })
        .collect()
    }

    #[test]
    fn vip_first_then_fifo_then_offline_and_stale_entries_skipped() {
        let mut q = WaitingQueue::new(1, QueueOrder::Fifo, 1);
        let (vip, normal, offline) = (q.class_of(1), q.normal(), q.offline_class());
        q.push(0, offline, w(9, 0, 0));
        q.push(0, normal, w(1, 1, 1));
        q.push(0, normal, w(2, 2, 2));
        q.push(0, vip, w(3, 3, 3));
        q.forget(0, normal); // conv 2 abandoned
        assert_eq!(serve_all(&mut q, |x| x.conv != 2, None), vec![3, 1, 9]);
        assert!(q.is_empty());
    }

    #[test]
    fn lifo_serves_newest_first_within_a_class() {
        let mut q = WaitingQueue::new(1, QueueOrder::Lifo, 1);
        for k in 1..=3 {
            q.push(0, q.normal(), w(k, k.into(), k.into()));
        }
        q.push(0, q.class_of(1), w(7, 7, 7));
        assert_eq!(serve_all(&mut q, |_| true, None), vec![7, 3, 2, 1]);
    }

    #[test]
    fn higher_vip_tiers_come_first() {
        let mut q = WaitingQueue::new(1, QueueOrder::Fifo, 2);
        q.push(0, q.normal(), w(1, 1, 0));
        q.push(0, q.class_of(2), w(2, 2, 1));
        q.push(0, q.class_of(1), w(3, 3, 2));
        assert_eq!(q.buyers_in(0), 3);
        assert_eq!(serve_all(&mut q, |_| true, None), vec![3, 2, 1]);
    }

    #[test]
    fn golden_priority_puts_overdue_buyers_first_even_before_vip() {
        let mut q = WaitingQueue::new(1, QueueOrder::Lifo, 1);
        q.push(0, q.normal(), w(1, 1, 0));
        q.push(0, q.normal(), w(2, 2, 200_000));
        q.push(0, q.class_of(1), w(3, 3, 210_000));
        // At 250 s, chats that arrived at or before 130 s are overdue.
        assert_eq!(serve_all(&mut q, |_| true, Some(130_000)), vec![1, 3, 2]);
    }
}
