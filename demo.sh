#!/usr/bin/env bash
# The pack at work in one command: stand up a real OpenStack (devcloud) on 127.0.0.1 if it is
# not running, seed it with a fixture cloud, and tell a short story with pack actions run
# through the local runner (a table of the cloud, a search, a dry-run notice, a drain plan),
# each with the command an operator types in StackStorm. The cloud stays up afterwards;
# `devcloud/devcloud.sh down` stops it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD
# shellcheck source=scripts/setup_env.sh
source "$ROOT/scripts/setup_env.sh"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "python environment"
setup_venv
step "devcloud: install, up, seed"
devcloud/devcloud.sh install
if curl -fsS -o /dev/null --max-time 3 http://127.0.0.1:5000/v3; then
  echo "devcloud already running"
else
  devcloud/devcloud.sh up
fi
devcloud/devcloud.sh seed

export OS_CLIENT_CONFIG_FILE=$ROOT/devcloud/clouds.yaml
unset OS_CLOUD

# the seeded cloud, one search, a dry-run notice, a drain plan (packtools/demo_story.py)
"$VENV/bin/python" -m packtools.demo_story

step "done: the devcloud is still running (devcloud/devcloud.sh status | down)"
