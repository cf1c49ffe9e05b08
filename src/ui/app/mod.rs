//! The explorer's state and its pure update: `App::update(Action)` changes state and never does
//! I/O, so every behaviour is testable by feeding actions and rendering to a test backend.

mod compare;
mod groups;
mod histogram;
mod steps;

use crate::analysis::steps::GroupBy;
use crate::ingest::detail::SpanDetail;
use crate::model::store::Remap;
use crate::model::waterfall::Waterfall;
use crate::model::{Batch, Nanos, SourceStats, SpanIdx, Store, TraceIdx};
use crate::query::{self, Query, QueryError, SortKey};
use crate::ui::action::Action;
use crate::ui::effect::{Effect, Target, WriteFormat};
use crate::ui::keymap::{Context, Keymap};
use crate::ui::state::compare::CompareState;
use crate::ui::state::detail::{DetailState, Tab};
use crate::ui::state::groups::GroupsState;
use crate::ui::state::histogram::HistogramState;
use crate::ui::state::list::Column;
use crate::ui::state::scroll::Scroll;
use crate::ui::state::steps::StepsState;
use crate::ui::state::waterfall::{SpanSearch, WaterfallState};
use crate::ui::theme::Theme;
use crate::ui::view::{View, ViewKey, default_slow_threshold};
use ratatui::layout::Rect;
use std::collections::HashSet;

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
}

