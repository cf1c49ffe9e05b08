//! The explorer driven by actions and keys on fixture traces, rendered to a test terminal:
//! what each view shows and how the keys move through it.

use super::testing::*;

#[test]
fn the_welcome_screen_and_the_configured_columns() {
    let mut welcome = App::new(
        Store::new(),
        Theme::plain(),
        Options {
            welcome: true,
            ..Options::default()
        },
    );
    let first = screen(&mut welcome, 110, 26);
    insta::assert_snapshot!(first);
    // the DSPy writer comes from the binary: an installed spanscope has no assets/ beside it
    assert!(first.contains("spanscope dspy-writer > spanscope_dspy.py"));
    assert!(!first.contains("assets/"));
    let mut a = app("otlp-jsonl");
    a.opts.columns = vec![
        crate::ui::state::list::Column::Name,
        crate::ui::state::list::Column::Status,
        crate::ui::state::list::Column::Dur,
        crate::ui::state::list::Column::Tokens,
    ];
    a.maximized = true;
    let shot = screen(&mut a, 70, 8);
    insta::assert_snapshot!(shot);
    assert!(!shot.contains("MODEL") && !shot.contains("START"));
}

#[test]
fn three_panes_on_a_multihop_rag() {
    let mut a = app("otlp-jsonl");
    select(&mut a, "2fd8c451");
    insta::assert_snapshot!(screen(&mut a, 120, 40));
}

#[test]
fn works_at_80x24() {
    let mut a = app("otlp-jsonl");
    select(&mut a, "2fd8c451");
    run(
        &mut a,
        &[
            Action::Enter,
            Action::Down,
            Action::Down,
            Action::Down,
            Action::Down,
            Action::Enter,
        ],
    );
    insta::assert_snapshot!(screen(&mut a, 80, 24));
}

#[test]
fn side_by_side_on_a_wide_terminal() {
    let mut a = app("otlp-protobuf-litellm");
    select(&mut a, "7c1960a3");
    run(
        &mut a,
        &[
            Action::Enter,
            Action::Last,
            Action::Enter,
            Action::TabTokens,
        ],
    );
    insta::assert_snapshot!(screen(&mut a, 160, 30));
}

#[test]
fn help_overlay_is_generated_from_the_keymap() {
    let mut a = app("otlp-jsonl");
    run(&mut a, &[Action::Help]);
    let s = screen(&mut a, 100, 50);
    assert!(s.contains("Highlight the critical path"));
    insta::assert_snapshot!(s);
    run(&mut a, &[Action::Down]);
    run(&mut a, &[Action::Back]);
    assert_eq!(a.mode, Mode::Normal);
}

#[test]
fn help_scrolls_with_a_visible_hint_at_80x24_and_160_columns() {
    let mut a = app("otlp-jsonl");
    run(&mut a, &[Action::ToggleSteps, Action::Help]);
    let first = screen(&mut a, 80, 24);
    insta::assert_snapshot!("help_at_80x24", first);
    assert!(
        first.contains("↓ more") && first.contains("lines 1–22 of"),
        "{first}"
    );
    run(&mut a, &[Action::PageDown, Action::PageDown]);
    let scrolled = screen(&mut a, 80, 24);
    insta::assert_snapshot!("help_at_80x24_scrolled", scrolled);
    assert!(scrolled.contains("lines 45–66 of"), "{scrolled}");
    // no further than the last page, and back up from there at once
    run(&mut a, &[Action::Last, Action::Down, Action::Down]);
    let end = screen(&mut a, 80, 24);
    assert!(
        !end.contains("↓ more") && end.contains("Editing the filter"),
        "{end}"
    );
    let top = a.help_scroll;
    run(&mut a, &[Action::Up]);
    assert_eq!(a.help_scroll, top - 1);
    // closing goes back to where the help was opened
    run(&mut a, &[Action::Back]);
    assert_eq!(a.mode, Mode::Steps);
    // wide: the same help, wrapped less
    run(&mut a, &[Action::Help]);
    insta::assert_snapshot!("help_at_160_columns", screen(&mut a, 160, 60));
}

#[test]
fn running_traces_and_synthesized_roots() {
    let mut a = app("event-stream-jsonl");
    select(&mut a, "trc_8bb9");
    run(&mut a, &[Action::Enter]);
    insta::assert_snapshot!(screen(&mut a, 120, 30));
}

#[test]
fn failed_toggle_lists_failed_and_recovered_requests_each_with_its_marker() {
    let mut a = app("event-stream-jsonl");
    a.maximized = true;
    run(&mut a, &[Action::ToggleFailed]);
    let shot = screen(&mut a, 100, 7);
    // summarize_colosseum failed; weather_paris answered after its weather tool failed
    assert!(
        shot.contains("✗ 05:37:18.005 summarize_colosseum"),
        "{shot}"
    );
    assert!(shot.contains(" ! 05:37:18.438 weather_paris"), "{shot}");
    assert!(shot.contains("2 of 8 traces"), "{shot}");
    assert!(shot.contains("[failed or recovered]"), "{shot}");
    insta::assert_snapshot!(shot);
}

