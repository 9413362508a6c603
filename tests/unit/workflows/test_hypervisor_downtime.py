"""hypervisor.downtime and its inverse: the window, the saga and its rollback, the removal
scope, with autospec'd apis and a pinned clock."""

import contextlib
from types import SimpleNamespace
from unittest import mock

import pytest

from apis.alertmanager_api.account import AlertmanagerAccount
from apis.alertmanager_api.exceptions import AlertmanagerConnectionError
from apis.icinga_api.account import IcingaAccount
from apis.icinga_api.downtimes import Downtime, DowntimeScheduled, DowntimesRemoved
from apis.icinga_api.exceptions import IcingaObjectNotFoundError
from apis.alertmanager_api.silences import SilencesExpired
from apis.results import ObjectOutcome, Outcome
from workflows import hypervisor_downtime
from workflows.hypervisor_downtime import HypervisorDowntimeError
from tests.result_schemas import check_result
from tests.unit.workflows.host_mute_fakes import patch_host_mute

AM = AlertmanagerAccount(name="am", url="http://am")
ICINGA = IcingaAccount(name="ic", url="https://icinga")
NOW = "2030-01-31T08:00:00Z"
INSTANCE = "instance=~hv1([.:].*)?"
HOSTNAME = "hostname=~hv1([.:].*)?"
DOWNTIMES = ["hv1!nova-compute!dt-svc", "hv1!dt-host"]
COMMENT = "[cloudops:maintenance] OPS-7 disk swap"


@pytest.fixture(name="apis")
def fixture_apis(pin_clock):
    """Every outside call as an autospec, answering like a healthy world, at a pinned now."""
    pin_clock(NOW)
    own_apis = ["downtime_schedule", "remove_downtimes", "remove_silences"]
    with contextlib.ExitStack() as stack:
        mute = SimpleNamespace(**patch_host_mute(stack))
        own = SimpleNamespace(
            **{
                name: stack.enter_context(
                    mock.patch.object(hypervisor_downtime, name, autospec=True)
                )
                for name in own_apis
            }
        )
        mute.create_silence.side_effect = lambda account, matchers, *a, **kw: {
            "id": f"id-{matchers[0].split('=')[0]}",
            "matchers": list(matchers),
        }
        mute.schedule_downtime.return_value = {"downtimes": DOWNTIMES, "end": "2030-02-02T14:00"}
        client = mute.IcingaClient.return_value.__enter__.return_value
        client.remove_downtime.return_value = True
        mute.list_own_downtimes.return_value = [
            downtime("hv1!dt-host"),
            downtime("hv1!nova-compute!dt-svc", parent="hv1!dt-host"),
            downtime("hv1!another-run"),
        ]
        own.downtime_schedule.return_value = DowntimeScheduled(
            dry_run=True,
            objects=[
                ObjectOutcome("host downtime", "hv1", Outcome.DONE, "schedule"),
                ObjectOutcome("service downtime", "hv1!nova-compute", Outcome.DONE, "schedule"),
            ],
            host="hv1",
            service=None,
            type="fixed",
            start=NOW,
            end="2030-02-02T14:00:00+00:00",
        )
        yield SimpleNamespace(mute=mute, own=own, icinga=client)


def downtime(name, parent=None):
    """One of the pack's downtimes of hv1."""
    return Downtime(name, "hv1", None, "cloudops", "[cloudops] x", None, None, True, parent)


def run(**overrides):
    """hypervisor_downtime for real (dry_run false) with the usual arguments."""
    arguments = {
        "alertmanager_account": AM,
        "icinga_account": ICINGA,
        "hypervisor": "hv1",
        "comment": "OPS-7 disk swap",
        "duration": "2d 6h",
        "author": "alice",
        "dry_run": False,
    }
    return hypervisor_downtime.hypervisor_downtime(**{**arguments, **overrides})


def changes(result):
    """The per-object changes of a result, ids aside (what a dry run must predict)."""
    return [(o.kind, o.name, o.outcome, o.change, o.reason) for o in result.objects]


@pytest.mark.parametrize(
    ("end", "duration", "expected"),
    [
        (None, "2d 6h", "2030-02-02T14:00:00Z"),
        (None, "90m", "2030-01-31T09:30:00Z"),
        ("2030-02-01T00:00:00+01:00", None, "2030-01-31T23:00:00Z"),
    ],
)
def test_window_end_from_now(pin_clock, end, duration, expected):
    pin_clock(NOW)
    assert hypervisor_downtime.window_end(end, duration) == expected


@pytest.mark.parametrize(
    ("end", "duration", "message"),
    [
        (None, "2 days", "duration '2 days' is not a duration; .* 2d 6h"),
        (None, "0m", "duration '0m' must be longer than zero"),
        ("2030-02-01T00:00:00Z", "1h", "give either end or duration, not both"),
        (None, None, r"give end .* or duration .*such as 2d 6h, 90m or 1w"),
        ("tomorrow", None, "end 'tomorrow' is not an ISO 8601 date"),
        (
            "2030-01-30T00:00:00Z",
            None,
            "end 2030-01-30T00:00:00\\+00:00 must be after start 2030-01-31T08:00",
        ),
    ],
)
def test_bad_window_is_refused_before_anything_runs(apis, end, duration, message):
    with pytest.raises(HypervisorDowntimeError, match=message):
        run(end=end, duration=duration)
    apis.mute.create_silence.assert_not_called()


