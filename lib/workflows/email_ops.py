"""Notification actions emailing a list: the ops team about hypervisors, the users' mailing
list about images. Dry runs unless ``dry_run`` is false."""

from __future__ import annotations

from typing import Any, Dict, Optional

from apis import clock
from apis.choices import choices
from apis.email_api.exceptions import NotificationParameterError
from apis.email_api.message import OutgoingEmail
from workflows.email_common import (
    Delivery,
    notification_result,
    parse_when,
    require_address,
)
from workflows.email_users import DECOMMISSION_KEY

IMAGE_COLUMNS = (
    "id",
    "name",
    "created_at",
    "os_distro",
    "visibility",
    "min_disk",
    "min_ram",
    "properties",
)


def _is_down_or_disabled(hypervisor: Dict[str, Any]) -> bool:
    return hypervisor["hypervisor_state"] != "up" or hypervisor["hypervisor_status"] != "enabled"


def email_ops_down_disabled_hypervisors(
    conn: Any,
    delivery: Delivery,
    ops_mailing_list: Optional[str] = None,
) -> Dict[str, Any]:
    """Email the ops list the hypervisors that are down or disabled, with how many servers
    each holds; when none is, the email is an all-clear."""
    from apis.openstack_query_api import HypervisorQuery, ServerQuery

    recipient = require_address("ops_mailing_list", ops_mailing_list)
    hypervisors = (
        HypervisorQuery()
        .select("name", "state", "status", "disabled_reason")
        .sort_by("name")
        .run(conn)
        .to_props()
    )
    down = [h for h in hypervisors if _is_down_or_disabled(h)]
    counts: Dict[str, int] = {}
    if down:
        servers = (
            ServerQuery()
            .select("id", "hypervisor_name")
            .where("in", "hypervisor_name", values=[h["hypervisor_name"] for h in down])
            .run(conn, all_projects=True, as_admin=True)
            .to_props()
        )
        for server in servers:
            counts[server["server_hypervisor_name"]] = (
                counts.get(server["server_hypervisor_name"], 0) + 1
            )
    listed = [
        {
            "name": h["hypervisor_name"],
            "state": h["hypervisor_state"],
            "status": h["hypervisor_status"],
            "disabled_reason": h["hypervisor_disabled_reason"],
            "servers": counts.get(h["hypervisor_name"], 0),
        }
        for h in down
    ]
    email = OutgoingEmail.from_template(
        "ops_hypervisors_down",
        delivery.variables(
            {
                "cloud_name": conn.config.name,
                "hypervisors": listed,
                "total_hypervisors": len(hypervisors),
                "checked_at": clock.now(),
            }
        ),
        to=recipient,
        cc=delivery.cc,
        label="ops",
    )
    return notification_result(
        "ops_hypervisors_down",
        delivery.send([email]),
        all_clear=not listed,
        hypervisors=listed,
        total_hypervisors=len(hypervisors),
    )


def _find_image(conn: Any, image: str) -> Dict[str, Any]:
    """One image by id or unique name, as the image templates show it."""
    from apis.openstack_query_api import ImageQuery

    found = (
        ImageQuery().select(*IMAGE_COLUMNS).where("==", "id", value=image).run(conn)
    ).to_props()
    if not found:
        found = (
            ImageQuery()
            .select(*IMAGE_COLUMNS)
            .where("==", "name", value=image)
            .run(conn)
            .to_props()
        )
    if len(found) > 1:
        ids = ", ".join(sorted(i["image_id"] for i in found))
        raise NotificationParameterError(
            f"image {image!r}: {len(found)} images of {conn.config.name} have that name; "
            f"give one of their ids: {ids}"
        )
    if not found:
        known = ImageQuery().select("name").run(conn).to_props()
        raise NotificationParameterError(
            f"image {image!r} is not an image (name or id) of {conn.config.name}; "
            + choices([i["image_name"] for i in known if i["image_name"]], image)
        )
    row = found[0]
    properties = row["image_properties"] or {}
    return {
        "id": row["image_id"],
        "name": row["image_name"],
        "created_at": row["image_created_at"],
        "os_distro": row["image_os_distro"],
        "os_version": properties.get("os_version"),
        "visibility": row["image_visibility"],
        "min_disk": row["image_min_disk"],
        "min_ram": row["image_min_ram"],
        "decommission_date": properties.get(DECOMMISSION_KEY),
    }


def _email_list(
    template: str, variables: Dict[str, Any], recipient: str, delivery: Delivery
) -> Dict[str, Any]:
    email = OutgoingEmail.from_template(
        template,
        delivery.variables(variables),
        to=recipient,
        cc=delivery.cc,
        label=variables["image"]["name"],
    )
    return notification_result(template, delivery.send([email]), image=variables["image"])


def email_mailing_list_image_created(
    conn: Any,
    delivery: Delivery,
    image: str,
    notes: Optional[str] = None,
    users_mailing_list: Optional[str] = None,
) -> Dict[str, Any]:
    """Announce a new image (by name or id) on the users' mailing list."""
    recipient = require_address("users_mailing_list", users_mailing_list)
    found = _find_image(conn, image)
    found.pop("decommission_date")
    return _email_list(
        "image_created",
        {"cloud_name": conn.config.name, "image": found, "notes": notes},
        recipient,
        delivery,
    )


def email_mailing_list_image_decommissioned(
    conn: Any,
    delivery: Delivery,
    image: str,
    decommission_date: Optional[str] = None,
    replacement: Optional[str] = None,
    notes: Optional[str] = None,
    users_mailing_list: Optional[str] = None,
) -> Dict[str, Any]:
    """Announce that an image (by name or id) is retired on ``decommission_date`` (default:
    the image's ``cloudops:decommission_date`` property) on the users' mailing list."""
    recipient = require_address("users_mailing_list", users_mailing_list)
    found = _find_image(conn, image)
    dated = found.pop("decommission_date")
    when = parse_when("decommission_date", decommission_date or dated)
    if when is None:
        raise NotificationParameterError(
            f"decommission_date is not given and image {found['name']!r} has no "
            f"{DECOMMISSION_KEY!r} property"
        )
    return _email_list(
        "image_decommissioned",
        {
            "cloud_name": conn.config.name,
            "image": found,
            "decommission_date": when,
            "replacement": replacement,
            "notes": notes,
        },
        recipient,
        delivery,
    )
