//! The walls of the house (README "Architecture"), checked on `src/`: each layer imports only
//! from the layers below it, siblings never import each other, nothing below imports the wiring,
//! the leaf imports nothing of ours, no two files import each other in a circle, and no file has
//! more than `MAX_CODE_LINES` lines of code (tests excluded).
//!
//! Layers, lowest first: `model`; `query` and `ingest` (siblings); `analysis`; `headless` and
//! `ui` (siblings). `text` is the leaf anyone may import. `cli`, `config`, `cmd`, `fuzzing` and
//! `lib.rs` are the wiring on top.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const MAX_CODE_LINES: usize = 600;

/// The rank of each layer (a module may import a lower rank; equal ranks are siblings).
const LAYERS: &[(&str, u8)] = &[
    ("model", 0),
    ("query", 1),
    ("ingest", 1),
    ("analysis", 2),
    ("headless", 3),
    ("ui", 3),
];
const LEAVES: &[&str] = &["text"];
const WIRING: &[&str] = &["", "cli", "config", "cmd", "fuzzing"];

/// One source file: its module path (`["ui", "app"]` for `src/ui/app/mod.rs`) and its text.
struct File {
    module: Vec<String>,
    text: String,
}

/// What the walls say of a tree of files (path relative to `src/` → text).
#[derive(Debug, Default)]
struct Findings {
    walls: Vec<String>,
    cycles: Vec<Vec<String>>,
    big: Vec<(String, usize)>,
}

fn module_of(rel: &str) -> Vec<String> {
    let stem = rel.trim_end_matches(".rs");
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The text without `#[cfg(test)]` items (the item after the attribute, by brace counting).
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            let mut depth = 0i64;
            let mut opened = false;
            for l in lines.by_ref() {
                depth += l.matches('{').count() as i64 - l.matches('}').count() as i64;
                opened |= l.contains('{');
                if (opened && depth <= 0) || (!opened && l.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path of ours the code names: `crate::a::b`, `super::x`, `self::y`, and each item of a
/// `::{…}` group (nested groups flattened), with the line it is on.
fn paths(code: &str) -> Vec<(usize, Vec<String>)> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = ["crate::", "super::", "self::"]
            .iter()
            .any(|p| chars[i..].iter().take(p.len()).copied().eq(p.chars()));
        let boundary = i == 0 || (!is_ident(chars[i - 1]) && chars[i - 1] != ':');
        if !(starts && boundary) {
            i += 1;
            continue;
        }
        let line = chars[..i].iter().filter(|&&c| c == '\n').count() + 1;
        let (segs, next) = read_path(&chars, i);
        let mut found = Vec::new();
        expand(&chars, segs, next, &mut found);
        out.extend(found.into_iter().map(|p| (line, p)));
        i = next.max(i + 1);
    }
    out
}

/// The segments of a path starting at `i`, and where it ends (at `::{` or the first other char).
fn read_path(chars: &[char], mut i: usize) -> (Vec<String>, usize) {
    let mut segs = Vec::new();
    loop {
        let s = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        if i == s {
            return (segs, i);
        }
        segs.push(chars[s..i].iter().collect());
        if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
            if chars.get(i + 2) == Some(&'{') || chars.get(i + 2) == Some(&'*') {
                return (segs, i);
            }
            i += 2;
        } else {
            return (segs, i);
        }
    }
}

/// `head` followed at `i` by nothing, `::*` or `::{a, b::c, d::{e}}`: every full path.
fn expand(chars: &[char], head: Vec<String>, i: usize, out: &mut Vec<Vec<String>>) {
    if chars.get(i) == Some(&':') && chars.get(i + 2) == Some(&'{') {
        let mut j = i + 3;
        loop {
            while j < chars.len() && (chars[j].is_whitespace() || chars[j] == ',') {
                j += 1;
            }
            if j >= chars.len() || chars[j] == '}' {
                break;
            }
            let (segs, next) = read_path(chars, j);
            if segs.is_empty() {
                j += 1;
                continue;
            }
            let mut full = head.clone();
            if segs != ["self"] {
                full.extend(segs);
            }
            // `a as b`: the path is `a`
            expand(chars, full, next, out);
            j = next;
            // skip to the end of this item
            let mut depth = 0;
            while j < chars.len() {
                match chars[j] {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => break,
                    _ => {}
                }
                j += 1;
            }
        }
    } else {
        out.push(head);
    }
}

