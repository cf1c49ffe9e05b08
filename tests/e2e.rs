//! End-to-end: the real binary in a real pseudo-terminal, its screen read back through a
//! terminal emulator (vt100). Keys are typed as a user would; each wait polls the screen with a
//! deadline instead of sleeping.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::time::Duration;

mod common;

use common::Session;

#[test]
fn explore_toggle_filter_drill_in_and_quit() {
    let mut s = Session::start(&["tests/fixtures/otlp-jsonl/otlp.jsonl"], 120, 40);
    s.wait_for("Traces 15/15");
    // a followed file: the newest trace is selected, at the bottom
    s.wait_for("▶ following");
    s.wait_for("›✓ 05:37:03.233 Predict.forward");

    s.keys("s");
    s.wait_for("[slow only]");
    s.wait_for("Traces 1/15");
    s.keys("s");
    s.wait_gone("[slow only]");

    // the request that failed and the one that recovered from its failed tool, each marked
    s.keys("e");
    s.wait_for("[failed or recovered]");
    s.wait_for("Traces 2/15");
    s.wait_for("✗ 05:37:01.577 SummarizeWithSources.forward");
    s.wait_for("! 05:37:01.850 ReAct.forward");
    s.keys("e");
    s.wait_for("Traces 15/15");

    s.keys("/multihop");
    s.wait_for("1 match(es)");
    s.keys("\r");
    s.wait_for("filter: multihop");
    s.wait_for("Traces 1/15");

    // drill in: waterfall, then detail of the root
    s.keys("\r");
    s.wait_for("▶ Waterfall MultiHopRAG.forward");
    s.keys("\t");
    s.wait_for("▶ Detail");
    s.wait_for("Which river flows through the city");

    s.quit_cleanly();
}

#[test]
fn with_nothing_to_read_a_welcome_says_how_to_feed_it_and_opens_the_demo() {
    let mut s = Session::start(&[], 120, 36);
    s.wait_for("No traces yet. Feed it one of three ways:");
    for way in [
        "spanscope traces.jsonl",
        "spanscope --listen",
        "spanscope http://host:port/stream",
        "SpanscopeCallback(\"traces.jsonl\")",
        "spanscope dspy-writer > spanscope_dspy.py",
    ] {
        s.wait_for(way);
    }
    // keys of the panes do nothing yet; ? shows the help and any key comes back
    s.keys("e");
    s.keys("?");
    s.wait_for("Keys — any other key closes");
    s.keys("x");
    s.wait_for("No traces yet");
    s.keys("d");
    s.wait_gone("No traces yet");
    s.wait_for("▶ Traces");
    s.wait_for("Waterfall");
    s.quit_cleanly();
}

#[test]
fn the_configuration_sets_columns_keys_and_thresholds() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[thresholds]\nslow = \"500ms\"\n[list]\ncolumns = [\"status\", \"name\", \"dur\", \"tokens\"]\n\
         [theme]\npalette = \"high-contrast\"\ncolors = \"truecolor\"\n\
         [keys.global]\n\"x\" = \"toggle-failed\"\n\"e\" = \"none\"\n",
    )
    .unwrap();
    let mut s = Session::start(
        &[
            "tests/fixtures/otlp-jsonl/otlp.jsonl",
            "--config",
            cfg.to_str().unwrap(),
        ],
        120,
        40,
    );
    s.wait_for("Traces 15/15");
    s.wait_for("slow ≥ 500ms");
    let screen = s.screen();
    assert!(screen.contains("TOKENS") && !screen.contains("MODEL") && !screen.contains("SPANS"));
    // e is unbound, x is "failed only", and the hint bar says so
    s.wait_for("x failed");
    s.keys("e");
    std::thread::sleep(Duration::from_millis(200));
    assert!(!s.screen().contains("[failed or recovered]"));
    s.keys("x");
    s.wait_for("[failed or recovered]");
    s.wait_for("Traces 2/15");
    // the high-contrast palette in 24-bit colors
    let raw = String::from_utf8_lossy(&s.raw.lock().unwrap()).into_owned();
    assert!(
        raw.contains("38;2;255;255;95"),
        "no 24-bit color in the output"
    );
    s.keys("q");
    assert!(s.wait_exit().success());
    // a broken file stops the explorer before it takes the terminal, naming the key
    std::fs::write(&cfg, "[list]\ncolums = []\n").unwrap();
    let mut s = Session::start(
        &[
            "tests/fixtures/otlp-jsonl/otlp.jsonl",
            "--config",
            cfg.to_str().unwrap(),
        ],
        120,
        40,
    );
    s.wait_for("unknown field `colums`");
    assert_eq!(s.wait_exit().exit_code(), 2);
}

