"""hypervisor.test.server picks flavors by the host's aggregates and keeps failed servers, on the
devcloud: an aggregate with metadata holds compute2, flavors with matching and non-matching
extra specs; the action runs for real through the local runner. Everything made here is removed
afterwards (aggregate, flavors, kept servers)."""

import secrets
from typing import Dict, Iterator, List, Set

import pytest

from tests.integration.action_run import code_and_result, same_changes
from tests.integration.test_hypervisor_runbooks import assert_gone

pytestmark = pytest.mark.integration

HOST = "compute2"
OTHER_HOST = "compute1"
IMAGE = "seed-cirros"
TOO_BIG = "seed.huge"  # 1,000,000 GB disk: placement finds no host, the server goes to ERROR
OWN_SCOPES = ("aggregate_instance_extra_specs:",)


def cloud_arg(clouds_yaml) -> str:
    """The cloud_account parameter."""
    return f"cloud_account={clouds_yaml.cloud}"


@pytest.fixture(name="aggregate_flavors")
def fixture_aggregate_flavors(admin_conn) -> Iterator[Dict[str, str]]:
    """An aggregate (hosttype, storage) holding compute2 and four flavors: two it allows
    (plain key; scoped key with <or>), two it does not (other hosttype; one spec off)."""
    tag = secrets.token_hex(3)
    hosttype = f"itest-{tag}"
    compute = admin_conn.compute
    aggregate = compute.create_aggregate(name=f"itest-agg-{tag}")
    made: List = []
    try:
        compute.set_aggregate_metadata(aggregate, hosttype=hosttype, storage="nvme,ssd")
        aggregate = compute.add_host_to_aggregate(aggregate, HOST)
        specs = {
            "fits-plain": {"hosttype": hosttype, "hw:cpu_policy": "shared"},
            "fits-scoped": {"aggregate_instance_extra_specs:storage": "<or> hdd <or> ssd"},
            "other-type": {"hosttype": f"itest-other-{tag}"},
            "one-spec-off": {"hosttype": hosttype, "storage": "hdd"},
        }
        names = {}
        for kind, extra in specs.items():
            flavor = compute.create_flavor(
                name=f"itest-{kind}-{tag}", vcpus=1, ram=64, disk=1, is_public=True
            )
            made.append(flavor)
            compute.create_flavor_extra_specs(flavor, extra)
            names[kind] = flavor.name
        yield names
    finally:
        for flavor in made:
            compute.delete_flavor(flavor, ignore_missing=True)
        if HOST in (compute.get_aggregate(aggregate).hosts or ()):
            compute.remove_host_from_aggregate(aggregate, HOST)
        compute.delete_aggregate(aggregate, ignore_missing=True)


def generic_flavors(admin_conn) -> Set[str]:
    """Usable public flavors no aggregate filter constrains (no plain or aggregate-scoped
    extra spec): they fit every host, as in nova."""
    names = set()
    for flavor in admin_conn.compute.flavors(is_public=True, get_extra_specs=True):
        specs = flavor.extra_specs or {}
        if flavor.is_disabled or "cloudops:decommission_date" in specs:
            continue
        if all(":" in key and not key.startswith(OWN_SCOPES) for key in specs):
            names.add(flavor.name)
    return names


def planned_flavors(result, host: str) -> List[str]:
    """Flavors of one host's boots in a result."""
    return [entry["flavor"] for entry in result["hypervisors"][host]["flavors"]]


