#!/usr/bin/env python3
"""How long the explorer takes to show its first screen and to index a whole log, beside
`spanscope list` on the same log.

The explorer runs in a private tmux server (a real terminal) with --no-follow and its default
settings; its first screen is there when the trace list shows a row (the header counts traces),
its first read is over when the status line stops saying "(reading)" and counts as many traces as
`list` printed.
`list --format jsonl` is timed to its exit, its output counted. Rounds alternate the two, and the
medians are printed with their ratio.

    python3 benches/first_read.py LOG [--rounds 5] [--bin target/release/spanscope]

Needs tmux. Not part of the test suite: it measures wall-clock time.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time


def list_run(binary, log):
    t0 = time.monotonic()
    out = subprocess.run([binary, "list", "--format", "jsonl", log],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
    return time.monotonic() - t0, out.count(b"\n")


def explorer_run(binary, log, traces, socket):
    subprocess.run(["tmux", "-L", socket, "kill-server"], stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-x", "160", "-y", "40",
                    binary, "--no-follow", log], check=True)
    want = f"{traces} traces"
    first = None
    try:
        while True:
            screen = subprocess.run(["tmux", "-L", socket, "capture-pane", "-p"],
                                    stdout=subprocess.PIPE, text=True).stdout
            if first is None and re.search(r" [1-9][0-9]* of [0-9]+ traces", screen):
                first = time.monotonic() - t0
            status = [line for line in screen.splitlines() if " rejected" in line]
            if status and "(reading)" not in status[-1] and want in status[-1]:
                done = time.monotonic() - t0
                return (first if first is not None else done), done
            if time.monotonic() - t0 > 600:
                sys.exit(f"the explorer did not finish reading: {status}")
            time.sleep(0.01)
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], stderr=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target",
                                                   "release", "spanscope"))
    a = ap.parse_args()
    socket = f"spanscope-bench-{os.getpid()}"
    size = os.path.getsize(a.log)
    lists, firsts, explores = [], [], []
    for r in range(a.rounds):
        t, traces = list_run(a.bin, a.log)
        lists.append(t)
        first, done = explorer_run(a.bin, a.log, traces, socket)
        firsts.append(first)
        explores.append(done)
        print(f"round {r + 1}: list {lists[-1]:.2f}s, explorer first screen {first * 1000:.0f}ms, "
              f"fully indexed {done:.2f}s ({traces} traces)", file=sys.stderr)
    ml, mf, me = statistics.median(lists), statistics.median(firsts), statistics.median(explores)
    print(f"{size / 1e6:.0f} MB, median of {a.rounds}: list {ml:.2f}s, "
          f"explorer first screen {mf * 1000:.0f}ms, fully indexed {me:.2f}s, ratio {me / ml:.2f}")

if __name__ == "__main__":
    main()
