"""Flavors (flavor.create) and the project access lists of private flavors."""

from __future__ import annotations

import dataclasses
import difflib
import types
from typing import Any, Dict, List, Optional, Sequence, Tuple

from apis.openstack_api.identity.exceptions import (
    InvalidParameterError,
    NameNotFoundError,
    openstack_errors,
)
from apis.openstack_api.networks import (
    Change,
    Plan,
    Ref,
    ResourceConflictError,
    Verb,
    find_project,
    project_ref,
)


@dataclasses.dataclass(frozen=True)
class FlavorSpec:
    """A flavor to create; validated on construction (ram in MiB, disks in GiB)."""

    name: str
    vcpus: int
    ram: int
    disk: int
    ephemeral: int = 0
    swap: int = 0
    is_public: bool = True
    description: Optional[str] = None
    flavor_id: Optional[str] = None

    def __post_init__(self):
        if not self.name or not self.name.strip():
            raise InvalidParameterError("name is empty")
        for field, minimum in (
            ("vcpus", 1),
            ("ram", 1),
            ("disk", 0),
            ("ephemeral", 0),
            ("swap", 0),
        ):
            value = getattr(self, field)
            if value < minimum:
                raise InvalidParameterError(f"{field} {value} is out of range: at least {minimum}")

    def attrs(self) -> Dict[str, Any]:
        """create_flavor arguments."""
        attrs = {
            "name": self.name,
            "vcpus": self.vcpus,
            "ram": self.ram,
            "disk": self.disk,
            "ephemeral": self.ephemeral,
            "swap": self.swap,
            "is_public": self.is_public,
        }
        if self.description:
            attrs["description"] = self.description
        if self.flavor_id:
            attrs["id"] = self.flavor_id
        return attrs

    def differences(self, flavor: Any) -> List[str]:
        """How an existing flavor differs from this spec (nova flavors cannot change)."""
        wanted = self.attrs()
        wanted.pop("description", None)
        wanted.pop("name")
        actual = {key: getattr(flavor, key) for key in wanted}
        actual["swap"] = actual["swap"] or 0
        return [
            f"{key}={actual[key]!r} (wanted {value!r})"
            for key, value in wanted.items()
            if actual[key] != value
        ]


def find_flavor(conn: Any, value: str, parameter: str = "flavor") -> Any:
    """A flavor (public or private) by name or id, with its extra specs."""
    from openstack import exceptions

    if not value or not str(value).strip():
        raise InvalidParameterError(f"{parameter} is empty; give a flavor name or id")
    try:
        return conn.compute.find_flavor(value, ignore_missing=False, get_extra_specs=True)
    except exceptions.NotFoundException:
        names = sorted(f.name for f in conn.compute.flavors(is_public=None))
        hints = difflib.get_close_matches(value, names, n=5)
        raise NameNotFoundError(
            f"{parameter} {value!r}: no flavor with that name or id"
            + (f"; did you mean: {', '.join(hints)}?" if hints else "")
        ) from None


def _require_private(flavor: Any) -> None:
    if flavor.is_public:
        raise InvalidParameterError(
            f"flavor {flavor.name!r} is public: every project can use it; only private flavors "
            "have project access lists"
        )


def change_flavor_access(
    conn: Any, plan: Plan, flavor: Any, projects: Sequence[Any], adding: bool
) -> List[Ref]:
    """Grant (or revoke) access to a private flavor; grants already in place are left alone."""
    _require_private(flavor)
    current = set()
    if flavor.id is not None:
        current = {entry["tenant_id"] for entry in conn.compute.get_flavor_access(flavor)}
    result = []
    for project in projects:
        has = project.id in current
        result.append(Ref(project.id, project.name, has))
        if has == adding:
            continue
        verb, method = (
            (Verb.ADD, conn.compute.flavor_add_tenant_access)
            if adding
            else (Verb.REMOVE, conn.compute.flavor_remove_tenant_access)
        )
        plan.apply(
            Change(verb, "flavor access", f"{flavor.name} for project {project.name}", project.id),
            lambda method=method, project_id=project.id: method(flavor, project_id),
        )
    return result


