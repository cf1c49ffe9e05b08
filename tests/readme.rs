//! The README's quick start works as written, on the repository as cloned: every
//! `cargo run --release -- ARGS` line of its `sh` blocks runs the binary with those arguments
//! from the repository's root and must succeed with output. (The explorer line, piped, prints
//! the list.)

use std::process::{Command, Stdio};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The text of `## Quick start`, up to the next section.
fn quick_start() -> String {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md"))
        .unwrap_or_else(|e| panic!("README.md: {e}"));
    let start = readme
        .find("\n## Quick start\n")
        .unwrap_or_else(|| panic!("README.md has no quick start"));
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_string()
}

/// The lines of the `sh` blocks.
fn shell_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        match line.trim() {
            "```sh" => inside = true,
            "```" => inside = false,
            l if inside && !l.is_empty() => out.push(l.to_string()),
            _ => {}
        }
    }
    out
}

/// Words as a POSIX shell splits them (quotes, a trailing comment); enough for the README.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let w = cur.get_or_insert_with(String::new);
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                    w.push(d);
                }
            }
            '#' if cur.is_none() => break,
            c if c.is_whitespace() => out.extend(cur.take()),
            c => cur.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(cur);
    out
}

#[test]
fn words_split_like_a_shell() {
    assert_eq!(
        words("cargo run -- list x --filter 'dur>2s status:error'   # what failed"),
        [
            "cargo",
            "run",
            "--",
            "list",
            "x",
            "--filter",
            "dur>2s status:error"
        ]
    );
    assert_eq!(words("a \"b c\"d#e"), ["a", "b cd#e"]);
}

#[test]
fn the_quick_start_runs_as_written() {
    let lines = shell_lines(&quick_start());
    let prefix = ["cargo", "run", "--release", "--"];
    let mut ran = 0;
    for line in &lines {
        let w = words(line);
        if w == ["cargo", "test"] || w.first().is_some_and(|c| c == "cargo") && w[1] == "install" {
            continue;
        }
        assert!(
            w.starts_with(&prefix.map(String::from)),
            "a quick-start line this test cannot run: {line}"
        );
        let o = Command::new(env!("CARGO_BIN_EXE_spanscope"))
            .args(&w[prefix.len()..])
            .current_dir(ROOT)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{line}: exit {:?}\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(out.lines().count() >= 2, "{line}: {out}");
        assert!(
            o.stderr.is_empty(),
            "{line}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        ran += 1;
    }
    assert!(ran >= 5, "only {ran} command(s) found in:\n{lines:#?}");
}

#[test]
fn the_quick_start_shows_what_it_says() {
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_spanscope"))
            .args(args)
            .current_dir(ROOT)
            .env("NO_COLOR", "1")
            .output()
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let text = quick_start();
    // the demo is what the README says it is
    assert!(text.contains("13 requests"));
    let all = run(&["list", "assets/demo.jsonl", "--format", "jsonl"]);
    assert_eq!(all.lines().count(), 13);
    let failed = run(&["list", "assets/demo.jsonl", "--filter", "status:error"]);
    assert!(
        failed.contains("db6cb037") && failed.contains("SupportReply"),
        "{failed}"
    );
    // the request that recovered from a timed-out tool is not a failed one
    assert!(!failed.contains("CitedAnswer"), "{failed}");
    let recovered = run(&["list", "assets/demo.jsonl", "--filter", "status:recovered"]);
    assert!(
        recovered.contains("CitedAnswer") && recovered.contains("! recovered (1✗)"),
        "{recovered}"
    );
    let slow = run(&["show", "28240bb5", "assets/demo.jsonl"]);
    assert!(
        slow.contains("duration 1.95s") && slow.contains("Retrieve"),
        "{slow}"
    );
    let md = run(&[
        "show",
        "db6cb037",
        "assets/demo.jsonl",
        "--format",
        "markdown",
    ]);
    assert!(md.contains("Rate limit"), "{md}");
    for program in ["MultiHopRAG", "ReAct"] {
        assert!(all.contains(program), "{program}");
    }
}
