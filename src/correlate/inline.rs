//! A short list kept in place: the tracker's per-message and per-session lists (line hashes,
//! a session's messages, the messages received under one queue ID) nearly always hold a few
//! items, and a heap allocation each (then a reallocation or two as it grows) cost more than
//! all the work done with them.

/// Up to `N` items in place, any more on the heap, in the order pushed.
#[derive(Debug, Clone)]
pub(crate) struct InlineList<T, const N: usize> {
    len: usize,
    /// The first `min(len, N)` items. Made with the first item, which fills the slots past
    /// them (never read): the items need no default value.
    inline: Option<[T; N]>,
    /// Items past the first `N`.
    more: Vec<T>,
}

impl<T, const N: usize> Default for InlineList<T, N> {
    fn default() -> Self {
        InlineList {
            len: 0,
            inline: None,
            more: Vec::new(),
        }
    }
}

impl<T: Copy + PartialEq, const N: usize> InlineList<T, N> {
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn push(&mut self, item: T) {
        match &mut self.inline {
            Some(inline) => match inline.get_mut(self.len) {
                Some(slot) => *slot = item,
                None => self.more.push(item),
            },
            None if N > 0 => self.inline = Some([item; N]),
            None => self.more.push(item),
        }
        self.len += 1;
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        let here = match &self.inline {
            Some(inline) => inline.get(..self.len.min(N)).unwrap_or(&[]),
            None => &[],
        };
        here.iter().chain(self.more.iter())
    }

    pub(crate) fn contains(&self, item: &T) -> bool {
        self.iter().any(|x| x == item)
    }

    pub(crate) fn last(&self) -> Option<&T> {
        match self.more.last() {
            Some(x) => Some(x),
            None => {
                let i = self.len.checked_sub(1)?;
                self.inline.as_ref().and_then(|inline| inline.get(i))
            }
        }
    }

    /// Keeps the items `keep` says yes to, in their order.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let mut kept = 0;
        for i in 0..self.len {
            if let Some(item) = self.get(i) {
                if keep(&item) {
                    self.set(kept, item);
                    kept += 1;
                }
            }
        }
        self.len = kept;
        self.more.truncate(kept.saturating_sub(N));
    }

    fn get(&self, i: usize) -> Option<T> {
        match i.checked_sub(N) {
            None => self
                .inline
                .as_ref()
                .and_then(|inline| inline.get(i))
                .copied(),
            Some(j) => self.more.get(j).copied(),
        }
    }

    /// Overwrites the item at `i` (below the length).
    fn set(&mut self, i: usize, item: T) {
        let slot = match i.checked_sub(N) {
            None => self.inline.as_mut().and_then(|inline| inline.get_mut(i)),
            Some(j) => self.more.get_mut(j),
        };
        if let Some(slot) = slot {
            *slot = item;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_past_the_inline_ones_keep_their_order() {
        let mut list: InlineList<u32, 2> = InlineList::default();
        assert!(list.is_empty());
        assert_eq!(list.last(), None);
        for i in 1..=5 {
            list.push(i);
            assert_eq!(list.last(), Some(&i));
        }
        assert_eq!(list.iter().copied().collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        assert!(list.contains(&4));
        assert!(!list.contains(&6));
        list.retain(|&x| x % 2 == 1);
        assert_eq!(list.iter().copied().collect::<Vec<_>>(), [1, 3, 5]);
        assert_eq!(list.last(), Some(&5));
        list.retain(|_| false);
        assert!(list.is_empty());
        assert!(!list.contains(&0));
    }
}
