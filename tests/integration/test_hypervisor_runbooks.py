"""server.time.in.state, hypervisor.shutdown.servers and hypervisor.test.server on the devcloud,
through the local runner; servers are booted in throwaway projects (test servers in the admin
project are deleted by the action itself)."""

import contextlib
import datetime
import time
from typing import Iterator, List

import pytest
import yaml

from apis import clock
from apis.openstack_api import hypervisor_service
from tests.integration.action_run import action_result, code_and_result, run_action, same_changes

pytestmark = pytest.mark.integration

SHARED_HOST = "compute1"
DRAIN_HOST = "compute2"
ZONE = {"compute1": "seed-az1", "compute2": "seed-az2"}
TRAIT = "COMPUTE_STATUS_DISABLED"
REASON = "hypervisor.test.server integration test"


def boot(project, names: List[str], host: str = SHARED_HOST) -> list:
    """Boot servers as the project's member in the zone holding only ``host``; wait ACTIVE."""
    conn = project.connect()
    flavor = conn.compute.find_flavor("seed.small", ignore_missing=False)
    image = conn.image.find_image("seed-cirros", ignore_missing=False)
    servers = [
        conn.compute.create_server(
            name=name,
            flavor_id=flavor.id,
            image_id=image.id,
            networks="none",
            availability_zone=ZONE[host],
        )
        for name in names
    ]
    return [conn.compute.wait_for_server(s, status="ACTIVE", wait=120) for s in servers]


def stop(admin_conn, server) -> None:
    """Stop a server and wait until SHUTOFF."""
    admin_conn.compute.stop_server(server)
    admin_conn.compute.wait_for_server(server, status="SHUTOFF", wait=120)


def by_name(rows) -> dict:
    """Rows by server name."""
    return {row["name"]: row for row in rows}


def test_time_in_state_of_seeded_servers(clouds_yaml, seeded_cloud):
    cloud = f"cloud_account={clouds_yaml.cloud}"
    code, result = code_and_result(None, "server.time.in.state", cloud)
    assert code == 0, result
    assert result["state"] == "SHUTOFF" and result["count"] == result["matched"]
    days = [row["days"] for row in result["servers"]]
    assert days == sorted(days, reverse=True)
    rows = by_name(result["servers"])
    for name in ("seed-ops-backup", "seed-data-etl-2", "seed-lab-scratch-1"):
        seed = seeded_cloud["servers"][name]
        row = rows[name]
        assert row["id"] == seed["id"] and row["project"] == seed["project"]
        assert row["host"] == seed["host"] and row["source"] == "action:stop"
        # the seed backdates created_at, not the stop action: the time comes from the action
        assert clock.parse(row["since"]) > clock.parse(seed["created_at"])

    code, errors = code_and_result(None, "server.time.in.state", cloud, "state=ERROR")
    assert code == 0, errors
    rows = by_name(errors["servers"])
    assert rows["seed-web-broken"]["source"] == "action:resetState"
    assert rows["seed-data-failed"]["source"] == "action:create"
    assert rows["seed-data-failed"]["host"] is None

    code, on_host = code_and_result(
        None, "server.time.in.state", cloud, "state=ERROR", "hypervisor=compute1", "limit=1"
    )
    assert code == 0 and on_host["count"] == 1 and on_host["matched"] >= 1
    assert on_host["servers"][0]["host"] == "compute1"


def test_time_in_state_of_a_server_stopped_now(clouds_yaml, throwaway_project, admin_conn):
    cloud = f"cloud_account={clouds_yaml.cloud}"
    before = clock.now() - datetime.timedelta(seconds=5)
    (server,) = boot(throwaway_project, ["tis-stopped"])
    stop(admin_conn, server)
    mine = f"projects={throwaway_project.project_name}"
    code, result = code_and_result(None, "server.time.in.state", cloud, mine)
    assert code == 0, result
    (row,) = result["servers"]
    assert row["id"] == server.id and row["project"] == throwaway_project.project_name
    assert row["source"] == "action:stop" and row["host"] == SHARED_HOST
    assert clock.parse(row["since"]) >= before.replace(microsecond=0)
    assert 0 <= row["days"] < 0.01
    code, old = code_and_result(None, "server.time.in.state", cloud, mine, "min_days=1")
    assert code == 0 and old["servers"] == [] and old["matched"] == 0
    code, other = code_and_result(None, "server.time.in.state", cloud, mine, "hypervisor=compute2")
    assert code == 0 and other["servers"] == []
    code, bad = code_and_result(None, "server.time.in.state", cloud, "hypervisor=compute9")
    assert code == 1 and "hosts: compute1, compute2" in bad["error"]