#[test]
fn step_statistics_drill_down_to_the_failing_lm_call() {
    let mut s = Session::start(&["tests/fixtures/otlp-jsonl/otlp.jsonl"], 140, 40);
    s.wait_for("Traces 15/15");
    s.keys("S");
    // each request's root span is the request itself, not a step: left out until r
    s.wait_for("Steps by name  11 step(s) over 15 trace(s)  roots left out (r)");
    s.keys("r");
    s.wait_for("Steps by name  14 step(s) over 15 trace(s)  roots counted (r)");
    s.wait_for("P95▼");
    // sort by errors (five columns to the right of p95), the most failing step first
    s.keys("lllll");
    s.wait_for("ERRORS▼");
    s.keys("b");
    s.wait_for("Steps by model");
    s.keys("bb");
    s.wait_for("Steps by name");
    // only failed traces: the statistics follow the toggle
    s.keys("e");
    s.wait_for("over 2 trace(s)");
    s.keys("/name:summarize\r");
    s.wait_for("over 1 trace(s)");
    s.wait_for("filter: name:summarize [failed]");
    s.keys("G\r");
    s.wait_for("span(s) of");
    s.keys("\r");
    s.wait_for("▶ Waterfall SummarizeWithSources.forward");
    s.quit_cleanly();
}

#[test]
fn help_scrolls_at_80x24_and_closes_back_to_the_view() {
    let mut s = Session::start(&["tests/fixtures/otlp-jsonl/otlp.jsonl"], 80, 24);
    s.wait_for("Traces 15/15");
    s.keys("S");
    s.wait_for("roots left out (r)");
    s.keys("?");
    s.wait_for("↓ more");
    s.wait_for("lines 1–22 of");
    s.keys("G");
    s.wait_for("Editing the filter, a command (:) or a search");
    s.wait_gone("↓ more");
    s.keys("k");
    s.wait_for("↓ more");
    // any other key closes it, back to the steps
    s.keys("x");
    s.wait_for("roots left out (r)");
    s.wait_gone("Keys — any other key closes");
    s.quit_cleanly();
}

#[test]
fn a_click_on_a_column_header_sorts_with_mouse() {
    let mut s = Session::start(
        &["tests/fixtures/otlp-jsonl/otlp.jsonl", "--mouse"],
        120,
        40,
    );
    s.wait_for("START▼");
    // the list's column header is the third row; DUR is where the screen says
    let header = s.screen().lines().nth(2).unwrap_or("").to_string();
    let col = header[..header.find("DUR").unwrap()].chars().count() + 1;
    let click = format!("\x1b[<0;{col};3M\x1b[<0;{col};3m");
    s.keys(&click);
    s.wait_for("DUR▼");
    s.keys(&click);
    s.wait_for("DUR▲");
    s.quit_cleanly();
}

#[test]
fn filter_errors_show_inline_and_ctrl_c_quits() {
    let mut s = Session::start(&["tests/fixtures/otlp-jsonl"], 100, 30);
    s.wait_for("Traces 15/15");
    s.keys("/dur>2x");
    // carets under the unit, on the line below the bar
    s.wait_for("     ^ unknown unit");
    s.keys("\x1b");
    s.wait_gone("unknown unit");
    s.keys("?");
    s.wait_for("Show this help");
    s.keys("x");
    s.wait_gone("Show this help");
    s.keys("\x03");
    let status = s.wait_exit();
    assert!(status.success());
    s.assert_restored();
}

