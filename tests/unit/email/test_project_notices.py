"""Notifications to project contacts over the fake cloud: unused floating IPs."""

import datetime

import pytest
from openstack.identity.v3.project import Project
from openstack.network.v2.floating_ip import FloatingIP

from apis.email_api.exceptions import NotificationParameterError
from workflows.email_common import Delivery
from workflows.email_projects import email_projects_with_unused_floating_ips
from tests.fakes.cloud import FakeCloud
from tests.result_schemas import check_result
from tests.unit.email.conftest import NOW


def fip(address, project, days, port=None):
    """A floating IP last changed ``days`` before NOW."""
    changed = (NOW - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return FloatingIP(
        id=f"fip-{address}",
        floating_ip_address=address,
        project_id=project,
        floating_network_id="net-public",
        port_id=port,
        status="DOWN" if port is None else "ACTIVE",
        created_at=changed,
        updated_at=changed,
    )


@pytest.fixture(name="fip_cloud")
def fixture_fip_cloud():
    """web has a contact and two old unused IPs, data has no contact, lab's IP is in use,
    p-gone's project is deleted."""
    return FakeCloud(
        ips=[
            fip("10.0.0.1", "p-web", 90),
            fip("10.0.0.2", "p-web", 45),
            fip("10.0.0.3", "p-web", 5),
            fip("10.0.0.4", "p-data", 60),
            fip("10.0.0.5", "p-lab", 400, port="port-1"),
            fip("10.0.0.6", "p-gone", 100),
        ],
        projects=[
            Project(id="p-web", name="web", domain_id="default", email="web-team@example.org"),
            Project(id="p-data", name="data", domain_id="default"),
            Project(id="p-lab", name="lab", domain_id="default", email="lab@example.org"),
        ],
    )


def test_unused_floating_ips_email_each_project_contact(fip_cloud, relay):
    result = email_projects_with_unused_floating_ips(
        fip_cloud, Delivery(relay), days=30, all_projects=True
    )
    check_result("check.unused.floating.ips", result)
    assert result["template"] == "unused_floating_ips" and result["dry_run"] is True
    assert result["affected_floating_ips"] == 4 and result["messages"] == 1
    (preview,) = result["previews"]
    assert preview["to"] == ["web-team@example.org"] and preview["label"] == "web"
    assert preview["subject"] == "[prod] 2 floating IPs of web unused for 30 days"
    assert "10.0.0.1" in preview["text"] and "10.0.0.2" in preview["text"]
    assert "10.0.0.3" not in preview["text"]
    assert "last changed: 2026-03-17 09:30 UTC" in preview["text"]
    assert result["projects_without_contact"] == [
        {"project_id": "p-data", "project_name": "data", "floating_ips": ["10.0.0.4"]},
        {"project_id": "p-gone", "project_name": "p-gone", "floating_ips": ["10.0.0.6"]},
    ]
    assert len(fip_cloud.kwargs_of("projects")) == 1


def test_unused_floating_ips_count_back_from_as_of(fip_cloud, relay):
    result = email_projects_with_unused_floating_ips(
        fip_cloud, Delivery(relay), days=30, from_projects=["web"], as_of="2026-07-15T09:30:00Z"
    )
    assert result["affected_floating_ips"] == 3 and result["as_of"] == "2026-07-15T09:30:00+00:00"
    assert "10.0.0.3" in result["previews"][0]["text"]


def test_unused_floating_ips_nothing_found_lists_no_project(fip_cloud, relay):
    result = email_projects_with_unused_floating_ips(
        fip_cloud, Delivery(relay), days=1000, all_projects=True
    )
    assert result["affected_floating_ips"] == 0 and result["previews"] == []
    assert not fip_cloud.kwargs_of("projects") and result["changed"] is False


def test_unused_floating_ips_refuse_bad_days_and_scope(fip_cloud, relay):
    with pytest.raises(NotificationParameterError, match="days -2 is negative"):
        email_projects_with_unused_floating_ips(
            fip_cloud, Delivery(relay), days=-2, all_projects=True
        )
    with pytest.raises(NotificationParameterError, match="all_projects=true, or from_projects"):
        email_projects_with_unused_floating_ips(fip_cloud, Delivery(relay), days=2)
