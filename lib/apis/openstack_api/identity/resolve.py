"""Find keystone domains, projects, users, groups and roles by name or id.

A name may exist in several domains; without a domain such a name is an error that lists the
candidates, so an action never grants or removes anything on the wrong object.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
from typing import Any, Dict, List, Optional

from apis.openstack_api.identity.exceptions import (
    AmbiguousNameError,
    InvalidParameterError,
    NameNotFoundError,
)


class IdentityKind(enum.Enum):
    """Keystone object kinds: ``(label, proxy lister, proxy getter, cheap to list all)``."""

    PROJECT = ("project", "projects", "get_project", True)
    USER = ("user", "users", "get_user", False)
    GROUP = ("group", "groups", "get_group", True)
    ROLE = ("role", "roles", "get_role", True)

    def __init__(self, label: str, lister: str, getter: str, cheap: bool):
        self.label = label
        self.lister = lister
        self.getter = getter
        self.cheap = cheap

    @property
    def domain_scoped(self) -> bool:
        """Whether names are unique per domain (roles here are the global ones)."""
        return self is not IdentityKind.ROLE


@dataclasses.dataclass(frozen=True)
class IdentityRef:
    """A resolved keystone object as the actions report it."""

    id: str
    name: str
    domain: Optional[str] = None


class Resolver:
    """Resolves names on one connection; the domain list is read once."""

    def __init__(self, conn: Any):
        self.conn = conn
        self._domains: Optional[Dict[str, str]] = None

    def domains(self) -> Dict[str, str]:
        """Domain id -> name."""
        if self._domains is None:
            self._domains = {d.id: d.name for d in self.conn.identity.domains()}
        return self._domains

    def domain_id(self, value: str, parameter: str = "domain") -> str:
        """The id of the domain named or numbered ``value``."""
        domains = self.domains()
        if value in domains:
            return value
        matches = [i for i, name in domains.items() if name == value]
        if not matches:
            matches = [i for i, name in domains.items() if name.lower() == value.lower()]
        if len(matches) == 1:
            return matches[0]
        raise NameNotFoundError(
            f"{parameter} {value!r}: no such domain; valid domains: "
            + ", ".join(sorted(domains.values()))
        )

    def ref(self, resource: Any) -> IdentityRef:
        """How a resolved object is reported: id, name and domain name."""
        domain_id = getattr(resource, "domain_id", None)
        domain = self.domains().get(domain_id, domain_id) if domain_id else None
        return IdentityRef(id=resource.id, name=resource.name, domain=domain)

    def find(
        self,
        kind: IdentityKind,
        value: str,
        parameter: str,
        domain: Optional[str] = None,
        domain_parameter: Optional[str] = None,
    ) -> Any:
        """The one ``kind`` named or numbered ``value`` (in ``domain`` if given)."""
        if not value or not str(value).strip():
            raise InvalidParameterError(f"{parameter} is empty; give a {kind.label} name or id")
        domain_id = None
        if domain and kind.domain_scoped:
            domain_id = self.domain_id(domain, domain_parameter or "domain")
        matches = self._list(kind, name=value, domain_id=domain_id)
        if len(matches) > 1:
            raise AmbiguousNameError(
                self._ambiguous(kind, value, parameter, matches, domain_parameter)
            )
        if matches:
            return matches[0]
        by_id = self._get(kind, value)
        if by_id is not None and domain_id in (None, getattr(by_id, "domain_id", None)):
            return by_id
        raise NameNotFoundError(self._not_found(kind, value, parameter, domain_id))

    def find_all(
        self,
        kind: IdentityKind,
        values: List[str],
        parameter: str,
        domain: Optional[str] = None,
        domain_parameter: Optional[str] = None,
    ) -> List[Any]:
        """Every value resolved, duplicates dropped; nothing is changed before all resolve."""
        if not values:
            raise InvalidParameterError(f"{parameter} is empty; give at least one {kind.label}")
        found: Dict[str, Any] = {}
        for value in values:
            resource = self.find(kind, value, parameter, domain, domain_parameter)
            found.setdefault(resource.id, resource)
        return list(found.values())

    def _list(self, kind: IdentityKind, **query: Any) -> List[Any]:
        query = {key: value for key, value in query.items() if value is not None}
        return list(getattr(self.conn.identity, kind.lister)(**query))

    def _get(self, kind: IdentityKind, value: str) -> Any:
        from openstack import exceptions

        try:
            return getattr(self.conn.identity, kind.getter)(value)
        except (exceptions.NotFoundException, exceptions.BadRequestException):
            return None

    def _ambiguous(
        self,
        kind: IdentityKind,
        value: str,
        parameter: str,
        matches: List[Any],
        domain_parameter: Optional[str],
    ) -> str:
        candidates = ", ".join(
            f"{ref.name} (domain {ref.domain}, id {ref.id})"
            for ref in sorted((self.ref(m) for m in matches), key=lambda r: (r.domain or "", r.id))
        )
        how = f"give {domain_parameter} or the id" if domain_parameter else "give the id"
        return (
            f"{parameter} {value!r} is ambiguous: {len(matches)} {kind.label}s have that name: "
            f"{candidates}; {how}"
        )

    def _not_found(
        self, kind: IdentityKind, value: str, parameter: str, domain_id: Optional[str]
    ) -> str:
        where = f" in domain {self.domains().get(domain_id, domain_id)}" if domain_id else ""
        message = f"{parameter} {value!r}: no {kind.label} with that name or id{where}"
        if domain_id:
            elsewhere = self._list(kind, name=value)
            if elsewhere:
                domains = sorted({self.ref(r).domain or "" for r in elsewhere})
                return f"{message}; it exists in domain(s): {', '.join(domains)}"
        if not kind.cheap:
            return message
        names = sorted({r.name for r in self._list(kind, domain_id=domain_id)})
        if kind is IdentityKind.ROLE:
            return f"{message}; valid roles: {', '.join(names)}"
        hints = difflib.get_close_matches(value, names, n=5)
        return f"{message}; did you mean: {', '.join(hints)}?" if hints else message
