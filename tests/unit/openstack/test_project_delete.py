"""project.delete: protection, refusal without force, dry run and the deletion order."""

import pytest
from openstack import exceptions
from openstack.block_storage.v3.volume import Volume
from openstack.compute.v2.server import Server
from openstack.identity.v3.project import Project
from openstack.image.v2.image import Image
from openstack.network.v2.floating_ip import FloatingIP
from openstack.network.v2.network import Network
from openstack.network.v2.port import Port
from openstack.network.v2.rbac_policy import RBACPolicy
from openstack.network.v2.router import Router
from openstack.network.v2.security_group import SecurityGroup

from apis.openstack_api.identity.exceptions import (
    ProjectDeleteError,
    ProjectNotEmptyError,
    ProjectProtectedError,
)
from apis.openstack_api.identity.project_resources import OwnedKind
from tests.result_schemas import check_result
from tests.fakes.cloud import FakeCloud
from tests.fakes.store import KINDS
from tests.fakes.identity import ADMIN_PROJECT
from workflows.project_delete import project_delete

PROTECTED = ["admin", "service"]


@pytest.fixture(name="cloud")
def fixture_cloud():
    cloud = FakeCloud().with_admin()
    cloud.web = cloud.project("web")
    return cloud


def with_scaffolding(cloud):
    """A network, a router with an interface, the default group, a share from admin."""
    net = cloud.add(Network(name="web-net", project_id=cloud.web.id))
    router = cloud.add(Router(name="web-router", project_id=cloud.web.id))
    cloud.add(
        Port(device_id=router.id, device_owner="network:router_interface", project_id=cloud.web.id)
    )
    cloud.add(SecurityGroup(name="default", project_id=cloud.web.id))
    cloud.add(RBACPolicy(object_id="n-shared", target_project_id=cloud.web.id, project_id="x"))
    return net, router


def with_workload(cloud):
    """A server with its port, a floating IP and a protected image."""
    server = cloud.add(Server(name="web-1", project_id=cloud.web.id))
    cloud.add(Port(device_id=server.id, device_owner="compute:nova", project_id=cloud.web.id))
    cloud.add(FloatingIP(floating_ip_address="198.51.100.7", project_id=cloud.web.id))
    cloud.add(Image(name="web-img", owner=cloud.web.id, is_protected=True))
    return server


def counts(cloud):
    """How many resources of each type the fake cloud holds."""
    return {KINDS[kind][1].__name__: len(items) for kind, items in cloud.resources().items()}


@pytest.mark.parametrize("listed", ["web", "WEB-ID"])
def test_protected_projects_are_refused(cloud, listed):
    protected = [cloud.web.id if listed == "WEB-ID" else "web"]
    with pytest.raises(ProjectProtectedError, match="listed in the pack config's protected_"):
        project_delete(cloud.conn, "web", dry_run=False, protected_projects=protected)
    assert cloud.web.id in {p.id for p in cloud.of("projects")}


def test_immutable_tag_and_own_project_are_refused(cloud):
    cloud.web.tags = ["immutable"]
    with pytest.raises(ProjectProtectedError, match="is tagged 'immutable'"):
        project_delete(cloud.conn, "web", force=True, dry_run=False)
    with pytest.raises(ProjectProtectedError, match="the project cloud_account 'prod' works in"):
        project_delete(cloud.conn, ADMIN_PROJECT, dry_run=False, protected_projects=["other"])
    assert len(cloud.of("projects")) == 2


def test_child_projects_are_refused_even_with_force(cloud):
    cloud.project("web-dev", parent_id=cloud.web.id)
    with pytest.raises(ProjectNotEmptyError, match="'web' has child projects: web-dev; delete"):
        project_delete(cloud.conn, "web", force=True, dry_run=False)
    assert len(cloud.of("projects")) == 3


def test_workload_refuses_without_force_and_lists_it(cloud):
    with_workload(cloud)
    with_scaffolding(cloud)
    before = counts(cloud)
    with pytest.raises(ProjectNotEmptyError) as err:
        project_delete(cloud.conn, "web", dry_run=False, protected_projects=PROTECTED)
    message = str(err.value)
    assert message.startswith(
        "project 'web' still owns 1 servers (web-1); 1 floating_ips (198.51.100.7); 1 ports ("
    )
    assert message.endswith(
        "; 1 images (web-img); set force=true to delete them first (with dry_run=true to see "
        "the plan)"
    )
    assert counts(cloud) == before


