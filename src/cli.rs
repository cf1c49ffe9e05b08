//! The command line (clap derive). No subcommand prints the trace list; subcommands are the
//! headless commands whose outputs are a contract for scripts.

use crate::headless::diff::DiffFormat;
use crate::headless::export::ExportFormat;
use crate::headless::list::ListFormat;
use crate::headless::runs::RunsFormat;
use crate::headless::show::ShowFormat;
use crate::headless::stats::{GroupBy, StatsFormat, StatsSort};
use crate::query::SortKey;
use crate::ui::theme::ColorChoice;
use clap::{Args, Parser, Subcommand};

mod sessions;
mod source;
pub use sessions::SessionsArgs;
pub use source::SourceArgs;

const EXAMPLES: &str = "\
Examples:
  spanscope list traces.jsonl --filter 'dur>2s status:error' --sort dur
  spanscope show 5cfea1bf44b2 traces.jsonl               # waterfall as text
  spanscope show 5cfea1bf44b2 traces.jsonl --format markdown   # paste into an LLM
  spanscope stats traces.jsonl --by name                 # p50/p95/p99 per step
  spanscope stats traces.jsonl --group attr.compiled     # compiled vs uncompiled runs
  spanscope export traces.jsonl -f status:error > failed.jsonl   # a dataset of failures
  spanscope diff 6097b69a d0d1529e traces.jsonl          # two runs, step by step
  spanscope runs traces.jsonl --format json              # optimizer runs and their trials
  cat traces.jsonl | spanscope list - --format jsonl
  spanscope list traces.jsonl -f status:error --format markdown   # a table to paste
  spanscope traces.jsonl --listen                        # follow a file and receive OTLP (gRPC, HTTP)
  spanscope record --out session.jsonl                   # keep a live feed for later
  spanscope                                              # with nothing to read: how to feed it, and a demo
  spanscope config --default > ~/.config/spanscope/config.toml   # thresholds, columns, theme, keys
  spanscope completions bash > ~/.local/share/bash-completion/completions/spanscope
  spanscope dspy-writer > spanscope_dspy.py              # the DSPy callback, next to your program

Sources: JSONL files (simple/steps request lines, trace_start/span/trace_end events,
dspy-callback-jsonl, OTLP/JSON lines), OTLP/JSON or MLflow trace documents, captured OTLP
protobuf bodies (.bin, .bin.gz), directories of any of those, and - for stdin.

Filter language: dur>2s  status:error|running  name:TEXT  model:TEXT  tokens>1k  spans>10
  kind:llm  id:PREFIX  attr.KEY=VALUE  span.dur>1s span.status:error span.pct>25 ...
  -TERM negates; bare words fuzzy-match trace and span names.";

/// A terminal trace explorer for LLM pipelines.
#[derive(Debug, Parser)]
#[command(name = "spanscope", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// When to use colors: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Read the explorer's configuration from FILE [default:
    /// $XDG_CONFIG_HOME/spanscope/config.toml, i.e. ~/.config/spanscope/config.toml].
    #[arg(long, value_name = "FILE", env = "SPANSCOPE_CONFIG", global = true)]
    pub config: Option<std::path::PathBuf>,
    /// Prices of models the embedded table does not know, or overrides (self-hosted models): a
    /// TOML or JSON file of `[[model]]` entries with `name` (or `prefix`), `input` and `output`
    /// in USD per million tokens, and optionally `cache_read`, `cache_write`, `reasoning`.
    #[arg(long, value_name = "FILE", env = "SPANSCOPE_PRICES", global = true)]
    pub prices: Option<std::path::PathBuf>,
    /// With no subcommand: the explorer when stdout is a terminal, else the same as `list`.
    #[command(flatten)]
    pub list: ListArgs,
    #[command(flatten)]
    pub tui: TuiArgs,
}

