#!/usr/bin/env bash
# devcloud.sh -- a real (not mocked) small OpenStack cloud on loopback, from
# Debian bookworm's own packages (OpenStack Zed): keystone, placement, glance,
# neutron (ML2, no agents), nova (api/conductor/scheduler + N fake computes).
#
#   devcloud.sh install   apt packages (+ venv with openstacksdk from PyPI)
#   devcloud.sh up        configs, DBs, bootstrap, start everything, wait healthy
#   devcloud.sh down      stop what `up` started (pid files, process groups)
#   devcloud.sh seed      create the fixture cloud (seed.py; idempotent) -> run/seed.json
#   devcloud.sh status    what runs, what answers (exit 1 if anything is down)
#   devcloud.sh reset     down + wipe data/ and run/ (DBs, images, keys, seed summary)
#
# Everything lives under the folder of this script; all listeners are 127.0.0.1.
# Env knobs: see README.md (DEVCLOUD_COMPUTES, DEVCLOUD_DEBUG, DEVCLOUD_FAST_RT, ...).
set -euo pipefail

D="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ETC=$D/etc DATA=$D/data LOGS=$D/logs RUN=$D/run BIN=$D/bin PLUG=$D/plugins
PY=/usr/bin/python3            # Debian's python: the OpenStack libs live there
IP=127.0.0.1
PW=devcloud                    # service users + DB password
ADMIN_PW="admin"
REGION=RegionOne
COMPUTES=${DEVCLOUD_COMPUTES:-2}
DEBUG=${DEVCLOUD_DEBUG:-false}

# ports (APIs on the usual ones; infra on odd ones to avoid clashes)
P_DB=13306 P_AMQP=15673 P_EPMD=14369 P_DIST=25679
P_KEYSTONE=5000 P_PLACEMENT=8778 P_GLANCE=9292 P_NEUTRON=9696 P_NOVA=8774

DBURL="mysql+pymysql://devcloud:$PW@$IP:$P_DB"
AMQP="rabbit://guest:guest@$IP:$P_AMQP/"
KS="http://$IP:$P_KEYSTONE"

PKGS="python3-keystone python3-nova python3-neutron python3-glance python3-placement
      python3-pymysql uwsgi-core uwsgi-plugin-python3 rabbitmq-server mariadb-server
      mariadb-client curl"

log() { printf '[devcloud %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- install
cmd_install() {
  local t0=$SECONDS missing=()
  for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "apt: installing ${missing[*]}"
    # Keep package postinsts from starting system-wide mariadb/rabbitmq.
    local made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
    fi
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends
               -o DPkg::Lock::Timeout=900)
    if ! "${apt[@]}" "${missing[@]}"; then
      log "apt install failed; apt-get update and retry"
      apt-get -o DPkg::Lock::Timeout=900 update -q
      "${apt[@]}" "${missing[@]}"
    fi
    ((made_policy)) && rm -f /usr/sbin/policy-rc.d
  fi
  if [ ! -x "$D/venv/bin/python" ] || ! "$D/venv/bin/python" -c 'import openstack' 2>/dev/null; then
    log "venv: pip install openstacksdk"
    python3 -m venv "$D/venv"
    "$D/venv/bin/pip" install -q openstacksdk
  fi
  log "install done in $((SECONDS - t0))s"
}

