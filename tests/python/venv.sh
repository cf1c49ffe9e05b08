#!/usr/bin/env bash
# Make (or reuse) the virtualenv the Python tests run in, from tests/python/requirements.txt,
# and print the path of its python. Used by .ci/run and by tests/python.rs.
#
# Exit 77 when the package registry is unreachable (the Python tests then skip, saying so);
# any other non-zero exit is a failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${1:?usage: venv.sh DIR}
req="$here/requirements.txt"
if [ -x "$venv/bin/python" ] && cmp -s "$req" "$venv/.requirements"; then
  echo "$venv/bin/python"
  exit 0
fi
python=$(command -v python3 || true)
if [ -z "$python" ]; then
  echo "venv.sh: python3 is not installed; the Python tests need it (3.10 or newer)" >&2
  exit 1
fi
rm -rf "$venv"
"$python" -m venv "$venv" >&2
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
# pip's own retries take minutes when the registry is down: ask once, quickly, first
if ! "${pip[@]}" index versions dspy --timeout 15 --retries 1 >/dev/null 2>"$venv/probe.log"; then
  echo "the package registry is unreachable ($(tail -n 1 "$venv/probe.log")): the Python tests are skipped" >&2
  exit 77
fi
if ! "${pip[@]}" install --quiet -r "$req" >&2; then
  echo "venv.sh: pip install -r $req failed" >&2
  exit 1
fi
cp "$req" "$venv/.requirements"
echo "$venv/bin/python"
