"""Peer-style queries (stfc openstackquery 1.3: its preset, property and query type names,
``run(cloud_account, ...)``), ported by changing the import only, against the seeded devcloud:
each returns the same rows as our native query and as the seed says."""

import uuid

import pytest

# the peer's: from openstackquery import AggregateQuery, FlavorQuery, ...
from apis.openstack_query_api import (
    AggregateQuery,
    FlavorQuery,
    HypervisorQuery,
    ImageQuery,
    ProjectQuery,
    ServerQuery,
    UserQuery,
)

pytestmark = pytest.mark.integration
SEED = "^seed-"


@pytest.fixture(name="cloud_account")
def fixture_cloud_account(clouds_yaml, seeded_cloud):
    """The clouds.yaml name peer-style queries run on (the peer's ``cloud_account``)."""
    assert seeded_cloud
    return clouds_yaml.cloud


def rows(query):
    """The rows, in the query's order."""
    return query.to_props()


def native(query, conn, **scope):
    """Our query, run the native way: over an open connection, as admin."""
    return query.run(conn, as_admin=True, **(scope or {"all_projects": True}))


def by_user(user_rows):
    """User rows by name, each with its servers' ids (order-free)."""
    return {
        row["user_name"]: (row["user_email"], sorted(s["server_id"] for s in row["previous"]))
        for row in user_rows
    }


def test_shutoff_servers_older_than(cloud_account, lib_conn, seeded_cloud):
    peer = (
        ServerQuery()
        .select("server_id", "server_name", "server_creation_date", "flavor_id")
        .where("ANY_IN", "server_status", values=["SHUTOFF"])
        .where("OLDER_THAN_OR_EQUAL_TO", "server_creation_date", days=7)
        .where("MATCHES_REGEX", "server_name", value=SEED)
        .sort_by(("server_name", "ascending"))
        .run(cloud_account, as_admin=True, all_projects=True)
    )
    ours = native(
        ServerQuery()
        .select("id", "name", "created_at", "server_flavor_id")
        .where("in", "status", values=["SHUTOFF"])
        .where("older_than_or_equal_to", "created_at", days=7)
        .where("~", "name", pattern=SEED)
        .sort_by("name"),
        lib_conn,
    )
    assert rows(peer) and rows(peer) == rows(ours)
    flavors = {name: f["id"] for name, f in seeded_cloud["flavors"].items()}
    seeds = seeded_cloud["servers"]
    for row in rows(peer):
        assert row["server_flavor_id"] == flavors[seeds[row["server_name"]]["flavor"]]


def test_servers_of_a_flavor_by_id(cloud_account, lib_conn, seeded_cloud):
    flavor_id = seeded_cloud["flavors"]["seed.legacy"]["id"]
    peer = (
        ServerQuery()
        .select("vm_name", "flavor_id", "hv_name")
        .where("EQUAL_TO", "flavor_id", value=flavor_id)
        .run(cloud_account, as_admin=True, all_projects=True)
    )
    ours = native(
        ServerQuery()
        .select("name", "flavor_id", "hypervisor_name")
        .where("==", "server_flavor_id", value=flavor_id),
        lib_conn,
    )
    expected = sorted(n for n, s in seeded_cloud["servers"].items() if s["flavor"] == "seed.legacy")
    assert expected and sorted(r["server_name"] for r in rows(peer)) == expected
    assert sorted(map(str, rows(peer))) == sorted(map(str, rows(ours)))


def test_chain_servers_to_their_users(cloud_account, lib_conn, seeded_cloud):
    servers = (
        ServerQuery()
        .where("NOT_EQUAL_TO", "vm_status", value="ACTIVE")
        .where("regex", "vm_name", value=SEED)
        .run(cloud_account, as_admin=True, all_projects=True)
    )
    peer = servers.then("USER_QUERY", keep_previous_results=True)
    peer.select("user_name", "email_addr").run(cloud_account, as_admin=True, all_projects=True)
    ours = native(
        ServerQuery().where("!=", "status", value="ACTIVE").where("~", "name", pattern=SEED),
        lib_conn,
    )
    ours = ours.then("users", keep_previous_results=True).select("name", "email")
    assert by_user(rows(peer)) == by_user(rows(ours))
    owners = {s["user"] for s in seeded_cloud["servers"].values() if s["status"] != "ACTIVE"}
    assert {r["user_name"] for r in rows(peer)} == owners


