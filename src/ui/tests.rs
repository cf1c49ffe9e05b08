//! The explorer driven by actions and keys on fixture traces, rendered to a test terminal:
//! what each view shows and how the keys move through it.

use super::action::Action;
use super::app::{App, Options};
use super::theme::Theme;
use super::*;
use crate::ingest;
use crate::model::Store;
use crate::query::SortKey;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn app(fixture: &str) -> App {
    let mut store = Store::new();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    ingest::load_path(&mut store, &path, ingest::Options { naive_utc: true }).unwrap();
    store.refresh();
    App::new(
        store,
        Theme::plain(),
        Options {
            utc: true,
            min_pct: 1.0,
            ..Options::default()
        },
    )
}

/// Run the effects the app asked for, as the loop does (copies and writes have no printers
/// here: `cmd::explore` tests those).
fn settle(app: &mut App) {
    perform::settle(app, &effect::NoPrinters, &mut |c| c.what.clone());
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    app.prepare();
    settle(app);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| render(f, app, None)).unwrap();
    term.backend().to_string()
}

fn run(app: &mut App, actions: &[Action]) {
    for a in actions {
        app.update(*a);
        settle(app);
    }
}

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
    insta::assert_snapshot!(screen(&mut welcome, 110, 26));
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

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        app.input_char(c);
        settle(app);
    }
}

/// Select the list row of trace `prefix`.
fn select(app: &mut App, prefix: &str) {
    app.run_command(&format!("goto {prefix}"));
}

#[test]
fn three_panes_on_a_multihop_rag() {
    let mut a = app("otlp-jsonl");
    select(&mut a, "2fd8c451");
    insta::assert_snapshot!(screen(&mut a, 120, 40));
}

#[test]
fn steps_view_sorts_groups_and_drills_down_to_the_failing_span() {
    use crate::analysis::steps::{GroupBy, StatsSort};
    let mut a = app("otlp-jsonl");
    run(&mut a, &[Action::ToggleSteps]);
    assert_eq!(a.mode, Mode::Steps);
    assert_eq!(a.steps.groups.len(), 14);
    insta::assert_snapshot!("steps_by_name", screen(&mut a, 140, 24));
    // sorted by p95, slowest first; h/l walk the columns
    let p95: Vec<_> = a.steps.groups.iter().map(|g| g.stats.p95).collect();
    assert!(p95.windows(2).all(|w| w[0] >= w[1]));
    run(&mut a, &[Action::SortNext; 4]);
    assert_eq!(a.steps.sort, StatsSort::Errors);
    assert_eq!(a.steps.groups[0].name, "ChainOfThought.forward");
    // by kind, then back to names
    run(&mut a, &[Action::CycleGroupBy, Action::CycleGroupBy]);
    assert_eq!(a.steps.by, GroupBy::Kind);
    let kinds: Vec<&str> = a.steps.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(kinds, ["chain", "llm", "tool", "retriever"]);
    run(&mut a, &[Action::CycleGroupBy]);
    // the LM step's spans: the failed one first
    let lm = a
        .steps
        .groups
        .iter()
        .position(|g| g.name == "DummyLM.__call__");
    a.steps.scroll.selected = lm.expect("the LM step");
    run(&mut a, &[Action::Enter]);
    let drill = a.steps.drill.as_ref().expect("drilled down");
    assert_eq!(drill.rows.len(), 23);
    assert!(drill.rows[0].error && !drill.rows[1].error);
    assert!(drill.rows[1].duration >= drill.rows[2].duration);
    let want = drill.rows[0];
    insta::assert_snapshot!("steps_drill_down", screen(&mut a, 140, 16));
    run(&mut a, &[Action::Enter]);
    assert_eq!(a.mode, Mode::Normal);
    assert_eq!(a.focus, Focus::Waterfall);
    assert_eq!(a.selected_trace(), Some(want.trace));
    assert_eq!(a.selected_span(), Some(want.span));
}

