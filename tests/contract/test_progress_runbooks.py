"""Every long runbook reports progress with apis.progress, so an operator sees it move.

A long runbook is a python action whose StackStorm ``timeout`` default is above the runner's
600 s. Its lib function's module must use :class:`apis.progress.Progress` (one INFO line per
step, in the one format), unless it is listed here with the reason it has no steps to count.
"""

import ast
import importlib
from pathlib import Path

import pytest

from packtools.pack import PYTHON_RUNNER, load_pack

ROOT = Path(__file__).resolve().parents[2]
RUNNER_TIMEOUT = 600
SINGLE_STEP = {
    "server.create": "one boot and one wait for ACTIVE: nothing to count",
    "server.snapshot": "one snapshot and one wait for the image: nothing to count",
    "ssh.remote.command": "one command; apis.ssh_api.client logs each line of its output",
}


def long_runbooks():
    """(action name, lib function) of every python action allowed more than 600 s."""
    pack = load_pack(ROOT)
    found = []
    for name, action in sorted(pack.actions.items()):
        data = action.data
        timeout = ((data.get("parameters") or {}).get("timeout") or {}).get("default")
        if data.get("runner_type") == PYTHON_RUNNER and (timeout or 0) > RUNNER_TIMEOUT:
            found.append((name, data["parameters"]["lib_function"]["default"]))
    return found


def imports_progress(module_name):
    """Whether the module imports apis.progress (``from apis.progress import ...``)."""
    source = Path(importlib.import_module(module_name).__file__).read_text(encoding="utf-8")
    return any(
        isinstance(node, ast.ImportFrom) and node.module == "apis.progress"
        for node in ast.walk(ast.parse(source))
    )


def test_the_long_runbooks_are_found_and_every_exemption_is_one():
    names = [name for name, _ in long_runbooks()]
    for expected in ("hypervisor.drain", "server.migrate", "project.delete"):
        assert expected in names
    assert set(SINGLE_STEP) <= set(names)


@pytest.mark.parametrize(
    "name, lib_function", [(n, f) for n, f in long_runbooks() if n not in SINGLE_STEP]
)
def test_a_long_runbook_reports_progress(name, lib_function):
    module_name = lib_function.partition(":")[0]
    assert imports_progress(module_name), (
        f"{name} may run {RUNNER_TIMEOUT}+ s but {module_name} does not use apis.progress: "
        "log one line per step with Progress(what, total, LOG).step(...), or list it in "
        "SINGLE_STEP with the reason it has no steps"
    )
