"""Run a pack action outside StackStorm, the way StackStorm's python runner would.

    ./run_action.sh [--config FILE] [--pack DIR] [--log-level LEVEL] ACTION [key=value ...]

Parameters are validated against the action's YAML (types, enums, required, defaults;
immutable ones refused; the runner's own parameters such as ``timeout`` are validated but, as
in StackStorm, not passed to the action, and not enforced here); the pack config
(``--config``, else ``$CLOUDOPS_CONFIG``, else ``./cloudops.yaml`` if present) is validated
against config.schema.yaml with defaults applied;
the action runs in a fresh interpreter on StackStorm's production ``sys.path``, its stderr (log
and progress lines, INFO and up unless ``--log-level`` says otherwise) shown as it comes; the
result is
printed with every secret masked: a search asked for a text output (``output_type`` table,
csv, html or markdown) prints its summary lines and then the text as it is, everything else
(and anything with ``--json``) the JSON answer. Exit status: 0 succeeded, 1 failed, 2 bad
usage.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence

import yaml

from packtools import entry_probe, st2_schema
from packtools.pack import PYTHON_RUNNER, load_pack, runner_and_action_parameters
from packtools.refs import RUNNER_PARAMETERS

MASK = "********"
TEXT_OUTPUTS = ("table", "csv", "html", "markdown")
SHOWN_AS_TEXT = ("rows", "output")
"""Search result fields the text view leaves out: the output is printed, the rows are in it."""
PACK_ROOT = Path(__file__).resolve().parent.parent


class UsageError(Exception):
    """Bad action name, parameter or config: exit status 2."""


def parse_value(name: str, raw: str, param: Mapping[str, Any]) -> Any:
    """A command-line ``key=value`` value converted to the parameter's declared type."""
    kind = param.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "string" in kinds:
        return raw
    if kinds[0] == "array" and not raw.lstrip().startswith("["):
        return [item.strip() for item in raw.split(",") if item.strip()]
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as err:
        raise UsageError(f"parameter {name!r}: cannot parse {raw!r}: {err}") from None


def build_parameters(
    action_name: str, declared: Mapping[str, Any], pairs: Sequence[str]
) -> Dict[str, Any]:
    """Validated parameters with defaults applied, or a UsageError naming the bad one."""
    given: Dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep:
            raise UsageError(f"{pair!r} is not key=value")
        if name not in declared:
            raise UsageError(
                f"{action_name} has no parameter {name!r}; valid parameters: "
                f"{', '.join(sorted(declared))}" + _did_you_mean(name, declared)
            )
        if declared[name].get("immutable"):
            raise UsageError(f"parameter {name!r} of {action_name} is immutable")
        given[name] = parse_value(name, raw, declared[name])
    parameters = st2_schema.apply_defaults(st2_schema.st2_object(declared), given)
    errors = st2_schema.validation_errors(st2_schema.object_schema(declared), parameters)
    if errors:
        raise UsageError(f"invalid parameters for {action_name}: " + "; ".join(errors))
    return parameters


def load_config(pack, path: Path, secrets: List[str]) -> Dict[str, Any]:
    """The pack config at ``path`` validated against the schema, defaults applied.

    Its secret values are added to ``secrets`` before validation, so that an error message
    quoting a bad secret can be masked too.
    """
    st2_dialect = st2_schema.st2_object(pack.config_schema or {})
    raw: Any = {}
    if path.exists():
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            raise UsageError(f"config {path}: cannot be read: {err}") from None
    config = st2_schema.apply_defaults(st2_dialect, raw)
    secrets.extend(st2_schema.secret_values(st2_dialect, config))
    errors = st2_schema.validation_errors(st2_schema.to_draft4(st2_dialect), config)
    if errors:
        raise UsageError(f"config {path} does not match config.schema.yaml: " + "; ".join(errors))
    return config


def mask(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret value replaced by a mask."""
    for value in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def run(argv: Sequence[str], out=sys.stdout, err=sys.stderr) -> int:
    """Run one action; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="run_action.sh", description=__doc__.split("\n\n", maxsplit=1)[0]
    )
    parser.add_argument("action", help="action name, with or without the pack prefix")
    parser.add_argument("parameters", nargs="*", help="key=value")
    parser.add_argument(
        "--config", help="pack config file (default $CLOUDOPS_CONFIG or ./cloudops.yaml)"
    )
    parser.add_argument("--pack", default=str(PACK_ROOT), help="pack directory")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--json", action="store_true", help="print the raw JSON answer, also for text outputs"
    )
    args = parser.parse_args(argv)
    pack = load_pack(Path(args.pack))
    config_path = Path(args.config or os.environ.get("CLOUDOPS_CONFIG") or "cloudops.yaml")
    secrets: List[str] = []
    try:
        name = (
            args.action[len(pack.ref) + 1 :]
            if args.action.startswith(f"{pack.ref}.")
            else args.action
        )
        action = pack.actions.get(name)
        if action is None:
            raise UsageError(
                f"no action {args.action!r} in pack {pack.ref}; actions: "
                f"{', '.join(sorted(pack.actions))}" + _did_you_mean(name, pack.actions)
            )
        if action.data.get("runner_type") != PYTHON_RUNNER:
            raise UsageError(
                f"{name} runs on the {action.data.get('runner_type')} runner, which only "
                "StackStorm has; run the actions it chains one by one"
            )
        declared = runner_and_action_parameters(action)
        parameters = build_parameters(name, declared, args.parameters)
        # StackStorm's python runner consumes its own parameters: run() never sees them.
        parameters = {
            key: value
            for key, value in parameters.items()
            if key not in RUNNER_PARAMETERS[PYTHON_RUNNER]
        }
        config = load_config(pack, config_path, secrets)
        secrets += st2_schema.secret_values(st2_schema.st2_object(declared), parameters)
    except UsageError as error:
        print(f"error: {mask(str(error), secrets)}", file=err)
        return 2
    answer, proc = entry_probe.call_wrapper(
        {
            "mode": "run",
            "kind": "action",
            "pack_root": str(pack.root),
            "entry_file": str(pack.entry_path(action)),
            "config": config,
            "parameters": parameters,
            "log_level": args.log_level.upper(),
        },
        timeout=None,
        on_stderr_line=lambda line: _show(err, mask(line, secrets)),
    )
    out.write(mask(proc.stdout, secrets))
    answer.pop("sys_path_front", None)
    print(mask(format_answer(answer, parameters, args.json), secrets), file=out)
    return 0 if answer.get("status") == "succeeded" else 1


def _show(stream, text: str) -> None:
    """Write a line of the action's stderr (its log and progress lines) as it comes."""
    stream.write(text)
    stream.flush()


def format_answer(answer: Mapping[str, Any], parameters: Mapping[str, Any], raw: bool) -> str:
    """What the terminal shows: a rendered text output as text (after the result's other
    keys, one per line), anything else as indented JSON."""
    result = answer.get("result")
    text_asked = str(parameters.get("output_type", "")).lower() in TEXT_OUTPUTS
    if raw or not text_asked or not isinstance(result, Mapping):
        return json.dumps(answer, indent=2, sort_keys=True, default=str)
    if not isinstance(result.get("output"), str):
        return json.dumps(answer, indent=2, sort_keys=True, default=str)
    lines = [f"status: {answer.get('status')}"]
    lines += [f"{key}: {value}" for key, value in result.items() if key not in SHOWN_AS_TEXT]
    return "\n".join(lines + ["", result["output"]])


def _did_you_mean(name: str, choices) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f". Did you mean {close[0]!r}?" if close else ""


def main() -> None:
    """Console entry point."""
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
