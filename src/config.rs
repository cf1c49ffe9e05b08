//! The explorer's configuration file: thresholds, the trace list's columns, the theme, and key
//! overrides. Read from `--config FILE`, `$SPANSCOPE_CONFIG`, or
//! `$XDG_CONFIG_HOME/spanscope/config.toml` (`~/.config/spanscope/config.toml`); every key is
//! optional, and a key this version does not know is an error that names it.
//!
//! The headless commands do not read it: their output is a contract for scripts.

use crate::query::SortKey;
use crate::ui::action::Action;
use crate::ui::keymap::{Chord, Context, Keymap};
use crate::ui::state::list::Column;
use crate::ui::theme::{Depth, Palette};
use clap::ValueEnum;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// The whole file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub thresholds: Thresholds,
    pub list: ListConfig,
    pub theme: ThemeConfig,
    pub keys: Keys,
}

/// `[thresholds]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// When a trace is slow (`s`, the hot bars).
    pub slow: Slow,
    /// In the waterfall's slow mode, hide spans under this % of their trace.
    pub min_pct: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            slow: Slow::Percentile(95.0),
            min_pct: crate::ui::app::Options::default().min_pct,
        }
    }
}

/// A slow threshold: a percentile of the loaded traces' durations (`p95`), or a duration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slow {
    Percentile(f64),
    /// Nanoseconds, and how the file wrote it.
    Fixed(i64),
}

impl Slow {
    /// Parse `p95`, `p99.9`, `2s`, `500ms`.
    ///
    /// # Errors
    /// Neither a percentile in (0, 100] nor a duration.
    pub fn parse(s: &str) -> Result<Slow, String> {
        if let Some(p) = s.strip_prefix(['p', 'P']) {
            return match p.parse::<f64>() {
                Ok(v) if v > 0.0 && v <= 100.0 => Ok(Slow::Percentile(v)),
                _ => Err(format!(
                    "{s:?} is not a percentile: write p50, p95, p99 or p99.9"
                )),
            };
        }
        crate::query::parse_duration(s)
            .map(Slow::Fixed)
            .map_err(|e| format!("{s:?} is neither a percentile (p95) nor a duration: {e}"))
    }
}

impl fmt::Display for Slow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Slow::Percentile(p) => write!(f, "p{p}"),
            Slow::Fixed(ns) => f.write_str(&crate::text::human_dur(ns)),
        }
    }
}

impl Serialize for Slow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Slow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Slow::parse(&s).map_err(de::Error::custom)
    }
}

/// `[list]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListConfig {
    #[serde(with = "value_enum_vec")]
    pub columns: Vec<Column>,
    #[serde(with = "value_enum")]
    pub sort: SortKey,
    /// Invert the sort order.
    pub reverse: bool,
    /// Start times as "3m ago".
    pub relative_time: bool,
}

impl Default for ListConfig {
    fn default() -> Self {
        let d = crate::ui::app::Options::default();
        ListConfig {
            columns: d.columns,
            sort: d.sort,
            reverse: d.reverse,
            relative_time: d.relative_time,
        }
    }
}

/// `[theme]`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThemeConfig {
    #[serde(with = "value_enum")]
    pub palette: Palette,
    #[serde(with = "value_enum")]
    pub colors: Depth,
}

/// `[keys.CONTEXT]` tables: `"KEY" = "action"`, in file order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Keys {
    pub global: KeyTable,
    pub list: KeyTable,
    pub waterfall: KeyTable,
    pub detail: KeyTable,
    pub steps: KeyTable,
    pub compare: KeyTable,
}

impl Keys {
    /// The default keymap with these overrides applied.
    #[must_use]
    pub fn keymap(&self) -> Keymap {
        let mut all = Vec::new();
        for (ctx, table) in [
            (Context::Global, &self.global),
            (Context::List, &self.list),
            (Context::Waterfall, &self.waterfall),
            (Context::Detail, &self.detail),
            (Context::Steps, &self.steps),
            (Context::Compare, &self.compare),
        ] {
            all.extend(table.0.iter().map(|&(k, a)| (ctx, k, a)));
        }
        Keymap::with_overrides(&all)
    }
}

/// Keys bound to actions (`None`: unbound, written `"none"`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeyTable(pub Vec<(Chord, Option<Action>)>);

