//! A tournament tree over a group's members: the member with the smallest
//! key in O(1), a key change in O(log n). Ties go to the lower position
//! (members are in id order, so: the lower agent id).

/// Key of an agent that cannot take a chat.
pub const INELIGIBLE: u64 = u64::MAX;

/// Minimum of `n` keys under point updates.
///
/// Every node holds its subtree's winner, key and leaf (heap layout, root
/// 1, leaves at `size..2 * size`), so a change climbs comparing the carried
/// winner with each sibling's: the loads of one climb do not depend on each
/// other, and the choice is a conditional move.
#[derive(Debug, Clone)]
pub struct MinTree {
    size: usize,
    /// `key[node]`: the smallest key under `node`.
    key: Vec<u64>,
    /// `leaf[node]`: the leaf holding it (the lower one on ties).
    leaf: Vec<u32>,
}

impl MinTree {
    /// `n` leaves, all ineligible.
    pub fn new(n: usize) -> Self {
        let size = n.max(1).next_power_of_two();
        let mut leaf = vec![0u32; 2 * size];
        for (l, w) in leaf[size..].iter_mut().enumerate() {
            *w = l as u32;
        }
        for node in (1..size).rev() {
            leaf[node] = leaf[2 * node];
        }
        Self {
            size,
            key: vec![INELIGIBLE; 2 * size],
            leaf,
        }
    }

    /// Sets the key of `leaf`.
    #[inline]
    pub fn set(&mut self, leaf: usize, key: u64) {
        assert!(leaf < self.size, "leaf {leaf} out of {}", self.size);
        let n = 2 * self.size;
        let (keys, leaves) = (&mut self.key[..n], &mut self.leaf[..n]);
        let mut node = self.size + leaf;
        if keys[node] == key {
            return;
        }
        let (mut k, mut w) = (key, leaf as u32);
        keys[node] = k;
        while node > 1 {
            let sibling = node ^ 1;
            // SAFETY: 1 < node < n (it starts at size + leaf < 2 * size = n,
            // checked above, and halves), so node, its sibling and its
            // parent are below n = keys.len() = leaves.len().
            let (sk, sw) =
                unsafe { (*keys.get_unchecked(sibling), *leaves.get_unchecked(sibling)) };
            // Ties go to the left child (the lower leaves).
            let sibling_wins = if sibling < node { sk <= k } else { sk < k };
            // Which child wins is data, not a pattern: a conditional move, not a branch.
            (k, w) = std::hint::select_unpredictable(sibling_wins, (sk, sw), (k, w));
            node /= 2;
            // SAFETY: as above.
            unsafe {
                *keys.get_unchecked_mut(node) = k;
                *leaves.get_unchecked_mut(node) = w;
            }
        }
    }

    /// The leaf with the smallest key, unless every leaf is ineligible.
    #[inline]
    pub fn min(&self) -> Option<usize> {
        (self.key[1] != INELIGIBLE).then_some(self.leaf[1] as usize)
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