#[test]
fn steps_view_honours_the_filter_and_the_toggles() {
    let mut a = app("otlp-jsonl");
    run(&mut a, &[Action::ToggleSteps, Action::OpenFilter]);
    type_text(&mut a, "name:react");
    a.input_submit();
    assert_eq!(
        a.mode,
        Mode::Steps,
        "back to the steps after the filter bar"
    );
    let names: Vec<&str> = a.steps.groups.iter().map(|g| g.name.as_str()).collect();
    assert!(
        names.contains(&"ReAct.forward") && !names.contains(&"MultiHopRAG.forward"),
        "{names:?} {:?}",
        a.query_text
    );
    let count = |a: &App| {
        a.steps
            .groups
            .iter()
            .find(|g| g.name == "ReAct.forward")
            .map(|g| g.stats.count)
    };
    assert_eq!(count(&a), Some(2));
    run(&mut a, &[Action::ToggleFailed]);
    assert_eq!(count(&a), Some(1));
    run(&mut a, &[Action::Back]);
    assert_eq!(a.mode, Mode::Normal);
    a.run_command("steps model");
    assert_eq!(a.mode, Mode::Steps);
    let models: Vec<&str> = a.steps.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(models, ["dummy"]);
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
fn slow_toggle_keeps_slow_traces_and_big_spans() {
    let mut a = app("otlp-jsonl");
    run(&mut a, &[Action::ToggleSlow]);
    let s = screen(&mut a, 120, 30);
    assert!(s.contains("[slow only]"));
    insta::assert_snapshot!(s);
}

#[test]
fn failed_toggle_shows_failed_spans_and_their_ancestors() {
    let mut a = app("otlp-jsonl");
    run(&mut a, &[Action::ToggleFailed]);
    select(&mut a, "d0d1529e");
    run(
        &mut a,
        &[
            Action::Enter,
            Action::NextError,
            Action::Enter,
            Action::TabError,
        ],
    );
    insta::assert_snapshot!(screen(&mut a, 120, 40));
}

#[test]
fn filter_bar_shows_errors_inline_and_keeps_the_last_good_result() {
    let mut a = app("otlp-jsonl");
    run(&mut a, &[Action::OpenFilter]);
    type_text(&mut a, "react dur>2x");
    assert_eq!(
        a.query_text, "react dur>2",
        "the last good query stays applied"
    );
    insta::assert_snapshot!(screen(&mut a, 120, 20));
    for _ in 0..1 {
        a.input_backspace();
    }
    type_text(&mut a, "00ms");
    a.input_submit();
    assert_eq!(a.view.rows.len(), 2, "two ReAct traces above 200ms");
    assert_eq!(a.history, vec!["react dur>200ms".to_string()]);
}

#[test]
fn fuzzy_words_highlight_and_filter() {
    let a = Theme::colored();
    let mut app = app("otlp-jsonl");
    app.theme = a;
    run(&mut app, &[Action::OpenFilter]);
    type_text(&mut app, "summ");
    app.input_submit();
    assert_eq!(app.view.rows.len(), 1);
    let mut term = Terminal::new(TestBackend::new(100, 20)).unwrap();
    term.draw(|f| render(f, &mut app, None)).unwrap();
    let buf = term.backend().buffer();
    // the matched "S" of SummarizeWithSources is highlighted in the list row (row 3)
    let row: String = (0..100).map(|x| buf[(x, 3)].symbol().to_string()).collect();
    let col = row.find("SummarizeWithSources").unwrap();
    let col = u16::try_from(row[..col].chars().count()).unwrap();
    assert_eq!(
        buf[(col, 3)].style().fg,
        Some(ratatui::style::Color::Yellow)
    );
    assert_ne!(
        buf[(col + 10, 3)].style().fg,
        Some(ratatui::style::Color::Yellow)
    );
}

#[test]
fn collapse_hides_a_subtree() {
    let mut a = app("otlp-jsonl");
    select(&mut a, "2fd8c451");
    run(
        &mut a,
        &[Action::Enter, Action::Down, Action::ToggleCollapse],
    );
    let s = screen(&mut a, 100, 30);
    assert!(s.contains("▸○ Predict.forward"));
    insta::assert_snapshot!(s);
    run(&mut a, &[Action::Expand]);
    assert_eq!(a.wf.visible.len(), 16);
}

#[test]
fn critical_path_is_marked() {
    let mut a = app("otlp-jsonl");
    select(&mut a, "6097b69a");
    run(
        &mut a,
        &[Action::Enter, Action::ToggleCritical, Action::Maximize],
    );
    insta::assert_snapshot!(screen(&mut a, 110, 34));
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
fn running_traces_and_synthesized_roots() {
    let mut a = app("event-stream-jsonl");
    select(&mut a, "trc_8bb9");
    run(&mut a, &[Action::Enter]);
    insta::assert_snapshot!(screen(&mut a, 120, 30));
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
fn commands_sort_goto_and_errors() {
    let mut a = app("otlp-jsonl");
    a.run_command("sort dur");
    let first = a.view.rows[0];
    assert_eq!(
        a.store.str(a.store.trace(first).id),
        "6097b69a35275b696e0889b3c72c75bc"
    );
    a.run_command("goto nope");
    assert!(a.message.as_deref().unwrap_or("").contains("no trace"));
    a.run_command("bogus");
    assert!(
        a.message
            .as_deref()
            .unwrap_or("")
            .contains("unknown command")
    );
    a.run_command("slow 500ms");
    assert!(a.slow_only);
    assert_eq!(a.view.rows.len(), 2);
    a.run_command("errors");
    assert_eq!(a.mode, Mode::Ingest);
}

#[test]
fn tiny_terminals_still_render() {
    let mut a = app("otlp-jsonl");
    for (w, h) in [(40, 10), (20, 5), (1, 1)] {
        let _ = screen(&mut a, w, h);
    }
}

#[test]
fn clicks_focus_the_pane_and_select_the_row() {
    let mut a = app("otlp-jsonl");
    let _ = screen(&mut a, 120, 40);
    let list = a.areas[Focus::List.index()];
    a.click(list.x + 5, list.y + 3);
    assert_eq!(a.focus, Focus::List);
    assert_eq!(a.list.selected, 3);
    let wf = a.areas[Focus::Waterfall.index()];
    assert!(wf.height > 0);
    let _ = screen(&mut a, 120, 40);
    a.click(wf.x + 2, wf.y + 1);
    assert_eq!(a.focus, Focus::Waterfall);
    assert_eq!(a.wf.scroll.selected, 1);
    // the detail follows the clicked span
    assert_eq!(a.detail.span, a.selected_span());
    // a click past the last row keeps the selection; a click on a border does nothing
    a.update(Action::ToggleFailed);
    a.click(list.x + 5, list.y + 1);
    assert_eq!(a.list.selected, 1);
    assert!(a.view.rows.len() < usize::from(list.height));
    a.click(list.x + 5, list.y + list.height - 1);
    assert_eq!(a.list.selected, 1);
    a.click(0, 0);
    assert_eq!(a.focus, Focus::List);
    // the wheel scrolls the pane under the pointer
    let _ = screen(&mut a, 120, 40);
    let detail = a.areas[Focus::Detail.index()];
    a.wheel(detail.x + 1, detail.y + 1, true);
    assert_eq!(a.focus, Focus::Detail);
    assert_eq!(a.detail.scroll, 1);
}

#[test]
fn sorts_by_status_llm_calls_and_model() {
    let mut a = app("otlp-jsonl");
    a.run_command("sort status");
    let status = |a: &App, i: usize| a.store.trace(a.view.rows[i]).summary.status;
    assert_eq!(status(&a, 0), crate::model::TraceStatus::Error);
    assert_eq!(
        status(&a, a.view.rows.len() - 1),
        crate::model::TraceStatus::Ok
    );
    a.run_command("sort llm");
    let calls: Vec<u32> = a
        .view
        .rows
        .iter()
        .map(|&t| a.store.trace(t).summary.llm_calls)
        .collect();
    assert!(calls.windows(2).all(|w| w[0] >= w[1]), "{calls:?}");
    assert!(calls[0] > calls[calls.len() - 1]);
    // h/l walk every column, and the header marks the one in use
    a.update(Action::SortNext);
    assert_eq!(a.sort, SortKey::Tokens);
    a.update(Action::SortNext);
    assert_eq!(a.sort, SortKey::Model);
    assert!(screen(&mut a, 120, 40).contains("MODEL▼"));
}

/// A trace arriving while the explorer is open: one steps-format line.
fn arrive(a: &mut App, id: &str) {
    let line = format!(
        r#"{{"trace_id": "{id}", "timestamp": "2026-11-21T06:00:00Z", "pipeline": "Arrived", "total_latency_ms": 5}}"#
    );
    let src = a.store.add_source("live");
    let blob = a
        .store
        .add_blob(crate::model::Blob::Memory(std::sync::Arc::new(
            line.clone().into_bytes(),
        )));
    ingest::load_bytes(
        &mut a.store,
        src,
        blob,
        line.as_bytes(),
        ingest::Options::default(),
    );
    a.prepare();
}

#[test]
fn new_traces_keep_the_selection_pause_and_follow() {
    let mut a = app("otlp-jsonl");
    select(&mut a, "2fd8c451");
    let before = a.selected_trace();
    arrive(&mut a, "late-1");
    assert_eq!(a.view.rows.len(), 16);
    assert_eq!(a.selected_trace(), before, "the selection stays put");

    a.update(Action::TogglePause);
    arrive(&mut a, "late-2");
    assert_eq!(a.view.rows.len(), 16, "paused: the list is frozen");
    assert!(screen(&mut a, 120, 30).contains("[paused: 1 new"));
    a.update(Action::TogglePause);
    assert_eq!(a.view.rows.len(), 17);

    a.update(Action::ToggleFollowNewest);
    arrive(&mut a, "late-3");
    let t = a.selected_trace().unwrap();
    assert_eq!(a.store.str(a.store.trace(t).id), "late-3");
    assert!(screen(&mut a, 120, 30).contains("[following newest]"));
    // moving by hand stops following
    a.update(Action::Up);
    assert!(!a.follow_newest);
}

#[test]
fn retention_evicts_the_oldest_and_keeps_the_selection_through_compaction() {
    let mut a = app("otlp-jsonl");
    a.store.set_retention(crate::model::store::Retention {
        max_traces: Some(20),
        max_bytes: None,
    });
    let arrive_bounded = |a: &mut App, id: &str| {
        arrive(a, id);
        a.store.enforce_retention();
        a.compact_if_needed();
        a.prepare();
    };
    // compaction comes once 1024 traces are evicted: after late-1028
    for i in 0..1031 {
        arrive_bounded(&mut a, &format!("late-{i:04}"));
        if i == 1020 {
            select(&mut a, "late-1020");
            a.update(Action::NextPane);
        }
    }
    assert_eq!(a.view.rows.len(), 20);
    let t = a.selected_trace().unwrap();
    assert!(t.0 < 40, "the store was compacted ({t:?})");
    assert_eq!(a.store.str(a.store.trace(t).id), "late-1020");
    assert_eq!(a.wf.trace, Some(t));
    let span = a.selected_span().unwrap();
    assert_eq!(
        a.store.span(span).trace,
        t,
        "the waterfall follows the move"
    );
    let acc = a.store.accounting();
    assert!(acc.balanced(), "{acc:?}");
    assert_eq!(acc.traces_evicted, 15 + 1031 - 20);
    let s = screen(&mut a, 120, 30);
    assert!(s.contains("20 of 20 traces"), "{s}");
    assert!(s.contains("1026 evicted (:stats)"), "{s}");
    a.run_command("stats");
    // the same label wherever the repository is checked out
    a.store.source_mut(crate::model::SourceId(0)).label = "otlp-jsonl/otlp.jsonl".into();
    insta::assert_snapshot!(screen(&mut a, 120, 24));
}

#[test]
fn m_then_equals_compares_two_traces_step_by_step() {
    let mut a = app("otlp-jsonl");
    run(&mut a, &[Action::Compare]);
    assert_eq!(a.mode, Mode::Normal);
    assert!(
        a.message
            .as_deref()
            .unwrap()
            .starts_with("mark a trace with m")
    );
    select(&mut a, "6097b69a");
    run(&mut a, &[Action::Mark]);
    assert!(screen(&mut a, 120, 30).contains("marked 6097b69a3527… as A"));
    select(&mut a, "d0d1529e");
    run(&mut a, &[Action::Compare]);
    assert_eq!(a.mode, Mode::Compare);
    insta::assert_snapshot!("compare_react_runs", screen(&mut a, 130, 40));
    // n: the first LM call whose prompt differs, with its diff below
    run(&mut a, &[Action::NextMatch]);
    let t = a.compare.selected_text().unwrap();
    assert_eq!(t.name, "DummyLM.__call__");
    assert_eq!(a.compare.scroll.selected, 4);
    insta::assert_snapshot!("compare_lm_call_diff", screen(&mut a, 130, 40));
    run(&mut a, &[Action::Enter, Action::Down, Action::Down]);
    assert!(a.compare.text_focus);
    assert_eq!(a.compare.text_scroll, 2);
    run(&mut a, &[Action::Back]);
    assert!(!a.compare.text_focus);
    // Enter on the step only B ran: its span, selected in B's waterfall
    let only_b = a.compare.rows.iter().position(|r| r[0] == "+").unwrap();
    a.compare.scroll.selected = only_b;
    run(&mut a, &[Action::Enter]);
    assert_eq!(a.mode, Mode::Normal);
    assert_eq!(a.focus, Focus::Waterfall);
    let s = a.selected_span().unwrap();
    assert_eq!(a.store.str(a.store.span(s).name), "get_weather.__call__");
    // the mark stays; = again compares, Esc closes
    run(&mut a, &[Action::Compare, Action::Back]);
    assert_eq!(a.mode, Mode::Normal);
    run(&mut a, &[Action::Back, Action::Mark]);
}

#[test]
fn slash_in_the_waterfall_searches_names_attributes_and_texts() {
    let mut a = app("otlp-jsonl");
    select(&mut a, "d0d1529e");
    run(&mut a, &[Action::Enter, Action::OpenSearch]);
    assert_eq!(a.mode, Mode::Search);
    // "weather" is in the tool's name, its arguments, and the prompts that offer the tool
    type_text(&mut a, "WEATHER");
    let hits = a.wf.search.as_ref().unwrap().hits.len();
    assert!(hits > 1, "{hits}");
    let s = screen(&mut a, 120, 40);
    assert!(s.contains(&format!("{hits} span(s) of this trace")), "{s}");
    a.input_submit();
    assert_eq!(a.mode, Mode::Normal);
    let first = a.selected_span().unwrap();
    assert!(a.wf.search.as_ref().unwrap().hits.contains(&first));
    // n walks the hits in waterfall order and wraps
    let mut seen = vec![first];
    for _ in 1..hits {
        run(&mut a, &[Action::NextMatch]);
        seen.push(a.selected_span().unwrap());
    }
    run(&mut a, &[Action::NextMatch]);
    assert_eq!(a.selected_span(), Some(first));
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), hits);
    // text inside a prompt only: the question
    run(&mut a, &[Action::OpenSearch]);
    for _ in 0.."WEATHER".len() {
        a.input_backspace();
    }
    type_text(&mut a, "right now?");
    a.input_submit();
    let found: Vec<String> =
        a.wf.search
            .as_ref()
            .unwrap()
            .hits
            .iter()
            .map(|&s| a.store.str(a.store.span(s).name).to_string())
            .collect();
    assert!(found.iter().any(|n| n == "DummyLM.__call__"), "{found:?}");
    // f: only the hits and their ancestors
    let all = a.wf.visible.len();
    run(&mut a, &[Action::ToggleSearchOnly]);
    assert!(a.wf.visible.len() < all);
    insta::assert_snapshot!("waterfall_search_only", screen(&mut a, 120, 40));
    // Esc clears the search first, then goes back to the list
    run(&mut a, &[Action::Back]);
    assert!(a.wf.search.is_none());
    assert_eq!(a.wf.visible.len(), all);
    assert_eq!(a.focus, Focus::Waterfall);
    run(&mut a, &[Action::Back]);
    assert_eq!(a.focus, Focus::List);
}

#[test]
fn histogram_marks_the_threshold_and_enter_filters_to_a_bucket() {
    let mut a = app("otlp-jsonl");
    run(&mut a, &[Action::ToggleHistogram]);
    assert_eq!(a.mode, Mode::Histogram);
    let b = &a.histogram.buckets;
    assert_eq!(b.iter().map(|x| x.count).sum::<usize>(), 15);
    insta::assert_snapshot!("latency_histogram", screen(&mut a, 110, 24));
    // the failed traces only: the histogram follows the toggle
    run(&mut a, &[Action::ToggleFailed]);
    assert_eq!(
        a.histogram.buckets.iter().map(|x| x.count).sum::<usize>(),
        2
    );
    run(&mut a, &[Action::ToggleFailed]);
    // the fullest bucket, then Enter: the list holds exactly its traces
    let (i, full) = a
        .histogram
        .buckets
        .iter()
        .enumerate()
        .max_by_key(|(_, x)| x.count)
        .map(|(i, x)| (i, *x))
        .unwrap();
    a.histogram.scroll.selected = i;
    run(&mut a, &[Action::Enter]);
    assert_eq!(a.mode, Mode::Normal);
    assert_eq!(a.view.rows.len(), full.count);
    let cols = a.store.columns();
    assert!(a.view.rows.iter().all(|t| {
        let d = cols.duration[t.0 as usize];
        full.lo <= d && d < full.hi
    }));
    assert!(a.query_text.contains("dur<"), "{}", a.query_text);
    // another bucket replaces the bounds instead of adding to them
    a.run_command("filter name:predict dur>1s");
    run(&mut a, &[Action::ToggleHistogram]);
    assert!(a.histogram.buckets.is_empty());
    run(&mut a, &[Action::Back]);
    a.run_command("filter name:predict");
    run(
        &mut a,
        &[Action::ToggleHistogram, Action::First, Action::Enter],
    );
    assert!(
        a.query_text.starts_with("name:predict dur"),
        "{}",
        a.query_text
    );
    assert_eq!(a.query_text.matches("dur<").count(), 1);
}

#[test]
fn group_splits_the_listed_traces_by_a_metadata_value() {
    let mut a = app("otlp-jsonl");
    a.run_command("group");
    assert_eq!(a.mode, Mode::Normal);
    assert!(a.message.as_deref().unwrap().starts_with("group by what?"));
    a.run_command("group attr.fixture.program");
    assert_eq!(a.mode, Mode::Groups);
    let values: Vec<Option<&str>> = a.groups.groups.iter().map(|g| g.value.as_deref()).collect();
    assert_eq!(
        values[..3],
        [
            Some("evaluate"),
            Some("bootstrap_compile"),
            Some("compiled_predict")
        ]
    );
    assert_eq!(a.groups.groups.iter().map(|g| g.traces).sum::<usize>(), 15);
    insta::assert_snapshot!("groups_by_program", screen(&mut a, 120, 20));
    // failed only: the split follows the toggle
    run(&mut a, &[Action::ToggleFailed]);
    assert_eq!(a.groups.groups.len(), 2);
    run(&mut a, &[Action::ToggleFailed]);
    // Enter on bootstrap_compile: the list is its three traces
    run(&mut a, &[Action::Down, Action::Enter]);
    assert_eq!(a.mode, Mode::Normal);
    assert_eq!(a.query_text, "attr.fixture.program=bootstrap_compile");
    assert_eq!(a.view.rows.len(), 3);
    // the same key again replaces the term
    a.run_command("group");
    run(&mut a, &[Action::Enter]);
    assert_eq!(a.query_text, "attr.fixture.program=bootstrap_compile");
    a.run_command("filter");
    a.run_command("group attr.fixture.program");
    run(&mut a, &[Action::First, Action::Enter]);
    assert_eq!(a.query_text, "attr.fixture.program=evaluate");
    assert_eq!(a.view.rows.len(), 5);
}
