"""Every OpenStack action against the devcloud with each fault injected at the HTTP layer.

The actions are every ``actions/*.yaml`` whose parameters include ``cloud_account`` (a new one
without a row in ``PARAMETERS`` fails the suite). Each runs in-process through
``action_runtime.dispatch.dispatch`` with its YAML defaults, the row's devcloud parameters and
``dry_run`` false: from the first request after authentication on, the cloud answers with the
fault; the action must fail with one line naming it, no traceback, and the cloud must be as
before. The multi-step changing actions also meet a one-shot fault on a later mutating
request, and must roll back (or, for deletions, say what was done and finish on a rerun). A
few run through the local runner too, as an operator would.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import re
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Mapping
from urllib.parse import urlsplit

import pytest
import yaml

from action_runtime.dispatch import dispatch
from apis import clock
from apis.openstack_api.hypervisor_state import for_maintenance
from packtools.local_runner import load_config
from packtools.pack import load_pack
from tests.integration.action_run import action_parameters, run_action
from tests.integration.devcloud_fixtures import ROOT, delete_project
from tests.integration.drain_lab import SOURCE, TARGET, Lab, compute2, drain_lab
from tests.integration.fault_proxy import Fault as ProxyFault
from tests.integration.fault_proxy import FaultProxy
from tests.integration.http_faults import Fault, FaultInjector, Trigger

pytestmark = pytest.mark.integration

PACK = load_pack(ROOT)
OPENSTACK_ACTIONS = sorted(
    name
    for name, action in PACK.actions.items()
    if "cloud_account" in (action.data.get("parameters") or {})
)
# runs on StackStorm's orquesta runner: its steps are the python actions below
NOT_IN_PROCESS = {"hypervisor.drain.workflow"}
# send nothing after authenticating (they read only the token's catalog; the devcloud has no
# cinder, so check.old.volume.snapshots stops there): their fault is on the auth
AUTH_ONLY = {"openstack.cloud.info", "check.old.volume.snapshots"}
EXTERNAL = "seed-public"
SUFFIX = uuid.uuid4().hex[:6]


@dataclasses.dataclass(frozen=True)
class Victims:
    """Throwaway resources the destructive actions point at."""

    project: str
    group: str
    server: str
    floating_ip: str
    subnet: str


def _parameters(v: Victims) -> Dict[str, Dict[str, Any]]:
    """Devcloud parameters of every OpenStack action (besides cloud_account and dry_run)."""
    everyone = {"all_projects": True}
    return {
        "check.image.shares": {},
        "check.old.volume.snapshots": {},
        "check.open.security.groups": {},
        "check.orphans": {},
        "check.stale.servers": everyone,
        "check.unusable.flavors": {},
        "check.unused.floating.ips": everyone,
        "email.mailing.list.image.created": {"image": "seed-cirros"},
        "email.mailing.list.image.decommissioned": {"image": "seed-legacy-os"},
        "email.ops.down.disabled.hypervisors": {},
        "email.users.with.decom.flavors": everyone,
        "email.users.with.decom.images": everyone,
        "email.users.with.errored.vms": everyone,
        "email.users.with.shutoff.vms": everyone,
        "email.users.with.vms.on.hypervisor": {
            "hypervisor_name": "compute1",
            "start": "2030-01-07 08:00",
            **everyone,
        },
        "flavor.create": {"name": f"{v.project}-flavor", "vcpus": 1, "ram": 64, "disk": 1},
        "flavor.project.access.add": {"flavor": "seed.huge", "projects": [v.project]},
        "flavor.project.access.remove": {"flavor": "seed.huge", "projects": [v.project]},
        "flavor.search": {},
        "floating.ip.allocate": {"project": v.project, "external_network": EXTERNAL, "count": 1},
        "floating.ip.list": everyone,
        "floating.ip.release": {"floating_ips": [v.floating_ip]},
        "group.user.add": {"group": v.group, "users": ["seed-bob"]},
        "group.user.remove": {"group": v.group, "users": ["seed-bob"]},
        "hypervisor.drain.plan": {"hypervisor": "compute2"},
        "hypervisor.drain": {"hypervisor": "compute2", "reason": "fault injection"},
        "hypervisor.find.empty": {},
        "hypervisor.find.reinstall.candidates": {},
        "hypervisor.maintenance.resume": {"hypervisor": "compute1"},
        "hypervisor.maintenance.start": {"hypervisor": "compute1"},
        "hypervisor.maintenance.step": {"hypervisor": "compute1", "step": "drain"},
        "hypervisor.patch.reboot": {"hypervisor": "compute1", "comment": "fault injection"},
        "hypervisor.post.reboot": {
            "hypervisor": "compute1",
            "test_image": "seed-cirros",
            "test_flavors": ["seed.small"],
        },
        "hypervisor.search": {},
        "hypervisor.service.disable": {"hypervisor": "compute1", "reason": "fault injection"},
        "hypervisor.service.enable": {"hypervisor": "compute1"},
        "hypervisor.shutdown.servers": {"hypervisor": "compute2", "projects": [v.project]},
        "hypervisor.test.server": {
            "hypervisors": ["compute1"],
            "image": "seed-cirros",
            "flavors": ["seed.small"],
        },
        "image.decommission.mark": {"image": "seed-cirros", "decommission_date": "2031-01-01"},
        "image.search": everyone,
        "image.share.to.project": {"image": "seed-data-private", "project": v.project},
        "network.check.routers": {"expected_external_cidrs": ["198.51.100.0/24"]},
        "network.create": {"project": v.project, "name": "fault-net", "cidr": "10.99.0.0/24"},
        "network.rbac.share": {"network": "seed-web-net", "project": v.project},
        "openstack.cloud.info": {},
        "openstack.search": {"query_type": "servers", **everyone},
        "project.create": {"name": f"{v.project}-new"},
        "project.delete": {"project": v.project, "force": True},
        "project.group.role.add": {"project": v.project, "group": v.group, "roles": ["member"]},
        "project.group.role.remove": {
            "project": v.project,
            "group": v.group,
            "roles": ["member"],
        },
        "project.search": {},
        "project.user.role.add": {"project": v.project, "user": "seed-bob", "roles": ["member"]},
        "project.user.role.remove": {
            "project": v.project,
            "user": "seed-bob",
            "roles": ["member"],
        },
        "quota.set": {"project": v.project, "instances": 7},
        "quota.show": {"project": v.project},
        "role.assignments.list": {"project": "seed-web"},
        "router.create": {
            "project": v.project,
            "name": "fault-router",
            "external_network": EXTERNAL,
            "subnets": [v.subnet],
        },
        "security.group.rule.add": {
            "project": v.project,
            "protocol": "tcp",
            "port_range_min": 2222,
            "port_range_max": 2222,
            "remote_ip_prefix": "10.0.0.0/8",
        },
        "server.create": {
            "name": f"{v.project}-new",
            "flavor": "seed.small",
            "image": "seed-cirros",
        },
        "server.delete": {"server": v.server},
        "server.list": everyone,
        "server.migrate": {"server": v.server},
        "server.migrate.batch": {"servers": [v.server]},
        "server.reboot": {"server": v.server},
        "server.search": everyone,
        "server.shutoff": {"server": v.server},
        "server.snapshot": {"server": v.server, "snapshot_name": f"{v.project}-snap"},
        "server.start": {"server": v.server},
        "server.time.in.state": {},
        "user.search": {},
    }


def run(name: str, given: Mapping[str, Any], config: Mapping[str, Any]):
    """``dispatch`` of the action, as the python runner calls it."""
    parameters = action_parameters(PACK, name, {"cloud_account": "devcloud", **given})
    return dispatch(parameters.pop("lib_function"), parameters, config)


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """What any action could change (without timestamps), and when it was taken."""

    taken_at: str
    state: Dict[str, Any]


def cloud_state(admin) -> Snapshot:
    """A snapshot of the cloud; its servers are compared through nova's changes-since."""
    identity, net, compute = admin.identity, admin.network, admin.compute
    taken_at = clock.isoformat_z(clock.now() - datetime.timedelta(seconds=1))
    listings = {
        "projects": lambda: sorted(
            (p.id, p.is_enabled, tuple(p.tags or ())) for p in identity.projects()
        ),
        "users": lambda: sorted(u.id for u in identity.users()),
        "groups": lambda: {
            g.id: sorted(u.id for u in identity.group_users(g)) for g in identity.groups()
        },
        "roles": lambda: sorted(
            (a.role["id"], str(a.user or a.group), str(a.scope))
            for a in identity.role_assignments()
        ),
        "flavors": lambda: sorted(
            (f.id, f.is_public, tuple(sorted((f.extra_specs or {}).items())))
            for f in compute.flavors(is_public=None)
        ),
        "images": lambda: sorted(
            (i.id, i.visibility, str(i.properties.get("cloudops:decommission_date")))
            for i in admin.image.images()
        ),
        "networks": lambda: sorted((n.id, tuple(n.subnet_ids)) for n in net.networks()),
        "routers": lambda: sorted(
            (r.id, str(r.external_gateway_info and r.external_gateway_info.get("network_id")))
            for r in net.routers()
        ),
        "ports": lambda: sorted((p.id, p.device_id) for p in net.ports()),
        "rbac": lambda: sorted(r.id for r in net.rbac_policies()),
        "security_group_rules": lambda: sorted(r.id for r in net.security_group_rules()),
        "floating_ips": lambda: sorted((f.id, str(f.port_id)) for f in net.ips()),
        "services": lambda: sorted(
            (s.host, s.binary, s.status, str(s.disabled_reason)) for s in compute.services()
        ),
    }
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        futures = {key: pool.submit(listing) for key, listing in listings.items()}
        state = {key: future.result() for key, future in futures.items()}
    return Snapshot(taken_at, state)


