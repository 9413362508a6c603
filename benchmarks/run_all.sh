#!/usr/bin/env bash
# Every benchmark against the local devcloud (stood up and seeded when it is not running),
# then one summary table: work, ours, baseline (measured in the same run), ratio, target,
# verdict. The table is also written as JSON to benchmarks/results/summary-<UTC time>.json
# for comparing runs. Exit status 1 when a benchmark failed or missed its target.
#
#   benchmarks/run_all.sh [NAME ...]     (default: cold_start email_bench query_bench drain_bench)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
# shellcheck source=scripts/setup_env.sh
source "$ROOT/scripts/setup_env.sh"
setup_venv || exit 1
if ! curl -fsS -o /dev/null --max-time 3 http://127.0.0.1:5000/v3; then
  devcloud/devcloud.sh install && devcloud/devcloud.sh up && devcloud/devcloud.sh seed || exit 1
fi

benches=("$@")
((${#benches[@]})) || benches=(cold_start email_bench query_bench drain_bench)
BENCH_SUMMARY=$(mktemp)
export BENCH_SUMMARY
status=0
for bench in "${benches[@]}"; do
  echo "=== $bench"
  start=$SECONDS
  "benchmarks/$bench.py" || status=1
  echo "=== $bench: $((SECONDS - start))s"
done
mkdir -p benchmarks/results
echo "=== summary"
benchmarks/summary.py "$BENCH_SUMMARY" "benchmarks/results/summary-$(date -u +%Y%m%dT%H%M%SZ).json" ||
  status=1
rm -f "$BENCH_SUMMARY"
exit "$status"
