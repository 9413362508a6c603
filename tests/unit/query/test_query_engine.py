"""The query engine against a fake cloud that checks every SDK call."""

import pytest

from apis.openstack_query_api import (
    AggregateQuery,
    FlavorQuery,
    FloatingIPQuery,
    HypervisorQuery,
    ImageQuery,
    NetworkQuery,
    PortQuery,
    ProjectQuery,
    QueryType,
    SecurityGroupQuery,
    ServerQuery,
    UserQuery,
)
from apis.openstack_api.exceptions import OpenStackRequestError, OpenStackTimeoutError
from apis.openstack_query_api import query as query_module
from apis.openstack_query_api.exceptions import (
    QueryChainError,
    QueryError,
    QueryScopeError,
    UnknownQueryTypeError,
)


def names(query, key="server_name"):
    """The values of one column."""
    return [row[key] for row in query.to_props()]


def admin_run(query, cloud, **scope):
    """Run as admin over all projects unless a scope is given."""
    scope = scope or {"all_projects": True}
    return query.run(cloud, as_admin=True, **scope)


def test_status_and_age_go_to_the_server_and_are_rechecked(cloud):
    query = admin_run(
        ServerQuery()
        .select("name")
        .where("==", "status", value="shutoff")
        .where("younger_than", "created_at", days=120)
        .sort_by("name"),
        cloud,
    )
    (call,) = cloud.kwargs_of("servers")
    assert call["status"] == "SHUTOFF"
    assert call["all_projects"] is True and call["details"] is True
    assert "limit" not in call  # nova pages at max_limit itself; a limit costs an empty page
    assert "changes_since" in call
    assert names(query) == ["db-1", "web-2"]


def test_any_in_over_status_is_one_call_plus_client_filter(cloud):
    query = admin_run(ServerQuery().where("in", "status", values=["ERROR", "SHUTOFF"]), cloud)
    assert len(cloud.kwargs_of("servers")) == 1
    assert "status" not in cloud.kwargs_of("servers")[0]
    assert sorted(names(query)) == ["db-1", "etl-1", "lab-1", "web-2"]


def test_name_regex_and_exact_name_are_server_side(cloud):
    admin_run(ServerQuery().where("~", "name", pattern="^web"), cloud)
    admin_run(ServerQuery().where("==", "name", value="db-1"), cloud)
    assert [c["name"] for c in cloud.kwargs_of("servers")] == ["^web", "^db\\-1$"]


def test_from_projects_with_another_filter_is_one_listing(cloud):
    query = admin_run(
        ServerQuery().where("==", "status", value="SHUTOFF"), cloud, from_projects=["web", "lab"]
    )
    (call,) = cloud.kwargs_of("servers")
    assert call["status"] == "SHUTOFF" and "project_id" not in call
    assert sorted(names(query)) == ["lab-1", "web-2"]
    assert len(cloud.kwargs_of("projects")) == 1  # names resolved by one listing


def test_from_projects_fans_out_concurrently_per_project(cloud):
    query = admin_run(ServerQuery(), cloud, from_projects=["web", "p-lab"])
    calls = cloud.kwargs_of("servers")
    assert sorted(c["project_id"] for c in calls) == ["p-lab", "p-web"]
    assert sorted(names(query)) == ["lab-1", "lab-2", "web-1", "web-2"]


def test_many_projects_use_one_listing(cloud, monkeypatch):
    monkeypatch.setattr(query_module, "FEW", 1)
    query = admin_run(ServerQuery(), cloud, from_projects=["web", "lab"])
    (call,) = cloud.kwargs_of("servers")
    assert "project_id" not in call and call["all_projects"] is True
    assert sorted(names(query)) == ["lab-1", "lab-2", "web-1", "web-2"]


def test_from_domain_limits_to_its_projects(cloud):
    query = admin_run(UserQuery(), cloud, from_domain="science")
    assert names(query, "user_name") == ["carol"]
    servers = admin_run(ServerQuery(), cloud, from_domain="d-science")
    assert sorted(names(servers)) == ["db-1", "etl-1", "lab-1", "lab-2"]


