"""Allocate floating IPs to a project and release them (floating.ip.allocate / .release)."""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, List, Optional, Sequence, Tuple

from apis.openstack_api.identity.exceptions import InvalidParameterError, openstack_errors
from apis.openstack_api.networks import (
    Change,
    ChangeRefusedError,
    Plan,
    Ref,
    ResourceConflictError,
    Verb,
    find_external_network,
    find_project,
    get_or_none,
    project_ref,
)


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _fip_ref(fip: Any, existed: bool) -> Ref:
    return Ref(id=fip.id, name=fip.floating_ip_address, existed=existed)


def allocate_floating_ips(
    conn: Any,
    plan: Plan,
    project: Any,
    network: Any,
    count: Optional[int] = None,
    addresses: Sequence[str] = (),
) -> List[Tuple[Any, bool]]:
    """The project's floating IPs on ``network``: each of ``addresses``, and at least ``count``.

    Existing ones are kept (and count); returns ``(floating IP or None in a dry run, existed)``.
    """
    found: List[Tuple[Any, bool]] = []
    for address in addresses:
        if not _is_address(address):
            raise InvalidParameterError(f"addresses: {address!r} is not an IP address")
        current = next(iter(conn.network.ips(floating_ip_address=address)), None)
        if current is None:
            attrs = {
                "floating_network_id": network.id,
                "project_id": project.id,
                "floating_ip_address": address,
            }
            created = plan.apply(
                Change(Verb.CREATE, "floating IP", address, details=dict(attrs)),
                lambda attrs=attrs: conn.network.create_ip(**attrs),
            )
            found.append((created, False))
        elif current.project_id != project.id or current.floating_network_id != network.id:
            raise ResourceConflictError(
                f"addresses: floating IP {address} already belongs to project "
                f"{current.project_id} on network {current.floating_network_id}"
            )
        else:
            found.append((current, True))
    if count is not None:
        if count < 1:
            raise InvalidParameterError(f"count must be at least 1, not {count}")
        held = list(conn.network.ips(project_id=project.id, floating_network_id=network.id))
        known = {fip.id for fip, _ in found if fip is not None}
        pending = sum(1 for fip, _ in found if fip is None)
        found += [(fip, True) for fip in held if fip.id not in known]
        attrs = {"floating_network_id": network.id, "project_id": project.id}
        for number in range(len(held) + pending, count):
            created = plan.apply(
                Change(Verb.CREATE, "floating IP", f"#{number + 1} of {count}", details=attrs),
                lambda: conn.network.create_ip(**attrs),
            )
            found.append((created, False))
    return found


def floating_ip_allocate(
    conn: Any,
    project: str,
    project_domain: Optional[str] = None,
    external_network: Optional[str] = None,
    count: Optional[int] = None,
    addresses: Optional[List[str]] = None,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Allocate floating IPs to a project: given addresses, and/or until it holds ``count``."""
    if count is None and not addresses:
        raise InvalidParameterError("give count, addresses or both")
    with openstack_errors("floating.ip.allocate"):
        owner = find_project(conn, project, project_domain)
        network = find_external_network(conn, external_network, "external_network")
        plan = Plan(dry_run)
        found = allocate_floating_ips(conn, plan, owner, network, count, addresses or ())
        return plan.report(
            project=project_ref(conn, owner),
            external_network=Ref(network.id, network.name, True),
            floating_ips=[_fip_ref(fip, existed) for fip, existed in found if fip is not None],
        )


def _lookup(conn: Any, value: str) -> Any:
    if _is_address(value):
        return next(iter(conn.network.ips(floating_ip_address=value)), None)
    return get_or_none(conn.network.get_ip, value)


def floating_ip_release(
    conn: Any,
    floating_ips: List[str],
    project: Optional[str] = None,
    project_domain: Optional[str] = None,
    force: bool = False,
    protected_projects: Optional[List[str]] = None,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Release floating IPs (addresses or ids); nothing is released unless all may be.

    Refuses IPs of another project than ``project``, of a protected project, and attached
    ones unless ``force``. IPs that do not exist are reported as already released.
    """
    if not floating_ips:
        raise InvalidParameterError("floating_ips is empty; give addresses or ids")
    protected = set(protected_projects or ())
    with openstack_errors("floating.ip.release"):
        owner = find_project(conn, project, project_domain) if project else None
        found, absent, refusals = [], [], []
        names: Dict[str, Optional[str]] = {}
        for value in dict.fromkeys(floating_ips):
            fip = _lookup(conn, value)
            if fip is None:
                absent.append(value)
                continue
            found.append(fip)
            if fip.project_id not in names:
                holder = get_or_none(conn.identity.get_project, fip.project_id)
                names[fip.project_id] = holder.name if holder else None
            label = f"{fip.floating_ip_address} (project {names[fip.project_id] or fip.project_id})"
            if owner is not None and fip.project_id != owner.id:
                refusals.append(f"{label} does not belong to project {owner.name}")
            if {fip.project_id, names[fip.project_id]} & protected:
                refusals.append(f"{label} belongs to a protected project")
            if fip.port_id and not force:
                refusals.append(f"{label} is attached to port {fip.port_id} (use force)")
        if refusals:
            raise ChangeRefusedError("floating.ip.release refused: " + "; ".join(refusals))
        plan = Plan(dry_run)
        for fip in found:
            plan.apply(
                Change(
                    Verb.DELETE,
                    "floating IP",
                    fip.floating_ip_address,
                    fip.id,
                    {"project_id": fip.project_id, "port_id": fip.port_id},
                ),
                lambda fip=fip: conn.network.delete_ip(fip),
            )
        return plan.report(
            project=project_ref(conn, owner) if owner else None,
            floating_ips=[_fip_ref(fip, True) for fip in found],
            absent=absent,
        )
