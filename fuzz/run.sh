#!/usr/bin/env bash
# Fuzz every target for SECONDS each (default 300) on nightly, from the fixture seeds.
# Crashes land in fuzz/artifacts/<target>/; copy them to tests/fuzz/regressions/<target>/.
#   fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-300}
shift || true
targets=("$@")
failed=()
[ ${#targets[@]} -gt 0 ] || targets=(file record detect otlp_body filter)
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
python3 seed.py
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  # also start from what earlier runs kept
  cp -n ../tests/fuzz/corpus/"$t"/* "corpus/$t/" 2>/dev/null || true
  cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=4096 \
    -max_len=1048576 -timeout=20 -print_final_stats=1 || failed+=("$t")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "crashes in: ${failed[*]} (inputs in fuzz/artifacts/)"
  exit 1
fi
