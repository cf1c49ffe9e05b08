#!/usr/bin/env python3
"""Soak: the explorer receiving and following for a long time, with retention on.

Runs `spanscope LOG --listen 127.0.0.1:PORT` (default settings: its default memory budget; or
`--max-memory SIZE` when given) in a 160x45 pseudo-terminal for
10 minutes (by default) while
  - several OTLP/HTTP exporters send protobuf bodies with fresh ids per request
    (benches/otlp_load.py: 4 clients in 2 processes, paced to --rate requests/s), and
  - LOG grows at 15 MB/s (steps lines of the shared generator, ids made unique per pass),
and a user presses j/k now and then. Every 10 s it samples the explorer's resident memory.
At the end it quits the explorer and reads its exit summary: where every span record went
(received = indexed + merged + duplicate + evicted + rejected, for each source). Checks that
the receiver's received spans equal what the exporters got acknowledged, that the file's
received spans equal what was written, and that the accounting balances.

    python3 benches/soak.py
    python3 benches/soak.py --seconds 60 --rate 100 --file-mb-per-s 5 --bin target/release/spanscope

Prints a Markdown report (memory over time, spans/s, accounting). Not part of CI.
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benches"))
import tail  # noqa: E402  (bench data, the pseudo-terminal, /proc figures)

SAMPLE = 10.0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Writer(threading.Thread):
    """Appends whole lines of `source` to `log` at `rate` bytes/s; every pass over the source
    gets its own trace ids. Counts the span records written (a steps line: 1 + its steps)."""

    def __init__(self, source, log, rate, stop):
        super().__init__(daemon=True)
        with open(source, "rb") as f:
            self.lines = f.read().splitlines(keepends=True)
        self.spans = [1 + len(json.loads(l).get("steps") or []) for l in self.lines]
        self.log, self.rate, self.stop = log, rate, stop
        self.bytes = 0
        self.records = 0
        self.written_spans = 0

    def run(self):
        step = 0.05
        per_step = int(self.rate * step)
        out = open(self.log, "ab")
        i, npass = 0, 0
        tick = time.monotonic()
        while not self.stop.is_set():
            block = []
            size = 0
            while size < per_step:
                line = self.lines[i]
                if npass:
                    line = line.replace(b'"trace_id": "', b'"trace_id": "p%d-' % npass, 1)
                block.append(line)
                size += len(line)
                self.written_spans += self.spans[i]
                self.records += 1
                i += 1
                if i == len(self.lines):
                    i, npass = 0, npass + 1
            out.write(b"".join(block))
            out.flush()
            self.bytes += size
            tick += step
            time.sleep(max(0.0, tick - time.monotonic()))
        out.close()


def flatness(samples, seconds):
    """Whether resident memory is flat over the second half of the run: the least-squares trend
    of the samples taken then, over that half, moves it by at most 5 % of their mean. (While the
    index fills toward its budget memory rises; once the budget is reached the oldest traces are
    evicted as new ones come, and it stays.) Returns (flat, MiB per minute, mean, the samples)."""
    pts = [(ts, rss) for ts, rss, _ in samples if ts >= seconds / 2]
    if len(pts) < 3:
        return False, 0.0, 0.0, []
    n = len(pts)
    mt = sum(t for t, _ in pts) / n
    mr = sum(r for _, r in pts) / n
    var = sum((t - mt) ** 2 for t, _ in pts)
    slope = sum((t - mt) * (r - mr) for t, r in pts) / var if var else 0.0
    flat = abs(slope * seconds / 2) <= 0.05 * mr
    return flat, slope * 60, mr, [r for _, r in pts]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--rate", type=int, default=200, help="OTLP requests/s over all exporters")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--file-mb-per-s", type=float, default=15.0,
                    help="how fast the followed log grows (default 15: the default budget is "
                    "reached in about six minutes; at 5 it takes about sixteen)")
    ap.add_argument("--max-memory", default=None,
                    help="pass --max-memory SIZE to the explorer (default: its default settings)")
    ap.add_argument("--bin")
    a = ap.parse_args()

    binary = a.bin
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "spanscope")
    source = tail.data(110, 43)
    tmp = tempfile.mkdtemp(prefix="spanscope-soak-")
    log = os.path.join(tmp, "traces.jsonl")
    open(log, "wb").close()
    port = free_port()

    pid, fd = tail.spawn_in_pty(
        [binary, log, "--listen", "127.0.0.1:%d" % port]
        + (["--max-memory", a.max_memory] if a.max_memory else [])
    )
    tail_bytes = bytearray()

    def read():
        while True:
            try:
                b = os.read(fd, 65536)
            except OSError:
                return
            if not b:
                return
            tail_bytes.extend(b)
            del tail_bytes[:-65536]

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                sys.exit("soak.py: the receiver did not start")
            time.sleep(0.1)

    stop = threading.Event()
    writer = Writer(source, log, a.file_mb_per_s * 1e6, stop)
    load = subprocess.Popen(
        [
            sys.executable, os.path.join(ROOT, "benches", "otlp_load.py"),
            "--url", "http://127.0.0.1:%d/v1/traces" % port,
            "--bodies", os.path.join(ROOT, "tests", "fixtures", "otlp-protobuf"),
            "--clients", str(a.clients), "--procs", "2", "--unique-ids",
            "--seconds", str(a.seconds), "--warmup", "0", "--rate", str(a.rate),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    start = time.monotonic()
    writer.start()
    samples = []
    n = 0
    while load.poll() is None:
        time.sleep(1.0)
        n += 1
        if n % 3 == 0:
            os.write(fd, b"jk"[(n // 3) % 2 : (n // 3) % 2 + 1])
        t = time.monotonic() - start
        if not samples or t - samples[-1][0] >= SAMPLE:
            samples.append((t, tail.status_mib(pid, "VmRSS"), writer.bytes))
    stop.set()
    writer.join()
    elapsed = time.monotonic() - start
    loaded = json.loads(load.stdout.read().strip().splitlines()[-1])
    # let the explorer read the rest of the file, then quit and read its exit summary
    time.sleep(5)
    samples.append((time.monotonic() - start, tail.status_mib(pid, "VmRSS"), writer.bytes))
    os.write(fd, b"q")
    _, status = os.waitpid(pid, 0)
    time.sleep(0.2)
    text = bytes(tail_bytes).decode("utf-8", "replace")
    summary = text[text.rfind("\x1b[?1049l") :]
    os.unlink(log)
    os.rmdir(tmp)

    def nums(line):
        return [int(x) for x in re.findall(r"\d+", line)]

    def received_of(line):
        return int(re.search(r": (\d+) span record\(s\) received = ", line).group(1))

    lines = [l.strip() for l in summary.splitlines() if l.strip().startswith("spanscope:")]
    total = next(l for l in lines if "span record(s) received" in l)
    per_source = [l for l in lines[lines.index(total) + 1 :] if "received = " in l]
    t = nums(total)
    received, indexed, merged, dup, evicted, rejected, held, gone = t[:8]

    print("## Soak: %d s, %d exporters at %d req/s, a file growing at %.1f MB/s, --max-memory %s\n"
          % (a.seconds, a.clients, a.rate, a.file_mb_per_s, a.max_memory or "default"))
    print("| time | RSS (MiB) | file written (MB) |")
    print("|---:|---:|---:|")
    for ts, rss, b in samples:
        print("| %4.0f s | %.0f | %.0f |" % (ts, rss, b / 1e6))
    warm = [r for ts, r, _ in samples if ts >= 60]
    print()
    if warm:
        print("RSS after the first minute: min %.0f, max %.0f MiB (%d samples)"
              % (min(warm), max(warm), len(warm)))
    flat, slope, mean, late = flatness(samples[:-1], a.seconds)
    if late:
        print("RSS over the second half: min %.0f, max %.0f, mean %.0f MiB; trend %+.1f MiB/min"
              % (min(late), max(late), mean, slope))
    print("exporters: %s requests, %s spans accepted (%s spans/s), statuses %s, p50 %s ms, p99 %s ms"
          % (loaded.get("requests"), loaded.get("spans_accepted"), loaded.get("spans_per_s_accepted"),
             loaded.get("status"), (loaded.get("latency_ms") or {}).get("p50"), (loaded.get("latency_ms") or {}).get("p99")))
    print("file: %.0f MB, %d lines, %d span records written" % (writer.bytes / 1e6, writer.records, writer.written_spans))
    print("explorer: %d span records received in %.0f s = %.0f spans/s; exit %d"
          % (received, elapsed, received / elapsed, os.waitstatus_to_exitcode(status)))
    print()
    print("accounting: %d received = %d indexed + %d merged + %d duplicate + %d evicted + %d rejected; %d traces held, %d evicted"
          % (received, indexed, merged, dup, evicted, rejected, held, gone))
    for l in per_source:
        print("  " + l.replace("spanscope:", "").strip())
    ok = received == indexed + merged + dup + evicted + rejected
    file_line = next((l for l in per_source if log in l), None)
    recv_line = next((l for l in per_source if "receiver" in l), None)
    checks = [("accounting balances", ok),
              ("memory flat over the second half (trend within 5 %% of the mean): %+.0f MiB"
               % (slope * a.seconds / 120), flat)]
    if file_line:
        checks.append(("file: received == written (%d)" % writer.written_spans,
                       received_of(file_line) == writer.written_spans))
    if recv_line:
        checks.append(("receiver: received == acknowledged (%s)" % loaded.get("spans_accepted"),
                       received_of(recv_line) == loaded.get("spans_accepted")))
    print()
    for what, good in checks:
        print("- %s: %s" % (what, "yes" if good else "NO"))
    sys.exit(0 if all(g for _, g in checks) else 1)


if __name__ == "__main__":
    main()
