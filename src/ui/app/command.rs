//! The `:` commands, and the copy and write requests they and the keys make.

use super::*;

/// One `:` command: the names it answers to (the first is how the help writes it), what
/// follows it, and what it does. The command line runs what this table names, and the help
/// lists it.
pub struct Command {
    pub names: &'static [&'static str],
    pub args: &'static str,
    pub help: &'static str,
}

/// The `:` commands.
pub const COMMANDS: &[Command] = &[
    Command {
        names: &["sort"],
        args: "COLUMN[!]",
        help: "Sort the list by start, status, name, dur, spans, llm, tokens or model (! reverses)",
    },
    Command {
        names: &["goto", "g"],
        args: "ID",
        help: "Select the trace with this id or id prefix (clearing a filter that hides it)",
    },
    Command {
        names: &["slow"],
        args: "DURATION",
        help: "Set the slow threshold and keep only the slow traces (:slow 500ms)",
    },
    Command {
        names: &["min-pct"],
        args: "PCT",
        help: "In the waterfall's slow mode, hide spans under PCT % of their trace",
    },
    Command {
        names: &["filter"],
        args: "QUERY",
        help: "Apply a filter, as the filter bar (/) does",
    },
    Command {
        names: &["steps"],
        args: "[name|model|kind]",
        help: "Step statistics by step name, model or kind",
    },
    Command {
        names: &["group"],
        args: "KEY",
        help: "Split the listed traces by attr.KEY, model, name or status",
    },
    Command {
        names: &["sessions", "conversations"],
        args: "",
        help: "Conversations: the listed traces that share a session, one row each",
    },
    Command {
        names: &["w", "write"],
        args: "[otlp|examples] FILE",
        help: "Write the listed traces as normalized JSONL (otlp: OTLP/JSON lines; examples: dataset rows)",
    },
    Command {
        names: &["stats", "errors"],
        args: "",
        help: "Where every record went, per source, with the rejected lines",
    },
    Command {
        names: &["q", "quit"],
        args: "",
        help: "Quit",
    },
];

/// Not in the help: proves that a crash restores the terminal and leaves a report.
const CRASH_TEST: &str = "crash-test";

impl App {
    /// `:` commands.
    pub fn run_command(&mut self, cmd: &str) {
        let (name, arg) = cmd
            .split_once(char::is_whitespace)
            .map_or((cmd, ""), |(a, b)| (a, b.trim()));
        // each command by the first of its names
        let name = COMMANDS
            .iter()
            .find(|c| c.names.contains(&name))
            .map_or(name, |c| c.names[0]);
        match name {
            "" => {}
            "q" => self.quit = true,
            "sort" => {
                let (key, rev) = arg.strip_suffix('!').map_or((arg, false), |k| (k, true));
                match <SortKey as clap::ValueEnum>::from_str(key, true) {
                    Ok(k) => {
                        self.sort = k;
                        self.reverse = rev;
                    }
                    Err(_) => {
                        self.message = Some(format!(
                            "sort by what? start, status, name, dur, spans, llm, tokens or model (not {arg:?})"
                        ))
                    }
                }
            }
            "goto" => self.goto(arg),
            "steps" => match arg {
                "" => self.mode = Mode::Steps,
                by => match <GroupBy as clap::ValueEnum>::from_str(by, true) {
                    Ok(by) => {
                        self.steps.by = by;
                        self.steps.drill = None;
                        self.mode = Mode::Steps;
                    }
                    Err(_) => {
                        self.message =
                            Some(format!("steps by what? name, model or kind (not {by:?})"));
                    }
                },
            },
            "slow" => match query::parse_duration(arg) {
                Ok(ns) => {
                    self.opts.slow = Some(ns);
                    self.slow_threshold = ns;
                    self.slow_only = true;
                }
                Err(e) => self.message = Some(format!(":slow {arg}: {e}")),
            },
            "min-pct" => match arg.trim_end_matches('%').parse::<f64>() {
                Ok(p) if p.is_finite() && p >= 0.0 => {
                    self.opts.min_pct = p;
                    self.wf.built_for = None;
                }
                _ => self.message = Some(format!(":min-pct takes a percentage, not {arg:?}")),
            },
            "filter" => match query::parse(arg) {
                Ok(q) => {
                    self.query = q;
                    self.query_text = arg.to_string();
                }
                Err(e) => self.message = Some(format!("filter: {}", e)),
            },
            "w" => self.write_listed(arg),
            CRASH_TEST => self.effects.push(Effect::Crash),
            "group" => self.open_groups(arg),
            "sessions" => self.toggle_sessions(),
            "stats" => {
                self.mode = Mode::Ingest;
                self.help_scroll = 0;
            }
            other => {
                let known: Vec<&str> = COMMANDS
                    .iter()
                    .flat_map(|c| c.names.iter().copied())
                    .collect();
                self.message = Some(format!(
                    "unknown command :{other} ({}; ? lists them)",
                    known.join(", ")
                ));
            }
        }
        self.prepare();
    }