/// Options of the explorer (no subcommand, stdout a terminal).
#[derive(Debug, Args, Clone, Default)]
pub struct TuiArgs {
    /// Open this trace (id or unique prefix) directly.
    #[arg(long, value_name = "ID")]
    pub trace: Option<String>,
    /// Slow threshold for `s` (default: the p95 of the loaded traces), e.g. 2s, 500ms.
    #[arg(long, value_name = "DURATION")]
    pub slow: Option<String>,
    /// In the waterfall's slow mode, hide spans under this % of the trace [default: 1, or the
    /// configuration's thresholds.min_pct].
    #[arg(long, value_name = "PCT")]
    pub min_pct: Option<f64>,
    /// The same as --color never.
    #[arg(long, hide = true)]
    pub no_color: bool,
    /// Click to select, wheel to scroll (off by default: capturing the mouse breaks selecting
    /// text in the terminal).
    #[arg(long)]
    pub mouse: bool,
    /// Read files once instead of following what is appended to them.
    #[arg(long)]
    pub no_follow: bool,
    #[command(flatten)]
    pub receiver: ReceiverArgs,
}

/// How much a long-running session keeps in memory.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct RetentionArgs {
    /// Keep at most N traces: the oldest whole traces are evicted (the header counts them).
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub max_traces: Option<usize>,
    /// Keep the index and in-memory payloads under about SIZE (e.g. 256MiB, 2GiB), evicting
    /// the oldest whole traces; `none` keeps everything. Payloads of files and of the spool are
    /// read back from disk and cost nothing [default: 512MiB, or a quarter of the machine's
    /// memory when that is less].
    #[arg(long, value_name = "SIZE|none", value_parser = parse_bound)]
    pub max_memory: Option<MemoryBound>,
}

/// `--max-memory`: a size, or no bound at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryBound {
    Bytes(u64),
    Unbounded,
}

/// Parse `--max-memory`: a size (`512MiB`) or `none`.
///
/// # Errors
/// Neither a size nor `none`.
pub fn parse_bound(s: &str) -> Result<MemoryBound, String> {
    if ["none", "unbounded", "unlimited"].contains(&s.trim().to_ascii_lowercase().as_str()) {
        return Ok(MemoryBound::Unbounded);
    }
    match parse_size(s)? {
        0 => Err("a memory bound of 0 would keep nothing (use `none` for no bound)".into()),
        n => Ok(MemoryBound::Bytes(n as u64)),
    }
}

/// The default memory budget of the long-running modes: 512 MiB, or a quarter of the
/// machine's memory when that is less (`total`: the machine's memory, when known).
#[must_use]
pub fn default_memory_budget(total: Option<u64>) -> u64 {
    const CAP: u64 = 512 << 20;
    total.map_or(CAP, |t| (t / 4).clamp(64 << 20, CAP))
}

/// The machine's memory (`MemTotal` of `/proc/meminfo`), where the system says.
#[must_use]
pub fn machine_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line
        .trim_start_matches("MemTotal:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

impl RetentionArgs {
    /// What the store keeps: the bounds given, and `default` bytes of memory when
    /// `--max-memory` is not given.
    #[must_use]
    pub fn retention_or(&self, default: u64) -> crate::model::store::Retention {
        crate::model::store::Retention {
            max_traces: self.max_traces,
            max_bytes: match self.max_memory {
                Some(MemoryBound::Bytes(b)) => Some(b),
                Some(MemoryBound::Unbounded) => None,
                None => Some(default),
            },
        }
    }

    /// What a long-running mode keeps by default: [`default_memory_budget`] of this machine.
    #[must_use]
    pub fn retention(&self) -> crate::model::store::Retention {
        self.retention_or(default_memory_budget(machine_memory()))
    }

    /// Whether a bound was given on the command line.
    #[must_use]
    pub fn given(&self) -> bool {
        self.max_traces.is_some() || self.max_memory.is_some()
    }
}

/// The OTLP receiver.
#[derive(Debug, Args, Clone, Default)]
pub struct ReceiverArgs {
    /// Receive OTLP traces and logs on 127.0.0.1:4317 (gRPC) and 127.0.0.1:4318 (HTTP: POST
    /// /v1/traces, /v1/logs, and JSON lines on /v1/jsonl), where OTLP exporters send by
    /// default. With an ADDR, OTLP/HTTP only, on ADDR (add --grpc ADDR for gRPC too).
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "")]
    pub listen: Option<String>,
    /// Receive OTLP/HTTP on this address (and OTLP/gRPC on its default, unless --grpc says
    /// otherwise).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
    /// Receive OTLP/gRPC on this address (and OTLP/HTTP on its default, unless --http or
    /// --listen ADDR says otherwise).
    #[arg(long, value_name = "ADDR")]
    pub grpc: Option<String>,
    /// Largest request body accepted, before and after decompression (e.g. 16MiB, 512KiB).
    #[arg(long, value_name = "SIZE", default_value = "16MiB", value_parser = parse_size)]
    pub max_body: usize,
    #[command(flatten)]
    pub auth: AuthArgs,
}

