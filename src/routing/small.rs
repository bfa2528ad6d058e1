//! A short list stored inline: an agent's group memberships, read on every
//! change of the agent, sit in the per-agent array itself instead of in a
//! separate allocation per agent (one cache miss instead of two).

/// Up to `N` items inline; more move to the heap.
#[derive(Debug, Clone)]
pub struct Small<T: Copy + Default, const N: usize> {
    len: u32,
    inline: [T; N],
    /// Every item, once there are more than `N`.
    spill: Vec<T>,
}

impl<T: Copy + Default, const N: usize> Default for Small<T, N> {
    fn default() -> Self {
        Self {
            len: 0,
            inline: [T::default(); N],
            spill: Vec::new(),
        }
    }
}

impl<T: Copy + Default, const N: usize> Small<T, N> {
    /// The items, in order.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        if self.spill.is_empty() {
            &self.inline[..self.len as usize]
        } else {
            &self.spill
        }
    }

    /// The items, mutable.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        if self.spill.is_empty() {
            &mut self.inline[..self.len as usize]
        } else {
            &mut self.spill
        }
    }

    /// Appends `item`.
    pub fn push(&mut self, item: T) {
        let n = self.len as usize;
        if self.spill.is_empty() && n < N {
            self.inline[n] = item;
        } else {
            if self.spill.is_empty() {
                self.spill.extend_from_slice(&self.inline[..n]);
            }
            self.spill.push(item);
        }
        self.len += 1;
    }

    /// Keeps the items for which `keep` holds, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let items: Vec<T> = self
            .as_slice()
            .iter()
            .copied()
            .filter(|x| keep(x))
            .collect();
        *self = Self::default();
        for x in items {
            self.push(x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec_inline_or_spilled() {
        let mut s: Small<(u32, u32), 2> = Small::default();
        let mut v = Vec::new();
        for i in 0..7u32 {
            s.push((i, i * 10));
            v.push((i, i * 10));
            assert_eq!(s.as_slice(), v.as_slice());
        }
        s.retain(|x| x.0 % 3 != 0);
        v.retain(|x| x.0 % 3 != 0);
        assert_eq!(s.as_slice(), v.as_slice());
        s.retain(|x| x.0 == 4);
        v.retain(|x| x.0 == 4);
        assert_eq!(s.as_slice(), v.as_slice());
        s.as_mut_slice()[0].1 = 9;
        assert_eq!(s.as_slice(), [(4, 9)]);
    }
}
