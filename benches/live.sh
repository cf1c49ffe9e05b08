#!/usr/bin/env bash
# Throughput and latency of spanscope's OTLP receiver (OTLP/HTTP POST /v1/traces, or OTLP/gRPC), driven by
# benches/otlp_load.py with fresh trace/span ids per request (--unique-ids), 4 clients in 2
# processes, 2 s warm-up, on loopback only. Scenarios, each against a fresh server on a free port:
#
#   tui          `spanscope --listen` (the explorer, in a 120x40 pseudo-terminal, default
#                settings: its default memory budget), protobuf bodies
#   tui-bounded  the same with `--max-memory 256MiB`: the oldest traces are evicted as spans arrive
#   record       `spanscope record` (headless, appends to a file), protobuf bodies
#   record-json  `spanscope record`, OTLP/JSON bodies
#   grpc         the explorer as in `tui` (default settings), the same protobuf bodies sent as
#                OTLP/gRPC TraceService/Export calls (otlp_load.py --grpc); the load generator
#                needs grpcio: GRPC_PYTHON names a python that has it (default python3), e.g.
#                the test virtualenv's, target/tmp/py-venv/bin/python
#
# For `record`, the spans accepted in its exit summary are checked against the generator's count.
# `record` writes its file to a temporary directory (about 2.5 KB per span; deleted after each run).
# Prints a Markdown table of medians over the runs; raw JSON lines go to target/bench-live/.
#
#   benches/live.sh
#   SPANSCOPE_BIN=path/to/spanscope RUNS=3 SECONDS_PER_RUN=10 SCENARIOS="tui record" benches/live.sh
#
# Without SPANSCOPE_BIN the binary is built with `cargo build --release`.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-3}
# the explorer runs 60 s (memory must be flat, not just small); record 10 s, since its file
# takes about 2.5 KB per span
seconds_for() {
  if [ -n "${SECONDS_PER_RUN:-}" ]; then echo "$SECONDS_PER_RUN"; else case $1 in tui* | grpc) echo 60 ;; *) echo 10 ;; esac; fi
}
scenarios=${SCENARIOS:-tui tui-bounded record record-json}
clients=4
procs=2
warmup=2
otelite_spans_per_s=2888 # otelite 0.1.156, 4 clients, from PEERS-LIVE.md (not measured here)
load=benches/otlp_load.py
grpc_python=${GRPC_PYTHON:-python3}
case " $scenarios " in
  *" grpc "*)
    "$grpc_python" -c 'import grpc' 2>/dev/null || {
      echo "live.sh: the grpc scenario needs grpcio in $grpc_python (pip install grpcio==1.85.3, or GRPC_PYTHON=target/tmp/py-venv/bin/python)" >&2
      exit 2
    }
    ;;
esac

if [ -n "${SPANSCOPE_BIN:-}" ]; then
  bin=$SPANSCOPE_BIN
else
  cargo build --release --quiet
  bin=target/release/spanscope
fi
[ -x "$bin" ] || { echo "live.sh: no executable at $bin" >&2; exit 1; }

stamp=$(date +%Y%m%d-%H%M%S)
out=target/bench-live/$stamp
mkdir -p "$out"
tmp=$(mktemp -d)

# Every server started here; the trap stops whatever is still running.
declare -a pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a command in a pseudo-terminal (120x40) and discards its output, so the explorer never
# blocks on a full terminal. Writes the child's pid to argv[1]. On SIGTERM it types 'q' and waits
# up to 5 s, then sends SIGTERM and, 2 s later, SIGKILL. Answers cursor-position and
# device-attribute queries so nothing waits for a real terminal.
read -r -d '' pty_py <<'PY' || true
import fcntl, os, pty, select, signal, struct, sys, termios, time
pidfile, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    try:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        os.environ["TERM"] = "xterm-256color"
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
with open(pidfile + ".tmp", "w") as f:
    f.write("%d\n" % pid)
