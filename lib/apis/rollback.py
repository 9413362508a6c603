"""The one way an action undoes what it did: each change records its undo as it is made; on a
failure the undos run in reverse, every one tried and every outcome reported.

:class:`Rollback` is the record (``networks.Plan`` and the project.create builder keep one);
:func:`run_saga` runs a fixed list of :class:`Step` on it (hypervisor.patch.reboot);
:func:`summary` is the one line an error ends with.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from apis.errors import CloudopsError
from apis.progress import Progress

StepResult = Dict[str, Any]
Failure = Callable[[BaseException], Dict[str, Any]]
UNDONE = "undone"
CANNOT = "cannot be undone"
FAILED = "rollback failed"


def error_of(err: BaseException) -> Dict[str, Any]:
    """What a report says of a failure: its message and type."""
    return {"error": str(err), "error_type": type(err).__name__}


class Rollback:
    """The undos of the changes made so far, in the order made.

    ``failure`` turns an undo's exception into the outcome's details.
    """

    def __init__(self, failure: Failure = error_of):
        self._failure = failure
        self._undos: List[Tuple[str, Optional[Callable[[], Any]], bool]] = []

    def add(self, label: str, undo: Optional[Callable[[], Any]], itemized: bool = False) -> None:
        """Record the undo of ``label`` (None: it cannot be undone). An ``itemized`` undo
        returns what it removed, reported as ``removed``; another may return a dict of details."""
        self._undos.append((label, undo, itemized))

    def run(self) -> List[Dict[str, Any]]:
        """Undo everything recorded, newest first, and forget it: one outcome per undo
        (``undone``, ``cannot be undone`` or ``rollback failed`` with the error)."""
        outcomes = []
        undos, self._undos = self._undos, []
        for label, undo, itemized in reversed(undos):
            outcome: Dict[str, Any] = {"step": label, "outcome": UNDONE}
            if undo is None:
                outcome["outcome"] = CANNOT
            else:
                try:
                    result = undo()
                except Exception as err:  # pylint: disable=broad-exception-caught
                    outcome.update(outcome=FAILED, **self._failure(err))
                else:
                    if itemized:
                        outcome["removed"] = list(result)
                    elif isinstance(result, Mapping):
                        outcome.update(result)
            outcomes.append(outcome)
        return outcomes

    def __len__(self) -> int:
        return len(self._undos)


def summary(outcomes: Sequence[Mapping[str, Any]]) -> str:
    """What was and was not rolled back, in one line (an undo's ``removed`` items each named)."""
    undone = [
        item
        for outcome in outcomes
        if outcome["outcome"] == UNDONE
        for item in outcome.get("removed", [outcome["step"]])
    ]
    failed = [f"{o['step']} ({o['error']})" for o in outcomes if o["outcome"] == FAILED]
    line = f"rolled back: {', '.join(undone) or 'nothing'}"
    if failed:
        line += f"; NOT rolled back (clean up by hand): {', '.join(failed)}"
    return line


@dataclasses.dataclass(frozen=True)
class Step:
    """One saga step: ``do`` returns what it did; ``undo`` (if any) reverses it from that."""

    name: str
    do: Callable[[], StepResult]
    undo: Optional[Callable[[StepResult], StepResult]] = None


def run_saga(
    steps: Sequence[Step], failure: Failure = error_of, progress: Optional[Progress] = None
) -> Tuple[bool, Dict[str, Any]]:
    """Run ``steps`` in order; on a failure undo the done ones in reverse.

    ``(ok, report)``: the report has each step's outcome, the failing step (or None) and each
    rollback's outcome. An unexpected exception (a bug) is re-raised after the rollback.
    With ``progress``, one line per step and per rollback.
    """
    report: Dict[str, Any] = {"steps": [], "failed_step": None, "rollback": []}
    rollback = Rollback(failure)
    for index, step in enumerate(steps):
        try:
            result = step.do()
        except Exception as err:  # pylint: disable=broad-exception-caught
            report["steps"].append({"step": step.name, "outcome": "failed", **failure(err)})
            report["steps"].extend(
                {"step": later.name, "outcome": "not run"} for later in steps[index + 1 :]
            )
            report["failed_step"] = step.name
            if progress is not None:
                progress.step("%s failed: %s", step.name, err)
            report["rollback"] = rollback.run()
            for undone in report["rollback"] if progress is not None else ():
                progress.note("rollback of %s: %s", undone["step"], undone["outcome"])
            if not isinstance(err, CloudopsError):
                raise
            return False, report
        report["steps"].append({"step": step.name, "outcome": "done", **result})
        undo = step.undo
        rollback.add(step.name, (lambda u=undo, r=result: u(r)) if undo else None)
        if progress is not None:
            progress.step("%s done", step.name)
    return True, report
