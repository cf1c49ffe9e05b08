//! The attributes spans keep, each distinct list once. Spans of one producer repeat the same
//! lists (the resource's attributes, a span kind's, a program's name): a span holds the range
//! of its list in the arena, and a list equal to one held already gets that one's range.

use super::idx::{self, CapacityError, Table};
use super::intern::Sym;
use foldhash::fast::RandomState;
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// `(key, value)` pairs of interned strings, sliced by `(start, len)` ranges.
#[derive(Debug, Default)]
pub struct AttrArena {
    pairs: Vec<(Sym, Sym)>,
    /// The range of each distinct list, hashed by the list it holds.
    lists: HashTable<(u32, u32)>,
    hasher: RandomState,
}

fn slice(pairs: &[(Sym, Sym)], (start, len): (u32, u32)) -> &[(Sym, Sym)] {
    &pairs[start as usize..(start + len) as usize]
}

impl AttrArena {
    /// Pairs held (each distinct list once).
    #[must_use]
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pairs in `range`.
    #[must_use]
    pub fn get(&self, range: (u32, u32)) -> &[(Sym, Sym)] {
        slice(&self.pairs, range)
    }

    /// The range holding `list`: that of an equal list already held, else a new one.
    ///
    /// # Errors
    /// `list` is new and the arena has no room for it.
    pub fn add(&mut self, list: &[(Sym, Sym)]) -> Result<(u32, u32), CapacityError> {
        if list.is_empty() {
            return Ok((0, 0));
        }
        let h = self.hasher.hash_one(list);
        let pairs = &self.pairs;
        if let Some(&range) = self.lists.find(h, |&r| slice(pairs, r) == list) {
            return Ok(range);
        }
        idx::ensure_room(self.pairs.len(), list.len(), Table::Attributes)?;
        let range = (
            idx::to_u32(self.pairs.len(), Table::Attributes)?,
            idx::count(list.len(), Table::Attributes)?,
        );
        self.pairs.extend_from_slice(list);
        let (pairs, hasher) = (&self.pairs, &self.hasher);
        self.lists
            .insert_unique(h, range, |&r| hasher.hash_one(slice(pairs, r)));
        Ok(range)
    }

    /// Room for `pairs` pairs in all.
    pub fn reserve_total(&mut self, pairs: usize) {
        self.pairs
            .reserve_exact(pairs.saturating_sub(self.pairs.len()));
    }

    /// Bytes the arena takes.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.pairs.capacity() * size_of::<(Sym, Sym)>() + self.lists.allocation_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::idx::test_limit;

    fn list(pairs: &[(u32, u32)]) -> Vec<(Sym, Sym)> {
        pairs.iter().map(|&(k, v)| (Sym(k), Sym(v))).collect()
    }

    #[test]
    fn an_equal_list_is_held_once() {
        let mut a = AttrArena::default();
        let resource = list(&[(1, 2), (3, 4)]);
        let r = a.add(&resource).unwrap();
        assert_eq!(a.add(&list(&[(1, 2), (3, 4)])), Ok(r));
        let other = a.add(&list(&[(3, 4), (1, 2)])).unwrap();
        assert_ne!(other, r, "another order is another list");
        let prefix = a.add(&list(&[(1, 2)])).unwrap();
        assert_eq!((a.get(r), a.get(prefix)), (&resource[..], &resource[..1]));
        assert_eq!(a.add(&[]), Ok((0, 0)));
        assert_eq!(a.len(), 5);
        for i in 0..1_000 {
            a.add(&list(&[(i, i + 1)])).unwrap();
            a.add(&list(&[(1, 2), (3, 4)])).unwrap();
        }
        assert_eq!(a.len(), 1_004);
    }

    #[test]
    fn a_full_arena_refuses_a_new_list_and_still_finds_old_ones() {
        let _lower = test_limit::lower(Table::Attributes, 3);
        let mut a = AttrArena::default();
        let r = a.add(&list(&[(1, 2), (3, 4)])).unwrap();
        assert_eq!(
            a.add(&list(&[(5, 6), (7, 8)])).unwrap_err().table,
            Table::Attributes
        );
        assert_eq!(a.add(&list(&[(1, 2), (3, 4)])), Ok(r));
        assert_eq!(a.len(), 2);
    }
}
