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

/// The `record` corpus, whatever parser each input was meant for, also goes through the
/// sniffers' agreement with the parsers (the `detect` target's checks).
#[test]
fn record_corpus_replays_through_detect() {
    let mut n = 0;
    for kind in ["corpus", "regressions"] {
        for path in files(&root().join("fuzz").join(kind).join("record")) {
            let data = std::fs::read(&path).unwrap();
            if let Some((_, line)) = data.split_first() {
                replay("detect", fuzzing::detect, &path, line);
                n += 1;
            }
        }
    }
    assert!(n > 0, "no record corpus found under tests/fuzz");
}

/// `fuzz/seed.py` starts the `record` corpus with each fixture line behind the selector of its
/// format: its table of selectors is the format table's.
#[test]
fn the_seed_script_picks_parsers_as_the_table_does() {
    let seed = std::fs::read_to_string(root().join("../fuzz/seed.py")).unwrap();
    let line = seed
        .lines()
        .find(|l| l.starts_with("PARSER = {"))
        .expect("the PARSER table in fuzz/seed.py");
    let body = line.trim_start_matches("PARSER = {").trim_end_matches('}');
    let mut n = 0;
    for pair in body.split(", ") {
        let (name, sel) = pair.split_once(": ").unwrap();
        let name = name.trim_matches('"');
        let sel: u8 = sel.parse().unwrap();
        let want = if name == "detect" {
            Some(0)
        } else {
            fuzzing::record_selector(name)
        };
        assert_eq!(want, Some(sel), "{name} in fuzz/seed.py");
        n += 1;
    }
    assert_eq!(
        n,
        fuzzing::record_selectors().count(),
        "every selector is seeded"
    );
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
            for parser in fuzzing::record_selectors() {
                let mut input = vec![parser];
                input.extend_from_slice(line);
                replay("record", fuzzing::record, &path, &input);
            }
            replay("detect", fuzzing::detect, &path, line);
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
