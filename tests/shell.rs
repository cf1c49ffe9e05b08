//! spanscope among the user's other terminal tools: shell completions, the manual page, the
//! configuration file, colors (`--color`, `NO_COLOR`) and the exit codes, each through the
//! real binary.

use std::path::Path;
use std::process::{Command, Output, Stdio};

const FIXTURE: &str = "tests/fixtures/otlp-jsonl/otlp.jsonl";

/// The binary in an empty environment of its own: no terminal, no color settings, and a home
/// and configuration directory under `home`.
fn bin(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spanscope"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("TZ", "UTC")
        .stdin(Stdio::null());
    cmd
}

fn run(home: &Path, args: &[&str]) -> Output {
    bin(home)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("spanscope {args:?}: {e}"))
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(home: &Path, args: &[&str]) -> String {
    let o = run(home, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", err(&o));
    out(&o)
}

fn home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn completions_for_bash_zsh_and_fish_name_the_commands_and_options() {
    let h = home();
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(h.path(), &["completions", shell]);
        for word in [
            "list", "show", "stats", "export", "record", "filter", "listen", "color",
        ] {
            assert!(script.contains(word), "{shell}: {word} missing");
        }
    }
    // bash reads the script, and it registers a completion for spanscope
    let script = h.path().join("spanscope.bash");
    std::fs::write(&script, ok(h.path(), &["completions", "bash"]))
        .unwrap_or_else(|e| panic!("{e}"));
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p spanscope",
            script.display()
        ))
        .output()
        .unwrap_or_else(|e| panic!("bash: {e}"));
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("spanscope"), "{}", out(&o));
    // a shell it does not know is a usage error
    let o = run(h.path(), &["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_manual_page_is_roff_with_the_commands_and_options() {
    let h = home();
    let page = ok(h.path(), &["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH spanscope"),
        "{page}"
    );
    for needle in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        "\\-\\-color",
        "list",
        "show",
    ] {
        assert!(page.contains(needle), "{needle} missing from the man page");
    }
    // groff renders it without a warning, where groff is installed
    let groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    if let Ok(mut child) = groff {
        use std::io::Write;
        child.stdin.take().map(|mut s| s.write_all(page.as_bytes()));
        let o = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        assert!(o.status.success() && o.stderr.is_empty(), "{}", err(&o));
    }
}

#[test]
fn help_shows_examples() {
    let h = home();
    let help = ok(h.path(), &["--help"]);
    assert!(help.contains("Examples:"), "{help}");
    assert!(
        help.contains("--color <WHEN>") && help.contains("--config <FILE>"),
        "{help}"
    );
    let help = ok(h.path(), &["completions", "--help"]);
    assert!(help.contains("spanscope completions zsh"), "{help}");
}

#[test]
fn the_default_configuration_file_round_trips() {
    let h = home();
    let default = ok(h.path(), &["config", "--default"]);
    assert!(default.contains("[thresholds]") && default.contains("# "));
    // no file: the defaults, said so on stderr
    let o = run(h.path(), &["config"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(err(&o).contains("does not exist"), "{}", err(&o));
    let effective = out(&o);
    // the commented default file, installed where the explorer looks, means the same
    let dir = h.path().join(".config/spanscope");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("config.toml"), &default).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ok(h.path(), &["config", "--path"]).trim(),
        dir.join("config.toml").display().to_string()
    );
    assert_eq!(ok(h.path(), &["config"]), effective);
    // what `config` prints reads back as the same configuration
    let custom = h.path().join("custom.toml");
    std::fs::write(
        &custom,
        "[thresholds]\nslow = \"750ms\"\n[list]\ncolumns = [\"status\", \"name\", \"dur\"]\n\
         [theme]\npalette = \"light\"\n[keys.waterfall]\n\"o\" = \"toggle-collapse\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let printed = ok(
        h.path(),
        &["config", "--config", &custom.display().to_string()],
    );
    assert!(printed.contains("slow = \"750ms\"") && printed.contains("o = \"toggle-collapse\""));
    let again = h.path().join("again.toml");
    std::fs::write(&again, &printed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ok(
            h.path(),
            &["config", "--config", &again.display().to_string()]
        ),
        printed
    );
    // SPANSCOPE_CONFIG names the file too
    let o = bin(h.path())
        .env("SPANSCOPE_CONFIG", &custom)
        .arg("config")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out(&o), printed);
}

