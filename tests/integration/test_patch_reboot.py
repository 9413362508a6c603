"""hypervisor.patch.reboot and hypervisor.post.reboot against the real peers and the devcloud.

patch.reboot runs its scripts on the test sshd (they write marker files), silences in the
real Alertmanager and schedules downtimes in the real Icinga2 (host ``hv01`` stands for
compute2 through ``monitored_host``); a failure is injected at each step and the rollback is
checked on the real services. post.reboot boots a real test server on compute2.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import yaml

from apis import clock
from apis.alertmanager_api.silences import create_silence, remove_silences
from apis.icinga_api.client import IcingaClient
from apis.icinga_api.downtimes import list_own_downtimes, remove_downtimes, schedule_downtime
from tests.integration.action_run import run_action
from tests.integration.fault_proxy import Fault, FaultProxy
from tests.integration.test_faults_peers import SSH_FAULTS, faulty_ssh_account
from tests.integration.test_test_server_aggregates import generic_flavors
from tests.integration.peers.common import free_port
from workflows.host_mute import SILENCE_MARKER, host_matcher, pack_silences

pytestmark = pytest.mark.integration

HYPERVISOR = "compute2"
WRONG = "not-the-icinga-password-7e2a"
SCRIPTS = {
    "patch-ok": '#!/bin/sh\necho "$@" > "{dir}/patched"\necho "3 packages upgraded"\n',
    "patch-fail": (
        '#!/bin/sh\ntouch "{dir}/patch-started"\necho "unpacking"\n'
        'echo "E: dpkg was interrupted" >&2\nexit 100\n'
    ),
    "patch-hang": '#!/bin/sh\necho "waiting for the dpkg lock"\nsleep 30\n',
    "reboot-ok": '#!/bin/sh\ntouch "{dir}/rebooted"\necho "reboot scheduled in 1 minute"\n',
    "reboot-fail": '#!/bin/sh\necho "shutdown: permission denied" >&2\nexit 1\n',
    "reboot-drop": '#!/bin/sh\ntouch "{dir}/rebooted"\necho "going down now"\nkill -9 $PPID\n',
}


def write_config(path: Path, **sections: Any) -> Path:
    """A pack config file with ``sections``."""
    path.write_text(yaml.safe_dump(sections), encoding="utf-8")
    return path


@pytest.fixture(name="monitored")
def fixture_monitored(icinga, am_account, icinga_account) -> Iterator[str]:
    """An Icinga host with none of the pack's silences or downtimes before and after."""
    host = icinga.hosts[0]

    def wipe() -> None:
        leftover = [s["id"] for s in pack_silences(am_account, host)]
        if leftover:
            remove_silences(am_account, silence_ids=leftover, dry_run=False)
        remove_downtimes(icinga_account, host, dry_run=False)

    wipe()
    yield host
    wipe()


def leftovers(am_account, icinga_account, host: str) -> Dict[str, list]:
    """The pack's live silences and downtimes for ``host``."""
    with IcingaClient(icinga_account) as client:
        downtimes = [d.name for d in list_own_downtimes(client, host)]
    return {"silences": [s["id"] for s in pack_silences(am_account, host)], "downtimes": downtimes}


@pytest.fixture(name="scripts")
def fixture_scripts(tmp_path) -> Dict[str, Any]:
    """The allow-listed scripts on the 'hypervisor' (sshd runs here) and their marker folder."""
    markers = tmp_path / "markers"
    markers.mkdir()
    allowed = []
    for name, body in SCRIPTS.items():
        path = tmp_path / f"{name}.sh"
        path.write_text(body.format(dir=markers), encoding="ascii")
        path.chmod(0o755)
        allowed.append({"name": name, "path": str(path)})
    return {"allowed": allowed, "markers": markers}


