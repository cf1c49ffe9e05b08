//! The spans that make up one LM call in a waterfall.

use crate::model::waterfall::Waterfall;
use crate::model::{SpanKind, Store};

/// The spans of one LM call: the LLM span at row index `i` of `wf`, then the LLM spans below
/// it (an instrumented client under DSPy's `LM.__call__` is the same call, and may be the one
/// that holds the messages, tokens and model).
#[must_use]
pub fn lm_call_parts(store: &Store, wf: &Waterfall, i: usize) -> Vec<usize> {
    let mut parts = vec![i];
    let mut k = 0;
    while k < parts.len() {
        parts.extend(
            wf.tree.children[parts[k]]
                .iter()
                .copied()
                .filter(|&c| store.span(wf.spans[c]).kind == SpanKind::Llm),
        );
        k += 1;
    }
    parts
}