def test_all_flavors_the_aggregates_allow(clouds_yaml, admin_conn, aggregate_flavors):
    names = aggregate_flavors
    allowed = generic_flavors(admin_conn) | {names["fits-plain"], names["fits-scoped"]}
    assert TOO_BIG in allowed, "the seed's generic flavors fit every host"
    args = (cloud_arg(clouds_yaml), f"hypervisors={HOST},{OTHER_HOST}", f"image={IMAGE}")
    code, planned = code_and_result(None, "hypervisor.test.server", *args, "dry_run=true")
    assert code == 0, planned
    assert set(planned_flavors(planned, HOST)) == allowed
    assert set(planned_flavors(planned, OTHER_HOST)) == generic_flavors(admin_conn)
    (agg_name,) = [n for n in planned["hypervisors"][HOST]["aggregates"] if n.startswith("itest")]
    assert planned["hypervisors"][HOST]["aggregates"][agg_name]["storage"] == "nvme,ssd"

    code, done = code_and_result(
        None,
        "hypervisor.test.server",
        cloud_arg(clouds_yaml),
        f"hypervisors={HOST}",
        f"image={IMAGE}",
        "wait_seconds=120",
    )
    assert code == 1, done
    report = done["report"]
    entries = {e["flavor"]: e for e in report["hypervisors"][HOST]["flavors"]}
    assert set(entries) == allowed, "booted exactly the allowed flavors"
    assert all(e["server_id"] for e in entries.values()), "each one was booted"
    failed = {name for name, e in entries.items() if not e["ok"]}
    assert failed == {TOO_BIG}, entries
    assert "No valid host was found" in entries[TOO_BIG]["error"]
    assert entries[names["fits-plain"]]["ok"] and entries[names["fits-scoped"]]["ok"]
    assert done["error"].startswith(f"test server failed on {HOST} ({TOO_BIG}: ServerError: ")
    assert report["kept_servers"] == [] and entries[TOO_BIG]["kept"] is None
    assert_gone(admin_conn, report)


def test_one_allowed_flavor_drawn_with_a_seed(clouds_yaml, admin_conn, aggregate_flavors):
    args = (cloud_arg(clouds_yaml), f"hypervisors={HOST}", f"image={IMAGE}", "flavor_choice=one")
    for seed in range(20):
        code, planned = code_and_result(
            None, "hypervisor.test.server", *args, f"flavor_seed={seed}", "dry_run=true"
        )
        assert code == 0, planned
        if planned_flavors(planned, HOST)[0] in aggregate_flavors.values():
            break
    else:
        pytest.fail("20 seeds never drew one of the aggregate's own flavors")
    (chosen,) = planned_flavors(planned, HOST)
    assert chosen in (aggregate_flavors["fits-plain"], aggregate_flavors["fits-scoped"])
    code, done = code_and_result(
        None, "hypervisor.test.server", *args, f"flavor_seed={seed}", "wait_seconds=120"
    )
    assert code == 0, done
    assert done["flavor_seed"] == seed and planned_flavors(done, HOST) == [chosen]
    assert same_changes(planned, done)
    assert_gone(admin_conn, done)


@pytest.fixture(name="kept_servers")
def fixture_kept_servers(admin_conn) -> Iterator[List[str]]:
    """Ids of servers a test kept; deleted (and waited for) afterwards."""
    kept: List[str] = []
    yield kept
    for server_id in kept:
        admin_conn.compute.delete_server(server_id, ignore_missing=True)
    for server_id in kept:
        server = admin_conn.compute.find_server(server_id, all_projects=True)
        if server is not None:
            admin_conn.compute.wait_for_delete(server, wait=120)


def test_keep_failed_leaves_the_failed_server(clouds_yaml, admin_conn, kept_servers):
    code, failed = code_and_result(
        None,
        "hypervisor.test.server",
        cloud_arg(clouds_yaml),
        f"hypervisors={HOST}",
        f"image={IMAGE}",
        "flavors=seed.small,seed.huge",
        "keep_failed=true",
        "wait_seconds=60",
    )
    assert code == 1, failed
    report = failed["report"]
    kept_servers.extend(e["server_id"] for e in report["kept_servers"])
    small, huge = report["hypervisors"][HOST]["flavors"]
    assert small["ok"] and small["kept"] is None
    assert admin_conn.compute.find_server(small["server_id"], all_projects=True) is None
    (kept,) = report["kept_servers"]
    assert kept["server_id"] == huge["server_id"] and kept["flavor"] == TOO_BIG
    assert kept["hypervisor"] == HOST and kept["status"] == "ERROR" and kept["host"] is None
    server = admin_conn.compute.get_server(kept["server_id"])
    assert server.status == "ERROR" and server.name == kept["server_name"]
    assert server.name.startswith(f"cloudops-test-{HOST}-{TOO_BIG}-")
    note = f"kept for debugging: server {server.name} ({server.id}) on no host, ERROR"
    assert failed["error"].endswith(f"; {note})")
