"""Cinder volume snapshots older than a number of days: one listing of every project's
snapshots (``GET /v3/{project}/snapshots/detail?all_tenants=1``)."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any, List, Optional

from apis import clock
from apis.openstack_api.exceptions import OpenStackApiError

BLOCK_STORAGE = "block-storage"


class VolumeSnapshotError(OpenStackApiError):
    """The cloud has no cinder, or a parameter of the snapshot check is bad."""


@dataclasses.dataclass(frozen=True)
class OldSnapshot:
    """A volume snapshot past the age limit."""

    snapshot_id: str
    snapshot_name: Optional[str]
    volume_id: str
    project_id: Optional[str]
    status: str
    size_gb: int
    created_at: str
    age_days: float


def old_snapshots(
    conn: Any, days: float, as_of: datetime.datetime, project_id: Optional[str] = None
) -> List[OldSnapshot]:
    """The snapshots created more than ``days`` days before ``as_of``, oldest first."""
    if days < 0:
        raise VolumeSnapshotError(f"days {days} is negative: give 0 or more days")
    if not conn.has_service(BLOCK_STORAGE):
        raise VolumeSnapshotError(
            f"cloud {conn.config.name} has no block-storage service (cinder): "
            "it has no volume snapshots to check"
        )
    filters = {"project_id": project_id} if project_id else {}
    cutoff = as_of - datetime.timedelta(days=days)
    found = []
    for snapshot in conn.block_storage.snapshots(details=True, all_projects=True, **filters):
        created = clock.parse(snapshot.created_at, f"snapshot {snapshot.id} created_at")
        if created < cutoff:
            found.append(
                OldSnapshot(
                    snapshot_id=snapshot.id,
                    snapshot_name=snapshot.name,
                    volume_id=snapshot.volume_id,
                    project_id=snapshot.project_id,
                    status=snapshot.status,
                    size_gb=snapshot.size,
                    created_at=created.isoformat(),
                    age_days=round((as_of - created).total_seconds() / 86400, 1),
                )
            )
    return sorted(found, key=lambda s: (s.created_at, s.snapshot_id))
