"""Hypervisor searches by uptime: the numeric uptime_days property (from nova's uptime text)."""

from openstack.compute.v2.hypervisor import Hypervisor

from apis.openstack_query_api.entry import search
from tests.fakes.cloud import FakeCloud

UP = " 09:30:00 up {} days,  6:00,  0 users"


def test_where_uptime_days_compares_numbers():
    cloud = FakeCloud(
        hypervisors=[
            Hypervisor(id="1", name="hv1", state="up", status="enabled", uptime=UP.format(200)),
            Hypervisor(id="2", name="hv2", state="up", status="enabled", uptime=UP.format(31)),
            Hypervisor(id="3", name="hv3", state="up", status="enabled", uptime=None),
        ]
    )
    found = search(
        cloud,
        "hypervisors",
        properties_to_select=["name", "uptime_days"],
        where=["uptime_days > 180"],
    )
    assert found["rows"] == [{"hypervisor_name": "hv1", "hypervisor_uptime_days": 200.25}]
    ordered = search(
        cloud, "hypervisors", properties_to_select=["name", "uptime_days"], sort_by=["uptime_days"]
    )
    assert [row["hypervisor_uptime_days"] for row in ordered["rows"]] == [31.25, 200.25, None]
