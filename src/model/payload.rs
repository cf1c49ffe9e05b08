//! Where a big text lives: a byte range of a source (a file read back on demand, or an in-memory
//! arena for stdin and HTTP bodies). Rows hold a [`PayloadRef`]; panes decode it when they show it.

use super::idx::{self, CapacityError, Table};
use std::fs::File;
use std::io;
use std::num::NonZeroU8;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

/// Index of a blob in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobId(pub u32);

impl BlobId {
    /// What [`Blobs::add`] hands out when the table of blobs is full: never a row (no table
    /// addresses `u32::MAX`), it reads as gone, and the store refuses records that point into it.
    pub const FULL: BlobId = BlobId(u32::MAX);
}

/// Which entry of the format table (`ingest::formats::FORMATS`) encoded the record at a payload
/// reference, so it can be decoded again: the entry's index. The model knows no format; ingest
/// gives the index its meaning, and adding a format changes nothing here. One byte that is never
/// zero (the index plus one), so an `Option<PayloadRef>` costs no more than a `PayloadRef`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordFormat(NonZeroU8);

impl RecordFormat {
    /// The entry at `index` of the table (at most 254).
    ///
    /// # Panics
    /// `index` is 255.
    #[must_use]
    pub const fn at(index: u8) -> RecordFormat {
        match NonZeroU8::new(index.wrapping_add(1)) {
            Some(n) => RecordFormat(n),
            None => panic!("a format table has at most 255 entries"),
        }
    }

    /// The index of the entry in the table.
    #[must_use]
    pub const fn index(self) -> usize {
        (self.0.get() - 1) as usize
    }
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
    /// A file held open (a followed file: its bytes stay readable after a rename).
    Open(Arc<File>),
    /// Bytes held in memory (stdin, decompressed bodies, HTTP requests).
    Memory(Arc<Vec<u8>>),
    /// Bytes that are no longer there, and why (a followed file was truncated).
    Gone(Arc<str>),
}

impl Blob {
    /// Read `len` bytes at `offset`.
    ///
    /// # Errors
    /// The file cannot be opened or is now shorter than the range (it was truncated or replaced).
    pub fn read(&self, offset: u64, len: u32) -> io::Result<Vec<u8>> {
        match self {
            Blob::File(path) => read_at(&File::open(path)?, offset, len),
            Blob::Open(file) => read_at(file, offset, len),
            Blob::Gone(why) => Err(io::Error::new(io::ErrorKind::NotFound, why.to_string())),
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

fn read_at(f: &File, offset: u64, len: u32) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; len as usize];
    f.read_exact_at(&mut buf, offset)?;
    Ok(buf)
}

/// The blobs of a store, shared with the threads that parse sources: a parser registers the
/// bytes it reads and gets the id its payload references carry, before the store sees them.
#[derive(Debug, Default)]
pub struct Blobs {
    blobs: RwLock<Vec<Blob>>,
}

impl Blobs {
    /// Register `blob`; [`BlobId::FULL`] when the table is full (the blob is not kept).
    pub fn add(&self, blob: Blob) -> BlobId {
        let mut v = self.blobs.write().unwrap_or_else(PoisonError::into_inner);
        match idx::to_u32(v.len(), Table::Blobs) {
            Ok(id) => {
                v.push(blob);
                BlobId(id)
            }
            Err(_) => BlobId::FULL,
        }
    }

    /// The blob `id` (cheap: a path or a shared handle).
    ///
    /// # Panics
    /// `id` was not handed out by this registry.
    #[must_use]
    pub fn get(&self, id: BlobId) -> Blob {
        if id == BlobId::FULL {
            return Blob::Gone(CapacityError::full(Table::Blobs).to_string().into());
        }
        self.blobs.read().unwrap_or_else(PoisonError::into_inner)[id.0 as usize].clone()
    }

    /// Bytes blob `id` holds in memory (0 for a file, or a blob that is gone).
    #[must_use]
    pub fn memory_len(&self, id: BlobId) -> usize {
        match self
            .blobs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id.0 as usize)
        {
            Some(Blob::Memory(bytes)) => bytes.len(),
            _ => 0,
        }
    }

    /// Replace blob `id` by a reason its bytes are gone (a truncated file, a refused request):
    /// references to it then say why instead of reading other bytes.
    pub fn forget(&self, id: BlobId, why: &str) {
        let mut v = self.blobs.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(b) = v.get_mut(id.0 as usize) {
            *b = Blob::Gone(why.into());
        }
    }
}