def test_projects_users_flavors_images(cloud_account, lib_conn, seeded_cloud):
    def same(peer, ours):
        peer.run(cloud_account, as_admin=True, all_projects=True)
        assert rows(peer) == rows(native(ours, lib_conn))
        return rows(peer)

    projects = same(
        ProjectQuery()
        .select("project_name")
        .where("match_regex", "project_name", value=SEED)
        .where("EQUAL_TO", "project_is_enabled", value=True)
        .sort_by(("project_name", "asc")),
        ProjectQuery()
        .select("name")
        .where("~", "name", pattern=SEED)
        .where("==", "enabled", value=True)
        .sort_by("name"),
    )
    assert {r["project_name"] for r in projects} >= set(seeded_cloud["projects"])
    users = same(
        UserQuery()
        .select("username", "email_addr")
        .where("re", "username", value=SEED)
        .sort_by(("username", "DESC")),
        UserQuery()
        .select("name", "email")
        .where("~", "name", pattern=SEED)
        .sort_by(("name", "desc")),
    )
    assert {r["user_name"] for r in users} >= set(seeded_cloud["users"])
    flavors = same(
        FlavorQuery()
        .select("flavor_name", "vcpu", "ram_size")
        .where("more_or_equal", "ram_size", value=1024)
        .where("less_or_equal", "vcpu", value=2)
        .where("MATCHES_REGEX", "flavor_name", value=r"^seed\."),
        FlavorQuery()
        .select("name", "vcpus", "ram")
        .where(">=", "ram", value=1024)
        .where("<=", "vcpus", value=2)
        .where("~", "name", pattern=r"^seed\."),
    )
    assert sorted(r["flavor_name"] for r in flavors) == sorted(
        n for n, f in seeded_cloud["flavors"].items() if f["ram"] >= 1024 and f["vcpus"] <= 2
    )
    images = same(
        ImageQuery()
        .select("image_name", "image_creation_date", "image_minimum_disk")
        .where("YOUNGER_THAN", "image_creation_date", days=3650)
        .where("matches_regex", "image_name", value=SEED)
        .sort_by(("image_name", "asc")),
        ImageQuery()
        .select("name", "created_at", "min_disk")
        .where("younger_than", "created_at", days=3650)
        .where("~", "name", pattern=SEED)
        .sort_by("name"),
    )
    assert [r["image_name"] for r in images] == sorted(seeded_cloud["images"])


def test_hypervisor_usage_and_uptime(cloud_account, lib_conn, devcloud):
    with devcloud.uptime("compute1", 200):
        peer = (
            HypervisorQuery()
            .select(
                "hypervisor_name",
                "hypervisor_uptime_days",
                "vcpus",
                "vcpus_used",
                "vcpus_avail",
                "memory_mb_avail",
                "disk_gb_size",
                "disk_gb_used",
                "disk_gb_avail",
            )
            .where("ANY_IN", "hypervisor_state", values=["up"])
            .sort_by(("hypervisor_name", "ascending"))
            .run(cloud_account, as_admin=True)
        )
        ours = native(
            HypervisorQuery()
            .select(
                "name",
                "uptime_days",
                "vcpus",
                "vcpus_used",
                "vcpus_available",
                "memory_mb_available",
                "disk_gb",
                "disk_gb_used",
                "disk_gb_available",
            )
            .where("in", "state", values=["up"])
            .sort_by("name"),
            lib_conn,
            all_projects=False,
        )
        old = HypervisorQuery().where("GREATER_THAN", "hypervisor_uptime_days", value=100)
        old.run(cloud_account, as_admin=True)
    assert [r["hypervisor_name"] for r in rows(peer)] == ["compute1", "compute2"]
    for peer_row, our_row in zip(rows(peer), rows(ours)):
        assert {k: v for k, v in peer_row.items() if k != "hypervisor_uptime_days"} == {
            k: v for k, v in our_row.items() if k != "hypervisor_uptime_days"
        }
    for row in rows(peer):
        assert row["hypervisor_disk_gb_available"] == (
            row["hypervisor_disk_gb"] - row["hypervisor_disk_gb_used"]
        )
        assert row["hypervisor_vcpus_available"] == (
            row["hypervisor_vcpus"] - row["hypervisor_vcpus_used"]
        )
    assert [r["hypervisor_name"] for r in rows(old)] == ["compute1"]


@pytest.fixture(name="gpu_aggregate")
def fixture_gpu_aggregate(admin_conn):
    """A throwaway aggregate (no zone) tagging compute2 as an A100 host with 2 GPUs."""
    compute = admin_conn.compute
    aggregate = compute.create_aggregate(name=f"peer-port-{uuid.uuid4().hex[:8]}")
    try:
        compute.set_aggregate_metadata(
            aggregate, {"hosttype": "A100", "gpunum": "2", "local_storage_type": "nvme"}
        )
        compute.add_host_to_aggregate(aggregate, "compute2")
        yield aggregate
    finally:
        if "compute2" in (compute.get_aggregate(aggregate).hosts or []):
            compute.remove_host_from_aggregate(aggregate, "compute2")
        compute.delete_aggregate(aggregate)


def test_aggregate_metadata_on_hypervisors(cloud_account, lib_conn, gpu_aggregate):
    peer = (
        HypervisorQuery()
        .select("hypervisor_name", "hosttype", "gpunum", "local_storage_type")
        .where("EQUAL_TO", "hosttype", value="A100")
        .where("GREATER_THAN_OR_EQUAL_TO", "gpunum", value=1)
        .run(cloud_account, as_admin=True)
    )
    ours = native(
        HypervisorQuery()
        .select("name", "hosttype", "gpunum", "local_storage_type")
        .where("==", "aggregate_metadata.hosttype", value="A100"),
        lib_conn,
        all_projects=False,
    )
    assert (
        rows(peer)
        == rows(ours)
        == [
            {
                "hypervisor_name": "compute2",
                "hypervisor_hosttype": "A100",
                "hypervisor_gpunum": 2,
                "hypervisor_local_storage_type": "nvme",
            }
        ]
    )
    zones = native(
        HypervisorQuery().select("name", "aggregate_metadata.availability_zone").sort_by("name"),
        lib_conn,
        all_projects=False,
    )
    assert [r["hypervisor_aggregate_metadata.availability_zone"] for r in rows(zones)] == [
        "seed-az1",
        "seed-az2",
    ]
    aggregates = (
        AggregateQuery()
        .select("aggregate_id", "hosttype")
        .where("EQUAL_TO", "metadata_hosttype", value="A100")
    )
    assert rows(aggregates.run(cloud_account, as_admin=True)) == [
        {"aggregate_id": gpu_aggregate.id, "aggregate_hosttype": "A100"}
    ]
