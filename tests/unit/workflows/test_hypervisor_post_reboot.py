"""hypervisor.post.reboot: wait, test, enable, clean up; failures leave the host disabled."""

import contextlib
import datetime
from types import SimpleNamespace
from unittest import mock

import pytest

from apis.alertmanager_api.account import AlertmanagerAccount
from apis.alertmanager_api.exceptions import AlertmanagerConnectionError
from apis.icinga_api.account import IcingaAccount
from apis.icinga_api.downtimes import Downtime, DowntimesRemoved
from apis.icinga_api.exceptions import IcingaConnectionError
from workflows import hypervisor_post_reboot, hypervisor_test_server
from workflows.hypervisor_post_reboot import PostRebootError
from tests.result_schemas import check_result

AM = AlertmanagerAccount(name="am", url="http://am")
ICINGA = IcingaAccount(name="ic", url="https://icinga")
NOW = datetime.datetime(2026, 6, 15, 9, 30, tzinfo=datetime.timezone.utc)
SILENCE = {"id": "s-1", "state": "active", "comment": "[cloudops:maintenance] x"}
ENTRY = {"flavor": "m1.small", "ok": True, "error": None, "kept": None, "server_id": None}
PASSED = {"ok": True, "hypervisors": {"hv1": {"ok": True, "flavors": [ENTRY]}}}
FAILED = {"ok": False, "hypervisors": {"hv1": {"ok": False, "flavors": [{"error": "NoValidHost"}]}}}


def service(status="disabled", reason="[maintenance] kernel", state="up", updated=NOW):
    """hv1's nova-compute service."""
    return SimpleNamespace(
        host="hv1",
        status=status,
        state=state,
        disabled_reason=reason,
        updated_at=updated.strftime("%Y-%m-%dT%H:%M:%S.%f") if updated else None,
    )


@pytest.fixture(name="apis")
def fixture_apis(pin_clock):
    """Every outside call of the module as an autospec, answering like a rebooted host; the
    clock reads NOW."""
    pin_clock(NOW)
    names = [
        "find_compute_service",
        "pack_silences",
        "remove_silences",
        "IcingaClient",
        "list_own_downtimes",
        "remove_downtimes",
        "enable_hypervisor",
    ]
    with contextlib.ExitStack() as stack:
        fakes = {
            name: stack.enter_context(
                mock.patch.object(hypervisor_post_reboot, name, autospec=True)
            )
            for name in names
        }
        fakes["test_servers"] = stack.enter_context(
            mock.patch.object(hypervisor_test_server, "test_servers", autospec=True)
        )
        fakes["sleep"] = stack.enter_context(
            mock.patch.object(hypervisor_post_reboot.time, "sleep", autospec=True)
        )
        conn = mock.NonCallableMagicMock(name="conn")  # its calls are the fakes' above
        conn.compute.hypervisors.return_value = [SimpleNamespace(name="hv1", uptime=None)]
        fakes["find_compute_service"].return_value = service()
        fakes["pack_silences"].return_value = [SILENCE]
        fakes["list_own_downtimes"].return_value = [
            Downtime("hv1!dt", "hv1", None, "cloudops", "[cloudops] x", NOW, NOW, True, None)
        ]
        fakes["remove_downtimes"].return_value = DowntimesRemoved(
            dry_run=False, objects=[], host="hv1", service=None, downtimes=[{"name": "hv1!dt"}]
        )
        fakes["test_servers"].return_value = PASSED
        fakes["enable_hypervisor"].return_value = {"hypervisor": "hv1", "changed": True}
        yield SimpleNamespace(**fakes, conn=conn)


def run(conn, **overrides):
    """post_reboot for real over ``conn`` with the usual arguments."""
    arguments = {
        "conn": conn,
        "hypervisor": "hv1",
        "alertmanager_account": AM,
        "icinga_account": ICINGA,
        "test_image": "cirros",
        "test_flavors": ["m1.small"],
        "poll_seconds": 5,
        "dry_run": False,
    }
    arguments.update(overrides)
    return hypervisor_post_reboot.post_reboot(**arguments)


def test_back_host_is_tested_enabled_and_cleaned_up(apis):
    result = run(apis.conn, rebooted_after=(NOW - datetime.timedelta(minutes=5)).isoformat())
    assert result["wait"]["back"] and result["test"] == PASSED
    apis.test_servers.assert_called_once_with(
        apis.conn,
        ["hv1"],
        "cirros",
        flavors=["m1.small"],
        flavor_choice="one",
        flavor_seed=None,
        network=None,
        wait_seconds=300,
        keep_failed=False,
        flavors_parameter="test_flavors",
    )
    apis.enable_hypervisor.assert_called_once_with(
        apis.conn, "hv1", expected_status="disabled", dry_run=False
    )
    apis.remove_silences.assert_called_once_with(AM, silence_ids=["s-1"], dry_run=False)
    apis.remove_downtimes.assert_called_once_with(ICINGA, "hv1", dry_run=False)
    assert result["cleanup"] == {
        "silences_expired": ["s-1"],
        "downtimes_removed": ["hv1!dt"],
        "errors": [],
    }
    apis.sleep.assert_not_called()
    check_result("hypervisor.post.reboot", result)
    planned = run(apis.conn, dry_run=True)
    assert planned["objects"] == result["objects"] and result["changed"] and not planned["changed"]
    assert [o.name for o in planned["objects"][:2]] == ["hv1/m1.small", "hv1"]
    assert apis.test_servers.call_args.kwargs["dry_run"] is True