@pytest.fixture(name="config")
def fixture_config(tmp_path, sshd, alertmanager, icinga, scripts) -> Iterator[Dict[str, Any]]:
    """A pack config: good accounts (``default``), plus an unreachable and a 500-answering
    Alertmanager, a proxied one and an Icinga account with a wrong password."""
    icinga_entry = icinga.account_entry("default", backoff_factor=0.01)
    with FaultProxy(alertmanager.url) as proxy:
        am_entries = [
            {"name": "default", "url": alertmanager.url},
            {"name": "proxied", "url": proxy.url, "backoff_factor": 0.01},
            {"name": "slow", "url": proxy.url, "timeout": 0.5, "retries": 0},
            {"name": "unreachable", "url": f"http://127.0.0.1:{free_port()}", "retries": 0},
        ]
        path = write_config(
            tmp_path / "cloudops.yaml",
            ssh_accounts=[sshd.account_entry("hypervisors")],
            ssh_allowed_scripts=scripts["allowed"],
            alertmanager_accounts=am_entries,
            icinga_accounts=[icinga_entry, {**icinga_entry, "name": "refusing", "password": WRONG}],
        )
        yield {"path": path, "proxy": proxy, "sshd": sshd}


def service_of(admin_conn, host: str):
    """A host's nova-compute service."""
    (service,) = [s for s in admin_conn.compute.services(binary="nova-compute") if s.host == host]
    return service


@pytest.fixture(name="in_maintenance")
def fixture_in_maintenance(admin_conn, seeded_cloud, clouds_yaml) -> Iterator[str]:
    """compute2 disabled for maintenance for the test (a maintenance reason another test left
    is kept); enabled again afterwards if it was enabled before."""
    assert seeded_cloud and clouds_yaml
    service = service_of(admin_conn, HYPERVISOR)
    was_enabled = service.status == "enabled"
    if was_enabled:
        admin_conn.compute.disable_service(
            service, disabled_reason="[maintenance] patch.reboot integration test"
        )
    elif "maintenance" not in (service.disabled_reason or ""):
        pytest.skip(f"{HYPERVISOR} is disabled by someone else: {service.disabled_reason!r}")
    try:
        yield HYPERVISOR
    finally:
        if was_enabled:
            admin_conn.compute.enable_service(service_of(admin_conn, HYPERVISOR))


def patch_args(config, monitored: str, *extra: str) -> list:
    """Arguments of a real patch.reboot of compute2 through the local runner."""
    return [
        "hypervisor.patch.reboot",
        "cloud_account=devcloud",
        f"hypervisor={HYPERVISOR}",
        f"ssh_host={config['sshd'].host}",
        f"monitored_host={monitored}",
        "comment=CVE-2030-0001",
        "operator=itest",
        "require_empty=false",
        "dry_run=false",
        "icinga_account=default",
        *extra,
    ]


def test_patch_reboot_success_leaves_silence_and_downtime(
    config, scripts, monitored, in_maintenance, am_account, icinga_account
):
    del in_maintenance
    config["proxy"].inject(Fault(503, retry_after="0"))
    code, answer, printed = run_action(
        config["path"],
        *patch_args(config, monitored, "alertmanager_account=proxied"),
        "patch_script=patch-ok",
        "reboot_script=reboot-ok",
        "patch_args=--security-only",
    )
    assert code == 0, printed
    result = answer["result"]
    assert [s["outcome"] for s in result["steps"]] == ["done"] * 4
    assert (scripts["markers"] / "patched").read_text() == "--security-only\n"
    assert (scripts["markers"] / "rebooted").exists()
    assert result["patch"]["stdout_tail"] == "3 packages upgraded\n"
    left = leftovers(am_account, icinga_account, monitored)
    assert left["silences"] == [result["silence_id"]]
    assert sorted(left["downtimes"]) == sorted(result["downtimes"]) and len(left["downtimes"]) == 2
    assert [m for m, *_ in config["proxy"].seen][:2] == ["POST", "POST"]
    assert icinga_account.password not in printed


