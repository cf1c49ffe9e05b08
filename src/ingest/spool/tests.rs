//! The spool: appends read back, refusals cut off, segments rotate and the oldest are dropped
//! and announced once nothing pinned holds them; a record file is one segment for good.

use super::*;
use crate::model::payload::{PayloadRef, RecordFormat};
use crate::model::store::SpanRecord;

fn spool(max: u64) -> (Spool, SpoolDir, Arc<Registry>, tempfile::TempDir) {
    let root = tempfile::tempdir().unwrap();
    let dir = SpoolDir::create(root.path(), false).unwrap();
    let registry = Arc::new(Registry::default());
    (
        Spool::private(Arc::clone(&registry), &dir, max),
        dir,
        registry,
        root,
    )
}

fn ok(s: &Spool, body: &[u8]) -> (BlobId, u64) {
    s.commit(&[body], |blob, at| Ok::<_, ()>((blob, at)))
        .unwrap_or_else(|e| panic!("{e:?}"))
}

fn read(r: &Registry, blob: BlobId, at: u64, len: usize) -> Vec<u8> {
    r.blobs
        .get(blob)
        .read(at, u32::try_from(len).unwrap())
        .unwrap()
}

fn segments(dir: &SpoolDir) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".seg"))
        .collect();
    v.sort();
    v
}

#[test]
fn an_append_reads_back_where_it_went() {
    let (s, dir, r, _root) = spool(DEFAULT_MAX);
    assert!(
        segments(&dir).is_empty(),
        "no segment before the first append"
    );
    let (b1, at1) = ok(&s, b"first body");
    let (b2, at2) = ok(&s, b"second");
    assert_eq!(at1, 0);
    assert_eq!((b2, at2), (b1, 10), "one segment, one after the other");
    assert_eq!(read(&r, b1, 0, 10), b"first body");
    assert_eq!(read(&r, b2, at2, 6), b"second");
    let st = s.stats();
    assert_eq!((st.written, st.held, st.failed), (16, 16, 0));
    assert_eq!(segments(&dir), ["000001.seg"]);
    assert!(s.keeps_raw());
    assert_eq!(s.path(), dir.path());
}

#[test]
fn a_body_the_queue_refuses_is_cut_off_and_the_next_takes_its_place() {
    let (s, dir, r, _root) = spool(DEFAULT_MAX);
    ok(&s, b"kept\n");
    let res = s.commit(&[b"refused", b"\n"], |_, _| Err::<(), _>("busy"));
    assert!(matches!(res, Err(Refused::Queue("busy"))));
    let (blob, at) = ok(&s, b"next\n");
    assert_eq!(at, 5);
    assert_eq!(read(&r, blob, 0, 10), b"kept\nnext\n");
    assert_eq!(
        std::fs::read(dir.path().join("000001.seg")).unwrap(),
        b"kept\nnext\n"
    );
    assert_eq!(s.stats().written, 10);
}

#[test]
fn segments_rotate_and_the_oldest_are_dropped_beyond_the_bound() {
    // a bound of 40 KiB: segments of 5 KiB
    let (s, dir, r, _root) = spool(40 << 10);
    let body = vec![b'x'; 2 << 10];
    let mut placed = Vec::new();
    for _ in 0..10 {
        placed.push(ok(&s, &body));
    }
    // two bodies per segment: 5 segments
    assert_eq!(segments(&dir).len(), 5);
    assert_eq!(placed[0].0, placed[1].0);
    assert_ne!(placed[1].0, placed[2].0);
    assert_eq!(placed[2].1, 0, "a new segment starts at its beginning");
    assert!(s.take_dropped().is_empty());
    // 12 segments of 4 KiB: the two oldest go
    for _ in 0..14 {
        placed.push(ok(&s, &body));
    }
    let st = s.stats();
    assert!(st.held <= 40 << 10, "{st:?}");
    assert_eq!(st.written, 24 * (2 << 10));
    assert_eq!(st.dropped_segments, 2);
    assert_eq!(st.dropped_bytes + st.held, st.written);
    let dropped = s.take_dropped();
    assert_eq!(dropped, [placed[0].0, placed[2].0]);
    assert!(s.take_dropped().is_empty(), "announced once");
    assert_eq!(
        segments(&dir).first().map(String::as_str),
        Some("000003.seg")
    );
    let e = r.blobs.get(placed[0].0).read(0, 1).unwrap_err();
    assert!(e.to_string().contains("--max-spool"), "{e}");
    assert_eq!(read(&r, placed[23].0, placed[23].1, 1), b"x");
}

