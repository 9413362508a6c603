"""A FAKE cinder, not a recording of a live one: the devcloud has no cinder, so the volume
snapshot check is tested against ``snapshots_detail_all_tenants.json``, a body written in the
shape cinder v3 returns for ``GET /v3/{project}/snapshots/detail?all_tenants=1`` (microversion
3.65 fields, from the Block Storage API reference), turned into openstacksdk resources the
way the SDK turns a real response into them (wire names such as
``os-extended-snapshot-attributes:project_id`` included)."""

import json
from pathlib import Path
from typing import List

from openstack.block_storage.v3.snapshot import Snapshot

BODY = Path(__file__).with_name("snapshots_detail_all_tenants.json")


def fake_cinder_snapshots() -> List[Snapshot]:
    """The fake body's snapshots as the block_storage proxy lists them."""
    body = json.loads(BODY.read_text(encoding="utf-8"))
    return [Snapshot.existing(**raw) for raw in body["snapshots"]]