def test_patch_reboot_dry_run_and_refusal(config, monitored, in_maintenance, admin_conn):
    del in_maintenance
    argv = patch_args(config, monitored, "patch_script=patch-ok", "reboot_script=reboot-ok")
    dry = [arg for arg in argv if arg != "dry_run=false"]
    code, answer, printed = run_action(config["path"], *dry)
    assert code == 0, printed
    assert answer["result"]["would_run"] == ["silence", "downtime", "patch", "reboot"]
    busy = list(admin_conn.compute.servers(all_projects=True, node=HYPERVISOR))
    if busy:
        code, answer, printed = run_action(config["path"], *argv, "require_empty=true")
        assert code == 1, printed
        assert "is PENDING_MAINTENANCE" in answer["result"]["error"]


def test_dropped_connection_during_reboot_counts_as_rebooting(
    config, scripts, monitored, in_maintenance
):
    del in_maintenance
    code, answer, printed = run_action(
        config["path"],
        *patch_args(config, monitored),
        "patch_script=patch-ok",
        "reboot_script=reboot-drop",
    )
    assert code == 0, printed
    assert answer["result"]["reboot"]["connection_dropped"] is True
    assert (scripts["markers"] / "rebooted").exists()


EXPECTED_ERRORS = {
    "alertmanager_account=unreachable": "AlertmanagerConnectionError",
    "alertmanager_account=proxied inject=500": "AlertmanagerRequestError",
    "alertmanager_account=slow stall=1.5": "AlertmanagerTimeoutError",
    "icinga_account=refusing": "IcingaAuthError",
    "patch_script=patch-fail": "SSHCommandError",
    "patch_script=patch-hang patch_timeout_minutes=0.02": "SSHTimeoutError",
    "reboot_script=reboot-fail": "SSHCommandError",
}


@pytest.mark.parametrize(
    "failing, extra, rolled_back",
    [
        ("silence", ["alertmanager_account=unreachable"], {}),
        ("silence", ["alertmanager_account=proxied", "inject=500"], {}),
        ("silence", ["alertmanager_account=slow", "stall=1.5"], {}),
        ("downtime", ["icinga_account=refusing"], {"silence": "undone"}),
        (
            "patch",
            ["patch_script=patch-hang", "patch_timeout_minutes=0.02"],
            {"downtime": "undone", "silence": "undone"},
        ),
        ("patch", ["patch_script=patch-fail"], {"downtime": "undone", "silence": "undone"}),
        (
            "reboot",
            ["reboot_script=reboot-fail"],
            {"patch": "cannot be undone", "downtime": "undone", "silence": "undone"},
        ),
    ],
)
def test_failure_at_each_step_rolls_back(
    config, monitored, in_maintenance, am_account, icinga_account, failing, extra, rolled_back
):
    del in_maintenance
    chosen = {"patch_script": "patch-ok", "reboot_script": "reboot-ok"}
    argv = patch_args(config, monitored)
    for item in extra:
        key, _, value = item.partition("=")
        if key == "inject":
            config["proxy"].inject(Fault(int(value)))
        elif key == "stall":
            config["proxy"].inject(Fault(stall=float(value)))
        elif key in chosen:
            chosen[key] = value
        else:
            argv.append(item)
    argv += [f"{key}={value}" for key, value in chosen.items()]
    code, answer, printed = run_action(config["path"], *argv)
    assert code == 1, printed
    result = answer["result"]
    assert result["error_type"] == "PatchRebootError"
    report = result["report"]
    assert report["failed_step"] == failing
    assert {r["step"]: r["outcome"] for r in report["rollback"]} == rolled_back
    if any(item.startswith("stall=") for item in extra):
        # the stalled create reaches Alertmanager after the client gave up: found and expired
        assert "the silence it made late was expired" in report["steps"][0]["error"], report
    assert leftovers(am_account, icinga_account, monitored) == {"silences": [], "downtimes": []}
    (failed,) = [s for s in report["steps"] if s["outcome"] == "failed"]
    assert failed["error_type"] == EXPECTED_ERRORS[" ".join(extra)]
    if failing == "patch":
        assert "dpkg" in failed["stdout_tail"] + failed["stderr_tail"]
        assert failed.get("exit_status") == (100 if "patch-fail" in extra[0] else None)
    assert WRONG not in printed


