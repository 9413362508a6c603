"""hypervisor.patch.reboot: the safety check, the saga and its rollback, with autospec'd apis."""

import contextlib
import datetime
import re
from types import SimpleNamespace
from unittest import mock

import pytest

from apis.alertmanager_api.account import AlertmanagerAccount
from apis.alertmanager_api.exceptions import (
    AlertmanagerConnectionError,
    AlertmanagerRequestError,
    AlertmanagerTimeoutError,
)
from apis.errors import CloudopsError
from apis.icinga_api.account import IcingaAccount
from apis.icinga_api.downtimes import Downtime
from apis.icinga_api.exceptions import IcingaObjectNotFoundError
from apis.openstack_api.hypervisor_state import HypervisorFacts
from apis.rollback import Step, run_saga
from apis.ssh_api.account import SSHAccount
from apis.ssh_api.client import CommandResult
from apis.ssh_api.exceptions import SSHCommandError, SSHConnectionError, SSHParameterError
from workflows import host_mute, hypervisor_patch
from workflows.hypervisor_patch import PatchRebootError
from tests.result_schemas import check_result
from tests.unit.workflows.host_mute_fakes import patch_host_mute

SSH = SSHAccount(name="hv", username="ops", private_key_file="/k", known_hosts_file="/kh")
AM = AlertmanagerAccount(name="am", url="http://am")
ICINGA = IcingaAccount(name="ic", url="https://icinga")
SCRIPTS = [{"name": "patch", "path": "/usr/local/sbin/patch"}, {"name": "reboot", "path": "/r"}]
SILENCE_ID = "0f3b5a9e-4c1d-4e8a-9b7c-2d6e8f0a1b2c"
CONN = mock.sentinel.conn  # only the autospecs below use the connection
DOWNTIMES = ["hv1!dt-host", "hv1!nova-compute!dt-svc"]


def facts(status="disabled", reason="[maintenance] kernel", vms=0, migrations=0):
    """Facts of hv1 as collect_facts reports them."""
    return HypervisorFacts(
        name="hv1",
        service_state="up",
        service_status=status,
        disabled_reason=reason,
        running_vms=vms,
        migrations_in_progress=migrations,
    )


@pytest.fixture(name="apis")
def fixture_apis():
    """Every outside call of the module as an autospec, answering like a healthy world."""
    names = ["find_compute_service", "collect_facts", "exec_command"]
    with contextlib.ExitStack() as stack:
        fakes = {
            name: stack.enter_context(mock.patch.object(hypervisor_patch, name, autospec=True))
            for name in names
        }
        fakes.update(patch_host_mute(stack))
        fakes["find_compute_service"].return_value = SimpleNamespace(host="hv1")
        fakes["collect_facts"].return_value = [facts()]
        fakes["create_silence"].return_value = {
            "id": SILENCE_ID,
            "matchers": ["instance=~hv1([.:].*)?"],
        }
        fakes["schedule_downtime"].return_value = {"downtimes": DOWNTIMES, "end": "later"}
        fakes["exec_command"].side_effect = lambda account, host, script, args=(), **kw: (
            CommandResult(host, script, 0, f"ran {script}\n", "")
        )
        client = fakes["IcingaClient"].return_value.__enter__.return_value
        client.remove_downtime.return_value = True
        fakes["list_own_downtimes"].return_value = [
            downtime(DOWNTIMES[0]),
            downtime(DOWNTIMES[1], parent=DOWNTIMES[0]),
            downtime("hv1!older-run"),
        ]
        yield SimpleNamespace(**fakes, icinga=client)


def downtime(name, parent=None):
    """One of the pack's downtimes of hv1."""
    return Downtime(name, "hv1", None, "cloudops", "[cloudops] x", None, None, True, parent)


def run(**overrides):
    """patch_reboot for real (dry_run false) with the usual arguments."""
    arguments = {
        "conn": CONN,
        "hypervisor": "hv1",
        "ssh_account": SSH,
        "alertmanager_account": AM,
        "icinga_account": ICINGA,
        "patch_script": "patch",
        "reboot_script": "reboot",
        "patch_args": ["--security", 7],
        "comment": "CVE-2030-1",
        "operator": "alice",
        "dry_run": False,
        "ssh_allowed_scripts": SCRIPTS,
    }
    arguments.update(overrides)
    return hypervisor_patch.patch_reboot(**arguments)


