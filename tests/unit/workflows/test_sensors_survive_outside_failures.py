"""No sensor dies on an outside failure: an unknown or unreachable cloud (or Jira) is logged and
the poll returns, every sensor, every poll.

An exception out of ``poll`` ends the sensor process in StackStorm. Each sensor's outside
connection is made to fail the ways a real one does: our apis' own errors (an unknown cloud),
a socket error and an exception of a library's own tree (keystoneauth's ConnectFailure is not
an OSError) escaping unwrapped.
"""

import contextlib
import logging
from pathlib import Path

import pytest

from apis.openstack_api.exceptions import UnknownCloudError
from packtools.inprocess import load_class, sensor_service
from workflows import cloud_cross_check, hypervisor_watch, jira_request_watch
from workflows import router_gateway_watch

ROOT = Path(__file__).resolve().parents[3]
JIRA = {"name": "jsm", "url": "https://jira.example.org", "username": "bot", "api_token": "t"}

# sensor file, class, the lib module whose connect it reaches the outside through, its config
SENSORS = {
    "hypervisor_state": (
        "hypervisor_state_sensor.py",
        "HypervisorStateSensor",
        hypervisor_watch,
        {"hypervisor_sensor": {"cloud_account": "nowhere"}},
    ),
    "cloud_cross_check": (
        "cloud_cross_check_sensor.py",
        "CloudCrossCheckSensor",
        cloud_cross_check,
        {"cross_check": {"source_cloud": "nowhere", "target_cloud": "staging"}},
    ),
    "router_gateway": (
        "router_gateway_sensor.py",
        "RouterGatewaySensor",
        router_gateway_watch,
        {
            "router_gateway_sensor": {"cloud_account": "nowhere"},
            "expected_external_cidrs": ["198.51.100.0/24"],
        },
    ),
    "jira_new_project": (
        "jira_new_project_sensor.py",
        "JiraNewProjectSensor",
        jira_request_watch,
        {
            "jira_accounts": [JIRA],
            "jira_new_project": {
                "jira_account": "jsm",
                "service_desk": "OPS",
                "cloud_account": "prod",
            },
        },
    ),
}


class ConnectFailure(Exception):
    """Like keystoneauth1's: its own exception tree, not an OSError, not ours."""


FAILURES = {
    "unknown cloud": UnknownCloudError("no cloud 'nowhere' in clouds.yaml; clouds: prod"),
    "connection refused": ConnectionRefusedError(111, "Connection refused"),
    "library error": ConnectFailure("Unable to establish connection to https://keystone:5000"),
}


def failing_connect(error):
    """A ``connect`` that fails the way an outside system does."""

    @contextlib.contextmanager
    def connect(*args, **kwargs):  # pylint: disable=unused-argument
        raise error
        yield  # pragma: no cover

    return connect


@pytest.mark.parametrize("failure", sorted(FAILURES))
@pytest.mark.parametrize("name", sorted(SENSORS))
def test_a_failed_poll_is_logged_and_the_sensor_polls_on(name, failure, monkeypatch, caplog):
    entry, class_name, module, config = SENSORS[name]
    error = FAILURES[failure]
    monkeypatch.setattr(module, "connect", failing_connect(error))
    service = sensor_service()
    sensor = load_class(ROOT / "sensors" / "src" / entry, class_name)(service, config=config)
    sensor.setup()
    with caplog.at_level(logging.INFO):
        assert sensor.poll() is None
        assert sensor.poll() is None  # and again next interval
    assert str(error) in caplog.text
    assert not service.dispatched
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert errors, caplog.text


def test_a_bug_is_logged_with_its_traceback(monkeypatch, caplog):
    """Not an outside failure: still no dead sensor, but the traceback is in the log."""

    def broken(*args, **kwargs):  # pylint: disable=unused-argument
        raise KeyError("status")

    entry, class_name, _, config = SENSORS["hypervisor_state"]
    monkeypatch.setattr(hypervisor_watch, "poll", broken)
    sensor = load_class(ROOT / "sensors" / "src" / entry, class_name)(sensor_service(), config)
    sensor.poll()
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info and "poll failed, trying again next poll" in record.getMessage()
