//! What tests of ingest and of the layers above share: bodies of a known shape.

use std::fmt::Write as _;

/// One OTLP/JSON body with `n` spans of one trace (a root and its children).
pub fn otlp_body(n: usize) -> String {
    let mut spans = String::new();
    for i in 0..n {
        let parent = if i == 0 {
            String::new()
        } else {
            r#","parentSpanId":"0000000000000001""#.to_string()
        };
        let _ = write!(
            spans,
            r#"{}{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"{:016x}"{parent},"name":"step {i}","startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{{"key":"input.value","value":{{"stringValue":"question {i}"}}}}]}}"#,
            if i == 0 { "" } else { "," },
            i + 1,
            1_795_239_421_000_000_000u64 + i as u64,
            1_795_239_422_000_000_000u64,
        );
    }
    format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{spans}]}}]}}]}}"#)
}
