"""Keystone group membership: add or remove several users at once."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, List, Optional

from apis.openstack_api.identity.changes import apply
from apis.openstack_api.identity.exceptions import openstack_errors
from apis.openstack_api.identity.resolve import IdentityKind, IdentityRef, Resolver
from apis.results import ChangeResult


@dataclasses.dataclass
class MembershipReport(ChangeResult):
    """The change result (one object per user) and the group."""

    group: IdentityRef


def _change_members(
    adding: bool,
    conn: Any,
    group: str,
    users: List[str],
    group_domain: Optional[str],
    user_domain: Optional[str],
    dry_run: bool = False,
) -> MembershipReport:
    verb = "adding users to" if adding else "removing users from"
    with openstack_errors(f"{verb} a group"):
        resolver = Resolver(conn)
        group_obj = resolver.find(IdentityKind.GROUP, group, "group", group_domain, "group_domain")
        user_objs = resolver.find_all(IdentityKind.USER, users, "users", user_domain, "user_domain")
        identity = conn.identity
        operation = identity.add_user_to_group if adding else identity.remove_user_from_group
        objects = [
            apply(
                "group member",
                resolver.ref(user).name,
                adding,
                functools.partial(identity.check_user_in_group, user, group_obj),
                functools.partial(operation, user, group_obj),
                dry_run,
            )
            for user in user_objs
        ]
        return MembershipReport(dry_run=dry_run, objects=objects, group=resolver.ref(group_obj))


def group_user_add(
    conn: Any,
    group: str,
    users: List[str],
    group_domain: Optional[str] = None,
    user_domain: Optional[str] = None,
    dry_run: bool = False,
) -> MembershipReport:
    """Add users to a group; members already in it are reported, not re-added."""
    return _change_members(True, conn, group, users, group_domain, user_domain, dry_run)


def group_user_remove(
    conn: Any,
    group: str,
    users: List[str],
    group_domain: Optional[str] = None,
    user_domain: Optional[str] = None,
    dry_run: bool = True,
) -> MembershipReport:
    """Remove users from a group (dry run by default); non-members are reported as such."""
    return _change_members(False, conn, group, users, group_domain, user_domain, dry_run)