impl ReceiverArgs {
    /// Where to receive, if anywhere.
    ///
    /// # Errors
    /// The OTLP/HTTP address is given twice.
    pub fn endpoints(&self) -> Result<Option<Endpoints>, String> {
        Endpoints::of(
            self.listen.as_deref(),
            self.http.as_deref(),
            self.grpc.as_deref(),
        )
    }
}

/// Where a receiver listens: OTLP/HTTP always, OTLP/gRPC when asked (or by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub http: String,
    pub grpc: Option<String>,
}

impl Endpoints {
    /// OTLP/HTTP and OTLP/gRPC, each where exporters send by default.
    #[must_use]
    pub fn defaults() -> Endpoints {
        Endpoints {
            http: crate::ingest::http::DEFAULT_ADDR.into(),
            grpc: Some(crate::ingest::http::DEFAULT_GRPC_ADDR.into()),
        }
    }

    /// From `--listen [ADDR]` (empty when given bare), `--http ADDR` and `--grpc ADDR`:
    /// `--listen` alone, `--http` or `--grpc` open both, each at its default unless given;
    /// `--listen ADDR`, the older spelling, opens OTLP/HTTP on ADDR and gRPC only with
    /// `--grpc`. None when no flag asks for a receiver.
    ///
    /// # Errors
    /// `--listen ADDR` and `--http ADDR` both given.
    pub fn of(
        listen: Option<&str>,
        http: Option<&str>,
        grpc: Option<&str>,
    ) -> Result<Option<Endpoints>, String> {
        use crate::ingest::http::{DEFAULT_ADDR, DEFAULT_GRPC_ADDR};
        let or = |given: Option<&str>, default: &str| given.unwrap_or(default).to_string();
        Ok(match listen {
            Some(addr) if !addr.is_empty() => {
                if http.is_some() {
                    return Err(format!(
                        "--listen {addr} and --http both give the OTLP/HTTP address: give it once"
                    ));
                }
                Some(Endpoints {
                    http: addr.to_string(),
                    grpc: grpc.map(str::to_string),
                })
            }
            None if http.is_none() && grpc.is_none() => None,
            _ => Some(Endpoints {
                http: or(http, DEFAULT_ADDR),
                grpc: Some(or(grpc, DEFAULT_GRPC_ADDR)),
            }),
        })
    }
}

/// Who may send to the receiver.
#[derive(Debug, Args, Clone, Default)]
pub struct AuthArgs {
    /// Require `Authorization: Bearer TOKEN` on every request (401 otherwise). OTLP exporters
    /// send it with OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer TOKEN".
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SPANSCOPE_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

impl AuthArgs {
    /// The token, if one is set and not empty.
    #[must_use]
    pub fn token(&self) -> Option<String> {
        self.token.clone().filter(|t| !t.is_empty())
    }
}

/// Where a live session keeps what live sources send (a receiver, stdin, a followed URL):
/// the explorer and `list --follow`.
#[derive(Debug, Args, Clone, Default)]
pub struct SpoolArgs {
    /// Keep what live sources (--listen, stdin, followed URLs) send in a directory of this
    /// process's own under DIR, removed on exit [default: $XDG_CACHE_HOME/spanscope, i.e.
    /// ~/.cache/spanscope]. Payloads are read back from it; memory holds only the index.
    #[arg(long, value_name = "DIR")]
    pub spool: Option<std::path::PathBuf>,
    /// Bound the spool: beyond SIZE (e.g. 512MiB, 8GiB) its oldest segments are dropped and
    /// the traces that refer to them evicted (the header counts them).
    #[arg(long, value_name = "SIZE", default_value = "2GiB", value_parser = parse_spool_size)]
    pub max_spool: usize,
    /// Leave the spool in place on exit (renamed kept-PID-ID); it holds the bodies as they came.
    #[arg(long)]
    pub keep_spool: bool,
}

/// A size of at least 64 KiB, for `--max-spool`.
///
/// # Errors
/// Not a size, or a smaller one.
pub fn parse_spool_size(s: &str) -> Result<usize, String> {
    match parse_size(s)? {
        n if n >= 64 << 10 => Ok(n),
        _ => Err(format!("{s:?} is too small: a spool needs at least 64KiB")),
    }
}

/// A count of at least 1.
///
/// # Errors
/// Not a positive whole number.
pub fn parse_positive(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{s:?} is not a positive whole number")),
    }
}