#[test]
fn opens_a_trace_directly() {
    let mut s = Session::start(
        &["tests/fixtures/otlp-jsonl", "--trace", "d0d1529e"],
        120,
        40,
    );
    s.wait_for("▶ Waterfall ReAct.forward");
    s.keys("]");
    s.wait_for("TimeoutError");
    s.quit_cleanly();
}

#[test]
fn a_line_appended_to_the_log_shows_up() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("traces.jsonl");
    let line = |id: &str, question: &str| {
        format!(
            r#"{{"trace_id": "{id}", "timestamp": "2026-11-21T05:37:00Z", "pipeline": "{question}", "total_latency_ms": 120}}"#
        ) + "\n"
    };
    std::fs::write(&log, line("first-trace", "FirstPipeline")).unwrap();
    let mut s = Session::start(&[log.to_str().unwrap()], 120, 30);
    s.wait_for("FirstPipeline");
    s.wait_for("traces.jsonl (tailing)");

    // half a line, then the rest: the trace appears once, whole
    let second = line("second-trace", "AppendedPipeline");
    let (head, tail) = second.split_at(40);
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(head.as_bytes()).unwrap();
    f.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(!s.screen().contains("rejected (:errors)"), "{}", s.screen());
    f.write_all(tail.as_bytes()).unwrap();
    f.flush().unwrap();
    s.wait_for("AppendedPipeline");
    s.wait_for("Traces 2/2");
    assert!(s.screen().contains("0 rejected"), "{}", s.screen());

    s.quit_cleanly();
}

/// A span that joins a trace already listed changes its row, though it does not double the
/// trace's spans: the rows the loop left to derive are derived before the next frame.
#[test]
fn a_span_that_joins_a_listed_trace_changes_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("traces.jsonl");
    let span = |id: u32, parent: Option<u32>, name: &str, attrs: &str| {
        let parent = parent.map_or(String::new(), |p| format!("{p:016x}"));
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"{id:016x}","parentSpanId":"{parent}","name":"{name}","kind":1,"startTimeUnixNano":"1764000000000000000","endTimeUnixNano":"1764000001000000000","attributes":[{attrs}]}}]}}]}}]}}"#
        ) + "\n"
    };
    let kind =
        |k: &str| format!(r#"{{"key":"openinference.span.kind","value":{{"stringValue":"{k}"}}}}"#);
    let text = span(1, None, "RootOfMine", &kind("CHAIN"))
        + &span(2, Some(1), "retrieve", &kind("RETRIEVER"));
    std::fs::write(&log, text).unwrap();
    let mut s = Session::start(&[log.to_str().unwrap()], 120, 30);
    s.wait_for("RootOfMine");
    s.wait_for("traces.jsonl (tailing)");
    let tokens = format!(
        r#"{},{{"key":"llm.token_count.prompt","value":{{"intValue":"4000"}}}},{{"key":"llm.token_count.completion","value":{{"intValue":"321"}}}}"#,
        kind("LLM")
    );
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(span(3, Some(1), "generate", &tokens).as_bytes())
        .unwrap();
    f.flush().unwrap();
    s.wait_for("4321");
    s.quit_cleanly();
}

/// The OSC 52 payloads the process wrote, decoded.
fn osc52_payloads(raw: &[u8]) -> Vec<String> {
    use base64::Engine as _;
    let text = String::from_utf8_lossy(raw);
    text.split("\x1b]52;c;")
        .skip(1)
        .map(|rest| {
            let b64 = rest.split('\x07').next().unwrap();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("the payload is base64");
            String::from_utf8(bytes).unwrap()
        })
        .collect()
}

