//! The Python test environment: the virtualenv `tests/python/venv.sh` makes (or reuses) from
//! `tests/python/requirements.txt`, shared by the tests that run real producers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The virtualenv's python, or `None` when the registry is unreachable (the test skips).
pub fn python() -> Option<&'static Path> {
    static PY: OnceLock<Option<PathBuf>> = OnceLock::new();
    PY.get_or_init(|| {
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("py-venv");
        let o = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/venv.sh"))
            .arg(&venv)
            .output()
            .unwrap_or_else(|e| panic!("tests/python/venv.sh: {e}"));
        let err = String::from_utf8_lossy(&o.stderr);
        match o.status.code() {
            Some(0) => Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())),
            Some(77) => {
                eprintln!("skipped: {err}");
                None
            }
            _ => panic!("the Python test environment could not be made:\n{err}"),
        }
    })
    .as_deref()
}