/// A size: a number of bytes with an optional unit (KiB, MiB, GiB, or KB, MB, GB).
///
/// # Errors
/// Not a size.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (e.g. 16MiB, 512KiB, 1000000)"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        u => {
            return Err(format!(
                "unknown size unit {u:?} (KiB, MiB, GiB, KB, MB, GB)"
            ));
        }
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok((n * mult) as usize)
}

/// `spanscope record`.
#[derive(Debug, Args, Clone)]
pub struct RecordArgs {
    /// Receive OTLP/HTTP only, on this address (add --grpc ADDR for gRPC too) [default:
    /// OTLP/HTTP on 127.0.0.1:4318 and OTLP/gRPC on 127.0.0.1:4317].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Receive OTLP/HTTP on this address (and OTLP/gRPC on its default, unless --grpc says
    /// otherwise).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
    /// Receive OTLP/gRPC on this address (and OTLP/HTTP on its default, unless --http or
    /// --listen ADDR says otherwise).
    #[arg(long, value_name = "ADDR")]
    pub grpc: Option<String>,
    /// Append every accepted request here: one OTLP/JSON line per OTLP request, JSON lines
    /// as they came. The file is a normal source later (`spanscope FILE`).
    #[arg(long, value_name = "FILE.jsonl")]
    pub out: std::path::PathBuf,
    /// Largest request body accepted, before and after decompression.
    #[arg(long, value_name = "SIZE", default_value = "16MiB", value_parser = parse_size)]
    pub max_body: usize,
    /// Timestamps without a UTC offset (in JSON lines) are UTC (default: local time).
    #[arg(long)]
    pub naive_utc: bool,
    /// What the index behind the exit summary keeps (the file keeps everything); without
    /// either bound, --max-memory 256MiB.
    #[command(flatten)]
    pub retention: RetentionArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
}

