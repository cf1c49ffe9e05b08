//! The record file's transaction: a request is appended whole and kept only if its batch was
//! queued for the index, so the file holds exactly the requests that were acknowledged. What
//! was written of a refused request is cut off again; when that fails, the file refuses
//! further requests until a later attempt to cut it off succeeds.

use super::counters::{Counters, bump};
use std::fs::File;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// What the transaction needs of a file; a trait so that tests can make each step fail.
pub(super) trait RecordFile: Send {
    /// The length to cut the file back to if what is appended next is refused; `None` when
    /// it cannot be cut back (a pipe, a device), where nothing can be undone.
    fn end(&mut self) -> io::Result<Option<u64>>;
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    fn truncate(&mut self, len: u64) -> io::Result<()>;
    /// Put what was appended on disk.
    fn sync(&mut self) -> io::Result<()>;
}

impl RecordFile for File {
    fn end(&mut self) -> io::Result<Option<u64>> {
        let m = self.metadata()?;
        Ok(m.is_file().then_some(m.len()))
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_all(bytes)
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }

    fn sync(&mut self) -> io::Result<()> {
        match self.sync_all() {
            // not a file that can be synced (a pipe, a device)
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(()),
            r => r,
        }
    }
}

/// Why a request could not be recorded.
#[derive(Debug, thiserror::Error)]
pub(super) enum RecordError {
    #[error("cannot append to the record file: {0}")]
    Write(#[source] io::Error),
    #[error(
        "the record file ends with part of a refused request that cannot be removed ({0}); \
         nothing more is recorded until it is"
    )]
    Inconsistent(#[source] io::Error),
}

/// Why a commit did not happen.
#[derive(Debug)]
pub(super) enum Refused<E> {
    /// The file could not take the request.
    Record(RecordError),
    /// The request was written, then `queue` refused it; what was written is cut off again.
    Queue(E),
}

/// A record file and the counters its outcomes go to.
pub(super) struct Recorder<F: RecordFile = File> {
    state: Mutex<State<F>>,
    counters: Arc<Counters>,
}

struct State<F> {
    file: F,
    /// Set while the file ends with bytes of a refused request that could not be cut off:
    /// the length to cut it back to before anything more is appended.
    cut_to: Option<u64>,
}

impl<F: RecordFile> State<F> {
    /// Cut off what was written of a refused request; on failure, remember where to cut.
    fn undo(&mut self, to: Option<u64>, counters: &Counters) {
        let Some(len) = to else { return };
        if self.file.truncate(len).is_err() {
            bump(&counters.undo_failed);
            self.cut_to = Some(len);
        }
    }

    /// Make the file hold only acknowledged requests again, if an undo is outstanding.
    fn settle(&mut self) -> Result<(), RecordError> {
        if let Some(len) = self.cut_to {
            self.file.truncate(len).map_err(RecordError::Inconsistent)?;
            self.cut_to = None;
        }
        Ok(())
    }
}

impl<F: RecordFile> Recorder<F> {
    pub(super) fn new(file: F, counters: Arc<Counters>) -> Recorder<F> {
        Recorder {
            state: Mutex::new(State { file, cut_to: None }),
            counters,
        }
    }

    /// Append `line`, then `queue` the request: both, or neither. The file stays locked
    /// meanwhile, so the file's order is the queue's. A request that cannot be written (a
    /// full disk, or an earlier undo still outstanding) is not queued.
    pub(super) fn commit<T, E>(
        &self,
        line: &[u8],
        queue: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, Refused<E>> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let refuse = |e: RecordError| {
            bump(&self.counters.record_failed);
            Refused::Record(e)
        };
        s.settle().map_err(refuse)?;
        let before = s.file.end().map_err(|e| refuse(RecordError::Write(e)))?;
        if let Err(e) = s.file.append(line) {
            s.undo(before, &self.counters);
            return Err(refuse(RecordError::Write(e)));
        }
        match queue() {
            Ok(t) => {
                bump(&self.counters.recorded);
                Ok(t)
            }
            Err(e) => {
                s.undo(before, &self.counters);
                Err(Refused::Queue(e))
            }
        }
    }

    /// Put everything acknowledged on disk, after a last attempt at an outstanding undo.
    ///
    /// # Errors
    /// The file cannot be synced, or still ends with part of a refused request.
    pub(super) fn finish(&self) -> io::Result<()> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.settle().map_err(io::Error::other)?;
        s.file.sync()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    /// A file in memory whose steps fail on demand.
    #[derive(Default)]
    struct Flaky {
        bytes: Vec<u8>,
        /// Appends write this many bytes, then fail.
        append_fails_after: Option<usize>,
        truncate_fails: bool,
    }

    impl RecordFile for Flaky {
        fn end(&mut self) -> io::Result<Option<u64>> {
            Ok(Some(self.bytes.len() as u64))
        }

        fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
            match self.append_fails_after {
                Some(n) => {
                    self.bytes.extend_from_slice(&bytes[..n.min(bytes.len())]);
                    Err(io::Error::other("no space left"))
                }
                None => {
                    self.bytes.extend_from_slice(bytes);
                    Ok(())
                }
            }
        }

