"""The silence lib functions, with the Alertmanager client replaced by an autospec."""

import dataclasses
import datetime
from unittest import mock

import pytest

from apis.alertmanager_api import silences
from apis.alertmanager_api.account import AlertmanagerAccount
from apis.alertmanager_api.client import AlertmanagerClient
from apis.alertmanager_api.exceptions import SilenceNotFoundError, SilenceParameterError
from apis.alertmanager_api.model import Matcher, Silence, SilenceState
from tests.result_schemas import check_result

ACCOUNT = AlertmanagerAccount(name="am", url="http://am")
NOW = datetime.datetime(2030, 1, 31, 8, tzinfo=datetime.timezone.utc)
IDS = [f"0f3b5a9e-4c1d-4e8a-9b7c-2d6e8f0a1b2{n}" for n in range(4)]


def silence(number, state="active", matchers=("instance=hv01",)):
    """A silence as the client returns it."""
    return Silence(
        id=IDS[number],
        state=SilenceState(state),
        matchers=tuple(Matcher.parse(m) for m in matchers),
        starts_at=NOW,
        ends_at=NOW + datetime.timedelta(hours=number + 1),
        created_by="cloudops",
        comment=f"silence {number}",
    )


@pytest.fixture(name="client_class")
def fixture_client_class(pin_clock):
    """The client class the lib functions use, as an autospec; the clock is fixed at NOW."""
    pin_clock(NOW)
    with mock.patch.object(silences, "AlertmanagerClient", autospec=True) as cls:
        cls.return_value.__enter__.return_value = cls.return_value
        yield cls


@pytest.fixture(name="client")
def fixture_client(client_class):
    """The client the lib functions open."""
    return client_class.return_value


def test_create_posts_the_silence_and_returns_it(client_class, client):
    client.create_silence.return_value = IDS[0]
    client.get_silence.return_value = silence(0)
    created = silences.create_silence(
        ACCOUNT, ["instance=hv01", "alertname=~Nova.*"], "kernel upgrade", duration="90m"
    )
    assert created["id"] == IDS[0]
    client_class.assert_called_once_with(ACCOUNT)
    client.create_silence.assert_called_once_with(
        {
            "matchers": [
                {"name": "instance", "value": "hv01", "isRegex": False, "isEqual": True},
                {"name": "alertname", "value": "Nova.*", "isRegex": True, "isEqual": True},
            ],
            "startsAt": "2030-01-31T08:00:00Z",
            "endsAt": "2030-01-31T09:30:00Z",
            "createdBy": "cloudops",
            "comment": "kernel upgrade",
        }
    )
    client.get_silence.assert_called_once_with(IDS[0])


@pytest.mark.parametrize(
    ("matchers", "comment", "extra", "message"),
    [
        ([], "x", {"duration": "1h"}, "give at least one"),
        (["instance=~.*", "env!=prod"], "x", {"duration": "1h"}, "would silence every alert"),
        (["instance=hv01"], "  ", {"duration": "1h"}, "comment: say why"),
        (["instance=hv01"], "x", {}, "give end .* or duration"),
        (["instance=hv01"], "x", {"end": "2030-01-01T00:00:00Z"}, "must be after start"),
    ],
)
def test_create_refuses_bad_input_before_calling(client, matchers, comment, extra, message):
    with pytest.raises(SilenceParameterError, match=message):
        silences.create_silence(ACCOUNT, matchers, comment, **extra)
    client.create_silence.assert_not_called()


def test_silence_create_dry_run_sends_nothing_and_reports_what_the_real_run_does(client):
    client.create_silence.return_value = IDS[0]
    client.get_silence.return_value = silence(0)
    arguments = (ACCOUNT, ["instance=hv01"], "kernel upgrade")
    planned = silences.silence_create(*arguments, duration="90m")
    client.create_silence.assert_not_called()
    assert (
        planned.dry_run and not planned.changed and planned.silence["comment"] == "kernel upgrade"
    )
    done = silences.silence_create(*arguments, duration="90m", dry_run=False)
    assert done.changed and done.silence["id"] == IDS[0] and done.objects[0].id == IDS[0]
    assert [dataclasses.replace(o, id=None) for o in done.objects] == planned.objects
    check_result("alertmanager.silence.create", planned)
    check_result("alertmanager.silence.create", done)


def test_list_filters_by_state_and_host(client):
    client.list_silences.return_value = [
        silence(2, "pending", ("hostname=hv01",)),
        silence(0),
        silence(1, "expired"),
        silence(3, matchers=("instance=hv02",)),
    ]
    found = silences.list_silences(ACCOUNT, matchers=["job=nova"], state="active", host="hv01")
    assert found["count"] == 1 and found["rows"][0]["id"] == IDS[0]
    client.list_silences.assert_called_once_with([Matcher("job", "nova")])
    every = silences.list_silences(ACCOUNT)
    assert [s["id"] for s in every["rows"]] == [IDS[0], IDS[1], IDS[2], IDS[3]]
    with pytest.raises(SilenceParameterError, match="state 'live' is not one of: all, active"):
        silences.list_silences(ACCOUNT, state="live")


def test_remove_by_ids_checks_all_first(client):
    client.get_silence.side_effect = [silence(0), SilenceNotFoundError("no such silence")]
    with pytest.raises(SilenceNotFoundError):
        silences.remove_silences(ACCOUNT, silence_ids=[IDS[0], IDS[1]], dry_run=False)
    client.expire_silence.assert_not_called()

    client.get_silence.side_effect = [silence(0), silence(1, "expired")]
    removed = silences.remove_silences(ACCOUNT, silence_ids=[IDS[0], IDS[1], IDS[0]], dry_run=False)
    assert [(o.id, o.outcome.value, o.reason) for o in removed.objects] == [
        (IDS[0], "done", ""),
        (IDS[1], "unchanged", "already expired"),
    ]
    assert removed.changed and [s["id"] for s in removed.silences] == IDS[:2]
    client.expire_silence.assert_called_once_with(IDS[0])


def test_remove_by_host_and_dry_run(client):
    client.list_silences.return_value = [silence(0), silence(1, "expired"), silence(2, "pending")]
    planned = silences.remove_silences(ACCOUNT, host="hv01")
    assert planned.dry_run is True and not planned.changed
    client.expire_silence.assert_not_called()
    done = silences.remove_silences(ACCOUNT, host="hv01", dry_run=False)
    assert done.objects == planned.objects and done.changed
    check_result("alertmanager.silence.remove", done)
    assert client.expire_silence.call_args_list == [mock.call(IDS[0]), mock.call(IDS[2])]


@pytest.mark.parametrize("kwargs", [{}, {"silence_ids": IDS[:1], "host": "hv01"}])
def test_remove_needs_ids_or_host(client, kwargs):
    with pytest.raises(SilenceParameterError, match="either silence_ids or host"):
        silences.remove_silences(ACCOUNT, **kwargs)
    assert not client.method_calls


def test_remove_refuses_malformed_ids_before_calling(client):
    with pytest.raises(SilenceParameterError, match="'hv01' is not a silence id"):
        silences.remove_silences(ACCOUNT, silence_ids=["hv01"])
    client.get_silence.assert_not_called()


def test_client_class_is_the_real_one():
    assert silences.AlertmanagerClient is AlertmanagerClient