def changes(admin, before: Snapshot) -> Dict[str, Any]:
    """What differs from ``before``, with the servers created, changed or deleted since."""
    after = cloud_state(admin).state
    found = {
        key: (before.state[key], after[key]) for key in after if before.state[key] != after[key]
    }
    servers = admin.compute.servers(all_projects=True, changes_since=before.taken_at, deleted=False)
    changed = sorted((s.name, s.status, str(s.task_state)) for s in servers)
    if changed:
        found["servers"] = changed
    return found


def assert_clean_failure(name: str, fault: Fault, outcome, injector: FaultInjector) -> str:
    """The action met the fault and failed with one line naming it; that line."""
    assert injector.faulted, f"{name}: no request met {fault.name}"
    succeeded, result = outcome
    assert not succeeded, f"{name} {fault.name}: succeeded: {result}"
    error = result["error"]
    assert "\n" not in error and "Traceback" not in error, f"{name} {fault.name}: {error}"
    assert re.search(
        fault.signature, error
    ), f"{name} {fault.name}: {result['error_type']}: {error}"
    return error


@pytest.fixture(name="pack_config", scope="module")
def fixture_pack_config(tmp_path_factory) -> Dict[str, Any]:
    """A pack config whose accounts point at closed ports: the OpenStack fault comes first."""
    folder = tmp_path_factory.mktemp("fault-config")
    key = folder / "id_ed25519"
    key.write_text("not a key\n", encoding="ascii")
    nowhere = "http://127.0.0.1:9"
    raw = {
        "smtp_accounts": [
            {
                "name": "default",
                "host": "127.0.0.1",
                "port": 9,
                "security": "none",
                "from_address": "cloudops@example.org",
            }
        ],
        "alertmanager_accounts": [{"name": "default", "url": nowhere}],
        "icinga_accounts": [{"name": "default", "url": "https://127.0.0.1:9"}],
        "ssh_accounts": [
            {
                "name": "hypervisors",
                "username": "cloudops",
                "private_key_file": str(key),
                "known_hosts_file": str(folder / "known_hosts"),
            }
        ],
        "ops_mailing_list": "ops@example.org",
        "users_mailing_list": "users@example.org",
        "hypervisor_maintenance": {
            "patch_script": "patch",
            "reboot_script": "reboot",
            "test_image": "seed-cirros",
            "test_flavors": ["seed.small"],
        },
        "ssh_allowed_scripts": [
            {"name": "patch", "path": "/bin/true", "description": "patch"},
            {"name": "reboot", "path": "/bin/true", "description": "reboot"},
        ],
    }
    path = folder / "cloudops.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_config(PACK, path, [])


