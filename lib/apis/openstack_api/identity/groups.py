"""Keystone group membership: add or remove several users at once."""

from __future__ import annotations

import dataclasses
import functools
from typing import List, Optional

from apis.openstack_api.connection import connect
from apis.openstack_api.identity.changes import Change, apply_add, apply_remove, changed
from apis.openstack_api.identity.exceptions import openstack_errors
from apis.openstack_api.identity.resolve import IdentityKind, IdentityRef, Resolver


@dataclasses.dataclass(frozen=True)
class MembershipReport:
    """The group and one change per user."""

    group: IdentityRef
    changes: List[Change]
    changed: bool
    dry_run: bool


def _change_members(
    adding: bool,
    cloud_account: str,
    group: str,
    users: List[str],
    group_domain: Optional[str],
    user_domain: Optional[str],
    dry_run: bool = False,
) -> MembershipReport:
    verb = "adding users to" if adding else "removing users from"
    with connect(cloud_account) as conn, openstack_errors(f"{verb} a group"):
        resolver = Resolver(conn)
        group_obj = resolver.find(IdentityKind.GROUP, group, "group", group_domain, "group_domain")
        user_objs = resolver.find_all(IdentityKind.USER, users, "users", user_domain, "user_domain")
        identity = conn.identity
        changes = []
        for user in user_objs:
            exists = functools.partial(identity.check_user_in_group, user, group_obj)
            if adding:
                state = apply_add(
                    exists, functools.partial(identity.add_user_to_group, user, group_obj)
                )
            else:
                state = apply_remove(
                    exists,
                    functools.partial(identity.remove_user_from_group, user, group_obj),
                    dry_run,
                )
            changes.append(Change(subject=resolver.ref(user).name, state=state))
        return MembershipReport(
            group=resolver.ref(group_obj),
            changes=changes,
            changed=changed(changes),
            dry_run=dry_run,
        )


def group_user_add(
    cloud_account: str,
    group: str,
    users: List[str],
    group_domain: Optional[str] = None,
    user_domain: Optional[str] = None,
) -> MembershipReport:
    """Add users to a group; members already in it are reported, not re-added."""
    return _change_members(True, cloud_account, group, users, group_domain, user_domain)


def group_user_remove(
    cloud_account: str,
    group: str,
    users: List[str],
    group_domain: Optional[str] = None,
    user_domain: Optional[str] = None,
    dry_run: bool = True,
) -> MembershipReport:
    """Remove users from a group (dry run by default); non-members are reported as such."""
    return _change_members(False, cloud_account, group, users, group_domain, user_domain, dry_run)
