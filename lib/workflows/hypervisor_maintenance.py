"""One step of the hands-off maintenance chain, with the ops report when the host finishes
or stops: the hypervisor.maintenance.step and hypervisor.maintenance.resume actions.

The maintenance rules run a step per state (:data:`STEP_FOR_STATE`): PENDING_MAINTENANCE ->
drain, DRAINED -> patch.reboot, REBOOTED -> post.reboot. Whatever step fails, the host is
held (:func:`hold`): disabled for maintenance, silenced in Alertmanager and, with an Icinga
account, in downtime; ops get one email naming the step, what was done, what failed and how
to continue, and the action fails with the same report. When post.reboot enables the host,
ops get one email that it finished. ``resume`` runs the step of the host's current state
again (after a person fixed the cause), so the chain continues where it stopped: the
sensor only dispatches changes, and a held host no longer changes state.
"""

from __future__ import annotations

import enum
import logging
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from apis import clock
from apis.alertmanager_api.account import AlertmanagerAccount
from apis.email_api.account import SMTPAccount
from apis.email_api.message import OutgoingEmail
from apis.errors import CloudopsError
from apis.icinga_api.account import IcingaAccount
from apis.openstack_api.hypervisor_service import HypervisorServiceError, disable_hypervisor
from apis.openstack_api.hypervisor_state import HypervisorState
from apis.progress import Progress
from apis.ssh_api.account import SSHAccount
from workflows.email_common import Delivery, notification_result, require_address
from workflows.hypervisor_drain import drain_hypervisor
from workflows.host_mute import HostMute, pack_silences
from workflows.hypervisor_patch import DEFAULT_AUTHOR, host_state, patch_reboot
from workflows.hypervisor_post_reboot import own_downtimes, post_reboot
from workflows.maintenance_settings import MaintenanceSettings

LOG = logging.getLogger(__name__)
TEMPLATE = "ops_hypervisor_maintenance"
HOLD_MINUTES = 24 * 60
DRAIN_REASON = "automated drain for maintenance"


class MaintenanceStep(enum.Enum):
    """The chain's steps, each one action."""

    DRAIN = "drain"
    PATCH_REBOOT = "patch.reboot"
    POST_REBOOT = "post.reboot"


STEP_FOR_STATE = {
    HypervisorState.PENDING_MAINTENANCE.value: MaintenanceStep.DRAIN,
    HypervisorState.DRAINED.value: MaintenanceStep.PATCH_REBOOT,
    HypervisorState.REBOOTED.value: MaintenanceStep.POST_REBOOT,
}
NEXT = {
    MaintenanceStep.DRAIN: "patch.reboot once the sensor sees it DRAINED",
    MaintenanceStep.PATCH_REBOOT: "post.reboot once the sensor sees it REBOOTED",
    MaintenanceStep.POST_REBOOT: "nothing: it is back in service",
}


class MaintenanceStepError(HypervisorServiceError):
    """A chain step failed; the host is held and ops were told (see report)."""


def parse_step(step: str) -> MaintenanceStep:
    """The step named ``step``, or a one-line error naming the valid ones."""
    try:
        return MaintenanceStep(step)
    except ValueError:
        valid = ", ".join(s.value for s in MaintenanceStep)
        raise MaintenanceStepError(f"step {step!r} is not a chain step; valid: {valid}") from None


def _done_lines(step: MaintenanceStep, result: Mapping[str, Any]) -> List[str]:
    """What a step's result says it did: its objects done (or failed), one line each."""
    lines = []
    for entry in result.get("objects") or []:
        found = entry if isinstance(entry, dict) else vars(entry)
        outcome = getattr(found.get("outcome"), "value", found.get("outcome"))
        if outcome == "done":
            lines.append(f"{step.value}: {found['change']} {found['kind']} {found['name']}")
    return lines