@pytest.fixture(name="pack_config_path", scope="module")
def fixture_pack_config_path(pack_config, tmp_path_factory) -> Path:
    """The pack config as a file, for the local runner."""
    path = tmp_path_factory.mktemp("fault-config-file") / "cloudops.yaml"
    path.write_text(yaml.safe_dump(pack_config), encoding="utf-8")
    return path


@pytest.fixture(name="injector", scope="module")
def fixture_injector(tmp_path_factory) -> Iterator[FaultInjector]:
    """HTTP fault injection for the module's in-process actions."""
    with FaultInjector(tmp_path_factory.mktemp("fault-tls")) as injector:
        yield injector


@pytest.fixture(name="victims", scope="module")
def fixture_victims(admin_conn, seeded_cloud, clouds_yaml) -> Iterator[Victims]:
    """A project, a group, a server and a floating IP of its own for the destructive actions."""
    assert clouds_yaml.path.exists() and seeded_cloud
    name = f"fault-victim-{SUFFIX}"
    identity, net, compute = admin_conn.identity, admin_conn.network, admin_conn.compute
    project = identity.create_project(name=name, domain_id="default")
    group = identity.create_group(name=name, domain_id="default")
    # neutron makes a project's default security group on its first network (or listing)
    assert list(net.security_groups(project_id=project.id))
    external = net.find_network(EXTERNAL, ignore_missing=False)
    fip = net.create_ip(floating_network_id=external.id, project_id=project.id)
    network = net.create_network(name=name, project_id=project.id)
    subnet = net.create_subnet(
        name=name, network_id=network.id, project_id=project.id, ip_version=4, cidr="10.97.0.0/24"
    )
    server = compute.create_server(
        name=name,
        flavor_id=compute.find_flavor("seed.small", ignore_missing=False).id,
        image_id=admin_conn.image.find_image("seed-cirros", ignore_missing=False).id,
        networks="none",
    )
    compute.wait_for_server(server, wait=120)
    try:
        yield Victims(
            project=name,
            group=name,
            server=name,
            floating_ip=fip.floating_ip_address,
            subnet=subnet.id,
        )
    finally:
        compute.delete_server(server, ignore_missing=True)
        identity.delete_group(group, ignore_missing=True)
        for leftover in identity.projects(name=f"{name}-new"):
            delete_project(admin_conn, leftover.id, None)
        delete_project(admin_conn, project.id, None)
        compute.wait_for_delete(server, wait=120)


