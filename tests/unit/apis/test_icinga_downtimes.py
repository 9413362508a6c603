"""Icinga downtimes, with the Icinga client replaced by an autospec."""

import dataclasses
import datetime
from unittest import mock

import pytest

from apis.icinga_api import downtimes
from apis.icinga_api.account import IcingaAccount
from apis.icinga_api.exceptions import IcingaObjectNotFoundError, IcingaParameterError
from tests.result_schemas import check_result

ACCOUNT = IcingaAccount(name="icinga", url="https://icinga:5665", username="u", password="p")
NOW = datetime.datetime(2030, 1, 31, 8, tzinfo=datetime.timezone.utc)


def _client(module):
    patcher = mock.patch.object(module, "IcingaClient", autospec=True)
    cls = patcher.start()
    instance = cls.return_value
    instance.__enter__.return_value = instance
    return patcher, cls, instance


@pytest.fixture(name="client")
def fixture_client(pin_clock):
    """The Icinga client of the downtimes module; the clock is fixed at NOW."""
    pin_clock(NOW)
    patcher, _, instance = _client(downtimes)
    yield instance
    patcher.stop()


def test_schedule_fixed_host_downtime(client):
    client.action.return_value = [
        {"name": "hv01!a", "service_downtimes": [{"name": "hv01!nova!b"}]}
    ]
    result = downtimes.schedule_downtime(ACCOUNT, "hv01", " reboot ", duration="2h")
    assert result == {
        "host": "hv01",
        "service": None,
        "type": "fixed",
        "start": "2030-01-31T08:00:00+00:00",
        "end": "2030-01-31T10:00:00+00:00",
        "downtimes": ["hv01!a", "hv01!nova!b"],
    }
    client.action.assert_called_once_with(
        "schedule-downtime",
        {
            "type": "Host",
            "filter": "host.name==cloudops_host",
            "filter_vars": {"cloudops_host": "hv01"},
            "start_time": NOW.timestamp(),
            "end_time": NOW.timestamp() + 7200,
            "fixed": True,
            "author": "cloudops",
            "comment": "[cloudops] reboot",
            "all_services": True,
        },
        "host 'hv01'",
    )


def test_downtime_schedule_dry_run_reports_what_the_real_run_schedules(client):
    client.objects.side_effect = [[{"name": "hv01"}], [{"name": "hv01!nova"}]]
    planned = downtimes.downtime_schedule(ACCOUNT, "hv01", "reboot", duration="2h")
    client.action.assert_not_called()
    assert planned.dry_run and not planned.changed and planned.end == "2030-01-31T10:00:00+00:00"
    client.action.return_value = [
        {"name": "hv01!a", "service_downtimes": [{"name": "hv01!nova!b"}]}
    ]
    done = downtimes.downtime_schedule(ACCOUNT, "hv01", "reboot", duration="2h", dry_run=False)
    assert done.changed and [o.id for o in done.objects] == ["hv01!a", "hv01!nova!b"]
    assert [dataclasses.replace(o, id=None) for o in done.objects] == planned.objects
    check_result("icinga.downtime.schedule", planned)
    check_result("icinga.downtime.schedule", done)
    assert [(o.kind, o.name) for o in planned.objects] == [
        ("host downtime", "hv01"),
        ("service downtime", "hv01!nova"),
    ]


def test_downtime_schedule_dry_run_of_an_unknown_host_fails(client):
    client.objects.return_value = []
    with pytest.raises(IcingaObjectNotFoundError, match="host 'hv09': not found in Icinga"):
        downtimes.downtime_schedule(ACCOUNT, "hv09", "reboot", duration="2h")


def test_schedule_flexible_service_downtime(client):
    client.action.return_value = [{"name": "hv01!nova!c"}]
    result = downtimes.schedule_downtime(
        ACCOUNT,
        "hv01",
        "upgrade",
        service="nova",
        start="2030-02-01T00:00:00Z",
        end="2030-02-01T06:00:00Z",
        downtime_type="flexible",
        flexible_duration="1h",
        author="alice",
    )
    assert result["downtimes"] == ["hv01!nova!c"] and result["type"] == "flexible"
    name, body, what = client.action.call_args.args
    assert (name, what) == ("schedule-downtime", "service 'nova' of host 'hv01'")
    assert body["filter"] == "host.name==cloudops_host && service.name==cloudops_service"
    assert body["filter_vars"] == {"cloudops_host": "hv01", "cloudops_service": "nova"}
    assert (body["fixed"], body["duration"], body["author"]) == (False, 3600.0, "alice")
    assert body["type"] == "Service" and "all_services" not in body


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"downtime_type": "sometimes", "duration": "1h"}, "not one of: fixed, flexible"),
        ({"duration": "1h", "comment": ""}, "comment: say why"),
        ({"duration": "soon"}, "duration 'soon' is not a duration"),
        ({"duration": "1h", "downtime_type": "flexible"}, "flexible_duration is required"),
        ({"duration": "1h", "flexible_duration": "1h"}, "only applies to downtime_type=flexible"),
        ({"end": "2030-01-31T07:00:00Z"}, "must be after start"),
    ],
)
def test_schedule_refuses_bad_input_before_calling(client, kwargs, message):
    kwargs.setdefault("comment", "why")
    with pytest.raises(IcingaParameterError, match=message):
        downtimes.schedule_downtime(ACCOUNT, "hv01", **kwargs)
    client.action.assert_not_called()


