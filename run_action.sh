#!/usr/bin/env bash
# Run a cloudops action outside StackStorm: ./run_action.sh ACTION [key=value ...]
# Uses the project's .venv (created by ./run_tests.sh) when present.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="$here/.venv/bin/python"
[ -x "$py" ] || py=python3
cd "$here"
exec "$py" -m packtools.local_runner "$@"