def test_waits_for_a_heartbeat_and_boot_after_the_reboot(apis):
    since = NOW - datetime.timedelta(seconds=30)
    apis.find_compute_service.side_effect = [
        service(),
        service(state="down", updated=NOW - datetime.timedelta(minutes=2)),
        service(updated=NOW - datetime.timedelta(minutes=1)),
        service(),
        service(),
    ]
    apis.conn.compute.hypervisors.side_effect = [
        [SimpleNamespace(name="hv1", uptime=" 10:00:00 up 3 days,  1:00,  0 users")],
        [SimpleNamespace(name="hv1", uptime=" 10:00:00 up 3 days,  1:00,  0 users")],
        [SimpleNamespace(name="hv1", uptime=" 10:00:00 up 3 days,  1:00,  0 users")],
        [SimpleNamespace(name="hv1", uptime=" 10:00:00 up 0 days,  0:00,  0 users")],
    ]
    result = run(apis.conn, rebooted_after=since.isoformat(), monitored_host="hv1.example.org")
    assert result["wait"]["back"] and result["wait"]["booted_at"] > since.isoformat()
    assert apis.sleep.call_args_list == [mock.call(5.0)] * 3
    apis.pack_silences.assert_called_once_with(AM, "hv1.example.org")


def test_host_not_back_stays_disabled(apis):
    apis.find_compute_service.side_effect = [service()] + [service(state="down")] * 2
    with mock.patch.object(hypervisor_post_reboot.time, "monotonic", side_effect=[0, 0, 999]):
        with pytest.raises(PostRebootError, match="did not come back within 1 minutes") as err:
            run(apis.conn, boot_timeout_minutes=1)
    assert err.value.report["wait"]["state"] == "down"
    apis.test_servers.assert_not_called()
    apis.enable_hypervisor.assert_not_called()
    apis.remove_silences.assert_not_called()


@pytest.mark.parametrize("failure", [FAILED, None])
def test_failed_test_keeps_host_disabled_and_silenced(apis, failure):
    if failure:
        apis.test_servers.return_value = failure
    else:
        apis.test_servers.side_effect = PostRebootError("flavor 'x' is not one of: m1.small")
    with pytest.raises(PostRebootError, match="test server check failed") as err:
        run(apis.conn)
    assert err.value.report["test"]["ok"] is False
    apis.enable_hypervisor.assert_not_called()
    apis.remove_silences.assert_not_called()
    apis.remove_downtimes.assert_not_called()


def test_enabled_host_without_leftovers_is_nothing_to_do(apis):
    apis.find_compute_service.return_value = service(status="enabled", reason=None)
    apis.pack_silences.return_value = []
    result = run(apis.conn, icinga_account=None)
    assert result["nothing_to_do"] and result["downtimes"] == []
    apis.IcingaClient.assert_not_called()
    apis.test_servers.assert_not_called()
    apis.enable_hypervisor.assert_not_called()


def test_enabled_host_with_leftovers_is_only_cleaned_up(apis):
    apis.find_compute_service.return_value = service(status="enabled", reason=None)
    planned = run(apis.conn, dry_run=True)
    assert not planned["nothing_to_do"] and planned["silences"] == ["s-1"]
    apis.remove_silences.assert_not_called()
    result = run(apis.conn)
    assert result["cleanup"]["silences_expired"] == ["s-1"]
    apis.test_servers.assert_not_called()
    assert result["objects"] == planned["objects"]
    assert result["objects"][0].outcome.value == "unchanged"


def test_dry_run_and_refusals(apis):
    assert run(apis.conn, dry_run=True)["would_run"] == ["wait", "test", "enable", "clean up"]
    apis.find_compute_service.return_value = service(reason="broken PSU")
    with pytest.raises(PostRebootError, match="disabled for another reason .'broken PSU'"):
        run(apis.conn)
    with pytest.raises(PostRebootError, match="rebooted_after 'yesterday' is not an ISO 8601"):
        run(apis.conn, rebooted_after="yesterday")
    apis.enable_hypervisor.assert_not_called()


def test_cleanup_failures_fail_the_action_with_the_report(apis):
    apis.remove_silences.side_effect = AlertmanagerConnectionError("alertmanager down")
    apis.remove_downtimes.side_effect = IcingaConnectionError("icinga down")
    with pytest.raises(PostRebootError, match="clean-up failed: expiring silences") as err:
        run(apis.conn)
    assert err.value.report["enable"] is apis.enable_hypervisor.return_value
    assert len(err.value.report["cleanup"]["errors"]) == 2
    failed = [o.kind for o in err.value.report["objects"] if o.outcome.value == "failed"]
    assert failed == ["silence", "downtime"]


