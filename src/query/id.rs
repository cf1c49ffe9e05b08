//! Trace ids as people type them: the one matcher behind the `id:` term and behind naming a
//! trace (`spanscope show ID`, `compare A B`, `:open ID`).
//!
//! A typed id matches a stored one when, both normalized, the typed one is a prefix of the
//! stored one. Normalizing drops a leading `tr-` or `trc_` (any case), drops dashes and
//! lowercases, so an MLflow `tr-…` id, a dashed UUID and an id pasted in upper case all match
//! however they are written.

use crate::model::{Store, TraceIdx};

/// Producer prefixes before the id proper (MLflow's `tr-`, and `trc_`).
const PREFIXES: [&str; 2] = ["tr-", "trc_"];

/// How many matching ids an ambiguous prefix lists.
const SHOWN: usize = 5;

/// Why no single trace has the typed id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// Nothing is left once normalized (e.g. `""` or `tr-`).
    #[error("empty trace id")]
    Empty,
    /// No trace id starts with it.
    #[error("no trace with id {id:?} (of {traces} traces)")]
    NotFound { id: String, traces: usize },
    /// Several do; `first` holds the first few, in store order.
    #[error("{count} traces start with {id:?}: {}{}", .first.join(", "), if *.count > .first.len() { ", …" } else { "" })]
    Ambiguous {
        id: String,
        count: usize,
        first: Vec<String>,
    },
}

/// `id` without its producer prefix and dashes, lowercased, char by char.
fn normalized(id: &str) -> impl Iterator<Item = char> + '_ {
    let rest = PREFIXES
        .iter()
        .find_map(|p| {
            id.get(..p.len())
                .filter(|head| head.eq_ignore_ascii_case(p))
                .map(|_| &id[p.len()..])
        })
        .unwrap_or(id);
    rest.chars()
        .filter(|&c| c != '-')
        .flat_map(char::to_lowercase)
}

/// `id` as the matcher compares it: no `tr-`/`trc_` prefix, no dashes, lower case.
#[must_use]
pub fn normalize(id: &str) -> String {
    normalized(id).collect()
}

/// Whether the stored trace id `id` matches the `typed` one: normalized, `typed` is a prefix of
/// `id`. Allocates nothing, so it can run once per trace.
#[must_use]
pub fn matches(id: &str, typed: &str) -> bool {
    let mut id = normalized(id);
    normalized(typed).all(|c| id.next() == Some(c))
}

/// The traces whose id `typed` matches, in store order.
fn candidates(store: &Store, typed: &str) -> Vec<TraceIdx> {
    store
        .trace_ids()
        .filter(|&t| matches(&store.trace_id(t), typed))
        .collect()
}

