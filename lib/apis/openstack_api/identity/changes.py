"""How the identity actions report what they changed (or would change)."""

from __future__ import annotations

import dataclasses
import enum
from typing import Callable, List, Optional


class ChangeState(enum.Enum):
    """What happened to one grant or membership."""

    ADDED = "added"
    ALREADY_PRESENT = "already_present"
    REMOVED = "removed"
    WOULD_REMOVE = "would_remove"
    NOT_PRESENT = "not_present"


@dataclasses.dataclass(frozen=True)
class Change:
    """One grant or membership: the subject (user or group), the role if any, its state."""

    subject: str
    state: ChangeState
    role: Optional[str] = None


def apply_add(exists: Callable[[], bool], add: Callable[[], None]) -> ChangeState:
    """Add unless already there (idempotent)."""
    if exists():
        return ChangeState.ALREADY_PRESENT
    add()
    return ChangeState.ADDED


def apply_remove(
    exists: Callable[[], bool], remove: Callable[[], None], dry_run: bool
) -> ChangeState:
    """Remove if there; in a dry run only report that it would be removed."""
    if not exists():
        return ChangeState.NOT_PRESENT
    if dry_run:
        return ChangeState.WOULD_REMOVE
    remove()
    return ChangeState.REMOVED


def changed(changes: List[Change]) -> bool:
    """Whether anything in the cloud changed."""
    return any(c.state in (ChangeState.ADDED, ChangeState.REMOVED) for c in changes)
