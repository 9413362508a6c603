#!/usr/bin/env python3
"""Drain benchmark: a devcloud hypervisor holding 40 servers, one at a time vs concurrently.

In its own project it boots ``--servers`` servers (no ports) on the source hypervisor, then
measured in this same run:

(1) ``drain_hypervisor`` with concurrency 1 (timed), every server to the target host;
    the servers are moved back with explicit host migrations and the source enabled (untimed);
(2) the same drain with ``--concurrency`` (default: the pack config default, 4) (timed);
(c) for reference, nova's floor: after moving them back, every migration requested at once
    with no per-server waits, one listing poll until all are done (skip with --no-floor).

After each drain every server must be on the target, none MIGRATING, RESIZE, VERIFY_RESIZE or
ERROR. Prints both wall times, the ratio t4/t1 and the speedup t1/t4. Target: speedup >= 2.5.

The devcloud's fake driver migrates instantly: no guest memory is copied, so each migration is
only nova's control plane, CPU-bound on about one core from start to end, and nova's floor
(c) bounds any speedup by roughly the machine's core count. ``--transfer-seconds S`` makes
every live migration wait S seconds first (devcloud run/live_migration_seconds), standing in
for the memory copy that real migrations spend most of their time on; the report names it.
The drains only see this run's servers (a skip pattern leaves everything else on the host in
place). The project, its servers and the source's enabled state are restored in any case.
Exits 1 when the target is missed or a server is left in a bad state.

    .venv/bin/python benchmarks/drain_bench.py [--cloud devcloud] [--servers 40]
        [--concurrency 4] [--cold] [--no-floor] [--source compute2] [--target compute1]
        [--transfer-seconds 0]
"""

from __future__ import annotations

import bench_env  # first: the project's .venv, lib/ on sys.path, the devcloud
import argparse
import concurrent.futures
import os
import sys
import time
import uuid
from typing import Any, Dict, List

ROOT = bench_env.ROOT
SPEEDUP_TARGET = 2.5
BAD_STATUSES = ("MIGRATING", "RESIZE", "VERIFY_RESIZE", "ERROR")
FLAVOR = "seed.small"
IMAGE = "seed-cirros"


def project_connection(admin, project_id: str):
    """An admin connection scoped to the benchmark project (so ``host=`` boots work)."""
    import openstack

    role = admin.identity.find_role("admin", ignore_missing=False)
    user = admin.identity.get_user(admin.current_user_id)
    admin.identity.assign_project_role_to_user(project_id, user, role)
    auth = {
        key: value
        for key, value in admin.config.config["auth"].items()
        if key not in ("project_name", "project_domain_name", "project_domain_id", "system_scope")
    }
    return openstack.connect(
        auth={**auth, "project_id": project_id},
        region_name=admin.config.get_region_name(),
        load_envvars=False,
        load_yaml_config=False,
    )


def boot(conn, prefix: str, count: int, host: str) -> List[Any]:
    """``count`` ACTIVE servers on ``host``."""
    flavor = conn.compute.find_flavor(FLAVOR, ignore_missing=False)
    image = conn.image.find_image(IMAGE, ignore_missing=False)
    servers = [
        conn.compute.create_server(
            name=f"{prefix}{n:02d}",
            flavor_id=flavor.id,
            image_id=image.id,
            networks="none",
            host=host,
        )
        for n in range(count)
    ]
    return [conn.compute.wait_for_server(s, interval=0.5, wait=300) for s in servers]


def check(admin, project_id: str, where: str, count: int) -> List[str]:
    """Problems: servers not on ``where`` or in a bad state."""
    servers = list(admin.compute.servers(all_projects=True, project_id=project_id))
    problems = [f"{len(servers)} servers, not {count}"] if len(servers) != count else []
    for server in servers:
        if server.status in BAD_STATUSES or server.task_state:
            problems.append(f"{server.name} is {server.status} (task {server.task_state})")
        elif server.compute_host != where:
            problems.append(f"{server.name} is on {server.compute_host}, not {where}")
    return problems


