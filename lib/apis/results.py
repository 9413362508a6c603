"""The one result shape of every action that changes or sends something.

A changing action returns a :class:`ChangeResult` (or a dataclass derived from it that adds
the action's own fields): ``changed``, ``dry_run`` and one :class:`ObjectOutcome` per object it
touched (or, in a dry run, would touch). A dry run reports exactly the outcomes the real run
would have: ``done`` then means "would be done", and ``changed`` stays false.

:data:`CHANGE_RESULT_SCHEMA` is the same shape in StackStorm's output_schema dialect: every
changing action's YAML carries these properties (a contract test checks it).
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Dict, List, Optional


class Outcome(enum.Enum):
    """What happened (or, in a dry run, would happen) to one object."""

    DONE = "done"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclasses.dataclass(frozen=True)
class ObjectOutcome:
    """One object: its kind and name, the outcome, the change (verb) and why, its id if any."""

    kind: str
    name: str
    outcome: Outcome
    change: str = ""
    reason: str = ""
    id: Optional[str] = None


@dataclasses.dataclass
class ChangeResult:
    """``changed``, ``dry_run`` and the per-object ``objects`` of a changing action."""

    dry_run: bool
    objects: List[ObjectOutcome]
    changed: bool = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.changed = not self.dry_run and any(o.outcome is Outcome.DONE for o in self.objects)


def outcome_schema() -> Dict[str, Any]:
    """The output_schema of one :class:`ObjectOutcome` (StackStorm dialect: ``anyOf``, as
    StackStorm ignores an output_schema with a list of types)."""
    return {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "required": True},
            "name": {"type": "string", "required": True},
            "outcome": {
                "type": "string",
                "enum": [o.value for o in Outcome],
                "required": True,
            },
            "change": {"type": "string", "required": True},
            "reason": {"type": "string", "required": True},
            "id": {"anyOf": [{"type": "string"}, {"type": "null"}], "required": True},
        },
        "additionalProperties": False,
    }


CHANGE_RESULT_SCHEMA: Dict[str, Any] = {
    "changed": {
        "type": "boolean",
        "required": True,
        "description": "Whether this run changed something (always false in a dry run).",
    },
    "dry_run": {"type": "boolean", "required": True},
    "objects": {
        "type": "array",
        "required": True,
        "description": (
            "One entry per object: outcome done (in a dry run: would be done), unchanged, "
            "skipped or failed, with the change and the reason."
        ),
        "items": outcome_schema(),
    },
}


def one_object_result(
    dry_run: bool, changed_object: ObjectOutcome, **fields: Any
) -> Dict[str, Any]:
    """The result of an action on one object: its own ``fields`` and the change result."""
    return {**fields, **vars(ChangeResult(dry_run=dry_run, objects=[changed_object]))}