os.rename(pidfile + ".tmp", pidfile)
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
status, quit_at, how, open_ = None, None, "exited by itself", True
while status is None:
    if stop and quit_at is None:
        quit_at, how = time.monotonic(), "quit on 'q'"
        try:
            os.write(fd, b"q")
        except OSError:
            pass
    if quit_at is not None:
        waited = time.monotonic() - quit_at
        if waited > 7:
            os.kill(pid, signal.SIGKILL); how = "killed (SIGKILL)"
        elif waited > 5 and how == "quit on 'q'":
            os.kill(pid, signal.SIGTERM); how = "stopped by SIGTERM ('q' did not quit)"
    r = select.select([fd], [], [], 0.1)[0] if open_ else time.sleep(0.1)
    if r:
        try:
            data = os.read(fd, 1 << 16)
        except OSError:
            data = b""
        if b"\x1b[6n" in data:
            os.write(fd, b"\x1b[1;1R")
        if b"\x1b[c" in data or b"\x1b[0c" in data:
            os.write(fd, b"\x1b[?62c")
        if not data:
            open_ = False  # the child closed the terminal: it is exiting
    p, st = os.waitpid(pid, os.WNOHANG)
    if p:
        status = st
code = os.waitstatus_to_exitcode(status)
print("pty: %s, exit code %d" % (how, code), file=sys.stderr)
sys.exit(0 if code == 0 else 1)
PY

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
http_ok() { # URL -> status 0 when it answers 200
  python3 -c 'import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=1).status == 200 else 1)
except Exception:
    sys.exit(1)' "$1"
}
port_open() {
  python3 -c 'import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)' "$1"
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# wait_ready PID PORT: until /healthz answers 200 (15 s at most)
wait_ready() {
  for _ in $(seq 150); do
    kill -0 "$1" 2>/dev/null || { echo "live.sh: the server exited before it was ready" >&2; return 1; }
    if http_ok "http://127.0.0.1:$2/healthz"; then return 0; fi
    sleep 0.1
  done
  echo "live.sh: /healthz on port $2 did not answer 200 within 15 s" >&2
  return 1
}

# stop PID: SIGTERM, wait up to 10 s, then SIGKILL; returns the exit status
stop() {
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  local rc=0
  wait "$1" || rc=$?
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
  return "$rc"
}

# run_once SCENARIO RUN: one fresh server, one load run; writes $out/SCENARIO-RUN.{json,meta.json,stderr}
run_once() {
  local scenario=$1 i=$2 port server wrapper="" bodies rc=0 idle rec=$tmp/rec.jsonl
  local py=python3 target grpc_port="" via=()
  local base=$out/$scenario-$i
  port=$(free_port)
  target=http://127.0.0.1:$port/v1/traces
  rm -f "$rec" "$tmp/pid"
  case $scenario in
    tui | tui-bounded)
      bodies=tests/fixtures/otlp-protobuf
      local bound=()
      [ "$scenario" = tui-bounded ] && bound=(--max-memory 256MiB)
      python3 -c "$pty_py" "$tmp/pid" "$bin" --listen "127.0.0.1:$port" "${bound[@]}" 2> "$base.stderr" &
      wrapper=$!
      pids+=("$wrapper")
      for _ in $(seq 100); do [ -s "$tmp/pid" ] && break; sleep 0.05; done
      server=$(cat "$tmp/pid")
      ;;
    grpc)
      bodies=tests/fixtures/otlp-protobuf
      grpc_port=$(free_port)
      python3 -c "$pty_py" "$tmp/pid" "$bin" --http "127.0.0.1:$port" --grpc "127.0.0.1:$grpc_port" 2> "$base.stderr" &
      wrapper=$!
      pids+=("$wrapper")
      for _ in $(seq 100); do [ -s "$tmp/pid" ] && break; sleep 0.05; done
      server=$(cat "$tmp/pid")
      py=$grpc_python
      target=http://127.0.0.1:$grpc_port
      via=(--grpc)
      ;;
    record | record-json)
      bodies=tests/fixtures/otlp-protobuf
      [ "$scenario" = record-json ] && bodies=tests/fixtures/otlp-json
      "$bin" record --listen "127.0.0.1:$port" --out "$rec" 2> "$base.stderr" &
      server=$!
      pids+=("$server")
      ;;
    *)
      echo "live.sh: unknown scenario $scenario (tui, tui-bounded, record, record-json, grpc)" >&2
      exit 2
      ;;
  esac
  wait_ready "$server" "$port"
  idle=$(rss_kib "$server")
  "$py" "$load" --url "$target" "${via[@]}" --bodies "$bodies" \
    --clients "$clients" --procs "$procs" --warmup "$warmup" --seconds "$(seconds_for "$scenario")" \
    --unique-ids --server-pid "$server" --label "$scenario#$i" > "$base.json"
  if [ -n "$wrapper" ]; then
    stop "$wrapper" || rc=$?
    kill -KILL "$server" 2>/dev/null && echo "live.sh: $scenario#$i: explorer still running after its pty wrapper exited" >&2
  else
    stop "$server" || rc=$?
  fi
  for p in "$port" $grpc_port; do
    if port_open "$p"; then
      echo "live.sh: $scenario#$i: port $p still accepts connections after the stop" >&2
      rc=1
    fi
  done
  printf '{"scenario": "%s", "run": %d, "port": %d, "server_exit": %d, "server_rss_mib_idle": %.1f, "record_bytes": %d}\n' \
    "$scenario" "$i" "$port" "$rc" "$(awk -v k="${idle:-0}" 'BEGIN {print k / 1024}')" "$(stat -c %s "$rec" 2>/dev/null || echo 0)" > "$base.meta.json"
  echo "  $scenario #$i: $(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print("%.0f spans/s accepted, p99 %.2f ms, status %s" % (d["spans_per_s_accepted"], d["latency_ms"]["p99"], d["status"]))' "$base.json")" >&2
}