#[test]
fn prompt_tab_shows_each_message_with_its_role() {
    let mut a = app("dspy-callback-jsonl");
    select(&mut a, "2d461750");
    run(&mut a, &[Action::Enter]);
    // the first LM call of the multi-hop RAG
    while a
        .selected_span()
        .is_some_and(|s| a.store.span(s).kind != crate::model::SpanKind::Llm)
    {
        run(&mut a, &[Action::Down]);
    }
    run(&mut a, &[Action::Enter, Action::Maximize]);
    insta::assert_snapshot!(screen(&mut a, 100, 40));
}

#[test]
fn tiny_terminals_still_render() {
    let mut a = app("otlp-jsonl");
    let lines = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.trim_matches('"').trim_end().to_string())
            .collect()
    };
    // too low for three panes: the focused one, with the header, status and key hints
    let s = lines(&screen(&mut a, 40, 10));
    assert_eq!(s.len(), 10, "{s:#?}");
    assert!(s[0].contains("15 of 15 traces"), "{s:#?}");
    assert!(s[1].starts_with("▶ Traces 15/15"), "{s:#?}");
    assert!(
        s[3].starts_with("›✓") && s[3].contains("Predict.f…"),
        "{s:#?}"
    );
    assert!(s[8].contains("otlp.jsonl"), "{s:#?}");
    assert!(s[9].starts_with(" q quit"), "{s:#?}");
    // five rows: still the pane's title, the status and the hints
    let s = lines(&screen(&mut a, 20, 5));
    assert_eq!(s.len(), 5, "{s:#?}");
    assert!(
        s[1].starts_with("▶ Traces") && s[4].starts_with(" q quit"),
        "{s:#?}"
    );
    // below that: the note that the terminal is too small, cut to the width
    assert_eq!(lines(&screen(&mut a, 9, 3)), ["spanscope", "", ""]);
    assert_eq!(lines(&screen(&mut a, 1, 1)), ["s"]);
}

#[test]
fn the_list_shares_the_width_between_names_and_models_by_need() {
    let mut a = demo_app(LONG_NAMES);
    a.maximized = true;
    // wide: every model whole
    let wide = screen(&mut a, 160, 20);
    insta::assert_snapshot!("list_at_160_columns", wide);
    assert!(
        wide.contains("anthropic/claude-3-5-sonnet-20241022"),
        "{wide}"
    );
    assert!(wide.contains("bedrock/anthropic.claude-3-haiku-20240307-v1:0"));
    // 80 columns: the bar gives way, the name keeps 24 columns and the two long names, alike
    // for their first 28 characters, stay apart
    let narrow = screen(&mut a, 80, 20);
    insta::assert_snapshot!("list_at_80_columns", narrow);
    assert!(narrow.contains("…Intent).forward"), "{narrow}");
    assert!(narrow.contains("…Urgency).forward"));
    let header = narrow.lines().nth(2).unwrap_or("");
    let name = header.find("NAME").unwrap();
    let next = header[name..].find("DUR").unwrap();
    assert!(next >= 24, "{header}");
}

#[test]
fn the_step_table_fits_80_and_160_columns() {
    let mut a = demo_app("");
    run(&mut a, &[Action::ToggleSteps]);
    // 160 columns: every column, the roots (each request's own span) left out
    let wide = screen(&mut a, 160, 24);
    insta::assert_snapshot!("steps_at_160_columns", wide);
    assert!(wide.contains("roots left out (r)"));
    assert!(
        !wide.contains(" HandbookQA "),
        "a root is not a step: {wide}"
    );
    // 80 columns: the kind, p99, rate, max, % of trace and p50 give way; the tokens stay
    let narrow = screen(&mut a, 80, 24);
    insta::assert_snapshot!("steps_at_80_columns", narrow);
    let header = narrow.lines().nth(2).unwrap_or("");
    for col in ["STEP", "COUNT", "P95▼", "SELF", "TOK IN", "TOK OUT"] {
        assert!(header.contains(col), "{col}: {header}");
    }
    // h/l walk the columns on screen only: from p95, the next is self time
    run(&mut a, &[Action::SortNext]);
    assert_eq!(a.steps.sort, crate::analysis::steps::StatsSort::SelfTime);
    // r counts the roots again
    run(&mut a, &[Action::ToggleRoots]);
    assert!(screen(&mut a, 80, 24).contains("HandbookQA"));
}

