"""Bring a patched hypervisor back: the hypervisor.post.reboot action.

1. Wait until its nova-compute service reports ``up``. With ``rebooted_after`` (e.g. the
   ``reboot_requested_at`` of patch.reboot) it also waits for a service heartbeat
   (``updated_at``) newer than that time and, when the hypervisor reports an uptime, for a
   boot time after it. Without an uptime (nova's fake driver, some libvirt versions) a host
   that has not rebooted yet cannot be told from one that has: run this after the reboot.
2. Boot a test server on it (``workflows.hypervisor_test_server.test_servers``): the given
   flavors, else those its aggregates allow; one of them at random unless ``flavor_choice``
   is ``all``; a failed one is kept for debugging with ``keep_failed``.
3. Enable its compute service (only from ``disabled``).
4. Expire the silences this pack made for it and remove this pack's Icinga downtimes of it.

A failed test leaves the host disabled and the silence in place and fails with the report.
An enabled host is not waited for, tested or enabled again: only leftover silences and
downtimes are removed, and with none the result says there is nothing to do.
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence

from apis import clock
from apis.alertmanager_api.account import AlertmanagerAccount
from apis.alertmanager_api.silences import remove_silences
from apis.errors import CloudopsError
from apis.icinga_api.account import IcingaAccount
from apis.icinga_api.client import IcingaClient
from apis.icinga_api.downtimes import list_own_downtimes, remove_downtimes
from apis.openstack_api.hypervisor_facts import parse_uptime
from apis.openstack_api.hypervisor_service import (
    HypervisorServiceError,
    enable_hypervisor,
    find_compute_service,
)
from apis.openstack_api.hypervisor_state import for_maintenance
from apis.progress import Progress
from apis.results import ChangeResult, ObjectOutcome, Outcome
from workflows import hypervisor_test_server as test_server
from workflows.host_mute import pack_silences
from workflows.maintenance_settings import MaintenanceSettings

LOG = logging.getLogger(__name__)
POST_REBOOT_STEPS = ("wait", "test", "enable", "clean up")


class PostRebootError(HypervisorServiceError):
    """The host did not come back, failed its test, or could not be cleaned up (see report)."""


def service_check(conn: Any, hypervisor: str, since: Optional[datetime.datetime]) -> Dict:
    """What the service and hypervisor say now, and whether the host counts as back."""
    service = find_compute_service(conn, hypervisor)
    heartbeat = clock.parse(service.updated_at, "updated_at") if service.updated_at else None
    uptime = None
    for found in conn.compute.hypervisors(details=True):
        if found.name in (hypervisor, service.host):
            uptime = parse_uptime(found.uptime)
    now = clock.now()
    booted = now - datetime.timedelta(seconds=uptime) if uptime is not None else None
    back = service.state == "up"
    if since is not None:
        back = back and heartbeat is not None and heartbeat > since
        back = back and (booted is None or booted > since)
    return {
        "state": service.state,
        "status": service.status,
        "disabled_reason": service.disabled_reason,
        "updated_at": heartbeat.isoformat() if heartbeat else None,
        "booted_at": booted.isoformat() if booted else None,
        "back": back,
    }


def wait_until_back(
    conn: Any,
    hypervisor: str,
    since: Optional[datetime.datetime],
    timeout: float,
    poll_seconds: float,
    progress: Optional[Progress] = None,
) -> Dict[str, Any]:
    """Poll until :func:`service_check` says the host is back; the last check either way.
    With ``progress``, a line for each poll that finds it not back yet."""
    deadline = time.monotonic() + timeout
    while True:
        check = service_check(conn, hypervisor, since)
        if check["back"] or time.monotonic() >= deadline:
            return check
        if progress is not None:
            progress.note(
                "not back yet: service %s, heartbeat %s, booted %s",
                check["state"],
                check["updated_at"],
                check["booted_at"],
            )
        time.sleep(poll_seconds)


def own_downtimes(icinga_account: Optional[IcingaAccount], host: str) -> List[str]:
    """Names of this pack's downtimes of ``host`` (none without an account)."""
    if icinga_account is None:
        return []
    with IcingaClient(icinga_account) as client:
        return [d.name for d in list_own_downtimes(client, host)]