def test_test_server_settings_come_from_hypervisor_maintenance(apis):
    """How the maintenance rule runs it: image, flavors and network from the pack config."""
    site = {
        "test_image": "site-cirros",
        "test_flavors": ["t1"],
        "network": "ops-net",
        "test_flavor_choice": "all",
        "keep_failed_test_server": True,
    }
    run(apis.conn, test_image=None, test_flavors=None, hypervisor_maintenance=site)
    apis.test_servers.assert_called_once_with(
        apis.conn,
        ["hv1"],
        "site-cirros",
        flavors=["t1"],
        flavor_choice="all",
        flavor_seed=None,
        network="ops-net",
        wait_seconds=300,
        keep_failed=True,
        flavors_parameter="test_flavors",
    )


def test_given_flavor_choice_and_keep_failed_win_over_the_config(apis):
    site = {"test_flavor_choice": "all", "keep_failed_test_server": True}
    run(
        apis.conn,
        flavor_choice="one",
        flavor_seed=7,
        keep_failed=False,
        hypervisor_maintenance=site,
    )
    called = apis.test_servers.call_args.kwargs
    assert (called["flavor_choice"], called["flavor_seed"], called["keep_failed"]) == (
        "one",
        7,
        False,
    )


def test_a_bad_flavor_choice_is_refused_before_waiting(apis):
    with pytest.raises(
        hypervisor_test_server.HypervisorTestServerError,
        match="hypervisor_maintenance.test_flavor_choice 'any' is not a choice; valid",
    ):
        run(apis.conn, hypervisor_maintenance={"test_flavor_choice": "any"})
    with pytest.raises(hypervisor_test_server.HypervisorTestServerError, match="^flavor_choice"):
        run(apis.conn, flavor_choice="al")
    apis.find_compute_service.assert_not_called()
    apis.test_servers.assert_not_called()


def test_a_kept_test_server_is_named_in_the_error(apis):
    kept = dict(
        ENTRY,
        ok=False,
        error="ServerError: went to ERROR",
        server_id="srv-9",
        server_name="cloudops-test-hv1-m1.small-abc",
        kept={"host": None, "status": "ERROR"},
    )
    apis.test_servers.return_value = {
        "ok": False,
        "hypervisors": {"hv1": {"ok": False, "flavors": [kept]}},
    }
    with pytest.raises(PostRebootError) as caught:
        run(apis.conn, keep_failed=True)
    assert str(caught.value) == (
        "hypervisor 'hv1': the test server check failed; left disabled, silence kept; kept for "
        "debugging: server cloudops-test-hv1-m1.small-abc (srv-9) on no host, ERROR (see report)"
    )
    apis.enable_hypervisor.assert_not_called()


def test_each_step_gets_a_progress_line(apis, progress_lines):
    apis.enable_hypervisor.return_value = {"status": "enabled", "changed": True}
    run(apis.conn)
    assert progress_lines() == [
        "post.reboot hv1: waiting up to 20 minutes for it to come back (0 of 4, 1.5 s)",
        "post.reboot hv1: wait: back (service up) (1 of 4, 3.0 s)",
        "post.reboot hv1: test: ok (2 of 4, 4.5 s)",
        "post.reboot hv1: enable: enabled (3 of 4, 6.0 s)",
        "post.reboot hv1: clean up: 1 silence(s) expired, 1 downtime(s) removed (4 of 4, 7.5 s)",
    ]


def test_a_leftover_cleanup_is_one_step(apis, progress_lines):
    apis.find_compute_service.return_value = service(status="enabled")
    apis.remove_silences.side_effect = AlertmanagerConnectionError("expiring failed (500)")
    with pytest.raises(PostRebootError):
        run(apis.conn)
    assert progress_lines() == [
        "post.reboot hv1: clean up: 0 silence(s) expired, 1 downtime(s) removed; errors: "
        "expiring silences: AlertmanagerConnectionError: expiring failed (500) (1 of 1, 1.5 s)"
    ]


def test_each_poll_of_a_host_not_back_gets_a_line(apis, progress_lines):
    apis.find_compute_service.side_effect = [service()] + [service(state="down")] * 2 + [service()]
    apis.enable_hypervisor.return_value = {"status": "enabled", "changed": True}
    run(apis.conn)
    waiting = [line for line in progress_lines() if "not back yet" in line]
    assert waiting == [
        f"post.reboot hv1: not back yet: service down, heartbeat {NOW.isoformat()}, booted None "
        f"(0 of 4, {seconds} s)"
        for seconds in ("3.0", "4.5")
    ]
    assert apis.sleep.call_args_list == [mock.call(5.0)] * 2