def test_few_ids_are_fetched_by_get(cloud):
    query = admin_run(ServerQuery().where("in", "id", values=["id-web-1", "id-nope"]), cloud)
    assert not cloud.kwargs_of("servers")
    assert sorted(name for name, _, _ in cloud.log) == ["get_server", "get_server"]
    assert names(query) == ["web-1"]


def test_then_users_keeps_previous_results(cloud):
    servers = admin_run(ServerQuery().select("name").where("==", "status", value="SHUTOFF"), cloud)
    users = servers.then(UserQuery, keep_previous_results=True).select("name", "email")
    rows = {row["user_name"]: row for row in users.to_props()}
    assert sorted(rows) == ["alice", "bob", "carol"]
    assert [p["server_name"] for p in rows["carol"]["previous"]] == ["db-1"]
    assert sorted(p["server_name"] for p in rows["alice"]["previous"]) == ["lab-1"]
    assert len(cloud.kwargs_of("users")) == 1  # three distinct users: one listing
    flat = users.to_props(flatten=True)
    assert {"server_name", "user_name", "user_email"} <= set(flat[0])


def test_then_two_users_are_two_gets(cloud):
    servers = admin_run(ServerQuery().where("~", "name", pattern="^web"), cloud)
    users = servers.then(UserQuery)
    assert cloud.kwargs_of("users") == []
    assert sorted(c[1][0] for c in cloud.log if c[0] == "get_user") == ["u-alice", "u-bob"]
    assert sorted(names(users, "user_name")) == ["alice", "bob"]


def test_then_many_users_is_one_listing(cloud):
    servers = admin_run(ServerQuery(), cloud)
    users = servers.then("users", keep_previous_results=False)
    assert len(cloud.kwargs_of("users")) == 1
    assert sorted(names(users, "user_name")) == ["alice", "bob", "carol"]
    assert "previous" not in users.to_props()[0]


@pytest.mark.parametrize(
    "start, target, expected",
    [
        (ProjectQuery().where("==", "name", value="data"), ServerQuery, ["db-1", "etl-1"]),
        (FlavorQuery().where("==", "name", value="m1.large"), ServerQuery, ["db-1"]),
        (ImageQuery().where("==", "name", value="cirros"), "servers", ["db-1", "lab-1", "lab-2"]),
        (HypervisorQuery().where("==", "name", value="hv2"), "servers", ["db-1", "lab-1"]),
        (UserQuery().where("==", "name", value="bob"), "servers", ["lab-2", "web-2"]),
    ],
)
def test_chains_to_servers(cloud, start, target, expected):
    admin_run(start, cloud)
    found = start.then(target)
    assert sorted(names(found))[: len(expected)] == expected or sorted(names(found)) == expected


def test_servers_chain_to_projects_hypervisors_flavors_images(cloud):
    servers = admin_run(ServerQuery().where("==", "name", value="db-1"), cloud)
    assert names(servers.then(ProjectQuery), "project_name") == ["data"]
    assert names(servers.then(HypervisorQuery), "hypervisor_name") == ["hv2"]
    assert names(servers.then(FlavorQuery), "flavor_name") == ["m1.large"]
    assert names(servers.then(ImageQuery), "image_name") == ["cirros"]


def test_chain_errors(cloud):
    with pytest.raises(QueryChainError, match="has not been run"):
        ServerQuery().then(UserQuery)
    aggregates = admin_run(AggregateQuery(), cloud)
    with pytest.raises(QueryChainError, match="aggregates cannot be chained to servers"):
        aggregates.then(ServerQuery)
    with pytest.raises(UnknownQueryTypeError, match="Did you mean 'servers'"):
        aggregates.then("serverz")


