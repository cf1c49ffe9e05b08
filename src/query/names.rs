//! Text tests on interned strings (names, models, attribute values, text ids), each computed
//! once per string and clause however many spans carry the string.

use super::ast::AttrTest;
use crate::model::{Store, Sym};
use std::cell::RefCell;

/// The store's strings as a query's clauses test them.
pub(super) struct Names<'a> {
    pub(super) store: &'a Store,
    /// Per clause, per interned string: 0 not tested yet, 1 no, 2 the clause's text matches it.
    cache: RefCell<Vec<Vec<u8>>>,
}

impl<'a> Names<'a> {
    /// For a query of `clauses` clauses.
    pub(super) fn new(store: &'a Store, clauses: usize) -> Self {
        Names {
            store,
            cache: RefCell::new(vec![Vec::new(); clauses]),
        }
    }

    /// Whether the string `sym` satisfies clause `ci`'s text test, computed once per string.
    pub(super) fn text_match(&self, ci: usize, sym: Sym, test: impl FnOnce(&str) -> bool) -> bool {
        let i = sym.0 as usize;
        let mut cache = self.cache.borrow_mut();
        let known = &mut cache[ci];
        if known.len() <= i {
            known.resize(self.store.strings.len().max(i + 1), 0);
        }
        match known[i] {
            0 => {
                let hit = test(self.store.str(sym));
                known[i] = 1 + u8::from(hit);
                hit
            }
            v => v == 2,
        }
    }

    /// Clause `ci`'s text `test` as a function of a symbol, for a loop over a column: the
    /// clause's cache is borrowed once for the whole loop (the clause's strings are tested
    /// through it only while it lives).
    pub(super) fn tester<'b>(
        &'b self,
        ci: usize,
        test: impl Fn(&str) -> bool + 'b,
    ) -> impl FnMut(Sym) -> bool + 'b {
        let store = self.store;
        let mut cache = self.cache.borrow_mut();
        let strings = store.strings.len();
        if cache[ci].len() < strings {
            cache[ci].resize(strings, 0);
        }
        // the loop's body is the lookup; the test of a string not seen yet is a call
        move |sym| match cache[ci].get(sym.0 as usize) {
            Some(2) => true,
            Some(1) => false,
            _ => learn(&mut cache[ci], store.str(sym), sym, &test),
        }
    }

    /// Whether `sym`, lowercased, contains `needle` (lowercased already).
    pub(super) fn contains(&self, ci: usize, sym: Sym, needle: &str) -> bool {
        self.text_match(ci, sym, |s| s.to_lowercase().contains(needle))
    }

    /// Whether the attributes in `range` of the arena have `key`, with a value `test` accepts.
    pub(super) fn attr_ok(&self, ci: usize, range: (u32, u32), key: &str, test: &AttrTest) -> bool {
        self.store.attr_syms(range).iter().any(|&(k, v)| {
            self.store.str(k) == key
                && match test {
                    AttrTest::Present => true,
                    AttrTest::Equals(want) => self.text_match(ci, v, |s| s.to_lowercase() == *want),
                    AttrTest::Contains(want) => self.contains(ci, v, want),
                }
        })
    }
}

/// What `test` says of string `sym` (its text `s`), remembered in `known`.
#[cold]
#[inline(never)]
fn learn(known: &mut Vec<u8>, s: &str, sym: Sym, test: &dyn Fn(&str) -> bool) -> bool {
    let i = sym.0 as usize;
    if known.len() <= i {
        known.resize(i + 1, 0);
    }
    let hit = test(s);
    known[i] = 1 + u8::from(hit);
    hit
}
