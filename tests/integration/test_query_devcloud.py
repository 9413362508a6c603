"""Every query type against the seeded devcloud, through the real openstacksdk."""

import datetime
import re

import pytest

from apis import clock
from apis.openstack_query_api import (
    AggregateQuery,
    FlavorQuery,
    FloatingIPQuery,
    HypervisorQuery,
    ImageQuery,
    NetworkQuery,
    PortQuery,
    ProjectQuery,
    SecurityGroupQuery,
    ServerQuery,
    UserQuery,
)
from apis.openstack_query_api.entry import search

pytestmark = pytest.mark.integration
SEED = "^seed-"


def admin(query, conn, **scope):
    """Run as the devcloud admin over all projects (or the given scope)."""
    return query.run(conn, as_admin=True, **(scope or {"all_projects": True}))


def column(query, key):
    """One column's values, sorted."""
    return sorted(row[key] for row in query.to_props())


def seed_servers(seeded_cloud, predicate=lambda s: True):
    """Names of seeded servers passing ``predicate``."""
    return sorted(name for name, s in seeded_cloud["servers"].items() if predicate(s))


def test_shutoff_servers_older_than(seeded_cloud, lib_conn):
    cutoff = clock.now() - datetime.timedelta(days=30)
    query = admin(
        ServerQuery()
        .select("name", "status", "created_at")
        .where("~", "name", pattern=SEED)
        .where("==", "status", value="shutoff")
        .where("older_than", "created_at", days=30),
        lib_conn,
    )
    expected = seed_servers(
        seeded_cloud,
        lambda s: s["status"] == "SHUTOFF" and clock.parse(s["created_at"]) < cutoff,
    )
    assert expected and column(query, "server_name") == expected
    assert all(row["server_created_at"].tzinfo for row in query.to_props())


def test_younger_than_uses_changes_since(seeded_cloud, lib_conn):
    cutoff = clock.now() - datetime.timedelta(days=20)
    query = admin(
        ServerQuery().where("~", "name", pattern=SEED).where("younger_than", "created_at", days=20),
        lib_conn,
    )
    expected = seed_servers(seeded_cloud, lambda s: clock.parse(s["created_at"]) > cutoff)
    assert column(query, "server_name") == expected


def test_from_projects_and_chain_to_users(seeded_cloud, lib_conn):
    query = admin(
        ServerQuery().select("name").where("in", "status", values=["SHUTOFF", "ERROR"]),
        lib_conn,
        from_projects=["seed-data", "seed-lab"],
    )
    expected = seed_servers(
        seeded_cloud,
        lambda s: s["project"] in ("seed-data", "seed-lab") and s["status"] != "ACTIVE",
    )
    assert column(query, "server_name") == expected
    users = query.then(UserQuery, keep_previous_results=True).select("name", "email")
    owners = {row["user_name"]: row for row in users.to_props()}
    for name in expected:
        owner = seeded_cloud["servers"][name]["user"]
        assert name in [p["server_name"] for p in owners[owner]["previous"]]
        assert owners[owner]["user_email"] == seeded_cloud["users"][owner]["email"]


def test_projects_to_servers_and_append_from(seeded_cloud, lib_conn):
    projects = admin(ProjectQuery().where("==", "name", value="seed-web"), lib_conn)
    servers = projects.then(ServerQuery).select("name").append_from(UserQuery, "email")
    assert column(servers, "server_name") == seed_servers(
        seeded_cloud, lambda s: s["project"] == "seed-web"
    )
    emails = {row["user_email"] for row in servers.to_props()}
    assert emails == {"bob@example.com", "alice@example.com"}


def test_hypervisors_with_placement_usage_and_their_servers(seeded_cloud, lib_conn):
    query = admin(
        HypervisorQuery().select("name", "state", "status", "vcpus", "vcpus_used", "memory_mb"),
        lib_conn,
    )
    rows = {row["hypervisor_name"]: row for row in query.to_props()}
    assert sorted(rows) == sorted(seeded_cloud["hypervisors"])
    for row in rows.values():
        assert row["hypervisor_state"] == "up" and row["hypervisor_vcpus"] > 0
        assert row["hypervisor_vcpus_used"] >= 0
    servers = query.then(ServerQuery).where("~", "name", pattern=SEED)
    servers.run(lib_conn, all_projects=True, as_admin=True)
    assert column(servers, "server_name") == seed_servers(seeded_cloud, lambda s: s["host"])


def test_decommission_flavors_and_images_to_servers(seeded_cloud, lib_conn):
    key = seeded_cloud["decommission_key"]
    flavors = [
        row
        for row in admin(FlavorQuery().select("name", "extra_specs"), lib_conn).to_props()
        if key in (row["flavor_extra_specs"] or {})
    ]
    assert [row["flavor_name"] for row in flavors] == ["seed.legacy"]
    servers = (
        admin(FlavorQuery().where("==", "name", value="seed.legacy"), lib_conn)
        .then(ServerQuery)
        .select("name")
    )
    assert column(servers, "server_name") == seed_servers(
        seeded_cloud, lambda s: s["flavor"] == "seed.legacy"
    )
    images = admin(
        ImageQuery().select("id", "properties").where("==", "name", value="seed-legacy-os"),
        lib_conn,
    )
    assert images.to_props()[0]["image_properties"][key]
    on_image = images.then("servers").select("name")
    assert column(on_image, "server_name") == seed_servers(
        seeded_cloud, lambda s: s["image"] == "seed-legacy-os"
    )


