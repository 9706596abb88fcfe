#!/usr/bin/env bash
# The whole suite RUNS times in a row on a fresh clone, with HOGS CPU-bound processes beside it
# (issue 9: nothing may be flaky on a busy machine). Prints one line per run and a summary.
#   bench/suite_under_load.sh [RUNS=5] [HOGS=2]
set -uo pipefail
runs=${1:-5}
hogs=${2:-2}
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
work=$(mktemp -d /tmp/binari-load-XXXXXX)
git clone -q "$repo" "$work/binari"
cd "$work/binari" || exit 1
# Each hog burns one core for at most two hours, then stops by itself.
pids=()
for _ in $(seq "$hogs"); do
  python3 -c "import time; end = time.time() + 7200
while time.time() < end: sum(i * i for i in range(10000))" &
  pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
echo "clone $work/binari at $(git rev-parse --short HEAD), $hogs CPU-bound processes beside it"
failures=0
for run in $(seq "$runs"); do
  started=$(date +%s)
  make test > "$work/run-$run.log" 2>&1
  code=$?
  summary=$(grep -E "^=+ .*(passed|failed).* =+$" "$work/run-$run.log" | tail -1)
  echo "run $run: exit $code in $(( $(date +%s) - started )) s: $summary"
  [ "$code" -eq 0 ] || failures=$((failures + 1))
  grep -E "^(FAILED|ERROR) " "$work/run-$run.log" | head -20
done
echo "$runs runs, $failures failed; logs in $work"
exit "$failures"
