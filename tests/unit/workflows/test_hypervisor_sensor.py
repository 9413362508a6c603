"""The hypervisor state sensor with the stand-in sensor service."""

import json
from pathlib import Path
from unittest import mock

from apis.openstack_api.hypervisor_state import HypervisorFacts
from packtools.inprocess import load_class, sensor_service
from workflows import hypervisor_watch

ROOT = Path(__file__).resolve().parents[3]
SENSOR = ROOT / "sensors" / "src" / "hypervisor_state_sensor.py"
CONFIG = {"hypervisor_sensor": {"cloud_account": "prod", "reboot_window_minutes": 30}}


def make_sensor(config=None):
    """The sensor with a fresh stand-in service."""
    service = sensor_service()
    sensor_class = load_class(SENSOR, "HypervisorStateSensor")
    return sensor_class(service, config=CONFIG if config is None else config), service


def test_dispatches_changes_and_remembers_states(monkeypatch):
    facts = [
        HypervisorFacts("hv1", "up", "enabled", None, 2, None, 0),
        HypervisorFacts("hv2", "down", "disabled", "[maintenance] x", 0, None, 0),
    ]
    collect = mock.create_autospec(hypervisor_watch.collect_facts, return_value=facts)
    connect = mock.MagicMock()
    monkeypatch.setattr(hypervisor_watch, "collect_facts", collect)
    monkeypatch.setattr(hypervisor_watch, "connect", connect)
    sensor, service = make_sensor()
    sensor.setup()
    sensor.poll()
    connect.assert_called_with("prod")
    assert [d["payload"] for d in service.dispatched] == [
        {"name": "hv1", "previous": None, "current": "RUNNING", "cloud_account": "prod"},
        {"name": "hv2", "previous": None, "current": "DOWN", "cloud_account": "prod"},
    ]
    assert {d["trigger"] for d in service.dispatched} == {"cloudops.hypervisor.state_change"}
    sensor.poll()
    assert len(service.dispatched) == 2
    facts[0] = HypervisorFacts("hv1", "up", "disabled", "[maintenance] x", 2, None, 0)
    sensor.poll()
    assert service.dispatched[-1]["payload"] == {
        "name": "hv1",
        "previous": "RUNNING",
        "current": "PENDING_MAINTENANCE",
        "cloud_account": "prod",
    }
    assert json.loads(service.get_value("hypervisor_states")) == {
        "hv1": "PENDING_MAINTENANCE",
        "hv2": "DOWN",
    }
    assert sensor.get_poll_interval() == 60


def run_every_hook(sensor):
    """setup, one poll, the trigger hooks and cleanup, as StackStorm calls them."""
    sensor.setup()
    sensor.poll()
    sensor.add_trigger({})
    sensor.update_trigger({})
    sensor.remove_trigger({})
    sensor.cleanup()


def test_idle_without_a_cloud(monkeypatch):
    poll = mock.create_autospec(hypervisor_watch.poll)
    monkeypatch.setattr(hypervisor_watch, "poll", poll)
    sensor, service = make_sensor(config={})
    run_every_hook(sensor)
    poll.assert_not_called()
    assert not service.dispatched


def test_load_states_tolerates_garbage():
    assert hypervisor_watch.load_states(None) == {}
    assert hypervisor_watch.load_states("not json") == {}
    assert hypervisor_watch.load_states("[1]") == {}
    assert hypervisor_watch.load_states('{"hv1": "DOWN"}') == {"hv1": "DOWN"}


def test_uptime_limit_and_bound_come_from_the_config(monkeypatch):
    poll = mock.create_autospec(hypervisor_watch.poll, return_value=([], "{}"))
    monkeypatch.setattr(hypervisor_watch, "poll", poll)
    config = {
        "hypervisor_sensor": {"cloud_account": "prod", "uptime_limit_days": 90},
        "hypervisor_maintenance": {"max_hosts_in_maintenance_per_aggregate": 2},
    }
    sensor, _ = make_sensor(config=config)
    sensor.poll()
    poll.assert_called_once_with(
        "prod", {}, 3600.0, uptime_limit_days=90.0, max_hosts_in_maintenance=2
    )
    defaults, _ = make_sensor(config={"hypervisor_sensor": {"cloud_account": "prod"}})
    defaults.poll()
    assert poll.call_args.kwargs == {"uptime_limit_days": 180.0, "max_hosts_in_maintenance": 1}