def clean_up(
    alertmanager_account: AlertmanagerAccount,
    icinga_account: Optional[IcingaAccount],
    host: str,
    silences: List[Dict[str, Any]],
    downtimes: List[str],
) -> Dict[str, Any]:
    """Expire ``silences`` and remove this pack's downtimes of ``host``; failures reported."""
    done: Dict[str, Any] = {"silences_expired": [], "downtimes_removed": [], "errors": []}
    if silences:
        try:
            ids = [s["id"] for s in silences]
            remove_silences(alertmanager_account, silence_ids=ids, dry_run=False)
            done["silences_expired"] = ids
        except CloudopsError as err:
            done["errors"].append(f"expiring silences: {type(err).__name__}: {err}")
    if downtimes:
        try:
            removed = remove_downtimes(icinga_account, host, dry_run=False).downtimes
            done["downtimes_removed"] = [d["name"] for d in removed]
        except CloudopsError as err:
            done["errors"].append(f"removing downtimes: {type(err).__name__}: {err}")
    return done


def post_reboot(  # pylint: disable=too-many-arguments,too-many-locals
    conn: Any,
    hypervisor: str,
    alertmanager_account: AlertmanagerAccount,
    test_image: Optional[str] = None,
    icinga_account: Optional[IcingaAccount] = None,
    test_flavors: Optional[List[str]] = None,
    flavor_choice: Optional[str] = None,
    flavor_seed: Optional[int] = None,
    keep_failed: Optional[bool] = None,
    network: Optional[str] = None,
    monitored_host: Optional[str] = None,
    rebooted_after: Optional[str] = None,
    boot_timeout_minutes: float = 20,
    poll_seconds: float = 15,
    test_timeout: float = 300,
    operator: Optional[str] = None,
    dry_run: bool = True,
    hypervisor_maintenance: Optional[Mapping[str, Any]] = None,
    icinga_accounts: Optional[Sequence[Mapping[str, Any]]] = None,
) -> Dict[str, Any]:
    """Wait for a rebooted hypervisor, test it, enable it and lift its silence and downtime.

    Test image, flavors, flavor choice, keep_failed, network and Icinga account not given come
    from the pack config's ``hypervisor_maintenance`` (how the maintenance rules run it).
    """
    site = MaintenanceSettings.from_config(hypervisor_maintenance)
    test_image = site.pick("test_image", test_image)
    test_flavors = test_flavors if test_flavors is not None else list(site.test_flavors) or None
    choice = test_server.FlavorChoice.parse(
        site.pick("test_flavor_choice", flavor_choice),
        (
            "flavor_choice"
            if flavor_choice is not None
            else "hypervisor_maintenance.test_flavor_choice"
        ),
    )
    test_settings = {
        "flavors": test_flavors,
        "flavor_choice": choice.value,
        "flavor_seed": flavor_seed,
        "network": network if network is not None else site.network,
        "wait_seconds": test_timeout,
        "keep_failed": site.pick("keep_failed_test_server", keep_failed),
        "flavors_parameter": "test_flavors",
    }
    icinga_account = site.icinga(icinga_account, icinga_accounts)
    try:
        since = clock.parse(rebooted_after, "rebooted_after") if rebooted_after else None
    except ValueError as err:
        raise PostRebootError(str(err)) from None
    service = find_compute_service(conn, hypervisor)
    host = service.host
    watched = monitored_host or host
    silences = pack_silences(alertmanager_account, watched)
    downtimes = own_downtimes(icinga_account, watched)
    report: Dict[str, Any] = {
        "dry_run": dry_run,
        "hypervisor": host,
        "operator": operator,
        "status": service.status,
        "silences": [s["id"] for s in silences],
        "downtimes": downtimes,
    }
    if service.status == "enabled":
        report["nothing_to_do"] = not (silences or downtimes)
        if dry_run or report["nothing_to_do"]:
            return _with_objects(report)
        progress = Progress(f"post.reboot {host}", 1, LOG)
        return _finish(
            report,
            clean_up(alertmanager_account, icinga_account, watched, silences, downtimes),
            progress,
        )
    if not for_maintenance(service.disabled_reason):
        raise PostRebootError(
            f"hypervisor {host!r} is disabled for another reason ({service.disabled_reason!r}), "
            "not for maintenance; enable it with hypervisor.service.enable if that is intended"
        )
    if dry_run:
        report["would_run"] = list(POST_REBOOT_STEPS)
        report["test"] = test_server.test_servers(
            conn, [host], test_image, dry_run=True, **test_settings
        )
        return _with_objects(report)
    progress = Progress(f"post.reboot {host}", len(POST_REBOOT_STEPS), LOG)
    progress.note("waiting up to %g minutes for it to come back", boot_timeout_minutes)
    report["wait"] = wait_until_back(
        conn,
        hypervisor,
        since,
        float(boot_timeout_minutes) * 60,
        float(poll_seconds),
        progress,
    )
    progress.step(
        "wait: %s (service %s)",
        "back" if report["wait"]["back"] else "not back",
        report["wait"]["state"],
    )
    if not report["wait"]["back"]:
        raise PostRebootError(
            f"hypervisor {host!r} did not come back within {boot_timeout_minutes:g} minutes "
            f"(service {report['wait']['state']}); left disabled, silence kept",
            report=report,
        )
    try:
        report["test"] = test_server.test_servers(conn, [host], test_image, **test_settings)
    except CloudopsError as err:
        report["test"] = {"ok": False, "error": str(err), "error_type": type(err).__name__}
    progress.step("test: %s", "ok" if report["test"]["ok"] else "failed")
    if not report["test"]["ok"]:
        kept = "".join(
            f"; {test_server.kept_note(entry)}"
            for entry in report["test"].get("hypervisors", {}).get(host, {}).get("flavors", [])
            if entry.get("kept")
        )
        raise PostRebootError(
            f"hypervisor {host!r}: the test server check failed; left disabled, silence kept"
            f"{kept} (see report)",
            report=report,
        )
    report["enable"] = enable_hypervisor(conn, host, expected_status="disabled", dry_run=False)
    progress.step("enable: %s", report["enable"].get("status"))
    return _finish(
        report,
        clean_up(alertmanager_account, icinga_account, watched, silences, downtimes),
        progress,
    )