#[test]
fn y_copies_through_osc52_and_keeps_a_file() {
    let cache = tempfile::tempdir().unwrap();
    let mut s = Session::start_env(
        &["tests/fixtures/otlp-jsonl", "--trace", "423c3874"],
        120,
        40,
        &[("XDG_CACHE_HOME", cache.path().to_str().unwrap())],
    );
    s.wait_for("▶ Waterfall SummarizeWithSources.forward");
    s.keys("\x1b");
    s.wait_for("▶ Traces");
    s.keys("y");
    s.wait_for("copied trace 423c3874e36e… as Markdown");
    s.keys("\t]Y");
    s.wait_for("as JSON");
    s.quit_cleanly();
    let raw = s.raw.lock().unwrap().clone();
    let copies = osc52_payloads(&raw);
    assert_eq!(copies.len(), 2, "two copies");
    assert!(
        copies[0].starts_with(
            "# Trace `423c3874e36efb15b358744b00af9623`: SummarizeWithSources.forward"
        ),
        "{}",
        copies[0]
    );
    assert!(copies[0].contains("## Error in"), "{}", copies[0]);
    let span: serde_json::Value = serde_json::from_str(&copies[1]).unwrap();
    assert_eq!(span["status"], "error");
    // the last copy of each kind is also kept in a file
    let dir = cache.path().join("spanscope");
    assert_eq!(
        std::fs::read_to_string(dir.join("copied.md")).unwrap(),
        copies[0]
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("copied.json")).unwrap(),
        copies[1]
    );
}

#[test]
fn mark_and_compare_the_two_react_runs() {
    let mut s = Session::start(&["tests/fixtures/otlp-jsonl"], 130, 40);
    s.wait_for("Traces 15/15");
    s.keys(":goto 6097b69a\r");
    s.keys("m");
    s.wait_for("marked 6097b69a3527… as A");
    s.keys(":goto d0d1529e\r=");
    s.wait_for("Compare A 6097b69a3527… ReAct.forward 742ms");
    s.wait_for("27 steps: 11 only A, 1 only B");
    s.keys("n");
    s.wait_for("DummyLM.__call__: prompt and response, A → B");
    s.wait_for("+2. `next_tool_name` (Literal['get_weather', 'finish']):");
    s.keys("\x1b");
    s.wait_for("▶ Traces");
    s.quit_cleanly();
}

#[test]
fn search_inside_a_trace_then_only_the_hits() {
    let mut s = Session::start(
        &["tests/fixtures/otlp-jsonl", "--trace", "d0d1529e"],
        120,
        40,
    );
    s.wait_for("▶ Waterfall ReAct.forward");
    s.keys("/timeouterror");
    s.wait_for("search this trace: timeouterror");
    s.wait_for("span(s) of this trace");
    s.keys("\r");
    s.wait_for("/timeouterror:");
    s.keys("f");
    s.wait_for("(only these, f)");
    s.wait_for("get_weather.__call__");
    s.keys("\x1b");
    s.wait_gone("/timeouterror:");
    s.quit_cleanly();
}

#[test]
fn latency_histogram_filters_the_list_to_a_bucket() {
    let mut s = Session::start(&["tests/fixtures/otlp-jsonl"], 110, 30);
    s.wait_for("Traces 15/15");
    s.keys("H");
    s.wait_for("Latency of 15 listed trace(s)");
    s.wait_for("◀ slow ≥ 641ms");
    // the bucket of the slowest trace
    s.keys("G\r");
    s.wait_for("1 trace(s) between 700ms and 1.00s");
    s.wait_for("Traces 1/15");
    s.wait_for("filter: dur>=700ms dur<1s");
    s.quit_cleanly();
}

#[test]
fn group_by_program_then_open_the_compiled_runs() {
    let mut s = Session::start(&["tests/fixtures/otlp-jsonl"], 120, 30);
    s.wait_for("Traces 15/15");
    s.keys(":group attr.fixture.program\r");
    s.wait_for("Traces by attr.fixture.program  9 value(s) over 15 trace(s)");
    s.wait_for("bootstrap_compile");
    s.keys("j\r");
    s.wait_for("3 trace(s) with attr.fixture.program bootstrap_compile");
    s.wait_for("Traces 3/15");
    s.quit_cleanly();
}

