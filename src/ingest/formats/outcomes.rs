//! One meaning of "failed" for every format: the same two requests, one that failed and one
//! that recovered from a failed tool, written as each producer writes them, read back as the
//! same statuses (the request's outcome) and the same count of failed spans.

use crate::ingest::{Options, load_reader};
use crate::model::{Store, TraceStatus};

/// Status and failed spans of each trace of `text`, by trace id.
fn outcomes(text: &str) -> Vec<(String, TraceStatus, u32)> {
    let mut store = Store::new();
    load_reader(
        &mut store,
        "t",
        text.as_bytes(),
        Options { naive_utc: true },
    )
    .expect("read");
    assert_eq!(store.sources()[0].rejected, 0, "{:?}", store.sources()[0]);
    let mut out: Vec<_> = store
        .trace_ids()
        .map(|t| {
            let tr = store.trace(t);
            let s = &tr.summary;
            (store.id_str(tr.id).to_string(), s.status, s.error_spans)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn assert_failed_and_recovered(format: &str, text: &str, failed_spans: u32) {
    assert_eq!(
        outcomes(text),
        [
            ("failed".to_string(), TraceStatus::Error, failed_spans),
            ("recovered".to_string(), TraceStatus::Ok, 1),
        ],
        "{format}"
    );
}

#[test]
fn dspy_callback_lines() {
    let call = |trace: &str,
                id: &str,
                parent: &str,
                kind: &str,
                phase: &str,
                ns: u64,
                exc: &str| {
        let parent = if parent.is_empty() {
            "null".to_string()
        } else {
            format!("\"{parent}\"")
        };
        format!(
            r#"{{"v":1,"event":"{kind}_{phase}","kind":"{kind}","phase":"{phase}","call_id":"{id}","parent_call_id":{parent},"root_call_id":"{trace}","ts_unix_ns":{ns},"instance":{{"class":"C{id}"}},"exception":{exc}}}"#
        )
    };
    let boom = r#"{"type":"TimeoutError","message":"slow"}"#;
    let lines = [
        call("recovered", "recovered", "", "module", "start", 1, "null"),
        call("recovered", "t", "recovered", "tool", "start", 2, "null"),
        call("recovered", "t", "recovered", "tool", "end", 3, boom),
        call("recovered", "recovered", "", "module", "end", 4, "null"),
        call("failed", "failed", "", "module", "start", 1, "null"),
        call("failed", "lm", "failed", "lm", "start", 2, "null"),
        call("failed", "lm", "failed", "lm", "end", 3, boom),
        call("failed", "failed", "", "module", "end", 4, boom),
    ];
    assert_failed_and_recovered("dspy callback", &lines.join("\n"), 2);
}

#[test]
fn otlp_json() {
    let span = |trace: &str, id: &str, parent: &str, code: u8| {
        format!(
            r#"{{"traceId":"{trace}","spanId":"{id}","parentSpanId":"{parent}","name":"s{id}","startTimeUnixNano":"1795239421000000000","endTimeUnixNano":"1795239422000000000","status":{{"code":{code}}}}}"#
        )
    };
    // trace ids as the producer writes them: 32 hex digits
    let (failed, recovered) = ("f".repeat(32), "e".repeat(32));
    let spans = [
        // a root that says nothing (UNSET) above a failed child
        span(&recovered, "0000000000000001", "", 0),
        span(&recovered, "0000000000000002", "0000000000000001", 2),
        span(&failed, "0000000000000001", "", 2),
        span(&failed, "0000000000000002", "0000000000000001", 2),
    ]
    .join(",");
    let body = format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{spans}]}}]}}]}}"#);
    let got = outcomes(&body);
    assert_eq!(
        got,
        [
            (recovered, TraceStatus::Ok, 1),
            (failed, TraceStatus::Error, 2)
        ]
    );
}

#[test]
fn mlflow_trace_documents() {
    let doc = |trace: &str, state: &str, root: &str| {
        format!(
            r#"{{"info":{{"trace_id":"{trace}","state":"{state}"}},"data":{{"spans":[
            {{"span_id":"AAAAAAAAAAE=","parent_span_id":null,"name":"ReAct.forward","start_time_unix_nano":1,"end_time_unix_nano":9,"status":{{"code":"STATUS_CODE_{root}"}}}},
            {{"span_id":"AAAAAAAAAAI=","parent_span_id":"AAAAAAAAAAE=","name":"Tool.get_weather","start_time_unix_nano":2,"end_time_unix_nano":3,"status":{{"code":"STATUS_CODE_ERROR"}}}}]}}}}"#
        )
    };
    assert_failed_and_recovered(
        "mlflow",
        &format!(
            "{}\n{}",
            doc("failed", "ERROR", "ERROR").replace('\n', ""),
            doc("recovered", "OK", "OK").replace('\n', "")
        ),
        2,
    );
    // the trace's state is the outcome, even where its root span says otherwise
    assert_eq!(
        outcomes(&doc("stated", "OK", "ERROR").replace('\n', "")),
        [("stated".to_string(), TraceStatus::Ok, 2)]
    );
}

#[test]
fn event_streams() {
    let lines = [
        r#"{"type":"trace_start","trace_id":"recovered","name":"weather","started_at":"2026-11-21T05:28:35.628039+00:00"}"#,
        r#"{"type":"span","trace_id":"recovered","name":"tool:get_weather","status":"error","latency_ms":5,"error":"TimeoutError: slow","metadata":{"span_id":"a","started_at":"2026-11-21T05:28:35.63+00:00"}}"#,
        r#"{"type":"trace_end","trace_id":"recovered","status":"ok","latency_ms":20}"#,
        r#"{"type":"trace_start","trace_id":"failed","name":"summarize","started_at":"2026-11-21T05:28:35.628039+00:00"}"#,
        r#"{"type":"span","trace_id":"failed","name":"llm:dummy","status":"error","latency_ms":5,"metadata":{"span_id":"b","started_at":"2026-11-21T05:28:35.63+00:00"}}"#,
        r#"{"type":"trace_end","trace_id":"failed","status":"error","error":"LMError: 503","latency_ms":20}"#,
    ];
    // the failed request's synthesized root is failed too
    assert_failed_and_recovered("events", &lines.join("\n"), 2);
}

#[test]
fn request_lines_with_steps() {
    let lines = [
        r#"{"trace_id":"recovered","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":30,"steps":[{"step":"tool:get_weather","latency_ms":10,"error":"TimeoutError: slow"},{"step":"answer","latency_ms":10}]}"#,
        r#"{"trace_id":"failed","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":30,"error":"LMError: 503","steps":[{"step":"summarize","latency_ms":10,"error":"LMError: 503"}]}"#,
    ];
    assert_failed_and_recovered("steps", &lines.join("\n"), 2);
}

#[test]
fn normalized_lines_read_back_as_written() {
    let line = |trace: &str, status: &str, root: &str| {
        format!(
            r#"{{"schema":"spanscope-trace/1","trace_id":"{trace}","start":"2026-11-21T05:37:00Z","duration_ms":30,"status":"{status}","spans":[{{"span_id":"r","parent_id":null,"name":"ReAct","kind":"agent","start":"2026-11-21T05:37:00Z","duration_ms":30,"status":"{root}"}},{{"span_id":"t","parent_id":"r","name":"Tool","kind":"tool","start":"2026-11-21T05:37:00Z","duration_ms":5,"status":"error","error":"slow"}}]}}"#
        )
    };
    assert_failed_and_recovered(
        "normalized",
        &format!(
            "{}\n{}",
            line("failed", "error", "error"),
            line("recovered", "ok", "ok")
        ),
        2,
    );
}
