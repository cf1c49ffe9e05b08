//! An MLflow tracking store kept in SQLite (`mlflow.db`: MLflow's default store, and any
//! `sqlite:///…` tracking URI), read as the lines of two formats the table already reads:
//!
//! - each trace as an MLflow trace document (`Trace.to_json()`): its info, metadata, tags and
//!   assessments from their tables, its spans from the `spans` table (or, for stores that keep
//!   them as artifacts, from `traces.json` at the trace's artifact location);
//! - each optimizer run that MLflow's DSPy autolog recorded (`log_compiles=True`) as the DSPy
//!   writer's compile lines, and each Evaluate run inside it (`log_evals=True`) as its evaluate
//!   lines with the run's `eval` metric as the score. A trace made in one of those runs
//!   (`mlflow.sourceRun`) gets the writer's marks on its root (`dspy.run_call_id`,
//!   `dspy.evaluate_call_id`), so runs, trials and their traces come out as for the writer.
//!
//! MLflow records neither the optimizer's class nor the program: a run is named by its MLflow
//! run name. The database is read from a copy in memory, so a store another process is writing
//! is never locked or changed.

use rusqlite::Connection;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::PathBuf;

/// How every SQLite database starts.
const MAGIC: &[u8] = b"SQLite format 3\0";

/// The tag MLflow's DSPy autolog puts on a compile's run.
const AUTOLOG: (&str, &str) = ("mlflow.autologging", "dspy");