/// The one trace `typed` names: the trace with exactly that id, else the only one it matches.
///
/// # Errors
/// `typed` is empty once normalized, or matches no trace, or several.
pub fn resolve(store: &Store, typed: &str) -> Result<TraceIdx, ResolveError> {
    if let Some(t) = store.trace_by_id(typed) {
        return Ok(t);
    }
    if normalized(typed).next().is_none() {
        return Err(ResolveError::Empty);
    }
    match candidates(store, typed).as_slice() {
        [one] => Ok(*one),
        [] => Err(ResolveError::NotFound {
            id: typed.to_string(),
            traces: store.trace_count(),
        }),
        many => Err(ResolveError::Ambiguous {
            id: typed.to_string(),
            count: many.len(),
            first: many
                .iter()
                .take(SHOWN)
                .map(|&t| store.trace_id(t).to_string())
                .collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::store::{Record, SpanRecord};
    use crate::query::{filter, parse};

    /// One root span per id, in this order.
    fn store(ids: &[&str]) -> Store {
        let mut s = Store::new();
        let src = s.add_source("test");
        for id in ids {
            let span = SpanRecord {
                trace_id: (*id).into(),
                span_id: "r".into(),
                name: Some("root".into()),
                start: Some(0),
                end: Some(1),
                complete: true,
                ..SpanRecord::default()
            };
            s.insert(src, Record::Span(span));
        }
        s.refresh();
        s
    }

    const IDS: [&str; 5] = [
        "tr-7f2a9c01",
        "trc_7f2b0000",
        "0a1b2c3d-4e5f-6789-abcd-ef0123456789",
        "ABCDEF12",
        "abcdef34",
    ];

    fn names(s: &Store, traces: &[TraceIdx]) -> Vec<String> {
        traces.iter().map(|&t| s.trace_id(t).to_string()).collect()
    }

    /// The traces the `id:` term keeps for `typed`.
    fn by_term(s: &Store, typed: &str) -> Vec<String> {
        let q = parse(&format!("id:{typed}")).unwrap();
        names(s, &filter(s, &q))
    }

    /// The traces naming `typed` finds: the one it resolves to, or every candidate.
    fn by_name(s: &Store, typed: &str) -> Vec<String> {
        match resolve(s, typed) {
            Ok(t) => names(s, &[t]),
            Err(ResolveError::Ambiguous { count, .. }) => {
                let all = names(s, &candidates(s, typed));
                assert_eq!(all.len(), count, "{typed}");
                all
            }
            Err(_) => Vec::new(),
        }
    }

    #[test]
    fn normalizing_drops_the_prefix_and_dashes_and_lowercases() {
        assert_eq!(normalize("tr-7F2A"), "7f2a");
        assert_eq!(normalize("TRC_7f2b"), "7f2b");
        assert_eq!(normalize("0a1b-2C3D"), "0a1b2c3d");
        assert_eq!(normalize("tr-"), "");
        // only a leading prefix is a prefix
        assert_eq!(normalize("abtr-cd"), "abtrcd");
        // a multi-byte char where a prefix would end is no prefix
        assert_eq!(normalize("tré"), "tré");
        assert!(matches("tr-7f2a9c01", "7F2A"));
        assert!(matches("0a1b2c3d-4e5f", "tr-0a1b2c3d4e"));
        assert!(!matches("tr-7f2a9c01", "7f2b"));
        assert!(matches("anything", ""));
    }

    #[test]
    fn the_id_term_and_naming_a_trace_find_the_same_traces() {
        let s = store(&IDS);
        let cases: [(&str, &[&str]); 9] = [
            // a `tr-` prefix typed or left out, in any case
            ("7f2a", &["tr-7f2a9c01"]),
            ("tr-7f2a", &["tr-7f2a9c01"]),
            ("TR-7F2A", &["tr-7f2a9c01"]),
            ("tr-0a1b", &["0a1b2c3d-4e5f-6789-abcd-ef0123456789"]),
            // dashes typed or left out
            ("0a1b2c3d4e5f", &["0a1b2c3d-4e5f-6789-abcd-ef0123456789"]),
            ("0A1B-2C3D-4E", &["0a1b2c3d-4e5f-6789-abcd-ef0123456789"]),
            // ambiguous prefixes
            ("7f2", &["tr-7f2a9c01", "trc_7f2b0000"]),
            ("ABCDEF", &["ABCDEF12", "abcdef34"]),
            ("nope", &[]),
        ];
        for (typed, want) in cases {
            assert_eq!(by_term(&s, typed), want, "id:{typed}");
            assert_eq!(by_name(&s, typed), want, "naming {typed}");
        }
    }

    #[test]
    fn resolving_says_why_no_single_trace_matches() {
        let s = store(&IDS);
        assert_eq!(resolve(&s, "abcdef34"), Ok(TraceIdx(4)));
        assert_eq!(resolve(&s, "ABCDEF1"), Ok(TraceIdx(3)));
        assert_eq!(resolve(&s, "").unwrap_err().to_string(), "empty trace id");
        assert_eq!(
            resolve(&s, "tr-").unwrap_err().to_string(),
            "empty trace id"
        );
        assert_eq!(
            resolve(&s, "nope").unwrap_err().to_string(),
            "no trace with id \"nope\" (of 5 traces)"
        );
        assert_eq!(
            resolve(&s, "7f2").unwrap_err().to_string(),
            "2 traces start with \"7f2\": tr-7f2a9c01, trc_7f2b0000"
        );
        let many = store(&["a1", "a2", "a3", "a4", "a5", "a6"]);
        assert_eq!(
            resolve(&many, "a").unwrap_err().to_string(),
            "6 traces start with \"a\": a1, a2, a3, a4, a5, …"
        );
    }

    #[test]
    fn an_exact_id_wins_over_longer_ones_it_starts() {
        let s = store(&["ab", "abc"]);
        assert_eq!(resolve(&s, "ab"), Ok(TraceIdx(0)));
    }
}
