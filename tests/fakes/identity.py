"""The fake cloud's keystone: projects, users, groups, role grants and group memberships."""

from typing import Any, Dict

from openstack import exceptions
from openstack.identity.v3.domain import Domain
from openstack.identity.v3.group import Group
from openstack.identity.v3.project import Project
from openstack.identity.v3.role import Role
from openstack.identity.v3.role_assignment import RoleAssignment
from openstack.identity.v3.user import User

from tests.fakes.store import Store, id_of, query_keys

ADMIN_PROJECT = "p-admin"


class FakeKeystone(Store):
    """Keystone's part of the fake cloud.

    ``grants`` holds ``(principal kind, project id, principal id, role id)``;
    ``group_members`` holds ``(group id, user id)``.
    """

    grants: set
    group_members: set

    def project(self, name: str, domain_id: str = "default", **attrs: Any) -> Project:
        """Add a project ``p-NAME`` (and its domain)."""
        if not any(d.id == domain_id for d in self.of("domains")):
            self.add(Domain(id=domain_id, name=domain_id.capitalize()))
        attrs.setdefault("tags", [])
        return self.add(Project(id=f"p-{name}", name=name, domain_id=domain_id, **attrs))

    def with_admin(self) -> "FakeKeystone":
        """Seed what every keystone has: the admin project, roles, a second domain."""
        self.project("admin")
        self.add(Domain(id="d-seed", name="seed"))
        for role in ("admin", "member", "reader"):
            self.add(Role(id=f"r-{role}", name=role))
        return self

    def user(self, name: str, domain_id: str = "default") -> User:
        """Add a user."""
        return self.add(User(name=name, domain_id=domain_id))

    def group(self, name: str, domain_id: str = "default") -> Group:
        """Add a group."""
        return self.add(Group(name=name, domain_id=domain_id))

    def wire_identity(self) -> None:
        """Serve grants, memberships, role assignments and finds."""
        effects = {}
        for kind in ("user", "group"):
            effects[f"validate_{kind}_has_project_role"] = self._grant_effect(kind, "check")
            effects[f"assign_project_role_to_{kind}"] = self._grant_effect(kind, "add")
            effects[f"unassign_project_role_from_{kind}"] = self._grant_effect(kind, "discard")
        self.serve_shaped("identity", **effects)
        members = self.group_members
        self.serve(
            "identity",
            check_user_in_group=lambda user, group: (id_of(group), id_of(user)) in members,
            add_user_to_group=lambda user, group: members.add((id_of(group), id_of(user))),
            remove_user_from_group=lambda user, group: members.discard((id_of(group), id_of(user))),
            role_assignments=self._role_assignments,
            find_project=self._finder("projects"),
            find_domain=self._find_domain,
        )

    def _grant_effect(self, kind: str, operation: str):
        def effect(project, principal, role, *, inherited=False):
            assert not inherited
            grant = (kind, id_of(project), id_of(principal), id_of(role))
            if operation == "check":
                return grant in self.grants
            return getattr(self.grants, operation)(grant)

        return effect

    def _finder(self, kind: str):
        def find(name_or_id, ignore_missing=True, **query):
            for found in self.of(kind):
                if name_or_id in (found.id, found.name) and all(
                    getattr(found, k) == v for k, v in query.items()
                ):
                    return found
            if ignore_missing:
                return None
            raise exceptions.NotFoundException(f"No resource found for {name_or_id}")

        return find

    def _find_domain(self, name_or_id, ignore_missing=True):
        return self._finder("domains")(name_or_id, ignore_missing)

    def _named(self, kind: str, value_id: str) -> Dict[str, Any]:
        item = next(r for r in self.of(kind) if r.id == value_id)
        named = {"id": item.id, "name": item.name}
        if getattr(item, "domain_id", None):
            domain = next(d for d in self.of("domains") if d.id == item.domain_id)
            named["domain"] = {"id": domain.id, "name": domain.name}
        return named

    def _role_assignments(self, **query):
        unknown = set(query) - query_keys(RoleAssignment)
        assert not unknown, unknown
        assert not (query.get("effective") and query.get("group_id")), "keystone: 400"
        rows = []
        for kind, project_id, principal_id, role_id in sorted(self.grants):
            principals = [(kind, principal_id)]
            if kind == "group" and query.get("effective"):
                principals = [
                    ("user", u) for g, u in sorted(self.group_members) if g == principal_id
                ]
            for who, who_id in principals:
                row = {"scope_project_id": project_id, "role_id": role_id, f"{who}_id": who_id}
                if any(query.get(k) not in (None, v) for k, v in row.items()) or (
                    query.get("user_id" if who == "group" else "group_id")
                ):
                    continue
                rows.append(
                    RoleAssignment(
                        role=self._named("roles", role_id),
                        scope={"project": self._named("projects", project_id)},
                        **{who: self._named(f"{who}s", who_id)},
                    )
                )
        return iter(rows)
