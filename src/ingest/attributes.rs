//! A span's attributes, as one list: each format names them once, from its record, and both
//! readers of the list take it from there. The detail's Attributes tab shows every pair; the
//! store keeps every key for `attr.` filters and grouping, with its value cut when it is long.
//! So what the tab shows is what a filter finds, in every format.
//!
//! What is not an attribute: the span's own fields (ids, parent, times, duration, a record's
//! type, phase, sequence number or schema version, the outcome), which the waterfall, the header
//! and the Raw tab show; and the texts that have a tab of their own (prompt messages, response,
//! inputs, outputs, invocation parameters, the error), which stay in the payload.

use super::texts::flatten;
use crate::model::AttrList;
use serde_json::{Map, Value};

/// Values up to this many bytes are kept whole for filters; a longer one is kept as its first
/// bytes up to here, followed by [`CUT`].
pub const KEPT_MAX: usize = 128;

/// What ends a value the store kept only the beginning of.
pub const CUT: &str = "…";

/// The pairs the store keeps of a span's attributes (`all`, as the format names them): every
/// key; a value over [`KEPT_MAX`] bytes cut at a character boundary and marked with [`CUT`].
#[must_use]
pub fn kept<K: AsRef<str>, V: AsRef<str>>(all: impl IntoIterator<Item = (K, V)>) -> AttrList {
    let mut out = AttrList::default();
    for (k, v) in all {
        keep(&mut out, k.as_ref(), v.as_ref());
    }
    out
}

/// Add `key` = `value` to `out` as [`kept`] keeps it.
pub fn keep(out: &mut AttrList, key: &str, value: &str) {
    if value.len() > KEPT_MAX {
        let mut end = KEPT_MAX;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        out.push_cut(key, &value[..end], CUT);
    } else {
        out.push(key, value);
    }
}

/// The fields of a JSON object as attributes, leaving out the keys in `skip`: nested objects as
/// dotted keys under `prefix` (`lm.usage.prompt_tokens`), arrays as JSON text, nulls left out.
#[must_use]
pub fn of_object(
    prefix: Option<&str>,
    obj: &Map<String, Value>,
    skip: &[&str],
) -> Vec<(String, String)> {
    obj.iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .flat_map(|(k, v)| match prefix {
            Some(p) => flatten(&format!("{p}.{k}"), v),
            None => flatten(k, v),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_values_are_cut_at_a_character_boundary_and_marked() {
        let long = "é".repeat(KEPT_MAX); // two bytes each
        let kept = kept([("short", "x".repeat(KEPT_MAX)), ("long", long.clone())]);
        let pairs: Vec<(&str, &str)> = kept.iter().collect();
        assert_eq!(pairs[0].1.len(), KEPT_MAX, "kept whole");
        let (k, v) = pairs[1];
        assert_eq!(k, "long");
        assert!(v.ends_with(CUT) && long.starts_with(v.trim_end_matches(CUT)));
        assert_eq!(v.len(), KEPT_MAX + CUT.len());
    }

    #[test]
    fn objects_flatten_to_dotted_keys() {
        let v = json!({"model": "m", "usage": {"prompt_tokens": 3}, "stop": ["a"], "none": null, "skip": 1});
        let Value::Object(m) = v else { panic!() };
        let mut got = of_object(Some("lm"), &m, &["skip"]);
        got.sort();
        assert_eq!(
            got,
            [
                ("lm.model".to_string(), "m".to_string()),
                ("lm.stop".into(), r#"["a"]"#.into()),
                ("lm.usage.prompt_tokens".into(), "3".into()),
            ]
        );
    }
}