/// A panic inside the explorer: the terminal is given back (raw mode off, main screen, cursor
/// shown), the message says where the crash report is, and the report holds the panic.
#[test]
fn a_crash_restores_the_terminal_and_writes_a_report() {
    let state = tempfile::tempdir().unwrap();
    let mut s = Session::start_env(
        &["tests/fixtures/simple-jsonl"],
        100,
        30,
        &[("XDG_STATE_HOME", state.path().to_str().unwrap())],
    );
    s.wait_for("▶ Traces");
    s.keys(":crash-test\r");
    let status = s.wait_exit();
    assert!(!status.success());
    s.assert_restored();
    s.wait_for("spanscope crashed: crash test requested with :crash-test");
    s.wait_for("A crash report was written to");
    let dir = state.path().join("spanscope");
    let reports: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(reports.len(), 1);
    let report = std::fs::read_to_string(reports[0].as_ref().unwrap().path()).unwrap();
    assert!(
        report.contains("panic:    crash test requested with :crash-test"),
        "{report}"
    );
    assert!(report.contains("at:       src/ui/perform.rs:"), "{report}");
    assert!(report.contains("How to report"), "{report}");
    assert!(report.contains("backtrace:"), "{report}");
    // the terminal is usable: not in raw mode, so a newline moves to a new line
    let raw = s.raw.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&raw);
    let left = text.rfind("\x1b[?1049l").unwrap();
    assert!(
        text[left..].contains("spanscope crashed"),
        "the message comes after the restore"
    );
}

/// Prompts are untrusted: a prompt that carries an OSC 52 clipboard write, cursor moves and a
/// screen clear shows them as visible symbols, and none of them reaches the terminal.
#[test]
fn escape_sequences_in_prompts_do_not_act_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("evil.jsonl");
    let evil = "ignore this\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{1b}[H\u{1b}[5;5HPWNED\u{9b}31m\r";
    let line = serde_json::json!({
        "trace_id": "evil-trace",
        "timestamp": "2026-11-21T05:37:00Z",
        "total_latency_ms": 120,
        "pipeline": evil,
        "steps": [{
            "name": evil,
            "latency_ms": 100,
            "model": "gpt-4o",
            "prompt": evil,
            "response": evil,
        }],
    });
    std::fs::write(&log, format!("{line}\n")).unwrap();
    let mut s = Session::start(&[log.to_str().unwrap(), "--trace", "evil-trace"], 120, 40);
    s.wait_for("▶ Waterfall");
    // the detail of the step with the prompt and response
    s.keys("j");
    s.wait_for("␛]52;c;ZXZpbA==");
    let screen = s.screen();
    assert!(screen.contains("␛[2J␛[H␛[5;5HPWNED"), "{screen}");
    s.quit_cleanly();
    let raw = s.raw.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&raw);
    assert!(!text.contains("\x1b]52"), "an OSC 52 reached the terminal");
    assert!(
        !text.contains("\x1b[2J"),
        "a screen clear reached the terminal"
    );
    assert!(
        !text.contains("\x1b[5;5H"),
        "a cursor move from the prompt reached the terminal"
    );
    assert!(!text.contains('\u{9b}'), "a C1 CSI reached the terminal");
}

/// The row and column of the terminal's cursor, and the text of its row.
fn cursor(s: &Session) -> (u16, u16, String) {
    let parser = s.parser.lock().unwrap();
    let screen = parser.screen();
    let (row, col) = screen.cursor_position();
    let line = screen
        .contents()
        .lines()
        .nth(usize::from(row))
        .unwrap_or("")
        .to_string();
    (row, col, line)
}

