"""Run a pack action the way StackStorm would (fresh interpreter, production path) in tests."""

import io
import json
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from packtools import local_runner, st2_schema
from packtools.pack import PYTHON_RUNNER, Pack, runner_and_action_parameters
from packtools.refs import RUNNER_PARAMETERS
from tests.result_schemas import check_result

NO_CONFIG = "/nonexistent/cloudops.yaml"


def run_action(config: Optional[Union[str, Path]], *argv: str) -> Tuple[int, Any, str]:
    """Exit code, the parsed answer (``{"result": ...}``, asked for as JSON) and everything
    printed.

    ``config`` is a pack config file, or None for an action that needs none.
    """
    out, err = io.StringIO(), io.StringIO()
    argv = ["--json", "--config", str(config or NO_CONFIG), *argv]
    code = local_runner.run(argv, out=out, err=err)
    text = out.getvalue()
    answer = json.loads(text[text.index("{") :])
    if answer.get("status") == "succeeded":
        check_result(argv[3], answer["result"])
    return code, answer, text + err.getvalue()


def action_result(config: Optional[Union[str, Path]], *argv: str) -> Any:
    """The result of an action that must succeed."""
    code, answer, printed = run_action(config, *argv)
    assert code == 0, printed
    return answer["result"]


def code_and_result(config: Optional[Union[str, Path]], *argv: str) -> Tuple[int, Any]:
    """Exit code and the result (on a failure, the error answer)."""
    code, answer, _ = run_action(config, *argv)
    return code, answer.get("result", answer)


def same_changes(planned: Any, done: Any) -> bool:
    """Whether a dry run reported exactly the per-object changes the real run made (ids
    aside: a dry run cannot know the id of what it would create)."""

    def changes(result: Any) -> Any:
        return [{k: v for k, v in o.items() if k != "id"} for o in result["objects"]]

    return changes(planned) == changes(done)


def action_parameters(pack: Pack, name: str, given: Mapping[str, Any]) -> Dict[str, Any]:
    """What StackStorm's python runner passes (lib_function included): the YAML defaults,
    ``given``, and dry_run false when the action has it."""
    declared = runner_and_action_parameters(pack.actions[name])
    given = {**given, **({"dry_run": False} if "dry_run" in declared else {})}
    parameters = st2_schema.apply_defaults(st2_schema.st2_object(declared), given)
    return {k: v for k, v in parameters.items() if k not in RUNNER_PARAMETERS[PYTHON_RUNNER]}
