#!/usr/bin/env bash
# Keep what fuzz runs found: minimize each target's corpus (cargo fuzz cmin) and copy its
# inputs of at most 4 KiB to tests/fuzz/corpus/<target>/ (replayed on stable by
# tests/fuzz_corpus.rs), and every crash in fuzz/artifacts/ to tests/fuzz/regressions/<target>/.
#   fuzz/keep.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(file record detect otlp_body filter)
for t in "${targets[@]}"; do
  [ -d "corpus/$t" ] || continue
  cargo +nightly fuzz cmin "$t" "corpus/$t" -- -rss_limit_mb=4096 -timeout=20 >/dev/null 2>&1
  keep=../tests/fuzz/corpus/$t
  rm -rf "$keep" && mkdir -p "$keep"
  find "corpus/$t" -type f -size -4097c -exec cp {} "$keep/" \;
  echo "$t: $(ls "$keep" | wc -l) inputs kept ($(du -sh "$keep" | cut -f1))"
  for c in artifacts/"$t"/crash-* artifacts/"$t"/timeout-* artifacts/"$t"/oom-*; do
    [ -e "$c" ] || continue
    mkdir -p ../tests/fuzz/regressions/"$t"
    cp -n "$c" ../tests/fuzz/regressions/"$t"/
  done
done
