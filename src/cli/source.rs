//! What every command that reads sources takes: the sources and how to read them.

use clap::Args;

/// What every command reads.
#[derive(Debug, Args, Clone, Default)]
pub struct SourceArgs {
    /// Files, directories, or - for stdin (an MLflow store: its file, or its
    /// `sqlite:///PATH` tracking URI).
    #[arg(value_name = "SOURCES", value_parser = source)]
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

/// A source as given; MLflow's tracking URI of a store in sqlite (`sqlite:///mlflow.db`, as
/// `MLFLOW_TRACKING_URI` names it; `sqlite:////abs/mlflow.db`) is that file.
fn source(s: &str) -> Result<String, std::convert::Infallible> {
    Ok(s.strip_prefix("sqlite:///").unwrap_or(s).to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sqlite_tracking_uri_is_its_file() {
        let s = |x: &str| super::source(x).unwrap();
        assert_eq!(s("sqlite:///mlflow.db"), "mlflow.db");
        assert_eq!(s("sqlite:////tmp/store/mlflow.db"), "/tmp/store/mlflow.db");
        assert_eq!(s("traces.jsonl"), "traces.jsonl");
        assert_eq!(
            s("http://127.0.0.1:8000/traces"),
            "http://127.0.0.1:8000/traces"
        );
    }
}
