"""The router gateway sensor and its poll, on a fake cloud with autospec'd SDK proxies."""

import contextlib
import json
from pathlib import Path
from unittest import mock

import pytest
from openstack import exceptions as sdk_exceptions

from apis.openstack_api.identity.exceptions import InvalidParameterError
from packtools.inprocess import load_class, sensor_service
from tests.fakes.boundary import connect_yielding
from tests.unit.openstack.test_network_checks import gateway_cloud, router
from tests.unit.workflows.test_hypervisor_sensor import run_every_hook
from workflows import router_gateway_watch
from workflows.router_gateway_watch import RouterGatewayConfigError, RouterGatewaySettings

ROOT = Path(__file__).resolve().parents[3]
SENSOR = ROOT / "sensors" / "src" / "router_gateway_sensor.py"
CONFIG = {
    "router_gateway_sensor": {"cloud_account": "prod"},
    "expected_external_cidrs": ["198.51.100.0/24"],
}


@pytest.fixture(name="cloud")
def fixture_cloud(monkeypatch):
    """One expected and one legacy external network; one router on each."""
    cloud = gateway_cloud()
    cloud.connect = connect_yielding(cloud.conn)
    monkeypatch.setattr(router_gateway_watch, "connect", cloud.connect)
    return cloud


def test_settings():
    assert RouterGatewaySettings.from_config(None) is None
    assert RouterGatewaySettings.from_config({"expected_external_cidrs": ["10.0.0.0/8"]}) is None
    settings = RouterGatewaySettings.from_config(CONFIG)
    assert settings.cloud_account == "prod"
    assert [str(net) for net in settings.expected] == ["198.51.100.0/24"]
    with pytest.raises(RouterGatewayConfigError, match="unknown key.*cloud; valid: cloud_account"):
        RouterGatewaySettings.from_config({"router_gateway_sensor": {"cloud": "prod"}})
    with pytest.raises(InvalidParameterError, match="expected_external_cidrs is empty"):
        RouterGatewaySettings.from_config({"router_gateway_sensor": {"cloud_account": "prod"}})


def test_poll_reports_the_unexpected_router(cloud):
    settings = RouterGatewaySettings.from_config(CONFIG)
    result = router_gateway_watch.poll(settings, {})
    (found,) = result.new
    assert {k: v for k, v in found.items() if k != "fingerprint"} == {
        "check": "router_gateway",
        "cloud": "prod",
        "router_id": "r-bad",
        "router_name": "bad",
        "project_id": "p-web",
        "project_name": "web",
        "external_network_id": "n-legacy",
        "external_network_name": "legacy",
        "gateway_ips": ["203.0.113.7"],
        "reason": "gateway IP(s) 203.0.113.7 outside the expected CIDRs",
    }
    assert result.seen == {found["fingerprint"]: "routers"} and cloud.connect.call_args_list == [
        mock.call("prod")
    ]
    assert not router_gateway_watch.poll(settings, result.seen).new


def test_fingerprint_follows_the_gateway_not_the_names(cloud):
    settings = RouterGatewaySettings.from_config(CONFIG)
    (first,) = router_gateway_watch.poll(settings, {}).new
    cloud.store["routers"][1].name = "renamed"
    (renamed,) = router_gateway_watch.poll(settings, {}).new
    assert renamed["router_name"] == "renamed"
    assert renamed["fingerprint"] == first["fingerprint"]
    cloud.store["routers"][1] = router("bad", "n-legacy", ["203.0.113.8"])
    (moved,) = router_gateway_watch.poll(settings, {}).new
    assert moved["fingerprint"] != first["fingerprint"]


def test_a_failed_check_keeps_the_fingerprints(cloud):
    settings = RouterGatewaySettings.from_config(CONFIG)
    cloud.conn.network.routers.side_effect = sdk_exceptions.HttpException("boom")
    result = router_gateway_watch.poll(settings, {"abc": "routers"})
    cloud.conn.network.routers.assert_called_once_with()
    assert not result.new and result.seen == {"abc": "routers"}
    assert result.errors[0].startswith("router_gateway_sensor: cloud 'prod': router_gateway_sensor")


def make_sensor(config=None):
    """The sensor with a fresh stand-in service."""
    service = sensor_service()
    sensor_class = load_class(SENSOR, "RouterGatewaySensor")
    return sensor_class(service, config=CONFIG if config is None else config), service


def test_sensor_dispatches_each_router_once_and_forgets_fixed_ones(cloud):
    sensor, service = make_sensor()
    sensor.setup()
    sensor.poll()
    sensor.poll()
    assert [d["trigger"] for d in service.dispatched] == ["cloudops.network.router_gateway_finding"]
    assert service.dispatched[0]["payload"]["router_name"] == "bad"
    stored = json.loads(service.get_value("router_gateway_findings"))
    assert stored == {service.dispatched[0]["payload"]["fingerprint"]: "routers"}
    cloud.store["routers"].pop()
    sensor.poll()
    assert json.loads(service.get_value("router_gateway_findings")) == {}
    cloud.add(router("bad", "n-legacy", ["203.0.113.7"]))
    sensor.poll()
    assert len(service.dispatched) == 2
    assert sensor.get_poll_interval() == 300


def test_sensor_idle_without_a_cloud(monkeypatch):
    poll = mock.create_autospec(router_gateway_watch.poll)
    monkeypatch.setattr(router_gateway_watch, "poll", poll)
    sensor, service = make_sensor(config={"expected_external_cidrs": ["198.51.100.0/24"]})
    run_every_hook(sensor)
    poll.assert_not_called()
    assert not service.dispatched


def test_sensor_logs_a_failed_poll(monkeypatch, caplog):
    @contextlib.contextmanager
    def unreachable(cloud_account):
        raise router_gateway_watch.OpenStackApiError(f"cannot connect to cloud {cloud_account!r}")
        yield  # pragma: no cover

    monkeypatch.setattr(router_gateway_watch, "connect", unreachable)
    sensor, service = make_sensor()
    sensor.setup()
    sensor.poll()
    assert "cannot connect to cloud 'prod'" in caplog.text
    assert not service.dispatched and service.get_value("router_gateway_findings") == "{}"
