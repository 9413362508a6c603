"""Static checks of Orquesta workflows (the orquesta package itself cannot be installed here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Set

import yaml

from packtools.pack import MetaFile, Pack, action_exists, parameter_problems
from packtools.refs import ORQUESTA_COMMANDS

EXPRESSION = re.compile(r"<%(.*?)%>|\{\{(.*?)\}\}", re.DOTALL)
FAILURE_CONDITION = re.compile(r"\b(failed|completed)\(\s*\)")
RESULT_CALL = re.compile(r"\bresult\(\s*\)")
CTX_REFERENCE = re.compile(r"""ctx\(\s*\)\s*\.\s*(\w+)|ctx\(\s*['"]?(\w+)['"]?\s*\)""")


def check_workflow(pack: Pack, action: MetaFile, path: Path) -> List[str]:
    """Problems of one workflow file, or an empty list."""
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        return [f"cannot be read: {err}"]
    if not isinstance(spec, Mapping):
        return ["is not a YAML mapping"]
    problems = []
    if str(spec.get("version")) != "1.0":
        problems.append(f"version must be 1.0, not {spec.get('version')!r}")
    tasks = spec.get("tasks")
    if not isinstance(tasks, Mapping) or not tasks:
        return problems + ["has no tasks"]
    inputs = _names(spec.get("input"))
    problems.extend(_input_matches_action(action, inputs))
    defined = inputs | _names(spec.get("vars"))
    for task in tasks.values():
        for transition in (task or {}).get("next") or []:
            defined |= _names((transition or {}).get("publish"))
    for name, task in tasks.items():
        problems.extend(_task(pack, name, task or {}, tasks))
    problems.extend(_reachability(tasks))
    for name in sorted(_references(spec) - defined):
        problems.append(
            f"expression references ctx {name!r}, which is no input, var or published name"
        )
    return problems


def _names(entries: Any) -> Set[str]:
    """Names declared by an input/vars/publish section (list of names or of one-key maps)."""
    if isinstance(entries, Mapping):
        return {str(k) for k in entries}
    names = set()
    for entry in entries or []:
        if isinstance(entry, Mapping):
            names.update(str(k) for k in entry)
        else:
            names.add(str(entry))
    return names


def _input_matches_action(action: MetaFile, inputs: Set[str]) -> Iterable[str]:
    parameters = set(action.data.get("parameters") or {})
    for name in sorted(parameters - inputs):
        yield f"action parameter {name!r} is not a workflow input"
    for name in sorted(inputs - parameters):
        yield f"workflow input {name!r} is not a parameter of action {action.name}"


def _targets(transition: Mapping[str, Any]) -> List[str]:
    targets = transition.get("do") or []
    if isinstance(targets, str):
        targets = [t.strip() for t in targets.split(",")]
    return [str(t) for t in targets]


def _task(
    pack: Pack, name: str, task: Mapping[str, Any], tasks: Mapping[str, Any]
) -> Iterable[str]:
    ref = task.get("action")
    if ref is None:
        yield f"task {name!r} has no action"
    elif not _is_expression(ref) and not action_exists(pack, ref):
        yield f"task {name!r}: action {ref!r} does not exist"
    elif not _is_expression(ref):
        for message in parameter_problems(pack, ref, task.get("input") or {}):
            yield f"task {name!r}: {message}"
    for transition in task.get("next") or []:
        for target in _targets(transition or {}):
            if target not in tasks and target not in ORQUESTA_COMMANDS:
                yield f"task {name!r}: next does {target!r}, which is not a task"
    yield from _items_results_kept(name, task)


def _items_results_kept(name: str, task: Mapping[str, Any]) -> Iterable[str]:
    """A ``with`` items task fails as a whole when one item fails (and Orquesta then starts no
    further item); its result, one entry per item, is only seen by a transition that fires on
    failure. Publishing it under ``succeeded()`` alone loses what the other items did."""
    if not task.get("with"):
        return
    transitions = [t for t in task.get("next") or [] if isinstance(t, Mapping)]
    publishes_result = any(RESULT_CALL.search(str(t.get("publish") or "")) for t in transitions)
    on_failure = any(
        not t.get("when") or FAILURE_CONDITION.search(str(t["when"])) for t in transitions
    )
    if publishes_result and not on_failure:
        yield (
            f"task {name!r} runs with items but publishes result() only when every item "
            "succeeded: one failed item fails the task and loses every item's result; "
            "publish it under <% completed() %> (or also under <% failed() %>)"
        )


def _reachability(tasks: Mapping[str, Any]) -> Iterable[str]:
    edges: Dict[str, List[str]] = {
        name: [t for tr in (task or {}).get("next") or [] for t in _targets(tr or {})]
        for name, task in tasks.items()
    }
    referenced = {target for targets in edges.values() for target in targets}
    starts = [name for name in tasks if name not in referenced]
    if not starts:
        yield "no start task: every task is the target of another"
    seen: Set[str] = set()
    pending = list(starts)
    while pending:
        current = pending.pop()
        if current in seen or current not in edges:
            continue
        seen.add(current)
        pending.extend(edges[current])
    for name in tasks:
        if name not in seen:
            yield f"task {name!r} is unreachable"


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and bool(EXPRESSION.search(value))


def _references(node: Any) -> Set[str]:
    found: Set[str] = set()
    if isinstance(node, str):
        for match in EXPRESSION.finditer(node):
            body = match.group(1) or match.group(2) or ""
            for ref in CTX_REFERENCE.finditer(body):
                found.add(ref.group(1) or ref.group(2))
    elif isinstance(node, Mapping):
        for key, value in node.items():
            found |= _references(key) | _references(value)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item)
    return found