def test_dry_run_lists_everything_and_changes_nothing(cloud):
    with_workload(cloud)
    with_scaffolding(cloud)
    cloud.add(Project(name="empty", domain_id="default", tags=[]))
    before = counts(cloud)
    report = project_delete(cloud.conn, "web", force=True, protected_projects=PROTECTED)
    check_result("project.delete", report)
    assert report.state.value == "would_delete" and report.project.name == "web"
    assert {kind: [r.name for r in items] for kind, items in report.resources.items()} == {
        "servers": ["web-1"],
        "floating_ips": ["198.51.100.7"],
        "routers": ["web-router"],
        "ports": [""],
        "networks": ["web-net"],
        "security_groups": ["default"],
        "rbac_policies": ["share of network n-shared"],
        "images": ["web-img"],
    }
    assert report.notes == ["volumes not checked: the cloud has no block-storage service"]
    assert counts(cloud) == before
    assert all(not call.kwargs for call in cloud.calls("network", "security_groups"))
    empty = project_delete(cloud.conn, "empty")
    assert not empty.resources and counts(cloud) == before


def test_force_deletes_workload_then_scaffolding_then_the_project(cloud):
    server = with_workload(cloud)
    with_scaffolding(cloud)
    cloud.quotas["compute"] = {cloud.web.id: {"cores": (4, 0)}}
    report = project_delete(cloud.conn, "web", force=True, dry_run=False, wait_timeout=7)
    check_result("project.delete", report)
    assert report.state.value == "deleted" and report.message == "project 'web' deleted"
    assert cloud.web.id not in {p.id for p in cloud.of("projects")}
    assert counts(cloud) == {"Domain": 2, "Role": 3, "Project": 1}
    cloud.conn.compute.wait_for_delete.assert_called_once_with(server, interval=1, wait=7)
    assert cloud.calls("image", "update_image")[0].kwargs == {"is_protected": False}
    assert cloud.calls("network", "remove_interface_from_router")
    assert not any(cloud.quotas.values())
    assert set(report.resources) == {
        "servers",
        "floating_ips",
        "routers",
        "ports",
        "networks",
        "security_groups",
        "rbac_policies",
        "images",
    }


def test_an_empty_project_needs_no_force_and_takes_its_network_along(cloud):
    with_scaffolding(cloud)
    report = project_delete(cloud.conn, "web", dry_run=False)
    assert report.state.value == "deleted"
    assert counts(cloud) == {"Domain": 2, "Role": 3, "Project": 1}


def test_volumes_are_checked_where_the_cloud_has_cinder():
    services = ("identity", "compute", "network", "image", "block-storage")
    cloud = FakeCloud(catalog=services).with_admin()
    web = cloud.project("web")
    volume = cloud.add(Volume(name="data", project_id=web.id))
    with pytest.raises(ProjectNotEmptyError, match=r"1 volumes \(data\)"):
        project_delete(cloud.conn, "web")
    report = project_delete(cloud.conn, "web", force=True, dry_run=False)
    assert [v.name for v in report.resources["volumes"]] == ["data"] and not report.notes
    assert cloud.calls("block_storage", "delete_volume")[0].kwargs == {
        "ignore_missing": True,
        "force": True,
    }
    cloud.conn.block_storage.wait_for_delete.assert_called_once_with(volume, interval=1, wait=300)
    assert cloud.calls("block_storage", "revert_quota_set")


def test_many_resources_are_summarised(cloud):
    for number in range(7):
        cloud.add(Server(name=f"s{number}", project_id=cloud.web.id))
    with pytest.raises(ProjectNotEmptyError, match=r"7 servers \(s0, s1, s2, s3, s4, \+2 more\)"):
        project_delete(cloud.conn, "web")


def test_failure_midway_says_what_is_already_gone(cloud):
    with_workload(cloud)
    with_scaffolding(cloud)
    cloud.fail("network", "delete_network", exceptions.SDKException("neutron down"))
    with pytest.raises(ProjectDeleteError) as err:
        project_delete(cloud.conn, "web", force=True, dry_run=False)
    message = str(err.value)
    assert message.startswith(
        "project.delete 'web' failed while deleting networks: SDKException: neutron down; "
        "already deleted: 1 servers (web-1); 1 floating_ips (198.51.100.7); 1 routers "
    )
    assert message.endswith("; run it again to continue")
    assert cloud.web.id in {p.id for p in cloud.of("projects")}


def test_a_bug_propagates(cloud):
    cloud.add(Server(name="s", project_id=cloud.web.id))
    cloud.fail("compute", "delete_server", RuntimeError("bug"))
    with pytest.raises(RuntimeError, match="bug"):
        project_delete(cloud.conn, "web", force=True, dry_run=False)


def test_each_kind_gets_a_progress_line(cloud, progress_lines):
    with_workload(cloud)
    with_scaffolding(cloud)
    report = project_delete(cloud.conn, "web", force=True, dry_run=False)
    deleted = {kind.label: len(report.resources.get(kind.label, [])) for kind in OwnedKind}
    assert deleted["servers"] == 1
    assert progress_lines() == [
        f"project.delete web: deleted {count} {label} ({n} of 11, {1.5 * n:.1f} s)"
        for n, (label, count) in enumerate(deleted.items(), start=1)
    ] + [
        "project.delete web: quotas reset (10 of 11, 15.0 s)",
        "project.delete web: project deleted (11 of 11, 16.5 s)",
    ]