impl Serialize for KeyTable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, a) in &self.0 {
            m.serialize_entry(
                &k.to_string(),
                &a.map_or_else(|| "none".to_owned(), |a| name(&a)),
            )?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for KeyTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyTable;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of \"KEY\" = \"action\"")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<KeyTable, A::Error> {
                let mut out: Vec<(Chord, Option<Action>)> = Vec::new();
                while let Some((k, a)) = m.next_entry::<String, String>()? {
                    let chord: Chord = k.parse().map_err(de::Error::custom)?;
                    let action = if a == "none" {
                        None
                    } else {
                        Some(
                            parse_value_enum::<Action>(&a, "action")
                                .map_err(|e| de::Error::custom(format!("key {k:?}: {e}")))?,
                        )
                    };
                    if out.iter().any(|(c, _)| *c == chord) {
                        return Err(de::Error::custom(format!(
                            "key {k:?} is bound twice in this table"
                        )));
                    }
                    out.push((chord, action));
                }
                Ok(KeyTable(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A value's name as the file writes it.
fn name<T: ValueEnum>(v: &T) -> String {
    v.to_possible_value()
        .map_or_else(String::new, |p| p.get_name().to_owned())
}

/// Parse a value by its name, or say which names there are.
fn parse_value_enum<T: ValueEnum>(s: &str, what: &str) -> Result<T, String> {
    T::from_str(s, false).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_owned()))
            .collect();
        format!("unknown {what} {s:?}; one of: {}", names.join(", "))
    })
}

/// Serde for a `clap::ValueEnum` by its name.
mod value_enum {
    use super::{ValueEnum, de};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<T: ValueEnum, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::name(v))
    }

    pub fn deserialize<'de, T: ValueEnum, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_value_enum(&s, "value").map_err(de::Error::custom)
    }
}

/// Serde for a list of `clap::ValueEnum` values by their names.
mod value_enum_vec {
    use super::{ValueEnum, de};
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<T: ValueEnum, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for x in v {
            seq.serialize_element(&super::name(x))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, T: ValueEnum + PartialEq, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        let mut out: Vec<T> = Vec::with_capacity(names.len());
        for n in &names {
            let v: T = super::parse_value_enum(n, "column").map_err(de::Error::custom)?;
            if out.contains(&v) {
                return Err(de::Error::custom(format!("column {n:?} is listed twice")));
            }
            out.push(v);
        }
        if out.is_empty() {
            return Err(de::Error::custom("the list needs at least one column"));
        }
        Ok(out)
    }
}

/// Where the configuration comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--config FILE` or `$SPANSCOPE_CONFIG`: it must exist.
    Given(PathBuf),
    /// The XDG location: used when it exists.
    Default(PathBuf),
    /// No XDG location (no `$XDG_CONFIG_HOME` or `$HOME`).
    None,
}

impl Origin {
    /// `--config` (or `$SPANSCOPE_CONFIG`, which clap folds into it), else the XDG location.
    #[must_use]
    pub fn find(given: Option<&Path>) -> Origin {
        if let Some(p) = given {
            return Origin::Given(p.to_path_buf());
        }
        default_path().map_or(Origin::None, Origin::Default)
    }

    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        match self {
            Origin::Given(p) | Origin::Default(p) => Some(p),
            Origin::None => None,
        }
    }
}

/// `$XDG_CONFIG_HOME/spanscope/config.toml`, else `~/.config/spanscope/config.toml`.
#[must_use]
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("spanscope").join("config.toml"))
}

impl Config {
    /// Parse a file's text.
    ///
    /// # Errors
    /// Not TOML, a key this version does not know, or a value out of range; the message names
    /// the key and shows the line.
    pub fn parse(text: &str) -> Result<Config, String> {
        let c: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        if !(0.0..=100.0).contains(&c.thresholds.min_pct) {
            return Err(format!(
                "thresholds.min_pct = {} is not a percentage (0 to 100)",
                c.thresholds.min_pct
            ));
        }
        Ok(c)
    }