def _with_objects(report: Dict[str, Any]) -> Dict[str, Any]:
    """``report`` with the change result: the test boot and the enabling (unless the host was
    enabled already), then every pack silence expired and pack downtime removed."""
    host, cleanup = report["hypervisor"], report.get("cleanup")
    objects = []
    if report["status"] == "enabled":
        objects.append(
            ObjectOutcome("hypervisor", host, Outcome.UNCHANGED, "enable", "already enabled")
        )
    else:
        objects.extend(_test_objects(report))
        objects.append(ObjectOutcome("hypervisor", host, Outcome.DONE, "enable"))
    for kind, names, done_key, change in (
        ("silence", report["silences"], "silences_expired", "expire"),
        ("downtime", report["downtimes"], "downtimes_removed", "remove"),
    ):
        for name in names:
            failed = cleanup is not None and name not in cleanup[done_key]
            outcome, why = (
                (Outcome.FAILED, "; ".join(cleanup["errors"]))
                if failed
                else (
                    Outcome.DONE,
                    "",
                )
            )
            objects.append(ObjectOutcome(kind, name, outcome, change, why, name))
    report.update(vars(ChangeResult(dry_run=report["dry_run"], objects=objects)))
    return report


def _test_objects(report: Dict[str, Any]) -> List[ObjectOutcome]:
    """One boot (or, in a dry run, planned boot) per flavor of the test."""
    host = report["hypervisor"]
    return [
        test_server.boot_outcome(host, entry)
        for entry in report["test"]["hypervisors"][host]["flavors"]
    ]


def _finish(report: Dict[str, Any], cleanup: Dict[str, Any], progress: Progress) -> Dict[str, Any]:
    report["cleanup"] = cleanup
    progress.step(
        "clean up: %d silence(s) expired, %d downtime(s) removed%s",
        len(cleanup["silences_expired"]),
        len(cleanup["downtimes_removed"]),
        f"; errors: {'; '.join(cleanup['errors'])}" if cleanup["errors"] else "",
    )
    _with_objects(report)
    if cleanup["errors"]:
        raise PostRebootError(
            f"hypervisor {report['hypervisor']!r}: clean-up failed: {'; '.join(cleanup['errors'])}",
            report=report,
        )
    return report
