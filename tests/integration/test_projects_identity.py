"""Projects and identity actions against the devcloud.

Every action runs at least once through the local runner as StackStorm would run it (fresh
interpreter, production path, pack config file); repeats (dry runs, idempotence, errors) call
the lib functions in-process to keep the suite fast. The resulting state is checked with the
admin connection. Everything a test creates has a unique name and is removed afterwards, also
when the test fails.
"""

import dataclasses
import time
import uuid
from pathlib import Path

import pytest
import yaml

from action_runtime.dispatch import dispatch
from action_runtime.jsonable import to_jsonable
from apis.openstack_api.connection import connect
from apis.openstack_api.identity import groups, roles
from apis.openstack_api.identity.exceptions import (
    AmbiguousNameError,
    NameNotFoundError,
    OpenStackRequestError,
    ProjectCreateError,
    ProjectNotEmptyError,
    ProjectProtectedError,
)
from workflows.project_create import project_create
from workflows.project_delete import project_delete
from tests.integration.devcloud_fixtures import delete_project, find, leftovers
from tests.integration.action_run import action_result, code_and_result, same_changes

pytestmark = pytest.mark.integration

EXTERNAL = "seed-public"
SHARED = "seed-ops-net"


def unique(label):
    """A name no other test run uses."""
    return f"cloudops-{label}-{uuid.uuid4().hex[:8]}"


@dataclasses.dataclass(frozen=True)
class PackConfig:
    """A pack config file; its protected_projects also lists ``protected``."""

    path: Path
    protected: str


@pytest.fixture(name="config")
def fixture_config(tmp_path, clouds_yaml):
    assert clouds_yaml.path.exists()
    path = tmp_path / "cloudops.yaml"
    protected = unique("protected")
    path.write_text(yaml.safe_dump({"protected_projects": ["admin", "service", protected]}))
    return PackConfig(path, protected)


class Cleanup:
    """Identity objects and projects (by name, with everything in them) to remove."""

    def __init__(self, admin):
        self.admin = admin
        self.users, self.groups, self.project_names = [], [], []

    def user(self, domain_id="default"):
        """A new user."""
        user = self.admin.identity.create_user(name=unique("user"), domain_id=domain_id)
        self.users.append(user)
        return user

    def group(self):
        """A new group."""
        group = self.admin.identity.create_group(name=unique("group"), domain_id="default")
        self.groups.append(group)
        return group

    def project_name(self, label):
        """A project name whose project, if any, is deleted afterwards."""
        name = unique(label)
        self.project_names.append(name)
        return name

    def run(self):
        """Delete it all, newest project first (children before parents)."""
        identity = self.admin.identity
        for name in reversed(self.project_names):
            project = next(iter(identity.projects(name=name, domain_id="default")), None)
            if project is not None:
                for policy in self.admin.network.rbac_policies(target_project_id=project.id):
                    self.admin.network.delete_rbac_policy(policy)
                delete_project(self.admin, project.id, None)
        for user in self.users:
            identity.delete_user(user, ignore_missing=True)
        for group in self.groups:
            identity.delete_group(group, ignore_missing=True)


@pytest.fixture(name="cleanup")
def fixture_cleanup(admin_conn):
    cleanup = Cleanup(admin_conn)
    yield cleanup
    cleanup.run()


def project_state(admin, project_id):
    """What the cloud holds for a project, to compare runs."""
    net = admin.network
    return {
        "networks": sorted(n.name for n in net.networks(project_id=project_id)),
        "routers": sorted(r.name for r in net.routers(project_id=project_id)),
        "rbac": sorted(p.object_id for p in net.rbac_policies(target_project_id=project_id)),
        "rules": sorted(
            (rule["protocol"] or "", rule["port_range_min"] or 0, rule["remote_ip_prefix"] or "")
            for group in net.security_groups()
            if group.project_id == project_id
            for rule in group.security_group_rules
            if rule["direction"] == "ingress" and not rule["remote_group_id"]
        ),
        "assignments": sorted(
            (a.role["name"], (a.user or a.group)["id"])
            for a in admin.identity.role_assignments(
                scope_project_id=project_id, include_names=True
            )
        ),
    }