def test_success_runs_every_step_in_order(apis):
    result = run()
    assert result["silence_id"] == SILENCE_ID and result["downtimes"] == DOWNTIMES
    assert [s["step"] for s in result["steps"]] == ["silence", "downtime", "patch", "reboot"]
    assert {s["outcome"] for s in result["steps"]} == {"done"}
    apis.create_silence.assert_called_once_with(
        AM,
        ["instance=~hv1([.:].*)?"],
        "[cloudops:maintenance] CVE-2030-1 (patch.reboot of hv1 by alice)",
        author="cloudops/alice",
        duration="120m",
    )
    apis.schedule_downtime.assert_called_once_with(
        ICINGA,
        "hv1",
        "CVE-2030-1 (patch.reboot of hv1 by alice)",
        duration="120m",
        all_services=True,
        author="cloudops/alice",
    )
    assert apis.exec_command.call_args_list == [
        mock.call(SSH, "hv1", "/usr/local/sbin/patch", ("--security", "7"), timeout=3600.0),
        mock.call(SSH, "hv1", "/r"),
    ]
    assert result["patch"]["stdout_tail"] == "ran /usr/local/sbin/patch\n"
    assert result["reboot_requested_at"] == result["reboot"]["reboot_requested_at"]
    apis.remove_silences.assert_not_called()
    apis.collect_facts.assert_called_once_with(mock.ANY, host="hv1")
    check_result("hypervisor.patch.reboot", result)
    planned = run(dry_run=True)
    assert result["objects"] == planned["objects"] and result["changed"]


def test_dry_run_checks_but_changes_nothing(apis):
    result = run(dry_run=True, icinga_account=None, ssh_host="10.0.0.1", monitored_host="hv1.x")
    assert result["would_run"] == ["silence", "patch", "reboot"]
    assert (result["ssh_host"], result["monitored_host"]) == ("10.0.0.1", "hv1.x")
    assert result["state"]["state"] == "DRAINED"
    apis.create_silence.assert_not_called()
    apis.exec_command.assert_not_called()


@pytest.mark.parametrize(
    "state_facts, require_empty, state",
    [
        (facts(status="enabled", reason=None), True, "EMPTY"),
        (facts(reason="broken disk"), True, "DISABLED"),
        (facts(vms=2), True, "PENDING_MAINTENANCE"),
        (facts(vms=2, migrations=1), False, "DRAINING"),
    ],
)
def test_refuses_hosts_not_drained_for_maintenance(apis, state_facts, require_empty, state):
    apis.collect_facts.return_value = [state_facts]
    with pytest.raises(PatchRebootError, match=f"hypervisor 'hv1' is {state} .*disable and"):
        run(require_empty=require_empty)
    apis.create_silence.assert_not_called()


def test_require_empty_false_accepts_servers_and_unknown_is_refused(apis):
    apis.collect_facts.return_value = [facts(vms=3)]
    assert run(require_empty=False, icinga_account=None)["downtimes"] == []
    apis.collect_facts.return_value = []
    with pytest.raises(PatchRebootError, match="is UNKNOWN"):
        run()


def test_bad_parameters_are_refused_before_anything_runs(apis):
    with pytest.raises(PatchRebootError, match="comment: say why"):
        run(comment=" ")
    with pytest.raises(PatchRebootError, match="duration_minutes 0 must be positive"):
        run(duration_minutes=0)
    with pytest.raises(SSHParameterError, match="valid scripts: patch, reboot"):
        run(reboot_script="rm")
    apis.find_compute_service.assert_not_called()
    apis.collect_facts.assert_not_called()


def rollback_of(err):
    """The report's rollback outcomes by step."""
    return {entry["step"]: entry["outcome"] for entry in err.report["rollback"]}


def test_silence_failure_rolls_back_nothing(apis):
    apis.create_silence.side_effect = AlertmanagerConnectionError("alertmanager down")
    with pytest.raises(PatchRebootError, match="step 'silence' failed") as failed:
        run()
    report = failed.value.report
    assert report["failed_step"] == "silence" and report["rollback"] == []
    assert [s["outcome"] for s in report["steps"]] == ["failed", "not run", "not run", "not run"]
    assert report["steps"][0]["error_type"] == "AlertmanagerConnectionError"
    apis.schedule_downtime.assert_not_called()


def late_silence(comment, starts_at, silence_id="late-1", matcher="instance=~hv1([.:].*)?"):
    """A silence as list_silences summarises it."""
    return {
        "id": silence_id,
        "state": "active",
        "comment": comment,
        "starts_at": starts_at,
        "matchers": [matcher],
    }


