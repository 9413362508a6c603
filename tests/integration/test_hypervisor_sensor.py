"""The hypervisor state sensor observing real state changes on the devcloud."""

import pytest

from packtools.inprocess import load_class, sensor_service
from tests.unit.workflows.test_hypervisor_sensor import SENSOR

pytestmark = pytest.mark.integration


@pytest.fixture(name="compute2_service")
def fixture_compute2_service(admin_conn, seeded_cloud):
    """compute2's nova-compute service, re-enabled after the test whatever happens."""
    assert any(s["host"] == "compute2" for s in seeded_cloud["servers"].values())
    services = [
        s for s in admin_conn.compute.services(binary="nova-compute") if s.host == "compute2"
    ]
    assert services, "no nova-compute service on compute2"
    service = services[0]
    yield service
    admin_conn.compute.enable_service(service)


def test_sensor_dispatches_observed_changes(clouds_yaml, admin_conn, compute2_service):
    service = sensor_service()
    sensor = load_class(SENSOR, "HypervisorStateSensor")(
        service, config={"hypervisor_sensor": {"cloud_account": clouds_yaml.cloud}}
    )
    sensor.setup()
    sensor.poll()
    first = {d["payload"]["name"]: d["payload"] for d in service.dispatched}
    assert first["compute2"]["previous"] is None
    assert first["compute2"]["current"] == "RUNNING"
    sensor.poll()
    assert len(service.dispatched) == len(first)

    admin_conn.compute.disable_service(
        compute2_service, disabled_reason="[maintenance] sensor test"
    )
    sensor.poll()
    assert service.dispatched[-1]["payload"] == {
        "name": "compute2",
        "previous": "RUNNING",
        "current": "PENDING_MAINTENANCE",
        "cloud_account": clouds_yaml.cloud,
    }
    admin_conn.compute.enable_service(compute2_service)
    sensor.poll()
    assert service.dispatched[-1]["payload"]["current"] == "RUNNING"
    assert len(service.dispatched) == len(first) + 2
