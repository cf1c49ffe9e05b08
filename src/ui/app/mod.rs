//! The explorer's state and its pure update: `App::update(Action)` changes state and never does
//! I/O, so every behaviour is testable by feeding actions and rendering to a test backend.

mod command;
mod compare;
mod detail;
pub mod follow;
mod groups;
pub mod help;
mod histogram;
mod input;
mod navigate;
mod reader;
mod runs;
mod sessions;
mod sources;
mod steps;
mod text;
mod waterfall;

use crate::analysis::steps::GroupBy;
use crate::ingest::detail::SpanDetail;
use crate::ingest::spool::Spool;
use crate::model::store::Remap;
use crate::model::waterfall::Waterfall;
use crate::model::{Nanos, SourceStats, SpanIdx, Store, TraceIdx};
use crate::query::{self, Query, SortKey};
use crate::ui::action::Action;
use crate::ui::effect::{Effect, Target, WriteFormat};
use crate::ui::keymap::{Context, Keymap};
use crate::ui::state::compare::CompareState;
use crate::ui::state::detail::{DetailState, Tab};
use crate::ui::state::groups::GroupsState;
use crate::ui::state::histogram::HistogramState;
use crate::ui::state::input::InputLine;
use crate::ui::state::list::Column;
use crate::ui::state::reader::ReaderState;
use crate::ui::state::runs::RunsState;
use crate::ui::state::screen::Screen;
use crate::ui::state::scroll::Scroll;
use crate::ui::state::sessions::SessionsState;
use crate::ui::state::steps::StepsState;
use crate::ui::state::text::TextSearch;
use crate::ui::state::waterfall::{SpanSearch, WaterfallState};
use crate::ui::theme::Theme;
use crate::ui::view::{View, ViewKey, default_slow_threshold};
use ratatui::layout::Rect;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// The panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Waterfall,
    Detail,
}

impl Focus {
    pub const ALL: [Focus; 3] = [Focus::List, Focus::Waterfall, Focus::Detail];

    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }

    #[must_use]
    pub fn context(self) -> Context {
        match self {
            Focus::List => Context::List,
            Focus::Waterfall => Context::Waterfall,
            Focus::Detail => Context::Detail,
        }
    }
}

/// What the keyboard is typing into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filter,
    Command,
    Help,
    /// The ingest overlay (`:stats`, `:errors`): where every record went, per source.
    Ingest,
    /// The step statistics view (`S`).
    Steps,
    /// Two traces compared (`m`, then `=`).
    Compare,
    /// The search bar of the waterfall (`/` there): spans by name, attribute or text.
    Search,
    /// The latency histogram of the listed traces (`H`).
    Histogram,
    /// The listed traces split by a metadata value (`:group KEY`).
    Groups,
    /// The selected trace read as a transcript of its LM and tool calls (`r`).
    Reader,
    /// Optimizer runs and their trials (`O`).
    Runs,
    /// The conversations of the listed traces, or one read as a transcript (`:sessions`, `C`).
    Sessions,
}

/// The list's sortable columns, in screen order (the cost column last).
pub const SORT_COLUMNS: [SortKey; 9] = [
    SortKey::Start,
    SortKey::Status,
    SortKey::Name,
    SortKey::Dur,
    SortKey::Spans,
    SortKey::Llm,
    SortKey::Tokens,
    SortKey::Model,
    // not on screen unless configured: last, so the default columns walk as they did
    SortKey::Cost,
];

/// How the explorer starts.
#[derive(Debug, Clone)]
pub struct Options {
    /// Slow threshold; default: the `slow_percentile` of the loaded traces.
    pub slow: Option<Nanos>,
    /// Which percentile of the traces' durations is slow when `slow` is not given.
    pub slow_percentile: f64,
    /// In the waterfall's slow mode, hide spans under this % of the trace.
    pub min_pct: f64,
    pub filter: String,
    pub trace: Option<String>,
    pub utc: bool,
    pub mouse: bool,
    /// The keys.
    pub keymap: Keymap,
    /// The trace list's columns, in order.
    pub columns: Vec<Column>,
    /// The first sort of the list.
    pub sort: SortKey,
    pub reverse: bool,
    pub relative_time: bool,
    /// Nothing feeds the explorer: show how to feed it, and offer the demo traces.
    pub welcome: bool,
    /// Sources are followed (or received): traces may keep arriving, and the newest is
    /// followed from the start.
    pub follow: bool,
    /// Where live sources keep what they accept, for `:stats`.
    pub spool: Option<Spool>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            slow: None,
            slow_percentile: 95.0,
            min_pct: 1.0,
            filter: String::new(),
            trace: None,
            utc: false,
            mouse: false,
            keymap: Keymap::default(),
            // every column but the cost, which a configuration adds
            columns: <Column as clap::ValueEnum>::value_variants()
                .iter()
                .copied()
                .filter(|&c| c != Column::Cost)
                .collect(),
            sort: SortKey::Start,
            reverse: false,
            relative_time: false,
            welcome: false,
            follow: false,
            spool: None,
        }
    }
}