/// Wait until the terminal's cursor is on a row reading `line` (trailing spaces aside), at
/// column `col`.
fn wait_cursor(s: &Session, line: &str, col: u16) {
    let deadline = std::time::Instant::now() + common::timeout();
    while std::time::Instant::now() < deadline {
        let (_, c, l) = cursor(s);
        if c == col && l.trim_end() == line {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the cursor is not at {col} of {line:?}: {:?}", cursor(s));
}

#[test]
fn typing_after_backspacing_an_empty_filter_bar_stays_in_the_bar() {
    let mut s = Session::start(&["tests/fixtures/otlp-jsonl"], 100, 30);
    s.wait_for("Traces 15/15");
    // a user erasing a word with one backspace too many, then typing on
    s.keys("/x");
    s.wait_for("0 match(es)");
    s.keys("\x7f\x7f\x7f");
    s.wait_for("15 match(es)");
    s.keys("sem:");
    s.wait_for("unknown field \"sem\"");
    let screen = s.screen();
    assert!(screen.contains("/sem:"), "{screen}");
    for leaked in ["[slow only]", "[failed only]", "marked"] {
        assert!(
            !screen.contains(leaked),
            "{leaked} leaked into the panes: {screen}"
        );
    }
    // only Esc closes the bar
    s.keys("\x1b");
    s.wait_gone("/sem:");
    s.wait_for("q quit");
    s.quit_cleanly();
}

#[test]
fn the_filter_bar_edits_at_the_cursor_and_completes_with_tab() {
    let mut s = Session::start(&["tests/fixtures/otlp-jsonl"], 120, 30);
    s.wait_for("Traces 15/15");
    s.keys("/eact");
    wait_cursor(&s, "/eact", 5);
    // Home, then a character typed at the start
    s.keys("\x1b[Hr");
    wait_cursor(&s, "/react", 2);
    s.wait_for("2 match(es)");
    // End, a bad clause (the last good filter stays), then Ctrl-W cuts it
    s.keys("\x1b[F dur>2x");
    s.wait_for("^ unknown unit");
    s.wait_for("Traces 2/15");
    s.keys("\x17");
    wait_cursor(&s, "/react", 7);
    // Alt-B to the start of the word, Ctrl-K cuts to the end, Ctrl-Y pastes it back
    s.keys("\x1bb");
    wait_cursor(&s, "/react", 1);
    s.keys("\x0b");
    wait_cursor(&s, "/", 1);
    s.wait_for("15 match(es)");
    s.keys("\x19");
    wait_cursor(&s, "/react", 7);
    // Ctrl-U, then Tab completes a field, its value, and lists several
    s.keys("\x15sta\t");
    wait_cursor(&s, "/status:", 8);
    s.keys("er\t");
    wait_cursor(&s, "/status:error", 14);
    s.wait_for("Traces 1/15");
    s.keys("kind:\t");
    s.wait_for("8 · Tab: one by one");
    s.keys("\t");
    s.wait_for("1/8");
    wait_cursor(&s, "/status:error kind:llm", 22);
    s.keys("\r");
    s.wait_for("filter: status:error kind:llm");
    s.quit_cleanly();
}

#[test]
fn following_pauses_on_a_move_in_the_waterfall_and_f_resumes_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("traces.jsonl");
    let line = |id: &str, name: &str| {
        format!(
            r#"{{"trace_id": "{id}", "timestamp": "2026-11-21T05:37:00Z", "pipeline": "{name}", "total_latency_ms": 120, "steps": [{{"name": "step-of-{name}", "latency_ms": 100}}]}}"#
        ) + "\n"
    };
    let append = |text: String| {
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        f.write_all(text.as_bytes()).unwrap();
    };
    std::fs::write(&log, line("t1", "FirstPipeline")).unwrap();
    let mut s = Session::start(&[log.to_str().unwrap()], 120, 30);
    s.wait_for("▶ following");
    append(line("t2", "SecondPipeline"));
    s.wait_for("Waterfall SecondPipeline");
    // into the waterfall, a step down: paused, and a new trace does not move the selection
    s.keys("\rj");
    s.wait_for("‖ paused (F follows)");
    append(line("t3", "ThirdPipeline"));
    s.wait_for("ThirdPipeline");
    s.wait_for("Traces 3/3");
    assert!(
        s.screen().contains("▶ Waterfall SecondPipeline"),
        "{}",
        s.screen()
    );
    // F follows again: the newest trace
    s.keys("F");
    s.wait_for("▶ following");
    s.wait_for("Waterfall ThirdPipeline");
    s.quit_cleanly();
    // read once: nothing more arrives
    let mut s = Session::start(&[log.to_str().unwrap(), "--no-follow"], 120, 30);
    s.wait_for("Traces 3/3");
    s.wait_for("■ stopped");
    s.quit_cleanly();
}

/// The demo's slow request as a user opens it: the waterfall says where its time went, names
/// its columns over a ruler, `c` marks the path, and the detail says which line it shows.
#[test]
fn the_slow_request_says_where_its_time_went() {
    let mut s = Session::start(&["assets/demo.jsonl"], 120, 40);
    s.wait_for("Traces 13/13");
    s.keys("/handbook");
    s.wait_for("1 match(es)");
    s.keys("\r");
    s.wait_for("Traces 1/13");
    s.keys("\r");
    s.wait_for("▶ Waterfall HandbookQA");
    s.wait_for("critical: Retrieve 1.80s 92% → DummyLM 151ms 8%");
    s.wait_for("DURATION % OF TRACE    SELF");
    s.wait_for("0      500ms   1s      1.5s");
    s.keys("c");
    s.wait_for("┃ critical path marked");
    s.wait_for("┃├─  ▤ Retrieve");
    s.keys("\t");
    s.wait_for("▶ Detail");
    s.wait_for(" 7 lines ─");
    s.quit_cleanly();
}

/// Finding a request by what it said, as a user types it: a quoted phrase in the filter bar,
/// the list saying where each request said it, the request opened on the span that said it,
/// and `n` in the detail moving to the row that says it.
#[test]
fn a_quoted_phrase_finds_the_request_that_said_it() {
    let mut s = Session::start(&["tests/fixtures/otlp-jsonl/otlp.jsonl"], 120, 40);
    s.wait_for("Traces 15/15");
    s.keys("/\"model overloaded\"");
    s.wait_for("1 match(es)");
    s.keys("\r");
    s.wait_for("Traces 1/15");
    s.wait_for("FOUND IN");
    s.wait_for("error · DummyLM.__call__");
    s.keys("\r");
    s.wait_for("▶ Waterfall SummarizeWithSources.forward");
    s.keys("\t");
    s.wait_for("▶ Detail");
    s.keys("n");
    s.wait_for("503 Service Unavailable: upstream model overloaded");
    s.quit_cleanly();
}

/// The spool directories under `root` (one per running or killed explorer).
fn spools(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("run-"))
        })
        .collect();
    v.sort();
    v
}

