#!/usr/bin/env bash
# Run every test of the pack: formatting, lint, unit + contract tests, then the integration
# tests against a real OpenStack devcloud and real peer services.
#
#   ./run_tests.sh          everything (what CI runs)
#   ./run_tests.sh --unit   black, pylint, unit and contract tests only (no cloud)
#
# Installs what it needs itself (apt packages, .venv from the requirements files).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD
VENV=$ROOT/.venv
UNIT_ONLY=0
case "${1:-}" in
  --unit) UNIT_ONLY=1 ;;
  "") ;;
  *) echo "usage: $0 [--unit]" >&2; exit 2 ;;
esac

PEER_PACKAGES=(prometheus-alertmanager icinga2 openssh-server openssl)
T0=$SECONDS
declare -a TIMINGS=()

phase() {  # phase NAME CMD...: run a step and record its wall time
  local name=$1 start=$SECONDS
  shift
  echo "=== $name"
  "$@"
  TIMINGS+=("$(printf '%-28s %5ss' "$name" $((SECONDS - start)))")
}

report_timings() {
  echo "=== phase timings"
  printf '%s\n' "${TIMINGS[@]}"
  printf '%-28s %5ss\n' "total" $((SECONDS - T0))
}
trap report_timings EXIT

apt_install() {  # apt_install PKG...: install the missing ones
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=900)
  "${apt[@]}" update >/dev/null
  # keep package scripts from starting system-wide daemons: the tests start their own
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  "${apt[@]}" install --no-install-recommends "${missing[@]}"
  ((made_policy)) && rm -f /usr/sbin/policy-rc.d
  return 0
}

setup_venv() {
  if ! python3 -m venv --help >/dev/null 2>&1; then apt_install python3-venv; fi
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  local stamp=$VENV/.requirements.sha
  local want
  want=$(cat requirements.txt requirements-tests.txt | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -r requirements.txt -r requirements-tests.txt
    echo "$want" >"$stamp"
  fi
}

PY_PATHS=(lib actions sensors packtools tests benchmarks conftest.py)

run_black() { "$VENV/bin/black" --check --quiet .; }
run_pylint() { "$VENV/bin/pylint" "${PY_PATHS[@]}"; }
run_unit() {
  rm -f .coverage
  "$VENV/bin/pytest" -q tests/unit tests/contract --cov=lib --cov-report=
}
run_integration() {
  "$VENV/bin/pytest" -q tests/integration --cov=lib --cov-append --cov-report=
}
run_coverage() { "$VENV/bin/coverage" report --fail-under=90; }

devcloud_up() {
  devcloud/devcloud.sh install
  devcloud/devcloud.sh up
  devcloud/devcloud.sh seed
}
devcloud_down() { devcloud/devcloud.sh down || true; }

if ((UNIT_ONLY)); then
  phase "venv + requirements" setup_venv
else
  phase "apt: peer services" apt_install "${PEER_PACKAGES[@]}"
  phase "venv + requirements" setup_venv
fi
phase "black --check" run_black
phase "pylint" run_pylint
phase "unit + contract tests" run_unit
if ((!UNIT_ONLY)); then
  trap 'devcloud_down; report_timings' EXIT
  phase "devcloud install+up+seed" devcloud_up
  phase "integration tests" run_integration
  phase "devcloud down" devcloud_down
  trap report_timings EXIT
fi
phase "coverage (lib >= 90%)" run_coverage
