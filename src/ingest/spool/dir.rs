//! Where a spool lives: a directory of its own per process under a root every spanscope shares
//! (`$XDG_CACHE_HOME/spanscope`, `~/.cache/spanscope`, or `--spool DIR`). The directory holds a
//! lock file that its process keeps locked while it lives, so a directory whose lock can be
//! taken belongs to a process that is gone (killed, crashed) and any later start removes it;
//! one whose lock is held is never touched, so several spanscopes can run at once. A process
//! removes its own directory when it ends (or renames it `kept-…` with `--keep-spool`).
//!
//! Names under the root: `run-PID-ID` (a live or stale spool), `.new-PID-ID` (one being made,
//! renamed to `run-…` once locked), `.old-…` (a stale one being removed), `kept-PID-ID`
//! (kept on purpose, never removed). Nothing else under the root is touched.

use std::ffi::OsString;
use std::fs::{self, DirBuilder, File, TryLockError};
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

const RUN: &str = "run-";
const NEW: &str = ".new-";
const OLD: &str = ".old-";
const KEPT: &str = "kept-";
const LOCK: &str = "lock";

/// How old a directory still being made (`.new-…`) must be before a later start takes it for
/// the leftover of a process that died while making it.
const UNFINISHED: Duration = Duration::from_secs(600);

/// The spool directories of this process, for the exits that do not unwind (a crash of the
/// explorer, a signal): their paths and whether each is kept.
static LIVE: Mutex<Vec<(PathBuf, bool)>> = Mutex::new(Vec::new());

/// The root spools go under by default: `$XDG_CACHE_HOME/spanscope`, else
/// `~/.cache/spanscope`; `None` without either variable.
#[must_use]
pub fn default_root() -> Option<PathBuf> {
    root_from(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"))
}

/// The default root given `$XDG_CACHE_HOME` and `$HOME` (a relative `XDG_CACHE_HOME` is
/// ignored, as the XDG specification says).
fn root_from(xdg: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let base = xdg
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("spanscope"))
}

/// What [`clean_stale`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cleaned {
    /// Directories of processes that are gone.
    pub dirs: usize,
    /// The bytes their files held.
    pub bytes: u64,
}

/// Remove the spools under `root` whose process is gone: every `run-…` directory whose lock
/// can be taken, every `.old-…` one (a removal that was cut short), and every `.new-…` one
/// older than ten minutes. A root that does not exist has nothing to clean.
///
/// # Errors
/// The root cannot be listed.
pub fn clean_stale(root: &Path) -> io::Result<Cleaned> {
    let entries = match fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Cleaned::default()),
        Err(e) => return Err(e),
    };
    let mut cleaned = Cleaned::default();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = entry.path();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let leftover =
            name.starts_with(OLD) || (name.starts_with(NEW) && older_than(&path, UNFINISHED));
        let removed = if let Some(rest) = name.strip_prefix(RUN) {
            remove_if_unlocked(root, &path, rest)
        } else if leftover {
            remove(&path)
        } else {
            None
        };
        if let Some(bytes) = removed {
            cleaned.dirs += 1;
            cleaned.bytes += bytes;
        }
    }
    Ok(cleaned)
}

/// Remove a `run-…` directory whose lock can be taken (held while it is renamed away, so two
/// starts never both remove it); the bytes it held.
fn remove_if_unlocked(root: &Path, path: &Path, rest: &str) -> Option<u64> {
    let lock = File::open(path.join(LOCK)).ok()?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock | TryLockError::Error(_)) => return None,
    }
    // renamed first, so that a removal cut short is recognized as one
    let old = root.join(format!("{OLD}{rest}"));
    fs::rename(path, &old).ok()?;
    remove(&old)
}

/// Remove a directory and what is in it; the bytes its files held, `None` if it could not be.
fn remove(path: &Path) -> Option<u64> {
    let bytes = size(path);
    fs::remove_dir_all(path).ok().map(|()| bytes)
}

/// The bytes of the files directly in `dir` (a spool holds no subdirectories).
fn size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(fs::Metadata::is_file)
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn older_than(path: &Path, age: Duration) -> bool {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| SystemTime::now().duration_since(t).unwrap_or_default() > age)
}

