"""One poll of the hypervisor state sensor: current states, and which changed since last time."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Dict, List, Optional, Tuple

from apis.openstack_api.connection import connect
from apis.openstack_api.hypervisor_facts import collect_facts
from apis.openstack_api.hypervisor_state import (
    DEFAULT_REBOOT_WINDOW_SECONDS,
    changes,
    compute_state,
)

DATASTORE_KEY = "hypervisor_states"
TRIGGER = "cloudops.hypervisor.state_change"


def load_states(stored: Optional[str]) -> Dict[str, str]:
    """The states recorded by the last poll (a JSON object in the datastore)."""
    if not stored:
        return {}
    try:
        states = json.loads(stored)
    except ValueError:
        return {}
    return states if isinstance(states, dict) else {}


def poll(
    cloud_account: str,
    previous: Dict[str, str],
    reboot_window_seconds: float = DEFAULT_REBOOT_WINDOW_SECONDS,
) -> Tuple[List[Dict[str, Any]], str]:
    """Trigger payloads for changed hypervisors, and the JSON of every current state.

    Each payload names the cloud, so a rule can hand it on to the action it runs.
    """
    with connect(cloud_account) as conn:
        facts = collect_facts(conn)
    found = changes(facts, previous, reboot_window_seconds)
    states = {fact.name: compute_state(fact, reboot_window_seconds).value for fact in facts}
    payloads = [{**dataclasses.asdict(change), "cloud_account": cloud_account} for change in found]
    return payloads, json.dumps(states, sort_keys=True)