def test_project_create_full_then_idempotent_then_delete(lib_conn, admin_conn, config, cleanup):
    alice, ops = cleanup.user(), cleanup.group()
    name = cleanup.project_name("full")
    wanted = {
        "description": "full project",
        "tags": ["team-web", "prod"],
        "properties": {"owner": "web-team"},
        "network_cidr": "10.91.0.0/24",
        "external_network": EXTERNAL,
        "rbac_shared_networks": [SHARED],
        "security_group_rules": ["ssh", "icmp", "tcp:8000-8080@10.0.0.0/8"],
        "quotas": {"cores": 7, "routers": 3},
        "admin_users": [alice.name],
        "member_groups": [ops.name],
    }
    planned = project_create(lib_conn, name, dry_run=True, **wanted)
    assert planned.state.value == "would_create" and not planned.changed
    assert find(admin_conn.identity.find_project, name) is None

    code, created = code_and_result(
        config.path,
        "project.create",
        "cloud_account=devcloud",
        f"name={name}",
        "description=full project",
        "tags=team-web,prod",
        'properties={"owner": "web-team"}',
        "network_cidr=10.91.0.0/24",
        f"external_network={EXTERNAL}",
        f"rbac_shared_networks={SHARED}",
        "security_group_rules=ssh,icmp,tcp:8000-8080@10.0.0.0/8",
        'quotas={"cores": 7, "routers": 3}',
        f"admin_users={alice.name}",
        f"member_groups={ops.name}",
    )
    assert code == 0 and created["state"] == "created", created
    assert same_changes(to_jsonable(planned), created) and created["changed"]
    assert len(created["objects"]) == 13  # project, 2 quotas, 2 roles, net, subnet, router,
    # its interface, rbac, 3 rules
    project = admin_conn.identity.get_project(created["project"]["id"])
    assert (project.name, project.description) == (name, "full project")
    assert sorted(project.tags) == ["prod", "team-web"]
    assert created["project"]["properties"] == {"owner": "web-team"}
    state = project_state(admin_conn, project.id)
    shared = admin_conn.network.find_network(SHARED, ignore_missing=False)
    assert state["networks"] == [f"{name}-net"] and state["routers"] == [f"{name}-router"]
    assert state["rbac"] == [shared.id]
    assert state["rules"] == [
        ("icmp", 0, "0.0.0.0/0"),
        ("tcp", 22, "0.0.0.0/0"),
        ("tcp", 8000, "10.0.0.0/8"),
    ]
    assert state["assignments"] == sorted([("admin", alice.id), ("member", ops.id)])
    router = next(admin_conn.network.routers(name=f"{name}-router"))
    external = admin_conn.network.find_network(EXTERNAL, ignore_missing=False)
    assert router.external_gateway_info["network_id"] == external.id
    (subnet,) = admin_conn.network.subnets(
        network_id=next(admin_conn.network.networks(name=f"{name}-net")).id
    )
    assert subnet.cidr == "10.91.0.0/24"
    assert any(
        p.fixed_ips[0]["subnet_id"] == subnet.id
        for p in admin_conn.network.ports(device_id=router.id)
    )
    assert admin_conn.compute.get_quota_set(project.id).cores == 7
    assert admin_conn.network.get_quota(project.id).routers == 3

    again = project_create(lib_conn, name, **wanted)
    assert again.state.value == "existed" and not again.steps
    assert project_state(admin_conn, project.id) == state

    plan = project_delete(lib_conn, name)
    assert plan.state.value == "would_delete"
    assert set(plan.resources) == {"routers", "networks", "security_groups", "rbac_policies"}
    assert project_state(admin_conn, project.id) == state

    code, deleted = code_and_result(
        config.path,
        "project.delete",
        "cloud_account=devcloud",
        f"project={project.id}",
        "dry_run=false",
    )
    assert code == 0 and deleted["state"] == "deleted", deleted
    assert same_changes(to_jsonable(plan), deleted) and deleted["changed"]
    assert leftovers(admin_conn, project.id, None) == {}
    assert not list(admin_conn.network.rbac_policies(target_project_id=project.id))


def test_project_create_rolls_back_a_failure_midway(lib_conn, admin_conn, cleanup):
    name = cleanup.project_name("rollback")
    with pytest.raises(ProjectCreateError) as err:
        project_create(
            lib_conn,
            name,
            network_cidr="10.92.0.0/24",
            external_network=EXTERNAL,
            quotas={"routers": 0},
        )
    message = str(err.value)
    assert f"failed while creating router {name}-router" in message
    assert "Quota exceeded" in message
    assert f"network {name}-net" in message and message.endswith(f"project {name}")
    assert find(admin_conn.identity.find_project, name) is None
    assert not list(admin_conn.network.networks(name=f"{name}-net"))
    assert not list(admin_conn.network.routers(name=f"{name}-router"))