impl RecordArgs {
    /// Where to receive: both defaults unless told.
    ///
    /// # Errors
    /// The OTLP/HTTP address is given twice.
    pub fn endpoints(&self) -> Result<Endpoints, String> {
        Endpoints::of(
            self.listen.as_deref(),
            self.http.as_deref(),
            self.grpc.as_deref(),
        )
        .map(|e| e.unwrap_or_else(Endpoints::defaults))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// One row per trace: start, name, status, duration, spans, LM calls, tokens, model.
    #[command(after_help = EXAMPLES)]
    List(ListArgs),
    /// One trace: its span waterfall with % of trace, or its prompts and responses.
    #[command(after_help = EXAMPLES)]
    Show(ShowArgs),
    /// Latency percentiles, errors and tokens per step name, model or kind.
    #[command(after_help = EXAMPLES)]
    Stats(StatsArgs),
    /// Conversations: the traces that share a session (session.id, gen_ai.conversation.id,
    /// MLflow's session, a dspy.History input, or --session-key), one row each; with
    /// --session ID, that conversation's transcript.
    #[command(after_help = sessions::EXAMPLES)]
    Sessions(SessionsArgs),
    /// Two traces side by side: steps aligned by name and position, latency and token deltas,
    /// steps in only one, and a line diff of each aligned LM call's prompt and response.
    #[command(after_help = EXAMPLES)]
    Diff(DiffArgs),
    /// Optimizer runs (DSPy compiles): optimizer, program, duration, LM calls, tokens, cost,
    /// and each trial (an Evaluate inside the run) with its score, traces, tokens and cost.
    #[command(after_help = EXAMPLES)]
    Runs(RunsArgs),
    /// The matching traces, one per line, as normalized trace lines (inputs, outputs, steps,
    /// prompts, responses, errors, tokens) or OTLP/JSON; spanscope reads either back.
    #[command(after_help = EXAMPLES)]
    Export(ExportArgs),
    /// Receive a live feed (OTLP/HTTP, JSON lines) without the explorer and keep it in a file,
    /// until interrupted (SIGINT, SIGTERM).
    Record(RecordArgs),
    /// Print the explorer's configuration in effect, or the commented default file.
    #[command(after_help = "Examples:
  spanscope config --default > ~/.config/spanscope/config.toml   # start a configuration
  spanscope config                                                # what the explorer will use
  spanscope config --path                                         # which file that is")]
    Config(ConfigArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Examples:
  spanscope completions bash > ~/.local/share/bash-completion/completions/spanscope
  spanscope completions zsh > ~/.zfunc/_spanscope        # with fpath+=(~/.zfunc) in .zshrc
  spanscope completions fish > ~/.config/fish/completions/spanscope.fish")]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `spanscope man | man -l -`.
    Man,
    /// Print the DSPy callback that writes traces for spanscope (one Python file, no dependency
    /// but DSPy), to put next to your program.
    #[command(after_help = "Example:
  spanscope dspy-writer > spanscope_dspy.py
  # then, in the program:
  #   from spanscope_dspy import SpanscopeCallback
  #   dspy.configure(callbacks=[SpanscopeCallback(\"traces.jsonl\")])
  spanscope traces.jsonl")]
    DspyWriter,
}

/// `spanscope config`.
#[derive(Debug, Args, Clone)]
pub struct ConfigArgs {
    /// Print the default file, every key commented, instead of the configuration in effect.
    #[arg(long, conflicts_with = "path")]
    pub default: bool,
    /// Print the path of the file the explorer reads (it may not exist).
    #[arg(long)]
    pub path: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ListArgs {
    #[command(flatten)]
    pub src: SourceArgs,
    /// Only traces matching this query (see the filter language below).
    #[arg(long, short, value_name = "QUERY", default_value = "")]
    pub filter: String,
    /// Sort key.
    #[arg(long, short, value_enum, default_value_t = SortKey::Start)]
    pub sort: SortKey,
    /// Invert the sort order.
    #[arg(long, short)]
    pub reverse: bool,
    /// Print at most N traces.
    #[arg(long, short = 'n', value_name = "N")]
    pub limit: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Exit with code 1 when no trace matches.
    #[arg(long)]
    pub fail_empty: bool,
    /// Keep reading what is appended to the files (and stdin), and print each trace once it
    /// has finished (not sorted; --format table, jsonl or csv).
    #[arg(long)]
    pub follow: bool,
    /// What the explorer and `list --follow` keep while they run (the oldest traces are
    /// evicted beyond either bound); a single `list` keeps every trace.
    #[command(flatten)]
    pub retention: RetentionArgs,
    #[command(flatten)]
    pub spool: SpoolArgs,
}

#[derive(Debug, Args, Clone)]
pub struct ShowArgs {
    /// The trace id, or a unique prefix of it.
    pub trace_id: String,
    #[command(flatten)]
    pub src: SourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
}

#[derive(Debug, Args, Clone)]
pub struct DiffArgs {
    /// The first trace (A): an id or a unique prefix.
    pub a: String,
    /// The second trace (B).
    pub b: String,
    #[command(flatten)]
    pub src: SourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
}

#[derive(Debug, Args, Clone)]
pub struct ExportArgs {
    #[command(flatten)]
    pub src: SourceArgs,
    /// Only traces matching this query (see the filter language below).
    #[arg(long, short, value_name = "QUERY", default_value = "")]
    pub filter: String,
    /// Output format (`--as examples`: dataset rows for `dspy.Example(**row)`).
    #[arg(long, visible_alias = "as", value_enum, default_value_t = ExportFormat::Jsonl)]
    pub format: ExportFormat,
    /// Write here instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct RunsArgs {
    #[command(flatten)]
    pub src: SourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RunsFormat::Table)]
    pub format: RunsFormat,
}

#[derive(Debug, Args, Clone)]
pub struct StatsArgs {
    #[command(flatten)]
    pub src: SourceArgs,
    /// Only spans of traces matching this query.
    #[arg(long, short, value_name = "QUERY", default_value = "")]
    pub filter: String,
    /// Group spans by step name, model or kind.
    #[arg(long, value_enum, default_value_t = GroupBy::Name)]
    pub by: GroupBy,
    /// Instead of steps, split the traces by a metadata value (attr.KEY, model, name or
    /// status): count, errors, latency and tokens per value, e.g. compiled vs uncompiled runs.
    #[arg(long, value_name = "KEY")]
    pub group: Option<String>,
    /// Sort groups by this column (largest first; name A to Z).
    #[arg(long, short, value_enum, default_value_t = StatsSort::P95)]
    pub sort: StatsSort,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
    pub format: StatsFormat,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memory_bound_is_a_size_or_none() {
        assert_eq!(parse_bound("256MiB"), Ok(MemoryBound::Bytes(256 << 20)));
        assert_eq!(parse_bound("None"), Ok(MemoryBound::Unbounded));
        assert!(parse_bound("0").unwrap_err().contains("none"));
        assert!(parse_bound("lots").is_err());
    }