#[test]
fn after_a_resize_the_selected_row_stays_in_sight() {
    let mut a = app("otlp-jsonl");
    run(&mut a, &[Action::Last]);
    let selected = "›✓ 05:37:03.233";
    let tall = screen(&mut a, 120, 40);
    assert!(tall.contains(selected), "{tall}");
    // smaller: the list scrolls to keep the last trace in sight
    let small = screen(&mut a, 80, 24);
    assert!(small.contains(selected), "{small}");
    // larger again: the rows above come back, no blank rows under the last one
    let tall = screen(&mut a, 120, 40);
    assert!(
        tall.contains(selected) && tall.contains("ReAct.forward"),
        "{tall}"
    );
    assert_eq!(a.list.offset, 3, "the last of 15 at the bottom of 12 rows");
    // the step table too
    run(&mut a, &[Action::ToggleSteps, Action::Last]);
    let last = a
        .steps
        .groups
        .last()
        .map(|g| g.name.clone())
        .unwrap_or_default();
    for (w, h) in [(120, 40), (80, 12), (120, 40)] {
        let s = screen(&mut a, w, h);
        assert!(s.contains(&format!("› {last}")), "{w}x{h}: {s}");
    }
}

#[test]
fn the_header_shows_one_p95_and_over_what() {
    let mut a = app("otlp-jsonl");
    run(&mut a, &[Action::ToggleFailed]);
    let head = screen(&mut a, 120, 20)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    assert!(head.contains("2 of 15 traces"), "{head}");
    assert!(head.contains("p95 441ms over 2 listed"), "{head}");
    assert_eq!(head.matches("p95").count(), 1, "{head}");
    assert!(
        head.contains("slow ≥ 641ms"),
        "the threshold of s stays: {head}"
    );
    // an empty source: no percentiles, and no slow threshold of nothing
    let mut empty = App::new(Store::new(), Theme::plain(), Options::default());
    let head = screen(&mut empty, 100, 10)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    assert!(head.contains("0 of 0 traces"), "{head}");
    assert!(!head.contains("p95") && !head.contains("slow"), "{head}");
}

/// Two examples of an evaluation (normalized trace lines with their scores), for the demo.
const SCORED: &str = concat!(
    r#"{"schema":"spanscope-trace/1","trace_id":"ev01","name":"Predict","start":"2026-11-21T10:24:26.000Z","duration_ms":120.0,"status":"ok","score":1.0,"score_label":"pass","spans":[{"span_id":"p1","parent_id":null,"name":"Predict","kind":"chain","start":"2026-11-21T10:24:26.000Z","duration_ms":120.0,"status":"ok"},{"span_id":"l1","parent_id":"p1","name":"DummyLM","kind":"llm","start":"2026-11-21T10:24:26.010Z","duration_ms":100.0,"status":"ok"}]}"#,
    "\n",
    r#"{"schema":"spanscope-trace/1","trace_id":"ev02","name":"Predict","start":"2026-11-21T10:24:26.200Z","duration_ms":95.0,"status":"ok","score":0.0,"score_label":"fail","spans":[{"span_id":"p2","parent_id":null,"name":"Predict","kind":"chain","start":"2026-11-21T10:24:26.200Z","duration_ms":95.0,"status":"ok"},{"span_id":"l2","parent_id":"p2","name":"DummyLM","kind":"llm","start":"2026-11-21T10:24:26.210Z","duration_ms":80.0,"status":"ok"}]}"#,
    "\n",
);

#[test]
fn the_list_shows_scores_once_some_trace_has_one_and_filters_the_failed() {
    let mut plain = demo_app("");
    plain.maximized = true;
    assert!(
        !screen(&mut plain, 120, 20).contains("SCORE"),
        "no score, no column"
    );
    let mut a = demo_app(SCORED);
    a.maximized = true;
    let all = screen(&mut a, 120, 20);
    insta::assert_snapshot!("list_with_scores", all);
    assert!(all.contains("0 fail") && all.contains("1 pass"), "{all}");
    run(&mut a, &[Action::OpenFilter]);
    type_text(&mut a, "score<1");
    a.input_submit();
    let failed = screen(&mut a, 120, 20);
    let rows: Vec<&str> = failed.lines().filter(|l| l.contains("Predict")).collect();
    assert_eq!(rows.len(), 1, "{failed}");
    assert!(rows[0].contains("0 fail"), "{failed}");
}

#[test]
fn steps_and_groups_show_the_mean_score_of_their_scored_traces() {
    let mut a = demo_app(SCORED);
    run(&mut a, &[Action::ToggleSteps]);
    let steps = screen(&mut a, 120, 24);
    insta::assert_snapshot!("steps_with_scores", steps);
    // DummyLM ran in 22 traces, two of them scored (1 and 0)
    let lm = steps
        .lines()
        .find(|l| l.contains(" DummyLM "))
        .unwrap_or_else(|| panic!("{steps}"));
    assert!(lm.trim_end_matches(['"', ' ']).ends_with("0.5"), "{lm}");
    let mut g = demo_app(SCORED);
    run(&mut g, &[Action::OpenCommand]);
    type_text(&mut g, "group name");
    g.input_submit();
    let groups = screen(&mut g, 140, 24);
    insta::assert_snapshot!("groups_with_scores", groups);
    assert!(groups.contains("SCORE"), "{groups}");
}