def test_every_openstack_action_has_devcloud_parameters(victims):
    table = _parameters(victims)
    assert sorted(set(OPENSTACK_ACTIONS) - NOT_IN_PROCESS) == sorted(table)


@pytest.mark.parametrize("name", sorted(set(OPENSTACK_ACTIONS) - NOT_IN_PROCESS))
def test_first_request_fault_fails_cleanly_and_changes_nothing(
    name, victims, pack_config, injector, admin_conn
):
    given = _parameters(victims)[name]
    before = cloud_state(admin_conn)
    for fault in Fault:
        with injector.inject(fault, Trigger(auth=name in AUTH_ONLY)):
            outcome = run(name, given, pack_config)
        assert_clean_failure(name, fault, outcome, injector)
    assert not changes(admin_conn, before), name


@pytest.fixture(name="faulty_nova")
def fixture_faulty_nova(admin_conn, clouds_yaml, tmp_path, monkeypatch) -> Iterator[FaultProxy]:
    """A clouds.yaml cloud ``devcloud-faulty`` whose compute endpoint is a fault proxy in
    front of the real nova (exported for the local runner's fresh interpreter)."""
    nova = urlsplit(admin_conn.compute.get_endpoint())
    with FaultProxy(f"{nova.scheme}://{nova.netloc}") as proxy:
        clouds = yaml.safe_load(clouds_yaml.path.read_text(encoding="utf-8"))
        faulty = dict(clouds["clouds"][clouds_yaml.cloud])
        faulty["compute_endpoint_override"] = proxy.url + nova.path
        clouds["clouds"]["devcloud-faulty"] = faulty
        path = tmp_path / "clouds.yaml"
        path.write_text(yaml.safe_dump(clouds), encoding="utf-8")
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
        yield proxy


