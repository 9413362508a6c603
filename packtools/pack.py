"""Read a pack's metadata the way StackStorm registers it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import yaml

from packtools.refs import CORE_ACTIONS, RUNNER_PARAMETERS

PYTHON_RUNNER = "python-script"
ORQUESTA_RUNNER = "orquesta"


@dataclasses.dataclass
class Problem:
    """One contract violation: the file it is in and what is wrong."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclasses.dataclass
class MetaFile:
    """A YAML metadata file (action, sensor, rule, policy, alias) and its parsed content."""

    path: Path
    data: Dict[str, Any]

    @property
    def name(self) -> str:
        """The ``name`` it declares (aliases and rules too)."""
        return str(self.data.get("name", ""))


@dataclasses.dataclass
class Pack:
    """Everything StackStorm would register from one pack directory."""

    root: Path
    ref: str
    meta: Dict[str, Any]
    config_schema: Optional[Dict[str, Any]]
    actions: Dict[str, MetaFile]
    sensors: List[MetaFile]
    rules: List[MetaFile]
    policies: List[MetaFile]
    aliases: List[MetaFile]
    problems: List[Problem]

    def rel(self, path: Path) -> str:
        """A path relative to the pack root, for messages."""
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    def action_ref(self, name: str) -> str:
        """The full ref of an action of this pack."""
        return f"{self.ref}.{name}"

    def entry_path(self, action: MetaFile) -> Path:
        """An action's entry point; StackStorm resolves it relative to actions/."""
        return self.root / "actions" / str(action.data.get("entry_point", ""))

    def sensor_entry_path(self, sensor: MetaFile) -> Path:
        """A sensor's entry point; StackStorm resolves it relative to sensors/."""
        return self.root / "sensors" / str(sensor.data.get("entry_point", ""))

    def trigger_refs(self) -> Dict[str, Mapping[str, Any]]:
        """Trigger types declared by the pack's sensors (their declarations), by full ref."""
        refs = {}
        for sensor in self.sensors:
            for trigger in sensor.data.get("trigger_types") or []:
                if isinstance(trigger, dict) and trigger.get("name"):
                    refs[f"{self.ref}.{trigger['name']}"] = trigger
        return refs


def load_pack(root: Path) -> Pack:
    """Parse a pack directory; unreadable files become problems rather than exceptions."""
    root = Path(root).resolve()
    problems: List[Problem] = []

    def load(path: Path) -> Optional[Dict[str, Any]]:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as err:
            problems.append(Problem(str(path.relative_to(root)), f"cannot be read: {err}"))
            return None
        if not isinstance(data, dict):
            problems.append(Problem(str(path.relative_to(root)), "is not a YAML mapping"))
            return None
        return data

    def load_dir(folder: str) -> List[MetaFile]:
        return [
            MetaFile(path, data)
            for path in sorted((root / folder).glob("*.yaml"))
            if (data := load(path)) is not None
        ]

    meta = load(root / "pack.yaml") if (root / "pack.yaml").exists() else None
    if meta is None:
        problems.append(Problem("pack.yaml", "is missing or invalid"))
        meta = {}
    schema_path = root / "config.schema.yaml"
    config_schema = load(schema_path) if schema_path.exists() else None
    ref = str(meta.get("ref") or root.name)
    actions = {}
    for action in load_dir("actions"):
        if action.name in actions:
            problems.append(
                Problem(
                    str(action.path.relative_to(root)), f"duplicate action name {action.name!r}"
                )
            )
        actions[action.name] = action
    return Pack(
        root=root,
        ref=ref,
        meta=meta,
        config_schema=config_schema,
        actions=actions,
        sensors=load_dir("sensors"),
        rules=load_dir("rules"),
        policies=load_dir("policies"),
        aliases=load_dir("aliases"),
        problems=problems,
    )


def action_parameters(pack: Pack, ref: str) -> Optional[Mapping[str, Any]]:
    """The declared parameters of one of the pack's actions, or None if ``ref`` is not one."""
    prefix = f"{pack.ref}."
    if ref.startswith(prefix) and ref[len(prefix) :] in pack.actions:
        return pack.actions[ref[len(prefix) :]].data.get("parameters") or {}
    return None


def runner_and_action_parameters(action: MetaFile) -> Dict[str, Dict[str, Any]]:
    """The parameters StackStorm validates a run of ``action`` against: its runner's parameters
    with the action's overrides merged in (an override may set only a few attributes), then the
    action's own."""
    merged: Dict[str, Dict[str, Any]] = {
        name: dict(param)
        for name, param in RUNNER_PARAMETERS.get(action.data.get("runner_type"), {}).items()
    }
    for name, param in (action.data.get("parameters") or {}).items():
        merged[name] = {**merged.get(name, {}), **(param or {})}
    return merged


def action_exists(pack: Pack, ref: Any) -> bool:
    """Whether ``ref`` is an action of this pack or a StackStorm built-in."""
    return isinstance(ref, str) and (
        ref in CORE_ACTIONS or action_parameters(pack, ref) is not None
    )


def parameter_problems(pack: Pack, ref: str, given: Mapping[str, Any]) -> List[str]:
    """Unknown, immutable or missing required parameters when calling action ``ref``."""
    declared = action_parameters(pack, ref)
    if declared is None:
        return []
    messages = []
    for name in sorted(set(given) - set(declared)):
        messages.append(
            f"parameter {name!r} is unknown to {ref} (it takes: {', '.join(sorted(declared))})"
        )
    for name in sorted(set(given) & set(declared)):
        if declared[name].get("immutable"):
            messages.append(f"parameter {name!r} of {ref} is immutable and cannot be given")
    for name, param in declared.items():
        if param.get("required") and "default" not in param and name not in given:
            messages.append(f"required parameter {name!r} of {ref} is not given")
    return messages
