//! The shop-wide waiting queue: VIP first, then FIFO by arrival, per group.

use std::collections::VecDeque;

/// A queued chat: conversation slot and its arrival number (the token that
/// tells a live entry from a stale one after abandonment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    /// Conversation slot.
    pub conv: u32,
    /// Arrival number of the conversation (unique, increasing).
    pub token: u64,
}

#[derive(Default)]
struct GroupQueue {
    vip: VecDeque<Waiting>,
    normal: VecDeque<Waiting>,
    live: usize,
}

/// Chats waiting for an agent.
///
/// Abandoned chats are removed lazily: the caller decrements the live count
/// with [`WaitingQueue::forget`] and the stale entry is skipped when it
/// reaches the head (`is_live` tells). Order across groups is the shop-wide
/// order: VIP before non-VIP, then earlier arrival first.
pub struct WaitingQueue {
    groups: Vec<GroupQueue>,
    total: usize,
}

impl WaitingQueue {
    /// An empty queue for `groups` groups.
    pub fn new(groups: usize) -> Self {
        Self {
            groups: (0..groups).map(|_| GroupQueue::default()).collect(),
            total: 0,
        }
    }

    /// Chats waiting in all groups.
    #[inline]
    pub fn len(&self) -> usize {
        self.total
    }

    /// Whether nobody waits.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Chats waiting for `group`.
    #[inline]
    pub fn len_of(&self, group: usize) -> usize {
        self.groups[group].live
    }

    /// Adds a chat at the back of its class.
    pub fn push(&mut self, group: usize, vip: bool, w: Waiting) {
        let q = &mut self.groups[group];
        if vip {
            q.vip.push_back(w)
        } else {
            q.normal.push_back(w)
        }
        q.live += 1;
        self.total += 1;
    }

    /// Records that a queued chat of `group` left (abandoned); its entry becomes stale.
    pub fn forget(&mut self, group: usize) {
        self.groups[group].live -= 1;
        self.total -= 1;
    }

    /// The first live chat of `group` as `(is_vip, entry)`, dropping stale heads.
    pub fn head(
        &mut self,
        group: usize,
        is_live: impl Fn(Waiting) -> bool,
    ) -> Option<(bool, Waiting)> {
        let q = &mut self.groups[group];
        if q.live == 0 {
            q.vip.clear();
            q.normal.clear();
            return None;
        }
        for (vip, dq) in [(true, &mut q.vip), (false, &mut q.normal)] {
            while let Some(&w) = dq.front() {
                if is_live(w) {
                    return Some((vip, w));
                }
                dq.pop_front();
            }
        }
        None
    }

    /// Removes the head returned by [`WaitingQueue::head`].
    pub fn pop_head(&mut self, group: usize, vip: bool) {
        let q = &mut self.groups[group];
        if vip {
            q.vip.pop_front()
        } else {
            q.normal.pop_front()
        };
        q.live -= 1;
        self.total -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vip_first_then_fifo_and_stale_entries_skipped() {
        let mut q = WaitingQueue::new(1);
        let w = |conv, token| Waiting { conv, token };
        q.push(0, false, w(1, 1));
        q.push(0, false, w(2, 2));
        q.push(0, true, w(3, 3));
        q.forget(0); // conv 2 abandoned
        let live = |x: Waiting| x.conv != 2;
        assert_eq!(q.head(0, live), Some((true, w(3, 3))));
        q.pop_head(0, true);
        assert_eq!(q.head(0, live), Some((false, w(1, 1))));
        q.pop_head(0, false);
        assert_eq!(q.head(0, live), None);
        assert!(q.is_empty());
    }
}
