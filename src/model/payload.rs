//! Where a big text lives: a byte range of a source (a file read back on demand, or an in-memory
//! arena for stdin and HTTP bodies). Rows hold a [`PayloadRef`]; panes decode it when they show it.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

/// Index of a blob in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobId(pub u32);

/// How the record at a payload reference is encoded, so it can be decoded again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordFormat {
    /// An OTLP/JSON `ExportTraceServiceRequest`.
    OtlpJson,
    /// A binary protobuf `ExportTraceServiceRequest`.
    OtlpProto,
    /// An MLflow `Trace.to_json()` document.
    MlflowJson,
    /// One dspy-callback-jsonl v1 line.
    Callback,
    /// A simple or steps per-request line.
    Request,
    /// One trace_start / span / trace_end line.
    Event,
}

/// A reference to one record (a line, a body, a document) and the part of it a span came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadRef {
    pub blob: BlobId,
    pub offset: u64,
    pub len: u32,
    pub format: RecordFormat,
    /// Which part of the record: a span ordinal, a step index, or [`PayloadRef::WHOLE`].
    pub locator: u32,
}

impl PayloadRef {
    /// The locator for "the record itself" (a request's synthesized root).
    pub const WHOLE: u32 = u32::MAX;
}

/// The bytes behind payload references.
#[derive(Debug, Clone)]
pub enum Blob {
    /// A file on disk, read back by offset.
    File(PathBuf),
    /// Bytes held in memory (stdin, decompressed bodies, HTTP requests).
    Memory(Arc<Vec<u8>>),
}

impl Blob {
    /// Read `len` bytes at `offset`.
    ///
    /// # Errors
    /// The file cannot be opened or is now shorter than the range (it was truncated or replaced).
    pub fn read(&self, offset: u64, len: u32) -> io::Result<Vec<u8>> {
        match self {
            Blob::File(path) => {
                let f = File::open(path)?;
                let mut buf = vec![0; len as usize];
                f.read_exact_at(&mut buf, offset)?;
                Ok(buf)
            }
            Blob::Memory(bytes) => {
                let start = usize::try_from(offset).map_err(io::Error::other)?;
                bytes
                    .get(start..start + len as usize)
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "range past end"))
            }
        }
    }
}
