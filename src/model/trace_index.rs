//! Traces by id: a hash table of trace row indexes, hashed by the id each row holds. An id is
//! kept once, in its row; the table costs five bytes a trace instead of a copy of every id.

use super::ids::TraceId;
use super::trace::{TraceIdx, TraceRow};
use foldhash::fast::RandomState;
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// The live traces of a store by id; each call is given the rows the indexes point into.
#[derive(Debug, Default)]
pub struct TraceIndex {
    table: HashTable<TraceIdx>,
    hasher: RandomState,
}

impl TraceIndex {
    /// The trace with id `id`.
    #[must_use]
    pub fn get(&self, id: TraceId, rows: &[TraceRow]) -> Option<TraceIdx> {
        let h = self.hasher.hash_one(id);
        self.table.find(h, |t| rows[t.0 as usize].id == id).copied()
    }

    /// Trace `t` (a row of `rows`, not in the index yet) is found by its id from now on.
    pub fn insert(&mut self, t: TraceIdx, rows: &[TraceRow]) {
        let hasher = &self.hasher;
        let h = hasher.hash_one(rows[t.0 as usize].id);
        self.table
            .insert_unique(h, t, |x| hasher.hash_one(rows[x.0 as usize].id));
    }

    /// Trace `t` is no longer found by its id.
    pub fn remove(&mut self, t: TraceIdx, rows: &[TraceRow]) {
        let h = self.hasher.hash_one(rows[t.0 as usize].id);
        if let Ok(entry) = self.table.find_entry(h, |&x| x == t) {
            entry.remove();
        }
    }

    /// Room for `additional` more traces.
    pub fn reserve(&mut self, additional: usize, rows: &[TraceRow]) {
        let hasher = &self.hasher;
        self.table
            .reserve(additional, |x| hasher.hash_one(rows[x.0 as usize].id));
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Bytes the table takes.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.table.allocation_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::intern::Sym;
    use crate::model::sources::SourceId;
    use crate::model::trace::TraceInfo;

    fn row(id: TraceId) -> TraceRow {
        TraceRow {
            id,
            source: SourceId(0),
            spans: Vec::new(),
            info: TraceInfo::default(),
            dirty: false,
            seq: 0,
            bytes: 0,
            revision: 0,
        }
    }

    #[test]
    fn a_trace_is_found_by_its_id_until_removed() {
        let rows: Vec<TraceRow> = (0..1000u32)
            .map(|i| {
                row(if i % 3 == 0 {
                    TraceId::Text(Sym(i))
                } else {
                    TraceId::hex(u128::from(i) << 70 | u128::from(i))
                })
            })
            .collect();
        let mut index = TraceIndex::default();
        index.reserve(10, &rows);
        for i in 0..1000 {
            index.insert(TraceIdx(i), &rows);
        }
        assert_eq!(index.len(), 1000);
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(index.get(r.id, &rows), Some(TraceIdx(i as u32)));
        }
        index.remove(TraceIdx(3), &rows);
        assert_eq!(index.get(TraceId::Text(Sym(3)), &rows), None);
        assert_eq!(index.get(TraceId::Text(Sym(6)), &rows), Some(TraceIdx(6)));
        // a text id and a hex id of the same number are different ids
        assert_eq!(index.get(TraceId::hex(3 << 70 | 3), &rows), None);
        assert!(index.bytes() < 1000 * 16, "{}", index.bytes());
    }
}