/// The list's sortable columns, in screen order.
pub const SORT_COLUMNS: [SortKey; 8] = [
    SortKey::Start,
    SortKey::Status,
    SortKey::Name,
    SortKey::Dur,
    SortKey::Spans,
    SortKey::Llm,
    SortKey::Tokens,
    SortKey::Model,
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
            columns: <Column as clap::ValueEnum>::value_variants().to_vec(),
            sort: SortKey::Start,
            reverse: false,
            relative_time: false,
            welcome: false,
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
    pub input: String,
    pub input_error: Option<QueryError>,
    pub history: Vec<String>,
    history_pos: Option<usize>,
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
    /// The store generation the default slow threshold was computed for.
    threshold_for: Option<u64>,
    /// `--trace ID`, until that trace is indexed.
    pending_trace: Option<String>,
    /// The list is frozen (indexing goes on); how many traces had been seen when it was paused.
    pub paused: Option<u64>,
    /// Select the newest trace whenever traces arrive.
    pub follow_newest: bool,
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
            input: String::new(),
            input_error: None,
            history: Vec::new(),
            history_pos: None,
            wf: WaterfallState::default(),
            detail: DetailState::default(),
            message: None,
            now: 0,
            areas: [Rect::default(); 3],
            help_scroll: 0,
            threshold_for: None,
            pending_trace: None,
            paused: None,
            follow_newest: false,
            steps: StepsState::default(),
            steps_return: false,
            effects: Vec::new(),
            compare: CompareState::default(),
            histogram: HistogramState::default(),
            groups: GroupsState::default(),
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

    /// Leave the welcome screen for the bundled demo traces.
    pub fn open_demo(&mut self) {
        self.effects.push(Effect::LoadDemo);
    }

    /// The demo traces were read (or not).
    pub fn on_demo_loaded(&mut self, result: Result<(), String>) {
        if let Err(e) = result {
            self.message = Some(e);
            return;
        }
        self.welcome = false;
        self.threshold_for = None;
        self.prepare();
    }

    /// Index a batch from the sources; once enough traces were evicted, compact the store and
    /// move every index held here.
    pub fn ingest(&mut self, batch: Batch) {
        self.store.apply(batch);
        self.compact_if_needed();
    }

    /// Compact the store when retention has evicted enough to be worth it.
    pub fn compact_if_needed(&mut self) {
        if self.store.needs_compaction() {
            let remap = self.store.compact();
            self.remap(&remap);
        }
    }

    /// Bring every derived piece (list, waterfall, detail) up to date. Cheap when nothing
    /// changed: each piece is keyed by what it depends on.
    pub fn prepare(&mut self) {
        self.store.refresh();
        let generation = self.store.generation();
        if self.opts.slow.is_none()
            && self.paused.is_none()
            && self.threshold_for != Some(generation)
        {
            self.slow_threshold = default_slow_threshold(&self.store, self.opts.slow_percentile);
            self.threshold_for = Some(generation);
        }
        let key = ViewKey {
            generation: self.store.generation(),
            query: self.query_text.clone(),
            slow_only: self.slow_only,
            failed_only: self.failed_only,
            slow_threshold: self.slow_threshold,
            sort: self.sort,
            reverse: self.reverse,
        };
        // paused: the rows stay as they were until the filter, sort or toggles change (evicted
        // traces leave)
        let frozen = self.paused.is_some()
            && self.view.key().is_some_and(|k| {
                ViewKey {
                    generation: k.generation,
                    ..key.clone()
                } == *k
            });
        if frozen {
            let store = &self.store;
            retain_rows(&mut self.view, &mut self.list, |t| {
                store.is_live(t).then_some(t)
            });
        }
        let selected = self.selected_trace();
        if !frozen && self.view.refresh(&self.store, &self.query, key) {
            if self.follow_newest {
                self.select_newest();
            } else if let Some(t) = selected
                && let Some(i) = self.view.rows.iter().position(|&r| r == t)
            {
                // keep the same trace selected when it is still listed
                self.list.selected = i;
            }
        }
        self.list.clamp(self.view.rows.len());
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
    }

    /// The store was compacted: move every trace and span index held here to its new place.
    fn remap(&mut self, remap: &Remap) {
        retain_rows(&mut self.view, &mut self.list, |t| remap.trace(t));
        let wf = &mut self.wf;
        wf.trace = wf.trace.and_then(|t| remap.trace(t));
        match (wf.trace, wf.layout.as_mut()) {
            (Some(t), Some(layout)) => {
                for s in &mut layout.spans {
                    *s = remap.span(*s).unwrap_or(*s);
                }
                // rebuilt on the next prepare, keeping collapse state and selection
                wf.built_for = Some((t, 0, false, false, u64::MAX));
            }
            _ => {
                wf.layout = None;
                wf.built_for = None;
            }
        }
        wf.collapsed = wf.collapsed.iter().filter_map(|&s| remap.span(s)).collect();
        self.compare.marked = self.compare.marked.and_then(|t| remap.trace(t));
        if let Some(search) = self.wf.search.as_mut() {
            search.hits = search.hits.iter().filter_map(|&s| remap.span(s)).collect();
        }
        self.wf.search_texts = None;
        self.wf.search_requested = None;
        // the comparison holds span indexes: close it rather than show moved spans
        self.close_compare();
        self.detail.span = self.detail.span.and_then(|s| remap.span(s));
        self.detail.built_for = self.detail.span.map(|s| (s, u64::MAX));
        self.detail.requested = None;
        // effects not run yet hold indexes too
        self.effects.retain_mut(|e| e.remap(remap));
    }

    fn prepare_waterfall(&mut self) {
        let trace = self.selected_trace();
        let generation = self.store.generation();
        let Some(t) = trace else {
            self.wf = WaterfallState {
                critical: self.wf.critical,
                ..WaterfallState::default()
            };
            return;
        };
        let key = (
            t,
            generation,
            self.slow_only,
            self.failed_only,
            self.wf.collapse_version,
        );
        if self.wf.built_for == Some(key) {
            return;
        }
        let new_trace = self.wf.trace != Some(t);
        let prev_span = self.selected_span();
        if new_trace
            || self.wf.layout.is_none()
            || self.wf.built_for.map(|k| k.1) != Some(generation)
        {
            self.wf.layout = Some(Waterfall::new(&self.store, t));
        }
        if new_trace {
            self.wf.collapsed.clear();
            self.wf.scroll = Scroll::default();
        }
        self.wf.trace = Some(t);
        if self.wf.search.is_some()
            && self.wf.search_texts.as_ref().map(|c| (c.0, c.1))
                != Some((t, self.store.trace(t).revision))
        {
            // the same search over the newly selected trace (or its new spans)
            let q = self
                .wf
                .search
                .as_ref()
                .map(|x| x.query.clone())
                .unwrap_or_default();
            self.search_hits(&q);
        }
        let wf = self.wf.layout.as_ref().expect("layout built above");
        let failed: Vec<bool> = wf
            .rows
            .iter()
            .map(|r| self.store.span(wf.span(r)).is_error())
            .collect();
        // with the failed filter: failed spans and their ancestors
        let mut keep_failed = vec![true; wf.rows.len()];
        if self.failed_only {
            keep_failed = with_ancestors(wf, &failed);
        }
        if let Some(search) = self.wf.search.as_ref().filter(|x| x.only) {
            let hit: Vec<bool> = wf
                .rows
                .iter()
                .map(|r| search.hits.contains(&wf.span(r)))
                .collect();
            let keep = with_ancestors(wf, &hit);
            for (k, h) in keep_failed.iter_mut().zip(keep) {
                *k &= h;
            }
        }
        let mut visible = Vec::with_capacity(wf.rows.len());
        let mut hidden_below: Option<u16> = None;
        for (i, r) in wf.rows.iter().enumerate() {
            if let Some(d) = hidden_below {
                if r.depth > d {
                    continue;
                }
                hidden_below = None;
            }
            let span = wf.span(r);
            if self.wf.collapsed.contains(&span) {
                hidden_below = Some(r.depth);
            }
            let slow_ok = !self.slow_only || r.depth == 0 || r.pct >= self.opts.min_pct;
            if slow_ok && keep_failed[i] {
                visible.push(i);
            }
        }
        self.wf.visible = visible;
        if let Some(prev) = prev_span.filter(|_| !new_trace)
            && let Some(i) = self
                .wf
                .visible
                .iter()
                .position(|&v| wf.span(&wf.rows[v]) == prev)
        {
            self.wf.scroll.selected = i;
        }
        self.wf.scroll.clamp(self.wf.visible.len());
        self.wf.built_for = Some(key);
    }

    /// Find `query` in the selected trace's spans (empty: no search).
    pub(crate) fn search_hits(&mut self, query: &str) {
        let Some(t) = self.selected_trace() else {
            return;
        };
        let revision = self.store.trace(t).revision;
        let cached = self.wf.search_texts.as_ref().map(|c| (c.0, c.1)) == Some((t, revision));
        if !cached && self.wf.search_requested != Some((t, revision)) {
            // the texts come back through on_search_texts, which finds the hits then
            self.wf.search_requested = Some((t, revision));
            self.effects.push(Effect::IndexSearch(t));
        }
        let q = query.to_lowercase();
        let hits = match (&self.wf.search_texts, q.is_empty()) {
            (Some((_, _, texts)), false) if cached => texts
                .iter()
                .filter(|(_, text)| text.contains(&q))
                .map(|(s, _)| *s)
                .collect(),
            _ => HashSet::new(),
        };
        let only = self.wf.search.as_ref().is_some_and(|x| x.only);
        self.wf.search = Some(SpanSearch {
            query: query.to_string(),
            hits,
            only,
        });
        self.wf.collapse_version += 1;
    }

    /// The searchable texts of trace `t`'s spans arrived: find the open search's hits in them.
    pub fn on_search_texts(&mut self, t: TraceIdx, texts: Vec<(SpanIdx, String)>) {
        if !self.store.is_live(t) {
            return;
        }
        let revision = self.store.trace(t).revision;
        if self.wf.search_requested == Some((t, revision)) {
            self.wf.search_requested = None;
        }
        self.wf.search_texts = Some((t, revision, texts));
        if self.selected_trace() == Some(t)
            && let Some(q) = self.wf.search.as_ref().map(|x| x.query.clone())
        {
            self.search_hits(&q);
        }
    }

    /// Leave the search of the waterfall.
    fn clear_search(&mut self) {
        self.wf.search = None;
        self.wf.search_texts = None;
        self.wf.search_requested = None;
        self.wf.collapse_version += 1;
    }

    fn prepare_detail(&mut self) {
        let span = self.selected_span();
        self.detail.span = span;
        let Some(s) = span else {
            self.detail.detail = None;
            self.detail.built_for = None;
            return;
        };
        let key = (s, self.store.generation());
        if self.detail.built_for != Some(key) && self.detail.requested != Some(key) {
            if self.detail.built_for.map(|k| k.0) != Some(s) {
                // another span: its texts, from the top
                self.detail.scroll = 0;
                self.detail.detail = None;
                self.detail.built_for = None;
            }
            self.detail.requested = Some(key);
            self.effects.push(Effect::DecodeDetail(s));
        }
    }

    /// The texts of span `s` were decoded.
    pub fn on_detail(&mut self, s: SpanIdx, detail: SpanDetail) {
        if self.detail.span != Some(s) {
            return;
        }
        let key = (s, self.store.generation());
        self.detail.detail = Some(detail);
        self.detail.built_for = Some(key);
        if self.detail.requested.is_some_and(|r| r.0 == s) {
            self.detail.requested = None;
        }
    }

    #[must_use]
    pub fn selected_trace(&self) -> Option<TraceIdx> {
        self.view.rows.get(self.list.selected).copied()
    }

    #[must_use]
    pub fn selected_span(&self) -> Option<SpanIdx> {
        let wf = self.wf.layout.as_ref()?;
        let &i = self.wf.visible.get(self.wf.scroll.selected)?;
        Some(wf.span(&wf.rows[i]))
    }

    /// Select the trace whose id is (or starts with) `id`, clearing filters that hide it.
    pub fn goto(&mut self, id: &str) {
        match query::id::resolve(&self.store, id) {
            Ok(t) => {
                if !self.view.rows.contains(&t) {
                    self.slow_only = false;
                    self.failed_only = false;
                    self.query = Query::default();
                    self.query_text.clear();
                    self.prepare();
                }
                if let Some(i) = self.view.rows.iter().position(|&r| r == t) {
                    self.list.selected = i;
                }
                self.message = None;
            }
            Err(e) => self.message = Some(e.to_string()),
        }
    }

    fn pane_len(&self) -> usize {
        match self.focus {
            Focus::List => self.view.rows.len(),
            Focus::Waterfall => self.wf.visible.len(),
            Focus::Detail => usize::MAX,
        }
    }

    fn move_by(&mut self, delta: isize) {
        let len = self.pane_len();
        match self.focus {
            Focus::List => self.list.step(delta, len),
            Focus::Waterfall => self.wf.scroll.step(delta, len),
            Focus::Detail => {
                let cur = i64::from(self.detail.scroll);
                self.detail.scroll = u16::try_from((cur + delta as i64).max(0)).unwrap_or(u16::MAX);
            }
        }
    }

    fn page(&self) -> isize {
        let p = usize::from(self.areas[self.focus.index()].height);
        isize::try_from(p.max(1)).unwrap_or(10)
    }

    /// Select the trace that arrived last.
    fn select_newest(&mut self) {
        if let Some(i) =
            (0..self.view.rows.len()).max_by_key(|&i| self.store.trace(self.view.rows[i]).seq)
        {
            self.list.selected = i;
        }
    }

    /// The pane whose rows are drawn at a screen cell.
    fn pane_at(&self, column: u16, row: u16) -> Option<Focus> {
        let at = ratatui::layout::Position::new(column, row);
        Focus::ALL
            .into_iter()
            .find(|p| self.areas[p.index()].contains(at))
    }

    /// The mouse wheel scrolls the pane under the pointer (and focuses it).
    pub fn wheel(&mut self, column: u16, row: u16, down: bool) {
        if self.mode == Mode::Normal
            && let Some(pane) = self.pane_at(column, row)
        {
            self.focus = pane;
        }
        self.update(if down { Action::Down } else { Action::Up });
    }

    /// A mouse click at a screen cell: focus the pane under it and select the row clicked.
    pub fn click(&mut self, column: u16, row: u16) {
        if self.mode != Mode::Normal {
            return;
        }
        let Some(pane) = self.pane_at(column, row) else {
            return;
        };
        self.focus = pane;
        let line = usize::from(row - self.areas[pane.index()].y);
        match pane {
            Focus::List => {
                let i = self.list.offset + line;
                if i < self.view.rows.len() {
                    self.list.selected = i;
                }
            }
            Focus::Waterfall => {
                let i = self.wf.scroll.offset + line;
                if i < self.wf.visible.len() {
                    self.wf.scroll.selected = i;
                }
            }
            Focus::Detail => {}
        }
        self.prepare();
    }

    /// Handle one action. Pure: state changes only.
    pub fn update(&mut self, action: Action) {
        match self.mode {
            Mode::Help => {
                match action {
                    Action::Down => self.help_scroll = self.help_scroll.saturating_add(1),
                    Action::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
                    Action::Quit => self.quit = true,
                    _ => self.mode = Mode::Normal,
                }
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
            Mode::Filter | Mode::Command | Mode::Search => return,
            Mode::Normal => {}
        }
        self.message = None;
        if self.focus == Focus::List
            && matches!(
                action,
                Action::Down
                    | Action::Up
                    | Action::PageDown
                    | Action::PageUp
                    | Action::First
                    | Action::Last
            )
        {
            // moving by hand stops following, as in less
            self.follow_newest = false;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::PageDown => self.move_by(self.page()),
            Action::PageUp => self.move_by(-self.page()),
            Action::First => match self.focus {
                Focus::List => self.list.selected = 0,
                Focus::Waterfall => self.wf.scroll.selected = 0,
                Focus::Detail => self.detail.scroll = 0,
            },
            Action::Last => match self.focus {
                Focus::List => self.list.selected = self.view.rows.len().saturating_sub(1),
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
                Focus::Waterfall => self.focus = Focus::List,
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
            Action::OpenFilter => {
                self.mode = Mode::Filter;
                self.input = self.query_text.clone();
                self.input_error = None;
                self.history_pos = None;
            }
            Action::OpenCommand => {
                self.mode = Mode::Command;
                self.input.clear();
                self.input_error = None;
            }
            Action::Help => {
                self.mode = Mode::Help;
                self.help_scroll = 0;
            }
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
            Action::ToggleFollowNewest => {
                self.follow_newest = !self.follow_newest;
                if self.follow_newest {
                    self.select_newest();
                }
            }
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
            Action::NextMatch if self.wf.search.is_some() => self.jump(true, Self::search_hit),
            Action::PrevMatch if self.wf.search.is_some() => self.jump(false, Self::search_hit),
            Action::NextMatch => self.jump(true, Self::span_matches),
            Action::PrevMatch => self.jump(false, Self::span_matches),
            Action::OpenSearch => {
                self.focus = Focus::Waterfall;
                self.mode = Mode::Search;
                self.input = self
                    .wf
                    .search
                    .as_ref()
                    .map(|x| x.query.clone())
                    .unwrap_or_default();
                self.input_error = None;
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
            Action::CycleGroupBy => {}
            Action::CopyMarkdown => self.copy(true),
            Action::CopyJson => self.copy(false),
            Action::Mark => self.toggle_mark(),
            Action::Compare => self.open_compare(),
            Action::ToggleHistogram => self.toggle_histogram(),
        }
        if is_tab_change(action) {
            self.detail.scroll = 0;
        }
        self.prepare();
    }

    fn search_hit(&self, s: SpanIdx) -> bool {
        self.wf.search.as_ref().is_some_and(|x| x.hits.contains(&s))
    }

    /// A span matches the filter: its span terms hold, or a fuzzy word matches its name.
    fn span_matches(&self, s: SpanIdx) -> bool {
        let sp = self.store.span(s);
        let tr = self.store.trace(sp.trace);
        let m = query::Matcher::new(&self.store, &self.query);
        if m.span_matches(tr, sp) {
            return true;
        }
        let fz = query::fuzzy::Fuzzy::default();
        self.query.clauses.iter().any(|c| match &c.term {
            query::parse::Term::Fuzzy(w) if !c.negated => fz.matches(self.store.str(sp.name), w),
            query::parse::Term::Name(n) if !c.negated => {
                self.store.str(sp.name).to_lowercase().contains(n.as_str())
            }
            _ => false,
        })
    }

    /// Move the waterfall selection to the next (or previous) visible span satisfying `pred`.
    fn jump(&mut self, forward: bool, pred: fn(&App, SpanIdx) -> bool) {
        if self.focus == Focus::List {
            self.focus = Focus::Waterfall;
        }
        let Some(wf) = self.wf.layout.as_ref() else {
            return;
        };
        let spans: Vec<SpanIdx> = self
            .wf
            .visible
            .iter()
            .map(|&v| wf.span(&wf.rows[v]))
            .collect();
        let cur = self.wf.scroll.selected;
        let n = spans.len();
        let order: Vec<usize> = if forward {
            (cur + 1..n)
                .chain(0..=cur.min(n.saturating_sub(1)))
                .collect()
        } else {
            (0..cur).rev().chain((cur..n).rev()).collect()
        };
        match order.into_iter().find(|&i| pred(self, spans[i])) {
            Some(i) => self.wf.scroll.selected = i,
            None => self.message = Some("no such span in this trace".into()),
        }
    }

    fn collapse(&mut self, collapse: bool) {
        if self.focus != Focus::Waterfall {
            return;
        }
        let Some(s) = self.selected_span() else {
            return;
        };
        let wf = self
            .wf
            .layout
            .as_ref()
            .expect("a selected span has a layout");
        let row = self.wf.visible[self.wf.scroll.selected];
        let has_children = !wf.tree.children[wf.rows[row].idx].is_empty();
        if collapse {
            if has_children && !self.wf.collapsed.contains(&s) {
                self.wf.collapsed.insert(s);
            } else if let Some(p) = wf.tree.parent[wf.rows[row].idx] {
                // already collapsed or a leaf: go to the parent, like a file tree
                let parent_span = wf.spans[p];
                if let Some(i) = self
                    .wf
                    .visible
                    .iter()
                    .position(|&v| wf.span(&wf.rows[v]) == parent_span)
                {
                    self.wf.scroll.selected = i;
                }
                return;
            }
        } else {
            self.wf.collapsed.remove(&s);
        }
        self.wf.collapse_version += 1;
    }

    /// A character typed into the open bar.
    pub fn input_char(&mut self, c: char) {
        self.input.push(c);
        self.on_input_changed();
    }

    /// Backspace in the open bar; on an empty bar it closes it.
    pub fn input_backspace(&mut self) {
        if self.input.pop().is_none() {
            self.input_cancel();
            return;
        }
        self.on_input_changed();
    }

    fn on_input_changed(&mut self) {
        if self.mode == Mode::Search {
            let q = self.input.clone();
            self.search_hits(&q);
            self.prepare();
            return;
        }
        if self.mode == Mode::Filter {
            // live: apply every good query, keep the last good one on an error
            match query::parse(&self.input) {
                Ok(q) => {
                    self.query = q;
                    self.query_text = self.input.clone();
                    self.input_error = None;
                }
                Err(e) => self.input_error = Some(e),
            }
            self.prepare();
        }
    }

    /// Browse the filter history.
    pub fn input_history(&mut self, older: bool) {
        if self.mode != Mode::Filter || self.history.is_empty() {
            return;
        }
        let n = self.history.len();
        let pos = match (self.history_pos, older) {
            (None, true) => n - 1,
            (None, false) => return,
            (Some(p), true) => p.saturating_sub(1),
            (Some(p), false) if p + 1 >= n => {
                self.history_pos = None;
                self.input.clear();
                self.on_input_changed();
                return;
            }
            (Some(p), false) => p + 1,
        };
        self.history_pos = Some(pos);
        self.input = self.history[pos].clone();
        self.on_input_changed();
    }

    /// Enter in the open bar.
    pub fn input_submit(&mut self) {
        match self.mode {
            Mode::Filter if self.input_error.is_none() => {
                let q = self.input.trim().to_string();
                if !q.is_empty() && self.history.last() != Some(&q) {
                    self.history.push(q);
                }
                self.close_bar();
            }
            Mode::Search => {
                self.close_bar();
                if self.input.trim().is_empty() {
                    self.clear_search();
                } else if let Some(s) = self.selected_span()
                    && !self.search_hit(s)
                {
                    self.prepare();
                    self.jump(true, Self::search_hit);
                }
            }
            Mode::Command => {
                let cmd = std::mem::take(&mut self.input);
                self.close_bar();
                self.run_command(cmd.trim());
            }
            _ => {}
        }
        self.prepare();
    }

    /// Esc in the open bar: close it (the filter bar keeps the last good query).
    pub fn input_cancel(&mut self) {
        if self.mode == Mode::Search {
            self.clear_search();
        }
        self.close_bar();
        self.input_error = None;
        self.prepare();
    }

    /// Back to where the bar was opened from.
    fn close_bar(&mut self) {
        self.mode = if std::mem::take(&mut self.steps_return) {
            Mode::Steps
        } else {
            Mode::Normal
        };
    }

    /// `:` commands.
    pub fn run_command(&mut self, cmd: &str) {
        let (name, arg) = cmd
            .split_once(char::is_whitespace)
            .map_or((cmd, ""), |(a, b)| (a, b.trim()));
        match name {
            "" => {}
            "q" | "quit" => self.quit = true,
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
            "goto" | "g" => self.goto(arg),
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
            "w" | "write" => self.write_listed(arg),
            // not in the help: proves that a crash restores the terminal and leaves a report
            "crash-test" => self.effects.push(Effect::Crash),
            "group" => self.open_groups(arg),
            "errors" | "stats" => {
                self.mode = Mode::Ingest;
                self.help_scroll = 0;
            }
            other => {
                self.message = Some(format!(
                    "unknown command :{other} (sort, goto, slow, min-pct, filter, steps, group, w, stats, errors, q)"
                ))
            }
        }
        self.prepare();
    }
}

impl App {
    /// Ask the loop to copy the selected span (waterfall, detail) or trace (list), as Markdown
    /// for an LLM or as JSON (the export shape).
    fn copy(&mut self, markdown: bool) {
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

    /// `:w [otlp] FILE`: the listed traces (filter and toggles applied) as normalized trace
    /// lines, or OTLP/JSON lines.
    fn write_listed(&mut self, arg: &str) {
        let (format, path) = match arg.split_once(char::is_whitespace) {
            Some(("otlp", p)) => (WriteFormat::Otlp, p.trim()),
            Some(("jsonl", p)) => (WriteFormat::Jsonl, p.trim()),
            _ => (WriteFormat::Jsonl, arg),
        };
        if path.is_empty() {
            self.message =
                Some(":w FILE writes the listed traces (:w otlp FILE for OTLP/JSON)".into());
            return;
        }
        self.effects.push(Effect::Write {
            traces: self.view.rows.clone(),
            format,
            path: expand_home(path),
        });
    }
}

/// The rows of `wf` that are `marked` or an ancestor of one.
fn with_ancestors(wf: &Waterfall, marked: &[bool]) -> Vec<bool> {
    let pos_of: std::collections::HashMap<usize, usize> = wf
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.idx, i))
        .collect();
    let mut keep = vec![false; wf.rows.len()];
    for (i, r) in wf.rows.iter().enumerate() {
        if marked[i] {
            keep[i] = true;
            let mut cur = wf.tree.parent[r.idx];
            while let Some(p) = cur {
                match pos_of.get(&p) {
                    Some(&pi) if !keep[pi] => keep[pi] = true,
                    // this ancestor and those above it are kept already
                    Some(_) => break,
                    None => {}
                }
                cur = wf.tree.parent[p];
            }
        }
    }
    keep
}

/// `~/x` is in the home directory.
fn expand_home(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => std::path::PathBuf::from(path),
    }
}

/// Keep the list rows `f` maps to `Some` (as what it maps them to), with the same trace selected
/// when it stays.
fn retain_rows(view: &mut View, list: &mut Scroll, f: impl Fn(TraceIdx) -> Option<TraceIdx>) {
    let selected = view.rows.get(list.selected).copied().and_then(&f);
    let before = view.rows.len();
    view.rows.retain_mut(|t| match f(*t) {
        Some(n) => {
            *t = n;
            true
        }
        None => false,
    });
    if view.rows.len() != before
        && let Some(t) = selected
        && let Some(i) = view.rows.iter().position(|&r| r == t)
    {
        list.selected = i;
    }
    list.clamp(view.rows.len());
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