def test_shutdown_servers(clouds_yaml, throwaway_project, admin_conn):
    cloud = f"cloud_account={clouds_yaml.cloud}"
    names = ["sd-run-1", "sd-run-2", "sd-keep", "sd-off", "sd-broken"]
    servers = {s.name: s for s in boot(throwaway_project, names)}
    stop(admin_conn, servers["sd-off"])
    admin_conn.compute.reset_server_state(servers["sd-broken"], "error")
    host = f"hypervisor={SHARED_HOST}"

    code, planned = code_and_result(None, "hypervisor.shutdown.servers", cloud, host)
    assert code == 0, planned
    assert planned["dry_run"] and planned["hypervisor"] == SHARED_HOST
    rows = by_name(planned["servers"])
    assert [rows[n]["outcome"] for n in names] == [
        "would_stop",
        "would_stop",
        "would_stop",
        "unchanged",
        "not_touched",
    ]
    assert planned["counts"]["stopped"] == 0
    assert admin_conn.compute.get_server(servers["sd-run-1"].id).status == "ACTIVE"

    code, done = code_and_result(
        None,
        "hypervisor.shutdown.servers",
        cloud,
        host,
        f"projects={throwaway_project.project_id}",
        "skip_name_patterns=^sd-keep$",
        "concurrency=2",
        "wait_seconds=120",
        "dry_run=false",
    )
    assert code == 0, done
    rows = by_name(done["servers"])
    assert set(rows) == set(names), "only the project's servers"
    assert [rows[n]["outcome"] for n in names] == [
        "stopped",
        "stopped",
        "skipped",
        "unchanged",
        "not_touched",
    ]
    status = {n: admin_conn.compute.get_server(s.id).status for n, s in servers.items()}
    assert status == {
        "sd-run-1": "SHUTOFF",
        "sd-run-2": "SHUTOFF",
        "sd-keep": "ACTIVE",
        "sd-off": "SHUTOFF",
        "sd-broken": "ERROR",
    }

    code, again = code_and_result(
        None,
        "hypervisor.shutdown.servers",
        cloud,
        host,
        f"projects={throwaway_project.project_name}",
        "dry_run=false",
    )
    assert code == 0 and by_name(again["servers"])["sd-keep"]["outcome"] == "stopped"
    assert again["counts"]["unchanged"] == 3


def test_shutdown_refuses_bad_parameters(clouds_yaml):
    cloud = f"cloud_account={clouds_yaml.cloud}"
    code, result = code_and_result(
        None, "hypervisor.shutdown.servers", cloud, "hypervisor=compute11"
    )
    assert code == 1 and "Did you mean 'compute1'" in result["error"]
    code, result = code_and_result(
        None, "hypervisor.shutdown.servers", cloud, "hypervisor=compute1", "concurrency=99"
    )
    assert code == 1 and result["error"] == "concurrency 99 is out of range: 1 to 16"


def assert_gone(admin_conn, result) -> None:
    """Every test server of a result was deleted."""
    for host in result["hypervisors"].values():
        for entry in host["flavors"]:
            if entry["server_id"]:
                assert admin_conn.compute.find_server(entry["server_id"], all_projects=True) is None


def test_test_server_on_both_hosts(clouds_yaml, admin_conn, seeded_cloud):
    assert seeded_cloud
    cloud = f"cloud_account={clouds_yaml.cloud}"
    args = ("hypervisors=compute1,compute2", "image=seed-cirros", "flavors=seed.small")
    planned = action_result(None, "hypervisor.test.server", cloud, *args, "dry_run=true")
    code, result = code_and_result(None, "hypervisor.test.server", cloud, *args, "wait_seconds=120")
    assert code == 0, result
    assert planned["dry_run"] and not planned["changed"] and result["changed"]
    assert same_changes(planned, result)
    assert result["ok"] and set(result["hypervisors"]) == {"compute1", "compute2"}
    for host in result["hypervisors"].values():
        (entry,) = host["flavors"]
        assert entry["ok"] and entry["flavor"] == "seed.small" and entry["error"] is None
        assert 0 < entry["seconds"] < 120
    assert_gone(admin_conn, result)

    code, picked = code_and_result(
        None,
        "hypervisor.test.server",
        cloud,
        "hypervisors=compute1",
        "image=seed-cirros",
        "flavors=seed.small,seed.medium",
        "flavor_choice=one",
        "wait_seconds=120",
    )
    assert code == 0, picked
    (entry,) = picked["hypervisors"]["compute1"]["flavors"]
    assert entry["ok"] and entry["flavor"] in ("seed.small", "seed.medium")
    assert_gone(admin_conn, picked)


