"""Every action result a test sees is checked against the action's output_schema, the way
StackStorm 3.9 reads it (``required: true`` inside a property; the python runner's ``result``).

:func:`check_result` is called by the helpers that run actions in tests (integration:
action_run.py; unit tests: with the lib result); it records which actions were checked, and
``pytest --require-checked-results`` fails a run that never checked some action's result.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Dict, Set

from action_runtime.jsonable import to_jsonable
from packtools import st2_schema
from packtools.pack import load_pack

ROOT = Path(__file__).resolve().parent.parent
CHECKED: Set[str] = set()


@functools.lru_cache(maxsize=None)
def output_schemas() -> Dict[str, Any]:
    """Python action name -> its output_schema in draft-4 (None when it has none)."""
    pack = load_pack(ROOT)
    return {
        name: (
            st2_schema.to_draft4(action.data["output_schema"])
            if action.data.get("output_schema")
            else None
        )
        for name, action in pack.actions.items()
        if action.data["runner_type"] == "python-script"
    }


def check_result(action: str, result: Any) -> Any:
    """The JSON form of ``result`` after asserting that it matches ``action``'s output_schema."""
    name = action.split(".", 1)[1] if action.startswith("cloudops.") else action
    value = to_jsonable(result)
    schema = output_schemas()[name]
    assert schema is not None, f"{name} has no output_schema"
    errors = st2_schema.validation_errors(schema, value)
    assert not errors, f"{name}'s result breaks its output_schema: " + "; ".join(errors)
    CHECKED.add(name)
    return value


def unchecked() -> Set[str]:
    """Actions whose result no test checked in this run."""
    return set(output_schemas()) - CHECKED
