//! `spanscope sessions`: its arguments.

use super::source::SourceArgs;
use crate::headless::sessions::SessionsFormat;
use clap::Args;

pub const EXAMPLES: &str = "Examples:
  spanscope sessions traces.jsonl                          # one row per conversation
  spanscope sessions traces.jsonl -f 'status:error'        # the conversations with a failed turn
  spanscope sessions traces.jsonl --session dspy-3fa9      # one conversation's transcript
  spanscope sessions traces.jsonl --session-key user.thread --format json";

/// `spanscope sessions`.
#[derive(Debug, Args, Clone)]
pub struct SessionsArgs {
    #[command(flatten)]
    pub src: SourceArgs,
    /// Only the conversations with a turn matching this query (each shown with all its turns).
    #[arg(long, short, value_name = "QUERY", default_value = "")]
    pub filter: String,
    /// Print this conversation's transcript (its id, or a unique prefix of it): each turn's
    /// input and final answer, in order.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SessionsFormat::Table)]
    pub format: SessionsFormat,
}
