//! `spanscope export --as examples`: each trace as a dataset row, its program's input fields,
//! its output fields and its score, in the shape `dspy.Example(**row)` takes.

use crate::ingest::detail::span_detail;
use crate::ingest::normalized::text_value;
use crate::model::waterfall::Waterfall;
use crate::model::{Store, TraceIdx};
use serde_json::{Map, Value};

/// The row of trace `t`: the fields of its root span's inputs, then of its outputs, then
/// `score` (null when nothing scored it). The DSPy writer's `{"args", "kwargs"}` inputs give
/// their keyword arguments; inputs or outputs that are not an object become one field,
/// `input` or `output`. An output field named like an input field replaces it, and `score`
/// replaces any field of that name.
#[must_use]
pub fn row(store: &Store, t: TraceIdx) -> Map<String, Value> {
    let mut row = Map::new();
    let wf = Waterfall::new(store, t);
    if let Some(root) = wf.rows.first().map(|r| wf.span(r)) {
        let d = span_detail(store, root);
        if let Some(inputs) = d.inputs.as_deref().map(text_value) {
            fields(program_inputs(inputs), "input", &mut row);
        }
        if let Some(outputs) = d.outputs.as_deref().map(text_value) {
            fields(outputs, "output", &mut row);
        }
    }
    let score = store.summary(t).score;
    row.insert(
        "score".into(),
        score
            .and_then(|s| serde_json::Number::from_f64(s.value))
            .map_or(Value::Null, Value::Number),
    );
    row
}

/// A call's inputs as its program saw them: the DSPy writer records a module call's
/// `{"args": [], "kwargs": {...}}`, of which the keyword arguments are the example's fields.
fn program_inputs(inputs: Value) -> Value {
    match inputs {
        Value::Object(mut o)
            if o.len() == 2
                && o.get("args")
                    .is_some_and(|a| a.as_array().is_some_and(Vec::is_empty))
                && o.get("kwargs").is_some_and(Value::is_object) =>
        {
            o.remove("kwargs").unwrap_or_default()
        }
        other => other,
    }
}

/// Add the fields of `v` to `row`: an object's own, anything else as the one field `name`.
fn fields(v: Value, name: &str, row: &mut Map<String, Value>) {
    match v {
        Value::Object(o) => row.extend(o),
        Value::Null => {}
        other => {
            row.insert(name.into(), other);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_writer_s_keyword_arguments_are_the_example_s_fields() {
        let call = json!({"args": [], "kwargs": {"question": "q"}});
        assert_eq!(program_inputs(call), json!({"question": "q"}));
        let positional = json!({"args": ["q"], "kwargs": {}});
        assert_eq!(program_inputs(positional.clone()), positional);
        let plain = json!({"question": "q"});
        assert_eq!(program_inputs(plain.clone()), plain);
    }

    #[test]
    fn non_objects_are_one_field() {
        let mut row = Map::new();
        fields(json!({"question": "q"}), "input", &mut row);
        fields(json!("Paris"), "output", &mut row);
        fields(Value::Null, "output", &mut row);
        assert_eq!(
            Value::Object(row),
            json!({"question": "q", "output": "Paris"})
        );
    }
}