fn line(id: &str) -> Vec<u8> {
    format!(
        r#"{{"trace_id": "{id}", "timestamp": "2026-11-21T05:37:00Z", "pipeline": "Spooled-{id}", "inputs": {{"q": "what the spool keeps"}}, "total_latency_ms": 120}}"#
    )
    .into_bytes()
}

/// A live session killed with SIGKILL leaves its spool behind; the next start removes it and
/// leaves the spool of an explorer still running alone; quitting removes one's own.
#[test]
fn a_killed_session_leaves_a_spool_the_next_start_removes() {
    let root = tempfile::tempdir().unwrap();
    let spool = root.path().to_str().unwrap();
    let args = ["--listen", "127.0.0.1:0", "--spool", spool];
    let mut killed = Session::start(&args, 140, 30);
    let addr = killed.receiver_addr();
    assert_eq!(
        common::post(&addr, "/v1/jsonl", "application/x-ndjson", &line("k1")),
        200
    );
    killed.wait_for("Spooled-k1");
    let stale = spools(root.path());
    assert_eq!(stale.len(), 1, "{stale:?}");
    let segment = stale[0].join("000001.seg");
    assert!(std::fs::read(&segment).unwrap().starts_with(&line("k1")));
    killed.kill_hard();
    assert!(segment.exists(), "a SIGKILL leaves the spool behind");

    let mut next = Session::start(&args, 140, 30);
    let addr = next.receiver_addr();
    let now = spools(root.path());
    assert_eq!(now.len(), 1, "{now:?}");
    assert_ne!(now, stale, "the stale spool is gone, the new one is there");
    assert_eq!(
        common::post(&addr, "/v1/jsonl", "application/x-ndjson", &line("n1")),
        200
    );
    next.wait_for("Spooled-n1");
    // its payload is read back from the spool
    next.keys("\r\t");
    next.wait_for("what the spool keeps");

    // a second explorer at once: the first one's spool is live, and left alone
    let mut other = Session::start(&args, 140, 30);
    other.receiver_addr();
    let both = spools(root.path());
    assert_eq!(both.len(), 2, "{both:?}");
    assert!(both.contains(&now[0]));

    other.quit_cleanly();
    next.quit_cleanly();
    assert!(
        spools(root.path()).is_empty(),
        "quitting removes one's spool"
    );
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
}