@pytest.mark.parametrize(
    "status, signature",
    [(409, "HTTP 409"), (500, "a failure inside the service"), (503, "retry after 7 s")],
)
def test_an_operator_sees_one_line_and_no_traceback(
    status, signature, victims, pack_config_path, faulty_nova
):
    """Through the local runner (a fresh interpreter, as StackStorm runs it)."""
    # the first request reads nova's version document; the next one (the lookup) fails
    faulty_nova.inject(ProxyFault(), ProxyFault(status, retry_after="7" if status == 503 else None))
    code, answer, printed = run_action(
        pack_config_path,
        "server.reboot",
        "cloud_account=devcloud-faulty",
        f"server={victims.server}",
        "dry_run=false",
    )
    error = answer["result"]["error"]
    assert code == 1 and "Traceback" not in printed, printed
    assert "\n" not in error and signature in error, error
    assert f"compute (nova) failed GET servers/{victims.server}" in error, error


def test_timeouts_keep_the_suite_fast(victims, pack_config, injector):
    start = time.monotonic()
    with injector.inject(Fault.READ_TIMEOUT):
        outcome = run("quota.show", {"project": victims.project}, pack_config)
    assert_clean_failure("quota.show", Fault.READ_TIMEOUT, outcome, injector)
    assert time.monotonic() - start < 5


# Multi-step changing actions: a one-shot fault on a later mutating request.
# test.server's later request is the test server's deletion, which it tries again
RETRIES_CLEANUP = {"hypervisor.test.server"}
LATER = [Fault.CONFLICT, Fault.SERVER_ERROR, Fault.READ_TIMEOUT]


@pytest.mark.parametrize("fault", LATER, ids=lambda f: f.name)
def test_project_create_rolls_back_a_later_failure(
    fault, victims, pack_config, injector, admin_conn
):
    given = {
        "name": f"{victims.project}-new",
        "network_cidr": "10.98.0.0/24",
        "external_network": EXTERNAL,
        "member_users": ["seed-bob"],
        "quotas": {"instances": 3},
    }
    before = cloud_state(admin_conn)
    with injector.inject(fault, Trigger(mutating=4)):
        outcome = run("project.create", given, pack_config)
    error = assert_clean_failure("project.create", fault, outcome, injector)
    assert "rolled back" in error
    assert not changes(admin_conn, before)


