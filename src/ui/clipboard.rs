//! Copying for pasting elsewhere: into the terminal's clipboard through OSC 52, which works over
//! SSH and needs nothing installed, and into a file that always holds the last copy, for
//! terminals that ignore OSC 52 (nothing tells a program whether the terminal took it).

use base64::Engine as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clip {
    pub text: String,
    /// What it is, for the message: `trace 2fd8c451… as Markdown`.
    pub what: String,
    /// The file extension of the fallback file: `md` or `json`.
    pub ext: &'static str,
}

/// The largest copy sent through OSC 52, in base64 bytes (terminals cap it: xterm and tmux near
/// a megabyte, some lower); a bigger copy goes to the file only.
pub const OSC52_MAX: usize = 1 << 20;

/// The OSC 52 sequence that sets the clipboard to `text`, wrapped for tmux's passthrough when
/// `tmux`; `None` when it would be longer than [`OSC52_MAX`].
#[must_use]
pub fn osc52(text: &str, tmux: bool) -> Option<String> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    if b64.len() > OSC52_MAX {
        return None;
    }
    let seq = format!("\x1b]52;c;{b64}\x07");
    Some(if tmux {
        // tmux passes a DCS through when `allow-passthrough` is on; ESCs inside are doubled
        format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b"))
    } else {
        seq
    })
}

/// Where the last copy is kept: `$XDG_CACHE_HOME/spanscope/copied.EXT` (or `~/.cache/…`, or
/// the temporary directory).
#[must_use]
pub fn copy_file(ext: &str) -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("spanscope").join(format!("copied.{ext}"))
}

/// Send `clip` to the terminal (`term`, inside tmux when `tmux`) and to the file `path`; the
/// message for the status bar says what happened and where the file is.
pub fn deliver(clip: &Clip, term: &mut impl Write, path: &Path, tmux: bool) -> String {
    let sent = match osc52(&clip.text, tmux) {
        Some(seq) => term
            .write_all(seq.as_bytes())
            .and_then(|()| term.flush())
            .is_ok(),
        None => false,
    };
    let saved = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(path, &clip.text));
    let size = crate::text::human_count(clip.text.len() as u64);
    match (sent, saved) {
        (true, Ok(())) => format!(
            "copied {} ({size} bytes) to the clipboard; also in {}",
            clip.what,
            path.display()
        ),
        (false, Ok(())) => format!(
            "{} ({size} bytes) is in {} (too big for the terminal's clipboard)",
            clip.what,
            path.display()
        ),
        (true, Err(e)) => format!(
            "copied {} ({size} bytes) to the clipboard (cannot keep it in {}: {e})",
            clip.what,
            path.display()
        ),
        (false, Err(e)) => format!("cannot copy {}: {}: {e}", clip.what, path.display()),
    }
}

/// [`deliver`] to the process's terminal and [`copy_file`].
pub fn deliver_to_terminal(clip: &Clip) -> String {
    deliver(
        clip,
        &mut io::stdout().lock(),
        &copy_file(clip.ext),
        std::env::var_os("TMUX").is_some(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_base64_between_the_introducer_and_bel() {
        assert_eq!(osc52("hi", false).unwrap(), "\x1b]52;c;aGk=\x07");
        assert_eq!(
            osc52("hi", true).unwrap(),
            "\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\"
        );
        assert!(osc52(&"x".repeat(OSC52_MAX), false).is_none());
    }

    #[test]
    fn delivery_writes_the_sequence_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spanscope").join("copied.md");
        let clip = Clip {
            text: "# Trace".into(),
            what: "trace t as Markdown".into(),
            ext: "md",
        };
        let mut term = Vec::new();
        let msg = deliver(&clip, &mut term, &path, false);
        assert_eq!(
            String::from_utf8(term).unwrap(),
            "\x1b]52;c;IyBUcmFjZQ==\x07"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# Trace");
        assert!(
            msg.starts_with("copied trace t as Markdown (7 bytes) to the clipboard; also in"),
            "{msg}"
        );
        let big = Clip {
            text: "x".repeat(OSC52_MAX),
            ..clip
        };
        let mut term = Vec::new();
        let msg = deliver(&big, &mut term, &path, false);
        assert!(term.is_empty());
        assert!(
            msg.contains("too big for the terminal's clipboard"),
            "{msg}"
        );
        // under a file: no directory can be made there, whoever runs the test
        let not_a_dir = path.join("x").join("copied.md");
        let msg = deliver(&big, &mut Vec::new(), &not_a_dir, false);
        assert!(msg.starts_with("cannot copy"), "{msg}");
    }
}