def _downtime(name, comment, service="", parent=""):
    return {
        "name": name,
        "attrs": {
            "host_name": "hv01",
            "service_name": service,
            "author": "cloudops",
            "comment": comment,
            "start_time": NOW.timestamp(),
            "end_time": NOW.timestamp() + 600,
            "fixed": True,
            "parent": parent,
        },
    }


def test_remove_only_own_downtimes_parents_first(client):
    client.objects.side_effect = [
        [{"name": "hv01"}],
        [
            _downtime("hv01!nova!child", "[cloudops] x", "nova", parent="hv01!parent"),
            _downtime("hv01!theirs", "colleague's work"),
            _downtime("hv01!parent", "[cloudops] x"),
            _downtime("hv01!nova!single", "[cloudops] y", "nova"),
        ],
    ]
    client.remove_downtime.side_effect = [False, True]
    result = downtimes.remove_downtimes(ACCOUNT, "hv01", dry_run=False)
    assert [(o.name, o.outcome.value, o.reason) for o in result.objects] == [
        ("hv01!nova", "unchanged", "already gone"),
        ("hv01", "done", ""),
        ("hv01!nova", "done", "with its host"),
    ]
    check_result("icinga.downtime.remove", result)
    assert [d["name"] for d in result.downtimes] == [
        "hv01!nova!single",
        "hv01!parent",
        "hv01!nova!child",
    ]
    assert result.downtimes[0] == {
        "name": "hv01!nova!single",
        "service": "nova",
        "author": "cloudops",
        "comment": "[cloudops] y",
        "start": "2030-01-31T08:00:00+00:00",
        "end": "2030-01-31T08:10:00+00:00",
    }
    assert client.remove_downtime.call_args_list == [
        mock.call("hv01!nova!single"),
        mock.call("hv01!parent"),
    ]
    assert client.objects.call_args_list[1] == mock.call(
        "downtimes",
        "downtime.host_name==cloudops_host",
        {"cloudops_host": "hv01"},
        downtimes._DOWNTIME_ATTRS,  # pylint: disable=protected-access
    )


def test_remove_includes_others_downtimes_only_when_asked(client):
    found = [
        _downtime("hv01!theirs", "colleague's work"),
        _downtime("hv01!ours", "[cloudops] x"),
    ]
    client.objects.side_effect = [[{"name": "hv01"}], found, [{"name": "hv01"}], found]
    client.remove_downtime.return_value = True
    default = downtimes.remove_downtimes(ACCOUNT, "hv01", dry_run=False)
    assert [d["name"] for d in default.downtimes] == ["hv01!ours"]
    everyone = downtimes.remove_downtimes(ACCOUNT, "hv01", dry_run=False, include_others=True)
    assert [d["name"] for d in everyone.downtimes] == ["hv01!ours", "hv01!theirs"]
    assert client.remove_downtime.call_args_list == [
        mock.call("hv01!ours"),
        mock.call("hv01!ours"),
        mock.call("hv01!theirs"),
    ]
    check_result("icinga.downtime.remove", everyone)


def test_remove_dry_run_and_unknown_target(client):
    client.objects.side_effect = [
        [{"name": "hv01!nova"}],
        [_downtime("hv01!nova!a", "[cloudops] z")],
    ]
    planned = downtimes.remove_downtimes(ACCOUNT, "hv01", service="nova")
    assert planned.dry_run and [d["name"] for d in planned.downtimes] == ["hv01!nova!a"]
    assert client.objects.call_args_list[0].args[:3] == (
        "services",
        "host.name==cloudops_host && service.name==cloudops_service",
        {"cloudops_host": "hv01", "cloudops_service": "nova"},
    )
    client.remove_downtime.assert_not_called()
    client.objects.side_effect = [[]]
    with pytest.raises(IcingaObjectNotFoundError, match="host 'hv99': not found"):
        downtimes.remove_downtimes(ACCOUNT, "hv99")