@pytest.mark.parametrize(
    "name, given_of, mutating",
    [
        (
            "network.create",
            lambda v: {"project": v.project, "name": "fault-net", "cidr": "10.99.0.0/24"},
            2,
        ),
        # the router is made, then its interface on the project's subnet fails
        ("router.create", lambda v: _parameters(v)["router.create"], 2),
        (
            "hypervisor.test.server",
            lambda v: {
                "hypervisors": ["compute1"],
                "image": "seed-cirros",
                "flavors": ["seed.small"],
            },
            2,
        ),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
@pytest.mark.parametrize("fault", LATER, ids=lambda f: f.name)
def test_later_failure_leaves_nothing_half_made(
    name, given_of, mutating, fault, victims, pack_config, injector, admin_conn
):
    before = cloud_state(admin_conn)
    with injector.inject(fault, Trigger(mutating=mutating)):
        outcome = run(name, given_of(victims), pack_config)
    if name in RETRIES_CLEANUP:
        assert injector.faulted and outcome[0], outcome
    else:
        assert_clean_failure(name, fault, outcome, injector)
    assert not changes(admin_conn, before)


@pytest.mark.parametrize("fault", LATER, ids=lambda f: f.name)
def test_project_delete_says_what_it_deleted_and_a_rerun_finishes(
    fault, pack_config, injector, admin_conn
):
    before = cloud_state(admin_conn)
    name = f"fault-doomed-{uuid.uuid4().hex[:6]}"
    project = admin_conn.identity.create_project(name=name, domain_id="default")
    try:
        net = admin_conn.network
        network = net.create_network(name=name, project_id=project.id)
        net.create_subnet(
            network_id=network.id, project_id=project.id, ip_version=4, cidr="10.96.0.0/24"
        )
        given = {"project": name, "force": True}
        with injector.inject(fault, Trigger(mutating=2)):
            outcome = run("project.delete", given, pack_config)
        error = assert_clean_failure("project.delete", fault, outcome, injector)
        assert "already deleted: " in error and "run it again" in error, error
        assert admin_conn.identity.get_project(project.id).name == name
        succeeded, result = run("project.delete", given, pack_config)
        assert succeeded, result
    finally:
        for leftover in admin_conn.identity.projects(name=name):
            delete_project(admin_conn, leftover.id, None)
    assert not changes(admin_conn, before)


# The long runbooks: a one-shot fault on one server's action POST (live migration, stop)
# while the others go on; what they report must be where nova has each server.
@pytest.fixture(name="lab")
def fixture_lab(throwaway_project, admin_conn, tmp_path) -> Iterator[Lab]:
    """Servers of the test on compute2; compute2 enabled again whatever happens."""
    with drain_lab(throwaway_project, admin_conn, tmp_path) as lab:
        yield lab


def assert_one_server_failed(name: str, fault: Fault, outcome, injector: FaultInjector):
    """The run failed with one line naming the one server whose request met the fault."""
    assert injector.faulted, f"{name}: no request met {fault.name}"
    succeeded, result = outcome
    assert not succeeded, f"{name} {fault.name}: succeeded: {result}"
    error = result["error"]
    assert "\n" not in error and "Traceback" not in error, f"{name} {fault.name}: {error}"
    servers = [o for o in result["report"]["objects"] if o["kind"] == "server"]
    failed = [o for o in servers if o["outcome"] == "failed"]
    assert len(failed) == 1, servers
    assert re.search(fault.signature, failed[0]["reason"]), failed[0]
    assert failed[0]["name"] in error or "1 failed" in error, error


def lab_outcomes(lab: Lab, result: Mapping[str, Any]) -> Dict[str, str]:
    """The change result's outcome of each of the lab's servers, by name."""
    return {
        o["name"]: o["outcome"]
        for o in result["objects"]
        if o["kind"] == "server" and o["name"].startswith(lab.prefix)
    }


@pytest.mark.parametrize("fault", LATER, ids=lambda f: f.name)
def test_drain_reports_where_each_server_is_and_a_rerun_finishes(
    fault, lab, pack_config, injector, admin_conn
):
    servers = lab.boot("a", "b", "c", "d")
    config = {**pack_config, "migration": lab.migration}
    given = {"hypervisor": SOURCE, "reason": "fault injection"}
    with injector.inject(fault, Trigger(mutating=3, url_part="/action")):
        outcome = run("hypervisor.drain", given, config)
    assert_one_server_failed("hypervisor.drain", fault, outcome, injector)
    error, report = outcome[1]["error"], outcome[1]["report"]
    assert f"{SOURCE} stays disabled" in error and "run the drain again" in error, error
    told = lab_outcomes(lab, report)
    assert sorted(told.values()) == ["done"] * 3 + ["failed"], told
    where = {s.name: lab.host_of(s) for s in servers}
    assert where == {n: TARGET if o == "done" else SOURCE for n, o in told.items()}, told
    service = compute2(admin_conn)
    assert service.status == "disabled" and for_maintenance(service.disabled_reason)

    succeeded, again = run("hypervisor.drain", given, config)
    assert succeeded, again
    assert not again["disable"]["changed"]
    assert lab_outcomes(lab, again) == {n: "done" for n, o in told.items() if o == "failed"}
    assert {lab.host_of(s) for s in servers} == {TARGET}


@pytest.mark.parametrize("fault", LATER, ids=lambda f: f.name)
def test_shutdown_reports_each_power_state_and_a_rerun_finishes(
    fault, lab, throwaway_project, pack_config, injector
):
    servers = lab.boot("a", "b", "c")
    given = {
        "hypervisor": SOURCE,
        "projects": [throwaway_project.project_id],
        "concurrency": 1,
        "wait_seconds": 60,
    }
    with injector.inject(fault, Trigger(mutating=2, url_part="/action")):
        outcome = run("hypervisor.shutdown.servers", given, pack_config)
    assert_one_server_failed("hypervisor.shutdown.servers", fault, outcome, injector)
    told = lab_outcomes(lab, outcome[1]["report"])
    assert sorted(told.values()) == ["done", "done", "failed"], told
    power = {s.name: lab.settle(s).status for s in servers}
    assert power == {n: "SHUTOFF" if o == "done" else "ACTIVE" for n, o in told.items()}, told

    succeeded, again = run("hypervisor.shutdown.servers", given, pack_config)
    assert succeeded, again
    assert lab_outcomes(lab, again) == {
        n: "done" if o == "failed" else "unchanged" for n, o in told.items()
    }
    assert {lab.settle(s).status for s in servers} == {"SHUTOFF"}