    /// Read the configuration from where `origin` says: the defaults when the XDG file does
    /// not exist.
    ///
    /// # Errors
    /// A given file that cannot be read, or a file that does not parse.
    pub fn load(origin: &Origin) -> Result<Config, String> {
        let path = match origin {
            Origin::None => return Ok(Config::default()),
            Origin::Default(p) if !p.exists() => return Ok(Config::default()),
            Origin::Given(p) | Origin::Default(p) => p,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the configuration {}: {e}", path.display()))?;
        Config::parse(&text).map_err(|e| format!("{}: {}", path.display(), e.trim_end()))
    }

    /// The configuration as a file (no comments): what `spanscope config` prints.
    ///
    /// # Errors
    /// Never for a parsed configuration.
    pub fn to_toml(&self) -> Result<String, String> {
        toml::to_string(self).map_err(|e| e.to_string())
    }
}

/// The commented default file (`spanscope config --default`). A test checks that it parses to
/// [`Config::default`].
pub const DEFAULT_FILE: &str = r#"# spanscope configuration: the explorer reads it at start; the headless commands
# (list, show, stats, diff, export) do not, so their output stays the same for scripts.
#
# Location: --config FILE, or $SPANSCOPE_CONFIG, or
# $XDG_CONFIG_HOME/spanscope/config.toml (~/.config/spanscope/config.toml).
# Every key is optional; this file holds the defaults. A key spanscope does not know is an
# error that names it. `spanscope config` prints the configuration in effect.

[thresholds]
# When is a trace slow (`s` shows only those; their bars are drawn hot): a percentile of
# the loaded traces' durations ("p95", "p99") or a duration ("2s", "500ms"). --slow overrides.
slow = "p95"
# In the waterfall's slow mode, hide spans under this % of their trace. --min-pct overrides.
min_pct = 1.0

[list]
# The trace list's columns, in order. Available: status, start, name, dur, bar, spans, llm,
# tokens, cost, score, model. The score's column shows only once some trace has a score.
columns = ["status", "start", "name", "dur", "bar", "spans", "llm", "tokens", "score", "model"]
# The first sort: start, dur, status, tokens, cost, score, spans, llm, name, model (< and >
# change it).
sort = "start"
# Invert the sort order (i).
reverse = false
# Start times as "3m ago" instead of clock time (t).
relative_time = false

[theme]
# dark, light, high-contrast, or mono (no colors; also with NO_COLOR or --color never).
palette = "dark"
# How many colors the terminal draws: auto (from COLORTERM and TERM), truecolor, "256", "16".
colors = "auto"

# Key overrides, per pane: "KEY" = "action". KEY is a character ("x", "G", "?"), Ctrl-CHAR,
# Space, Enter, Esc, Tab, Shift-Tab, Backspace, Delete, Insert, Up, Down, Left, Right, Home,
# End, PgUp, PgDn or F1-F12. "none" unbinds a key. A key bound in a pane wins over the same
# key in [keys.global]. The actions are listed below; `?` in the explorer shows the keys in
# effect.
#
# Actions: quit, down, up, page-down, page-up, first, last, enter, back, next-pane,
# prev-pane, maximize, toggle-slow, toggle-failed, open-filter, open-command, help,
# sort-prev, sort-next, invert-sort, toggle-relative-time, toggle-pause,
# toggle-follow-newest, collapse, expand, toggle-collapse, next-error, prev-error,
# toggle-critical, next-match, prev-match, next-found, prev-found, next-tab, prev-tab,
# tab-prompt, tab-response, tab-tokens, tab-attributes, tab-error, tab-raw, toggle-steps,
# toggle-roots, cycle-group-by, copy-markdown, copy-json, mark, compare, open-search,
# toggle-search-only, toggle-histogram, toggle-reader, toggle-runs, diff-trials, toggle-sessions.
[keys.global]
# "x" = "toggle-failed"
# "Ctrl-f" = "open-filter"

[keys.list]

[keys.waterfall]
# "o" = "toggle-collapse"

[keys.detail]

[keys.steps]

[keys.compare]
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn the_default_file_is_the_default_configuration() {
        assert_eq!(Config::parse(DEFAULT_FILE), Ok(Config::default()));
        assert_eq!(Config::parse(""), Ok(Config::default()));
    }

    #[test]
    fn the_default_file_lists_every_action_and_column() {
        let flat = DEFAULT_FILE.replace("\n#", "");
        for a in Action::value_variants() {
            let n = name(a);
            assert!(
                flat.contains(&format!(" {n},")) || flat.contains(&format!(" {n}.")),
                "{n}"
            );
        }
        for c in Column::value_variants() {
            // the cost column is listed as available, not shown by default
            let shown = format!("\"{}\"", name(c));
            assert!(
                DEFAULT_FILE.contains(&shown) || DEFAULT_FILE.contains(&format!(" {},", name(c))),
                "{c:?}"
            );
        }
    }

