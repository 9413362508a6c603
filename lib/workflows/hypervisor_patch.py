"""Patch and reboot a drained hypervisor: the hypervisor.patch.reboot action.

The work is a tiny saga, an explicit list of steps run in order: silence the host in
Alertmanager, schedule an Icinga downtime for it and its services (both from
``workflows.host_mute``; the downtime skipped without an Icinga account), run the patch
script, run the reboot script. When a step fails, the steps already done are undone in
reverse (the silence expired, the downtime removed; a patch cannot be undone and says so)
and the action fails with a report of every step and every rollback.

Only a host disabled for maintenance (``[maintenance]`` reason) with no servers is patched:
state DRAINED, or REBOOTED (drained and booted recently, e.g. a second patch round). With
``require_empty=false`` a host disabled for maintenance that still holds servers
(PENDING_MAINTENANCE) is accepted too; they go down with the reboot. Every other state
(RUNNING and EMPTY: still scheduled; DISABLED: disabled by someone else for another reason;
DRAINING: migrations running; DOWN, UNKNOWN) is refused.

The reboot script is expected to schedule the reboot (e.g. ``shutdown -r +1``) and exit 0.
If the SSH connection drops while it runs (the channel closes without an exit status) the
host is taken to be rebooting and the step counts as done.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from apis import clock
from apis.alertmanager_api.account import AlertmanagerAccount
from apis.icinga_api.account import IcingaAccount
from apis.openstack_api.hypervisor_facts import collect_facts
from apis.openstack_api.hypervisor_service import HypervisorServiceError, find_compute_service
from apis.openstack_api.hypervisor_state import HypervisorState, compute_state
from apis.progress import Progress
from apis.ssh_api.account import SSHAccount
from apis.ssh_api.client import exec_command
from apis.ssh_api.exceptions import SSHCommandError
from apis.ssh_api.remote_command import AllowedScript, allowed_script
from apis.results import ChangeResult, ObjectOutcome, Outcome
from apis.rollback import FAILED, Step, StepResult, error_of, run_saga
from workflows.host_mute import HostMute
from workflows.maintenance_settings import MaintenanceSettings

LOG = logging.getLogger(__name__)

DEFAULT_AUTHOR = "cloudops"
NO_EXIT_STATUS = -1
TAIL = 2000
PATCHABLE = {
    True: (HypervisorState.DRAINED, HypervisorState.REBOOTED),
    False: (
        HypervisorState.DRAINED,
        HypervisorState.REBOOTED,
        HypervisorState.PENDING_MAINTENANCE,
    ),
}


class PatchRebootError(HypervisorServiceError):
    """The host may not be patched, or a step failed (the report says what was rolled back)."""


_STEP_OUTCOMES = {
    "done": (Outcome.DONE, ""),
    "failed": (Outcome.FAILED, ""),
    "not run": (Outcome.SKIPPED, "an earlier step failed (rolled back)"),
}


def step_results(dry_run: bool, host: str, steps: List[Dict[str, Any]]) -> ChangeResult:
    """One object per saga step of ``host``: done, failed (with its error) or not run."""
    objects = []
    for entry in steps:
        outcome, reason = _STEP_OUTCOMES[entry["outcome"]]
        reason = entry.get("error") or reason
        objects.append(ObjectOutcome(f"{entry['step']} step", host, outcome, entry["step"], reason))
    return ChangeResult(dry_run=dry_run, objects=objects)


def failure(err: BaseException) -> Dict[str, Any]:
    """The error of a failed step, with the output tail of a failed remote script."""
    found = error_of(err)
    for stream in ("stdout", "stderr"):
        if getattr(err, stream, None) is not None:
            found[f"{stream}_tail"] = getattr(err, stream)[-TAIL:]
    if getattr(err, "exit_status", None) is not None:
        found["exit_status"] = err.exit_status
    return found


def host_state(conn: Any, hypervisor: str) -> Tuple[str, Dict[str, Any]]:
    """The compute host name and the hypervisor's state with the facts behind it."""
    service = find_compute_service(conn, hypervisor)
    facts = [
        f for f in collect_facts(conn, host=service.host) if f.name in (hypervisor, service.host)
    ]
    if not facts:
        return service.host, {"state": HypervisorState.UNKNOWN.value}
    return service.host, {
        "state": compute_state(facts[0]).value,
        "status": facts[0].service_status,
        "disabled_reason": facts[0].disabled_reason,
        "servers": facts[0].running_vms,
    }


