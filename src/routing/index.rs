//! A tournament tree over a group's members: the member with the smallest
//! key in O(1), a key change in O(log n). Ties go to the lower position
//! (members are in id order, so: the lower agent id).

/// Key of an agent that cannot take a chat.
pub const INELIGIBLE: u64 = u64::MAX;

/// Minimum of `n` keys under point updates.
#[derive(Debug, Clone)]
pub struct MinTree {
    size: usize,
    keys: Vec<u64>,
    /// `best[node]` = leaf with the smallest key under `node` (heap layout, root 1).
    best: Vec<u32>,
}

impl MinTree {
    /// `n` leaves, all ineligible.
    pub fn new(n: usize) -> Self {
        let size = n.max(1).next_power_of_two();
        let mut best = vec![0u32; 2 * size];
        for (leaf, b) in best[size..].iter_mut().enumerate() {
            *b = leaf as u32;
        }
        for node in (1..size).rev() {
            best[node] = best[2 * node];
        }
        Self {
            size,
            keys: vec![INELIGIBLE; size],
            best,
        }
    }

    /// Sets the key of `leaf`.
    #[inline]
    pub fn set(&mut self, leaf: usize, key: u64) {
        if self.keys[leaf] == key {
            return;
        }
        self.keys[leaf] = key;
        let mut node = (self.size + leaf) / 2;
        while node >= 1 {
            let (l, r) = (self.best[2 * node], self.best[2 * node + 1]);
            self.best[node] = if self.keys[r as usize] < self.keys[l as usize] {
                r
            } else {
                l
            };
            node /= 2;
        }
    }

    /// The leaf with the smallest key, unless every leaf is ineligible.
    #[inline]
    pub fn min(&self) -> Option<usize> {
        let leaf = self.best[1] as usize;
        (self.keys[leaf] != INELIGIBLE).then_some(leaf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn matches_a_linear_scan() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for n in [1, 2, 3, 7, 64, 100] {
            let mut tree = MinTree::new(n);
            let mut keys = vec![INELIGIBLE; n];
            for _ in 0..2_000 {
                let leaf = rng.random_range(0..n);
                let key = if rng.random_bool(0.2) {
                    INELIGIBLE
                } else {
                    rng.random_range(0..20)
                };
                tree.set(leaf, key);
                keys[leaf] = key;
                let expected = (0..n)
                    .filter(|&i| keys[i] != INELIGIBLE)
                    .min_by_key(|&i| (keys[i], i));
                assert_eq!(tree.min(), expected);
            }
        }
    }
}
