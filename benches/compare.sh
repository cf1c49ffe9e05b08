#!/usr/bin/env bash
# Time whole commands on the same generated log, in one run: spanscope against jq (and jaq and
# lnav when installed), and a text search against grep -i. Prints the median wall time of each,
# its ratio to spanscope, matches, and peak RSS (GNU time, when installed).
#
#   benches/compare.sh [SIZE_MB] [RUNS]        # defaults: 100 MB, 5 runs
#   GROWTH="100 1000 4000" benches/compare.sh 1000 3   # also: how time and RSS grow with size
#
# jaq is installed under target/bench-tools (`cargo install jaq --locked`) when missing. With
# tmux, the explorer's first screen and full read of the same log are timed too
# (benches/first_read.py, default settings).
#
# The log is `gen_traces.py --format steps --seed 42` (SPANSCOPE_GEN_TRACES overrides the
# generator's path); it is written once under target/bench-data/. The same traces as OTLP/JSON
# lines (`--format otlp-jsonl`) are timed too, for spanscope's MB/s on that format.
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-100}
runs=${2:-5}
gen=${SPANSCOPE_GEN_TRACES:-../shared/bench/gen_traces.py}
data=target/bench-data/steps-${mb}mb-seed42.jsonl
otlp=target/bench-data/otlp-jsonl-${mb}mb-seed42.jsonl
mkdir -p target/bench-data
for f in "$data:steps" "$otlp:otlp-jsonl"; do
  path=${f%%:*} format=${f##*:}
  if [ ! -f "$path" ]; then
    python3 "$gen" --format "$format" --size-mb "$mb" --seed 42 --out "$path.tmp" 2>/dev/null
    mv "$path.tmp" "$path"
  fi
done
cargo build --release --quiet
bin=target/release/spanscope
if ! command -v jaq >/dev/null; then
  [ -x target/bench-tools/bin/jaq ] || cargo install jaq --locked --quiet --root target/bench-tools
  PATH="$PWD/target/bench-tools/bin:$PATH"
fi
cat "$data" "$otlp" > /dev/null # warm the page cache

declare -a names cmds files
add() { names+=("$1"); cmds+=("$2"); files+=("${3:-$data}"); }
add "spanscope list --filter 'dur>2s' --format jsonl" "$bin list '$data' --filter 'dur>2s' --format jsonl"
if command -v jq >/dev/null; then add "jq 'select(.total_latency_ms > 2000)'" "jq -c 'select(.total_latency_ms > 2000)' '$data'"; fi
if command -v jaq >/dev/null; then add "jaq 'select(.total_latency_ms > 2000)'" "jaq -c 'select(.total_latency_ms > 2000)' '$data'"; fi
if command -v lnav >/dev/null; then
  add "spanscope list --filter 'status:error' (failed traces)" "$bin list '$data' --filter 'status:error' --format jsonl"
  add "jq failed traces" "jq -c 'select(.status == \"error\")' '$data'"
fi
# text: the whole command (index, then search) and grep's count of the lines that say it
add "spanscope list --filter 'text:\"rate limit\"' --format jsonl" "$bin list '$data' --filter 'text:\"rate limit\"' --format jsonl"
# (through cat: GNU grep stops at the first match when its output is /dev/null)
add "grep -i 'rate limit'" "grep -i 'rate limit' '$data' | cat"
add "spanscope list --filter 'dur>2s' --format jsonl, on OTLP/JSON lines" "$bin list '$otlp' --filter 'dur>2s' --format jsonl" "$otlp"

has_time=0
if /usr/bin/time -v true >/dev/null 2>&1; then has_time=1; fi
rss_file=$(mktemp)
trap 'rm -f "$rss_file"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

printf '%s, %s runs, %s bytes\n\n' "$data" "$runs" "$(stat -L -c %s "$data")"
printf '| command | median s | min s | max s | MB/s | x spanscope | matches | peak RSS MiB, median (range) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n'
base=""
for i in "${!names[@]}"; do
  cmd=${cmds[$i]}
  times=() rsss=()
  for _ in $(seq "$runs"); do
    s=$(date +%s.%N)
    if [ "$has_time" = 1 ]; then
      /usr/bin/time -f %M -o "$rss_file" bash -c "exec $cmd > /dev/null"
      rsss+=("$(tail -n 1 "$rss_file")")
    else
      bash -c "$cmd" > /dev/null
    fi
    e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc -l)")
  done
  med=$(printf '%s\n' "${times[@]}" | median)
  min=$(printf '%s\n' "${times[@]}" | sort -n | head -1)
  max=$(printf '%s\n' "${times[@]}" | sort -n | tail -1)
  matches=$(bash -c "$cmd" | wc -l)
  rss="—"
  if [ "$has_time" = 1 ]; then
    # the median of every run's peak, and the range
    rss=$(printf '%s\n' "${rsss[@]}" | median | awk '{printf "%.0f", $1/1024}')
    rss="$rss ($(printf '%s\n' "${rsss[@]}" | sort -n | head -1 | awk '{printf "%.0f", $1/1024}')–$(printf '%s\n' "${rsss[@]}" | sort -n | tail -1 | awk '{printf "%.0f", $1/1024}'))"
  fi
  [ -z "$base" ] && base=$med
  ratio=$(echo "$med / $base" | bc -l)
  mbs=$(echo "$(stat -L -c %s "${files[$i]}") / 1000000 / $med" | bc -l)
  printf '| `%s` | %.3f | %.3f | %.3f | %.0f | %.1f | %s | %s |\n' "${names[$i]}" "$med" "$min" "$max" "$mbs" "$ratio" "$matches" "$rss"
done

# The explorer on the same log, default settings: first screen and full read, beside list.
if command -v tmux >/dev/null; then
  echo
  python3 benches/first_read.py "$data" --rounds "$runs" --bin "$bin" 2>/dev/null
fi

# How the cost grows with the log: time and peak RSS of the same command on each size.
if [ -n "${GROWTH:-}" ]; then
  printf '\n| steps log | list --filter dur>2s, median s | s per GB | peak RSS MiB (median) | RSS MiB per GB |\n|---:|---:|---:|---:|---:|\n'
  for g in $GROWTH; do
    f=target/bench-data/steps-${g}mb-seed42.jsonl
    if [ ! -f "$f" ]; then
      python3 "$gen" --format steps --size-mb "$g" --seed 42 --out "$f.tmp" 2>/dev/null
      mv "$f.tmp" "$f"
    fi
    cat "$f" > /dev/null
    times=() rsss=()
    for _ in $(seq "$runs"); do
      s=$(date +%s.%N)
      if [ "$has_time" = 1 ]; then
        /usr/bin/time -f %M -o "$rss_file" "$bin" list "$f" --filter 'dur>2s' --format jsonl > /dev/null
        rsss+=("$(tail -n 1 "$rss_file")")
      else
        "$bin" list "$f" --filter 'dur>2s' --format jsonl > /dev/null
      fi
      e=$(date +%s.%N)
      times+=("$(echo "$e - $s" | bc -l)")
    done
    med=$(printf '%s\n' "${times[@]}" | median)
    rss="—" rpg="—"
    if [ "$has_time" = 1 ]; then
      rss=$(printf '%s\n' "${rsss[@]}" | median | awk '{printf "%.0f", $1/1024}')
      rpg=$(echo "$rss * 1000 / $g" | bc -l | xargs printf '%.0f')
    fi
    printf '| %s MB | %.3f | %.3f | %s | %s |\n' "$g" "$med" "$(echo "$med * 1000 / $g" | bc -l)" "$rss" "$rpg"
  done
fi
