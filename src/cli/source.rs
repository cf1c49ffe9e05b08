//! What every command that reads sources takes: the sources and how to read them.

use clap::Args;

/// What every command reads.
#[derive(Debug, Args, Clone, Default)]
pub struct SourceArgs {
    /// Files, directories, or - for stdin.
    #[arg(value_name = "SOURCES")]
    pub sources: Vec<String>,
    /// Treat any rejected line as fatal (exit code 3).
    #[arg(long, global = true)]
    pub strict: bool,
    /// Timestamps without a UTC offset are UTC (default: local time).
    #[arg(long, global = true)]
    pub naive_utc: bool,
    /// Show times in UTC instead of local time.
    #[arg(long, global = true)]
    pub utc: bool,
    /// Do not summarize rejected lines on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// The attribute (or MLflow trace metadata key) that says which conversation a trace is a
    /// turn of, looked for before session.id, gen_ai.conversation.id and MLflow's session.
    #[arg(long, value_name = "KEY", global = true)]
    pub session_key: Option<String>,
}
