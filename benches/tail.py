#!/usr/bin/env python3
"""Frames per second of the explorer while the log it follows grows.

Starts `spanscope LOG` in a 160x45 pseudo-terminal on a copy of a generated log (1 GB by
default), waits until the whole file is indexed (the status line says "(tailing)"), then
appends whole lines of another generated log at a steady rate (10 MB/s by default, a write
every 20 ms) for a while,
pressing j or k every 200 ms like a user reading the list. A frame is a burst of output to the
terminal (writes less than 8 ms apart). Prints the frames per second over each 1-second window
of the growth (median and lowest), the longest gap between frames, the time to index the initial
file, and the explorer's peak RSS.

    python3 benches/tail.py
    python3 benches/tail.py --initial-mb 100 --rate-mb 10 --seconds 10 --bin target/release/spanscope

Data comes from the shared generator (seed 42 for the initial log, 43 for the appended lines),
written once to target/bench-data/. Without --bin the binary is built with cargo.
"""

import argparse
import fcntl
import os
import pty
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GAP = 0.008


def data(mb, seed):
    d = os.path.join(ROOT, "target", "bench-data")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "steps-%dmb-seed%d.jsonl" % (mb, seed))
    if not os.path.exists(path):
        gen = os.environ.get("SPANSCOPE_GEN_TRACES") or os.path.join(
            ROOT, "..", "shared", "bench", "gen_traces.py"
        )
        tmp = path + ".tmp"
        subprocess.run(
            [sys.executable, gen, "--format", "steps", "--size-mb", str(mb), "--seed", str(seed), "--out", tmp],
            check=True,
            stdout=sys.stderr,
        )
        os.rename(tmp, path)
    return path


def status_mib(pid, field):
    """A memory figure of a running process from /proc (VmHWM: peak RSS, VmRSS: now), in MiB."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def peak_rss_mib(pid):
    return status_mib(pid, "VmHWM")


def spawn_in_pty(argv, rows=45, cols=160):
    """Start argv in a new pseudo-terminal of rows x cols; returns (pid, master fd)."""
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.environ["TERM"] = "xterm-256color"
        os.execv(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return pid, fd


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--initial-mb", type=int, default=1000)
    ap.add_argument("--rate-mb", type=float, default=10.0)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--bin")
    a = ap.parse_args()

    binary = a.bin
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "spanscope")
    initial = data(a.initial_mb, 42)
    extra = data(max(10, int(a.rate_mb * a.seconds) + 10), 43)

    tmp = tempfile.mkdtemp(prefix="spanscope-tail-")
    log = os.path.join(tmp, "traces.jsonl")
    shutil.copyfile(initial, log)

    pid, fd = spawn_in_pty([binary, log])

    chunks = []  # (time, bytes)
    seen = bytearray()
    indexed = threading.Event()
    started = time.monotonic()

    def read():
        while True:
            try:
                b = os.read(fd, 65536)
            except OSError:
                return
            if not b:
                return
            chunks.append((time.monotonic(), len(b)))
            if not indexed.is_set():
                seen.extend(b)
                if b"(tailing)" in seen[-4096:]:
                    indexed.set()
                del seen[:-4096]

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not indexed.wait(120):
        os.kill(pid, signal.SIGKILL)
        sys.exit("tail.py: the explorer did not finish indexing %s in 120 s" % initial)
    to_index = time.monotonic() - started
    time.sleep(1.0)

    step = 0.02
    per_step = int(a.rate_mb * 1e6 * step)
    src = open(extra, "rb")
    out = open(log, "ab")
    grow_start = time.monotonic()
    appended = 0
    keys = 0
    tick = grow_start
    while time.monotonic() - grow_start < a.seconds:
        block = src.read(per_step)
        if not block:
            break
        block += src.readline()
        out.write(block)
        out.flush()
        appended += len(block)
        tick += step
        time.sleep(max(0.0, tick - time.monotonic()))
        n = round((tick - grow_start) / step)
        if n % 10 == 0:
            os.write(fd, b"jk"[(n // 10) % 2 : (n // 10) % 2 + 1])
            keys += 1
    grow_end = time.monotonic()
    out.close()
    rss = peak_rss_mib(pid)
    time.sleep(0.5)
    os.write(fd, b"q")
    _, status = os.waitpid(pid, 0)
    shutil.rmtree(tmp, ignore_errors=True)

    frames = []
    last = None
    for t, _ in chunks:
        if t < grow_start or t > grow_end:
            continue
        if last is None or t - last > GAP:
            frames.append(t)
        last = t
    windows = [0] * max(1, int(grow_end - grow_start))
    for t in frames:
        w = int(t - grow_start)
        if w < len(windows):
            windows[w] += 1
    gaps = [b - a for a, b in zip(frames, frames[1:])]
    print(
        "initial %d MB indexed in %.2f s; appended %.1f MB in %.1f s (%.1f MB/s), %d keys"
        % (a.initial_mb, to_index, appended / 1e6, grow_end - grow_start, appended / 1e6 / (grow_end - grow_start), keys)
    )
    print(
        "frames/s over 1-s windows: median %g, lowest %d; longest gap between frames %.0f ms; peak RSS %.0f MiB; exit %d"
        % (
            statistics.median(windows),
            min(windows),
            1000 * max(gaps or [0]),
            rss,
            os.waitstatus_to_exitcode(status),
        )
    )


if __name__ == "__main__":
    main()