#[test]
fn a_bad_configuration_is_a_usage_error_that_names_the_key() {
    let h = home();
    let f = h.path().join("bad.toml");
    let path = f.display().to_string();
    for (text, names) in [
        ("[theme]\npallete = \"light\"\n", "pallete"),
        (
            "[keys.list]\n\"x\" = \"toggle-everything\"\n",
            "toggle-everything",
        ),
        ("[list]\ncolumns = [\"name\", \"price\"]\n", "price"),
        ("[thresholds]\nslow = \"soon\"\n", "soon"),
    ] {
        std::fs::write(&f, text).unwrap_or_else(|e| panic!("{e}"));
        let o = run(h.path(), &["config", "--config", &path]);
        assert_eq!(o.status.code(), Some(2), "{text}");
        let e = err(&o);
        assert!(e.contains(names) && e.contains(&path), "{text}: {e}");
        assert!(out(&o).is_empty());
    }
    let o = run(
        h.path(),
        &["config", "--config", "/nonexistent/spanscope.toml"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("/nonexistent/spanscope.toml"),
        "{}",
        err(&o)
    );
}

#[test]
fn colors_follow_the_color_option_and_no_color() {
    let h = home();
    let esc = |s: &str| s.contains("\x1b[");
    let args = |extra: &[&'static str]| {
        let mut a = vec!["list", FIXTURE];
        a.extend_from_slice(extra);
        a
    };
    // auto: not a terminal, so no colors
    assert!(!esc(&ok(h.path(), &args(&[]))));
    let always = ok(h.path(), &args(&["--color", "always"]));
    assert!(esc(&always), "{always}");
    assert!(always.contains("\x1b[31m✗ error\x1b[0m"), "{always}");
    assert!(!esc(&ok(h.path(), &args(&["--color", "never"]))));
    // always wins over NO_COLOR; never needs no NO_COLOR
    let o = bin(h.path())
        .env("NO_COLOR", "1")
        .args(args(&["--color=always"]))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(esc(&out(&o)));
    // colors never reach machine formats
    for format in ["jsonl", "csv", "json"] {
        assert!(!esc(&ok(
            h.path(),
            &args(&["--color", "always", "--format", format])
        )));
    }
    let show = ok(
        h.path(),
        &["show", "423c3874", FIXTURE, "--color", "always"],
    );
    assert!(show.contains("\x1b[31m"), "{show}");
    // the colors leave the columns where they were
    let strip = |s: &str| {
        let mut o = String::new();
        let mut it = s.chars();
        while let Some(c) = it.next() {
            if c == '\x1b' {
                for d in it.by_ref() {
                    if d == 'm' {
                        break;
                    }
                }
            } else {
                o.push(c);
            }
        }
        o
    };
    assert_eq!(strip(&always), ok(h.path(), &args(&[])));
    let stats = ok(h.path(), &["stats", FIXTURE, "--color", "always"]);
    assert_eq!(strip(&stats), ok(h.path(), &["stats", FIXTURE]));
}

#[test]
fn exit_codes_and_streams() {
    let h = home();
    // 0: data on stdout, nothing else
    let o = run(h.path(), &["list", FIXTURE, "--format", "jsonl"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(out(&o).lines().count(), 15);
    assert!(err(&o).is_empty(), "{}", err(&o));
    // 1: nothing matched, with --fail-empty; stdout keeps only the (empty) data
    let o = run(
        h.path(),
        &[
            "list",
            FIXTURE,
            "-f",
            "dur>1h",
            "--fail-empty",
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).is_empty());
    assert!(err(&o).contains("no trace matched"));
    // 2: bad usage or a bad query
    for args in [
        &["list", FIXTURE, "-f", "dur>2parsecs"][..],
        &["list", FIXTURE, "--sort", "price"],
        &["list"],
        &["--frobnicate"],
    ] {
        let o = run(h.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(out(&o).is_empty(), "{args:?}");
    }
    // 3: a source that cannot be read
    let o = run(h.path(), &["list", "/nonexistent/traces.jsonl"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(err(&o).contains("/nonexistent/traces.jsonl"));
    assert!(out(&o).is_empty());
}