/// The explorer.
pub struct App {
    pub store: Store,
    pub theme: Theme,
    pub opts: Options,
    pub focus: Focus,
    pub mode: Mode,
    pub maximized: bool,
    pub view: View,
    pub list: Scroll,
    pub sort: SortKey,
    pub reverse: bool,
    pub relative_time: bool,
    /// The welcome screen is showing (nothing feeds the explorer yet).
    pub welcome: bool,
    pub slow_only: bool,
    pub failed_only: bool,
    pub slow_threshold: Nanos,
    /// The text of the applied query, and the query.
    pub query_text: String,
    pub query: Query,
    /// What the filter or command bar holds while it is open.
    pub input: InputLine,
    pub wf: WaterfallState,
    pub detail: DetailState,
    /// A one-line message for the status bar (command results, errors).
    pub message: Option<String>,
    /// "Now" for relative times: the last tick, so rendering is deterministic.
    pub now: Nanos,
    /// Where each pane's rows were drawn last (list, waterfall, detail; empty when hidden):
    /// paging and mouse clicks use them.
    pub areas: [Rect; 3],
    pub help_scroll: u16,
    /// Where the help was opened from (where closing it goes back to), and the rows and
    /// columns it has on screen.
    pub help_from: Mode,
    pub help_page: u16,
    pub help_width: u16,
    /// The store generation the default slow threshold was computed for.
    threshold_for: Option<u64>,
    /// When the changed traces of more than [`Store::DERIVED_WHILE_READ`] spans were last
    /// derived before a frame, and how long that took ([`App::derive_rows`]).
    big_derived: Option<(Instant, Duration)>,
    /// `--trace ID`, until that trace is indexed.
    pending_trace: Option<String>,
    /// The list is frozen (indexing goes on); how many traces had been seen when it was paused.
    pub paused: Option<u64>,
    /// Select the newest trace whenever traces arrive.
    pub follow_newest: bool,
    /// Traces may still arrive (a source is followed or received, and has not ended).
    pub live: bool,
    /// The step statistics view.
    pub steps: StepsState,
    /// The filter or command bar was opened from the steps view: go back there when it closes.
    pub(crate) steps_return: bool,
    /// The comparison of two traces.
    pub compare: CompareState,
    /// The latency histogram.
    pub histogram: HistogramState,
    /// The traces split by a metadata value.
    pub groups: GroupsState,
    /// The optimizer runs.
    pub runs: RunsState,
    /// The conversations view.
    pub sessions: SessionsState,
    /// The filter's text searches.
    pub text: TextSearch,
    /// The reader view.
    pub reader: ReaderState,
    /// The I/O asked of the loop (see [`super::effect`]).
    effects: Vec<Effect>,
    quit: bool,
}

impl App {
    /// An explorer over `store` (already refreshed).
    #[must_use]
    pub fn new(store: Store, theme: Theme, opts: Options) -> Self {
        let slow_threshold = opts
            .slow
            .unwrap_or_else(|| default_slow_threshold(&store, opts.slow_percentile));
        let mut app = App {
            store,
            theme,
            focus: Focus::List,
            mode: Mode::Normal,
            maximized: false,
            view: View::default(),
            list: Scroll::default(),
            sort: opts.sort,
            reverse: opts.reverse,
            relative_time: opts.relative_time,
            welcome: opts.welcome,
            slow_only: false,
            failed_only: false,
            slow_threshold,
            query_text: String::new(),
            query: Query::default(),
            input: InputLine::default(),
            wf: WaterfallState::default(),
            detail: DetailState::default(),
            message: None,
            now: 0,
            areas: [Rect::default(); 3],
            help_scroll: 0,
            help_from: Mode::Normal,
            help_page: 0,
            help_width: 0,
            threshold_for: None,
            big_derived: None,
            pending_trace: None,
            paused: None,
            follow_newest: opts.follow,
            live: opts.follow,
            steps: StepsState::default(),
            steps_return: false,
            effects: Vec::new(),
            compare: CompareState::default(),
            histogram: HistogramState::default(),
            groups: GroupsState::default(),
            runs: RunsState::default(),
            sessions: SessionsState::default(),
            text: TextSearch::default(),
            reader: ReaderState::default(),
            quit: false,
            opts,
        };
        if !app.opts.filter.is_empty() {
            let f = app.opts.filter.clone();
            match query::parse(&f) {
                Ok(q) => {
                    app.query = q;
                    app.query_text = f;
                }
                Err(e) => app.message = Some(format!("--filter: {}", e)),
            }
        }
        // opened as soon as it is indexed
        app.pending_trace = app.opts.trace.clone();
        app.prepare();
        app
    }