        fn truncate(&mut self, len: u64) -> io::Result<()> {
            if self.truncate_fails {
                return Err(io::Error::other("cannot truncate"));
            }
            self.bytes.truncate(usize::try_from(len).unwrap());
            Ok(())
        }

        fn sync(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn recorder() -> Recorder<Flaky> {
        Recorder::new(Flaky::default(), Arc::new(Counters::default()))
    }

    fn with<R>(r: &Recorder<Flaky>, f: impl FnOnce(&mut Flaky) -> R) -> R {
        f(&mut r.state.lock().unwrap().file)
    }

    fn count(r: &Recorder<Flaky>) -> [u64; 3] {
        let c = &r.counters;
        [&c.recorded, &c.record_failed, &c.undo_failed].map(|v| v.load(Ordering::Relaxed))
    }

    fn ok(r: &Recorder<Flaky>, line: &str) -> Result<(), Refused<()>> {
        r.commit(line.as_bytes(), || Ok::<(), ()>(()))
    }

    #[test]
    fn a_queued_request_is_kept() {
        let r = recorder();
        assert!(ok(&r, "a\n").is_ok());
        assert!(ok(&r, "b\n").is_ok());
        assert_eq!(with(&r, |f| f.bytes.clone()), b"a\nb\n");
        assert_eq!(count(&r), [2, 0, 0]);
        r.finish().unwrap();
    }

    #[test]
    fn a_request_the_queue_refuses_is_cut_off_again() {
        let r = recorder();
        assert!(ok(&r, "a\n").is_ok());
        let res = r.commit(b"b\n", || Err::<(), _>("busy"));
        assert!(matches!(res, Err(Refused::Queue("busy"))));
        assert_eq!(with(&r, |f| f.bytes.clone()), b"a\n");
        assert_eq!(count(&r), [1, 0, 0]);
    }

    #[test]
    fn a_partial_write_is_cut_off_and_not_queued() {
        let r = recorder();
        assert!(ok(&r, "a\n").is_ok());
        with(&r, |f| f.append_fails_after = Some(3));
        let mut queued = false;
        let res = r.commit(b"bbbbbb\n", || {
            queued = true;
            Ok::<(), ()>(())
        });
        assert!(matches!(res, Err(Refused::Record(RecordError::Write(_)))));
        assert!(!queued);
        assert_eq!(with(&r, |f| f.bytes.clone()), b"a\n");
        assert_eq!(count(&r), [1, 1, 0]);
    }

    /// An undo that fails is counted, and nothing more is written after the partial request
    /// (nor queued) until cutting it off succeeds; then recording goes on where it was.
    #[test]
    fn a_failed_undo_refuses_writes_until_the_file_is_consistent() {
        let r = recorder();
        assert!(ok(&r, "a\n").is_ok());
        with(&r, |f| {
            f.append_fails_after = Some(3);
            f.truncate_fails = true;
        });
        assert!(ok(&r, "bbbbbb\n").is_err());
        assert_eq!(count(&r), [1, 1, 1]);
        // the disk has room again, but the partial request is still there: refused
        with(&r, |f| f.append_fails_after = None);
        let mut queued = false;
        let res = r.commit(b"c\n", || {
            queued = true;
            Ok::<(), ()>(())
        });
        assert!(
            matches!(res, Err(Refused::Record(RecordError::Inconsistent(_)))),
            "{res:?}"
        );
        assert!(!queued);
        assert_eq!(with(&r, |f| f.bytes.clone()), b"a\nbbb");
        assert_eq!(count(&r), [1, 2, 1]);
        assert!(r.finish().is_err(), "the file is not consistent");
        // once the file can be cut, it is, and recording resumes
        with(&r, |f| f.truncate_fails = false);
        assert!(ok(&r, "c\n").is_ok());
        assert_eq!(with(&r, |f| f.bytes.clone()), b"a\nc\n");
        assert_eq!(count(&r), [2, 2, 1]);
        r.finish().unwrap();
    }

    #[test]
    fn a_failed_undo_after_a_queue_refusal_is_counted_too() {
        let r = recorder();
        with(&r, |f| f.truncate_fails = true);
        assert!(r.commit(b"a\n", || Err::<(), _>(())).is_err());
        assert_eq!(count(&r), [0, 0, 1]);
        assert!(ok(&r, "b\n").is_err());
        with(&r, |f| f.truncate_fails = false);
        r.finish().unwrap();
        assert_eq!(with(&r, |f| f.bytes.clone()), b"");
    }

    #[test]
    fn a_regular_file_can_be_cut_back_and_a_device_cannot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let mut f = File::options()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        assert_eq!(f.end().unwrap(), Some(0));
        f.append(b"x\n").unwrap();
        assert_eq!(f.end().unwrap(), Some(2));
        f.truncate(0).unwrap();
        f.sync().unwrap();
        let mut null = File::options().append(true).open("/dev/null").unwrap();
        assert_eq!(
            null.end().unwrap(),
            None,
            "a device has no length to go back to"
        );
        null.sync().unwrap();
    }
}