#[test]
fn a_body_larger_than_a_segment_gets_one_of_its_own() {
    let (s, dir, _r, _root) = spool(64 << 10);
    ok(&s, b"small");
    let big = vec![b'y'; 20 << 10];
    let (b, at) = ok(&s, &big);
    assert_eq!(at, 0);
    let (c, at) = ok(&s, b"after");
    assert_ne!(b, c);
    assert_eq!(at, 0);
    assert_eq!(segments(&dir).len(), 3);
}

#[test]
fn a_dropped_segment_is_announced_only_once_its_pins_are_gone() {
    let (s, _dir, _r, _root) = spool(16 << 10);
    let body = vec![b'z'; 2 << 10];
    let held = s.append(&body).unwrap();
    let again = s.append(&body).unwrap();
    assert!(held.pin.same(&again.pin));
    drop(again.pin);
    for _ in 0..20 {
        ok(&s, &body);
    }
    let first_dropped = s.stats().dropped_segments;
    assert!(first_dropped >= 2);
    let ready = s.take_dropped();
    assert!(!ready.contains(&held.blob), "still pinned");
    assert_eq!(ready.len() as u64, first_dropped - 1);
    drop(held.pin);
    assert_eq!(s.take_dropped(), [held.blob]);
    // what could not be announced comes back
    s.defer_dropped(vec![held.blob]);
    assert_eq!(s.take_dropped(), [held.blob]);
}

#[test]
fn a_spool_that_cannot_be_written_refuses_and_counts() {
    let (s, dir, _r, _root) = spool(DEFAULT_MAX);
    std::fs::remove_dir_all(dir.path()).unwrap();
    let mut queued = false;
    let res = s.commit(&[b"x"], |_, _| {
        queued = true;
        Ok::<(), ()>(())
    });
    let Err(Refused::Append(e)) = res else {
        panic!("{res:?}")
    };
    assert!(
        e.to_string().starts_with("cannot append to the spool"),
        "{e}"
    );
    assert!(!queued);
    assert!(s.append(b"y").is_err());
    assert_eq!(s.stats().failed, 2);
}

#[test]
fn a_record_file_is_one_segment_appended_to_and_never_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.jsonl");
    std::fs::write(&path, b"{\"earlier\":1}\n").unwrap();
    let r = Arc::new(Registry::default());
    let s = Spool::record(Arc::clone(&r), &path).unwrap();
    assert!(!s.keeps_raw());
    assert_eq!(s.path(), path);
    let (blob, at) = ok(&s, b"{\"a\":2}\n");
    assert_eq!(at, 14);
    let big = vec![b'w'; 100 << 10];
    let (b2, at2) = ok(&s, &big);
    assert_eq!((b2, at2), (blob, 22));
    assert_eq!(read(&r, blob, at, 8), b"{\"a\":2}\n");
    s.finish().unwrap();
    assert!(s.take_dropped().is_empty());
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 22 + (100 << 10));
    assert!(Spool::record(Arc::clone(&r), Path::new("/nonexistent/dir/r.jsonl")).is_err());
}

#[test]
fn placing_moves_only_references_to_the_unplaced_blob() {
    let p = |blob, offset| PayloadRef {
        blob,
        offset,
        len: 3,
        format: RecordFormat::at(0),
        locator: 0,
    };
    let span = |payload| {
        Record::Span(SpanRecord {
            trace_id: "t".into(),
            span_id: "s".into(),
            payload: Some((0, payload)),
            ..SpanRecord::default()
        })
    };
    let mut records = vec![
        span(p(UNPLACED, 5)),
        span(p(BlobId(3), 5)),
        Record::Rejected("no".into()),
    ];
    place(&mut records, BlobId(7), 100);
    let offsets: Vec<Option<(BlobId, u64)>> = records
        .iter()
        .map(|r| match r {
            Record::Span(s) => s.payload.map(|(_, p)| (p.blob, p.offset)),
            _ => None,
        })
        .collect();
    assert_eq!(
        offsets,
        [Some((BlobId(7), 105)), Some((BlobId(3), 5)), None]
    );
}
