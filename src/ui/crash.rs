//! What happens when the explorer's UI thread panics: the terminal is restored first (raw
//! mode off, the main screen back, the cursor shown), then a crash report with the message,
//! where it happened and a backtrace is written to a file, and the process exits. A broken
//! terminal or a half-alive explorer is never left behind. A panic on any other thread (a
//! source being read, a request being received) is that thread's alone: the previous hook
//! prints it and that thread unwinds, while the explorer goes on.

use std::io::Write;
use std::panic::PanicHookInfo;
use std::path::{Path, PathBuf};
use std::thread::ThreadId;

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

/// Install the hook on the UI thread (the one calling this); `restore` puts the terminal back
/// and runs before anything is printed.
pub fn install(restore: fn()) {
    install_for(Crash {
        ui: std::thread::current().id(),
        restore,
        dir: report_dir(),
        exit: |code| std::process::exit(code),
    });
}

/// What a panic of the UI thread does; a struct so that tests can choose the thread, the
/// report directory and what exiting means.
struct Crash {
    /// The thread whose panic is a crash.
    ui: ThreadId,
    restore: fn(),
    /// Where the report goes.
    dir: PathBuf,
    /// Ends the process (tests record the call instead).
    exit: fn(i32),
}

/// Chain `crash` before the hook installed so far, which keeps the panics of other threads.
fn install_for(crash: Crash) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == crash.ui {
            crash.on_panic(info);
        } else {
            previous(info);
        }
    }));
}

impl Crash {
    fn on_panic(&self, info: &PanicHookInfo<'_>) {
        (self.restore)();
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
        match write_report(&self.dir, &report) {
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
        (self.exit)(EXIT_CODE);
    }
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

fn write_report(dir: &Path, report: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
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

    /// A panic on another thread leaves the terminal, writes no report and does not exit:
    /// that thread alone unwinds. A panic on the UI thread is a crash.
    #[test]
    fn only_a_panic_of_the_ui_thread_is_a_crash() {
        use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
        static RESTORED: AtomicUsize = AtomicUsize::new(0);
        static EXIT: AtomicI32 = AtomicI32::new(-1);
        let dir = tempfile::tempdir().unwrap();
        let reports = || std::fs::read_dir(dir.path()).map_or(0, Iterator::count);
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let ui = std::thread::Builder::new()
            .name("ui".into())
            .spawn(move || {
                let _ = wait.recv();
                panic!("the explorer failed");
            })
            .unwrap();
        install_for(Crash {
            ui: ui.thread().id(),
            restore: || {
                RESTORED.fetch_add(1, Ordering::SeqCst);
            },
            dir: dir.path().to_path_buf(),
            exit: |code| EXIT.store(code, Ordering::SeqCst),
        });
        let other = std::thread::Builder::new()
            .name("reader".into())
            .spawn(|| panic!("a reader failed"))
            .unwrap()
            .join();
        assert!(other.is_err(), "the reader unwound");
        assert_eq!(
            RESTORED.load(Ordering::SeqCst),
            0,
            "the terminal was left alone"
        );
        assert_eq!(EXIT.load(Ordering::SeqCst), -1, "no exit");
        assert_eq!(reports(), 0, "no report");
        go.send(()).unwrap();
        assert!(ui.join().is_err());
        assert_eq!(RESTORED.load(Ordering::SeqCst), 1);
        assert_eq!(EXIT.load(Ordering::SeqCst), EXIT_CODE);
        let written: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(written.len(), 1);
        let text = std::fs::read_to_string(written[0].as_ref().unwrap().path()).unwrap();
        assert!(text.contains("panic:    the explorer failed"), "{text}");
        assert!(text.contains("thread:   ui"), "{text}");
    }
}
