//! A tournament tree over a group's members: the member with the smallest
//! key in O(1), a key change in O(log n). Ties go to the lower position
//! (members are in id order, so: the lower agent id).

/// Key of an agent that cannot take a chat.
pub const INELIGIBLE: u64 = u64::MAX;

/// Minimum of `n` keys under point updates.
///
/// Each node holds the smallest key under it and the leaf it belongs to,
/// side by side, so a comparison reads the two children (adjacent in
/// memory) and never the leaves; an update stops as soon as a node's
/// minimum is unchanged, since nothing above it can change then.
#[derive(Debug, Clone)]
pub struct MinTree {
    size: usize,
    /// `nodes[node]` = (smallest key under `node`, its leaf), heap layout
    /// (root 1, children `2n` and `2n + 1`, leaf `i` at `size + i`).
    nodes: Vec<(u64, u32)>,
}

impl MinTree {
    /// `n` leaves, all ineligible.
    pub fn new(n: usize) -> Self {
        let size = n.max(1).next_power_of_two();
        let mut nodes = vec![(INELIGIBLE, 0u32); 2 * size];
        for (leaf, node) in nodes[size..].iter_mut().enumerate() {
            node.1 = leaf as u32;
        }
        for node in (1..size).rev() {
            nodes[node] = nodes[2 * node];
        }
        Self { size, nodes }
    }

    /// Sets the key of `leaf`.
    #[inline]
    pub fn set(&mut self, leaf: usize, key: u64) {
        let mut node = self.size + leaf;
        let nodes = &mut self.nodes[..];
        if nodes[node].0 == key {
            return;
        }
        nodes[node].0 = key;
        // Both children of `node / 2` exist while node > 1 (a full tree).
        while node > 1 {
            let parent = node / 2;
            let pair = &nodes[2 * parent..2 * parent + 2];
            // Ties go to the left child: the lower position.
            let best = if pair[1].0 < pair[0].0 { pair[1] } else { pair[0] };
            if nodes[parent] == best {
                return;
            }
            nodes[parent] = best;
            node = parent;
        }
    }

    /// The leaf with the smallest key, unless every leaf is ineligible.
    #[inline]
    pub fn min(&self) -> Option<usize> {
        let (key, leaf) = self.nodes[1];
        (key != INELIGIBLE).then_some(leaf as usize)
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
