"""The correctness checks against a fake cloud whose calls are checked against the SDK."""

import pytest
from openstack.compute.v2.flavor import Flavor
from openstack.compute.v2.server import Server
from openstack.identity.v3.project import Project
from openstack.image.v2.image import Image
from openstack.image.v2.member import Member
from openstack.network.v2.floating_ip import FloatingIP
from openstack.network.v2.port import Port
from openstack.network.v2.security_group_rule import SecurityGroupRule

from apis.openstack_api.volume_snapshots import VolumeSnapshotError
from apis.results import ObjectOutcome, Outcome
from apis.openstack_query_api.exceptions import QueryError
from tests.result_schemas import check_result
from tests.fakes.cinder import fake_cinder_snapshots
from tests.fakes.cloud import FakeCloud
from workflows import cloud_checks


def rule(rule_id, protocol="tcp", low=None, high=None, prefix="0.0.0.0/0", group=None):
    """An ingress rule."""
    return SecurityGroupRule(
        id=rule_id,
        security_group_id="sg-1",
        project_id="p-live",
        direction="ingress",
        protocol=protocol,
        port_range_min=low,
        port_range_max=high,
        remote_ip_prefix=prefix,
        remote_group_id=group,
    )


@pytest.fixture(name="cloud")
def fixture_cloud():
    """A cloud with one live and traces of one deleted project."""
    conn = FakeCloud(
        projects=[Project(id="p-live", name="live")],
        servers=[
            Server(id="s-1", name="ok", project_id="p-live"),
            Server(id="s-2", name="ghost", project_id="p-gone"),
        ],
        ips=[FloatingIP(id="f-1", floating_ip_address="198.51.100.9", project_id="p-gone")],
        images=[
            Image(id="i-1", name="public", visibility="public", owner=None),
            Image(id="i-2", name="orphan", visibility="shared", owner="p-gone"),
        ],
        image_members={
            "i-2": [
                Member(member_id="p-live", status="accepted"),
                Member(member_id="p-gone", status="pending"),
            ]
        },
        ports=[Port(id="port-1", name="", project_id=""), Port(id="port-2", project_id="p-gone")],
        flavors=[
            Flavor(id="f-pub", name="public", is_public=True, is_disabled=False),
            Flavor(id="f-live", name="live-only", is_public=False, is_disabled=False),
            Flavor(id="f-dead", name="dead-only", is_public=False, is_disabled=False),
            Flavor(id="f-off", name="off", is_public=True, is_disabled=True),
        ],
        flavor_access={
            "f-live": ["p-live"],
            "f-dead": ["p-gone"],
        },
        security_group_rules=[
            rule("r-ssh", low=22, high=22),
            rule("r-web", low=80, high=80, prefix="::/0"),
            rule("r-db", low=3306, high=3306),
            rule("r-all", protocol=None),
            rule("r-range", low=22, high=443),
            rule("r-icmp", protocol="icmp"),
            rule("r-lan", low=3306, high=3306, prefix="10.0.0.0/8"),
            rule("r-group", low=3306, high=3306, prefix=None, group="sg-1"),
            rule("r-anyone", low=5432, high=5432, prefix=None),
        ],
    )
    return conn


def test_orphans(cloud):
    report = cloud_checks.find_orphans(cloud)
    found = sorted((f["type"], f["id"]) for f in report["findings"])
    assert found == [
        ("floating_ips", "f-1"),
        ("images", "i-2"),
        ("ports", "port-2"),
        ("servers", "s-2"),
    ]
    assert report["count"] == 4 and "ghost" in report["table"]
    assert cloud.kwargs_of("servers")[0]["all_projects"] is True


def test_orphans_of_one_type_and_bad_type(cloud):
    assert cloud_checks.find_orphans(cloud, ["servers"])["count"] == 1
    with pytest.raises(QueryError, match="valid: servers, floating_ips, images, ports"):
        cloud_checks.find_orphans(cloud, ["volumes"])


def test_image_shares_to_deleted_projects(cloud):
    report = cloud_checks.find_image_shares_to_deleted_projects(cloud)
    assert report["findings"] == [
        {
            "image_id": "i-2",
            "image_name": "orphan",
            "member_project_id": "p-gone",
            "member_status": "pending",
        }
    ]
    assert cloud.kwargs_of("images") == [{"visibility": "shared"}]


