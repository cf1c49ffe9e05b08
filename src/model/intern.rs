//! Interned strings: names, ids, models and short attribute values are stored once and
//! referred to by a [`Sym`].

use super::idx::{self, CapacityError, Table};
use foldhash::HashMap;

/// An interned string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// No symbol, where a row keeps a symbol as its `u32` (never one: the table of strings holds
/// fewer than `u32::MAX`).
pub const NO_SYM: u32 = u32::MAX;

/// Interned strings: names, ids, models and short attribute values are stored once.
#[derive(Debug, Default)]
pub struct Interner {
    map: HashMap<Box<str>, Sym>,
    strings: Vec<Box<str>>,
    /// Bytes of the strings held.
    bytes: usize,
}

impl Interner {
    /// The symbol of `s`, added if it is new.
    ///
    /// # Errors
    /// `s` is new and the table of strings is full.
    pub fn intern(&mut self, s: &str) -> Result<Sym, CapacityError> {
        if let Some(&sym) = self.map.get(s) {
            return Ok(sym);
        }
        let sym = Sym(idx::to_u32(self.strings.len(), Table::Strings)?);
        self.strings.push(s.into());
        self.map.insert(s.into(), sym);
        self.bytes += s.len();
        Ok(sym)
    }

    /// About how much memory the strings take (each is held twice: by the map and the table).
    #[must_use]
    pub fn footprint(&self) -> usize {
        self.bytes * 2 + self.strings.len() * 64
    }

    #[must_use]
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
    }

    #[must_use]
    pub fn resolve(&self, sym: Sym) -> &str {
        &self.strings[sym.0 as usize]
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::idx::test_limit;

    #[test]
    fn a_string_is_held_once() {
        let mut s = Interner::default();
        let a = s.intern("a").unwrap();
        let b = s.intern("b").unwrap();
        assert_eq!(s.intern("a"), Ok(a));
        assert_ne!(a, b);
        assert_eq!((s.len(), s.resolve(b), s.get("b")), (2, "b", Some(b)));
    }

    #[test]
    fn a_full_table_refuses_new_strings_and_still_finds_old_ones() {
        let _lower = test_limit::lower(Table::Strings, 2);
        let mut s = Interner::default();
        let a = s.intern("a").unwrap();
        s.intern("b").unwrap();
        assert_eq!(s.intern("c").unwrap_err().table, Table::Strings);
        assert_eq!(s.intern("a"), Ok(a));
        assert_eq!(s.len(), 2);
    }
}
