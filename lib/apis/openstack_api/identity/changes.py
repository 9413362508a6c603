"""How the identity actions apply (or, in a dry run, only report) grants and memberships."""

from __future__ import annotations

from typing import Callable

from apis.results import ObjectOutcome, Outcome


def apply(
    kind: str,
    name: str,
    adding: bool,
    exists: Callable[[], bool],
    operation: Callable[[], None],
    dry_run: bool,
) -> ObjectOutcome:
    """Add (or remove) one grant or membership unless it is already so; only report in a dry run."""
    change = "add" if adding else "remove"
    if exists() is adding:
        reason = "already present" if adding else "not present"
        return ObjectOutcome(kind, name, Outcome.UNCHANGED, change, reason)
    if not dry_run:
        operation()
    return ObjectOutcome(kind, name, Outcome.DONE, change)
