#!/usr/bin/env bash
# Run every test of the pack: formatting, lint, unit + contract tests, then the integration
# tests against a real OpenStack devcloud and real peer services.
#
#   ./run_tests.sh          everything (what CI runs)
#   ./run_tests.sh --unit   black, ruff, pylint, import-linter, unit and contract tests and
#                           the real-StackStorm stage (no cloud)
#   ./run_tests.sh --st2    the real-StackStorm stage only: the pack registered, configured,
#                           run and fired by StackStorm 3.9.0's own code (st2stage/); needs
#                           StackStorm's source archives in ../shared/stackstorm/
#   ./run_tests.sh --integration
#                           the devcloud and the integration tests only
#   ./run_tests.sh --st2-live  the stage's live checks on the devcloud: devcloud
#                           install+up+seed, sensors with the cloud up, a hypervisor drained by
#                           StackStorm's workflow engine (st2stage/live.py), devcloud down
#
# When a phase fails, the run stops, the phase timings list it as FAILED, and the last lines
# name the command that re-runs only that part.
#
# Installs what it needs itself (apt packages, .venv from the requirements files).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD
# shellcheck source=scripts/setup_env.sh
source "$ROOT/scripts/setup_env.sh"
UNIT_ONLY=0
ST2_ONLY=0
INTEGRATION_ONLY=0
ST2_LIVE_ONLY=0
case "${1:-}" in
  --unit) UNIT_ONLY=1 ;;
  --st2) ST2_ONLY=1 ;;
  --integration) INTEGRATION_ONLY=1 ;;
  --st2-live) ST2_LIVE_ONLY=1 ;;
  "") ;;
  *) echo "usage: $0 [--unit | --st2 | --integration | --st2-live]" >&2; exit 2 ;;
esac

PEER_PACKAGES=(prometheus-alertmanager icinga2 openssh-server openssl)
T0=$SECONDS
declare -a TIMINGS=()

RERUN=""  # the command that re-runs only the part now running (set before each part)
FAILED_HINT=""

phase() {  # phase NAME CMD...: run a step and record its wall time (also when it fails)
  local name=$1 start=$SECONDS rc=0
  shift
  echo "=== $name"
  "$@" || rc=$?
  TIMINGS+=("$(printf '%-38s %5ss' "$name" $((SECONDS - start)))$( ((rc == 0)) || echo "  FAILED")")
  ((rc == 0)) || FAILED_HINT="phase '$name' failed (exit $rc); re-run only this part: $RERUN"
  return "$rc"
}

report_timings() {
  echo "=== phase timings"
  printf '%s\n' "${TIMINGS[@]}"
  printf '%-38s %5ss\n' "total" $((SECONDS - T0))
  [ -z "$FAILED_HINT" ] || echo "=== $FAILED_HINT"
}
trap report_timings EXIT

PY_PATHS=(lib actions sensors packtools tests benchmarks devcloud conftest.py)

