"""project.delete: delete a project and what it owns, refusing when that is not safe.

Refused: projects tagged ``immutable``, listed in the pack config's ``protected_projects``,
the project the cloud_account itself works in, and projects with child projects; and, unless
``force``, projects that still own servers, volumes, floating IPs, ports or images. Network
scaffolding (routers, networks, security groups, RBAC shares) and quota overrides go with the
project. Dry run by default.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from typing import Any, Dict, List, Optional

from apis.openstack_api.identity.exceptions import (
    ProjectDeleteError,
    ProjectNotEmptyError,
    ProjectProtectedError,
    describe,
    is_expected,
    openstack_errors,
)
from apis.openstack_api.identity.project_resources import (
    Deleter,
    OwnedKind,
    OwnedResource,
    inventory,
    reset_quotas,
)
from apis.openstack_api.identity.projects import ProjectView, check_not_protected, project_view
from apis.openstack_api.identity.resolve import IdentityKind, Resolver
from apis.progress import Progress
from apis.results import ChangeResult, ObjectOutcome, Outcome

LOG = logging.getLogger(__name__)

SHOWN = 5


class DeleteState(enum.Enum):
    """What project.delete did."""

    DELETED = "deleted"
    WOULD_DELETE = "would_delete"


@dataclasses.dataclass
class ProjectDeleteReport(ChangeResult):
    """The change result (every resource, then the project), the project, what was (or
    would be) deleted by kind, and notes."""

    state: DeleteState
    project: ProjectView
    resources: Dict[str, List[OwnedResource]]
    notes: List[str]
    message: str


def project_delete(
    conn: Any,
    project: str,
    domain: Optional[str] = None,
    force: bool = False,
    dry_run: bool = True,
    wait_timeout: int = 300,
    protected_projects: Optional[List[str]] = None,
) -> ProjectDeleteReport:
    """Delete a project (and with ``force`` its servers, volumes, IPs, ports, images first)."""
    with openstack_errors(f"deleting project {project!r}"):
        resolver = Resolver(conn)
        target = resolver.find(IdentityKind.PROJECT, project, "project", domain, "domain")
        check_not_protected(target, protected_projects or [])
        if target.id == conn.current_project_id:
            raise ProjectProtectedError(
                f"project {target.name!r} is the project cloud_account {conn.config.name!r} works "
                "in; use a cloud_account scoped to another project"
            )
        children = sorted(p.name for p in conn.identity.projects(parent_id=target.id))
        if children:
            raise ProjectNotEmptyError(
                f"project {target.name!r} has child projects: {', '.join(children)}; "
                "delete those first"
            )
        view = project_view(resolver, target)
        owned = inventory(conn, target.id)
        blocking = owned.blocking()
        if blocking and not force:
            raise ProjectNotEmptyError(
                f"project {target.name!r} still owns {_describe(blocking)}; "
                "set force=true to delete them first (with dry_run=true to see the plan)"
            )
        if dry_run:
            planned = owned.as_report()
            return ProjectDeleteReport(
                dry_run=True,
                objects=_objects(target, planned),
                state=DeleteState.WOULD_DELETE,
                project=view,
                resources=planned,
                notes=owned.notes,
                message=f"dry run: project {target.name!r} would be deleted; nothing changed",
            )
        deleted = _delete_all(conn, target, owned.resources, wait_timeout)
        done = {kind.label: items for kind, items in deleted.items() if items}
        return ProjectDeleteReport(
            dry_run=False,
            objects=_objects(target, done),
            state=DeleteState.DELETED,
            project=view,
            resources=done,
            notes=owned.notes,
            message=f"project {target.name!r} deleted",
        )


def _objects(target: Any, resources: Dict[str, List[OwnedResource]]) -> List[ObjectOutcome]:
    """One deleted (or, in a dry run, to be deleted) object per resource, then the project."""
    objects = [
        ObjectOutcome(kind, item.name or item.id, Outcome.DONE, "delete", id=item.id)
        for kind, items in resources.items()
        for item in items
    ]
    return objects + [ObjectOutcome("project", target.name, Outcome.DONE, "delete", id=target.id)]


def _describe(resources: Dict[OwnedKind, List[OwnedResource]]) -> str:
    parts = []
    for kind, items in resources.items():
        names = ", ".join(item.name or item.id for item in items[:SHOWN])
        more = f", +{len(items) - SHOWN} more" if len(items) > SHOWN else ""
        parts.append(f"{len(items)} {kind.label} ({names}{more})")
    return "; ".join(parts)


def _delete_all(
    conn: Any, target: Any, resources: Dict[OwnedKind, List[OwnedResource]], wait_timeout: int
) -> Dict[OwnedKind, List[OwnedResource]]:
    deleter = Deleter(conn, target.id, wait_timeout)
    deleted: Dict[OwnedKind, List[OwnedResource]] = {}
    doing = "starting"
    progress = Progress(f"project.delete {target.name}", len(OwnedKind) + 2, LOG)
    try:
        for kind in OwnedKind:
            doing = f"deleting {kind.label}"
            deleted[kind] = deleter.delete(kind, resources.get(kind, []))
            progress.step("deleted %d %s", len(deleted[kind]), kind.label)
        doing = "resetting quotas"
        reset_quotas(conn, target.id)
        progress.step("quotas reset")
        doing = "deleting the project itself"
        conn.identity.delete_project(target)
        progress.step("project deleted")
    except Exception as err:
        if not is_expected(err):
            raise
        done = {kind: items for kind, items in deleted.items() if items}
        raise ProjectDeleteError(
            f"project.delete {target.name!r} failed while {doing}: {describe(err)}; "
            f"already deleted: {_describe(done) if done else 'nothing'}; "
            "run it again to continue"
        ) from None
    return deleted
