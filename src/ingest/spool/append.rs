//! The append transaction of a file that holds what was acknowledged (a spool segment, a
//! record file): bytes are appended whole and kept only if what they belong to was queued for
//! the index, so the file holds exactly what was acknowledged. What was written of a refused
//! request is cut off again; when that fails, the file refuses further appends until a later
//! attempt to cut it off succeeds.

use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;

/// What the transaction needs of a file; a trait so that tests can make each step fail.
pub trait AppendFile: Send {
    /// The length to cut the file back to if what is appended next is refused; `None` when
    /// it cannot be cut back (a pipe, a device), where nothing can be undone.
    ///
    /// # Errors
    /// The file's length cannot be read.
    fn end(&mut self) -> io::Result<Option<u64>>;
    /// # Errors
    /// The bytes cannot be written (a full disk).
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// # Errors
    /// The file cannot be cut back.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
    /// Put what was appended on disk.
    ///
    /// # Errors
    /// The file cannot be synced.
    fn sync(&mut self) -> io::Result<()>;
}

impl AppendFile for File {
    fn end(&mut self) -> io::Result<Option<u64>> {
        end_of(self)
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_all(bytes)
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }

    fn sync(&mut self) -> io::Result<()> {
        sync_file(self)
    }
}

/// A file shared with the blob that reads it back (a spool segment).
impl AppendFile for Arc<File> {
    fn end(&mut self) -> io::Result<Option<u64>> {
        end_of(self)
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        (&**self).write_all(bytes)
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }

    fn sync(&mut self) -> io::Result<()> {
        sync_file(self)
    }
}

/// The length of a regular file; `None` for a pipe or a device.
fn end_of(f: &File) -> io::Result<Option<u64>> {
    let m = f.metadata()?;
    Ok(m.is_file().then_some(m.len()))
}

fn sync_file(f: &File) -> io::Result<()> {
    match f.sync_all() {
        // not a file that can be synced (a pipe, a device)
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(()),
        r => r,
    }
}

/// Why bytes could not be appended.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("cannot append to {1}: {0}")]
    Write(#[source] io::Error, &'static str),
    #[error(
        "{1} ends with part of a refused request that cannot be removed ({0}); nothing more \
         is written to it until it is"
    )]
    Inconsistent(#[source] io::Error, &'static str),
}

/// Why a commit did not happen.
#[derive(Debug)]
pub enum Refused<E> {
    /// The file could not take the bytes.
    Append(AppendError),
    /// The bytes were written, then `queue` refused them; what was written is cut off again.
    Queue(E),
}

/// A file that takes appends through the transaction. Not locked: its owner holds it behind
/// the lock that also orders the queue.
#[derive(Debug)]
pub struct Appender<F: AppendFile> {
    file: F,
    /// What the file is, for messages ("the record file", "the spool").
    what: &'static str,
    /// Set while the file ends with bytes of a refused request that could not be cut off:
    /// the length to cut it back to before anything more is appended.
    cut_to: Option<u64>,
    /// Undos that failed (each left a partial write until a later attempt cut it off).
    undo_failures: u64,
}

impl<F: AppendFile> Appender<F> {
    pub fn new(file: F, what: &'static str) -> Appender<F> {
        Appender {
            file,
            what,
            cut_to: None,
            undo_failures: 0,
        }
    }

    /// Undos that failed so far.
    #[must_use]
    pub fn undo_failures(&self) -> u64 {
        self.undo_failures
    }

    /// Cut off what was written of a refused request; on failure, remember where to cut.
    fn undo(&mut self, to: Option<u64>) {
        let Some(len) = to else { return };
        if self.file.truncate(len).is_err() {
            self.undo_failures += 1;
            self.cut_to = Some(len);
        }
    }

    /// Make the file hold only acknowledged bytes again, if an undo is outstanding.
    fn settle(&mut self) -> Result<(), AppendError> {
        if let Some(len) = self.cut_to {
            self.file
                .truncate(len)
                .map_err(|e| AppendError::Inconsistent(e, self.what))?;
            self.cut_to = None;
        }
        Ok(())
    }

    /// Append `parts` one after the other, then `queue` what they belong to, given the offset
    /// where they went (0 for a file with no length, a pipe): both, or neither. The caller
    /// holds the lock meanwhile, so the file's order is the queue's. Bytes that cannot be
    /// written (a full disk, or an earlier undo still outstanding) are not queued.
    ///
    /// # Errors
    /// [`Refused::Append`] when the file cannot take the bytes (nothing is queued),
    /// [`Refused::Queue`] when `queue` refused them (they are cut off again).
    pub fn commit<T, E>(
        &mut self,
        parts: &[&[u8]],
        queue: impl FnOnce(u64) -> Result<T, E>,
    ) -> Result<T, Refused<E>> {
        self.settle().map_err(Refused::Append)?;
        let write = |e| Refused::Append(AppendError::Write(e, self.what));
        let before = self.file.end().map_err(write)?;
        for part in parts {
            if let Err(e) = self.file.append(part) {
                self.undo(before);
                return Err(Refused::Append(AppendError::Write(e, self.what)));
            }
        }
        match queue(before.unwrap_or(0)) {
            Ok(t) => Ok(t),
            Err(e) => {
                self.undo(before);
                Err(Refused::Queue(e))
            }
        }
    }

