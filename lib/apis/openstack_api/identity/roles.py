"""Project role grants for users and groups, and listing role assignments."""

from __future__ import annotations

import dataclasses
import enum
import functools
from typing import Any, Dict, List, Optional

from apis.openstack_api.identity.changes import apply
from apis.openstack_api.identity.exceptions import InvalidParameterError, openstack_errors
from apis.openstack_api.identity.resolve import IdentityKind, IdentityRef, Resolver
from apis.results import ChangeResult, ObjectOutcome
from apis.search_results import OutputType, search_result


class Grantee(enum.Enum):
    """Who receives a project role: ``(kind, check, assign, unassign)`` proxy methods."""

    USER = (
        IdentityKind.USER,
        "validate_user_has_project_role",
        "assign_project_role_to_user",
        "unassign_project_role_from_user",
    )
    GROUP = (
        IdentityKind.GROUP,
        "validate_group_has_project_role",
        "assign_project_role_to_group",
        "unassign_project_role_from_group",
    )

    def __init__(self, kind: IdentityKind, check: str, assign: str, unassign: str):
        self.kind = kind
        self.check = check
        self.assign = assign
        self.unassign = unassign


@dataclasses.dataclass
class RoleGrantReport(ChangeResult):
    """The change result (one object per role), the project and the user or group."""

    project: IdentityRef
    grantee: IdentityRef
    grantee_type: str


@dataclasses.dataclass(frozen=True)
class Assignment:
    """One role assignment with names resolved."""

    role: str
    user: Optional[str]
    user_domain: Optional[str]
    group: Optional[str]
    group_domain: Optional[str]
    project: Optional[str]
    project_domain: Optional[str]
    domain: Optional[str]
    system: bool
    inherited: bool


def role_changes(
    conn: Any,
    grantee_type: Grantee,
    project: Any,
    grantee: Any,
    roles: List[Any],
    adding: bool = True,
    dry_run: bool = False,
) -> List[ObjectOutcome]:
    """Grant (or revoke) each role on the project; grants already in place are left alone."""
    identity = conn.identity
    check = getattr(identity, grantee_type.check)
    operation = getattr(identity, grantee_type.assign if adding else grantee_type.unassign)
    return [
        apply(
            "role",
            role.name,
            adding,
            functools.partial(check, project, grantee, role),
            functools.partial(operation, project, grantee, role),
            dry_run,
        )
        for role in roles
    ]


def _change_roles(
    adding: bool,
    conn: Any,
    project: str,
    roles: List[str],
    grantees: Dict[Grantee, Optional[str]],
    domains: Dict[Grantee, Optional[str]],
    project_domain: Optional[str],
    dry_run: bool = False,
) -> RoleGrantReport:
    given = [kind for kind, name in grantees.items() if name is not None]
    if len(given) != 1:
        raise InvalidParameterError(
            f"give one user or one group (got {', '.join(k.kind.label for k in given) or 'none'})"
        )
    grantee_type = given[0]
    label = grantee_type.kind.label
    verb = "granting" if adding else "revoking"
    with openstack_errors(f"{verb} project roles of a {label}"):
        resolver = Resolver(conn)
        project_obj = resolver.find(
            IdentityKind.PROJECT, project, "project", project_domain, "project_domain"
        )
        grantee_obj = resolver.find(
            grantee_type.kind,
            grantees[grantee_type],
            label,
            domains[grantee_type],
            f"{label}_domain",
        )
        role_objs = resolver.find_all(IdentityKind.ROLE, roles, "roles")
        return RoleGrantReport(
            dry_run=dry_run,
            objects=role_changes(
                conn, grantee_type, project_obj, grantee_obj, role_objs, adding, dry_run
            ),
            project=resolver.ref(project_obj),
            grantee=resolver.ref(grantee_obj),
            grantee_type=label,
        )


def project_role_add(
    conn: Any,
    project: str,
    roles: List[str],
    user: Optional[str] = None,
    group: Optional[str] = None,
    project_domain: Optional[str] = None,
    user_domain: Optional[str] = None,
    group_domain: Optional[str] = None,
    dry_run: bool = False,
) -> RoleGrantReport:
    """Grant roles on a project to a user or a group (project.user.role.add,
    project.group.role.add); roles already granted are reported, not redone."""
    return _change_roles(
        True,
        conn,
        project,
        roles,
        {Grantee.USER: user, Grantee.GROUP: group},
        {Grantee.USER: user_domain, Grantee.GROUP: group_domain},
        project_domain,
        dry_run,
    )


def project_role_remove(
    conn: Any,
    project: str,
    roles: List[str],
    user: Optional[str] = None,
    group: Optional[str] = None,
    project_domain: Optional[str] = None,
    user_domain: Optional[str] = None,
    group_domain: Optional[str] = None,
    dry_run: bool = True,
) -> RoleGrantReport:
    """Revoke a user's or a group's direct roles on a project (project.user.role.remove,
    project.group.role.remove; dry run by default)."""
    return _change_roles(
        False,
        conn,
        project,
        roles,
        {Grantee.USER: user, Grantee.GROUP: group},
        {Grantee.USER: user_domain, Grantee.GROUP: group_domain},
        project_domain,
        dry_run,
    )


def role_assignments_list(
    conn: Any,
    project: Optional[str] = None,
    user: Optional[str] = None,
    group: Optional[str] = None,
    role: Optional[str] = None,
    project_domain: Optional[str] = None,
    user_domain: Optional[str] = None,
    group_domain: Optional[str] = None,
    effective: bool = False,
    output_type: str = OutputType.PROPS.value,
) -> Dict[str, Any]:
    """Role assignments filtered by project, user, group and role, with names: the search
    result (``apis.search_results``), one :class:`Assignment` row each.

    ``effective`` expands group grants into the users who hold them (keystone refuses it
    together with a group filter).
    """
    OutputType.from_string(output_type)
    if effective and group:
        raise InvalidParameterError(
            "effective cannot be combined with group: effective assignments are per user; "
            "leave group empty or set effective=false"
        )
    with openstack_errors("listing role assignments"):
        resolver = Resolver(conn)
        query: Dict[str, Any] = {"include_names": True}
        if effective:
            query["effective"] = True
        for value, kind, parameter, domain, key in (
            (project, IdentityKind.PROJECT, "project", project_domain, "scope_project_id"),
            (user, IdentityKind.USER, "user", user_domain, "user_id"),
            (group, IdentityKind.GROUP, "group", group_domain, "group_id"),
            (role, IdentityKind.ROLE, "role", None, "role_id"),
        ):
            if value:
                query[key] = resolver.find(kind, value, parameter, domain, f"{parameter}_domain").id
        rows = sorted(
            (_assignment(item) for item in conn.identity.role_assignments(**query)),
            key=lambda a: tuple(str(v) for v in dataclasses.astuple(a)),
        )
        return search_result(rows, output_type)


def _assignment(item: Any) -> Assignment:
    scope = item.scope or {}
    project = scope.get("project") or {}
    domain = scope.get("domain") or {}
    user = item.user or {}
    group = item.group or {}
    return Assignment(
        role=(item.role or {}).get("name") or (item.role or {}).get("id"),
        user=user.get("name") or user.get("id"),
        user_domain=(user.get("domain") or {}).get("name"),
        group=group.get("name") or group.get("id"),
        group_domain=(group.get("domain") or {}).get("name"),
        project=project.get("name") or project.get("id"),
        project_domain=(project.get("domain") or {}).get("name"),
        domain=domain.get("name") or domain.get("id"),
        system=bool(scope.get("system")),
        inherited="OS-INHERIT:inherited_to" in scope,
    )