def test_unusable_flavors(cloud):
    report = cloud_checks.find_unusable_flavors(cloud)
    assert {(f["flavor_name"], f["reason"]) for f in report["findings"]} == {
        ("dead-only", "private, no existing project has access"),
        ("off", "disabled"),
    }


def test_world_open_security_groups(cloud):
    report = cloud_checks.find_world_open_security_groups(cloud)
    assert sorted(f["rule_id"] for f in report["findings"]) == [
        "r-all",
        "r-anyone",
        "r-db",
        "r-range",
    ]
    relaxed = cloud_checks.find_world_open_security_groups(cloud, [22, 80, 443, 3306, 5432])
    assert sorted(f["rule_id"] for f in relaxed["findings"]) == ["r-all", "r-range"]


def test_nothing_found_reads_well(cloud):
    cloud.store["security_group_rules"] = []
    report = cloud_checks.find_world_open_security_groups(cloud)
    assert report == {
        "check": "world_open_security_groups",
        "count": 0,
        "findings": [],
        "table": "nothing found",
        "ticket": None,
        "changed": False,
        "dry_run": True,
        "objects": [
            ObjectOutcome(
                "jira ticket",
                "cloudops-check-world-open-security-groups",
                Outcome.SKIPPED,
                "create",
                "nothing found",
            )
        ],
    }
    check_result("check.open.security.groups", report)


@pytest.fixture(name="cinder_cloud")
def fixture_cinder_cloud():
    """A cloud with cinder serving the fake cinder body's three snapshots (see
    tests/fakes/cinder: not a recording of a live cinder)."""
    return FakeCloud(
        catalog=("compute", "network", "image", "identity", "block-storage"),
        snapshots=fake_cinder_snapshots(),
    )


def test_old_volume_snapshots_from_one_all_projects_listing(cinder_cloud, pin_clock):
    pin_clock("2026-06-15T09:30:00Z")
    report = cloud_checks.find_old_volume_snapshots(cinder_cloud, days=30)
    check_result("check.old.volume.snapshots", report)
    assert [f["snapshot_name"] for f in report["findings"]] == ["db-nightly-2025-11-02", None]
    oldest = report["findings"][0]
    assert oldest == {
        "snapshot_id": "2bb856e1-b3d8-4432-a858-09e4ce939389",
        "snapshot_name": "db-nightly-2025-11-02",
        "volume_id": "5aa119a8-d25b-45a7-8d1b-88e127885635",
        "project_id": "0c2eba2c5af04d3f9e9d0d410b371fde",
        "status": "available",
        "size_gb": 100,
        "created_at": "2025-11-02T01:00:12+00:00",
        "age_days": 225.4,
    }
    assert report["count"] == 2 and report["days"] == 30
    assert report["as_of"] == "2026-06-15T09:30:00+00:00"
    assert cinder_cloud.kwargs_of("snapshots") == [{"details": True, "all_projects": True}]
    assert report["objects"][0].reason == "no jira_account given"


def test_old_volume_snapshots_as_of_and_project(cinder_cloud, pin_clock):
    pin_clock("2026-06-15T09:30:00Z")
    report = cloud_checks.find_old_volume_snapshots(
        cinder_cloud,
        days=10,
        project_id="0c2eba2c5af04d3f9e9d0d410b371fde",
        as_of="2026-06-10",
    )
    assert [f["snapshot_name"] for f in report["findings"]] == ["db-nightly-2025-11-02"]
    later = cloud_checks.find_old_volume_snapshots(cinder_cloud, days=10, as_of="2026-06-11T09:31")
    assert later["count"] == 3 and later["findings"][-1]["age_days"] == 10.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"days": -1}, "days -1 is negative"),
        ({"as_of": "next week"}, "as_of 'next week' is not an ISO 8601 date"),
    ],
)
def test_old_volume_snapshots_bad_parameters(cinder_cloud, kwargs, message):
    with pytest.raises(VolumeSnapshotError, match=message):
        cloud_checks.find_old_volume_snapshots(cinder_cloud, **kwargs)


def test_old_volume_snapshots_need_cinder(cloud):
    with pytest.raises(VolumeSnapshotError) as err:
        cloud_checks.find_old_volume_snapshots(cloud)
    assert str(err.value) == (
        "cloud prod has no block-storage service (cinder): it has no volume snapshots to check"
    )
    assert not cloud.kwargs_of("snapshots")