def move_back(cloud: str, admin, project_id: str, host: str, workers: int = 8) -> None:
    """Every project server back to ``host`` (explicit live migrations, untimed)."""
    from apis.openstack_api.connection import open_connection
    from apis.openstack_api.migration_rules import MigrationRules
    from apis.openstack_api.migrations import migrate

    servers = list(admin.compute.servers(all_projects=True, project_id=project_id))
    connections = [open_connection(cloud) for _ in range(workers)]

    def one(pair):
        number, server = pair
        conn = connections[number % workers]
        current = conn.compute.get_server(server.id)
        migrate(conn, current, live=True, host=host, timeout=300, rules=MigrationRules())

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, enumerate(servers)))
    finally:
        for conn in connections:
            conn.close()


def drain(cloud: str, args, concurrency: int, prefix: str) -> Dict[str, Any]:
    """One timed drain of the source to the target."""
    from apis.openstack_api.connection import connect
    from workflows.hypervisor_drain import drain_hypervisor

    started = time.perf_counter()
    # the action's one connection per execution is part of its time
    with connect(cloud) as conn:
        result = drain_hypervisor(
            conn,
            args.source,
            "drain benchmark",
            operator="drain_bench",
            live=not args.cold,
            concurrency=concurrency,
            target_host=args.target,
            dry_run=False,
            migration={"skip_name_patterns": [f"^(?!{prefix})"]},
        )
    result["measured_seconds"] = time.perf_counter() - started
    return result


def enable(admin, host: str) -> None:
    """The host's compute service enabled again."""
    for service in admin.compute.services(binary="nova-compute"):
        if service.host == host and service.status != "enabled":
            admin.compute.enable_service(service)


def nova_floor(admin, project_id: str, args) -> float:
    """Nova's own throughput: every migration requested at once, one listing poll; seconds."""
    servers = list(admin.compute.servers(all_projects=True, project_id=project_id))
    started = time.perf_counter()
    for server in servers:
        if args.cold:
            admin.compute.migrate_server(server, host=args.target)
        else:
            admin.compute.live_migrate_server(server, host=args.target, block_migration="auto")
    confirmed = set()
    while True:
        busy = 0
        for server in admin.compute.servers(all_projects=True, project_id=project_id):
            if server.status == "VERIFY_RESIZE" and server.id not in confirmed:
                admin.compute.confirm_server_resize(server)
                confirmed.add(server.id)
            busy += bool(server.task_state) or server.status == "VERIFY_RESIZE"
        if not busy:
            return time.perf_counter() - started
        time.sleep(0.5)


def measure(admin, conn, project_id: str, args, prefix: str) -> List[str]:
    """Boot, drain one at a time, move back, drain concurrently; print; the problems."""
    from apis.openstack_api.migration_rules import MigrationRules

    concurrency = args.concurrency or MigrationRules().drain_concurrency
    problems: List[str] = []
    started = time.perf_counter()
    boot(conn, prefix, args.servers, args.source)
    print(
        f"booted {args.servers} servers on {args.source} in "
        f"{time.perf_counter() - started:.1f}s",
        flush=True,
    )

    one = drain(args.cloud, args, 1, prefix)
    problems += [f"(1) {p}" for p in check(admin, project_id, args.target, args.servers)]
    print(
        f"(1) concurrency 1: {one['measured_seconds']:.1f}s "
        f"({one['counts']['migrated']} migrated)",
        flush=True,
    )

    enable(admin, args.source)
    started = time.perf_counter()
    move_back(args.cloud, admin, project_id, args.source)
    problems += [f"(back) {p}" for p in check(admin, project_id, args.source, args.servers)]
    print(f"    moved back to {args.source} in {time.perf_counter() - started:.1f}s (untimed)")

    many = drain(args.cloud, args, concurrency, prefix)
    problems += [f"(2) {p}" for p in check(admin, project_id, args.target, args.servers)]
    print(
        f"(2) concurrency {concurrency}: {many['measured_seconds']:.1f}s "
        f"({many['counts']['migrated']} migrated)"
    )

    t_floor = None
    if not args.no_floor:
        enable(admin, args.source)
        move_back(args.cloud, admin, project_id, args.source)
        t_floor = nova_floor(admin, project_id, args)
        problems += [f"(floor) {p}" for p in check(admin, project_id, args.target, args.servers)]
    report(args, one["measured_seconds"], many["measured_seconds"], t_floor, concurrency)
    t1, tn = one["measured_seconds"], many["measured_seconds"]
    speedup = t1 / tn
    if speedup < SPEEDUP_TARGET:
        problems.append(f"speedup {speedup:.2f} < {SPEEDUP_TARGET}")
    bench_env.record(
        f"drain {args.servers} servers: concurrency {concurrency} vs 1 (speedup >= "
        f"{SPEEDUP_TARGET:g})",
        tn,
        t1,
        1 / SPEEDUP_TARGET,
        speedup >= SPEEDUP_TARGET,
    )
    return problems


