"""Notification actions emailing server owners: one email per user, listing all of that
user's affected servers. Every action is a dry run unless ``dry_run`` is false."""

from __future__ import annotations

import enum
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from apis import clock
from apis.choices import choices
from apis.email_api.exceptions import NotificationParameterError
from workflows.email_common import (
    Delivery,
    days_before,
    names,
    notification_result,
    owner_emails,
    parse_when,
)
from workflows.email_recipients import Recipients, check_scope, find_owners

DECOMMISSION_KEY = "cloudops:decommission_date"


class HypervisorNotice(enum.Enum):
    """Why the servers of one hypervisor are emailed, and the template used."""

    MAINTENANCE = "maintenance"
    FAULT = "fault"

    @property
    def template(self) -> str:
        """The template of this notice."""
        return f"hypervisor_{self.value}"


def server_query(statuses: Sequence[str] = (), older_than_days: float = 0):
    """A ServerQuery for servers in ``statuses`` created more than ``older_than_days`` ago."""
    from apis.openstack_query_api import ServerQuery

    query = ServerQuery()
    if len(statuses) == 1:
        query.where("==", "status", value=statuses[0])
    elif statuses:
        query.where("in", "status", values=list(statuses))
    if older_than_days and older_than_days > 0:
        query.where("older_than", "created_at", days=older_than_days)
    return query


def _notify(
    template: str,
    recipients: Recipients,
    variables: Mapping[str, Any],
    delivery: Delivery,
    per_owner: Optional[Callable[[List[Dict[str, Any]]], Dict[str, Any]]] = None,
    **details: Any,
) -> Dict[str, Any]:
    emails = owner_emails(
        recipients.owners,
        template,
        delivery.variables(variables),
        cc=delivery.cc,
        attach_csv=delivery.attach_csv,
        per_owner=per_owner,
    )
    return notification_result(template, delivery.send(emails), recipients, **details)


def email_users_with_shutoff_vms(
    conn: Any,
    delivery: Delivery,
    all_projects: bool = False,
    from_projects: Optional[List[str]] = None,
    older_than_days: float = 0,
    delete_after: Optional[str] = None,
) -> Dict[str, Any]:
    """Email each user the SHUTOFF servers they created (older than ``older_than_days``)."""
    check_scope(all_projects, from_projects)
    when = parse_when("delete_after", delete_after)
    recipients = find_owners(
        conn, server_query(["SHUTOFF"], older_than_days), all_projects, from_projects
    )
    return _notify(
        "shutoff_vms",
        recipients,
        {"cloud_name": conn.config.name, "older_than_days": older_than_days, "delete_after": when},
        delivery,
    )


def email_users_with_errored_vms(
    conn: Any,
    delivery: Delivery,
    all_projects: bool = False,
    from_projects: Optional[List[str]] = None,
    older_than_days: float = 0,
) -> Dict[str, Any]:
    """Email each user the servers in ERROR state they created."""
    check_scope(all_projects, from_projects)
    recipients = find_owners(
        conn, server_query(["ERROR"], older_than_days), all_projects, from_projects
    )
    return _notify(
        "errored_vms",
        recipients,
        {"cloud_name": conn.config.name, "older_than_days": older_than_days},
        delivery,
    )


def email_users_with_stale_servers(
    conn: Any,
    delivery: Delivery,
    days: float,
    all_projects: bool = False,
    from_projects: Optional[List[str]] = None,
    server_statuses: Optional[List[str]] = None,
    as_of: Optional[str] = None,
) -> Dict[str, Any]:
    """Email each user their servers nova has not updated (``updated_at``) for more than
    ``days`` days before ``as_of`` (default: now)."""
    check_scope(all_projects, from_projects)
    moment = days_before(days, as_of)
    with clock.pinned(moment):  # the query's relative times count from as_of
        query = server_query(names(server_statuses)).where("older_than", "updated_at", days=days)
    recipients = find_owners(conn, query, all_projects, from_projects)
    return _notify(
        "stale_servers",
        recipients,
        {"cloud_name": conn.config.name, "days": days, "as_of": moment},
        delivery,
        days=days,
        as_of=moment.isoformat(),
    )


def _retiring(
    kind: str, found: Mapping[str, Mapping[str, Any]], wanted: Sequence[str]
) -> Dict[str, Mapping[str, Any]]:
    """The resources (by name or id) carrying a decommission date, restricted to ``wanted``."""
    dated = {key: r for key, r in found.items() if r["decommission_date"]}
    if not wanted:
        return dated
    chosen: Dict[str, Mapping[str, Any]] = {}
    for name in wanted:
        match = found.get(name) or next((r for r in found.values() if r["name"] == name), None)
        if match is None:
            raise NotificationParameterError(
                f"{kind}_names: {name!r} is not a {kind} of this cloud; "
                + choices([r["name"] for r in found.values()], name)
            )
        if not match["decommission_date"]:
            raise NotificationParameterError(
                f"{kind}_names: {kind} {name!r} has no {DECOMMISSION_KEY!r} "
                f"{'extra spec' if kind == 'flavor' else 'property'}; retiring {kind}s: "
                + (", ".join(sorted(r["name"] for r in dated.values())) or "none")
            )
        chosen[match["id"]] = match
    return chosen