/// This process's spool directory, locked while it exists. Dropping it removes the directory
/// (or, when kept, renames it `kept-…`); files of it still open elsewhere stay readable.
#[derive(Debug)]
pub struct SpoolDir {
    path: PathBuf,
    root: PathBuf,
    name: String,
    keep: bool,
    /// Holds the lock for as long as the directory is this process's.
    _lock: File,
}

impl SpoolDir {
    /// Make a directory of this process's own under `root` (made if missing, readable by its
    /// owner only: it will hold prompts), after removing the stale spools there.
    ///
    /// # Errors
    /// The root or the directory cannot be made, or its lock file cannot be made and locked.
    pub fn create(root: &Path, keep: bool) -> io::Result<SpoolDir> {
        DirBuilder::new().recursive(true).mode(0o700).create(root)?;
        // a root that cannot be listed still takes a new spool
        let _ = clean_stale(root);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let name = format!("{}-{:x}", std::process::id(), nanos & 0xffff_ffff_ffff);
        let new = root.join(format!("{NEW}{name}"));
        DirBuilder::new().mode(0o700).create(&new)?;
        let lock = File::create(new.join(LOCK)).and_then(|f| match f.try_lock() {
            Ok(()) => Ok(f),
            Err(TryLockError::WouldBlock) => Err(io::Error::other("its lock is held")),
            Err(TryLockError::Error(e)) => Err(e),
        });
        let lock = match lock {
            Ok(l) => l,
            Err(e) => {
                let _ = fs::remove_dir_all(&new);
                return Err(e);
            }
        };
        let path = root.join(format!("{RUN}{name}"));
        if let Err(e) = fs::rename(&new, &path) {
            let _ = fs::remove_dir_all(&new);
            return Err(e);
        }
        LIVE.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((path.clone(), keep));
        Ok(SpoolDir {
            path,
            root: root.to_path_buf(),
            name,
            keep,
            _lock: lock,
        })
    }

    /// The directory the segments go in.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the directory will be once this process ends: its path, or its `kept-…` name.
    #[must_use]
    pub fn kept_path(&self) -> Option<PathBuf> {
        self.keep
            .then(|| self.root.join(format!("{KEPT}{}", self.name)))
    }
}

impl Drop for SpoolDir {
    fn drop(&mut self) {
        LIVE.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(p, _)| *p != self.path);
        finish(&self.path, self.keep);
    }
}

/// Remove a spool directory, or rename it `kept-…`.
fn finish(path: &Path, keep: bool) {
    if keep {
        if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            let kept = name.replacen(RUN, KEPT, 1);
            let _ = fs::rename(path, path.with_file_name(kept));
        }
    } else {
        let _ = fs::remove_dir_all(path);
    }
}