def test_timed_out_silence_made_late_is_expired(apis, monkeypatch, pin_clock):
    """Alertmanager may create a silence after the client gave up waiting: watch and expire it."""
    monkeypatch.setattr(host_mute, "LATE_SILENCE_POLL_SECONDS", 0)
    apis.create_silence.side_effect = AlertmanagerTimeoutError("timed out after 5s")
    ours = "[cloudops:maintenance] CVE-2030-1 (patch.reboot of hv1 by alice)"
    now = pin_clock("2026-06-15T09:30:00Z")
    older = (now - datetime.timedelta(days=1)).isoformat()
    apis.list_silences.side_effect = [
        {"rows": [late_silence(ours, older, "last-month")]},
        {
            "rows": [
                late_silence(ours, older, "last-month"),
                late_silence(ours, now.isoformat(), "other-label", "hostname=~hv1([.:].*)?"),
                late_silence(ours, now.isoformat()),
            ]
        },
    ]
    with pytest.raises(PatchRebootError) as failed:
        run()
    step = failed.value.report["steps"][0]
    assert step["error_type"] == "AlertmanagerTimeoutError"
    assert "the silence it made late was expired (late-1)" in step["error"]
    apis.remove_silences.assert_called_once_with(AM, silence_ids=["late-1"], dry_run=False)
    apis.list_silences.assert_called_with(AM, host="hv1")


def test_timed_out_silence_that_never_appears_is_reported(apis, monkeypatch):
    monkeypatch.setattr(host_mute, "LATE_SILENCE_MIN_SECONDS", 0)
    monkeypatch.setattr(host_mute, "LATE_SILENCE_POLL_SECONDS", 0)
    apis.create_silence.side_effect = AlertmanagerTimeoutError("timed out")
    apis.list_silences.return_value = {"rows": []}
    with pytest.raises(PatchRebootError) as failed:
        run(alertmanager_account=AlertmanagerAccount(name="am", url="http://am", timeout=0))
    assert "no silence appeared within 0s" in failed.value.report["steps"][0]["error"]
    apis.remove_silences.assert_not_called()


def test_timed_out_silence_check_failing_says_so(apis):
    apis.create_silence.side_effect = AlertmanagerTimeoutError("timed out")
    apis.list_silences.side_effect = AlertmanagerConnectionError("gone")
    with pytest.raises(PatchRebootError) as failed:
        run()
    error = failed.value.report["steps"][0]["error"]
    assert "could not check for a silence made late (gone)" in error


def test_downtime_failure_expires_the_silence(apis):
    apis.schedule_downtime.side_effect = IcingaObjectNotFoundError("host 'hv1': not found")
    with pytest.raises(PatchRebootError, match="step 'downtime' failed") as failed:
        run()
    assert rollback_of(failed.value) == {"silence": "undone"}
    apis.remove_silences.assert_called_once_with(AM, silence_ids=[SILENCE_ID], dry_run=False)
    apis.exec_command.assert_not_called()


def test_patch_failure_reports_output_and_rolls_back_both(apis):
    apis.exec_command.side_effect = SSHCommandError("exit 3", 3, "half done\n", "dpkg broke\n")
    with pytest.raises(PatchRebootError, match="step 'patch' failed") as failed:
        run()
    patch = failed.value.report["steps"][2]
    assert patch["exit_status"] == 3 and patch["stderr_tail"] == "dpkg broke\n"
    assert patch["stdout_tail"] == "half done\n"
    outcomes = [(o.kind, o.outcome.value) for o in failed.value.report["objects"]]
    assert outcomes == [
        ("silence step", "done"),
        ("downtime step", "done"),
        ("patch step", "failed"),
        ("reboot step", "skipped"),
    ]
    assert rollback_of(failed.value) == {"downtime": "undone", "silence": "undone"}
    assert [e["step"] for e in failed.value.report["rollback"]] == ["downtime", "silence"]
    apis.icinga.remove_downtime.assert_called_once_with(DOWNTIMES[0])
    assert failed.value.report["rollback"][0]["removed"] == [DOWNTIMES[0]]


def test_reboot_failure_says_the_patch_cannot_be_undone(apis):
    apis.exec_command.side_effect = [
        CommandResult("hv1", "/p", 0, "", ""),
        SSHConnectionError("hv1: cannot start /r"),
    ]
    with pytest.raises(PatchRebootError, match="step 'reboot' failed") as failed:
        run()
    assert rollback_of(failed.value) == {
        "patch": "cannot be undone",
        "downtime": "undone",
        "silence": "undone",
    }


def test_rollback_failures_are_reported_not_hidden(apis):
    apis.exec_command.side_effect = SSHCommandError("exit 1", 1, "", "")
    apis.remove_silences.side_effect = AlertmanagerRequestError("expiring failed (500)")
    apis.icinga.remove_downtime.side_effect = RuntimeError("bug")
    with pytest.raises(PatchRebootError, match="rolling back downtime, silence failed too") as err:
        run()
    rollback = {e["step"]: e for e in err.value.report["rollback"]}
    assert rollback["silence"]["outcome"] == "rollback failed"
    assert rollback["silence"]["error"] == "expiring failed (500)"
    assert rollback["downtime"]["error_type"] == "RuntimeError"
    apis.remove_silences.side_effect = None
    with pytest.raises(PatchRebootError, match="before it were rolled back"):
        run(icinga_account=None)