def test_project_delete_refuses_protected_immutable_and_busy_projects(
    lib_conn, admin_conn, config, cleanup, seeded_cloud
):
    protected = admin_conn.identity.create_project(name=config.protected, domain_id="default")
    cleanup.project_names.append(config.protected)
    immutable_name = cleanup.project_name("immutable")
    admin_conn.identity.create_project(name=immutable_name, domain_id="default", tags=["immutable"])
    code, answer = code_and_result(
        config.path,
        "project.delete",
        "cloud_account=devcloud",
        f"project={protected.name}",
        "dry_run=false",
    )
    assert code == 1 and answer["error_type"] == "ProjectProtectedError", answer
    assert "listed in the pack config's protected_projects" in answer["error"]
    with pytest.raises(ProjectProtectedError, match="is tagged 'immutable'"):
        project_delete(lib_conn, immutable_name, force=True, dry_run=False)
    with pytest.raises(ProjectProtectedError, match="the project cloud_account 'devcloud' works"):
        project_delete(lib_conn, "admin", dry_run=False)
    with pytest.raises(ProjectNotEmptyError, match="project 'seed-web' still owns .* servers"):
        project_delete(lib_conn, "seed-web", dry_run=False)
    parent_name = cleanup.project_name("parent")
    parent = admin_conn.identity.create_project(name=parent_name, domain_id="default")
    child_name = cleanup.project_name("child")
    admin_conn.identity.create_project(name=child_name, domain_id="default", parent_id=parent.id)
    with pytest.raises(ProjectNotEmptyError, match=f"has child projects: {child_name}"):
        project_delete(lib_conn, parent_name, force=True, dry_run=False)
    assert admin_conn.identity.get_project(protected.id)
    assert find(admin_conn.identity.find_project, immutable_name) is not None
    seed_web = seeded_cloud["projects"]["seed-web"]["id"]
    assert len(list(admin_conn.compute.servers(all_projects=True, project_id=seed_web))) >= 4


def test_project_delete_force_removes_workload(lib_conn, admin_conn, throwaway_project):
    project_id = throwaway_project.project_id
    member = throwaway_project.connect()
    server = member.compute.create_server(
        name="victim",
        flavor_id=admin_conn.compute.find_flavor("seed.small").id,
        image_id=admin_conn.image.find_image("seed-cirros").id,
        networks="none",
    )
    deadline = time.monotonic() + 120
    while member.compute.get_server(server.id).status == "BUILD":
        assert time.monotonic() < deadline, "server still building after 120 s"
        time.sleep(0.5)
    external = admin_conn.network.find_network(EXTERNAL, ignore_missing=False)
    fip = admin_conn.network.create_ip(floating_network_id=external.id, project_id=project_id)
    name = throwaway_project.project_name

    with pytest.raises(ProjectNotEmptyError) as err:
        project_delete(lib_conn, name, dry_run=False)
    assert "1 servers (victim)" in str(err.value)
    assert f"1 floating_ips ({fip.floating_ip_address})" in str(err.value)

    plan = project_delete(lib_conn, name, force=True)
    assert plan.state.value == "would_delete"
    assert [s.id for s in plan.resources["servers"]] == [server.id]
    assert admin_conn.compute.get_server(server.id).status in ("ACTIVE", "ERROR")

    deleted = project_delete(lib_conn, name, force=True, dry_run=False, wait_timeout=120)
    assert deleted.state.value == "deleted"
    assert [s.name for s in deleted.resources["servers"]] == ["victim"]
    assert deleted.objects == plan.objects
    assert deleted.notes == ["volumes not checked: the cloud has no block-storage service"]
    assert leftovers(admin_conn, project_id, None) == {}


def test_user_and_group_roles_add_remove_and_list(
    lib_conn, admin_conn, config, cleanup, throwaway_project
):
    user, group = cleanup.user(), cleanup.group()
    project = throwaway_project.project_id
    identity = admin_conn.identity
    reader = identity.find_role("reader", ignore_missing=False)
    base = ["cloud_account=devcloud", f"project={throwaway_project.project_name}"]

    grant = ("project.user.role.add", *base, f"user={user.name}", "roles=reader,member")
    planned = action_result(config.path, *grant, "dry_run=true")
    assert not identity.validate_user_has_project_role(project, user, reader)
    code, added = code_and_result(config.path, *grant)
    assert code == 0 and [o["outcome"] for o in added["objects"]] == ["done", "done"], added
    assert same_changes(planned, added) and not planned["changed"]
    assert identity.validate_user_has_project_role(project, user, reader)
    again = roles.project_role_add(lib_conn, project, ["reader"], user=user.id)
    assert again.objects[0].reason == "already present" and not again.changed
    dry = roles.project_role_remove(lib_conn, project, ["reader"], user=user.name)
    assert dry.objects[0].outcome.value == "done" and not dry.changed
    assert identity.validate_user_has_project_role(project, user, reader)
    code, removed = code_and_result(
        config.path,
        "project.user.role.remove",
        *base,
        f"user={user.name}",
        "roles=reader",
        "dry_run=false",
    )
    assert code == 0 and removed["objects"][0]["outcome"] == "done" and removed["changed"], removed
    assert not identity.validate_user_has_project_role(project, user, reader)

    code, added = code_and_result(
        config.path, "project.group.role.add", *base, f"group={group.name}", "roles=reader"
    )
    assert code == 0 and added["objects"][0]["outcome"] == "done", added
    assert identity.validate_group_has_project_role(project, group, reader)
    code, listed = code_and_result(config.path, "role.assignments.list", *base)
    assert code == 0, listed
    rows = {(a["role"], a["user"], a["group"]) for a in listed["rows"]}
    assert rows == {
        ("member", throwaway_project.user_name, None),
        ("member", user.name, None),
        ("reader", None, group.name),
    }
    dry = roles.project_role_remove(lib_conn, project, ["reader"], group=group.name)
    assert dry.objects[0].outcome.value == "done" and not dry.changed
    assert identity.validate_group_has_project_role(project, group, reader)
    code, removed = code_and_result(
        config.path,
        "project.group.role.remove",
        *base,
        f"group={group.id}",
        "roles=reader",
        "dry_run=false",
    )
    assert code == 0 and removed["changed"], removed
    assert not identity.validate_group_has_project_role(project, group, reader)


