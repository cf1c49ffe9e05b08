//! The fuzz targets (`fuzz/`, run with `cargo fuzz` on nightly) replayed on stable: every input
//! a run kept (`tests/fuzz/corpus/<target>/`), every crash it found
//! (`tests/fuzz/regressions/<target>/`), and the fixtures they were seeded with.

#![allow(clippy::unwrap_used)]

use spanscope::fuzzing;
use std::path::{Path, PathBuf};

/// A fuzz target: its name and its entry point.
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 5] = [
    ("file", fuzzing::file),
    ("record", fuzzing::record),
    ("detect", fuzzing::detect),
    ("otlp_body", fuzzing::otlp_body),
    ("filter", fuzzing::filter),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// Run `f` on `data`, naming the input if it panics.
fn replay(target: &str, f: fn(&[u8]), path: &Path, data: &[u8]) {
    let res = std::panic::catch_unwind(|| f(data));
    assert!(
        res.is_ok(),
        "{target} fails on {} (replay it with `cargo +nightly fuzz run {target} {}`)",
        path.display(),
        path.display()
    );
}

#[test]
fn corpus_and_regressions_replay() {
    let mut n = 0;
    for (target, f) in TARGETS {
        for kind in ["corpus", "regressions"] {
            for path in files(&root().join("fuzz").join(kind).join(target)) {
                replay(target, f, &path, &std::fs::read(&path).unwrap());
                n += 1;
            }
        }
    }
    assert!(n > 0, "no corpus found under tests/fuzz");
}

#[test]
fn fixtures_replay_through_every_target() {
    let dirs = files(&root().join("fixtures"))
        .into_iter()
        .chain(
            std::fs::read_dir(root().join("fixtures"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_dir())
                .flat_map(|d| files(&d)),
        )
        .filter(|p| !p.to_string_lossy().ends_with(".meta.json"));
    let mut n = 0;
    for path in dirs {
        let data = std::fs::read(&path).unwrap();
        replay("file", fuzzing::file, &path, &data);
        replay(
            "detect",
            fuzzing::detect,
            &path,
            &data[..data.len().min(4096)],
        );
        for line in data.split(|&b| b == b'\n').take(20) {
            for parser in 0u8..7 {
                let mut input = vec![parser];
                input.extend_from_slice(line);
                replay("record", fuzzing::record, &path, &input);
            }
        }
        for sel in 0u8..6 {
            let mut input = vec![sel];
            input.extend_from_slice(&data);
            replay("otlp_body", fuzzing::otlp_body, &path, &input);
        }
        n += 1;
    }
    assert!(n >= 30, "only {n} fixture files found");
}