def hold(
    conn: Any,
    host: str,
    alertmanager_account: AlertmanagerAccount,
    icinga_account: Optional[IcingaAccount],
    why: str,
    operator: Optional[str],
) -> Dict[str, Any]:
    """Keep a stopped host out of service and quiet: disabled for maintenance, a pack silence
    and (with an Icinga account) a pack downtime; each made only when missing. Failures are
    reported, not raised: the ops email must still go out."""
    held: Dict[str, Any] = {"errors": [], "silences": [], "downtimes": []}
    comment = f"maintenance of {host} stopped: {why}"[:500]
    try:
        _, state = host_state(conn, host)
        if state["state"] not in STEP_FOR_STATE and state["state"] != "DRAINING":
            disable_hypervisor(conn, host, comment, operator, dry_run=False)
            held["disabled"] = True
        else:
            held["disabled"] = False
    except CloudopsError as err:
        held["errors"].append(f"disable: {err}")
    mute = HostMute(
        host=host,
        alertmanager_account=alertmanager_account,
        icinga_account=icinga_account,
        comment=comment,
        author=DEFAULT_AUTHOR,
        window={"duration": f"{HOLD_MINUTES}m"},
    )
    try:
        silences = [s["id"] for s in pack_silences(alertmanager_account, host)]
        held["silences"] = silences or [mute.silence("instance")["silence_id"]]
    except CloudopsError as err:
        held["errors"].append(f"silence: {err}")
    if icinga_account is not None:
        try:
            downtimes = own_downtimes(icinga_account, host)
            held["downtimes"] = downtimes or mute.downtime()["downtimes"]
        except CloudopsError as err:
            held["errors"].append(f"downtime: {err}")
    return held


def _email_ops(
    conn: Any,
    delivery: Delivery,
    recipient: str,
    host: str,
    step: MaintenanceStep,
    **details: Any,
) -> Dict[str, Any]:
    """The one email to ops about ``host``: finished (no ``failed``) or stopped at ``step``."""
    variables = {
        "cloud_name": conn.config.name,
        "hypervisor": host,
        "step": step.value,
        "done": [],
        "failed": None,
        "held": None,
        "how_to_continue": None,
        "reported_at": clock.now(),
        **details,
    }
    email = OutgoingEmail.from_template(
        TEMPLATE, delivery.variables(variables), to=recipient, cc=delivery.cc, label=host
    )
    return {"to": recipient, **notification_result(TEMPLATE, delivery.send([email]))}


def _library_errors() -> tuple:
    """openstacksdk's failures: the step's api translates most, not every one."""
    from openstack import exceptions

    return (exceptions.SDKException,)


def _step_runner(step: MaintenanceStep) -> Callable[..., Dict[str, Any]]:
    return {
        MaintenanceStep.DRAIN: drain_hypervisor,
        MaintenanceStep.PATCH_REBOOT: patch_reboot,
        MaintenanceStep.POST_REBOOT: post_reboot,
    }[step]


def step_to_run(conn: Any, hypervisor: str, step: Optional[str]) -> Dict[str, Any]:
    """The step to run (``step``, or the one of the host's current state) and that state."""
    _, state = host_state(conn, hypervisor)
    if step is not None:
        return {"step": parse_step(step), "state": state["state"]}
    found = STEP_FOR_STATE.get(state["state"])
    if found is None:
        raise MaintenanceStepError(
            f"hypervisor {hypervisor!r} is {state['state']}: no chain step to resume "
            f"(resumable states: {', '.join(STEP_FOR_STATE)}); give step to force one"
        )
    return {"step": found, "state": state["state"]}


