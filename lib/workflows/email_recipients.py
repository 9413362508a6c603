"""Who owns the affected servers: one server query, then one user and one project listing.

The query library runs the server query (server-side filters, one all-projects listing or
concurrent per-project calls); the owners and project names come from one keystone user
listing and one project listing on the same connection, joined here, whatever the number of
servers or owners.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from apis.email_api.exceptions import NotificationParameterError

SERVER_COLUMNS = (
    "id",
    "name",
    "status",
    "project_id",
    "user_id",
    "flavor_name",
    "image_id",
    "hypervisor_name",
    "created_at",
    "updated_at",
)
CSV_COLUMNS = ("id", "name", "status", "project_name", "project_id", "flavor", "created_at")


@dataclasses.dataclass
class Owner:
    """A user and the affected servers they created."""

    user_id: str
    name: str
    email: Optional[str]
    servers: List[Dict[str, Any]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Recipients:
    """Owners to email, owners without an address, and servers whose owner is gone."""

    owners: List[Owner] = dataclasses.field(default_factory=list)
    without_email: List[Owner] = dataclasses.field(default_factory=list)
    orphaned_servers: List[Dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def server_count(self) -> int:
        """Every affected server, emailed about or not."""
        owned = sum(len(o.servers) for o in self.owners + self.without_email)
        return owned + len(self.orphaned_servers)


def check_scope(all_projects: bool, from_projects: Optional[Sequence[str]]) -> None:
    """Exactly one of ``all_projects`` and ``from_projects``."""
    if all_projects and from_projects:
        raise NotificationParameterError("give either all_projects=true or from_projects, not both")
    if not all_projects and not from_projects:
        raise NotificationParameterError(
            "say which servers to look at: all_projects=true, or from_projects=[names or ids]"
        )


def server_summary(
    row: Mapping[str, Any],
    project_names: Mapping[str, str],
    image_names: Optional[Mapping[str, str]] = None,
) -> Dict[str, Any]:
    """A server as the templates list it (see email_template_schemas.yaml)."""
    project_id = row.get("server_project_id")
    image_id = row.get("server_image_id")
    return {
        "id": row.get("server_id"),
        "name": row.get("server_name"),
        "status": row.get("server_status"),
        "project_name": project_names.get(project_id, project_id),
        "project_id": project_id,
        "flavor": row.get("server_flavor_name"),
        "image_name": (image_names or {}).get(image_id),
        "image_id": image_id,
        "hypervisor": row.get("server_hypervisor_name"),
        "created_at": row.get("server_created_at"),
        "updated_at": row.get("server_updated_at"),
    }


def group_by_owner(
    server_rows: Iterable[Mapping[str, Any]],
    users: Iterable[Mapping[str, Any]],
    projects: Iterable[Mapping[str, Any]],
    image_names: Optional[Mapping[str, str]] = None,
) -> Recipients:
    """Servers (query rows) grouped by owner, owners sorted by name, servers by name."""
    by_id = {u["user_id"]: u for u in users}
    project_names = {p["project_id"]: p["project_name"] for p in projects}
    owners: Dict[str, Owner] = {}
    recipients = Recipients()
    for row in server_rows:
        summary = server_summary(row, project_names, image_names)
        user = by_id.get(row.get("server_user_id"))
        if user is None:
            recipients.orphaned_servers.append({**summary, "user_id": row.get("server_user_id")})
            continue
        owner = owners.get(user["user_id"])
        if owner is None:
            owner = owners[user["user_id"]] = Owner(
                user["user_id"], user.get("user_name") or user["user_id"], user.get("user_email")
            )
        owner.servers.append(summary)
    for owner in sorted(owners.values(), key=lambda o: (o.name, o.user_id)):
        owner.servers.sort(key=lambda s: (s["name"] or "", s["id"] or ""))
        (recipients.owners if owner.email else recipients.without_email).append(owner)
    return recipients


def find_owners(
    connection: Any,
    server_query: Any,
    all_projects: bool = False,
    from_projects: Optional[Sequence[str]] = None,
    image_names: Optional[Mapping[str, str]] = None,
) -> Recipients:
    """Run ``server_query`` (a ServerQuery with its conditions) and find the owners: one
    keystone user listing and one project listing, none when no server matches."""
    from apis.openstack_query_api import ProjectQuery, UserQuery

    check_scope(all_projects, from_projects)
    query = server_query.select(*SERVER_COLUMNS).run(
        connection,
        all_projects=all_projects,
        from_projects=from_projects or None,
        as_admin=True,
    )
    rows = query.to_props()
    if not rows:
        return Recipients()
    users = UserQuery().select("id", "name", "email").run(connection).to_props()
    if query.scope_projects is not None:
        projects = [{"project_id": p.id, "project_name": p.name} for p in query.scope_projects]
    else:
        projects = ProjectQuery().select("id", "name").run(connection).to_props()
    return group_by_owner(rows, users, projects, image_names)
