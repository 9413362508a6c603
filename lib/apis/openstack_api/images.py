"""Image sharing and decommission marks (image.share.to.project, image.decommission.mark)."""

from __future__ import annotations

import datetime
from typing import Any, Dict, Optional, Tuple

from apis import clock
from apis.openstack_api.identity.exceptions import InvalidParameterError, openstack_errors
from apis.openstack_api.networks import (
    Change,
    Plan,
    Ref,
    Verb,
    find_project,
    get_or_none,
    pick,
    project_ref,
)

DECOMMISSION_KEY = "cloudops:decommission_date"
ACCEPTED = "accepted"
SHAREABLE = ("private", "shared")


def find_image(conn: Any, value: str, parameter: str = "image") -> Any:
    """An image by name (names are not unique in glance: several is an error) or id."""
    return pick(
        "image",
        value,
        parameter,
        list(conn.image.images(name=value)),
        conn.image.get_image,
        lambda: (i.name for i in conn.image.images()),
    )


def share_image(conn: Any, plan: Plan, image: Any, project: Any) -> Tuple[Optional[str], bool]:
    """Make ``project`` an accepted member of ``image``: ``(member status, already shared)``.

    A private image becomes ``shared`` first; the membership is accepted on the project's
    behalf, so it shows up in the project's image list at once.
    """
    if image.owner == project.id:
        raise InvalidParameterError(f"project {project.name} owns image {image.name}: no sharing")
    if image.visibility not in SHAREABLE:
        raise InvalidParameterError(
            f"image {image.name!r} is {image.visibility}: every project can use it already; "
            "only private or shared images are shared to projects"
        )
    if image.visibility == "private":
        plan.apply(
            Change(Verb.UPDATE, "image", image.name, image.id, {"visibility": "shared"}),
            lambda: conn.image.update_image(image, visibility="shared"),
        )
    member = get_or_none(lambda member_id: conn.image.get_member(member_id, image), project.id)
    if member is None:
        plan.apply(
            Change(
                Verb.ADD, "image member", f"{image.name} for project {project.name}", project.id
            ),
            lambda: conn.image.add_member(image, member_id=project.id),
        )
    elif member.status == ACCEPTED:
        return member.status, True
    plan.apply(
        Change(
            Verb.UPDATE,
            "image member",
            f"{image.name} for project {project.name}",
            project.id,
            {"status": ACCEPTED},
        ),
        lambda: conn.image.update_member(project.id, image, status=ACCEPTED),
    )
    return (None if plan.dry_run else ACCEPTED), False


def image_share_to_project(
    conn: Any,
    image: str,
    project: str,
    project_domain: Optional[str] = None,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Share an image with a project and accept the membership for it."""
    with openstack_errors("image.share.to.project"):
        found = find_image(conn, image)
        member = find_project(conn, project, project_domain)
        plan = Plan(dry_run)
        status, existed = share_image(conn, plan, found, member)
        return plan.report(
            image=Ref(found.id, found.name, True),
            project=project_ref(conn, member),
            member_status=status,
            already_shared=existed,
        )


def parse_date(value: str, parameter: str = "decommission_date") -> datetime.date:
    """A YYYY-MM-DD date that is today or later."""
    try:
        date = clock.parse_date(value, parameter)
    except ValueError as err:
        raise InvalidParameterError(str(err)) from None
    today = clock.today()
    if date < today:
        raise InvalidParameterError(f"{parameter} {value} is in the past (today is {today})")
    return date


def mark_decommission(conn: Any, plan: Plan, image: Any, date: datetime.date) -> Optional[str]:
    """Set the image's decommission property to ``date``; the previous value (None if unset)."""
    previous = (image.properties or {}).get(DECOMMISSION_KEY)
    if previous != date.isoformat():
        plan.apply(
            Change(
                Verb.UPDATE,
                "image",
                image.name,
                image.id,
                {DECOMMISSION_KEY: {"from": previous, "to": date.isoformat()}},
            ),
            # openstacksdk replaces all properties with the ones given (glance refuses to drop
            # read-only ones such as ``stores``), so every current property is passed along.
            lambda: conn.image.update_image(
                image, **{**(image.properties or {}), DECOMMISSION_KEY: date.isoformat()}
            ),
        )
    return previous


def image_decommission_mark(
    conn: Any, image: str, decommission_date: str, dry_run: bool = True
) -> Dict[str, Any]:
    """Mark an image for decommissioning on a date (the notification emails read it)."""
    date = parse_date(decommission_date)
    with openstack_errors("image.decommission.mark"):
        found = find_image(conn, image)
        plan = Plan(dry_run)
        previous = mark_decommission(conn, plan, found, date)
        return plan.report(
            image=Ref(found.id, found.name, True),
            property=DECOMMISSION_KEY,
            previous_date=previous,
            decommission_date=date,
        )