echo "spanscope: $bin ($("$bin" --version 2>/dev/null || echo '?')); $runs run(s) x $scenarios; ${warmup}s warm-up + $(seconds_for tui)s (explorer) or $(seconds_for record)s (record), $clients clients in $procs processes; raw results in $out; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for scenario in $scenarios; do
  for i in $(seq "$runs"); do
    run_once "$scenario" "$i"
  done
done

# Merge each run's generator line, server facts and (for record) the exit summary into
# results.jsonl, then print the tables.
python3 - "$out" "$runs" "$otelite_spans_per_s" $scenarios <<'PY'
import json, os, re, statistics, sys
out, runs, otelite, scenarios = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
summary_re = re.compile(r"spanscope: (\d+) request\(s\): (\d+) span\(s\) or line\(s\) accepted, (\d+) rejected, (\d+) answered busy.*?; (\d+) request\(s\) recorded")
accounting_re = re.compile(r"spanscope: (\d+) span record\(s\) received = (\d+) indexed \+ (\d+) merged into earlier records \+ (\d+) duplicate \+ (\d+) evicted \+ (\d+) rejected; (\d+) trace\(s\) held, (\d+) evicted")
rows = {}
with open(os.path.join(out, "results.jsonl"), "w") as res:
    for sc in scenarios:
        for i in range(1, runs + 1):
            base = os.path.join(out, "%s-%d" % (sc, i))
            d = json.load(open(base + ".json"))
            d.update(json.load(open(base + ".meta.json")))
            err = open(base + ".stderr", errors="replace").read()
            m = summary_re.search(err)
            if m:
                d["server_summary"] = dict(zip(("requests", "accepted", "rejected", "busy", "recorded"), map(int, m.groups())))
            m = accounting_re.search(err)
            if m:
                d["server_accounting"] = dict(zip(("received", "indexed", "merged", "duplicate", "evicted", "rejected", "traces", "traces_evicted"), map(int, m.groups())))
            pty = re.search(r"^pty: .*$", err, re.M)
            if pty:
                d["pty"] = pty.group(0)[5:]
            res.write(json.dumps(d) + "\n")
            rows.setdefault(sc, []).append(d)