def test_dropped_connection_during_reboot_counts_as_rebooting(apis):
    apis.exec_command.side_effect = [
        CommandResult("hv1", "/p", 0, "", ""),
        SSHCommandError("no exit status", -1, "rebooting\n", ""),
    ]
    reboot = run()["reboot"]
    assert reboot["connection_dropped"] and reboot["exit_status"] is None
    assert reboot["stdout_tail"] == "rebooting\n"


def test_unexpected_errors_roll_back_then_propagate():
    undone = []
    steps = [
        Step("one", lambda: {"n": 1}, lambda done: undone.append(done) or {}),
        Step("two", lambda: 1 / 0),
    ]
    with pytest.raises(ZeroDivisionError):
        run_saga(steps)
    assert undone == [{"n": 1}]


def test_pack_silences_keep_only_live_ones_with_the_marker(apis):
    apis.list_silences.return_value = {
        "rows": [
            {"id": "a", "state": "active", "comment": "[cloudops:maintenance] x"},
            {"id": "b", "state": "expired", "comment": "[cloudops:maintenance] x"},
            {"id": "c", "state": "pending", "comment": "someone else's"},
        ]
    }
    assert [s["id"] for s in host_mute.pack_silences(AM, "hv1")] == ["a"]
    apis.list_silences.assert_called_once_with(AM, host="hv1")


def test_host_matcher_selects_the_host_its_ports_and_fqdn_only():
    pattern = host_mute.host_matcher("hv-1.a").partition("=~")[2]
    for value in ("hv-1.a", "hv-1.a:9100", "hv-1.a.example.org"):
        assert re.fullmatch(pattern, value)
    for value in ("hv-1.ab", "xhv-1.a", "hv-1xa"):
        assert not re.fullmatch(pattern, value)


def test_site_defaults_come_from_hypervisor_maintenance(apis):
    """How the maintenance rule runs it: only cloud and host given, the rest from config."""
    site = {
        "patch_script": "patch",
        "reboot_script": "reboot",
        "patch_args": ["--all"],
        "comment": "monthly",
        "icinga_account": "ic",
    }
    icinga_accounts = [{"name": "ic", "url": "https://icinga"}]
    result = run(
        patch_script=None,
        reboot_script=None,
        comment=None,
        patch_args=None,
        icinga_account=None,
        operator=None,
        hypervisor_maintenance=site,
        icinga_accounts=icinga_accounts,
    )
    assert [s["step"] for s in result["steps"]] == ["silence", "downtime", "patch", "reboot"]
    assert apis.exec_command.call_args_list[0] == mock.call(
        SSH, "hv1", "/usr/local/sbin/patch", ("--all",), timeout=3600.0
    )
    assert apis.schedule_downtime.call_args.args[:3] == (
        IcingaAccount(name="ic", url="https://icinga"),
        "hv1",
        "monthly (patch.reboot of hv1)",
    )


def test_missing_script_names_the_parameter_and_the_config_key(apis):
    with pytest.raises(
        CloudopsError,
        match=r"patch_script is required: give it, or set " r"hypervisor_maintenance.patch_script",
    ):
        run(patch_script=None, hypervisor_maintenance={"reboot_script": "reboot"})
    apis.create_silence.assert_not_called()


@pytest.mark.usefixtures("apis")
def test_each_step_and_rollback_gets_a_progress_line(progress_lines):
    run()
    assert progress_lines() == [
        "patch.reboot hv1: silence done (1 of 4, 1.5 s)",
        "patch.reboot hv1: downtime done (2 of 4, 3.0 s)",
        "patch.reboot hv1: patch done (3 of 4, 4.5 s)",
        "patch.reboot hv1: reboot done (4 of 4, 6.0 s)",
    ]


def test_a_failed_step_and_its_rollback_are_logged(apis, progress_lines):
    apis.exec_command.side_effect = SSHCommandError("exit 3", 3, "", "dpkg broke\n")
    with pytest.raises(PatchRebootError):
        run()
    assert progress_lines() == [
        "patch.reboot hv1: silence done (1 of 4, 1.5 s)",
        "patch.reboot hv1: downtime done (2 of 4, 3.0 s)",
        "patch.reboot hv1: patch failed: exit 3 (3 of 4, 4.5 s)",
        "patch.reboot hv1: rollback of downtime: undone (3 of 4, 6.0 s)",
        "patch.reboot hv1: rollback of silence: undone (3 of 4, 7.5 s)",
    ]
