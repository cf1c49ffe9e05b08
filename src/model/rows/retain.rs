//! Compacting the span table in place: the rows of evicted traces go, the kept ones move down
//! column by column, and so do the records and side-table entries they refer to. No second
//! table is built: compacting a store costs no memory beyond what its table already holds
//! (a copy would double it for a moment, which a memory budget has to leave room for).

use super::{NONE, SpanTable, idbits, raw, sym};
use crate::model::intern::Sym;
use crate::model::trace::TraceIdx;

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
    /// attributes) is the caller's to move, with [`SpanTable::relink_all`].
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

    /// Make every row refer to where what it refers to outside the table went (after
    /// [`SpanTable::retain`]): its trace through `trace`, its strings (name, ids kept as text,
    /// model, error) through `sym_of`. Column by column, no span read whole: compaction pauses
    /// the explorer for it. The attribute ranges move with [`SpanTable::relink_attrs`].
    pub fn relink_all(
        &mut self,
        trace: impl Fn(TraceIdx) -> TraceIdx,
        mut sym_of: impl FnMut(Sym) -> Sym,
    ) {
        for t in &mut self.trace {
            *t = trace(*t);
        }
        for n in &mut self.name {
            *n = sym_of(*n);
        }
        // an id kept as text is its symbol's u32 (kind 1; a parent's kinds are one up)
        let mut text = |v: &mut u64| {
            let old = Sym(u32::try_from(*v).unwrap_or(u32::MAX));
            *v = u64::from(sym_of(old).0);
        };
        for row in &mut self.rows {
            if (row.flags >> idbits::ID_SHIFT) & idbits::MASK == 1 {
                text(&mut row.id);
            }
            if (row.flags >> idbits::PARENT_SHIFT) & idbits::MASK == 2 {
                text(&mut row.parent);
            }
        }
        for x in &mut self.extras {
            x.model = raw(sym(x.model).map(&mut sym_of));
            x.error = raw(sym(x.error).map(&mut sym_of));
        }
    }

    /// Move every non-empty attribute range through `attrs` (after [`SpanTable::retain`]).
    pub fn relink_attrs(&mut self, mut attrs: impl FnMut((u32, u32)) -> (u32, u32)) {
        for a in &mut self.attrs {
            if a.1 > 0 {
                *a = attrs(*a);
            }
        }
    }
}