# ---------------------------------------------------------------- helpers
pid_alive() { local f=$RUN/$1.pid; [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

# start NAME CMD...: run detached in its own session/process group, log to logs/NAME.log
start() {
  local name=$1; shift
  if pid_alive "$name"; then log "$name already running (pid $(cat "$RUN/$name.pid"))"; return 0; fi
  log "starting $name"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$RUN/$name.pid"
}

wait_for() {  # wait_for WHAT TIMEOUT CMD...
  local what=$1 to=$2 t0=$SECONDS; shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - t0 > to)) && die "timeout (${to}s) waiting for $what"
    sleep 1
  done
  log "$what ready after $((SECONDS - t0))s"
}
# wait_svc NAME TIMEOUT CHECK...: like wait_for, but fail fast (with the log tail) if NAME died
wait_svc() {
  local name=$1 to=$2 t0=$SECONDS; shift 2
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$name"; then tail -n 30 "$LOGS/$name.log" >&2; die "$name exited; see $LOGS/$name.log"; fi
    ((SECONDS - t0 > to)) && { tail -n 30 "$LOGS/$name.log" >&2; die "timeout (${to}s) waiting for $name"; }
    sleep 1
  done
  log "$name ready after $((SECONDS - t0))s"
}
port_open() { (exec 3<>"/dev/tcp/$IP/$1") 2>/dev/null; }
http_ok() { curl -fsS -o /dev/null --max-time 5 "$1"; }
http_any() { local c; c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1"); [ "$c" != 000 ] && [ "${c:0:1}" != 5 ]; }

mysql_root() { mariadb --no-defaults -S "$RUN/mysqld.sock" -u root "$@"; }

launcher() {  # launcher NAME module:function -> bin/NAME (Debian ships no console script for it)
  local name=$1 mod=${2%%:*} fn=${2##*:}
  cat > "$BIN/$name" <<EOF
#!$PY
import sys
from $mod import $fn
sys.argv[0] = "$name"
sys.exit($fn())
EOF
  chmod +x "$BIN/$name"
}

authtoken() {  # authtoken USER
  cat <<EOF
[keystone_authtoken]
www_authenticate_uri = $KS
auth_url = $KS
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $PW
region_name = $REGION
EOF
}
ksauth() {  # ksauth SECTION USER : keystoneauth password plugin section
  cat <<EOF
[$1]
auth_url = $KS
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $PW
region_name = $REGION
EOF
}

# ---------------------------------------------------------------- configs
write_configs() {
  mkdir -p "$ETC"/{keystone,placement,glance,neutron,nova,rabbitmq} "$DATA"/{keystone,glance/images,glance/staging,glance/tasks,neutron,nova,rabbitmq} "$LOGS" "$RUN" "$BIN" "$PLUG"
  for i in $(seq 1 "$COMPUTES"); do mkdir -p "$DATA/nova-compute$i"; done

  launcher nova-api        nova.cmd.api:main
  launcher nova-conductor  nova.cmd.conductor:main
  launcher nova-scheduler  nova.cmd.scheduler:main
  # nova-compute runs through plugins/devcloud_compute.py (fake-driver patches, see there)
  launcher nova-compute    devcloud_compute:main
  launcher nova-manage     nova.cmd.manage:main
  launcher glance-api      glance.cmd.api:main
  launcher glance-manage   glance.cmd.manage:main
  launcher neutron-server  neutron.cmd.eventlet.server:main
  launcher neutron-db-manage neutron.db.migration.cli:main

  # --- rabbitmq
  : > "$ETC/rabbitmq/rabbitmq-env.conf"
  echo '[].' > "$ETC/rabbitmq/enabled_plugins"
  cat > "$ETC/rabbitmq/rabbitmq.conf" <<EOF
listeners.tcp.default = $IP:$P_AMQP
loopback_users.guest = true
log.console = true
log.file = false
EOF

  # --- keystone
  cat > "$ETC/keystone/keystone.conf" <<EOF
[DEFAULT]
debug = $DEBUG
[database]
connection = $DBURL/keystone
[token]
provider = fernet
expiration = 28800
[fernet_tokens]
key_repository = $DATA/keystone/fernet-keys
[fernet_receipts]
key_repository = $DATA/keystone/fernet-keys
[credential]
key_repository = $DATA/keystone/credential-keys
[identity]
# bcrypt cost 4 instead of 12: user creation/auth ~100x cheaper (test cloud only)
password_hash_rounds = 4
EOF

  # --- placement
  cat > "$ETC/placement/placement.conf" <<EOF
[DEFAULT]
debug = $DEBUG
[api]
auth_strategy = keystone
[placement_database]
connection = $DBURL/placement
$(authtoken placement)
EOF

  # --- glance
  cat > "$ETC/glance/glance-api.conf" <<EOF
[DEFAULT]
debug = $DEBUG
bind_host = $IP
bind_port = $P_GLANCE
workers = 0
enabled_backends = fs:file
[database]
connection = $DBURL/glance
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $DATA/glance/images/
[os_glance_staging_store]
filesystem_store_datadir = $DATA/glance/staging/
[os_glance_tasks_store]
filesystem_store_datadir = $DATA/glance/tasks/
[paste_deploy]
flavor = keystone
config_file = $ETC/glance/glance-api-paste.ini
[oslo_concurrency]
lock_path = $DATA/glance/lock
$(authtoken glance)
EOF
  cat > "$ETC/glance/glance-api-paste.ini" <<'EOF'
[pipeline:glance-api-keystone]
pipeline = cors healthcheck http_proxy_to_wsgi versionnegotiation osprofiler authtoken context  rootapp
[composite:rootapp]
paste.composite_factory = glance.api:root_app_factory
/: apiversions
/v2: apiv2app
[app:apiversions]
paste.app_factory = glance.api.versions:create_resource
[app:apiv2app]
paste.app_factory = glance.api.v2.router:API.factory
[filter:healthcheck]
paste.filter_factory = oslo_middleware:Healthcheck.factory
backends = disable_by_file
disable_by_file_path = /nonexistent/glance/healthcheck_disable
[filter:versionnegotiation]
paste.filter_factory = glance.api.middleware.version_negotiation:VersionNegotiationFilter.factory
[filter:context]
paste.filter_factory = glance.api.middleware.context:ContextMiddleware.factory
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
delay_auth_decision = true
[filter:osprofiler]
paste.filter_factory = osprofiler.web:WsgiMiddleware.factory
[filter:cors]
paste.filter_factory =  oslo_middleware.cors:filter_factory
oslo_config_project = glance
oslo_config_program = glance-api
[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware:HTTPProxyToWSGI.factory
EOF

  # --- neutron (ML2, no agents; ports bound by a tiny in-tree-style mech driver)
  cat > "$ETC/neutron/neutron.conf" <<EOF
[DEFAULT]
debug = $DEBUG
bind_host = $IP
bind_port = $P_NEUTRON
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = $AMQP
api_paste_config = $ETC/neutron/api-paste.ini
state_path = $DATA/neutron
api_workers = ${DEVCLOUD_NEUTRON_API_WORKERS:-2}
rpc_workers = 1
rpc_state_report_workers = 0
allow_overlapping_ips = true
dhcp_agent_notification = false
notify_nova_on_port_status_changes = true
notify_nova_on_port_data_changes = true
[database]
connection = $DBURL/neutron
# default pool (5+50, 30s timeout) times out under bursts (e.g. 1000 concurrent server
# deletes -> "QueuePool limit of size 5 overflow 50 reached") on a 2-core box
max_pool_size = 50
max_overflow = 100
pool_timeout = 120
[oslo_concurrency]
lock_path = $DATA/neutron/lock
[oslo_messaging_notifications]
driver = noop
[ml2]
type_drivers = flat,vlan,vxlan
tenant_network_types = vxlan
mechanism_drivers = ${DEVCLOUD_ML2_MECH:-devcloud}
extension_drivers = port_security
[ml2_type_flat]
flat_networks = *
[ml2_type_vlan]
network_vlan_ranges = physnet1:100:999
[ml2_type_vxlan]
vni_ranges = 1:100000
$(authtoken neutron)
$(ksauth nova nova)
EOF
  cat > "$ETC/neutron/api-paste.ini" <<'EOF'
[composite:neutron]
use = egg:Paste#urlmap
/: neutronversions_composite
/healthcheck: healthcheck
/v2.0: neutronapi_v2_0
[composite:neutronapi_v2_0]
use = call:neutron.auth:pipeline_factory
keystone = cors http_proxy_to_wsgi request_id catch_errors osprofiler authtoken keystonecontext extensions neutronapiapp_v2_0
[composite:neutronversions_composite]
use = call:neutron.auth:pipeline_factory
keystone = cors http_proxy_to_wsgi neutronversions
[filter:request_id]
paste.filter_factory = oslo_middleware:RequestId.factory
[filter:catch_errors]
paste.filter_factory = oslo_middleware:CatchErrors.factory
[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = neutron
[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware.http_proxy_to_wsgi:HTTPProxyToWSGI.factory
[filter:keystonecontext]
paste.filter_factory = neutron.auth:NeutronKeystoneContext.factory
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
[filter:extensions]
paste.filter_factory = neutron.api.extensions:plugin_aware_extension_middleware_factory
[app:neutronversions]
paste.app_factory = neutron.pecan_wsgi.app:versions_factory
[app:neutronapiapp_v2_0]
paste.app_factory = neutron.api.v2.router:APIRouter.factory
[filter:osprofiler]
paste.filter_factory = osprofiler.web:WsgiMiddleware.factory
[app:healthcheck]
paste.app_factory = oslo_middleware:Healthcheck.app_factory
backends = disable_by_file
disable_by_file_path = /nonexistent/neutron/healthcheck_disable
EOF
  # ML2 mechanism driver: plugins/devcloud_ml2.py (+ its dist-info entry point), shipped as is.
  [ -e "$PLUG/devcloud_ml2-0.1.dist-info/entry_points.txt" ] || die "$PLUG/devcloud_ml2* missing"

  # --- nova
  cat > "$ETC/nova/nova.conf" <<EOF
[DEFAULT]
debug = $DEBUG
my_ip = $IP
host = devcloud
state_path = $DATA/nova
transport_url = $AMQP
compute_driver = fake.FakeDriver
enabled_apis = osapi_compute
osapi_compute_listen = $IP
osapi_compute_listen_port = $P_NOVA
osapi_compute_workers = 1
vif_plugging_is_fatal = false
vif_plugging_timeout = 0
allow_resize_to_same_host = true
# nova's default (1) serialises live migrations per source host; production clouds that drain
# with concurrency raise it too, and the drain benchmark measures the pack's concurrency
max_concurrent_live_migrations = 4
instance_usage_audit = false
heal_instance_info_cache_interval = -1
[api]
auth_strategy = keystone
[wsgi]
api_paste_config = $ETC/nova/api-paste.ini
[database]
max_pool_size = 20
max_overflow = 50
pool_timeout = 120
[api_database]
max_pool_size = 20
max_overflow = 50
pool_timeout = 120
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 10
[compute]
live_migration_wait_for_vif_plug = false
[oslo_concurrency]
lock_path = $DATA/nova/lock
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = false
[glance]
region_name = $REGION
[cinder]
os_region_name = $REGION
$(authtoken nova)
$(ksauth placement nova)
$(ksauth neutron neutron)
EOF
  # DB only for controllers (api/conductor/scheduler/nova-manage), not computes
  cat > "$ETC/nova/nova-db.conf" <<EOF
[api_database]
connection = $DBURL/nova_api
[database]
connection = $DBURL/nova
EOF
  for i in $(seq 1 "$COMPUTES"); do
    cat > "$ETC/nova/compute$i.conf" <<EOF
[DEFAULT]
host = compute$i
state_path = $DATA/nova-compute$i
EOF
  done
  cat > "$ETC/nova/api-paste.ini" <<'EOF'
[composite:osapi_compute]
use = call:nova.api.openstack.urlmap:urlmap_factory
/: oscomputeversions
/v2: oscomputeversion_legacy_v2
/v2.1: oscomputeversion_v2
/v2/+: openstack_compute_api_v21_legacy_v2_compatible
/v2.1/+: openstack_compute_api_v21
[composite:openstack_compute_api_v21]
use = call:nova.api.auth:pipeline_factory_v21
keystone = cors http_proxy_to_wsgi compute_req_id faultwrap request_log sizelimit osprofiler authtoken keystonecontext osapi_compute_app_v21
[composite:openstack_compute_api_v21_legacy_v2_compatible]
use = call:nova.api.auth:pipeline_factory_v21
keystone = cors http_proxy_to_wsgi compute_req_id faultwrap request_log sizelimit osprofiler authtoken keystonecontext legacy_v2_compatible osapi_compute_app_v21
[filter:request_log]
paste.filter_factory = nova.api.openstack.requestlog:RequestLog.factory
[filter:compute_req_id]
paste.filter_factory = nova.api.compute_req_id:ComputeReqIdMiddleware.factory
[filter:faultwrap]
paste.filter_factory = nova.api.openstack:FaultWrapper.factory
[filter:osprofiler]
paste.filter_factory = nova.profiler:WsgiMiddleware.factory
[filter:sizelimit]
paste.filter_factory = oslo_middleware:RequestBodySizeLimiter.factory
[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware.http_proxy_to_wsgi:HTTPProxyToWSGI.factory
[filter:legacy_v2_compatible]
paste.filter_factory = nova.api.openstack:LegacyV2CompatibleWrapper.factory
[app:osapi_compute_app_v21]
paste.app_factory = nova.api.openstack.compute:APIRouterV21.factory
[pipeline:oscomputeversions]
pipeline = cors faultwrap request_log http_proxy_to_wsgi oscomputeversionapp
[pipeline:oscomputeversion_v2]
pipeline = cors compute_req_id faultwrap request_log http_proxy_to_wsgi oscomputeversionapp_v2
[pipeline:oscomputeversion_legacy_v2]
pipeline = cors compute_req_id faultwrap request_log http_proxy_to_wsgi legacy_v2_compatible oscomputeversionapp_v2
[app:oscomputeversionapp]
paste.app_factory = nova.api.openstack.compute.versions:Versions.factory
[app:oscomputeversionapp_v2]
paste.app_factory = nova.api.openstack.compute.versions:VersionsV2.factory
[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = nova
[filter:keystonecontext]
paste.filter_factory = nova.api.auth:NovaKeystoneContext.factory
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
EOF

  # --- clouds.yaml for openstacksdk / openstackclient
  cat > "$D/clouds.yaml" <<EOF
clouds:
  devcloud:
    auth:
      auth_url: $KS/v3
      username: admin
      password: $ADMIN_PW
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: $REGION
    identity_api_version: 3
    interface: public
  devcloud-system:
    auth:
      auth_url: $KS/v3
      username: admin
      password: $ADMIN_PW
      system_scope: all
      user_domain_name: Default
    region_name: $REGION
    identity_api_version: 3
    interface: public
EOF
}

# ---------------------------------------------------------------- infra
start_mariadb() {
  if [ ! -d "$DATA/mysql/mysql" ]; then
    log "mariadb: initialising datadir"
    mkdir -p "$DATA/mysql"
    mariadb-install-db --no-defaults --datadir="$DATA/mysql" --user=root \
      --auth-root-authentication-method=socket --skip-test-db >"$LOGS/mariadb-install.log" 2>&1
  fi
  start mariadb /usr/sbin/mariadbd --no-defaults --user=root --datadir="$DATA/mysql" \
    --bind-address=$IP --port=$P_DB --socket="$RUN/mysqld.sock" --pid-file="$RUN/mysqld.internal.pid" \
    --skip-name-resolve --skip-log-bin --max-connections=2000 \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
    --sync-binlog=0 --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci
  wait_svc mariadb 60 mysql_root -e 'select 1'
  mysql_root <<EOF
CREATE USER IF NOT EXISTS 'devcloud'@'127.0.0.1' IDENTIFIED BY '$PW';
CREATE USER IF NOT EXISTS 'devcloud'@'localhost' IDENTIFIED BY '$PW';
EOF
  for db in keystone placement glance neutron nova_api nova nova_cell0; do
    mysql_root -e "CREATE DATABASE IF NOT EXISTS $db; GRANT ALL ON $db.* TO 'devcloud'@'127.0.0.1'; GRANT ALL ON $db.* TO 'devcloud'@'localhost';"
  done
}

start_rabbitmq() {
  local env=(env HOME="$DATA/rabbitmq" ERL_EPMD_ADDRESS="$IP" ERL_EPMD_PORT="$P_EPMD"
    RABBITMQ_NODENAME=devcloud@localhost RABBITMQ_NODE_IP_ADDRESS="$IP" RABBITMQ_NODE_PORT="$P_AMQP"
    RABBITMQ_DIST_PORT="$P_DIST" RABBITMQ_CONF_ENV_FILE="$ETC/rabbitmq/rabbitmq-env.conf"
    RABBITMQ_CONFIG_FILE="$ETC/rabbitmq/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$ETC/rabbitmq/enabled_plugins"
    RABBITMQ_MNESIA_BASE="$DATA/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$LOGS/rabbitmq"
    RABBITMQ_PID_FILE="$RUN/rabbitmq.internal.pid"
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}")
  mkdir -p "$LOGS/rabbitmq"
  start epmd "${env[@]}" /usr/bin/epmd -address $IP -port $P_EPMD
  wait_svc epmd 20 port_open $P_EPMD
  start rabbitmq "${env[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
  wait_svc rabbitmq 120 port_open $P_AMQP
}

# ---------------------------------------------------------------- openstack
synced() { [ -e "$DATA/.synced-$1" ]; }
mark() { touch "$DATA/.synced-$1"; }

up_keystone() {
  local c=(--config-file "$ETC/keystone/keystone.conf")
  if ! synced keystone; then
    log "keystone db_sync"; keystone-manage "${c[@]}" db_sync >>"$LOGS/keystone-manage.log" 2>&1
    mark keystone
  fi
  [ -d "$DATA/keystone/fernet-keys" ] || keystone-manage "${c[@]}" fernet_setup --keystone-user root --keystone-group root >>"$LOGS/keystone-manage.log" 2>&1
  [ -d "$DATA/keystone/credential-keys" ] || keystone-manage "${c[@]}" credential_setup --keystone-user root --keystone-group root >>"$LOGS/keystone-manage.log" 2>&1
  if ! synced keystone-bootstrap; then
    log "keystone bootstrap"
    keystone-manage "${c[@]}" bootstrap --bootstrap-password "$ADMIN_PW" \
      --bootstrap-admin-url "$KS/v3/" --bootstrap-internal-url "$KS/v3/" --bootstrap-public-url "$KS/v3/" \
      --bootstrap-region-id "$REGION" >>"$LOGS/keystone-manage.log" 2>&1
    mark keystone-bootstrap
  fi
  # "Connection: close" (also for placement): with --http11-socket every idle keep-alive
  # connection of a client (each service's keystonemiddleware, the tests) holds one of the
  # 4 worker threads until uwsgi's 4 s socket timeout, so new requests stalled for 2-4 s.
  start keystone uwsgi --plugin python3 --http11-socket $IP:$P_KEYSTONE --wsgi-file /usr/bin/keystone-wsgi-public \
    --master --processes 2 --threads 2 --enable-threads --lazy-apps --die-on-term --no-orphans \
    --buffer-size 65535 --add-header "Connection: close" --env OS_KEYSTONE_CONFIG_DIR="$ETC/keystone" --procname-prefix-spaced devcloud-keystone
}

bootstrap_catalog() {
  synced catalog && return 0
  log "keystone: service project/users/endpoints"
  OS_CLIENT_CONFIG_FILE="$D/clouds.yaml" "$D/venv/bin/python" - "$PW" \
    "compute=http://$IP:$P_NOVA/v2.1" "network=http://$IP:$P_NEUTRON" \
    "image=http://$IP:$P_GLANCE" "placement=http://$IP:$P_PLACEMENT" <<'EOF'
import sys, openstack
pw = sys.argv[1]
names = {'compute': 'nova', 'network': 'neutron', 'image': 'glance', 'placement': 'placement'}
c = openstack.connect(cloud='devcloud')
proj = c.identity.find_project('service', domain_id='default') or \
    c.identity.create_project(name='service', domain_id='default')
admin = c.identity.find_role('admin')
for u in names.values():
    user = c.identity.find_user(u, domain_id='default') or \
        c.identity.create_user(name=u, password=pw, domain_id='default', default_project_id=proj.id)
    c.identity.assign_project_role_to_user(proj, user, admin)
for arg in sys.argv[2:]:
    stype, url = arg.split('=', 1)
    svc = next(iter(c.identity.services(type=stype)), None) or \
        c.identity.create_service(name=names[stype], type=stype, enabled=True)
    have = {e.interface for e in c.identity.endpoints(service_id=svc.id)}
    for iface in ('public', 'internal', 'admin'):
        if iface not in have:
            c.identity.create_endpoint(service_id=svc.id, interface=iface, url=url, region_id='RegionOne')
print('catalog ok')
EOF
  mark catalog
}

up_placement() {
  if ! synced placement; then
    log "placement db sync"; placement-manage --config-file "$ETC/placement/placement.conf" db sync >>"$LOGS/placement-manage.log" 2>&1
    mark placement
  fi
  start placement uwsgi --plugin python3 --http11-socket $IP:$P_PLACEMENT --wsgi-file /usr/bin/placement-api \
    --master --processes 1 --threads 4 --enable-threads --lazy-apps --die-on-term --no-orphans \
    --buffer-size 65535 --add-header "Connection: close" --env OS_PLACEMENT_CONFIG_DIR="$ETC/placement" --procname-prefix-spaced devcloud-placement
}

up_glance() {
  if ! synced glance; then
    log "glance db_sync"; "$BIN/glance-manage" --config-file "$ETC/glance/glance-api.conf" db_sync >>"$LOGS/glance-manage.log" 2>&1
    mark glance
  fi
  start glance "$BIN/glance-api" --config-file "$ETC/glance/glance-api.conf"
}

up_neutron() {
  if ! synced neutron; then
    log "neutron-db-manage upgrade heads"
    "$BIN/neutron-db-manage" --config-file "$ETC/neutron/neutron.conf" upgrade heads >>"$LOGS/neutron-db-manage.log" 2>&1
    mark neutron
  fi
  start neutron env PYTHONPATH="$PLUG" "$BIN/neutron-server" --config-file "$ETC/neutron/neutron.conf"
}

nova_manage() { "$BIN/nova-manage" --config-file "$ETC/nova/nova.conf" --config-file "$ETC/nova/nova-db.conf" "$@"; }

up_nova_db() {
  if ! synced nova; then
    log "nova: api_db sync, cell0, cell1, db sync"
    {
      nova_manage api_db sync
      nova_manage cell_v2 map_cell0 --database_connection "$DBURL/nova_cell0"
      nova_manage cell_v2 list_cells | grep -q ' cell1 ' || nova_manage cell_v2 create_cell --name cell1
      nova_manage db sync
    } >>"$LOGS/nova-manage.log" 2>&1
    mark nova
  fi
}

up_nova() {
  local c=(--config-file "$ETC/nova/nova.conf" --config-file "$ETC/nova/nova-db.conf")
  start nova-api       "$BIN/nova-api" "${c[@]}"
  start nova-conductor "$BIN/nova-conductor" "${c[@]}"
  start nova-scheduler "$BIN/nova-scheduler" "${c[@]}"
}
up_computes() {
  for i in $(seq 1 "$COMPUTES"); do
    start "nova-compute$i" env PYTHONPATH="$PLUG" DEVCLOUD_FAST_RT="${DEVCLOUD_FAST_RT:-1}" \
      "$BIN/nova-compute" --config-file "$ETC/nova/nova.conf" --config-file "$ETC/nova/compute$i.conf"
  done
}

# hypervisors_ready SINCE: COMPUTES hypervisors up, each with a heartbeat after SINCE (UTC).
# A heartbeat from before a restart still counts as "up" for 60 s, while the new nova-compute
# may spend that long in init_host (re-adopting its servers) and miss the first boots.
hypervisors_ready() {
  local n
  n=$(OS_CLIENT_CONFIG_FILE="$D/clouds.yaml" "$D/venv/bin/python" -c '
import sys, openstack
c = openstack.connect(cloud="devcloud")
fresh = {s.host for s in c.compute.services(binary="nova-compute") if (s.updated_at or "") >= sys.argv[1]}
print(sum(1 for h in c.compute.hypervisors() if h.state == "up" and h.name in fresh))' "$1" 2>/dev/null) || return 1
  [ "${n:-0}" -ge "$COMPUTES" ]
}

check_ports() {  # a port already served by someone else would make health checks lie
  local pair name port
  for pair in mariadb:$P_DB epmd:$P_EPMD rabbitmq:$P_AMQP keystone:$P_KEYSTONE placement:$P_PLACEMENT \
              glance:$P_GLANCE neutron:$P_NEUTRON nova-api:$P_NOVA; do
    name=${pair%%:*} port=${pair##*:}
    if ! pid_alive "$name" && port_open "$port"; then
      die "port $port (for $name) is already in use by another process"
    fi
  done
}

cmd_up() {
  local t0=$SECONDS
  command -v mariadbd >/dev/null || die "run '$0 install' first"
  [ -x "$D/venv/bin/python" ] || die "run '$0 install' first (venv missing)"
  mkdir -p "$RUN" "$LOGS"
  check_ports
  write_configs
  start_mariadb
  start_rabbitmq
  up_keystone
  wait_svc keystone 120 http_ok "$KS/v3"
  bootstrap_catalog
  # DB syncs of glance/neutron/nova in parallel (2 cores: they are mostly I/O + import time)
  local pids=()
  ( up_placement ) & pids+=($!)
  ( up_glance ) & pids+=($!)
  ( up_neutron ) & pids+=($!)
  ( up_nova_db ) & pids+=($!)
  for p in "${pids[@]}"; do wait "$p" || die "a db sync/start failed; see $LOGS"; done
  wait_svc placement 120 http_ok "http://$IP:$P_PLACEMENT/"
  up_nova
  wait_svc glance 120 http_any "http://$IP:$P_GLANCE/v2/images"
  wait_svc neutron 180 http_any "http://$IP:$P_NEUTRON/v2.0/networks"
  wait_svc nova-api 180 http_ok "http://$IP:$P_NOVA/"
  local computes_since; computes_since=$(date -u +%Y-%m-%dT%H:%M:%S)
  up_computes
  log "all APIs answer after $((SECONDS - t0))s; waiting for $COMPUTES hypervisors"
  nova_manage cell_v2 discover_hosts >>"$LOGS/nova-manage.log" 2>&1 || true
  local t1=$SECONDS
  until hypervisors_ready "$computes_since"; do
    ((SECONDS - t1 > 300)) && die "hypervisors not up; see $LOGS/nova-compute*.log"
    sleep 3
    nova_manage cell_v2 discover_hosts >>"$LOGS/nova-manage.log" 2>&1 || true
  done
  log "devcloud up in $((SECONDS - t0))s.  export OS_CLIENT_CONFIG_FILE=$D/clouds.yaml OS_CLOUD=devcloud"
}

# ---------------------------------------------------------------- down/status
SERVICES="nova-compute9 nova-compute8 nova-compute7 nova-compute6 nova-compute5 nova-compute4 nova-compute3 nova-compute2 nova-compute1
          nova-api nova-scheduler nova-conductor neutron glance placement keystone rabbitmq epmd mariadb"

stop_one() {
  local name=$1 f=$RUN/$1.pid pid
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pgid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 -- "-$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
  fi
  rm -f "$f"
}

cmd_down() {
  for s in $SERVICES; do
    case $s in rabbitmq|mariadb|epmd) ;; *) stop_one "$s" & ;; esac
  done
  wait
  stop_one rabbitmq; stop_one epmd; stop_one mariadb
}

cmd_status() {
  local s i pid q v rss total=0 bad=0 name url code
  local expect=" mariadb epmd rabbitmq keystone placement glance neutron nova-api nova-conductor nova-scheduler"
  for i in $(seq 1 "$COMPUTES"); do expect+=" nova-compute$i"; done
  for s in $SERVICES; do
    if [ ! -s "$RUN/$s.pid" ]; then
      if [[ "$expect " == *" $s "* ]]; then printf '%-16s STOPPED\n' "$s"; bad=1; fi
      continue
    fi
    pid=$(cat "$RUN/$s.pid")
    if kill -0 "$pid" 2>/dev/null; then
      # PSS (proportional set size) counts fork-shared pages once; RSS sum would overcount
      rss=0
      for q in $(ps -o pid= -g "$pid" 2>/dev/null); do
        v=$(awk '/^Pss:/{print $2}' "/proc/$q/smaps_rollup" 2>/dev/null || true); rss=$((rss + ${v:-0}))
      done
      total=$((total + rss))
      printf '%-16s running  pid %-7s pss %6d MiB\n' "$s" "$pid" $((rss / 1024))
    else
      printf '%-16s DEAD     pid %s\n' "$s" "$pid"; bad=1
    fi
  done
  printf '%-16s %d MiB\n' TOTAL-PSS $((total / 1024))
  while read -r name url; do
    code=$(curl -s -o /dev/null -w '%{http_code} %{time_total}s' --max-time 5 "$url" || true)
    printf '%-10s %s %s\n' "$name" "$code" "$url"
    if [[ $code == 000* || $code == 5* ]]; then bad=1; fi
  done <<EOF
keystone $KS/v3
placement http://$IP:$P_PLACEMENT/
glance http://$IP:$P_GLANCE/
neutron http://$IP:$P_NEUTRON/
nova http://$IP:$P_NOVA/
EOF
  if [ -s "$RUN/seed.json" ]; then echo "seeded: $RUN/seed.json"; fi
  return "$bad"
}

cmd_seed() {
  http_ok "$KS/v3" || die "devcloud is not up; run '$0 up' first"
  command -v mariadb >/dev/null || die "mariadb client missing; run '$0 install'"
  # seed.py connects as several users by name: an inherited OS_CLOUD would replace them
  env -u OS_CLOUD OS_CLIENT_CONFIG_FILE="$D/clouds.yaml" "$D/venv/bin/python" "$D/seed.py" "$@"
}

# uptime HOST DAYS: HOST reports that it booted DAYS (may be fractional) ago; `uptime HOST clear`
# makes it report none again (the fake driver's default). Read on every request: no restart.
cmd_uptime() {
  local host=${1:?usage: $0 uptime HOST DAYS|clear} days=${2:?usage: $0 uptime HOST DAYS|clear}
  mkdir -p "$RUN/uptime"
  if [ "$days" = clear ]; then rm -f "$RUN/uptime/$host"; log "$host: uptime cleared"; return; fi
  awk -v d="$days" 'BEGIN { if (d !~ /^[0-9]+(\.[0-9]+)?$/) exit 1 }' || die "DAYS must be a number, not '$days'"
  awk -v d="$days" -v now="$(date +%s)" 'BEGIN { printf "%d\n", now - d * 86400 }' >"$RUN/uptime/$host.tmp"
  mv "$RUN/uptime/$host.tmp" "$RUN/uptime/$host"
  log "$host: up $days days"
}

cmd_reset() { cmd_down; rm -rf "$DATA" "$RUN"; log "data wiped"; }

# One devcloud.sh at a time may change the cloud: a test session may run `up` while someone
# else's `reset` is wiping data/. fd 9 holds the lock; `start` closes it for the daemons.
lock() {
  mkdir -p "$LOGS"
  exec 9>"$LOGS/.devcloud.lock"
  flock -w "${DEVCLOUD_LOCK_TIMEOUT:-1800}" 9 || die "another devcloud.sh holds $LOGS/.devcloud.lock"
}

case "${1:-}" in
  install) lock; cmd_install ;;
  up) lock; cmd_up ;;
  seed) shift; lock; cmd_seed "$@" ;;
  down) lock; cmd_down ;;
  status) cmd_status ;;
  reset) lock; cmd_reset ;;
  uptime) shift; cmd_uptime "$@" ;;
  *) echo "usage: $0 install|up|seed|down|status|reset|uptime" >&2; exit 2 ;;
esac