def test_silences_both_host_labels_then_schedules_the_downtime_in_one_window(apis):
    result = run()
    end = "2030-02-02T14:00:00Z"
    assert apis.mute.create_silence.call_args_list == [
        mock.call(AM, [INSTANCE], COMMENT, author="alice", end=end),
        mock.call(AM, [HOSTNAME], COMMENT, author="alice", end=end),
    ]
    apis.mute.schedule_downtime.assert_called_once_with(
        ICINGA, "hv1", "OPS-7 disk swap", all_services=True, author="alice", end=end
    )
    assert result.changed and result.end == end
    assert result.silence_ids == ["id-instance", "id-hostname"]
    assert result.downtimes == sorted(DOWNTIMES)
    assert [(o.kind, o.name, o.id) for o in result.objects] == [
        ("silence", INSTANCE, "id-instance"),
        ("silence", HOSTNAME, "id-hostname"),
        ("host downtime", "hv1", "hv1!dt-host"),
        ("service downtime", "hv1!nova-compute", "hv1!nova-compute!dt-svc"),
    ]
    check_result("hypervisor.downtime", result)


def test_dry_run_plans_exactly_the_real_changes(apis):
    planned = run(dry_run=True)
    assert planned.dry_run and not planned.changed
    apis.mute.create_silence.assert_not_called()
    apis.mute.schedule_downtime.assert_not_called()
    apis.own.downtime_schedule.assert_called_once_with(
        ICINGA, "hv1", "OPS-7 disk swap", author="alice", dry_run=True, end="2030-02-02T14:00:00Z"
    )
    check_result("hypervisor.downtime", planned)
    assert changes(planned) == changes(run())


def test_dry_run_checks_the_silence_too(apis):
    with pytest.raises(HypervisorDowntimeError, match="comment: say why"):
        run(dry_run=True, comment="  ")
    apis.own.downtime_schedule.assert_not_called()


def test_downtime_failure_expires_both_silences(apis):
    apis.mute.schedule_downtime.side_effect = IcingaObjectNotFoundError("host 'hv1': not found")
    with pytest.raises(HypervisorDowntimeError) as failed:
        run()
    assert str(failed.value) == (
        "hypervisor.downtime of hv1: step 'downtime' failed: host 'hv1': not found; "
        "rolled back: hostname silence, silence"
    )
    assert apis.mute.remove_silences.call_args_list == [
        mock.call(AM, silence_ids=["id-hostname"], dry_run=False),
        mock.call(AM, silence_ids=["id-instance"], dry_run=False),
    ]
    report = failed.value.report
    assert report["failed_step"] == "downtime" and report["end"] == "2030-02-02T14:00:00Z"
    assert [r["outcome"] for r in report["rollback"]] == ["undone", "undone"]


def test_second_silence_failure_expires_the_first_and_schedules_nothing(apis):
    apis.mute.create_silence.side_effect = [
        {"id": "id-instance", "matchers": [INSTANCE]},
        AlertmanagerConnectionError("alertmanager down"),
    ]
    with pytest.raises(HypervisorDowntimeError, match="step 'hostname silence' failed"):
        run()
    apis.mute.remove_silences.assert_called_once_with(
        AM, silence_ids=["id-instance"], dry_run=False
    )
    apis.mute.schedule_downtime.assert_not_called()


def test_a_failed_rollback_says_to_clean_up_by_hand(apis):
    apis.mute.schedule_downtime.side_effect = IcingaObjectNotFoundError("gone")
    apis.mute.remove_silences.side_effect = [
        None,
        AlertmanagerConnectionError("alertmanager down"),
    ]
    with pytest.raises(HypervisorDowntimeError) as failed:
        run()
    assert str(failed.value).endswith(
        "rolled back: hostname silence; NOT rolled back (clean up by hand): "
        "silence (alertmanager down)"
    )


def silence(silence_id, comment, state="active"):
    """A silence of hv1 as list_silences summarises it."""
    return {"id": silence_id, "state": state, "comment": comment, "matchers": [INSTANCE]}


@pytest.mark.parametrize(
    ("include_others", "expired"), [(False, ["ours"]), (True, ["ours", "theirs"])]
)
def test_remove_takes_others_only_when_asked(apis, include_others, expired):
    apis.mute.list_silences.return_value = {
        "rows": [
            silence("ours", COMMENT),
            silence("theirs", "bob: network work"),
            silence("old", COMMENT, state="expired"),
        ]
    }
    downtime_objects = [ObjectOutcome("host downtime", "hv1", Outcome.DONE, "remove", "", "dt")]
    apis.own.remove_downtimes.return_value = DowntimesRemoved(
        dry_run=False, objects=downtime_objects, host="hv1", service=None, downtimes=[]
    )
    silence_objects = [ObjectOutcome("silence", INSTANCE, Outcome.DONE, "expire", "", "ours")]
    apis.own.remove_silences.return_value = SilencesExpired(
        dry_run=False, objects=silence_objects, silences=[]
    )
    result = hypervisor_downtime.hypervisor_downtime_remove(
        AM, ICINGA, "hv1", include_others=include_others, dry_run=False
    )
    apis.mute.list_silences.assert_called_once_with(AM, host="hv1")
    apis.own.remove_downtimes.assert_called_once_with(
        ICINGA, "hv1", dry_run=False, include_others=include_others
    )
    apis.own.remove_silences.assert_called_once_with(AM, silence_ids=expired, dry_run=False)
    assert result.objects == downtime_objects + silence_objects and result.changed
    assert [s["id"] for s in result.silences] == expired
    check_result("hypervisor.downtime.remove", result)


def test_remove_without_silences_only_removes_downtimes(apis):
    apis.mute.list_silences.return_value = {"rows": []}
    apis.own.remove_downtimes.return_value = DowntimesRemoved(
        dry_run=True, objects=[], host="hv1", service=None, downtimes=[]
    )
    result = hypervisor_downtime.hypervisor_downtime_remove(AM, ICINGA, "hv1")
    apis.own.remove_silences.assert_not_called()
    assert result.dry_run and not result.objects and not result.include_others