def check_patchable(hypervisor: str, state: Mapping[str, Any], require_empty: bool) -> None:
    """Refuse a host that is not disabled for maintenance (and empty unless overridden)."""
    allowed = [s.value for s in PATCHABLE[bool(require_empty)]]
    if state["state"] in allowed:
        return
    raise PatchRebootError(
        f"hypervisor {hypervisor!r} is {state['state']} "
        f"(status {state.get('status')}, reason {state.get('disabled_reason')!r}, "
        f"servers {state.get('servers')}); patch.reboot needs one of: {', '.join(allowed)}"
        + ("" if not require_empty else " (require_empty=false also accepts PENDING_MAINTENANCE)")
        + "; disable and drain it first"
    )


def script_output(result: Any) -> StepResult:
    """A finished script's command, exit status and output tails."""
    return {
        "command": result.command,
        "exit_status": result.exit_status,
        "stdout_tail": result.stdout[-TAIL:],
        "stderr_tail": result.stderr[-TAIL:],
    }


@dataclasses.dataclass(frozen=True)
class PatchPlan:  # pylint: disable=too-many-instance-attributes
    """Everything the steps need, resolved and checked before any of them runs."""

    mute: HostMute
    ssh_host: str
    ssh_account: SSHAccount
    patch: AllowedScript
    patch_args: Tuple[str, ...]
    reboot: AllowedScript
    patch_timeout: float

    def run_patch(self) -> StepResult:
        """Run the patch script and wait for it."""
        return script_output(
            exec_command(
                self.ssh_account,
                self.ssh_host,
                self.patch.path,
                self.patch_args,
                timeout=self.patch_timeout,
            )
        )

    def run_reboot(self) -> StepResult:
        """Run the reboot script; a connection dropped under it counts as rebooting."""
        requested = clock.now().isoformat()
        try:
            output = script_output(exec_command(self.ssh_account, self.ssh_host, self.reboot.path))
        except SSHCommandError as err:
            if err.exit_status != NO_EXIT_STATUS:
                raise
            output = {
                "command": self.reboot.path,
                "exit_status": None,
                "connection_dropped": True,
                "stdout_tail": err.stdout[-TAIL:],
                "stderr_tail": err.stderr[-TAIL:],
            }
        return {"reboot_requested_at": requested, **output}

    def steps(self, keep_mute: bool = False) -> List[Step]:
        """The saga: silence, downtime (with an Icinga account), patch, reboot; with
        ``keep_mute`` a failure leaves the silence and downtime in place."""
        steps = self.mute.steps(keep=keep_mute)
        steps.append(Step("patch", self.run_patch))
        steps.append(Step("reboot", self.run_reboot))
        return steps