def non2xx(d):
    return sum(n for c, n in d["status"].items() if not (c.isdigit() and 200 <= int(c) < 300))

print()
print("| scenario | bodies | runs | spans/s accepted (median) | p50 ms (median) | p99 ms (median) | server RSS MiB (max; idle) | non-2xx / requests | x otelite* |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for sc, ds in rows.items():
    sps = statistics.median(d["spans_per_s_accepted"] for d in ds)
    print("| %s | %s | %d | %s | %.2f | %.2f | %.1f; %.1f | %d / %d | %.1fx |" % (
        sc, ds[0]["bodies"], len(ds), format(round(sps), ","),
        statistics.median(d["latency_ms"]["p50"] for d in ds),
        statistics.median(d["latency_ms"]["p99"] for d in ds),
        max(d.get("server_rss_mib_max", 0) for d in ds),
        max(d["server_rss_mib_idle"] for d in ds),
        sum(non2xx(d) for d in ds), sum(d["requests"] for d in ds), sps / otelite))
# memory over time: the first run of each scenario, sampled every 5 s from the warm-up on
series = {sc: ds[0].get("server_rss_mib_over_time") for sc, ds in rows.items() if ds[0].get("server_rss_mib_over_time")}
if series:
    times = sorted({t for v in series.values() for t, _ in v})
    print()
    print("Server RSS MiB over time (first run of each scenario, seconds from the start of the load):")
    print()
    print("| s | " + " | ".join(series) + " |")
    print("|---:|" + "---:|" * len(series))
    for t in times:
        cells = []
        for v in series.values():
            m = dict(v)
            cells.append("%.0f" % m[t] if t in m else "")
        print("| %d | %s |" % (t, " | ".join(cells)))
print()
print("\\* median spans/s divided by otelite 0.1.156's %s spans/s (4 clients) **as measured in PEERS-LIVE.md, not in this run**." % format(int(otelite), ","))
print("non-2xx / requests: summed over the timed windows of all runs (503 busy, other HTTP errors, connection errors);")
print("latency percentiles include the non-2xx answers.")

acc = [d for ds in rows.values() for d in ds if "server_summary" in d]
if acc:
    print()
    print("Accounting (`record` exit summary vs generator, warm-up included):")
    print()
    print("| run | requests sent / server | spans accepted: generator / server | busy | rejected | requests recorded | received = indexed + merged + dup + evicted + rejected | recorded file MiB | match |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---|")
    for d in acc:
        s, a = d["server_summary"], d.get("server_accounting")
        balanced = a is not None and a["received"] == a["indexed"] + a["merged"] + a["duplicate"] + a["evicted"] + a["rejected"] and a["received"] == s["accepted"]
        ok = balanced and s["accepted"] == d["total_spans_accepted_incl_warmup"] and s["requests"] == d["total_requests_incl_warmup"]
        eq = "%d = %d + %d + %d + %d + %d" % tuple(a[k] for k in ("received", "indexed", "merged", "duplicate", "evicted", "rejected")) if a else "?"
        print("| %s | %d / %d | %d / %d | %d | %d | %d | %s | %.1f | %s |" % (
            d["label"], d["total_requests_incl_warmup"], s["requests"],
            d["total_spans_accepted_incl_warmup"], s["accepted"], s["busy"], s["rejected"], s["recorded"],
            eq, d["record_bytes"] / 1048576, "yes" if ok else "**NO**"))
for d in (d for ds in rows.values() for d in ds if d["scenario"].startswith("record") and "server_summary" not in d):
    print("\nnote: %s: no exit summary from `record` on stderr" % d["label"])
odd = [d for ds in rows.values() for d in ds if d["server_exit"] != 0 or ("pty" in d and not d["pty"].startswith("quit on 'q', exit code 0"))]
for d in odd:
    print("\nnote: %s: server exit %d%s" % (d["label"], d["server_exit"], ("; " + d["pty"]) if "pty" in d else ""))
PY
