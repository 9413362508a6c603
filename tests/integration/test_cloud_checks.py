"""The correctness checks against the devcloud: traces of a deleted project are all found."""

import uuid

import pytest
import yaml

from apis.jira_api.account import JiraAccount
from tests.fakes.cinder import fake_cinder_snapshots
from tests.fakes.cloud import FakeCloud
from tests.integration.action_run import action_result, code_and_result, same_changes
from workflows import cloud_checks

pytestmark = pytest.mark.integration


@pytest.fixture(name="deleted_project_traces")
def fixture_deleted_project_traces(admin_conn, seeded_cloud):
    """A project with a network, port, floating IP, image, image share, private flavor and a
    world-open rule, then the project deleted; everything removed afterwards."""
    name = f"checks-{uuid.uuid4().hex[:8]}"
    conn = admin_conn
    project = conn.identity.create_project(name=name, domain_id="default")
    created = {}
    try:
        network = conn.network.create_network(name=name, project_id=project.id)
        created["network"] = network
        conn.network.create_subnet(
            network_id=network.id, cidr="10.99.0.0/24", ip_version=4, project_id=project.id
        )
        created["port"] = conn.network.create_port(network_id=network.id, project_id=project.id)
        public = seeded_cloud["networks"]["seed-public"]["id"]
        created["fip"] = conn.network.create_ip(floating_network_id=public, project_id=project.id)
        group = conn.network.create_security_group(name=name, project_id=project.id)
        created["group"] = group
        created["rule"] = conn.network.create_security_group_rule(
            security_group_id=group.id,
            direction="ingress",
            protocol="tcp",
            port_range_min=3306,
            port_range_max=3306,
            remote_ip_prefix="0.0.0.0/0",
            project_id=project.id,
        )
        image = conn.image.create_image(
            name=name, disk_format="raw", container_format="bare", visibility="shared"
        )
        created["image"] = image
        conn.image.add_member(image, member=project.id)
        flavor = conn.compute.create_flavor(name=name, ram=64, vcpus=1, disk=0, is_public=False)
        created["flavor"] = flavor
        conn.compute.flavor_add_tenant_access(flavor, project.id)
        conn.identity.delete_project(project)
        yield project, created
    finally:
        conn.identity.delete_project(project, ignore_missing=True)
        for key, delete in (
            ("fip", conn.network.delete_ip),
            ("port", conn.network.delete_port),
            ("network", conn.network.delete_network),
            ("group", conn.network.delete_security_group),
            ("image", conn.image.delete_image),
            ("flavor", conn.compute.delete_flavor),
        ):
            if key in created:
                delete(created[key], ignore_missing=True)


def test_checks_find_the_traces(deleted_project_traces, clouds_yaml, tmp_path):
    project, created = deleted_project_traces
    config = tmp_path / "cloudops.yaml"
    config.write_text("open_ports_allowed: [22, 443]\n", encoding="utf-8")
    cloud = f"cloud_account={clouds_yaml.cloud}"

    orphans = action_result(config, "check.orphans", cloud)
    found = {(f["type"], f["id"]) for f in orphans["findings"]}
    assert ("floating_ips", created["fip"].id) in found
    assert ("ports", created["port"].id) in found
    assert ("images", created["image"].id) not in found  # owned by admin, only shared

    shares = action_result(config, "check.image.shares", cloud)
    assert {(f["image_id"], f["member_project_id"]) for f in shares["findings"]} >= {
        (created["image"].id, project.id)
    }

    flavors = action_result(config, "check.unusable.flavors", cloud)
    assert created["flavor"].id in {f["flavor_id"] for f in flavors["findings"]}

    groups = action_result(config, "check.open.security.groups", cloud)
    assert created["rule"].id in {f["rule_id"] for f in groups["findings"]}
    assert groups["table"].startswith("+")


def test_findings_open_one_ticket_never_a_duplicate(
    deleted_project_traces, clouds_yaml, fake_jira, tmp_path
):
    assert deleted_project_traces
    fake_jira.state.reset()
    config = tmp_path / "cloudops.yaml"
    account = {
        "name": "jsm",
        "url": fake_jira.url,
        "username": fake_jira.username,
        "api_token": fake_jira.token,
    }
    config.write_text(yaml.safe_dump({"jira_accounts": [account]}), encoding="utf-8")
    argv = [
        "check.open.security.groups",
        f"cloud_account={clouds_yaml.cloud}",
        "jira_account=jsm",
        "jira_project=OPS",
    ]
    planned = action_result(config, *argv)
    assert planned["ticket"] == {"key": None, "created": False, "existed": False, "dry_run": True}
    assert not fake_jira.state.issues
    first = action_result(config, *argv, "dry_run=false")
    assert first["ticket"]["created"] is True
    assert same_changes(planned, first) and first["changed"] and not planned["changed"]
    again = action_result(config, *argv, "dry_run=false")
    key = first["ticket"]["key"]
    assert again["ticket"] == {"key": key, "created": False, "existed": True, "dry_run": False}
    assert again["objects"][0]["reason"] == f"open ticket {key} exists" and not again["changed"]
    (issue,) = fake_jira.state.issues.values()
    assert issue.labels == ["cloudops-check-world-open-security-groups"]
    fake_jira.state.reset()


def test_old_volume_snapshots_fail_in_one_line_on_a_cloud_without_cinder(clouds_yaml, tmp_path):
    config = tmp_path / "cloudops.yaml"
    config.write_text("{}\n", encoding="utf-8")
    code, result = code_and_result(
        config, "check.old.volume.snapshots", f"cloud_account={clouds_yaml.cloud}"
    )
    assert code == 1 and result["error_type"] == "VolumeSnapshotError"
    assert result["error"] == (
        f"cloud {clouds_yaml.cloud} has no block-storage service (cinder): "
        "it has no volume snapshots to check"
    )


def test_old_volume_snapshots_open_one_ticket_on_jira_from_the_fake_cinder(fake_jira, pin_clock):
    """The devcloud has no cinder: the snapshots come from the fake cinder body
    (tests/fakes/cinder, not a recording of a live cinder); the tickets go to the fake JSM."""
    pin_clock("2026-06-15T09:30:00Z")
    fake_jira.state.reset()
    cloud = FakeCloud(
        catalog=("compute", "network", "image", "identity", "block-storage"),
        snapshots=fake_cinder_snapshots(),
    )
    account = JiraAccount(
        name="jsm", url=fake_jira.url, username=fake_jira.username, api_token=fake_jira.token
    )

    def check(dry_run):
        return cloud_checks.find_old_volume_snapshots(
            cloud, days=30, jira_account=account, jira_project="OPS", dry_run=dry_run
        )

    planned = check(True)
    assert planned["count"] == 2 and not fake_jira.state.issues
    first = check(False)
    assert first["ticket"]["created"] is True and first["changed"]
    again = check(False)
    assert again["ticket"]["existed"] is True and not again["changed"]
    (issue,) = fake_jira.state.issues.values()
    assert issue.labels == ["cloudops-check-old-volume-snapshots"]
    assert "db-nightly-2025-11-02" in issue.description
    fake_jira.state.reset()