/// The file a path names: the longest module prefix that is a file of ours.
fn resolve(
    from: &[String],
    path: &[String],
    files: &BTreeMap<Vec<String>, String>,
) -> Option<String> {
    let mut base: Vec<String> = Vec::new();
    let mut segs = path;
    match segs.first().map(String::as_str) {
        Some("crate") => segs = &segs[1..],
        Some("self" | "super") => {
            // inside `a/b.rs` (module a::b) `self` is a::b; `super` is a
            base = from.to_vec();
            while let Some(s) = segs.first().map(String::as_str) {
                match s {
                    "self" => {}
                    "super" => {
                        base.pop();
                    }
                    _ => break,
                }
                segs = &segs[1..];
            }
        }
        _ => return None,
    }
    let mut best = None;
    for k in 0..=segs.len() {
        let mut cand = base.clone();
        cand.extend(segs[..k].iter().cloned());
        if let Some(f) = files.get(&cand) {
            best = Some(f.clone());
        }
    }
    best
}

/// The modules declared as `#[cfg(test)] mod NAME;`: test code, wherever it sits.
fn test_modules(tree: &BTreeMap<String, String>) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    for (rel, text) in tree {
        let mut lines = text.lines();
        while let Some(l) = lines.next() {
            if !l.trim_start().starts_with("#[cfg(test)]") {
                continue;
            }
            let next = lines.next().unwrap_or_default().trim();
            if let Some(name) = next
                .strip_prefix("mod ")
                .or_else(|| next.strip_prefix("pub(crate) mod "))
                .and_then(|r| r.strip_suffix(';'))
            {
                let mut m = module_of(rel);
                m.push(name.to_string());
                out.insert(m);
            }
        }
    }
    out
}

fn check(tree: &BTreeMap<String, String>) -> Findings {
    let tests = test_modules(tree);
    let files: BTreeMap<String, File> = tree
        .iter()
        .filter(|(rel, _)| rel.as_str() != "main.rs")
        .filter(|(rel, _)| !tests.iter().any(|t| module_of(rel).starts_with(t)))
        .map(|(rel, text)| {
            (
                rel.clone(),
                File {
                    module: module_of(rel),
                    text: without_tests(text),
                },
            )
        })
        .collect();
    let by_module: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|(rel, f)| (f.module.clone(), rel.clone()))
        .collect();
    let top = |rel: &str| -> String { files[rel].module.first().cloned().unwrap_or_default() };
    let rank = |m: &str| LAYERS.iter().find(|(n, _)| *n == m).map(|(_, r)| *r);
    let mut findings = Findings::default();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, f) in &files {
        for (line, path) in paths(&f.text) {
            let Some(to) = resolve(&f.module, &path, &by_module) else {
                continue;
            };
            if &to == rel {
                continue;
            }
            edges.entry(rel.clone()).or_default().insert(to.clone());
            let (a, b) = (top(rel), top(&to));
            if a == b {
                continue;
            }
            let bad = match (rank(&a), rank(&b)) {
                (Some(x), Some(y)) if y > x => Some(format!("{a} (lower) imports {b} (higher)")),
                (Some(x), Some(y)) if y == x => Some(format!("{a} and {b} are siblings")),
                (Some(_), None) if WIRING.contains(&b.as_str()) => {
                    Some(format!("layer {a} imports the wiring ({b})"))
                }
                _ if LEAVES.contains(&a.as_str()) => Some(format!("the leaf {a} imports {b}")),
                _ => None,
            };
            if let Some(why) = bad {
                findings.walls.push(format!("{why}: {rel}:{line}"));
            }
        }
    }
    findings.cycles = cycles(&edges);
    for (rel, f) in &files {
        let n = f.text.lines().filter(|l| !l.trim().is_empty()).count();
        if n > MAX_CODE_LINES {
            findings.big.push((rel.clone(), n));
        }
    }
    findings
}

/// The strongly connected components of more than one file (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on: BTreeSet<String>,
        out: Vec<Vec<String>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, v: &str) {
            let n = self.index.len();
            self.index.insert(v.to_string(), n);
            self.low.insert(v.to_string(), n);
            self.stack.push(v.to_string());
            self.on.insert(v.to_string());
            let next: Vec<String> = self
                .edges
                .get(v)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            for w in next {
                if !self.index.contains_key(&w) {
                    self.visit(&w);
                    let lw = self.low[&w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on.contains(&w) {
                    let iw = self.index[&w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on.remove(&w);
                    let done = w == v;
                    comp.push(w);
                    if done {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.out.push(comp);
                }
            }
        }
    }
    let mut t = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out
}

fn read_src(dir: &Path, base: &Path, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            read_src(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(base)
                .expect("below src/")
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, std::fs::read_to_string(&path).expect("readable"));
        }
    }
}