    #[must_use]
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// The I/O the handlers asked for since the last call, for the loop to run
    /// (`ui::perform`).
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// Bring every derived piece (list, waterfall, detail) up to date. Cheap when nothing
    /// changed: each piece is keyed by what it depends on.
    pub fn prepare(&mut self) {
        self.derive_rows();
        let generation = self.store.generation();
        if self.opts.slow.is_none()
            && self.paused.is_none()
            && self.threshold_for != Some(generation)
        {
            self.slow_threshold = default_slow_threshold(&self.store, self.opts.slow_percentile);
            self.threshold_for = Some(generation);
        }
        self.prepare_text();
        let key = ViewKey {
            text_version: self.text.version,
            generation: self.store.generation(),
            query: self.query_text.clone(),
            slow_only: self.slow_only,
            failed_only: self.failed_only,
            slow_threshold: self.slow_threshold,
            sort: self.sort,
            reverse: self.reverse,
        };
        self.refresh_list(key);
        if let Some(id) = self.pending_trace.clone() {
            let reading = self.store.sources().iter().any(SourceStats::is_reading);
            match query::id::resolve(&self.store, &id) {
                Ok(_) => {
                    self.pending_trace = None;
                    self.goto(&id);
                    self.focus = Focus::Waterfall;
                }
                Err(e) if !reading && !self.store.sources().is_empty() => {
                    self.pending_trace = None;
                    self.message = Some(e.to_string());
                }
                Err(_) => {}
            }
        }
        self.prepare_waterfall();
        self.prepare_detail();
        if self.mode == Mode::Steps || self.steps_return {
            self.prepare_steps();
        }
        if self.mode == Mode::Histogram {
            self.prepare_histogram();
        }
        if self.mode == Mode::Groups {
            self.prepare_groups();
        }
        if self.mode == Mode::Runs {
            self.prepare_runs();
        }
        if self.mode == Mode::Sessions {
            self.prepare_sessions();
        }
    }

