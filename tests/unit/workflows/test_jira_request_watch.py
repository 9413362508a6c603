"""The JSM new-project sensor with the stand-in sensor service and an autospecced search."""

import contextlib
import json
from pathlib import Path
from unittest import mock

import pytest

from apis.jira_api.account import JiraAccount
from apis.jira_api.exceptions import JiraUnavailableError
from apis.jira_api.search import FoundIssue
from packtools.inprocess import load_class, sensor_service
from tests.unit.workflows.test_hypervisor_sensor import run_every_hook
from workflows import jira_request_watch as watch

ROOT = Path(__file__).resolve().parents[3]
SENSOR = ROOT / "sensors" / "src" / "jira_new_project_sensor.py"
ENTRY = {"name": "jsm", "url": "https://jira.example.org", "username": "bot", "api_token": "t"}
CONFIG = {
    "jira_accounts": [ENTRY],
    "jira_new_project": {
        "jira_account": "jsm",
        "service_desk": "OPS",
        "cloud_account": "prod",
        "ready_status": 'Ready "now"',
    },
}


def found(number, reporter=None):
    """A search hit in the ready state."""
    fields = {"summary": f"project {number}", "status": {"name": "Ready"}}
    if reporter is not None:
        fields["reporter"] = reporter
    return FoundIssue(f"OPS-{number}", str(10000 + number), fields)


@pytest.fixture(name="jira")
def fixture_jira(monkeypatch):
    """Autospecced connect and search; ``jira.search.return_value`` is what Jira finds."""
    client = mock.sentinel.client

    @contextlib.contextmanager
    def opened(account, retry=None):
        assert account == JiraAccount.from_config(ENTRY) and retry is None
        yield client

    connect = mock.create_autospec(watch.connect, side_effect=opened)
    search = mock.create_autospec(watch.search, return_value=[])
    monkeypatch.setattr(watch, "connect", connect)
    monkeypatch.setattr(watch, "search", search)
    return search


def make_sensor(config=None):
    """The sensor with a fresh stand-in service."""
    service = sensor_service()
    sensor_class = load_class(SENSOR, "JiraNewProjectSensor")
    return sensor_class(service, config=CONFIG if config is None else config), service


def stored(service):
    """The keys in the datastore."""
    return json.loads(service.get_value(watch.DATASTORE_KEY))


def test_dispatches_each_ready_request_once(jira):
    jira.return_value = [found(1, {"emailAddress": "a@example.org"}), found(2, {"accountId": "x"})]
    sensor, service = make_sensor()
    sensor.setup()
    sensor.poll()
    jira.assert_called_once_with(
        mock.sentinel.client,
        'project = "OPS" AND status = "Ready \\"now\\"" ORDER BY created ASC, key ASC',
        fields=("summary", "status", "reporter"),
    )
    assert service.dispatched == [
        {
            "trigger": "cloudops.jira.request_new_project",
            "payload": {
                "issue_key": f"OPS-{n}",
                "summary": f"project {n}",
                "reporter": reporter,
                "jira_account": "jsm",
            },
            "trace_tag": None,
        }
        for n, reporter in ((1, "a@example.org"), (2, "x"))
    ]
    sensor.poll()
    assert len(service.dispatched) == 2 and stored(service) == ["OPS-1", "OPS-2"]
    jira.return_value = [found(2), found(3)]
    sensor.poll()
    assert [d["payload"]["issue_key"] for d in service.dispatched] == ["OPS-1", "OPS-2", "OPS-3"]
    assert service.dispatched[-1]["payload"]["reporter"] is None
    assert stored(service) == ["OPS-2", "OPS-3"]
    jira.return_value = [found(1), found(2), found(3)]
    sensor.poll()
    assert service.dispatched[-1]["payload"]["issue_key"] == "OPS-1"
    assert len(service.dispatched) == 4 and sensor.get_poll_interval() == 60


def test_a_jira_outage_keeps_the_state(jira, caplog):
    sensor, service = make_sensor()
    service.set_value(watch.DATASTORE_KEY, json.dumps(["OPS-1"]))
    jira.side_effect = JiraUnavailableError("jira account 'jsm': still answered 503", 503)
    sensor.poll()
    assert not service.dispatched and stored(service) == ["OPS-1"]
    assert "JSM poll failed, nothing dispatched: jira account 'jsm'" in caplog.text
    jira.side_effect = None
    jira.return_value = [found(1)]
    sensor.poll()
    assert not service.dispatched and stored(service) == ["OPS-1"]


def test_bad_config_dispatches_nothing(jira):
    config = {**CONFIG, "jira_new_project": {"jira_account": "nope", "service_desk": "OPS"}}
    result = watch.poll(config, None)
    assert not result.payloads and result.stored is None
    assert "missing required setting(s): cloud_account" in result.error
    config["jira_new_project"]["cloud_account"] = "prod"
    assert "jira_account 'nope' is not in" in watch.poll(config, None).error
    jira.assert_not_called()


def test_idle_without_config(jira):
    sensor, service = make_sensor(config={})
    run_every_hook(sensor)
    jira.assert_not_called()
    assert not service.dispatched and service.get_value(watch.DATASTORE_KEY) is None


def test_load_dispatched_tolerates_garbage():
    assert watch.load_dispatched(None) == []
    assert watch.load_dispatched("not json") == []
    assert watch.load_dispatched('{"a": 1}') == []
    assert watch.load_dispatched('["OPS-1", 2]') == ["OPS-1", "2"]


def test_jql_string_escapes_quotes_and_backslashes():
    assert watch.jql_string('a "b" \\c') == '"a \\"b\\" \\\\c"'
