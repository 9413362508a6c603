"""Take a hypervisor's compute service out of scheduling and back, saying who, why and when."""

from __future__ import annotations

import difflib
from typing import Any, Dict, Optional

from apis import clock
from apis.openstack_api.exceptions import OpenStackApiError
from apis.openstack_api.hypervisor_state import MAINTENANCE_TAG
from apis.results import ObjectOutcome, Outcome, one_object_result

STATUSES = ("enabled", "disabled")


class HypervisorServiceError(OpenStackApiError):
    """The hypervisor or its compute service is not in a state the action can work from."""


def find_compute_service(conn, hypervisor: str):
    """The nova-compute service of a hypervisor (by host or hypervisor name)."""
    services = list(conn.compute.services(binary="nova-compute"))
    for service in services:
        if service.host == hypervisor:
            return service
    names = {hv.name: (hv.service_details or {}).get("host") for hv in conn.compute.hypervisors()}
    if names.get(hypervisor):
        return find_compute_service(conn, names[hypervisor])
    hint = difflib.get_close_matches(hypervisor, [s.host for s in services], n=1)
    raise HypervisorServiceError(
        f"hypervisor {hypervisor!r} has no nova-compute service; hosts: "
        f"{', '.join(sorted(s.host for s in services))}"
        + (f". Did you mean {hint[0]!r}?" if hint else "")
    )


def _check_expected(service, expected_status: Optional[str]) -> None:
    if expected_status is None:
        return
    if expected_status not in STATUSES:
        raise HypervisorServiceError(
            f"expected_status {expected_status!r} is not one of: {', '.join(STATUSES)}"
        )
    if service.status != expected_status:
        raise HypervisorServiceError(
            f"{service.host} is {service.status}"
            + (f" ({service.disabled_reason})" if service.disabled_reason else "")
            + f", not {expected_status} as expected; nothing changed"
        )


def maintenance_reason(reason: str, operator: Optional[str], maintenance: bool) -> str:
    """``[maintenance] kernel update (by alice, 2026-11-25T10:00Z)``."""
    when = clock.now().strftime("%Y-%m-%dT%H:%MZ")
    who = f"by {operator}, " if operator else ""
    return f"{MAINTENANCE_TAG + ' ' if maintenance else ''}{reason} ({who}{when})"


def disable_hypervisor(
    conn: Any,
    hypervisor: str,
    reason: str,
    operator: Optional[str] = None,
    maintenance: bool = True,
    expected_status: Optional[str] = None,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Stop scheduling onto a hypervisor; running servers stay where they are."""
    if not reason or not reason.strip():
        raise HypervisorServiceError("reason must say why the hypervisor is disabled")
    service = find_compute_service(conn, hypervisor)
    _check_expected(service, expected_status)
    text = maintenance_reason(reason.strip(), operator, maintenance)
    before = _before(service)
    if not dry_run:
        conn.compute.disable_service(service, disabled_reason=text)
    disabled = ObjectOutcome("hypervisor", service.host, Outcome.DONE, "disable", id=service.id)
    return _service_result(dry_run, disabled, before, "disabled", text)


def _service_result(
    dry_run: bool, changed: ObjectOutcome, before: Dict[str, Any], status: str, reason: Any
) -> Dict[str, Any]:
    return one_object_result(dry_run, changed, **before, status=status, reason=reason)


def _before(service: Any) -> Dict[str, Any]:
    """The hypervisor and its state before the action."""
    return {
        "hypervisor": service.host,
        "previous_status": service.status,
        "previous_reason": service.disabled_reason,
    }


def enable_hypervisor(
    conn: Any,
    hypervisor: str,
    expected_status: Optional[str] = None,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Let the scheduler place servers on a hypervisor again."""
    service = find_compute_service(conn, hypervisor)
    _check_expected(service, expected_status)
    before = _before(service)
    if service.status == "enabled":
        outcome, why = Outcome.UNCHANGED, "already enabled"
    else:
        outcome, why = Outcome.DONE, ""
        if not dry_run:
            conn.compute.enable_service(service)
    enabled = ObjectOutcome("hypervisor", service.host, outcome, "enable", why, service.id)
    return _service_result(dry_run, enabled, before, "enabled", None)
