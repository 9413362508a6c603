"""The live stage's hands on the devcloud, outside StackStorm: boot, look, clean up.

Run with the pack virtualenv's python (it has openstacksdk; `.st2venv` does not) by
`live.py`; prints one JSON document on stdout.

    python live_cloud.py --clouds-yaml PATH --cloud NAME boot host:HOST|zone:ZONE NAME...
    python live_cloud.py --clouds-yaml PATH --cloud NAME hosts ID...
    python live_cloud.py --clouds-yaml PATH --cloud NAME cleanup PREFIX HOST
    python live_cloud.py --clouds-yaml PATH --cloud NAME on HOST
    python live_cloud.py --clouds-yaml PATH --cloud NAME disable HOST REASON
    python live_cloud.py --clouds-yaml PATH --cloud NAME poll PREVIOUS_STATES_JSON
    python live_cloud.py --clouds-yaml PATH --cloud NAME delete NAME...
    python live_cloud.py --clouds-yaml PATH --cloud NAME shelve ID...
    python live_cloud.py --clouds-yaml PATH --cloud NAME unshelve ID...

`boot` starts servers with those names on HOST (`host=`, as admin), or pinned to availability
zone ZONE (nova then finds no other host for them), the way tests/integration/test_drain.py
does (flavor seed.small, image seed-cirros, no network), and waits until they are ACTIVE; `hosts` says where servers are once nova has no task on them; `cleanup` deletes
every server whose name starts with PREFIX, waits until they are gone, and enables HOST's
nova-compute service again if it is disabled; `on` lists the servers on HOST; `disable`
disables HOST for maintenance (the pack's `[maintenance]` reason); `poll` is one poll of the
hypervisor state sensor (the pack's lib: the trigger payloads and the states to pass next
time); `delete` deletes servers by name; `shelve` shelves servers and offloads them from
their host (the seed's servers, which their zone keeps on it, while a chain check drains it);
`unshelve` brings them back and waits until they are ACTIVE.
"""

import argparse
import json
import os
import sys
import time

import openstack.config
from openstack.connection import Connection

FLAVOR, IMAGE = "seed.small", "seed-cirros"
TIMEOUT = 180


def connect(clouds_yaml, cloud):
    """A Connection from that clouds.yaml only (OS_CLOUD and OS_* are not read)."""
    config = openstack.config.OpenStackConfig(config_files=[clouds_yaml], load_envvars=False)
    return Connection(config=config.get_one(cloud))


def boot(conn, where, names):
    flavor = conn.compute.find_flavor(FLAVOR, ignore_missing=False)
    image = conn.image.find_image(IMAGE, ignore_missing=False)
    kind, place = where.split(":", 1)
    placement = {"host": place} if kind == "host" else {"availability_zone": place}
    servers = [
        conn.compute.create_server(
            name=name, flavor_id=flavor.id, image_id=image.id, networks="none", **placement
        )
        for name in names
    ]
    servers = [conn.compute.wait_for_server(s, interval=0.5, wait=TIMEOUT) for s in servers]
    return [{"id": s.id, "name": s.name, "host": s.compute_host} for s in servers]


def hosts(conn, ids):
    found = {}
    for server_id in ids:
        deadline = time.monotonic() + 60
        while True:
            server = conn.compute.get_server(server_id)
            if server.task_state is None and server.status != "VERIFY_RESIZE":
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        found[server_id] = {"host": server.compute_host, "status": server.status}
    return found


def cleanup(conn, prefix, host):
    mine = [s for s in conn.compute.servers(all_projects=True) if s.name.startswith(prefix)]
    for server in mine:
        conn.compute.delete_server(server)
    for server in mine:
        conn.compute.wait_for_delete(server, interval=0.5, wait=TIMEOUT)
    enabled = []
    for service in conn.compute.services(binary="nova-compute", host=host):
        if service.status != "enabled":
            conn.compute.enable_service(service)
            enabled.append(service.host)
    return {"deleted": [s.name for s in mine], "enabled": enabled}


def servers_on(conn, host):
    return [
        {"id": s.id, "name": s.name, "status": s.status}
        for s in conn.compute.servers(all_projects=True, compute_host=host)
    ]


def disable(conn, host, reason):
    (service,) = conn.compute.services(binary="nova-compute", host=host)
    conn.compute.disable_service(service, disabled_reason=f"[maintenance] {reason}")
    return {"disabled": host}


def poll(conn, previous):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "lib"))
    from apis.openstack_api.hypervisor_facts import collect_facts  # the pack's lib
    from apis.openstack_api.hypervisor_state import changes, compute_state

    facts = collect_facts(conn)
    payloads = [
        {"name": c.name, "previous": c.previous, "current": c.current}
        for c in changes(facts, previous)
    ]
    return {"payloads": payloads, "states": {f.name: compute_state(f).value for f in facts}}


def delete(conn, names):
    mine = [s for s in conn.compute.servers(all_projects=True) if s.name in names]
    for server in mine:
        conn.compute.delete_server(server)
    for server in mine:
        conn.compute.wait_for_delete(server, interval=0.5, wait=TIMEOUT)
    return {"deleted": [s.name for s in mine]}


def _wait_status(conn, server_id, statuses):
    deadline = time.monotonic() + TIMEOUT
    while True:
        server = conn.compute.get_server(server_id)
        if server.status in statuses and server.task_state is None:
            return server
        if time.monotonic() > deadline:
            raise RuntimeError(f"server {server.name} is {server.status}, not {statuses}")
        time.sleep(1)


def shelve(conn, ids):
    done = []
    for server_id in ids:
        conn.compute.shelve_server(server_id)
    for server_id in ids:
        server = _wait_status(conn, server_id, ("SHELVED", "SHELVED_OFFLOADED"))
        if server.status == "SHELVED":
            conn.compute.shelve_offload_server(server_id)
            server = _wait_status(conn, server_id, ("SHELVED_OFFLOADED",))
        done.append(server.name)
    return {"shelved": done}


def unshelve(conn, ids):
    done = []
    for server_id in ids:
        if conn.compute.get_server(server_id).status.startswith("SHELVED"):
            conn.compute.unshelve_server(server_id)
            done.append(server_id)
    found = [_wait_status(conn, server_id, ("ACTIVE",)) for server_id in done]
    return {"unshelved": [{"name": s.name, "host": s.compute_host} for s in found]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clouds-yaml", required=True)
    parser.add_argument("--cloud", required=True)
    parser.add_argument(
        "command",
        choices=[
            "boot",
            "hosts",
            "cleanup",
            "on",
            "disable",
            "poll",
            "delete",
            "shelve",
            "unshelve",
        ],
    )
    parser.add_argument("args", nargs="*")
    args = parser.parse_args(argv)
    conn = connect(args.clouds_yaml, args.cloud)
    if args.command == "boot":
        result = boot(conn, args.args[0], args.args[1:])
    elif args.command == "hosts":
        result = hosts(conn, args.args)
    elif args.command == "on":
        result = servers_on(conn, args.args[0])
    elif args.command == "disable":
        result = disable(conn, *args.args)
    elif args.command == "poll":
        result = poll(conn, json.loads(args.args[0]))
    elif args.command == "delete":
        result = delete(conn, args.args)
    elif args.command == "shelve":
        result = shelve(conn, args.args)
    elif args.command == "unshelve":
        result = unshelve(conn, args.args)
    else:
        prefix, host = args.args
        result = cleanup(conn, prefix, host)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