    #[test]
    fn the_default_budget_is_512_mib_or_a_quarter_of_the_machine() {
        assert_eq!(default_memory_budget(None), 512 << 20);
        assert_eq!(default_memory_budget(Some(24 << 30)), 512 << 20);
        assert_eq!(default_memory_budget(Some(1 << 30)), 256 << 20);
        // a tiny machine still keeps something
        assert_eq!(default_memory_budget(Some(64 << 20)), 64 << 20);
        assert!(machine_memory().is_none_or(|m| m > 0));
    }

    #[test]
    fn every_long_running_mode_has_a_budget_unless_told_none() {
        let none = RetentionArgs::default();
        assert_eq!(none.retention_or(7).max_bytes, Some(7));
        let unbounded = RetentionArgs {
            max_memory: Some(MemoryBound::Unbounded),
            ..RetentionArgs::default()
        };
        assert_eq!(unbounded.retention_or(7).max_bytes, None);
        assert!(unbounded.given() && !none.given());
        assert!(none.retention().max_bytes.is_some());
    }

    #[test]
    fn listen_alone_opens_both_and_an_address_keeps_its_old_meaning() {
        let at = |http: &str, grpc: Option<&str>| {
            Ok(Some(Endpoints {
                http: http.into(),
                grpc: grpc.map(Into::into),
            }))
        };
        assert_eq!(Endpoints::of(None, None, None), Ok(None));
        let both = at("127.0.0.1:4318", Some("127.0.0.1:4317"));
        assert_eq!(Endpoints::of(Some(""), None, None), both);
        assert_eq!(
            Endpoints::of(Some("0.0.0.0:9"), None, None),
            at("0.0.0.0:9", None)
        );
        assert_eq!(
            Endpoints::of(Some("0.0.0.0:9"), None, Some(":1")),
            at("0.0.0.0:9", Some(":1"))
        );
        assert_eq!(
            Endpoints::of(None, None, Some("127.0.0.1:1")),
            at("127.0.0.1:4318", Some("127.0.0.1:1"))
        );
        assert_eq!(
            Endpoints::of(Some(""), Some("127.0.0.1:2"), None),
            at("127.0.0.1:2", Some("127.0.0.1:4317"))
        );
        let twice = Endpoints::of(Some("a:1"), Some("b:2"), None).unwrap_err();
        assert!(twice.contains("give it once"), "{twice}");
    }
}
