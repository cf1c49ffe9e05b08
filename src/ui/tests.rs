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
