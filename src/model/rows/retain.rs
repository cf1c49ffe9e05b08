//! Compacting the span table in place: the rows of evicted traces go, the kept ones move down
//! column by column, and so do the records and side-table entries they refer to. No second
//! table is built: compacting a store costs no memory beyond what its table already holds
//! (a copy would double it for a moment, which a memory budget has to leave room for).

use super::{NONE, SpanTable, id_parts, idbits, raw};
use crate::model::span::Span;

/// Keep `v[i]` where `keep[i]`, in order, in place.
fn retain_by<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut i = 0;
    v.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}

/// Where each kept entry goes (its rank among the kept), [`NONE`] for the dropped ones.
fn places(keep: &[bool]) -> Vec<u32> {
    let mut n = 0u32;
    keep.iter()
        .map(|&k| {
            if k {
                n += 1;
                n - 1
            } else {
                NONE
            }
        })
        .collect()
}

/// An entry index through `places` (`NONE` stays `NONE`).
fn moved(places: &[u32], e: u32) -> u32 {
    if e == NONE { NONE } else { places[e as usize] }
}

impl SpanTable {
    /// Keep the rows `keep` says (one flag per row), in order, with the records and
    /// side-table entries the kept rows refer to. Row `i` of the kept ones is then at the
    /// `i`th place; what it refers to outside the table (its trace, its strings, its
    /// attributes) is the caller's to move, with [`SpanTable::relink`].
    pub fn retain(&mut self, keep: &[bool]) {
        debug_assert_eq!(keep.len(), self.rows.len());
        let mut records = vec![false; self.records.len()];
        let mut extras = vec![false; self.extras.len()];
        for (row, _) in self.rows.iter().zip(keep).filter(|(_, k)| **k) {
            if row.record != NONE {
                records[row.record as usize] = true;
            }
            if row.extra != NONE {
                extras[row.extra as usize] = true;
                let second = self.extras[row.extra as usize].record;
                if second != NONE {
                    records[second as usize] = true;
                }
            }
        }
        retain_by(&mut self.rows, keep);
        retain_by(&mut self.trace, keep);
        retain_by(&mut self.start, keep);
        retain_by(&mut self.dur, keep);
        retain_by(&mut self.name, keep);
        retain_by(&mut self.state, keep);
        retain_by(&mut self.attrs, keep);
        let (record_at, extra_at) = (places(&records), places(&extras));
        retain_by(&mut self.records, &records);
        retain_by(&mut self.extras, &extras);
        for row in &mut self.rows {
            row.record = moved(&record_at, row.record);
            row.extra = moved(&extra_at, row.extra);
        }
        for x in &mut self.extras {
            x.record = moved(&record_at, x.record);
        }
        self.wide_tokens = std::mem::take(&mut self.wide_tokens)
            .into_iter()
            .filter_map(|(e, t)| match moved(&extra_at, e) {
                NONE => None,
                e => Some((e, t)),
            })
            .collect();
    }

    /// Make row `i` refer to what `sp` does outside the table: its trace, name, ids, model,
    /// error and attribute range (the rest of `sp` is what the row holds already).
    pub fn relink(&mut self, i: usize, sp: &Span) {
        self.trace[i] = sp.trace;
        self.name[i] = sp.name;
        self.attrs[i] = sp.attrs;
        let row = &mut self.rows[i];
        row.id = id_parts(sp.span_id).1;
        row.parent = sp.parent_id.map_or(0, |p| id_parts(p).1);
        debug_assert_eq!(
            (row.flags >> idbits::ID_SHIFT) & idbits::MASK,
            id_parts(sp.span_id).0
        );
        if row.extra != NONE {
            let x = &mut self.extras[row.extra as usize];
            x.model = raw(sp.model);
            x.error = raw(sp.error);
        }
    }
}
