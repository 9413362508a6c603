"""Notifications to projects: one email per project, to the contact address keystone keeps
on the project (its ``email`` attribute). Every action is a dry run unless ``dry_run`` is
false."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Dict, List, Optional

from apis import clock
from apis.email_api.message import OutgoingEmail
from apis.email_api.sender import Deferred
from workflows.email_common import Delivery, days_before, notification_result
from workflows.email_recipients import check_scope

CONTACT_ATTRIBUTE = "email"
"""The keystone project attribute holding the project's contact address."""


@dataclasses.dataclass
class ProjectContact:
    """A project, its contact address (None if it has none) and its affected resources."""

    project_id: str
    name: str
    email: Optional[str]
    resources: List[Dict[str, Any]] = dataclasses.field(default_factory=list)


def project_contacts(conn: Any, rows_by_project: Dict[str, List[Dict[str, Any]]]):
    """The projects owning ``rows_by_project`` with their contacts (one project listing),
    sorted by name; projects keystone no longer has are named by id, without contact."""
    known = {p.id: p for p in conn.identity.projects()} if rows_by_project else {}
    contacts = []
    for project_id, rows in rows_by_project.items():
        project = known.get(project_id)
        contacts.append(
            ProjectContact(
                project_id,
                getattr(project, "name", None) or project_id,
                getattr(project, CONTACT_ATTRIBUTE, None) or None,
                sorted(rows, key=lambda r: (r["address"] or "", r["id"])),
            )
        )
    return sorted(contacts, key=lambda c: (c.name, c.project_id))


def _project_email(contact: ProjectContact, template, variables, cc) -> OutgoingEmail:
    return OutgoingEmail.from_template(
        template,
        {"project_name": contact.name, "floating_ips": contact.resources, **variables},
        to=contact.email,
        cc=cc,
        label=contact.name,
    )


def email_projects_with_unused_floating_ips(
    conn: Any,
    delivery: Delivery,
    days: float,
    all_projects: bool = False,
    from_projects: Optional[List[str]] = None,
    as_of: Optional[str] = None,
) -> Dict[str, Any]:
    """Email each project's contact its floating IPs attached to no port whose last change
    (neutron's ``updated_at``) is more than ``days`` days before ``as_of`` (default: now)."""
    from apis.openstack_query_api.query import Query
    from apis.openstack_query_api.resource_types import QueryType

    check_scope(all_projects, from_projects)
    moment = days_before(days, as_of)
    with clock.pinned(moment):  # the query's relative times count from as_of
        query = (
            Query(QueryType.FLOATING_IPS.mapping)
            .select("id", "address", "project_id", "network_id", "port_id", "updated_at")
            .where("is_null", "port_id")
            .where("older_than", "updated_at", days=days)
        )
    rows = query.run(
        conn, all_projects=all_projects, from_projects=from_projects or None, as_admin=True
    ).to_props()
    by_project: Dict[str, List[Dict[str, Any]]] = {}
    for row in rows:
        by_project.setdefault(row["floating_ip_project_id"], []).append(
            {
                "id": row["floating_ip_id"],
                "address": row["floating_ip_address"],
                "network_id": row["floating_ip_network_id"],
                "updated_at": row["floating_ip_updated_at"],
            }
        )
    contacts = project_contacts(conn, by_project)
    variables = delivery.variables({"cloud_name": conn.config.name, "days": days, "as_of": moment})
    emails = [
        Deferred(
            c.name,
            (c.email,),
            functools.partial(_project_email, c, "unused_floating_ips", variables, delivery.cc),
        )
        for c in contacts
        if c.email
    ]
    return notification_result(
        "unused_floating_ips",
        delivery.send(emails),
        days=days,
        as_of=moment.isoformat(),
        affected_floating_ips=len(rows),
        projects_without_contact=[
            {
                "project_id": c.project_id,
                "project_name": c.name,
                "floating_ips": [f["address"] for f in c.resources],
            }
            for c in contacts
            if not c.email
        ],
    )