/// Remove (or keep, as asked) every spool directory of this process now: for an exit that does
/// not unwind, such as a crash of the explorer or a signal.
pub fn finish_all_now() {
    let live = std::mem::take(&mut *LIVE.lock().unwrap_or_else(PoisonError::into_inner));
    for (path, keep) in live {
        finish(&path, keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(root: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    /// A spool left by a process that is gone: a `run-…` directory with an unlocked lock.
    fn stale(root: &Path, name: &str, bytes: usize) -> PathBuf {
        let dir = root.join(format!("{RUN}{name}"));
        fs::create_dir_all(&dir).unwrap();
        File::create(dir.join(LOCK)).unwrap();
        fs::write(dir.join("000001.seg"), vec![b'x'; bytes]).unwrap();
        dir
    }

    #[test]
    fn a_spool_is_a_locked_directory_of_its_own_removed_when_dropped() {
        let root = tempfile::tempdir().unwrap();
        let a = SpoolDir::create(root.path(), false).unwrap();
        let b = SpoolDir::create(root.path(), false).unwrap();
        assert_ne!(a.path(), b.path());
        assert!(a.path().starts_with(root.path()));
        let name = a.path().file_name().unwrap().to_str().unwrap().to_string();
        assert!(
            name.starts_with(&format!("run-{}-", std::process::id())),
            "{name}"
        );
        let lock = File::open(a.path().join(LOCK)).unwrap();
        assert!(matches!(lock.try_lock(), Err(TryLockError::WouldBlock)));
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(a.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        drop(a);
        assert_eq!(names(root.path()).len(), 1, "only b is left");
        drop(b);
        assert!(names(root.path()).is_empty());
    }

    #[test]
    fn a_stale_spool_is_removed_and_a_live_one_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let live = SpoolDir::create(root.path(), false).unwrap();
        let gone = stale(root.path(), "1-dead", 1000);
        // a directory made by someone else, and a file, are never touched
        fs::create_dir(root.path().join("notes")).unwrap();
        fs::write(root.path().join("run-file"), b"x").unwrap();
        let cleaned = clean_stale(root.path()).unwrap();
        assert_eq!(
            cleaned,
            Cleaned {
                dirs: 1,
                bytes: 1000
            }
        );
        assert!(!gone.exists());
        assert!(live.path().exists());
        let mut want = vec![
            "notes".to_string(),
            "run-file".to_string(),
            live.path()
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .to_string(),
        ];
        want.sort();
        assert_eq!(names(root.path()), want);
        // a lock held elsewhere keeps a directory too (another spanscope running)
        let other = stale(root.path(), "2-other", 10);
        let held = File::open(other.join(LOCK)).unwrap();
        held.try_lock().unwrap();
        assert_eq!(clean_stale(root.path()).unwrap().dirs, 0);
        assert!(other.exists());
        drop(held);
        assert_eq!(clean_stale(root.path()).unwrap().dirs, 1);
        assert!(!other.exists());
    }

    #[test]
    fn a_new_spool_cleans_what_was_left_and_cut_short_removals_are_finished() {
        let root = tempfile::tempdir().unwrap();
        stale(root.path(), "1-dead", 10);
        fs::create_dir(root.path().join(".old-3-cut")).unwrap();
        // being made by a process this very moment: too young to be a leftover
        fs::create_dir(root.path().join(".new-4-young")).unwrap();
        let d = SpoolDir::create(root.path(), false).unwrap();
        let here = names(root.path());
        assert_eq!(here.len(), 2, "{here:?}");
        assert!(here.contains(&".new-4-young".to_string()));
        drop(d);
    }

    #[test]
    fn a_kept_spool_is_renamed_and_never_cleaned() {
        let root = tempfile::tempdir().unwrap();
        let d = SpoolDir::create(root.path(), true).unwrap();
        fs::write(d.path().join("000001.seg"), b"body").unwrap();
        let kept = d.kept_path().unwrap();
        drop(d);
        assert_eq!(fs::read(kept.join("000001.seg")).unwrap(), b"body");
        assert_eq!(clean_stale(root.path()).unwrap().dirs, 0);
        assert!(kept.exists());
    }

    #[test]
    fn a_missing_root_has_nothing_to_clean_and_a_root_is_made() {
        let root = tempfile::tempdir().unwrap();
        let deep = root.path().join("a/b");
        assert_eq!(clean_stale(&deep).unwrap(), Cleaned::default());
        let d = SpoolDir::create(&deep, false).unwrap();
        assert!(d.path().starts_with(&deep));
    }

    #[test]
    fn the_default_root_follows_xdg_then_home() {
        let os = |s: &str| Some(OsString::from(s));
        assert_eq!(
            root_from(os("/c"), os("/h")),
            Some(PathBuf::from("/c/spanscope"))
        );
        assert_eq!(
            root_from(None, os("/h")),
            Some(PathBuf::from("/h/.cache/spanscope"))
        );
        // empty or relative: not a cache home
        for xdg in ["", "rel/cache"] {
            assert_eq!(
                root_from(os(xdg), os("/h")),
                Some(PathBuf::from("/h/.cache/spanscope")),
                "{xdg:?}"
            );
        }
        assert_eq!(root_from(None, os("")), None);
        assert_eq!(root_from(None, None), None);
    }
}
