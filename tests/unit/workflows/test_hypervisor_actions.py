"""Hypervisor service disable/enable and the finders, against a signature-checking fake."""

import pytest
from openstack.compute.v2.aggregate import Aggregate
from openstack.compute.v2.hypervisor import Hypervisor
from openstack.compute.v2.migration import Migration
from openstack.compute.v2.server import Server
from openstack.compute.v2.service import Service

from apis.openstack_api import hypervisor_service
from apis.openstack_api.hypervisor_service import HypervisorServiceError, maintenance_reason
from tests.result_schemas import check_result
from tests.fakes.cloud import FakeCloud
from workflows import hypervisor_finders, reinstall_candidates

DAY = " 10:00:00 up {} days,  1:00,  0 users"


@pytest.fixture(name="cloud")
def fixture_cloud():
    """hv1 busy, hv2 empty and long up, hv3 empty but in the gpu aggregate, hv4 disabled."""
    conn = FakeCloud(
        hypervisors=[
            Hypervisor(
                id="1",
                name="hv1",
                state="up",
                status="enabled",
                uptime=DAY.format(200),
                servers=[{"uuid": "s1", "name": "s1"}],
            ),
            Hypervisor(id="2", name="hv2", state="up", status="enabled", uptime=DAY.format(120)),
            Hypervisor(id="3", name="hv3", state="up", status="enabled", uptime=DAY.format(300)),
            Hypervisor(
                id="4",
                name="hv4",
                state="up",
                status="disabled",
                uptime=None,
                service_details={"host": "hv4", "disabled_reason": "[maintenance] x"},
            ),
            Hypervisor(id="5", name="hv5", state="up", status="enabled", uptime=None),
        ],
        servers=[Server(id="s1", hypervisor_hostname="hv1")],
        migrations=[Migration(id="m1", source_node="hv1", status="completed")],
        aggregates=[Aggregate(id=1, name="gpu", hosts=["hv3"])],
        services=[
            Service(id=f"svc-{n}", host=f"hv{n}", binary="nova-compute", status="enabled")
            for n in (1, 2, 3)
        ]
        + [Service(id="svc-4", host="hv4", binary="nova-compute", status="disabled")],
    )
    return conn


def test_disable_records_who_why_when(cloud):
    planned = hypervisor_service.disable_hypervisor(
        cloud, "hv2", "kernel update", operator="alice", expected_status="enabled"
    )
    assert planned["dry_run"] and not planned["changed"]
    assert not [c for c in cloud.log if c[0] == "disable_service"]
    done = hypervisor_service.disable_hypervisor(
        cloud, "hv2", "kernel update", operator="alice", dry_run=False
    )
    assert done["changed"] and done["reason"].startswith("[maintenance] kernel update (by alice, ")
    (call,) = [c for c in cloud.log if c[0] == "disable_service"]
    assert call[2]["disabled_reason"] == done["reason"]
    assert planned["objects"] == done["objects"]
    check_result("hypervisor.service.disable", done)


def test_expected_status_mismatch_changes_nothing(cloud):
    with pytest.raises(HypervisorServiceError, match="hv4 is disabled, not enabled as expected"):
        hypervisor_service.disable_hypervisor(
            cloud, "hv4", "again", expected_status="enabled", dry_run=False
        )
    with pytest.raises(HypervisorServiceError, match="not one of: enabled, disabled"):
        hypervisor_service.enable_hypervisor(cloud, "hv4", expected_status="off")
    assert not [c for c in cloud.log if c[0].endswith("_service")]


def test_enable(cloud):
    assert not hypervisor_service.enable_hypervisor(cloud, "hv1", dry_run=False)["changed"]
    result = hypervisor_service.enable_hypervisor(
        cloud, "hv4", expected_status="disabled", dry_run=False
    )
    assert result["changed"] and result["previous_status"] == "disabled"
    check_result("hypervisor.service.enable", result)
    assert [c[0] for c in cloud.log if c[0].endswith("_service")] == ["enable_service"]


def test_unknown_hypervisor_suggests(cloud):
    with pytest.raises(HypervisorServiceError, match="Did you mean 'hv1'"):
        hypervisor_service.enable_hypervisor(cloud, "hv11")
    with pytest.raises(HypervisorServiceError, match="reason must say why"):
        hypervisor_service.disable_hypervisor(cloud, "hv1", " ")


def test_maintenance_reason_format(pin_clock):
    pin_clock("2026-11-25T10:00:30Z")
    assert maintenance_reason("fault", None, False) == "fault (2026-11-25T10:00Z)"
    assert maintenance_reason("kernel", "alice", True) == (
        "[maintenance] kernel (by alice, 2026-11-25T10:00Z)"
    )


def test_find_empty(cloud):
    found = hypervisor_finders.find_empty(cloud)
    assert [h["hypervisor"] for h in found["hypervisors"]] == ["hv2", "hv3", "hv4", "hv5"]
    assert found["hypervisors"][1]["aggregates"] == ["gpu"]
    enabled = hypervisor_finders.find_empty(cloud, include_disabled=False)
    assert [h["hypervisor"] for h in enabled["hypervisors"]] == ["hv2", "hv3", "hv5"]


def test_find_reinstall_candidates(cloud):
    found = reinstall_candidates.find_reinstall_candidates(cloud, min_uptime_days=100)
    assert [h["hypervisor"] for h in found["rows"]] == ["hv2", "hv3"]
    assert found["rows"][0]["uptime_days"] == pytest.approx(120.0, abs=0.1)
    outside = reinstall_candidates.find_reinstall_candidates(
        cloud, min_uptime_days=100, not_in_aggregate="gpu", include_unknown_uptime=True
    )
    assert [h["hypervisor"] for h in outside["rows"]] == ["hv2", "hv5"]
    assert reinstall_candidates.find_reinstall_candidates(cloud, min_uptime_days=200)["count"] == 1
    check_result("hypervisor.find.reinstall.candidates", found)
