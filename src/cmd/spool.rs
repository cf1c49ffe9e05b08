//! The spool of a live session (`--spool`, `--max-spool`, `--keep-spool`): opened when a
//! source needs one (a receiver, stdin, a followed URL), and removed on every way out: when
//! the command returns or unwinds (its directory's guard drops), on SIGINT, SIGTERM or SIGHUP
//! (below), after a crash of the explorer (its crash hook), and for a kill that leaves no
//! chance, by the next start, which removes spools whose process is gone.

use super::common::Failure;
use crate::cli::SpoolArgs;
use crate::ingest::spool::{self, Spool, SpoolDir};
use crate::model::store::Registry;
use std::path::PathBuf;
use std::sync::Arc;

/// A session's spool and the directory it lives in (removed when this drops).
#[derive(Debug)]
pub struct Session {
    pub spool: Spool,
    pub dir: SpoolDir,
}

/// Whether reading `sources` (and a receiver, with `listen`) needs a spool: stdin and URLs
/// are streams whose bytes are nowhere else.
#[must_use]
pub fn needed(sources: &[String], listen: bool) -> bool {
    listen
        || sources
            .iter()
            .any(|s| s == "-" || crate::ingest::follow::is_url(s))
}

/// Where spools go: `--spool DIR`, else the cache directory.
fn root(args: &SpoolArgs) -> Option<PathBuf> {
    args.spool.clone().or_else(spool::default_root)
}

/// Open a spool for a live session when `needed`; in any case, remove the spools that
/// processes now gone left under the root.
///
/// # Errors
/// No place for the spool (no `--spool`, `$XDG_CACHE_HOME` nor `$HOME`), or its directory
/// cannot be made.
pub fn open(
    args: &SpoolArgs,
    needed: bool,
    registry: Arc<Registry>,
) -> Result<Option<Session>, Failure> {
    let Some(root) = root(args) else {
        if needed {
            return Err(Failure::usage(
                "live sources keep what they receive in a spool on disk, and there is no \
                 place for it: give one with --spool DIR (or set XDG_CACHE_HOME or HOME)",
            ));
        }
        return Ok(None);
    };
    if !needed {
        // a start that needs no spool still removes what a killed session left
        let _ = spool::clean_stale(&root);
        return Ok(None);
    }
    let dir = SpoolDir::create(&root, args.keep_spool).map_err(|e| {
        Failure::source(format!(
            "cannot make the spool under {}: {e} (choose another place with --spool DIR)",
            root.display()
        ))
    })?;
    let spool = Spool::private(registry, &dir, args.max_spool as u64);
    Ok(Some(Session { spool, dir }))
}

/// When the session ends, its directory goes (its own drop); a kept one is said on stderr.
impl Drop for Session {
    fn drop(&mut self) {
        if let Some(kept) = self.dir.kept_path() {
            eprintln!("spanscope: the spool is kept in {}", kept.display());
        }
    }
}

/// On SIGINT, SIGTERM or SIGHUP, put the terminal back with `restore` (the explorer's), remove
/// this process's spools (or keep them, as asked) and exit as the signal would have (128 + its
/// number). Runs on a thread of its own.
///
/// # Errors
/// The thread or its signal handlers cannot be set up.
pub fn finish_on_signals(restore: Option<fn()>) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // installed here, before the thread runs, so that no signal is missed
    let (mut int, mut term, mut hup) = runtime.block_on(async {
        Ok::<_, std::io::Error>((
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
            signal(SignalKind::hangup())?,
        ))
    })?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let code = runtime.block_on(async {
                tokio::select! {
                    _ = int.recv() => 130,
                    _ = term.recv() => 143,
                    _ = hup.recv() => 129,
                }
            });
            if let Some(restore) = restore {
                restore();
            }
            spool::finish_all_now();
            std::process::exit(code);
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(dir: &std::path::Path) -> SpoolArgs {
        SpoolArgs {
            spool: Some(dir.to_path_buf()),
            max_spool: 1 << 20,
            keep_spool: false,
        }
    }

    #[test]
    fn streams_and_receivers_need_a_spool_and_files_do_not() {
        let s = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert!(needed(&s(&["-"]), false));
        assert!(needed(&s(&["a.jsonl", "http://h/x"]), false));
        assert!(needed(&s(&[]), true));
        assert!(!needed(&s(&["a.jsonl", "dir/"]), false));
    }

    #[test]
    fn a_session_opens_where_told_and_cleans_what_was_left() {
        let root = tempfile::tempdir().unwrap();
        let registry = Arc::new(Registry::default());
        let first = open(&args(root.path()), true, Arc::clone(&registry))
            .unwrap()
            .unwrap();
        assert!(first.dir.path().starts_with(root.path()));
        assert_eq!(first.spool.path(), first.dir.path());
        assert!(open(&args(root.path()), false, registry).unwrap().is_none());
        assert!(first.dir.path().exists(), "a live spool is left alone");
        let path = first.dir.path().to_path_buf();
        drop(first);
        assert!(!path.exists());
        let bad = args(std::path::Path::new("/proc/no-such-place"));
        let e = open(&bad, true, Arc::new(Registry::default())).unwrap_err();
        assert!(e.message.contains("--spool DIR"), "{}", e.message);
    }
}
