//! Row indexes of the store's tables: the trace and span index types, and the one conversion
//! from a table length to a `u32` index, which refuses a row the table cannot address instead of
//! handing out an index that aliases another.
//!
//! A table holds at most [`MAX_ROWS`] rows, so indexes run `0..u32::MAX` and `u32::MAX` itself
//! is never a row: it is free to mean "none" (an evicted row in a remap, a refused blob).
//! Where a conversion cannot fail because the table was checked when the row went in, the
//! caller still goes through here and `expect`s it with the reason: a broken invariant should
//! be loud, never a silently aliased row.

use std::fmt;

/// Dense index of a trace in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceIdx(pub u32);

/// Dense index of a span in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanIdx(pub u32);

/// How many rows a table of the store holds at most.
pub const MAX_ROWS: usize = u32::MAX as usize;

/// The tables of the store whose rows are addressed by a `u32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Traces,
    Spans,
    /// The arena of spans' attributes.
    Attributes,
    /// Interned strings.
    Strings,
    Sources,
    /// The bytes payload references point into.
    Blobs,
    /// The parts of one record (span ordinals, step indexes) that a payload reference's
    /// locator counts; `u32::MAX` there is `PayloadRef::WHOLE`, the record itself.
    RecordParts,
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Table::Traces => "traces",
            Table::Spans => "spans",
            Table::Attributes => "span attributes",
            Table::Strings => "distinct strings",
            Table::Sources => "sources",
            Table::Blobs => "payload blobs",
            Table::RecordParts => "parts in one record",
        })
    }
}

/// A table of the store is full: what needed another row of it is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the index is full: it holds no more than {limit} {table}")]
pub struct CapacityError {
    pub table: Table,
    /// How many rows the table holds at most.
    pub limit: usize,
}

impl CapacityError {
    /// `table` is full.
    #[must_use]
    pub fn full(table: Table) -> Self {
        CapacityError {
            table,
            limit: limit(table),
        }
    }
}

/// The index of row `n` of `table`.
///
/// # Errors
/// `n` is past the last row the table can address.
pub fn to_u32(n: usize, table: Table) -> Result<u32, CapacityError> {
    let limit = limit(table);
    match u32::try_from(n) {
        Ok(i) if n < limit => Ok(i),
        _ => Err(CapacityError::full(table)),
    }
}

/// A number of rows of `table` (a length, a count): at most the table's capacity.
///
/// # Errors
/// `n` is more rows than the table can hold.
pub fn count(n: usize, table: Table) -> Result<u32, CapacityError> {
    let limit = limit(table);
    match u32::try_from(n) {
        Ok(c) if n <= limit => Ok(c),
        _ => Err(CapacityError { table, limit }),
    }
}

/// Whether `table`, holding `len` rows, can take `extra` more. Checked before a record changes
/// anything, so that a refused record leaves nothing behind.
///
/// # Errors
/// The table would hold more rows than it can address.
pub fn ensure_room(len: usize, extra: usize, table: Table) -> Result<(), CapacityError> {
    let limit = limit(table);
    if len.saturating_add(extra) <= limit {
        Ok(())
    } else {
        Err(CapacityError { table, limit })
    }
}

fn limit(table: Table) -> usize {
    #[cfg(test)]
    if let Some((t, n)) = test_limit::LOWER.get()
        && t == table
    {
        return n;
    }
    let _ = table;
    MAX_ROWS
}

/// A lower capacity for one table, on the current thread only: what a full table does can be
/// tested without four billion rows.
#[cfg(test)]
pub(crate) mod test_limit {
    use super::Table;
    use std::cell::Cell;

    thread_local! {
        pub(super) static LOWER: Cell<Option<(Table, usize)>> = const { Cell::new(None) };
    }

    /// Until the returned guard is dropped, `table` holds at most `rows` rows on this thread.
    pub(crate) fn lower(table: Table, rows: usize) -> Guard {
        LOWER.set(Some((table, rows)));
        Guard
    }

    pub(crate) struct Guard;

    impl Drop for Guard {
        fn drop(&mut self) {
            LOWER.set(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_index_is_never_u32_max() {
        assert_eq!(to_u32(0, Table::Spans), Ok(0));
        assert_eq!(to_u32(MAX_ROWS - 1, Table::Spans), Ok(u32::MAX - 1));
        let full = CapacityError {
            table: Table::Spans,
            limit: MAX_ROWS,
        };
        assert_eq!(to_u32(MAX_ROWS, Table::Spans), Err(full));
        assert_eq!(to_u32(usize::MAX, Table::Spans), Err(full));
    }

    #[test]
    fn a_count_may_reach_the_capacity() {
        assert_eq!(count(MAX_ROWS, Table::Traces), Ok(u32::MAX));
        assert!(count(MAX_ROWS + 1, Table::Traces).is_err());
    }

    #[test]
    fn room_is_counted_from_the_current_length() {
        assert_eq!(ensure_room(MAX_ROWS - 2, 2, Table::Attributes), Ok(()));
        assert!(ensure_room(MAX_ROWS - 2, 3, Table::Attributes).is_err());
        assert!(ensure_room(usize::MAX, 1, Table::Attributes).is_err());
    }

    #[test]
    fn the_error_says_which_table_is_full() {
        let e = to_u32(7, Table::Strings).err();
        assert_eq!(e, None);
        let _lower = test_limit::lower(Table::Strings, 7);
        let e = to_u32(7, Table::Strings).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the index is full: it holds no more than 7 distinct strings"
        );
        // the other tables keep their capacity
        assert_eq!(to_u32(7, Table::Spans), Ok(7));
        assert_eq!(
            CapacityError::full(Table::RecordParts).to_string(),
            "the index is full: it holds no more than 4294967295 parts in one record"
        );
    }

    #[test]
    fn a_lower_limit_ends_with_its_guard() {
        {
            let _lower = test_limit::lower(Table::Blobs, 1);
            assert!(to_u32(1, Table::Blobs).is_err());
        }
        assert_eq!(to_u32(1, Table::Blobs), Ok(1));
    }
}
