"""Keystone projects: how they are reported, looked up idempotently and protected."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Iterable, List, Optional

from apis.openstack_api.identity.exceptions import ProjectProtectedError
from apis.openstack_api.identity.resolve import Resolver

IMMUTABLE_TAG = "immutable"

# keystone project fields; every other key in a project's body is a free-form property
PROJECT_FIELDS = frozenset(
    {
        "description",
        "domain_id",
        "id",
        "is_domain",
        "is_enabled",
        "links",
        "location",
        "name",
        "options",
        "parent_id",
        "tags",
    }
)


@dataclasses.dataclass(frozen=True)
class ProjectView:
    """A project as the actions report it."""

    id: str
    name: str
    domain: Optional[str]
    description: str
    enabled: bool
    tags: List[str]
    properties: Dict[str, Any]


def project_view(resolver: Resolver, project: Any) -> ProjectView:
    """The report form of an openstacksdk project, its extra properties included."""
    body = project.to_dict(computed=False)
    return ProjectView(
        id=project.id,
        name=project.name,
        domain=resolver.ref(project).domain,
        description=project.description or "",
        enabled=bool(project.is_enabled),
        tags=sorted(project.tags or []),
        properties={k: v for k, v in sorted(body.items()) if k not in PROJECT_FIELDS},
    )


def existing_project(conn: Any, name: str, domain_id: str) -> Any:
    """The project called ``name`` in the domain, or None (names are unique per domain)."""
    return next(iter(conn.identity.projects(name=name, domain_id=domain_id)), None)


def check_not_protected(project: Any, protected_projects: Iterable[str]) -> None:
    """Refuse projects tagged immutable or listed (by name or id) in protected_projects."""
    protected = set(protected_projects or [])
    if project.id in protected or project.name in protected:
        raise ProjectProtectedError(
            f"project {project.name!r} ({project.id}) is listed in the pack config's "
            "protected_projects; remove it there first if it really must go"
        )
    if IMMUTABLE_TAG in (project.tags or []):
        raise ProjectProtectedError(
            f"project {project.name!r} ({project.id}) is tagged {IMMUTABLE_TAG!r}; "
            "remove the tag first if it really must go"
        )