def test_group_user_add_and_remove_several_users(lib_conn, admin_conn, config, cleanup):
    group = cleanup.group()
    first, second = cleanup.user(), cleanup.user()
    identity = admin_conn.identity
    base = ["cloud_account=devcloud", f"group={group.name}"]
    users = f"users={first.name},{second.id}"
    planned = action_result(config.path, "group.user.add", *base, users, "dry_run=true")
    assert not list(identity.group_users(group)) and not planned["changed"]
    code, added = code_and_result(config.path, "group.user.add", *base, users)
    assert code == 0 and [o["outcome"] for o in added["objects"]] == ["done", "done"], added
    assert same_changes(planned, added)
    assert identity.check_user_in_group(first, group) and identity.check_user_in_group(
        second, group
    )
    again = groups.group_user_add(lib_conn, group.id, [first.name])
    assert again.objects[0].reason == "already present" and not again.changed

    dry = groups.group_user_remove(lib_conn, group.name, [first.name, second.name])
    assert {o.outcome.value for o in dry.objects} == {"done"} and not dry.changed
    assert identity.check_user_in_group(first, group)
    code, removed = code_and_result(
        config.path,
        "group.user.remove",
        *base,
        f"users={first.name},{second.name}",
        "dry_run=false",
    )
    assert code == 0 and {o["outcome"] for o in removed["objects"]} == {"done"}, removed
    assert not list(identity.group_users(group))


def test_ambiguous_names_list_candidates_and_domains_disambiguate(
    lib_conn, admin_conn, cleanup, seeded_cloud, throwaway_project
):
    seed_domain = seeded_cloud["domains"]["seed-domain"]["id"]
    twin = cleanup.user()
    other = admin_conn.identity.create_user(name=twin.name, domain_id=seed_domain)
    cleanup.users.append(other)
    project = throwaway_project.project_id
    with pytest.raises(AmbiguousNameError) as err:
        roles.project_role_add(lib_conn, project, ["reader"], user=twin.name)
    assert f"(domain Default, id {twin.id})" in str(err.value)
    assert f"(domain seed-domain, id {other.id})" in str(err.value)
    report = roles.project_role_add(
        lib_conn, project, ["reader"], user=twin.name, user_domain="seed-domain"
    )
    assert report.grantee.id == other.id and report.changed
    with pytest.raises(NameNotFoundError) as err:
        roles.project_role_add(lib_conn, project, ["superuser"], user=twin.id)
    assert str(err.value).endswith("valid roles: admin, member, reader")


def test_member_of_a_project_is_refused_by_keystone(throwaway_project, monkeypatch):
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(throwaway_project.clouds_yaml))
    with pytest.raises(OpenStackRequestError) as err, connect(throwaway_project.cloud) as conn:
        roles.project_role_add(
            conn,
            throwaway_project.project_id,
            ["admin"],
            user=throwaway_project.user_id,
        )
    assert "HTTP 403" in str(err.value) and "lacks a role" in str(err.value)
    assert throwaway_project.password not in str(err.value)


def test_unknown_cloud_is_refused_before_anything(clouds_yaml):
    assert clouds_yaml.path.exists()
    ok, failure = dispatch(
        "apis.openstack_api.identity.groups:group_user_add",
        {"cloud_account": "devclod", "group": "g", "users": ["u"]},
        {},
    )
    assert not ok and failure["error_type"] == "UnknownCloudError"
    assert failure["error"].endswith("Did you mean 'devcloud'?")