    #[test]
    fn a_configuration_round_trips() {
        let text = r#"
[thresholds]
slow = "1.5s"
min_pct = 5.0
[list]
columns = ["name", "dur", "tokens"]
sort = "dur"
reverse = true
[theme]
palette = "light"
colors = "256"
[keys.global]
"x" = "toggle-failed"
"e" = "none"
[keys.waterfall]
"Ctrl-o" = "toggle-collapse"
"F5" = "next-error"
"#;
        let c = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.thresholds.slow, Slow::Fixed(1_500_000_000));
        assert_eq!(c.list.columns, [Column::Name, Column::Dur, Column::Tokens]);
        assert_eq!(c.theme.colors, Depth::Ansi256);
        let again = c.to_toml().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Config::parse(&again), Ok(c.clone()), "{again}");
        let d = Config::default();
        let again = d.to_toml().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Config::parse(&again), Ok(d), "{again}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors_that_name_them() {
        let err = |t: &str| Config::parse(t).expect_err(t);
        let e = err("[theme]\ncolour = \"dark\"\n");
        assert!(e.contains("colour") && e.contains("line 2"), "{e}");
        let e = err("[thresolds]\nslow = \"2s\"\n");
        assert!(e.contains("thresolds"), "{e}");
        let e = err("[list]\ncolumns = [\"name\", \"latency\"]\n");
        assert!(e.contains("latency") && e.contains("dur"), "{e}");
        let e = err("[keys.list]\n\"x\" = \"toggle-slw\"\n");
        assert!(e.contains("toggle-slw") && e.contains("toggle-slow"), "{e}");
        let e = err("[keys.list]\n\"Hyper-x\" = \"quit\"\n");
        assert!(e.contains("Hyper-x"), "{e}");
        let e = err("[keys.panes]\n\"x\" = \"quit\"\n");
        assert!(e.contains("panes"), "{e}");
        let e = err("[thresholds]\nslow = \"fast\"\n");
        assert!(e.contains("fast") && e.contains("slow"), "{e}");
        let e = err("[thresholds]\nmin_pct = 150.0\n");
        assert!(e.contains("min_pct"), "{e}");
        let e = err("[theme]\npalette = \"neon\"\n");
        assert!(e.contains("neon") && e.contains("high-contrast"), "{e}");
    }

    #[test]
    fn key_overrides_reach_the_keymap() {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let c = Config::parse(
            "[keys.global]\n\"x\" = \"toggle-failed\"\n\"e\" = \"none\"\n[keys.waterfall]\n\"Ctrl-o\" = \"toggle-collapse\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let km = c.keys.keymap();
        let press = |c: char, m: KeyModifiers| KeyEvent::new(KeyCode::Char(c), m);
        let none = KeyModifiers::NONE;
        assert_eq!(
            km.lookup(Context::List, press('x', none)),
            Some(Action::ToggleFailed)
        );
        assert_eq!(km.lookup(Context::List, press('e', none)), None);
        assert_eq!(
            km.lookup(Context::Waterfall, press('o', KeyModifiers::CONTROL)),
            Some(Action::ToggleCollapse)
        );
        // the hint bar shows the new key for the action
        assert!(
            km.hints(Context::List)
                .iter()
                .any(|(k, what)| *k == "x" && *what == "failed")
        );
        // the rest is untouched
        assert_eq!(
            km.lookup(Context::List, press('s', none)),
            Some(Action::ToggleSlow)
        );
    }

    #[test]
    fn chords_parse_and_print_the_same() {
        for (text, shown) in [
            ("q", "q"),
            ("G", "G"),
            ("shift-g", "G"),
            ("ctrl-D", "Ctrl-d"),
            ("C-x", "Ctrl-x"),
            ("Space", "Space"),
            (" ", "Space"),
            ("enter", "Enter"),
            ("shift-tab", "Shift-Tab"),
            ("pagedown", "PgDn"),
            ("F12", "F12"),
            ("-", "-"),
        ] {
            let c: Chord = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(c.to_string(), shown, "{text}");
            assert_eq!(shown.parse::<Chord>(), Ok(c), "{shown}");
        }
        for bad in ["", "F13", "Alt-x", "ctrl-", "qq"] {
            assert!(bad.parse::<Chord>().is_err(), "{bad}");
        }
    }
}