def email_users_with_decom_flavors(
    conn: Any,
    delivery: Delivery,
    all_projects: bool = False,
    from_projects: Optional[List[str]] = None,
    flavor_names: Optional[List[str]] = None,
    server_statuses: Optional[List[str]] = None,
) -> Dict[str, Any]:
    """Email each user their servers on flavors with a ``cloudops:decommission_date`` extra
    spec (all such flavors, or only ``flavor_names``)."""
    from apis.openstack_query_api import FlavorQuery

    check_scope(all_projects, from_projects)
    flavors = {
        f["flavor_id"]: {
            "id": f["flavor_id"],
            "name": f["flavor_name"],
            "decommission_date": (f["flavor_extra_specs"] or {}).get(DECOMMISSION_KEY),
        }
        for f in FlavorQuery().select("id", "name", "extra_specs").run(conn).to_props()
    }
    retiring = _retiring("flavor", flavors, names(flavor_names))
    by_name = {f["name"]: f for f in retiring.values()}
    recipients = Recipients()
    if by_name:
        query = server_query(names(server_statuses)).where(
            "in", "flavor_name", values=sorted(by_name)
        )
        recipients = find_owners(conn, query, all_projects, from_projects)

    def per_owner(servers):
        for server in servers:
            server["decommission_date"] = by_name[server["flavor"]]["decommission_date"]
        used = sorted({s["flavor"] for s in servers})
        return {
            "flavors": [
                {"name": n, "decommission_date": by_name[n]["decommission_date"]} for n in used
            ]
        }

    return _notify(
        "decom_flavors",
        recipients,
        {"cloud_name": conn.config.name},
        delivery,
        per_owner=per_owner,
        retiring_flavors=sorted(by_name),
    )


def email_users_with_decom_images(
    conn: Any,
    delivery: Delivery,
    all_projects: bool = False,
    from_projects: Optional[List[str]] = None,
    image_names: Optional[List[str]] = None,
    server_statuses: Optional[List[str]] = None,
) -> Dict[str, Any]:
    """Email each user their servers booted from images with a ``cloudops:decommission_date``
    property (all such images, or only ``image_names``, names or ids)."""
    from apis.openstack_query_api import ImageQuery

    check_scope(all_projects, from_projects)
    images = {
        i["image_id"]: {
            "id": i["image_id"],
            "name": i["image_name"],
            "decommission_date": (i["image_properties"] or {}).get(DECOMMISSION_KEY),
        }
        for i in ImageQuery().select("id", "name", "properties").run(conn).to_props()
    }
    retiring = _retiring("image", images, names(image_names))
    recipients = Recipients()
    if retiring:
        query = server_query(names(server_statuses)).where(
            "in", "image_id", values=sorted(retiring)
        )
        recipients = find_owners(
            conn,
            query,
            all_projects,
            from_projects,
            image_names={i: r["name"] for i, r in retiring.items()},
        )

    def per_owner(servers):
        for server in servers:
            server["decommission_date"] = retiring[server["image_id"]]["decommission_date"]
        used = sorted({s["image_id"] for s in servers}, key=lambda i: retiring[i]["name"])
        return {"images": [dict(retiring[i]) for i in used]}

    return _notify(
        "decom_images",
        recipients,
        {"cloud_name": conn.config.name},
        delivery,
        per_owner=per_owner,
        retiring_images=sorted(r["name"] for r in retiring.values()),
    )


def email_users_with_vms_on_hypervisor(
    conn: Any,
    delivery: Delivery,
    hypervisor_name: str,
    start: str,
    notice: str = HypervisorNotice.MAINTENANCE.value,
    end: Optional[str] = None,
    reason: Optional[str] = None,
    all_projects: bool = False,
    from_projects: Optional[List[str]] = None,
    server_statuses: Optional[List[str]] = None,
) -> Dict[str, Any]:
    """Email each user their servers on one hypervisor: planned maintenance (``start`` to
    ``end``) or a fault (detected at ``start``, repair expected by ``end``)."""
    from apis.openstack_query_api import HypervisorQuery

    try:
        kind = HypervisorNotice(notice)
    except ValueError:
        raise NotificationParameterError(
            f"notice {notice!r} is not one of: {', '.join(n.value for n in HypervisorNotice)}"
        ) from None
    check_scope(all_projects, from_projects)
    begins, ends = parse_when("start", start), parse_when("end", end)
    if begins is None:
        raise NotificationParameterError("start is required: when the maintenance or fault begins")
    if ends is not None and ends < begins:
        raise NotificationParameterError(f"end {end!r} is before start {start!r}")
    known = [h["hypervisor_name"] for h in HypervisorQuery().select("name").run(conn).to_props()]
    if hypervisor_name not in known:
        raise NotificationParameterError(
            f"hypervisor_name {hypervisor_name!r} is not a hypervisor of {conn.config.name}; "
            + choices(known, hypervisor_name)
        )
    query = server_query(names(server_statuses)).where(
        "==", "hypervisor_name", value=hypervisor_name
    )
    recipients = find_owners(conn, query, all_projects, from_projects)
    return _notify(
        kind.template,
        recipients,
        {
            "cloud_name": conn.config.name,
            "hypervisor": hypervisor_name,
            "start": begins,
            "end": ends,
            "reason": reason,
        },
        delivery,
        hypervisor=hypervisor_name,
    )