@pytest.mark.parametrize("fault", SSH_FAULTS)
def test_ssh_fault_fails_in_one_line_and_rolls_back(
    fault, config, monitored, in_maintenance, am_account, icinga_account, tmp_path
):
    del in_maintenance
    settings = yaml.safe_load(config["path"].read_text(encoding="utf-8"))
    with faulty_ssh_account(fault, config["sshd"], tmp_path, "faulty") as account:
        settings["ssh_accounts"].append(account)
        path = write_config(tmp_path / "faulty.yaml", **settings)
        code, answer, printed = run_action(
            path,
            *patch_args(config, monitored, "ssh_account=faulty"),
            "patch_script=patch-ok",
            "reboot_script=reboot-ok",
        )
    assert code == 1 and "Traceback" not in printed, printed
    error = answer["result"]["error"]
    assert "\n" not in error and re.search(SSH_FAULTS[fault], error, re.IGNORECASE), error
    assert "step 'patch' failed" in error and "rolled back" in error, error
    rollback = answer["result"]["report"]["rollback"]
    assert {r["step"]: r["outcome"] for r in rollback} == {
        "downtime": "undone",
        "silence": "undone",
    }
    assert leftovers(am_account, icinga_account, monitored) == {"silences": [], "downtimes": []}


def test_failed_silence_expiry_is_reported_not_hidden(
    config, monitored, in_maintenance, am_account, icinga_account
):
    del in_maintenance
    config["proxy"].inject(Fault(), Fault(), Fault(), Fault(500))
    code, answer, printed = run_action(
        config["path"],
        *patch_args(config, monitored, "alertmanager_account=proxied"),
        "patch_script=patch-fail",
        "reboot_script=reboot-ok",
    )
    assert code == 1, printed
    rollback = {r["step"]: r for r in answer["result"]["report"]["rollback"]}
    assert rollback["downtime"]["outcome"] == "undone"
    assert rollback["silence"]["outcome"] == "rollback failed"
    assert rollback["silence"]["error_type"] == "AlertmanagerRequestError"
    left = leftovers(am_account, icinga_account, monitored)
    assert left == {
        "silences": [answer["result"]["report"]["steps"][0]["silence_id"]],
        "downtimes": [],
    }


@contextlib.contextmanager
def maintenance_marks(am_account, icinga_account, host: str) -> Iterator[str]:
    """A pack silence and downtime for ``host`` (as patch.reboot leaves them); its id."""
    silence = create_silence(
        am_account, [host_matcher(host)], f"{SILENCE_MARKER} itest", duration="30m"
    )
    schedule_downtime(icinga_account, host, "itest", duration="30m")
    try:
        yield silence["id"]
    finally:
        with contextlib.suppress(Exception):
            remove_silences(am_account, silence_ids=[silence["id"]], dry_run=False)


def post_args(monitored: str, *extra: str) -> list:
    """Arguments of a real post.reboot of compute2 through the local runner."""
    since = clock.now() - datetime.timedelta(minutes=2)
    return [
        "hypervisor.post.reboot",
        "cloud_account=devcloud",
        f"hypervisor={HYPERVISOR}",
        f"monitored_host={monitored}",
        "icinga_account=default",
        "test_image=seed-cirros",
        f"rebooted_after={since.isoformat()}",
        "boot_timeout_minutes=1",
        "poll_seconds=1",
        "test_timeout=120",
        "dry_run=false",
        *extra,
    ]


