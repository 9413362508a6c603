#!/usr/bin/env bash
# The pack at work in one command: stand up a real OpenStack (devcloud) on 127.0.0.1 if it is
# not running, seed it with a fixture cloud, and run pack actions against it through the
# local runner. The cloud stays up afterwards; `devcloud/devcloud.sh down` stops it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD
# shellcheck source=scripts/setup_env.sh
source "$ROOT/scripts/setup_env.sh"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
action() {
  step "./run_action.sh $*"
  ./run_action.sh "$@"
}

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

action hello name=devcloud
action openstack.cloud.info cloud_account=devcloud
action accounts.list --config cloudops.yaml.example
action server.search cloud_account=devcloud 'where=["name ~ ^seed-", "status in SHUTOFF,ERROR"]' \
  properties_to_select=name,status,created_at,project_id sort_by=created_at all_projects=true
action hypervisor.search cloud_account=devcloud \
  properties_to_select=name,state,status,vcpus,vcpus_used,memory_mb,memory_mb_used
action user.search cloud_account=devcloud 'where=email is_null' properties_to_select=name,domain_id
action check.orphans cloud_account=devcloud

step "done: the devcloud is still running (devcloud/devcloud.sh status | down)"