    /// Handle one action. Pure: state changes only.
    pub fn update(&mut self, action: Action) {
        match self.mode {
            Mode::Help => {
                self.help_update(action);
                return;
            }
            Mode::Ingest => {
                match action {
                    Action::Down => self.help_scroll = self.help_scroll.saturating_add(1),
                    Action::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
                    Action::PageDown => self.help_scroll = self.help_scroll.saturating_add(10),
                    Action::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
                    Action::Quit => self.quit = true,
                    _ => self.mode = Mode::Normal,
                }
                return;
            }
            Mode::Steps => {
                self.steps_update(action);
                return;
            }
            Mode::Compare => {
                self.compare_update(action);
                return;
            }
            Mode::Histogram => {
                self.histogram_update(action);
                return;
            }
            Mode::Groups => {
                self.groups_update(action);
                return;
            }
            Mode::Runs => {
                self.runs_update(action);
                self.prepare();
                return;
            }
            Mode::Reader => {
                self.reader_update(action);
                return;
            }
            Mode::Sessions => {
                self.sessions_update(action);
                return;
            }
            Mode::Filter | Mode::Command | Mode::Search => return,
            Mode::Normal => {}
        }
        self.message = None;
        self.on_move(action);
        match action {
            Action::Quit => self.quit = true,
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::PageDown => self.move_by(self.page()),
            Action::PageUp => self.move_by(-self.page()),
            Action::First => match self.focus {
                Focus::List => {
                    self.list.selected = 0;
                    self.follow_if_newest();
                }
                Focus::Waterfall => self.wf.scroll.selected = 0,
                Focus::Detail => self.detail.scroll = 0,
            },
            Action::Last => match self.focus {
                Focus::List => {
                    self.list.selected = self.view.rows.len().saturating_sub(1);
                    self.follow_if_newest();
                }
                Focus::Waterfall => {
                    self.wf.scroll.selected = self.wf.visible.len().saturating_sub(1)
                }
                Focus::Detail => self.detail.scroll = u16::MAX / 2,
            },
            Action::Enter => match self.focus {
                Focus::List if self.selected_trace().is_some() => self.focus = Focus::Waterfall,
                Focus::Waterfall => self.focus = Focus::Detail,
                _ => {}
            },
            Action::Back if self.focus == Focus::Waterfall && self.wf.search.is_some() => {
                self.clear_search();
            }
            Action::Back => match self.focus {
                Focus::Detail => self.focus = Focus::Waterfall,
                Focus::Waterfall => {
                    if !self.back_to_conversation() {
                        self.focus = Focus::List;
                    }
                }
                Focus::List => {
                    self.maximized = false;
                }
            },
            Action::NextPane => {
                self.focus = match self.focus {
                    Focus::List => Focus::Waterfall,
                    Focus::Waterfall => Focus::Detail,
                    Focus::Detail => Focus::List,
                }
            }
            Action::PrevPane => {
                self.focus = match self.focus {
                    Focus::List => Focus::Detail,
                    Focus::Waterfall => Focus::List,
                    Focus::Detail => Focus::Waterfall,
                }
            }
            Action::Maximize => self.maximized = !self.maximized,
            Action::ToggleSlow => self.slow_only = !self.slow_only,
            Action::ToggleFailed => self.failed_only = !self.failed_only,
            Action::OpenFilter => self.open_bar(Mode::Filter, &self.query_text.clone()),
            Action::OpenCommand => self.open_bar(Mode::Command, ""),
            Action::Help => self.open_help(),
            Action::SortPrev | Action::SortNext => {
                let i = SORT_COLUMNS
                    .iter()
                    .position(|k| *k == self.sort)
                    .unwrap_or(0);
                let n = SORT_COLUMNS.len();
                let j = if action == Action::SortNext {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.sort = SORT_COLUMNS[j];
                self.reverse = false;
            }
            Action::InvertSort => self.reverse = !self.reverse,
            Action::ToggleRelativeTime => self.relative_time = !self.relative_time,
            Action::TogglePause => {
                self.paused = match self.paused {
                    Some(_) => None,
                    None => Some(self.store.traces_seen()),
                };
            }
            Action::ToggleFollowNewest => self.toggle_follow(),
            Action::Collapse => self.collapse(true),
            Action::Expand => self.collapse(false),
            Action::ToggleCollapse => {
                if let Some(s) = self.selected_span() {
                    let collapsed = self.wf.collapsed.contains(&s);
                    self.collapse(!collapsed);
                }
            }
            Action::NextError => self.jump(true, |app, s| app.store.span(s).is_error()),
            Action::PrevError => self.jump(false, |app, s| app.store.span(s).is_error()),
            Action::ToggleCritical => self.wf.critical = !self.wf.critical,
            Action::NextFound => self.detail_match(true),
            Action::PrevFound => self.detail_match(false),
            Action::NextMatch if self.wf.search.is_some() => self.jump(true, Self::search_hit),
            Action::PrevMatch if self.wf.search.is_some() => self.jump(false, Self::search_hit),
            Action::NextMatch => self.jump(true, Self::span_matches),
            Action::PrevMatch => self.jump(false, Self::span_matches),
            Action::OpenSearch => {
                self.focus = Focus::Waterfall;
                let q = self.wf.search.as_ref().map(|x| x.query.clone());
                self.open_bar(Mode::Search, &q.unwrap_or_default());
            }
            Action::ToggleSearchOnly => match self.wf.search.as_mut() {
                Some(x) => {
                    x.only = !x.only;
                    self.wf.collapse_version += 1;
                }
                None => {
                    self.message =
                        Some("/ searches this trace first, f then shows only what it found".into())
                }
            },
            Action::NextTab => self.detail.tab_index = (self.detail.tab_index + 1) % Tab::ALL.len(),
            Action::PrevTab => {
                self.detail.tab_index =
                    (self.detail.tab_index + Tab::ALL.len() - 1) % Tab::ALL.len();
            }
            Action::TabPrompt => self.detail.tab_index = Tab::Prompt.index(),
            Action::TabResponse => self.detail.tab_index = Tab::Response.index(),
            Action::TabTokens => self.detail.tab_index = Tab::Tokens.index(),
            Action::TabAttributes => self.detail.tab_index = Tab::Attributes.index(),
            Action::TabError => self.detail.tab_index = Tab::Error.index(),
            Action::TabRaw => self.detail.tab_index = Tab::Raw.index(),
            Action::ToggleSteps => self.toggle_steps(),
            Action::CycleGroupBy | Action::ToggleRoots => {}
            Action::CopyMarkdown => self.copy(true),
            Action::CopyJson => self.copy(false),
            Action::Mark => self.toggle_mark(),
            Action::Compare => self.open_compare(),
            Action::ToggleHistogram => self.toggle_histogram(),
            Action::ToggleReader => self.open_reader(),
            Action::ToggleRuns => self.toggle_runs(),
            Action::DiffTrials => {}
            Action::ToggleSessions => self.toggle_sessions(),
        }
        if is_tab_change(action) {
            self.detail.scroll = 0;
        }
        self.prepare();
    }
}

fn is_tab_change(a: Action) -> bool {
    matches!(
        a,
        Action::NextTab
            | Action::PrevTab
            | Action::TabPrompt
            | Action::TabResponse
            | Action::TabTokens
            | Action::TabAttributes
            | Action::TabError
            | Action::TabRaw
    )
}