def patch_reboot(  # pylint: disable=too-many-arguments,too-many-locals
    conn: Any,
    hypervisor: str,
    ssh_account: SSHAccount,
    alertmanager_account: AlertmanagerAccount,
    patch_script: Optional[str] = None,
    reboot_script: Optional[str] = None,
    comment: Optional[str] = None,
    icinga_account: Optional[IcingaAccount] = None,
    patch_args: Optional[Sequence[str]] = None,
    duration_minutes: int = 120,
    operator: Optional[str] = None,
    require_empty: bool = True,
    ssh_host: Optional[str] = None,
    monitored_host: Optional[str] = None,
    patch_timeout_minutes: float = 60,
    dry_run: bool = True,
    ssh_allowed_scripts: Optional[Sequence[Mapping[str, Any]]] = None,
    hypervisor_maintenance: Optional[Mapping[str, Any]] = None,
    icinga_accounts: Optional[Sequence[Mapping[str, Any]]] = None,
    keep_silence_on_failure: bool = False,
) -> Dict[str, Any]:
    """Silence, downtime, patch and reboot a drained hypervisor; roll back on any failure
    (the silence and downtime stay with ``keep_silence_on_failure``, as the maintenance chain
    wants: the host stays silenced until a person or a re-run finishes the job).

    Scripts, arguments, comment and Icinga account not given come from the pack config's
    ``hypervisor_maintenance`` (how the maintenance rules run it).
    """
    site = MaintenanceSettings.from_config(hypervisor_maintenance)
    patch_script = site.pick("patch_script", patch_script)
    reboot_script = site.pick("reboot_script", reboot_script)
    comment = site.pick("comment", comment)
    patch_args = patch_args if patch_args is not None else site.patch_args
    icinga_account = site.icinga(icinga_account, icinga_accounts)
    if not str(comment or "").strip():
        raise PatchRebootError("comment: say why the host is patched (a ticket key, a CVE)")
    if int(duration_minutes) <= 0:
        raise PatchRebootError(f"duration_minutes {duration_minutes!r} must be positive")
    patch = allowed_script(patch_script, ssh_allowed_scripts)
    reboot = allowed_script(reboot_script, ssh_allowed_scripts)
    host, state = host_state(conn, hypervisor)
    check_patchable(hypervisor, state, require_empty)
    plan = PatchPlan(
        mute=HostMute(
            host=monitored_host or host,
            alertmanager_account=alertmanager_account,
            icinga_account=icinga_account,
            comment=f"{comment.strip()} (patch.reboot of {host}"
            + (f" by {operator})" if operator else ")"),
            author=f"{DEFAULT_AUTHOR}/{operator}" if operator else DEFAULT_AUTHOR,
            window={"duration": f"{int(duration_minutes)}m"},
        ),
        ssh_host=site.ssh_address(host, ssh_host),
        ssh_account=ssh_account,
        patch=patch,
        patch_args=tuple(str(arg) for arg in patch_args or ()),
        reboot=reboot,
        patch_timeout=float(patch_timeout_minutes) * 60,
    )
    steps = plan.steps(keep_mute=keep_silence_on_failure)
    summary = {
        "dry_run": dry_run,
        "hypervisor": host,
        "state": state,
        "monitored_host": plan.mute.host,
        "ssh_host": plan.ssh_host,
    }
    if dry_run:
        planned = [{"step": step.name, "outcome": "done"} for step in steps]
        return {
            **summary,
            **vars(step_results(True, host, planned)),
            "would_run": [step.name for step in steps],
        }
    ok, report = run_saga(steps, failure, Progress(f"patch.reboot {host}", len(steps), LOG))
    summary.update(vars(step_results(False, host, report["steps"])))
    if not ok:
        stuck = [r["step"] for r in report["rollback"] if r["outcome"] == FAILED]
        (failed,) = [s for s in report["steps"] if s["outcome"] == "failed"]
        raise PatchRebootError(
            f"patch.reboot of {host}: step {report['failed_step']!r} failed: "
            f"{failed.get('error', 'see report')}; "
            + (
                f"rolling back {', '.join(stuck)} failed too, undo it by hand"
                if stuck
                else (
                    "the silence and downtime are kept"
                    if keep_silence_on_failure
                    else "the steps done before it were rolled back"
                )
            )
            + " (see report)",
            report={**summary, **report},
        )
    by_step = {entry["step"]: entry for entry in report["steps"]}
    return {
        **summary,
        "silence_id": by_step["silence"]["silence_id"],
        "downtimes": by_step.get("downtime", {}).get("downtimes", []),
        "patch": by_step["patch"],
        "reboot": by_step["reboot"],
        "reboot_requested_at": by_step["reboot"]["reboot_requested_at"],
        "steps": report["steps"],
    }