/// A spool far smaller than what is sent: its oldest segments are dropped with their traces,
/// and `:stats` still accounts for every span record.
#[test]
fn a_full_spool_drops_its_oldest_traces_and_the_accounting_balances() {
    let root = tempfile::tempdir().unwrap();
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--spool",
        root.path().to_str().unwrap(),
        "--max-spool",
        "64KiB",
    ];
    // wide enough for the status bar's request count (a narrower one leaves it out)
    let mut s = Session::start(&args, 220, 40);
    let addr = s.receiver_addr();
    let mut body = Vec::new();
    let n = 400;
    for i in 0..n {
        body.clear();
        let mut l = line(&format!("t{i:04}"));
        l.truncate(l.len() - 1);
        body.extend_from_slice(&l);
        body.extend_from_slice(format!(r#", "pad": "{}"}}"#, "p".repeat(400)).as_bytes());
        assert_eq!(
            common::post(&addr, "/v1/jsonl", "application/x-ndjson", &body),
            200
        );
    }
    s.wait_for(&format!("· {n} requests"));
    s.wait_for("evicted (:stats)");
    s.keys(":stats\r");
    s.wait_for("Span records");
    // the pane, not the header (which counts evicted traces too), once it is drawn whole: a
    // screen read while it is being drawn lacks its lower rows
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let whole = loop {
        let whole = s.screen();
        let pane = &whole[whole.find("Span records").unwrap_or(0)..];
        if ["indexed", "evicted", "rejected"]
            .iter()
            .all(|l| pane.contains(l))
            || std::time::Instant::now() > deadline
        {
            break whole;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let screen = &whole[whole.find("Span records").unwrap()..];
    let number = |label: &str| -> u64 {
        let at = screen
            .find(label)
            .unwrap_or_else(|| panic!("{label}: {screen}"));
        screen[at + label.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .replace(',', "")
            .parse()
            .unwrap_or_else(|e| panic!("{label}: {e}: {screen}"))
    };
    let received = number("Span records");
    let (indexed, evicted, rejected) = (number("indexed"), number("evicted"), number("rejected"));
    assert_eq!(received, n, "{screen}");
    assert_eq!(received, indexed + evicted + rejected, "{screen}");
    assert!(evicted > 0 && indexed > 0, "{screen}");
    assert_eq!(rejected, 0, "{screen}");
    s.keys("\x1b");
    s.quit_cleanly();
}

/// A crash of the explorer (which exits without unwinding) still removes its spool, and so
/// does SIGHUP (a closed terminal).
#[test]
fn a_crash_or_a_hangup_removes_the_spool() {
    let root = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let spool = root.path().to_str().unwrap();
    let env = [("XDG_STATE_HOME", state.path().to_str().unwrap())];
    let mut s = Session::start_env(
        &["--listen", "127.0.0.1:0", "--spool", spool],
        120,
        30,
        &env,
    );
    let addr = s.receiver_addr();
    assert_eq!(
        common::post(&addr, "/v1/jsonl", "application/x-ndjson", &line("c1")),
        200
    );
    s.wait_for("Spooled-c1");
    assert_eq!(spools(root.path()).len(), 1);
    s.keys(":crash-test\r");
    assert_eq!(s.wait_exit().exit_code(), 101);
    assert!(spools(root.path()).is_empty());

    let mut s = Session::start(&["--listen", "127.0.0.1:0", "--spool", spool], 120, 30);
    s.receiver_addr();
    assert_eq!(spools(root.path()).len(), 1);
    let pid = s.child.process_id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert_eq!(s.wait_exit().exit_code(), 129);
    assert!(spools(root.path()).is_empty());
}
