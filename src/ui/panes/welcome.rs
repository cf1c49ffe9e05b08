//! The first screen when nothing feeds the explorer: the three ways to feed it, and the demo.

use crate::ui::app::App;
use crate::ui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// `(command, what it does)` under each way.
type Example = (&'static str, &'static str);

const WAYS: [(&str, &[Example]); 3] = [
    (
        "A trace log: JSONL from DSPy, OpenTelemetry/OpenInference, MLflow or your own logger",
        &[
            ("spanscope traces.jsonl", "follows the file as it grows"),
            ("spanscope runs/", "every trace file in a directory"),
            ("python app.py | spanscope -", "or stdin"),
        ],
    ),
    (
        "Live over OTLP, gRPC or HTTP, from any OpenTelemetry SDK (OpenInference, MLflow)",
        &[
            (
                "spanscope --listen",
                "receives gRPC on :4317 and HTTP on :4318",
            ),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318",
                "in the program's environment",
            ),
        ],
    ),
    (
        "A live feed from a server: JSON lines or OTLP/JSON lines over HTTP",
        &[(
            "spanscope http://host:port/stream",
            "follows it, reconnecting when it drops",
        )],
    ),
];

/// From DSPy: the callback comes with the binary (an installed spanscope has no checkout).
const DSPY: (&str, &[Example]) = (
    "From DSPy, with nothing to install but spanscope:",
    &[
        (
            "spanscope dspy-writer > spanscope_dspy.py",
            "next to your program",
        ),
        (
            "dspy.configure(callbacks=[SpanscopeCallback(\"traces.jsonl\")])",
            "in it; then spanscope traces.jsonl",
        ),
    ],
);

/// A heading and its examples, the commands in a column.
fn block(t: crate::ui::theme::Theme, heading: String, examples: &[Example]) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled(heading, t.style(Role::Header))];
    let w = examples.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
    for (cmd, what) in examples {
        out.push(Line::from(vec![
            Span::raw("     "),
            Span::styled(format!("{cmd:<w$}"), t.style(Role::Key)),
            Span::styled(format!("   {what}"), t.style(Role::Muted)),
        ]));
    }
    out.push(Line::raw(""));
    out
}

/// The welcome text.
#[must_use]
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let t = app.theme;
    let mut out = vec![
        Line::from(vec![
            Span::styled("spanscope", t.style(Role::Title)),
            Span::raw(" — a terminal trace explorer for LLM pipelines"),
        ]),
        Line::raw(""),
        Line::raw("No traces yet. Feed it one of three ways:"),
        Line::raw(""),
    ];
    for (i, (way, examples)) in WAYS.iter().enumerate() {
        out.extend(block(t, format!("{}. {way}", i + 1), examples));
    }
    out.extend(block(t, DSPY.0.to_string(), DSPY.1));
    out.push(Line::from(vec![
        Span::raw("Press "),
        Span::styled("d", t.style(Role::Key)),
        Span::raw(" to open the demo traces, "),
        Span::styled("?", t.style(Role::Key)),
        Span::raw(" for the keys, "),
        Span::styled("q", t.style(Role::Key)),
        Span::raw(" to quit.  spanscope --help lists the commands."),
    ]));
    out
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let text = lines(app);
    let h = u16::try_from(text.len()).unwrap_or(u16::MAX);
    // a little air above when there is room
    let top = area.height.saturating_sub(h).min(2) / 2 + u16::from(area.height > h + 2);
    let r = Rect {
        x: area.x + 2.min(area.width),
        y: area.y + top.min(area.height),
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(top),
    };
    Paragraph::new(Text::from(text))
        .wrap(Wrap { trim: false })
        .render(r, buf);
}
