//! What happens when the explorer panics, on any thread: the terminal is restored first (raw
//! mode off, the main screen back, the cursor shown), then a crash report with the message,
//! where it happened and a backtrace is written to a file, and the process exits. A broken
//! terminal or a half-alive explorer is never left behind.

use std::io::Write;
use std::path::PathBuf;

/// The exit code after a crash (as Rust's own for a panic).
pub const EXIT_CODE: i32 = 101;

/// Where crash reports go: `$XDG_STATE_HOME/spanscope`, else `~/.local/state/spanscope`, else
/// the temporary directory.
#[must_use]
pub fn report_dir() -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/state"))
        })
        .unwrap_or_else(std::env::temp_dir);
    state.join("spanscope")
}

/// Install the hook; `restore` puts the terminal back and runs before anything is printed.
pub fn install(restore: fn()) {
    std::panic::set_hook(Box::new(move |info| {
        restore();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        let location = info
            .location()
            .map_or_else(String::new, |l| format!("{}:{}", l.file(), l.line()));
        let thread = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_string();
        let report = report(&message, &location, &thread);
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "spanscope crashed: {message} ({location})");
        match write_report(&report) {
            Ok(path) => {
                let _ = writeln!(
                    err,
                    "A crash report was written to {}\nPlease report it: open an issue in the \
                     spanscope repository with that file attached (it holds no trace data; \
                     check the command line in it for anything private).",
                    path.display()
                );
            }
            Err(e) => {
                let _ = writeln!(
                    err,
                    "(the crash report could not be written: {e})\n{report}"
                );
            }
        }
        let _ = err.flush();
        std::process::exit(EXIT_CODE);
    }));
}

/// The text of a report.
fn report(message: &str, location: &str, thread: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    format!(
        "spanscope crash report\n\
         version:  {}\n\
         time:     {}\n\
         platform: {} {}\n\
         command:  {}\n\
         thread:   {thread}\n\
         panic:    {message}\n\
         at:       {location}\n\
         \n\
         How to report: open an issue in the spanscope repository, attach this file, and say\n\
         what you were doing (the keys pressed, the kind of traces). It holds no trace data.\n\
         \n\
         backtrace:\n{}\n",
        env!("CARGO_PKG_VERSION"),
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        std::env::consts::OS,
        std::env::consts::ARCH,
        args.join(" "),
        std::backtrace::Backtrace::force_capture(),
    )
}

fn write_report(report: &str) -> std::io::Result<PathBuf> {
    let dir = report_dir();
    std::fs::create_dir_all(&dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let path = dir.join(format!("crash-{stamp}-{}.txt", std::process::id()));
    std::fs::write(&path, report)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_says_what_where_and_how_to_report() {
        let r = report("index out of bounds", "src/ui/app.rs:10", "main");
        assert!(r.contains("panic:    index out of bounds"));
        assert!(r.contains("at:       src/ui/app.rs:10"));
        assert!(r.contains("How to report"));
        assert!(r.contains(env!("CARGO_PKG_VERSION")));
    }
}