def test_chain_with_nothing_to_follow(cloud):
    empty = admin_run(ServerQuery().where("==", "status", value="BUILD"), cloud)
    assert empty.then(UserQuery).to_props() == []
    assert cloud.kwargs_of("users") == []


def test_append_from_adds_columns(cloud):
    query = admin_run(ServerQuery().select("name").sort_by("name"), cloud)
    query.append_from(UserQuery, "email")
    rows = {row["server_name"]: row for row in query.to_props()}
    assert rows["web-1"]["user_email"] == "alice@example.org"
    assert rows["db-1"]["user_email"] is None
    query.append_from("hypervisors", "state")
    assert rows["etl-1"] != query.to_props()[1]
    assert {row["server_name"]: row["hypervisor_state"] for row in query.to_props()}[
        "etl-1"
    ] is None


def test_sort_by_several_keys(cloud):
    query = admin_run(
        ServerQuery().select("status", "name").sort_by(("status", "asc"), ("created_at", "desc")),
        cloud,
    )
    assert [(r["server_status"], r["server_name"]) for r in query.to_props()] == [
        ("ACTIVE", "lab-2"),
        ("ACTIVE", "web-1"),
        ("ERROR", "etl-1"),
        ("SHUTOFF", "db-1"),
        ("SHUTOFF", "web-2"),
        ("SHUTOFF", "lab-1"),
    ]
    with pytest.raises(QueryError, match="must be 'asc' or 'desc'"):
        ServerQuery().sort_by(("name", "up"))


def test_group_by_value_and_ranges(cloud):
    query = admin_run(ServerQuery().select("name").group_by("status"), cloud)
    groups = query.to_props()
    assert sorted(groups) == ["ACTIVE", "ERROR", "SHUTOFF"]
    ranged = admin_run(
        ServerQuery().select("name").group_by("status", ranges={"bad": ["ERROR"]}), cloud
    )
    groups = ranged.to_props()
    assert [r["server_name"] for r in groups["bad"]] == ["etl-1"]
    assert len(groups["ungrouped results"]) == 5
    assert set(ranged.to_objects()) == {"bad", "ungrouped results"}
    assert "bad:" in ranged.to_string()


def test_to_objects_are_sdk_resources(cloud):
    objects = admin_run(ServerQuery().where("==", "name", value="web-1"), cloud).to_objects()
    assert objects[0].id == "id-web-1"


def test_select_all_and_tags(cloud):
    query = admin_run(ServerQuery().select_all().where("==", "tags", value="web"), cloud)
    row = query.to_props()[0]
    assert len(row) == len(list(QueryType.SERVERS.mapping.properties))
    assert sorted(names(query)) == ["web-1", "web-2"]


def test_caller_project_only_by_default(cloud):
    ServerQuery().run(cloud)
    NetworkQuery().run(cloud)
    assert cloud.kwargs_of("servers")[0]["all_projects"] is False
    assert cloud.kwargs_of("networks")[0]["project_id"] == "p-admin"


@pytest.mark.parametrize(
    "query, key, expected",
    [
        (FlavorQuery().where(">=", "ram", value=1024), "flavor_name", ["m1.large"]),
        (FlavorQuery().where("==", "is_public", value=True), "flavor_name", ["m1.small"]),
        (ImageQuery().where("not_null", "properties"), "image_name", ["legacy"]),
        (ImageQuery().where("==", "owner", value="p-data"), "image_name", ["legacy"]),
        (ProjectQuery().where("~", "description", pattern="(?i)^web"), "project_name", ["web"]),
        (UserQuery().where("is_null", "email"), "user_name", ["carol"]),
        (HypervisorQuery().where("==", "status", value="disabled"), "hypervisor_name", ["hv2"]),
        (AggregateQuery().where("==", "hosts", value="hv2"), "aggregate_name", ["gpu"]),
        (FloatingIPQuery(), "floating_ip_address", ["198.51.100.5"]),
        (NetworkQuery().where("==", "name", value="web-net"), "network_name", ["web-net"]),
        (PortQuery().where("==", "device_owner", value="compute:nova"), "port_id", ["port-1"]),
        (SecurityGroupQuery(), "security_group_name", ["default"]),
    ],
)
def test_every_query_type(cloud, query, key, expected):
    assert names(admin_run(query.select(key), cloud), key) == expected