    /// Ask the loop to copy the selected span (waterfall, detail) or trace (list), as Markdown
    /// for an LLM or as JSON (the export shape).
    pub(super) fn copy(&mut self, markdown: bool) {
        let span = self.selected_span().filter(|_| self.focus != Focus::List);
        let target = match (span, self.selected_trace()) {
            (Some(s), _) => Target::Span(s),
            (None, Some(t)) => Target::Trace(t),
            (None, None) => {
                self.message = Some("nothing to copy".into());
                return;
            }
        };
        self.effects.push(Effect::Copy { target, markdown });
    }

    /// `:w [otlp|examples] FILE`: the listed traces (filter and toggles applied) as normalized
    /// trace lines, OTLP/JSON lines, or dataset rows (`export --as examples`).
    pub(super) fn write_listed(&mut self, arg: &str) {
        let (format, path) = match arg.split_once(char::is_whitespace) {
            Some(("otlp", p)) => (WriteFormat::Otlp, p.trim()),
            Some(("jsonl", p)) => (WriteFormat::Jsonl, p.trim()),
            Some(("examples", p)) => (WriteFormat::Examples, p.trim()),
            _ => (WriteFormat::Jsonl, arg),
        };
        if path.is_empty() {
            self.message =
                Some(":w FILE writes the listed traces (:w otlp FILE for OTLP/JSON, :w examples FILE for a dataset)".into());
            return;
        }
        self.effects.push(Effect::Write {
            traces: self.view.rows.clone(),
            format,
            path: expand_home(path),
        });
    }
}

/// `~/x` is in the home directory.
fn expand_home(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => std::path::PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::*;

    #[test]
    fn commands_sort_goto_and_errors() {
        let mut a = app("otlp-jsonl");
        a.run_command("sort dur");
        let first = a.view.rows[0];
        assert_eq!(a.store.trace_id(first), "6097b69a35275b696e0889b3c72c75bc");
        a.run_command("goto nope");
        assert!(a.message.as_deref().unwrap_or("").contains("no trace"));
        // a trace the filter hides: shown, and the status line says what was cleared
        a.run_command("filter react");
        a.update(Action::ToggleFailed);
        a.run_command("goto 2fd8c451");
        assert_eq!(
            a.message.as_deref(),
            Some("cleared the filter \"react\" and failed only to show 2fd8c45141d6…")
        );
        assert!(a.query_text.is_empty() && !a.failed_only);
        assert_eq!(
            a.selected_trace()
                .map(|t| a.store.trace_id(t).to_string())
                .as_deref(),
            Some("2fd8c45141d63187e117f59317e71c8d")
        );
        // one already listed: nothing to say
        a.run_command("goto 6097b69a");
        assert_eq!(a.message, None);
        a.run_command("sort dur");
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
}