def report(args, t1: float, tn: float, t_floor, concurrency: int) -> None:
    """Print the times, ratio and speedup (and nova's floor when measured)."""
    speedup = t1 / tn
    mode = "cold" if args.cold else "live"
    transfer = (
        f", each live migration with a modeled {args.transfer_seconds:g}s memory copy"
        if args.transfer_seconds
        else ", instant fake-driver migrations (nova control plane only)"
    )
    print(f"{args.servers} servers, {mode} migrations, {args.source} -> {args.target}{transfer}")
    print(f"    t1 {t1:.1f}s, t{concurrency} {tn:.1f}s")
    print(f"    ratio t{concurrency}/t1: {tn / t1:.2f}")
    verdict = "OK" if speedup >= SPEEDUP_TARGET else "MISSED"
    print(f"    speedup t1/t{concurrency}: {speedup:.2f} (target >= {SPEEDUP_TARGET}) {verdict}")
    if t_floor:
        print(
            f"    nova floor (all {args.servers} requested at once, no per-server waits): "
            f"{t_floor:.1f}s; best possible speedup t1/floor {t1 / t_floor:.2f}; "
            f"concurrency {concurrency} reaches {t_floor / tn:.0%} of nova's throughput"
        )
    print(f"    load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> int:
    """Boot, drain twice, print, clean up; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--cloud", default="devcloud", help="clouds.yaml cloud (admin)")
    parser.add_argument("--servers", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--cold", action="store_true", help="cold instead of live migrations")
    parser.add_argument("--no-floor", action="store_true", help="skip nova's floor (c)")
    parser.add_argument("--source", default="compute2")
    parser.add_argument("--target", default="compute1")
    parser.add_argument(
        "--transfer-seconds",
        type=float,
        default=0.0,
        help="seconds every live migration waits first, for a real one's memory copy",
    )
    args = parser.parse_args()

    from apis.openstack_api.connection import open_connection
    from tests.integration.devcloud_fixtures import delete_project, modeled_transfer

    tag = uuid.uuid4().hex[:6]
    prefix = f"bench-drain-{tag}-"
    admin = open_connection(args.cloud)
    project = admin.identity.create_project(
        name=f"bench-drain-{tag}", domain_id="default", description="drain_bench.py"
    )
    problems: List[str] = []
    conn = None
    try:
        admin.compute.update_quota_set(project.id, instances=-1, cores=-1, ram=-1)
        conn = project_connection(admin, project.id)
        with modeled_transfer(args.transfer_seconds):
            problems = measure(admin, conn, project.id, args, prefix)
    finally:
        enable(admin, args.source)
        if conn is not None:
            conn.close()
        delete_project(admin, project.id, None)
        admin.close()
    return bench_env.verdict(problems)


if __name__ == "__main__":
    sys.exit(bench_env.run(main))