run_black() { "$VENV/bin/black" --check .; }
run_ruff() { "$VENV/bin/ruff" check .; }  # one rule: the wall clock and ISO parsing via apis.clock
run_pylint() { "$VENV/bin/pylint" "${PY_PATHS[@]}"; }
# lib's layers and independent apis (pyproject.toml [tool.importlinter]); lib is the import root
run_import_linter() { (cd lib && "$VENV/bin/lint-imports" --no-cache ../pyproject.toml); }
# Every action's real result must be checked against its output_schema by some test: the unit
# run records the actions it checked here, the full run's integration tests add theirs and
# require all (tests/result_schemas.py).
CHECKED_RESULTS=build/checked-results.txt
run_unit() {
  rm -f .coverage "$CHECKED_RESULTS"
  mkdir -p build
  "$VENV/bin/pytest" -q tests/unit tests/contract --cov=lib --cov-report= \
    --checked-results-file "$CHECKED_RESULTS"
}
# The unit + contract suite again with the wall clock moved (time-machine; libfaketime would
# also slow Python's timed waits) a year back and two years ahead: no test may depend on the
# day it runs. The dates run in parallel; each one's log is printed when it fails.
WALL_CLOCK_DATES=(2025-06-01 2027-01-15 2028-12-31)
run_unit_at_other_dates() {
  local date logs failed=0
  local -A pids=()
  logs=$(mktemp -d)
  for date in "${WALL_CLOCK_DATES[@]}"; do
    "$VENV/bin/pytest" -q -p no:cacheprovider tests/unit tests/contract --wall-clock "$date" \
      >"$logs/$date.log" 2>&1 &
    pids[$date]=$!
  done
  for date in "${WALL_CLOCK_DATES[@]}"; do
    if wait "${pids[$date]}"; then
      echo "$date: $(tail -n 1 "$logs/$date.log")"
    else
      echo "$date: FAILED"
      cat "$logs/$date.log"
      echo "re-run this date: .venv/bin/pytest tests/unit tests/contract --wall-clock $date"
      failed=1
    fi
  done
  rm -rf "$logs"
  return "$failed"
}
run_integration() {
  local require=()
  ((INTEGRATION_ONLY)) || require=(--checked-results-file "$CHECKED_RESULTS" --require-checked-results)
  "$VENV/bin/pytest" -q tests/integration --cov=lib --cov-append --cov-report= "${require[@]}"
}
run_coverage() { "$VENV/bin/coverage" report --fail-under=90; }
run_st2() { "$ST2_VENV/bin/python" st2stage/run.py; }
run_st2_live() {
  "$ST2_VENV/bin/python" st2stage/run.py --live --clouds-yaml devcloud/clouds.yaml --cloud devcloud
}

devcloud_up() {
  devcloud/devcloud.sh install
  devcloud/devcloud.sh up
  devcloud/devcloud.sh seed
}
devcloud_down() { devcloud/devcloud.sh down || true; }

with_devcloud() {  # with_devcloud NAME RERUN FN [NAME RERUN FN]...: phases between devcloud up and down
  RERUN=$2
  trap 'devcloud_down; report_timings' EXIT
  phase "devcloud install+up+seed" devcloud_up
  while (($#)); do
    RERUN=$2
    phase "$1" "$3"
    shift 3
  done
  phase "devcloud down" devcloud_down
  trap report_timings EXIT
}

if ((ST2_ONLY)); then
  RERUN="./run_tests.sh --st2"
  phase "st2 venv (StackStorm 3.9.0)" setup_st2_venv
  phase "real StackStorm 3.9.0" run_st2
  exit 0
fi

if ((ST2_LIVE_ONLY)); then
  RERUN="./run_tests.sh --st2-live"
  phase "st2 venv (StackStorm 3.9.0)" setup_st2_venv
  with_devcloud "real StackStorm 3.9.0 on the devcloud" "./run_tests.sh --st2-live" run_st2_live
  exit 0
fi

RERUN="./run_tests.sh --unit"
if ((UNIT_ONLY)); then
  phase "venv + requirements" setup_venv
else
  RERUN="./run_tests.sh --integration"
  phase "apt: peer services" apt_install "${PEER_PACKAGES[@]}"
  RERUN="./run_tests.sh --unit"
  phase "venv + requirements" setup_venv
fi
if ((INTEGRATION_ONLY)); then
  with_devcloud "integration tests" "./run_tests.sh --integration" run_integration
  exit 0
fi
phase "black --check" run_black
phase "ruff (one clock)" run_ruff
phase "pylint" run_pylint
phase "import-linter (layers)" run_import_linter
phase "unit + contract tests" run_unit
phase "unit + contract, other dates" run_unit_at_other_dates
RERUN="./run_tests.sh --st2"
phase "st2 venv (StackStorm 3.9.0)" setup_st2_venv
phase "real StackStorm 3.9.0" run_st2
if ((!UNIT_ONLY)); then
  with_devcloud "integration tests" "./run_tests.sh --integration" run_integration \
    "real StackStorm 3.9.0 on the devcloud" "./run_tests.sh --st2-live" run_st2_live
fi
RERUN="./run_tests.sh (coverage counts the unit and the integration tests together)"
phase "coverage (lib >= 90%)" run_coverage