def ensure_flavor(
    conn: Any, plan: Plan, spec: FlavorSpec, extra_specs: Optional[Dict[str, str]] = None
) -> Tuple[Any, bool]:
    """The flavor ``spec.name``, created if missing: ``(flavor or None in a dry run, existed)``.

    An existing flavor must match the spec; missing extra specs are added, a different value
    for an existing one is a conflict.
    """
    from openstack import exceptions

    wanted = {str(k): str(v) for k, v in (extra_specs or {}).items()}
    try:
        flavor = conn.compute.find_flavor(spec.name, ignore_missing=False, get_extra_specs=True)
    except exceptions.NotFoundException:
        flavor = None
    existed = flavor is not None
    if not existed:
        attrs = spec.attrs()
        flavor = plan.apply(
            Change(Verb.CREATE, "flavor", spec.name, spec.flavor_id, attrs),
            lambda: conn.compute.create_flavor(**attrs),
        )
        missing = wanted
    else:
        differences = spec.differences(flavor)
        current = flavor.extra_specs or {}
        differences += [
            f"extra spec {key}={current[key]!r} (wanted {value!r})"
            for key, value in wanted.items()
            if key in current and current[key] != value
        ]
        if differences:
            raise ResourceConflictError(
                f"flavor {spec.name!r} exists ({flavor.id}) with different settings: "
                + ", ".join(differences)
                + "; flavors cannot be changed: choose another name"
            )
        missing = {key: value for key, value in wanted.items() if key not in current}
    if missing:
        plan.apply(
            Change(Verb.ADD, "flavor extra specs", spec.name, details=missing),
            lambda: conn.compute.create_flavor_extra_specs(flavor, missing),
        )
    return flavor, existed


def flavor_create(
    conn: Any,
    name: str,
    vcpus: int,
    ram: int,
    disk: int,
    ephemeral: int = 0,
    swap: int = 0,
    is_public: bool = True,
    description: Optional[str] = None,
    flavor_id: Optional[str] = None,
    extra_specs: Optional[Dict[str, str]] = None,
    projects: Optional[List[str]] = None,
    project_domain: Optional[str] = None,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Create a flavor (private ones with access for ``projects``); an identical one is kept."""
    spec = FlavorSpec(name, vcpus, ram, disk, ephemeral, swap, is_public, description, flavor_id)
    if projects and is_public:
        raise InvalidParameterError("projects: only a private flavor (is_public=false) has them")
    with openstack_errors("flavor.create"):
        owners = [find_project(conn, p, project_domain, "projects") for p in projects or []]
        plan = Plan(dry_run)
        flavor, existed = ensure_flavor(conn, plan, spec, extra_specs)
        access = []
        if owners:
            planned = types.SimpleNamespace(id=None, name=name, is_public=is_public)
            target = flavor if flavor is not None else planned
            access = change_flavor_access(conn, plan, target, owners, adding=True)
        return plan.report(
            flavor=Ref(flavor.id if flavor else None, name, existed), projects=access
        )


def _flavor_access(
    conn: Any,
    flavor: str,
    projects: List[str],
    project_domain: Optional[str],
    dry_run: bool,
    adding: bool,
) -> Dict[str, Any]:
    action = "flavor.project.access." + ("add" if adding else "remove")
    if not projects:
        raise InvalidParameterError("projects is empty; give at least one project")
    with openstack_errors(action):
        found = find_flavor(conn, flavor)
        owners = [find_project(conn, p, project_domain, "projects") for p in projects]
        plan = Plan(dry_run)
        before = change_flavor_access(conn, plan, found, owners, adding)
        return plan.report(
            flavor=Ref(found.id, found.name, True),
            projects=[project_ref(conn, p) for p in owners],
            had_access=[r.name for r in before if r.existed],
        )


def flavor_project_access_add(
    conn: Any,
    flavor: str,
    projects: List[str],
    project_domain: Optional[str] = None,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Let projects use a private flavor; projects that already can are left alone."""
    return _flavor_access(conn, flavor, projects, project_domain, dry_run, True)


def flavor_project_access_remove(
    conn: Any,
    flavor: str,
    projects: List[str],
    project_domain: Optional[str] = None,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Stop projects using a private flavor (running servers keep it); dry run by default."""
    return _flavor_access(conn, flavor, projects, project_domain, dry_run, False)