def compute_service(admin_conn, host: str):
    """A host's nova-compute service."""
    (service,) = [s for s in admin_conn.compute.services(binary="nova-compute") if s.host == host]
    return service


def blocked(admin_conn, host: str, timeout: float = 10) -> bool:
    """Whether the host's compute node gets the COMPUTE_STATUS_DISABLED trait (within
    ``timeout``: others' tests on the shared devcloud may lift it for a moment)."""
    (hypervisor,) = [
        h
        for h in admin_conn.compute.hypervisors(details=True)
        if (h.service_details or {}).get("host") == host
    ]
    url = f"/resource_providers/{hypervisor.id}/traits"
    deadline = time.monotonic() + timeout
    while TRAIT not in admin_conn.placement.get(url, microversion="1.6").json()["traits"]:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


@contextlib.contextmanager
def disabled(admin_conn, host: str) -> Iterator[None]:
    """The host disabled for the block; enabled again only if this test disabled it and the
    reason is still this test's (another test may have disabled it meanwhile)."""
    if compute_service(admin_conn, host).status == "disabled":
        yield
        return
    hypervisor_service.disable_hypervisor(
        admin_conn, host, REASON, maintenance=False, dry_run=False
    )
    try:
        yield
    finally:
        if REASON in (compute_service(admin_conn, host).disabled_reason or ""):
            hypervisor_service.enable_hypervisor(admin_conn, host, dry_run=False)


def test_test_server_on_a_disabled_host(clouds_yaml, admin_conn, seeded_cloud):
    assert seeded_cloud
    with disabled(admin_conn, DRAIN_HOST):
        assert blocked(admin_conn, DRAIN_HOST)
        code, result = code_and_result(
            None,
            "hypervisor.test.server",
            f"cloud_account={clouds_yaml.cloud}",
            f"hypervisors={DRAIN_HOST}",
            "image=seed-cirros",
            "flavors=seed.small",
            "wait_seconds=120",
        )
        assert code == 0, result
        (entry,) = result["hypervisors"][DRAIN_HOST]["flavors"]
        assert entry["ok"], entry
        assert compute_service(admin_conn, DRAIN_HOST).status == "disabled"
        assert blocked(admin_conn, DRAIN_HOST), "scheduling stays blocked"
        assert_gone(admin_conn, result)


def test_test_server_failures(clouds_yaml, admin_conn):
    cloud = f"cloud_account={clouds_yaml.cloud}"
    args = ["hypervisors=compute1", "image=seed-cirros", "wait_seconds=60"]
    code, failed = code_and_result(
        None, "hypervisor.test.server", cloud, *args, "flavors=seed.small,seed.huge"
    )
    assert code == 1, failed
    assert failed["error_type"] == "HypervisorTestServerError"
    assert failed["error"].startswith("test server failed on compute1 (seed.huge: ServerError: ")
    assert "No valid host was found" in failed["error"]
    report = failed["report"]
    small, huge = report["hypervisors"]["compute1"]["flavors"]
    assert report["ok"] is False and small["ok"] and not huge["ok"] and huge["server_id"]
    assert_gone(admin_conn, report)

    code, unknown = code_and_result(None, "hypervisor.test.server", cloud, *args, "flavors=tiny")
    assert code == 1 and unknown["error"].startswith("flavors 'tiny' is not a flavor; valid ")
    assert "seed.small" in unknown["error"]
    code, no_image = code_and_result(
        None, "hypervisor.test.server", cloud, "hypervisors=compute1", "image=cirros-9"
    )
    assert code == 1 and "image 'cirros-9' is not an active image" in no_image["error"]
    assert "seed-cirros" in no_image["error"]


@pytest.mark.parametrize(
    "argv",
    [
        ("server.time.in.state",),
        ("hypervisor.shutdown.servers", "hypervisor=compute1", "dry_run=false"),
        ("hypervisor.test.server", "hypervisors=compute1", "image=seed-cirros"),
    ],
    ids=lambda argv: argv[0],
)
def test_wrong_password_fails_cleanly(clouds_yaml, tmp_path, monkeypatch, argv):
    clouds = yaml.safe_load(clouds_yaml.path.read_text(encoding="utf-8"))
    wrong = "not-the-admin-password-77e2"
    clouds["clouds"][clouds_yaml.cloud]["auth"]["password"] = wrong
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump(clouds), encoding="utf-8")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    code, answer, printed = run_action(
        None, argv[0], f"cloud_account={clouds_yaml.cloud}", *argv[1:]
    )
    assert code == 1 and answer["result"]["error_type"] == "CloudConnectionError", printed
    assert wrong not in printed