    /// Put everything acknowledged on disk, after a last attempt at an outstanding undo.
    ///
    /// # Errors
    /// The file cannot be synced, or still ends with part of a refused request.
    pub fn finish(&mut self) -> io::Result<()> {
        self.settle().map_err(io::Error::other)?;
        self.file.sync()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file in memory whose steps fail on demand.
    #[derive(Default)]
    struct Flaky {
        bytes: Vec<u8>,
        /// Appends write this many bytes, then fail.
        append_fails_after: Option<usize>,
        truncate_fails: bool,
    }

    impl AppendFile for Flaky {
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

    fn appender() -> Appender<Flaky> {
        Appender::new(Flaky::default(), "the test file")
    }

    fn ok(a: &mut Appender<Flaky>, line: &str) -> Result<u64, Refused<()>> {
        a.commit(&[line.as_bytes()], Ok::<u64, ()>)
    }

    #[test]
    fn a_queued_request_is_kept_and_told_where_it_went() {
        let mut a = appender();
        assert_eq!(ok(&mut a, "a\n").unwrap(), 0);
        assert_eq!(a.commit(&[b"bb", b"\n"], Ok::<u64, ()>).unwrap(), 2);
        assert_eq!(a.file.bytes, b"a\nbb\n");
        assert_eq!(a.undo_failures(), 0);
        a.finish().unwrap();
    }

    #[test]
    fn a_request_the_queue_refuses_is_cut_off_again() {
        let mut a = appender();
        ok(&mut a, "a\n").unwrap();
        let res = a.commit(&[b"b\n"], |_| Err::<(), _>("busy"));
        assert!(matches!(res, Err(Refused::Queue("busy"))));
        assert_eq!(a.file.bytes, b"a\n");
    }

    #[test]
    fn a_partial_write_is_cut_off_and_not_queued() {
        let mut a = appender();
        ok(&mut a, "a\n").unwrap();
        a.file.append_fails_after = Some(3);
        let mut queued = false;
        let res = a.commit(&[b"bbbbbb\n"], |_| {
            queued = true;
            Ok::<(), ()>(())
        });
        assert!(matches!(res, Err(Refused::Append(AppendError::Write(..)))));
        assert!(!queued);
        assert_eq!(a.file.bytes, b"a\n");
    }

    /// An undo that fails is counted, and nothing more is written after the partial request
    /// (nor queued) until cutting it off succeeds; then appending goes on where it was.
    #[test]
    fn a_failed_undo_refuses_writes_until_the_file_is_consistent() {
        let mut a = appender();
        ok(&mut a, "a\n").unwrap();
        a.file.append_fails_after = Some(3);
        a.file.truncate_fails = true;
        assert!(ok(&mut a, "bbbbbb\n").is_err());
        assert_eq!(a.undo_failures(), 1);
        // the disk has room again, but the partial request is still there: refused
        a.file.append_fails_after = None;
        let mut queued = false;
        let res = a.commit(&[b"c\n"], |_| {
            queued = true;
            Ok::<(), ()>(())
        });
        let Err(Refused::Append(e @ AppendError::Inconsistent(..))) = res else {
            panic!("{res:?}")
        };
        assert!(
            e.to_string().starts_with("the test file ends with part"),
            "{e}"
        );
        assert!(!queued);
        assert_eq!(a.file.bytes, b"a\nbbb");
        assert!(a.finish().is_err(), "the file is not consistent");
        // once the file can be cut, it is, and appending resumes
        a.file.truncate_fails = false;
        assert_eq!(ok(&mut a, "c\n").unwrap(), 2);
        assert_eq!(a.file.bytes, b"a\nc\n");
        assert_eq!(a.undo_failures(), 1);
        a.finish().unwrap();
    }

    #[test]
    fn a_failed_undo_after_a_queue_refusal_is_counted_too() {
        let mut a = appender();
        a.file.truncate_fails = true;
        assert!(a.commit(&[b"a\n"], |_| Err::<(), _>(())).is_err());
        assert_eq!(a.undo_failures(), 1);
        assert!(ok(&mut a, "b\n").is_err());
        a.file.truncate_fails = false;
        a.finish().unwrap();
        assert_eq!(a.file.bytes, b"");
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
        let mut shared = Arc::new(File::options().append(true).open(&path).unwrap());
        shared.append(b"yz").unwrap();
        assert_eq!(shared.end().unwrap(), Some(2));
        shared.truncate(1).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"y");
        let mut null = File::options().append(true).open("/dev/null").unwrap();
        assert_eq!(
            null.end().unwrap(),
            None,
            "a device has no length to go back to"
        );
        null.sync().unwrap();
    }
}
