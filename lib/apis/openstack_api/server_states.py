"""How long servers have been SHUTOFF or ERROR, read from their instance actions."""

from __future__ import annotations

import datetime
import enum
from typing import Any, Dict, List, Optional, Sequence, Tuple

from apis import clock
from apis.openstack_api.exceptions import OpenStackApiError
from apis.openstack_api.hypervisor_service import find_compute_service

UPDATED_AT = "updated_at"


class ServerStateError(OpenStackApiError):
    """A parameter of server.time.in.state is out of range."""


class ServerState(enum.Enum):
    """The states whose age is measured, with the instance actions that lead into them.

    An empty tuple means the latest action of any kind.
    """

    SHUTOFF = ("stop", "shelve")
    ERROR = ()

    def __init__(self, *actions: str):
        self.actions = actions

    @classmethod
    def from_string(cls, text: str) -> "ServerState":
        """The state called ``text``, or an error listing the valid ones."""
        try:
            return cls[str(text).upper()]
        except KeyError:
            raise ServerStateError(
                f"state {text!r} is not one of: {', '.join(m.name for m in cls)}"
            ) from None


def entered(
    state: ServerState, actions: Sequence[Any], updated_at: Any
) -> Tuple[Optional[datetime.datetime], str]:
    """When a server entered ``state``: ``(moment, source)`` from the latest matching action,
    else the server's ``updated_at`` (source ``updated_at``)."""

    matching = [
        (clock.parse_optional(a.start_time), a.action)
        for a in actions
        if a.start_time and (not state.actions or a.action in state.actions)
    ]
    if matching:
        moment, action = max(matching)
        return moment, f"action:{action}"
    return clock.parse_optional(updated_at), UPDATED_AT


def _listing(conn, state: ServerState, projects, hypervisor) -> List[Dict[str, Any]]:
    from apis.openstack_query_api import ServerQuery

    query = (
        ServerQuery()
        .select("id", "name", "status", "project_id", "host", "updated_at")
        .where("==", "status", value=state.name)
    )
    if hypervisor:
        query.where("==", "host", value=find_compute_service(conn, hypervisor).host)
    query.run(
        conn,
        all_projects=not projects,
        from_projects=projects or None,
        as_admin=True,
    )
    return query.append_from("projects", "name").to_props()


def server_time_in_state(
    conn: Any,
    state: str = "SHUTOFF",
    projects: Optional[List[str]] = None,
    hypervisor: Optional[str] = None,
    min_days: float = 0,
    limit: int = 0,
) -> Dict[str, Any]:
    """Servers in ``state`` (all projects, or ``projects``; optionally on one hypervisor),
    longest first, with the moment they entered it and for how many days."""
    from apis.openstack_query_api.concurrency import concurrently

    chosen = ServerState.from_string(state)
    if min_days < 0:
        raise ServerStateError(f"min_days {min_days} is out of range: 0 or more")
    if limit < 0:
        raise ServerStateError(f"limit {limit} is out of range: 0 (no limit) or more")
    servers = _listing(conn, chosen, projects, hypervisor)
    histories = concurrently(
        lambda server: list(conn.compute.server_actions(server["server_id"])), servers
    )
    now = clock.now()
    rows = []
    for server, actions in zip(servers, histories):
        since, source = entered(chosen, actions, server["server_updated_at"])
        days = (now - since).total_seconds() / 86400 if since else None
        if min_days and (days is None or days < min_days):
            continue
        rows.append(
            {
                "id": server["server_id"],
                "name": server["server_name"],
                "project": server["project_name"] or server["server_project_id"],
                "project_id": server["server_project_id"],
                "host": server["server_host"],
                "status": server["server_status"],
                "since": since.strftime("%Y-%m-%dT%H:%M:%SZ") if since else None,
                "days": round(days, 2) if days is not None else None,
                "source": source,
            }
        )
    rows.sort(key=lambda row: (row["days"] is None, -(row["days"] or 0), row["name"] or ""))
    matched = len(rows)
    if limit:
        rows = rows[:limit]
    return {"state": chosen.name, "matched": matched, "count": len(rows), "servers": rows}
