"""Find routers whose external gateway is on an unexpected network (network.check.routers)."""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any, Dict, List, Optional

from apis.openstack_api.identity.exceptions import InvalidParameterError, openstack_errors
from apis.openstack_api.networks import get_or_none


@dataclasses.dataclass(frozen=True)
class RouterFinding:
    """A router whose gateway is outside the expected external CIDRs."""

    router_id: str
    router_name: str
    project_id: Optional[str]
    project_name: Optional[str]
    external_network_id: Optional[str]
    external_network_name: Optional[str]
    gateway_ips: List[str]
    reason: str


def parse_cidrs(values: Optional[List[str]], parameter: str) -> List[Any]:
    """The CIDRs as ipaddress networks; empty or malformed ones are errors."""
    if not values:
        raise InvalidParameterError(
            f"{parameter} is empty: list the external network CIDRs routers may have their "
            "gateway on (pack config key or action parameter)"
        )
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(str(value), strict=False))
        except ValueError as err:
            raise InvalidParameterError(f"{parameter}: {value!r} is not a CIDR: {err}") from None
    return networks


def _reason(gateway: Dict[str, Any], expected: List[Any], subnet_cidrs: List[Any]) -> str:
    """Why a gateway is unexpected, or '' when it is fine."""
    ips = [fixed["ip_address"] for fixed in gateway.get("external_fixed_ips") or []]
    if ips:
        outside = [ip for ip in ips if not any(ipaddress.ip_address(ip) in net for net in expected)]
        return f"gateway IP(s) {', '.join(outside)} outside the expected CIDRs" if outside else ""
    if any(
        cidr.subnet_of(net)
        for cidr in subnet_cidrs
        for net in expected
        if cidr.version == net.version
    ):
        return ""
    return "gateway has no IP and its network has no subnet in the expected CIDRs"


def find_unexpected_gateways(conn: Any, expected: List[Any]) -> Dict[str, Any]:
    """Every router with a gateway, checked against ``expected``."""
    routers = [r for r in conn.network.routers() if r.external_gateway_info]
    networks = {n.id: n for n in conn.network.networks(is_router_external=True)}
    cidrs: Dict[str, List[Any]] = {}
    for subnet in conn.network.subnets():
        if subnet.network_id in networks:
            cidrs.setdefault(subnet.network_id, []).append(ipaddress.ip_network(subnet.cidr))
    projects: Dict[str, Optional[str]] = {}
    findings = []
    for router in routers:
        gateway = router.external_gateway_info
        network_id = gateway.get("network_id")
        reason = _reason(gateway, expected, cidrs.get(network_id, []))
        if not reason:
            continue
        if router.project_id and router.project_id not in projects:
            project = get_or_none(conn.identity.get_project, router.project_id)
            projects[router.project_id] = project.name if project else None
        network = networks.get(network_id)
        findings.append(
            RouterFinding(
                router_id=router.id,
                router_name=router.name,
                project_id=router.project_id,
                project_name=projects.get(router.project_id),
                external_network_id=network_id,
                external_network_name=network.name if network else None,
                gateway_ips=[f["ip_address"] for f in gateway.get("external_fixed_ips") or []],
                reason=reason,
            )
        )
    findings.sort(key=lambda f: (f.project_name or "", f.router_name or ""))
    return {"checked": len(routers), "count": len(findings), "routers": findings}


def network_check_routers(
    conn: Any, expected_external_cidrs: Optional[List[str]] = None
) -> Dict[str, Any]:
    """Routers whose external gateway is outside ``expected_external_cidrs`` (read-only)."""
    expected = parse_cidrs(expected_external_cidrs, "expected_external_cidrs")
    with openstack_errors("network.check.routers"):
        return {
            "expected_external_cidrs": [str(net) for net in expected],
            **find_unexpected_gateways(conn, expected),
        }