def test_post_reboot_tests_enables_and_lifts_the_silence(
    config, monitored, in_maintenance, am_account, icinga_account, admin_conn
):
    del in_maintenance
    with maintenance_marks(am_account, icinga_account, monitored) as silence_id:
        code, answer, printed = run_action(
            config["path"], *post_args(monitored, "test_flavors=seed.small")
        )
        assert code == 0, printed
        result = answer["result"]
        assert result["wait"]["back"] and result["wait"]["state"] == "up"
        assert result["test"]["ok"]
        [flavor] = result["test"]["hypervisors"][HYPERVISOR]["flavors"]
        assert flavor["ok"] and flavor["flavor"] == "seed.small"
        assert admin_conn.compute.find_server(flavor["server_id"], all_projects=True) is None
        assert service_of(admin_conn, HYPERVISOR).status == "enabled"
        assert result["cleanup"]["silences_expired"] == [silence_id]
        assert len(result["cleanup"]["downtimes_removed"]) == 2
        assert leftovers(am_account, icinga_account, monitored) == {
            "silences": [],
            "downtimes": [],
        }
    code, answer, printed = run_action(config["path"], *post_args(monitored))
    assert code == 0 and answer["result"]["nothing_to_do"], printed


def test_post_reboot_failed_test_keeps_host_disabled_and_silenced(
    config, monitored, in_maintenance, am_account, icinga_account, admin_conn
):
    del in_maintenance
    with maintenance_marks(am_account, icinga_account, monitored) as silence_id:
        code, answer, printed = run_action(
            config["path"], *post_args(monitored, "test_flavors=seed.huge", "test_timeout=60")
        )
        assert code == 1, printed
        report = answer["result"]["report"]
        assert report["test"]["ok"] is False
        assert service_of(admin_conn, HYPERVISOR).status == "disabled"
        left = leftovers(am_account, icinga_account, monitored)
        assert left["silences"] == [silence_id] and len(left["downtimes"]) == 2


def test_post_reboot_keeps_a_failed_test_server_as_configured(
    config, monitored, in_maintenance, am_account, icinga_account, admin_conn, tmp_path
):
    """hypervisor_maintenance.keep_failed_test_server: the failed server stays, named in the
    error; the dry run plans every flavor the host's aggregates allow (test_flavor_choice)."""
    del in_maintenance
    settings = yaml.safe_load(config["path"].read_text(encoding="utf-8"))
    settings["hypervisor_maintenance"] = {
        "test_image": "seed-cirros",
        "test_flavor_choice": "all",
        "keep_failed_test_server": True,
    }
    path = write_config(tmp_path / "keep.yaml", **settings)
    argv = [a for a in post_args(monitored, "test_timeout=60") if not a.startswith("test_image=")]
    dry = [a for a in argv if a != "dry_run=false"] + ["dry_run=true"]
    code, answer, printed = run_action(path, *dry)
    assert code == 0, printed
    planned = answer["result"]
    assert planned["test"]["flavor_choice"] == "all"
    tested = {o["name"] for o in planned["objects"] if o["kind"] == "test server"}
    assert tested == {f"{HYPERVISOR}/{name}" for name in generic_flavors(admin_conn)}
    kept = []
    with maintenance_marks(am_account, icinga_account, monitored):
        try:
            code, answer, printed = run_action(path, *argv, "test_flavors=seed.huge")
            kept = answer["result"]["report"]["test"]["kept_servers"]
            assert code == 1, printed
            (server,) = kept
            assert server["flavor"] == "seed.huge" and server["status"] == "ERROR"
            assert admin_conn.compute.get_server(server["server_id"]).status == "ERROR"
            assert (
                f"kept for debugging: server {server['server_name']} ({server['server_id']}) "
                "on no host, ERROR"
            ) in answer["result"]["error"]
            assert service_of(admin_conn, HYPERVISOR).status == "disabled"
        finally:
            for server in kept:
                found = admin_conn.compute.find_server(server["server_id"], all_projects=True)
                if found is not None:
                    admin_conn.compute.delete_server(found)
                    admin_conn.compute.wait_for_delete(found, wait=120)