#[test]
fn the_walls_of_the_house_stand() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut tree = BTreeMap::new();
    read_src(&src, &src, &mut tree);
    assert!(
        tree.len() > 50,
        "read the whole of src/ ({} files)",
        tree.len()
    );
    let f = check(&tree);
    let mut report = String::new();
    for w in &f.walls {
        report.push_str(&format!("WALL {w}\n"));
    }
    for c in &f.cycles {
        report.push_str(&format!("CYCLE {}\n", c.join(" ")));
    }
    for (rel, n) in &f.big {
        report.push_str(&format!(
            "BIG {rel}: {n} lines of code (at most {MAX_CODE_LINES})\n"
        ));
    }
    assert!(
        report.is_empty(),
        "the walls of README \"Architecture\":\n{report}"
    );
}

fn tree(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(p, t)| ((*p).to_string(), (*t).to_string()))
        .collect()
}

#[test]
fn a_lower_layer_importing_a_higher_one_is_a_wall() {
    let f = check(&tree(&[
        ("lib.rs", "pub mod model; pub mod ui;"),
        ("model/mod.rs", "use crate::ui::app::App;\n"),
        ("ui/mod.rs", "pub mod app;"),
        ("ui/app.rs", "use crate::model::Store;"),
    ]));
    assert_eq!(f.walls.len(), 1, "{:?}", f.walls);
    assert!(f.walls[0].starts_with("model (lower) imports ui (higher): model/mod.rs:1"));
}

#[test]
fn siblings_the_wiring_and_the_leaf_are_walls_too() {
    let f = check(&tree(&[
        ("ui/panes.rs", "use crate::{headless::Table, model::Store};"),
        ("headless/mod.rs", "fn x() { crate::text::width(\"\"); }"),
        (
            "ingest/mod.rs",
            "use crate::config::Config;\nuse crate::query::{self, parse};",
        ),
        ("query/mod.rs", ""),
        ("config.rs", "use crate::ui::panes;"),
        ("text.rs", "use crate::model::Nanos;"),
        ("model/mod.rs", ""),
    ]));
    let all = f.walls.join("\n");
    assert!(
        all.contains("headless and ui are siblings")
            || all.contains("ui and headless are siblings"),
        "{all}"
    );
    assert!(
        all.contains("layer ingest imports the wiring (config)"),
        "{all}"
    );
    assert!(all.contains("ingest and query are siblings"), "{all}");
    assert!(all.contains("the leaf text imports model"), "{all}");
    assert_eq!(f.walls.len(), 5, "{all}");
}

#[test]
fn files_importing_each_other_in_a_circle_are_a_cycle() {
    let f = check(&tree(&[
        ("ui/mod.rs", "pub mod app; pub mod steps;"),
        ("ui/app.rs", "use super::steps::StepsState;"),
        ("ui/steps.rs", "use super::{app::App, view::View};"),
        ("ui/view.rs", "use crate::ui::app::Focus;"),
        ("ui/alone.rs", "use super::view::View;"),
    ]));
    assert_eq!(
        f.cycles,
        vec![vec![
            "ui/app.rs".to_string(),
            "ui/steps.rs".into(),
            "ui/view.rs".into()
        ]]
    );
}

#[test]
fn only_code_outside_tests_counts_towards_the_size_limit() {
    let code = "fn f() {}\n".repeat(MAX_CODE_LINES);
    let tests = format!(
        "#[cfg(test)]\nmod tests {{\n{}}}\n",
        "    fn t() {}\n".repeat(50)
    );
    let ok = check(&tree(&[("model/a.rs", &format!("{code}{tests}"))]));
    assert!(ok.big.is_empty(), "{:?}", ok.big);
    let over = check(&tree(&[("model/a.rs", &format!("{code}fn g() {{}}\n"))]));
    assert_eq!(
        over.big,
        vec![("model/a.rs".to_string(), MAX_CODE_LINES + 1)]
    );
}

#[test]
fn test_modules_in_their_own_files_do_not_count() {
    let big = "fn t() {}\n".repeat(MAX_CODE_LINES + 1);
    let f = check(&tree(&[
        ("ui/mod.rs", "#[cfg(test)]\nmod tests;\npub mod app;"),
        (
            "ui/tests.rs",
            &format!("use crate::headless::Table;\n{big}"),
        ),
        ("ui/app.rs", &big),
    ]));
    assert!(f.walls.is_empty(), "{:?}", f.walls);
    assert_eq!(f.big, vec![("ui/app.rs".to_string(), MAX_CODE_LINES + 1)]);
}