def maintenance_step(  # pylint: disable=too-many-arguments,too-many-locals
    conn: Any,
    hypervisor: str,
    smtp_account: SMTPAccount,
    alertmanager_account: AlertmanagerAccount,
    ssh_account: SSHAccount,
    step: Optional[str] = None,
    icinga_account: Optional[IcingaAccount] = None,
    operator: Optional[str] = None,
    snapshot_before_migrate: bool = False,
    ops_mailing_list: Optional[str] = None,
    dry_run: bool = True,
    email_footer: Optional[Mapping[str, Any]] = None,
    migration: Optional[Dict[str, Any]] = None,
    hypervisor_maintenance: Optional[Mapping[str, Any]] = None,
    ssh_allowed_scripts: Optional[Sequence[Mapping[str, Any]]] = None,
    icinga_accounts: Optional[Sequence[Mapping[str, Any]]] = None,
) -> Dict[str, Any]:
    """Run one chain step on ``hypervisor`` (without ``step``: the one of its current state,
    how an operator resumes); on failure hold the host and email ops; when post.reboot brings
    it back, email ops that it finished (see module doc)."""
    picked = step_to_run(conn, hypervisor, step)
    chosen = picked["step"]
    recipient = require_address("ops_mailing_list", ops_mailing_list)
    site = MaintenanceSettings.from_config(hypervisor_maintenance)
    icinga = site.icinga(icinga_account, icinga_accounts)
    delivery = Delivery(smtp_account=smtp_account, dry_run=dry_run, email_footer=email_footer)
    common = {"operator": operator, "dry_run": dry_run}
    arguments = {
        MaintenanceStep.DRAIN: {
            "reason": DRAIN_REASON,
            "migration": migration,
            "snapshot_before_migrate": snapshot_before_migrate,
        },
        MaintenanceStep.PATCH_REBOOT: {
            "ssh_account": ssh_account,
            "alertmanager_account": alertmanager_account,
            "icinga_account": icinga,
            "ssh_allowed_scripts": ssh_allowed_scripts,
            "hypervisor_maintenance": hypervisor_maintenance,
            "keep_silence_on_failure": True,
        },
        MaintenanceStep.POST_REBOOT: {
            "alertmanager_account": alertmanager_account,
            "icinga_account": icinga,
            "hypervisor_maintenance": hypervisor_maintenance,
        },
    }[chosen]
    progress = Progress(f"maintenance {hypervisor}", 1, LOG)
    progress.note("%s: step %s", picked["state"], chosen.value)
    try:
        result = _step_runner(chosen)(conn, hypervisor, **arguments, **common)
    except Exception as err:  # pylint: disable=broad-exception-caught
        # any failure holds the host; a bug still surfaces as itself after the email
        if dry_run:
            raise
        report = getattr(err, "report", None) or {}
        progress.step("%s failed: %s", chosen.value, err)
        held = hold(conn, hypervisor, alertmanager_account, icinga, str(err), operator)
        how = (
            f"fix the cause, then run cloudops.hypervisor.maintenance.resume "
            f"cloud_account={conn.config.name} hypervisor={hypervisor} dry_run=false: it runs "
            f"the step of the host's state again and the rules carry on from there"
        )
        emailed = _email_ops(
            conn,
            delivery,
            recipient,
            hypervisor,
            chosen,
            done=_done_lines(chosen, report),
            failed=f"{type(err).__name__}: {err}",
            held=held,
            how_to_continue=how,
        )
        if not isinstance(err, (CloudopsError, *_library_errors())):
            raise
        raise MaintenanceStepError(
            f"maintenance of {hypervisor} stopped at step {chosen.value}: {err}; "
            f"the host stays disabled and silenced, ops were emailed; {how}",
            report={
                "hypervisor": hypervisor,
                "step": chosen.value,
                "step_report": report,
                "held": held,
                "ops_email": emailed,
            },
        ) from err
    progress.step("%s done; next: %s", chosen.value, NEXT[chosen])
    outcome: Dict[str, Any] = {
        "hypervisor": hypervisor,
        "step": chosen.value,
        "state": picked["state"],
        "dry_run": dry_run,
        "changed": bool(result.get("changed")),
        "objects": result.get("objects", []),
        "step_result": result,
        "next": NEXT[chosen],
        "ops_email": None,
    }
    if chosen is MaintenanceStep.POST_REBOOT and not result.get("nothing_to_do"):
        outcome["ops_email"] = _email_ops(
            conn,
            delivery,
            recipient,
            hypervisor,
            chosen,
            done=["drain, patch.reboot: done earlier", *_done_lines(chosen, result)],
        )
    return outcome
