//! Interned strings: names, ids, models and short attribute values are stored once and
//! referred to by a [`Sym`].

use foldhash::HashMap;

/// An interned string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// Interned strings: names, ids, models and short attribute values are stored once.
#[derive(Debug, Default)]
pub struct Interner {
    map: HashMap<Box<str>, Sym>,
    strings: Vec<Box<str>>,
    /// Bytes of the strings held.
    bytes: usize,
}

impl Interner {
    /// # Panics
    /// More than `u32::MAX` distinct strings.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.map.get(s) {
            return sym;
        }
        let sym = Sym(u32::try_from(self.strings.len()).expect("fewer than 2^32 strings"));
        self.strings.push(s.into());
        self.map.insert(s.into(), sym);
        self.bytes += s.len();
        sym
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