def test_flavor_filters_are_pushed(cloud):
    admin_run(FlavorQuery().where(">=", "disk", value=10).where(">=", "ram", value=1), cloud)
    (call,) = cloud.kwargs_of("flavors")
    assert call == {"details": True, "min_disk": 10, "min_ram": 1, "is_public": None}


def test_hypervisor_usage_only_when_needed(cloud):
    plain = admin_run(HypervisorQuery(), cloud)
    assert not [c for c in cloud.log if c[0] == "placement.get"]
    assert names(plain, "hypervisor_name") == ["hv1", "hv2"]
    usage = admin_run(HypervisorQuery().select("name", "vcpus", "vcpus_used", "memory_mb"), cloud)
    rows = {r["hypervisor_name"]: r for r in usage.to_props()}
    assert rows["hv1"]["hypervisor_vcpus"] == 32
    assert rows["hv1"]["hypervisor_vcpus_used"] == 3
    assert rows["hv1"]["hypervisor_memory_mb"] == 3584
    assert rows["hv2"]["hypervisor_vcpus"] is None
    single = admin_run(HypervisorQuery().where("==", "name", value="hv1"), cloud)
    assert cloud.kwargs_of("hypervisors")[-1]["hypervisor_hostname_pattern"] == "hv1"
    assert names(single, "hypervisor_name") == ["hv1"]


@pytest.mark.parametrize(
    "scope, message",
    [
        ({"from_projects": [], "as_admin": True}, "from_projects is empty"),
        ({"all_projects": True}, "need admin rights: pass as_admin=True"),
        ({"all_projects": True, "from_projects": ["web"], "as_admin": True}, "not both"),
        ({"from_projects": ["nope"], "as_admin": True}, "'nope' is not a project"),
        ({"from_domain": "nope", "as_admin": True}, "'nope' is not a domain"),
    ],
)
def test_scope_errors(cloud, scope, message):
    with pytest.raises(QueryScopeError, match=message):
        ServerQuery().run(cloud, **scope)


def test_output_before_run_is_refused():
    with pytest.raises(QueryChainError, match="call run"):
        ServerQuery().to_props()


def test_sdk_errors_become_openstack_request_errors(cloud, monkeypatch):
    from keystoneauth1 import exceptions as ks_exceptions
    from openstack import exceptions as os_exceptions

    def fail_with(error):
        def listing(*_args, **_kwargs):
            raise error

        monkeypatch.setattr(cloud.compute, "get", listing, raising=False)

    fail_with(ks_exceptions.ConnectTimeout("timed out"))
    with pytest.raises(OpenStackTimeoutError, match="raise api_timeout in clouds.yaml"):
        ServerQuery().run(cloud)
    fail_with(os_exceptions.HttpException("boom"))
    with pytest.raises(OpenStackRequestError, match="boom"):
        ServerQuery().run(cloud)
    fail_with(ZeroDivisionError("bug"))
    with pytest.raises(ZeroDivisionError):
        ServerQuery().run(cloud)


def test_scope_projects_are_kept_for_reuse(cloud):
    scoped = admin_run(ServerQuery(), cloud, from_projects=["web"])
    assert sorted(p.name for p in scoped.scope_projects) == ["data", "lab", "web"]
    assert admin_run(ServerQuery(), cloud).scope_projects is None


def test_ambiguous_project_name_across_domains(cloud):
    from openstack.identity.v3.project import Project

    cloud.store["projects"].append(Project(id="p-web-2", name="web", domain_id="d-2"))
    with pytest.raises(QueryScopeError, match="'web' names projects in several domains"):
        admin_run(ServerQuery(), cloud, from_projects=["web"])