/// Whether `bytes` are an SQLite database.
#[must_use]
pub fn is_sqlite(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// A store as lines, and what of it could not be read (a trace whose spans are nowhere).
#[derive(Debug, Default)]
pub struct Converted {
    pub lines: Vec<u8>,
    pub problems: Vec<String>,
}

/// Read an MLflow tracking store from the bytes of its SQLite file.
///
/// # Errors
/// Not an SQLite database SQLite can read, or one without MLflow's tables.
pub fn convert(bytes: &[u8]) -> Result<Converted, String> {
    let unreadable = |e: rusqlite::Error| format!("an SQLite file SQLite cannot read: {e}");
    let db = open(bytes).map_err(unreadable)?;
    let tables = tables(&db).map_err(unreadable)?;
    let has = |t: &str| tables.iter().any(|x| x == t);
    if !has("trace_info") || !has("runs") {
        return Err(
            "an SQLite database, but not an MLflow tracking store (it has no trace_info \
                    and runs tables)"
                .into(),
        );
    }
    // a store of an MLflow this does not know the tables of
    let schema = |e: rusqlite::Error| format!("an MLflow tracking store not read: {e}");
    let q = Queries {
        spans: has("spans"),
        assessments: has("assessments"),
    };
    let mut out = Converted::default();
    let runs = runs(&db).map_err(schema)?;
    let metrics = if q.assessments {
        metric_names(&db).map_err(schema)?
    } else {
        HashMap::new()
    };
    let marks = write_runs(&runs, &metrics, &mut out.lines);
    write_traces(&db, q, &marks, &mut out).map_err(schema)?;
    Ok(out)
}

/// The database, from a copy of its bytes (a store in WAL mode is read as its main file).
fn open(bytes: &[u8]) -> rusqlite::Result<Connection> {
    let mut head = [0u8; 20];
    let n = bytes.len().min(head.len());
    head[..n].copy_from_slice(&bytes[..n]);
    if head[18] == 2 && head[19] == 2 {
        // an in-memory database cannot be in WAL mode: read it as a rollback-journal one
        head[18] = 1;
        head[19] = 1;
    }
    let mut db = Connection::open_in_memory()?;
    let whole = io::Read::chain(&head[..n], &bytes[n..]);
    db.deserialize_read_exact("main", whole, bytes.len(), true)?;
    Ok(db)
}

fn tables(db: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
    st.query_map([], |r| r.get(0))?.collect()
}

/// One MLflow run.
#[derive(Debug, Default)]
struct MRun {
    id: String,
    name: String,
    failed: bool,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
    tags: BTreeMap<String, String>,
    params: BTreeMap<String, String>,
    metrics: BTreeMap<String, f64>,
}

fn runs(db: &Connection) -> rusqlite::Result<Vec<MRun>> {
    let mut st = db.prepare(
        "SELECT run_uuid, name, status, start_time, end_time FROM runs \
         WHERE lifecycle_stage IS NOT 'deleted' ORDER BY start_time, run_uuid",
    )?;
    let mut runs: Vec<MRun> = st
        .query_map([], |r| {
            Ok(MRun {
                id: r.get(0)?,
                name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                failed: r.get::<_, Option<String>>(2)?.as_deref() == Some("FAILED"),
                start_ms: r.get(3)?,
                end_ms: r.get(4)?,
                ..MRun::default()
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let at: HashMap<String, usize> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    for (table, which) in [("tags", 0), ("params", 1)] {
        let mut st = db.prepare(&format!("SELECT run_uuid, key, value FROM {table}"))?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let (id, k, v): (String, String, Option<String>) = (r.get(0)?, r.get(1)?, r.get(2)?);
            if let Some(&i) = at.get(&id) {
                let map = if which == 0 {
                    &mut runs[i].tags
                } else {
                    &mut runs[i].params
                };
                map.insert(k, v.unwrap_or_default());
            }
        }
    }
    let mut st = db.prepare("SELECT run_uuid, key, value, is_nan FROM latest_metrics")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let (id, k, v, nan): (String, String, f64, Option<bool>) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        if let Some(&i) = at.get(&id) {
            runs[i]
                .metrics
                .insert(k, if nan == Some(true) { f64::NAN } else { v });
        }
    }
    Ok(runs)
}

/// The metric of each run whose traces all carry feedback of one name (autolog logs each
/// example's score as feedback named after the metric function).
fn metric_names(db: &Connection) -> rusqlite::Result<HashMap<String, String>> {
    let mut st = db.prepare(
        "SELECT m.value, MIN(a.name), COUNT(DISTINCT a.name) FROM trace_request_metadata m \
         JOIN assessments a ON a.trace_id = m.request_id \
         WHERE m.key = 'mlflow.sourceRun' AND a.assessment_type = 'feedback' GROUP BY m.value",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut out = HashMap::new();
    for row in rows {
        let (run, name, names) = row?;
        if names == 1 {
            out.insert(run, name);
        }
    }
    Ok(out)
}

/// Whether a run is an Evaluate inside a compile: DSPy's autolog names it `KEY_STEP` and logs
/// the LM's settings in it.
fn is_trial(r: &MRun) -> bool {
    let step = r.name.rsplit_once('_').map(|(_, s)| s);
    step.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        && r.params.contains_key("lm_params")
}

/// Where a trace made in a run belongs: the compile's run, and the trial's run inside it.
type Marks = HashMap<String, (String, Option<String>)>;

/// The compile and evaluate lines of every optimizer run; returns each run's marks by MLflow
/// run id.
fn write_runs(runs: &[MRun], metrics: &HashMap<String, String>, out: &mut Vec<u8>) -> Marks {
    let parent = |r: &MRun| r.tags.get("mlflow.parentRunId").cloned();
    let mut compiles: Vec<&MRun> = Vec::new();
    let mut trials: HashMap<String, Vec<&MRun>> = HashMap::new();
    for r in runs {
        if let Some(p) = parent(r).filter(|_| is_trial(r)) {
            trials.entry(p).or_default().push(r);
        }
    }
    for r in runs {
        let tagged = r.tags.get(AUTOLOG.0).map(String::as_str) == Some(AUTOLOG.1);
        if tagged || trials.contains_key(&r.id) {
            compiles.push(r);
        }
    }
    let mut marks = Marks::new();
    for c in compiles {
        marks.insert(c.id.clone(), (c.id.clone(), None));
        let settings: Map<String, Value> = c
            .params
            .iter()
            .filter(|(k, _)| k.as_str() != "lm_params")
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        // no trainset size: autolog's trainset.json can hold the set more than once (8 rows
        // for BootstrapFewShot on 4 examples, MLflow 3.17)
        let mut optimizer = json!({ "settings": settings });
        let own = trials.get(&c.id).map_or(&[][..], Vec::as_slice);
        let mut names = own.iter().filter_map(|t| metrics.get(&t.id));
        if let Some(first) = names.next()
            && names.all(|n| n == first)
        {
            optimizer["metric"] = json!(first);
        }
        let head = json!({
            "v": 1, "kind": "compile", "call_id": c.id, "parent_call_id": null,
            "root_call_id": c.id, "run_call_id": c.id, "instance": { "class": c.name },
        });
        line(out, &head, "start", c.start_ms, |l| {
            l.insert("optimizer".into(), optimizer);
        });
        for t in own {
            marks.insert(t.id.clone(), (c.id.clone(), Some(t.id.clone())));
            let head = json!({
                "v": 1, "kind": "evaluate", "call_id": t.id, "parent_call_id": null,
                "root_call_id": t.id, "run_call_id": c.id, "evaluate_call_id": t.id,
                "instance": { "class": "Evaluate" },
            });
            line(out, &head, "start", t.start_ms, |_| {});
            if t.end_ms.is_some() {
                let score = t.metrics.get("eval").copied().filter(|s| s.is_finite());
                line(out, &head, "end", t.end_ms, |l| {
                    let metric = metrics.get(&t.id);
                    l.insert(
                        "outputs".into(),
                        json!({ "score": score, "metric": metric }),
                    );
                    failure(l, t);
                });
            }
        }
        if c.end_ms.is_some() {
            line(out, &head, "end", c.end_ms, |l| failure(l, c));
        }
    }
    marks
}

/// A failed run's line says so.
fn failure(l: &mut Map<String, Value>, r: &MRun) {
    if r.failed {
        l.insert(
            "exception".into(),
            json!({ "type": "MLflow run FAILED", "message": format!("MLflow marked run {} as failed", r.name) }),
        );
    }
}

/// Append one writer line: `head` at `phase`, at `ms`, with what `add` puts in.
fn line(
    out: &mut Vec<u8>,
    head: &Value,
    phase: &str,
    ms: Option<i64>,
    add: impl FnOnce(&mut Map<String, Value>),
) {
    let mut l = head.as_object().cloned().unwrap_or_default();
    let kind = l.get("kind").and_then(Value::as_str).unwrap_or_default();
    l.insert("event".into(), json!(format!("{kind}_{phase}")));
    l.insert("phase".into(), json!(phase));
    l.insert(
        "ts_unix_ns".into(),
        json!(ms.map(|m| m.saturating_mul(1_000_000))),
    );
    add(&mut l);
    push_line(out, &Value::Object(l));
}

fn push_line(out: &mut Vec<u8>, v: &Value) {
    // writing a `Value` to a vector does not fail
    let _ = serde_json::to_writer(&mut *out, v);
    out.push(b'\n');
}

/// A local path of an MLflow artifact URI (`file://…` or a plain path).
fn local(uri: &str) -> Option<PathBuf> {
    match uri.strip_prefix("file://") {
        Some(path) => Some(PathBuf::from(path)),
        None => uri.starts_with('/').then(|| PathBuf::from(uri)),
    }
}

/// Which optional tables the store has.
#[derive(Clone, Copy)]
struct Queries {
    spans: bool,
    assessments: bool,
}

/// One trace being put together.
#[derive(Default)]
struct Doc {
    time_ms: Option<i64>,
    duration_ms: Option<i64>,
    state: Option<String>,
    metadata: Map<String, Value>,
    tags: Map<String, Value>,
    assessments: Vec<Value>,
}

/// A trace as `Trace.to_json()` writes it, its spans as the store holds their JSON.
#[derive(Serialize)]
struct Document {
    info: Value,
    data: Spans,
}

#[derive(Serialize)]
struct Spans {
    spans: Vec<Box<RawValue>>,
}

fn write_traces(
    db: &Connection,
    q: Queries,
    marks: &Marks,
    out: &mut Converted,
) -> rusqlite::Result<()> {
    let mut docs: BTreeMap<String, Doc> = BTreeMap::new();
    let mut st =
        db.prepare("SELECT request_id, timestamp_ms, execution_time_ms, status FROM trace_info")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        docs.insert(
            r.get(0)?,
            Doc {
                time_ms: r.get(1)?,
                duration_ms: r.get(2)?,
                state: r.get(3)?,
                ..Doc::default()
            },
        );
    }
    for (table, tags) in [("trace_request_metadata", false), ("trace_tags", true)] {
        let mut st = db.prepare(&format!("SELECT request_id, key, value FROM {table}"))?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let (id, k, v): (String, String, Option<String>) = (r.get(0)?, r.get(1)?, r.get(2)?);
            if let Some(d) = docs.get_mut(&id) {
                let map = if tags { &mut d.tags } else { &mut d.metadata };
                map.insert(k, Value::String(v.unwrap_or_default()));
            }
        }
    }
    if q.assessments {
        let mut st = db.prepare(
            "SELECT trace_id, name, value, valid FROM assessments \
             WHERE assessment_type = 'feedback' ORDER BY created_timestamp",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let (id, name, value, valid): (String, String, Option<String>, Option<bool>) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            if let Some(d) = docs.get_mut(&id) {
                let value = value
                    .and_then(|v| serde_json::from_str::<Value>(&v).ok())
                    .unwrap_or(Value::Null);
                d.assessments.push(json!({
                    "assessment_name": name,
                    "valid": valid.unwrap_or(true),
                    "feedback": { "value": value },
                }));
            }
        }
    }
    // each trace's spans, the root's (no parent) marked with the run it was made in
    let mut spans_of = if q.spans {
        Some(db.prepare(
            "SELECT content, parent_span_id FROM spans WHERE trace_id = ?1 \
             ORDER BY start_time_unix_nano, span_id",
        )?)
    } else {
        None
    };
    let mut docs: Vec<(String, Doc)> = docs.into_iter().collect();
    docs.sort_by(|a, b| (a.1.time_ms, &a.0).cmp(&(b.1.time_ms, &b.0)));
    for (id, d) in docs {
        let run = d.metadata.get("mlflow.sourceRun").and_then(Value::as_str);
        let mark = run.and_then(|r| marks.get(r));
        let mut spans = Vec::new();
        if let Some(st) = spans_of.as_mut() {
            let mut rows = st.query([&id])?;
            while let Some(r) = rows.next()? {
                let (content, parent): (String, Option<String>) = (r.get(0)?, r.get(1)?);
                let root = parent.is_none_or(|p| p.is_empty());
                let span = match mark {
                    Some(m) if root => serde_json::from_str(&content).map(|mut v| {
                        mark_root(&mut v, m);
                        v.to_string()
                    }),
                    _ => Ok(content),
                };
                spans.extend(span.ok().and_then(|s| RawValue::from_string(s).ok()));
            }
        }
        if spans.is_empty() {
            let at = d
                .tags
                .get("mlflow.artifactLocation")
                .and_then(Value::as_str);
            match at.and_then(artifact_spans) {
                Some(found) => {
                    for mut v in found {
                        let parent = v.get("parent_span_id");
                        if let Some(m) = mark
                            && parent.is_none_or(|p| p.is_null() || p.as_str() == Some(""))
                        {
                            mark_root(&mut v, m);
                        }
                        spans.extend(RawValue::from_string(v.to_string()).ok());
                    }
                }
                None => {
                    out.problems.push(format!(
                        "trace {id}: its spans are neither in the store's spans table nor in \
                         traces.json at its artifact location ({})",
                        at.unwrap_or("none")
                    ));
                    continue;
                }
            }
        }
        let doc = Document {
            info: json!({
                "trace_id": id,
                "request_time": d.time_ms,
                "execution_duration": d.duration_ms,
                "state": d.state,
                "trace_metadata": d.metadata,
                "tags": d.tags,
                "assessments": d.assessments,
            }),
            data: Spans { spans },
        };
        // writing to a vector does not fail
        let _ = serde_json::to_writer(&mut out.lines, &doc);
        out.lines.push(b'\n');
    }
    Ok(())
}

/// The spans of a trace kept as an artifact (`traces.json`: `{"spans": [...]}`).
fn artifact_spans(location: &str) -> Option<Vec<Value>> {
    let path = local(location)?.join("traces.json");
    let v: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    match v.get("spans")? {
        Value::Array(spans) if !spans.is_empty() => Some(spans.clone()),
        _ => None,
    }
}

/// Put the writer's run marks on a root span (MLflow attribute values are JSON text).
fn mark_root(span: &mut Value, (compile, trial): &(String, Option<String>)) {
    let Some(attrs) = span
        .as_object_mut()
        .map(|s| s.entry("attributes").or_insert_with(|| json!({})))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let text = |s: &str| Value::String(Value::String(s.to_string()).to_string());
    attrs.insert("dspy.run_call_id".into(), text(compile));
    if let Some(t) = trial {
        attrs.insert("dspy.evaluate_call_id".into(), text(t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trial_is_a_numbered_run_with_the_lm_s_settings() {
        let run = |name: &str, lm: bool| MRun {
            name: name.into(),
            params: if lm {
                [("lm_params".to_string(), "{}".to_string())].into()
            } else {
                BTreeMap::new()
            },
            ..MRun::default()
        };
        assert!(is_trial(&run("eval_full_0", true)));
        assert!(is_trial(&run("eval_12", true)));
        assert!(
            !is_trial(&run("eval_12", false)),
            "no LM settings: not DSPy's"
        );
        assert!(
            !is_trial(&run("eval", true)),
            "an Evaluate outside a compile"
        );
        assert!(!is_trial(&run("eval_", true)));
        assert!(!is_trial(&run("burly-steed-535", true)));
    }

    #[test]
    fn artifact_uris() {
        assert_eq!(local("/a/b"), Some(PathBuf::from("/a/b")));
        assert_eq!(local("file:///a/b"), Some(PathBuf::from("/a/b")));
        assert_eq!(local("s3://bucket/a"), None);
        assert_eq!(local("mlflow-artifacts:/1/x"), None);
    }

    /// A store as MLflow 3 lays it out, with only the columns read: a compile with a trial that
    /// failed and one that scored, a trace in each, and a trace whose spans are nowhere.
    fn store_bytes(artifacts: &std::path::Path) -> Vec<u8> {
        let mut db = Connection::open_in_memory().unwrap();
        let span = |trace: &str, id: &str, parent: Option<&str>| {
            json!({ "trace_id": "AAAAAAAAAAAAAAAAAAAAAA==", "span_id": id, "parent_span_id": parent,
                    "name": format!("{trace}.{id}"), "attributes": { "mlflow.spanType": "\"LLM\"" } })
            .to_string()
        };
        db.execute_batch(
            "CREATE TABLE runs (run_uuid TEXT, name TEXT, status TEXT, start_time INTEGER, \
               end_time INTEGER, lifecycle_stage TEXT);
             CREATE TABLE tags (run_uuid TEXT, key TEXT, value TEXT);
             CREATE TABLE params (run_uuid TEXT, key TEXT, value TEXT);
             CREATE TABLE latest_metrics (run_uuid TEXT, key TEXT, value REAL, is_nan INTEGER);
             CREATE TABLE trace_info (request_id TEXT, timestamp_ms INTEGER, \
               execution_time_ms INTEGER, status TEXT);
             CREATE TABLE trace_request_metadata (request_id TEXT, key TEXT, value TEXT);
             CREATE TABLE trace_tags (request_id TEXT, key TEXT, value TEXT);
             CREATE TABLE spans (trace_id TEXT, span_id TEXT, parent_span_id TEXT, \
               start_time_unix_nano INTEGER, content TEXT);
             INSERT INTO runs VALUES ('c', 'brave-owl-1', 'FINISHED', 1000, 9000, 'active'),
               ('e0', 'eval_0', 'FAILED', 2000, 3000, 'active'),
               ('e1', 'eval_1', 'FINISHED', 4000, 5000, 'active'),
               ('gone', 'eval_2', 'FINISHED', 4000, 5000, 'deleted'),
               ('u', 'my-own-run', 'FINISHED', 100, 200, 'active');
             INSERT INTO tags VALUES ('c', 'mlflow.autologging', 'dspy'),
               ('e0', 'mlflow.parentRunId', 'c'), ('e1', 'mlflow.parentRunId', 'c'),
               ('gone', 'mlflow.parentRunId', 'c');
             INSERT INTO params VALUES ('c', 'num_trials', '2'), ('c', 'lm_params', '{}'),
               ('e0', 'lm_params', '{}'), ('e1', 'lm_params', '{}'), ('gone', 'lm_params', '{}');
             INSERT INTO latest_metrics VALUES ('e1', 'eval', 75.0, 0), ('c', 'eval', 75.0, 0);
             INSERT INTO trace_info VALUES ('tr-a', 4100, 10, 'OK'), ('tr-b', 1500, 10, 'OK'),
               ('tr-lost', 6000, 10, 'OK');
             INSERT INTO trace_request_metadata VALUES ('tr-a', 'mlflow.sourceRun', 'e1'),
               ('tr-b', 'mlflow.sourceRun', 'c'), ('tr-art', 'mlflow.sourceRun', 'e1');
             INSERT INTO trace_info VALUES ('tr-art', 5000, 10, 'OK');",
        )
        .unwrap();
        // an older store's trace: its spans at its artifact location
        let spans = format!("{{\"spans\": [{}]}}", span("tr-art", "AAAAAAAAAAQ=", None));
        std::fs::write(artifacts.join("traces.json"), spans).unwrap();
        db.execute(
            "INSERT INTO trace_tags VALUES ('tr-art', 'mlflow.artifactLocation', ?1)",
            [format!("file://{}", artifacts.display())],
        )
        .unwrap();
        for (t, id, parent) in [
            ("tr-a", "AAAAAAAAAAE=", None),
            ("tr-a", "AAAAAAAAAAI=", Some("AAAAAAAAAAE=")),
            ("tr-b", "AAAAAAAAAAM=", None),
        ] {
            db.execute(
                "INSERT INTO spans VALUES (?1, ?2, ?3, 0, ?4)",
                rusqlite::params![t, id, parent, span(t, id, parent)],
            )
            .unwrap();
        }
        db.serialize("main").unwrap().to_vec()
    }

    fn lines(c: &Converted) -> Vec<Value> {
        c.lines
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect()
    }

    #[test]
    fn a_store_reads_as_writer_lines_and_trace_documents() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = store_bytes(dir.path());
        assert!(is_sqlite(&bytes));
        // the same store in WAL mode reads the same
        let plain = convert(&bytes).unwrap();
        bytes[18] = 2;
        bytes[19] = 2;
        let wal = convert(&bytes).unwrap();
        assert_eq!(plain.lines, wal.lines);
        assert_eq!(plain.problems.len(), 1, "{:?}", plain.problems);
        assert!(plain.problems[0].starts_with("trace tr-lost: its spans are neither"));

        let l = lines(&plain);
        let events: Vec<(&str, &str)> = l
            .iter()
            .filter_map(|v| Some((v.get("event")?.as_str()?, v["call_id"].as_str()?)))
            .collect();
        // the deleted trial and the user's own run are no part of it
        assert_eq!(
            events,
            [
                ("compile_start", "c"),
                ("evaluate_start", "e0"),
                ("evaluate_end", "e0"),
                ("evaluate_start", "e1"),
                ("evaluate_end", "e1"),
                ("compile_end", "c"),
            ]
        );
        assert_eq!(l[0]["instance"]["class"], "brave-owl-1");
        assert_eq!(l[0]["ts_unix_ns"], 1_000_000_000);
        assert_eq!(l[0]["optimizer"]["settings"], json!({ "num_trials": "2" }));
        assert_eq!(
            l[2]["outputs"]["score"],
            Value::Null,
            "the failed trial scores nothing"
        );
        assert!(
            l[2]["exception"]["message"]
                .as_str()
                .unwrap()
                .contains("eval_0")
        );
        assert_eq!(l[4]["outputs"]["score"], 75.0);
        assert_eq!(l[4]["run_call_id"], "c");
        assert_eq!(l[4]["evaluate_call_id"], "e1");

        // traces in order of start, their roots marked with the run they were made in
        let docs: Vec<&Value> = l.iter().filter(|v| v.get("info").is_some()).collect();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0]["info"]["trace_id"], "tr-b");
        let root = |d: &Value| d["data"]["spans"][0]["attributes"].clone();
        assert_eq!(root(docs[0])["dspy.run_call_id"], "\"c\"");
        assert!(root(docs[0]).get("dspy.evaluate_call_id").is_none());
        assert_eq!(root(docs[1])["dspy.run_call_id"], "\"c\"");
        assert_eq!(root(docs[1])["dspy.evaluate_call_id"], "\"e1\"");
        let child = &docs[1]["data"]["spans"][1]["attributes"];
        assert!(
            child.get("dspy.run_call_id").is_none(),
            "only the root is marked"
        );
        assert_eq!(docs[2]["info"]["trace_id"], "tr-art");
        assert_eq!(docs[2]["data"]["spans"][0]["name"], "tr-art.AAAAAAAAAAQ=");
        assert_eq!(root(docs[2])["dspy.evaluate_call_id"], "\"e1\"");
    }

    #[test]
    fn not_a_store() {
        assert!(!is_sqlite(b"{\"a\":1}"));
        let e = convert(b"SQLite format 3\0 and then nothing").unwrap_err();
        assert_eq!(
            e,
            "an SQLite file SQLite cannot read: file is not a database"
        );
        let other = Connection::open_in_memory().unwrap();
        other.execute_batch("CREATE TABLE t (a INTEGER)").unwrap();
        let mut other = other;
        let bytes = other.serialize("main").unwrap().to_vec();
        let e = convert(&bytes).unwrap_err();
        assert!(e.contains("not an MLflow tracking store"), "{e}");
    }
}