def test_users_projects_domains(seeded_cloud, lib_conn):
    users = admin(UserQuery().where("~", "name", pattern=SEED), lib_conn, from_domain="seed-domain")
    assert column(users, "user_name") == sorted(
        n for n, u in seeded_cloud["users"].items() if u["domain_id"] != "default"
    )
    no_email = admin(
        UserQuery().where("~", "name", pattern=SEED).where("is_null", "email"), lib_conn
    )
    assert column(no_email, "user_name") == ["seed-dave"]
    projects = admin(ProjectQuery().where("~", "name", pattern=SEED), lib_conn)
    assert column(projects, "project_name") == sorted(seeded_cloud["projects"])


@pytest.mark.parametrize(
    "query, key, section",
    [
        (AggregateQuery().where("~", "name", pattern=SEED), "aggregate_name", "aggregates"),
        (FloatingIPQuery(), "floating_ip_address", "floating_ips"),
        (NetworkQuery().where("~", "name", pattern=SEED), "network_name", "networks"),
        (
            SecurityGroupQuery().where("~", "name", pattern=SEED),
            "security_group_name",
            "security_groups",
        ),
    ],
)
def test_other_resources(seeded_cloud, lib_conn, query, key, section):
    found = column(admin(query.select(key), lib_conn), key)
    assert set(seeded_cloud[section]) <= set(found)


def test_ports_of_a_server(seeded_cloud, lib_conn):
    fip = seeded_cloud["floating_ips"]["198.51.100.20"]
    ports = admin(PortQuery().where("==", "id", value=fip["port_id"]), lib_conn)
    assert column(ports, "port_id") == [fip["port_id"]]


def test_search_entry_as_actions_call_it(seeded_cloud, lib_conn):
    result = search(
        lib_conn,
        "servers",
        preset="~",
        property_name="name",
        values=[SEED],
        properties_to_select=["name", "status"],
        group_by="status",
        output_type="props",
        all_projects=True,
    )
    assert result["count"] == len(seeded_cloud["servers"])
    assert sorted(result["rows"]) == sorted({s["status"] for s in seeded_cloud["servers"].values()})


@pytest.fixture(name="nova_microversions")
def fixture_nova_microversions(monkeypatch):
    """The compute microversion header of every request sent while the test runs."""
    import requests

    sent = []
    send = requests.Session.send

    def recording(session, request, **kwargs):
        sent.append(request.headers.get("OpenStack-API-Version"))
        return send(session, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", recording)
    return sent


def test_servers_are_listed_at_the_microversion_their_fields_need(
    seeded_cloud, lib_conn, admin_conn, nova_microversions
):
    plain = admin(ServerQuery().select("name", "status").where("~", "name", pattern=SEED), lib_conn)
    assert "compute 2.1" in nova_microversions
    nova_microversions.clear()
    flavors = admin(
        ServerQuery().select("name", "flavor_name").where("~", "name", pattern=SEED), lib_conn
    )
    assert "compute 2.47" in nova_microversions
    assert column(plain, "server_name") == sorted(seeded_cloud["servers"])
    by_sdk = {
        s.name: s.flavor.original_name
        for s in admin_conn.compute.servers(all_projects=True, name=SEED)
    }
    assert {r["server_name"]: r["server_flavor_name"] for r in flavors.to_props()} == by_sdk


@pytest.mark.usefixtures("seeded_cloud")
def test_updated_at_older_than_uses_changes_before(lib_conn, admin_conn):
    cutoff = clock.now() - datetime.timedelta(minutes=1)
    query = admin(
        ServerQuery()
        .select("name")
        .where("~", "name", pattern=SEED)
        .where("older_than", "updated_at", minutes=1),
        lib_conn,
    )
    expected = sorted(
        s.name
        for s in admin_conn.compute.servers(all_projects=True, name=SEED)
        if clock.parse(s.updated_at) < cutoff
    )
    assert expected and column(query, "server_name") == expected


@pytest.mark.parametrize(
    "query, key, pattern",
    [
        (UserQuery, "user_name", "eed-da"),  # name__contains
        (UserQuery, "user_name", "-dave$"),  # name__endswith
        (ProjectQuery, "project_name", "^seed-w"),  # name__startswith
    ],
)
def test_keystone_name_filters(seeded_cloud, lib_conn, query, key, pattern):
    section = "users" if query is UserQuery else "projects"
    found = admin(query().where("~", "name", pattern=pattern), lib_conn)
    expected = sorted(n for n in seeded_cloud[section] if re.search(pattern, n))
    assert expected and column(found, key) == expected
