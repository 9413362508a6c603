"""Correctness checks a long-lived cloud needs: things that point at projects that are gone,
flavors nobody can use, and security groups open to the world. Read-only."""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any, Dict, Iterable, List, Optional, Sequence

from apis import clock
from apis.jira_api.account import JiraAccount
from apis.row_formats import table
from apis.openstack_query_api.query import Query
from apis.openstack_query_api.resource_types import QueryType
from workflows.check_tickets import check_label, open_ticket, ticket_result

ORPHAN_TYPES = {
    "servers": (QueryType.SERVERS, "server_id", "server_name", "server_project_id"),
    "floating_ips": (
        QueryType.FLOATING_IPS,
        "floating_ip_id",
        "floating_ip_address",
        "floating_ip_project_id",
    ),
    "images": (QueryType.IMAGES, "image_id", "image_name", "image_owner"),
    "ports": (QueryType.PORTS, "port_id", "port_name", "port_project_id"),
}
WORLD = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


def _report(
    check: str, findings: List[Dict[str, Any]], ticket: Dict[str, Any], **echoed: Any
) -> Dict[str, Any]:
    report = {
        **echoed,
        "check": check,
        "count": len(findings),
        "findings": findings,
        "table": table(findings, "grid") if findings else "nothing found",
    }
    report["ticket"] = open_ticket(report, **ticket)
    skipped = "no jira_account given" if findings else "nothing found"
    return ticket_result(ticket["dry_run"], check_label(check), report["ticket"], skipped, **report)


def _ticket_args(jira_account, jira_project, dry_run) -> Dict[str, Any]:
    return {"jira_account": jira_account, "jira_project": jira_project, "dry_run": dry_run}


def _project_ids(conn) -> set:
    return {project.id for project in conn.identity.projects()}


def find_orphans(
    conn: Any,
    resource_types: Optional[Sequence[str]] = None,
    jira_account: Optional[JiraAccount] = None,
    jira_project: Optional[str] = None,
    dry_run: bool = True,
) -> Dict:
    """Servers, floating IPs, images and ports whose project no longer exists."""
    chosen = list(resource_types or ORPHAN_TYPES)
    unknown = sorted(set(chosen) - set(ORPHAN_TYPES))
    if unknown:
        from apis.openstack_query_api.exceptions import QueryError

        raise QueryError(f"resource_types {unknown} unknown; valid: {', '.join(ORPHAN_TYPES)}")
    findings = []
    projects = _project_ids(conn)
    for kind in chosen:
        query_type, id_key, name_key, project_key = ORPHAN_TYPES[kind]
        query = Query(query_type.mapping).select(id_key, name_key, project_key)
        rows = query.run(conn, all_projects=True, as_admin=True).to_props()
        findings.extend(
            {"type": kind, "id": row[id_key], "name": row[name_key], "project_id": pid}
            for row in rows
            if (pid := row[project_key]) and pid not in projects
        )
    return _report("orphans", findings, _ticket_args(jira_account, jira_project, dry_run))


def find_image_shares_to_deleted_projects(
    conn: Any,
    jira_account: Optional[JiraAccount] = None,
    jira_project: Optional[str] = None,
    dry_run: bool = True,
) -> Dict:
    """Image memberships whose member project no longer exists."""
    findings = []
    projects = _project_ids(conn)
    for image in conn.image.images(visibility="shared"):
        for member in conn.image.members(image):
            if member.member_id not in projects:
                findings.append(
                    {
                        "image_id": image.id,
                        "image_name": image.name,
                        "member_project_id": member.member_id,
                        "member_status": member.status,
                    }
                )
    return _report(
        "image_shares_to_deleted_projects",
        findings,
        _ticket_args(jira_account, jira_project, dry_run),
    )


def find_unusable_flavors(
    conn: Any,
    jira_account: Optional[JiraAccount] = None,
    jira_project: Optional[str] = None,
    dry_run: bool = True,
) -> Dict:
    """Private flavors no existing project has access to (disabled flavors too)."""
    findings = []
    projects = _project_ids(conn)
    for flavor in conn.compute.flavors(details=True, is_public=None):
        reason = None
        if flavor.is_disabled:
            reason = "disabled"
        elif not flavor.is_public:
            access = {a["tenant_id"] for a in conn.compute.get_flavor_access(flavor)}
            if not access & projects:
                reason = "private, no existing project has access"
        if reason:
            findings.append({"flavor_id": flavor.id, "flavor_name": flavor.name, "reason": reason})
    return _report("unusable_flavors", findings, _ticket_args(jira_account, jira_project, dry_run))


def find_world_open_security_groups(
    conn: Any,
    open_ports_allowed: Iterable[int] = (22, 80, 443),
    jira_account: Optional[JiraAccount] = None,
    jira_project: Optional[str] = None,
    dry_run: bool = True,
) -> Dict:
    """Ingress rules open to 0.0.0.0/0 or ::/0 on ports outside ``open_ports_allowed``."""
    allowed = {int(port) for port in open_ports_allowed}
    findings = []
    for rule in conn.network.security_group_rules(direction="ingress"):
        if not _open_to_world(rule) or rule.protocol in ("icmp", "ipv6-icmp"):
            continue
        low, high = rule.port_range_min, rule.port_range_max
        if low is not None and high is not None and _all_allowed(low, high, allowed):
            continue
        findings.append(
            {
                "security_group_id": rule.security_group_id,
                "project_id": rule.project_id,
                "rule_id": rule.id,
                "protocol": rule.protocol or "any",
                "ports": "all" if low is None else f"{low}-{high}",
                "remote_ip_prefix": rule.remote_ip_prefix,
            }
        )
    return _report(
        "world_open_security_groups", findings, _ticket_args(jira_account, jira_project, dry_run)
    )


def find_old_volume_snapshots(
    conn: Any,
    days: float = 30,
    project_id: Optional[str] = None,
    as_of: Optional[str] = None,
    jira_account: Optional[JiraAccount] = None,
    jira_project: Optional[str] = None,
    dry_run: bool = True,
) -> Dict:
    """Cinder volume snapshots created more than ``days`` days before ``as_of`` (default
    now), in every project or in ``project_id``'s."""
    from apis.openstack_api.volume_snapshots import VolumeSnapshotError, old_snapshots

    try:
        moment = clock.parse_optional(as_of, "as_of") or clock.now()
    except ValueError as err:
        raise VolumeSnapshotError(str(err)) from None
    findings = [dataclasses.asdict(s) for s in old_snapshots(conn, days, moment, project_id)]
    return _report(
        "old_volume_snapshots",
        findings,
        _ticket_args(jira_account, jira_project, dry_run),
        days=days,
        as_of=moment.isoformat(),
    )


def _open_to_world(rule) -> bool:
    """A rule with neither a remote prefix nor a remote group admits every source."""
    if not rule.remote_ip_prefix:
        return not rule.remote_group_id
    try:
        return ipaddress.ip_network(rule.remote_ip_prefix, strict=False) in WORLD
    except ValueError:
        return False


def _all_allowed(low: int, high: int, allowed: set) -> bool:
    return high - low < len(allowed) and all(port in allowed for port in range(low, high + 1))
