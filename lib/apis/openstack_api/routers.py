"""Routers with an external gateway and subnet interfaces (router.create)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from apis.openstack_api.identity.exceptions import AmbiguousNameError, openstack_errors
from apis.openstack_api.networks import (
    Change,
    Plan,
    Ref,
    ResourceConflictError,
    Verb,
    find_external_network,
    find_project,
    find_subnet,
    project_ref,
    ref,
)

INTERFACE_OWNER = "network:router_interface"


def attached_subnet_ids(conn: Any, router: Any) -> set:
    """Ids of the subnets the router has interfaces on."""
    ports = conn.network.ports(device_id=router.id, device_owner=INTERFACE_OWNER)
    return {ip["subnet_id"] for port in ports for ip in port.fixed_ips or []}


def ensure_router(
    conn: Any,
    plan: Plan,
    project: Any,
    name: str,
    external_network: Any = None,
    subnets: Sequence[Any] = (),
) -> Tuple[Any, bool]:
    """The project's router ``name`` with that gateway and interfaces on ``subnets``.

    Creates the router, sets a missing gateway and adds missing interfaces; a gateway on
    another network is a conflict. Returns ``(router or None in a dry run, existed)``.
    """
    existing = list(conn.network.routers(name=name, project_id=project.id))
    if len(existing) > 1:
        raise AmbiguousNameError(
            f"name {name!r}: project {project.name} has {len(existing)} routers with that name: "
            + ", ".join(r.id for r in existing)
        )
    gateway = {"network_id": external_network.id} if external_network is not None else None
    attached: set = set()
    if existing:
        router = existing[0]
        current = (router.external_gateway_info or {}).get("network_id")
        if gateway and current and current != external_network.id:
            raise ResourceConflictError(
                f"router {name!r} of project {project.name} has its gateway on network "
                f"{current}, not on external_network {external_network.name}"
            )
        if gateway and not current:
            plan.apply(
                Change(Verb.UPDATE, "router", name, router.id, {"external_gateway_info": gateway}),
                lambda: conn.network.update_router(router, external_gateway_info=gateway),
            )
        attached = attached_subnet_ids(conn, router)
    else:
        attrs: Dict[str, Any] = {"name": name, "project_id": project.id}
        if gateway:
            attrs["external_gateway_info"] = gateway
        router = plan.apply(
            Change(Verb.CREATE, "router", name, details=dict(attrs)),
            lambda: conn.network.create_router(**attrs),
            lambda created: conn.network.delete_router(created, ignore_missing=True),
        )
    for subnet in subnets:
        if subnet.id in attached:
            continue
        plan.apply(
            Change(
                Verb.ADD,
                "router interface",
                f"{name} on subnet {subnet.name}",
                details={"subnet_id": subnet.id, "cidr": subnet.cidr},
            ),
            lambda subnet_id=subnet.id: conn.network.add_interface_to_router(
                router, subnet=subnet_id
            ),
            lambda _, subnet_id=subnet.id: conn.network.remove_interface_from_router(
                router, subnet=subnet_id
            ),
        )
    return router, bool(existing)


def router_create(
    conn: Any,
    project: str,
    name: str,
    project_domain: Optional[str] = None,
    external_network: Optional[str] = None,
    subnets: Optional[List[str]] = None,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Create a project router with a gateway and interfaces; what exists is kept as it is."""
    with openstack_errors("router.create"):
        owner = find_project(conn, project, project_domain)
        network = None
        if external_network:
            network = find_external_network(conn, external_network, "external_network")
        found = [find_subnet(conn, value, "subnets", owner.id) for value in subnets or []]
        plan = Plan(dry_run)
        router, existed = ensure_router(conn, plan, owner, name, network, found)
        return plan.report(
            project=project_ref(conn, owner),
            router=ref(router, existed, name),
            external_network=Ref(network.id, network.name, True) if network else None,
            subnets=[Ref(s.id, s.name, True) for s in found],
        )
