"""Contract checks: everything StackStorm verifies when it registers and runs the pack.

``check_pack(root)`` returns every problem found, each naming its file; an empty list means
the pack would register and its entry files would import in a real StackStorm.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional

from packtools import alias_match, entry_probe, st2_schema
from packtools.orquesta_check import check_workflow
from packtools.pack import (
    ORQUESTA_RUNNER,
    PYTHON_RUNNER,
    MetaFile,
    Pack,
    Problem,
    action_exists,
    action_parameters,
    load_pack,
    parameter_problems,
)
from packtools.rule_render import rendered_parameter_problems
from packtools.refs import (
    CORE_TRIGGERS,
    CRITERIA_OPERATORS,
    POLICY_PARAMETERS,
    POLICY_TYPES,
    RUNNER_PARAM_OVERRIDABLE_ATTRS,
    RUNNER_PARAMETERS,
    RUNNER_TYPES,
    SCRIPT_RUNNERS,
)

REF_PATTERN = re.compile(r"^[a-z0-9_]+$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
PACK_KEYS_REQUIRED = ("name", "description", "version", "author")
PACK_KEYS_EXPECTED = ("ref", "keywords", "email", "python_versions", "stackstorm_version")
ST2_MODULES = ("st2common", "st2reactor", "st2client", "st2tests", "st2actions")
LIB_FUNCTION = "lib_function"


def check_pack(root: Path) -> List[Problem]:
    """Every contract problem of the pack at ``root``."""
    pack = load_pack(root)
    problems = list(pack.problems)
    for check in (
        check_pack_meta,
        check_config,
        check_actions,
        check_imports,
        check_sensors,
        check_rules,
        check_policies,
        check_aliases,
    ):
        problems.extend(check(pack))
    return problems


def check_pack_meta(pack: Pack) -> Iterable[Problem]:
    """pack.yaml: identity and required keys."""
    meta = pack.meta
    for key in PACK_KEYS_REQUIRED + PACK_KEYS_EXPECTED:
        if key not in meta:
            yield Problem("pack.yaml", f"missing {key!r}")
    if not REF_PATTERN.match(pack.ref):
        yield Problem("pack.yaml", f"ref {pack.ref!r} does not match {REF_PATTERN.pattern}")
    version = meta.get("version")
    if "version" in meta and not (isinstance(version, str) and SEMVER.match(version)):
        yield Problem("pack.yaml", f"version {version!r} must be a quoted semver string")


def check_config(pack: Pack) -> Iterable[Problem]:
    """config.schema.yaml is a valid schema, secrets are marked, the example validates."""
    if pack.config_schema is None:
        return
    where = "config.schema.yaml"
    schema = st2_schema.object_schema(pack.config_schema)
    schema_errors = st2_schema.schema_errors(schema)
    for error in schema_errors:
        yield Problem(where, f"invalid schema: {error}")
    for name, prop in pack.config_schema.items():
        if isinstance(prop, Mapping) and "type" in prop:
            for error in st2_schema.parameter_type_errors(prop["type"]):
                yield Problem(where, f"{name}: {error}")
    for path in st2_schema.unmarked_secrets(pack.config_schema):
        yield Problem(where, f"{path} looks secret but is not marked 'secret: true'")
    example = pack.root / f"{pack.ref}.yaml.example"
    if schema_errors:
        return
    if not example.exists():
        yield Problem(example.name, "is missing: ship an example config that validates")
        return
    import yaml

    try:
        config = yaml.safe_load(example.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        yield Problem(example.name, f"cannot be read: {err}")
        return
    for path in st2_schema.decrypt_kv_on_secrets(st2_schema.st2_object(pack.config_schema), config):
        yield Problem(
            example.name,
            f"{path} is secret: true, so StackStorm's config loader decrypts it; "
            "'| decrypt_kv' decrypts it twice and every action fails: write "
            "{{ st2kv.system.<key> }} for an encrypted key",
        )
    config = st2_schema.apply_defaults(schema, config)
    for error in st2_schema.validation_errors(schema, config):
        yield Problem(example.name, f"does not validate against config.schema.yaml: {error}")


def check_actions(pack: Pack) -> Iterable[Problem]:
    """Action metadata, entry files and lib function signatures.

    Each python entry file is inspected once, in a fresh interpreter on the production path,
    together with the lib functions of every action that uses it.
    """
    config_keys = set(pack.config_schema or {})
    by_entry: Dict[Path, List[MetaFile]] = {}
    set_users: List[tuple] = []
    for action in pack.actions.values():
        where = pack.rel(action.path)
        yield from _action_metadata(pack, action, where)
        runner = action.data.get("runner_type")
        entry = pack.entry_path(action)
        if runner in SCRIPT_RUNNERS and not entry.is_file():
            yield Problem(where, f"entry_point {action.data.get('entry_point')!r} does not exist")
        elif runner == PYTHON_RUNNER:
            by_entry.setdefault(entry, []).append(action)
        elif runner == ORQUESTA_RUNNER:
            for message in check_workflow(pack, action, entry):
                yield Problem(pack.rel(entry), message)
    for entry, actions in by_entry.items():
        functions = sorted({f for f in map(_lib_function, actions) if f})
        answer = entry_probe.inspect_entry(pack.root, entry, "action", functions)
        entry_where = pack.rel(entry)
        if answer.get("error"):
            yield Problem(
                entry_where,
                f"does not import on StackStorm's production sys.path: {answer['error']}",
            )
            continue
        classes = answer.get("classes", [])
        if len(classes) != 1:
            found = ", ".join(classes) if classes else "none"
            yield Problem(
                entry_where,
                f"must define exactly one Action subclass implementing run(); found {found}",
            )
        for action in actions:
            yield from _python_action(pack.rel(action.path), action, answer, config_keys)
            described = answer.get("functions", {}).get(_lib_function(action)) or {}
            for name, fields in (described.get("parameter_sets") or {}).items():
                set_users.append((name, fields, pack.rel(action.path), action))
    yield from _parameter_sets_identical(set_users)


def _parameter_sets_identical(set_users: List[tuple]) -> Iterable[Problem]:
    """A parameter set's fields are defined alike in every action that takes the set (an
    action YAML cannot include shared definitions): each differing one is named against the
    definition most actions give."""
    by_field: Dict[tuple, List[tuple]] = {}
    for set_name, fields, where, action in set_users:
        declared = action.data.get("parameters") or {}
        for field in fields:
            if field in declared:
                by_field.setdefault((set_name, field), []).append((where, declared[field]))
    for (set_name, field), uses in sorted(by_field.items()):
        texts = [repr(sorted(definition.items())) for _, definition in uses]
        common = max(sorted(set(texts)), key=texts.count)
        model = uses[texts.index(common)][0]
        for (where, definition), text in zip(uses, texts):
            if text != common:
                yield Problem(
                    where,
                    f"parameter {field!r} (of the parameter set {set_name}) is {definition}, "
                    f"unlike in {model} and the other actions taking the set: define it "
                    "identically in every one",
                )


def _lib_function(action: MetaFile) -> Optional[str]:
    param = (action.data.get("parameters") or {}).get(LIB_FUNCTION)
    return param.get("default") if isinstance(param, Mapping) else None


def _action_metadata(pack: Pack, action: MetaFile, where: str) -> Iterable[Problem]:
    data = action.data
    if not action.name:
        yield Problem(where, "missing 'name'")
    if data.get("pack", pack.ref) != pack.ref:
        yield Problem(where, f"pack {data.get('pack')!r} is not {pack.ref!r}")
    if data.get("runner_type") not in RUNNER_TYPES:
        yield Problem(
            where,
            f"runner_type {data.get('runner_type')!r} is not one of "
            f"{', '.join(sorted(RUNNER_TYPES))}",
        )
    parameters = data.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        yield Problem(where, "parameters must be a mapping")
        return
    runner_parameters = RUNNER_PARAMETERS.get(data.get("runner_type"), {})
    for name, param in parameters.items():
        if name in runner_parameters and isinstance(param, Mapping):
            # StackStorm deep-merges it over the runner's own declaration (type included).
            yield from _runner_parameter_override(where, name, param, runner_parameters[name])
        else:
            yield from _parameter(where, name, param)
    for error in st2_schema.schema_errors(st2_schema.object_schema(parameters)):
        yield Problem(where, f"invalid parameter schema: {error}")
    output = data.get("output_schema")
    if output is not None:
        yield from _output_schema(where, output)


def _parameter(where: str, name: str, param: Any) -> Iterable[Problem]:
    if not isinstance(param, Mapping):
        yield Problem(where, f"parameter {name!r} must be a mapping")
        return
    if "type" not in param:
        yield Problem(where, f"parameter {name!r} has no type")
    else:
        for error in st2_schema.parameter_type_errors(param["type"]):
            yield Problem(where, f"parameter {name!r}: {error}")
    if "required" in param and not isinstance(param["required"], bool):
        yield Problem(where, f"parameter {name!r}: required must be true or false")
    if "enum" in param and "default" in param and param["default"] not in param["enum"]:
        yield Problem(
            where,
            f"parameter {name!r}: default {param['default']!r} is not in its enum {param['enum']}",
        )
    if param.get("immutable") and "default" not in param:
        yield Problem(where, f"parameter {name!r} is immutable but has no default")
    if st2_schema.SECRET_NAME.search(name) and not param.get("secret"):
        yield Problem(where, f"parameter {name!r} looks secret but is not marked 'secret: true'")


def _runner_parameter_override(
    where: str, name: str, param: Mapping[str, Any], runner_param: Mapping[str, Any]
) -> Iterable[Problem]:
    """StackStorm's rule (validate_runner_parameter_attribute_override): an action may change
    a runner parameter's default, description, enum, immutable and required; any other
    attribute it writes must equal the runner's own, or registration fails."""
    for attribute, value in param.items():
        if attribute in RUNNER_PARAM_OVERRIDABLE_ATTRS or value == runner_param.get(attribute):
            continue
        yield Problem(
            where,
            f"parameter {name!r} is the runner's: its {attribute!r} cannot be overridden "
            f"(runner: {runner_param.get(attribute)!r}, here: {value!r}); an action may only "
            f"change {', '.join(sorted(RUNNER_PARAM_OVERRIDABLE_ATTRS))}",
        )


def _output_schema(where: str, output: Any) -> Iterable[Problem]:
    if not isinstance(output, Mapping) or output.get("type") != "object":
        yield Problem(where, "output_schema must be a full schema with 'type: object'")
        return
    if not isinstance(output.get("properties"), Mapping):
        yield Problem(where, "output_schema must have 'properties'")
        return
    if isinstance(output.get("required"), list):
        yield Problem(
            where,
            "output_schema has a draft-4 'required' list, which fails registration; "
            "mark each property 'required: true' instead",
        )
    for error in st2_schema.schema_errors(st2_schema.to_draft4(output)):
        yield Problem(where, f"invalid output_schema: {error}")
    for path, kinds in st2_schema.type_lists(output):
        yield Problem(
            where,
            f"output_schema {path}: type {kinds} is a list, for which StackStorm ignores the "
            "whole output_schema (no result is validated); write anyOf: [{type: "
            + "}, {type: ".join(map(str, kinds))
            + "}]",
        )


def _python_action(
    where: str, action: MetaFile, answer: Mapping[str, Any], config_keys: set
) -> Iterable[Problem]:
    declared = action.data.get("parameters") or {}
    runner_parameters = RUNNER_PARAMETERS[PYTHON_RUNNER]
    # StackStorm keeps the runner's parameters for the runner: run() never receives them.
    parameters = {k: v for k, v in declared.items() if k not in runner_parameters}
    yield from _waits_within_runner_timeout(where, declared, runner_parameters["timeout"])
    run = answer.get("run_signature")
    if run:
        yield from _runner_names_expected(where, "run()", run, runner_parameters)
        yield from _signature_matches(where, "run()", run, parameters, set())
    lib_param = parameters.get(LIB_FUNCTION)
    if lib_param is None:
        return
    lib_function = _lib_function(action)
    if not lib_param.get("immutable"):
        yield Problem(where, f"parameter {LIB_FUNCTION!r} must be immutable")
    described = answer.get("functions", {}).get(lib_function, {})
    if "error" in described or not described:
        yield Problem(
            where,
            f"lib_function {lib_function!r} cannot be loaded on the production sys.path: "
            f"{described.get('error', 'no answer')}",
        )
        return
    action_params = {
        k: v
        for k, v in parameters.items()
        if k != LIB_FUNCTION and not _runtime_owned(k, parameters, described)
    }
    yield from _runner_names_expected(
        where, f"lib function {lib_function}", described, runner_parameters
    )
    yield from _signature_matches(
        where, f"lib function {lib_function}", described, action_params, config_keys
    )


# The action runtime's parameters (lib/action_runtime/search_webhook.py): a search's
# ``webhook``, and its ``dry_run`` when the lib function takes none (it holds back the post).
WEBHOOK = "webhook"
WEBHOOK_DRY_RUN = "dry_run"


def _runtime_owned(name: str, parameters: Mapping[str, Any], signature: Mapping[str, Any]) -> bool:
    """Whether the action runtime, not the lib function, takes parameter ``name``."""
    if name == WEBHOOK:
        return True
    return name == WEBHOOK_DRY_RUN and WEBHOOK in parameters and name not in signature["accepts"]


WAIT_PARAMETER = re.compile(r"(^|_)(timeout|wait_seconds)(_(seconds|minutes))?$")


def _waits_within_runner_timeout(
    where: str, declared: Mapping[str, Any], runner_timeout: Mapping[str, Any]
) -> Iterable[Problem]:
    """A lib wait whose default reaches the runner's timeout is cut short by StackStorm, which
    kills the whole execution then: raise ``timeout``'s default above it."""
    limit = (declared.get("timeout") or {}).get("default", runner_timeout["default"])
    for name, param in declared.items():
        match = WAIT_PARAMETER.search(name)
        default = param.get("default") if isinstance(param, Mapping) else None
        if name == "timeout" or not match or not isinstance(default, (int, float)):
            continue
        seconds = default * 60 if match.group(4) == "minutes" else default
        if seconds >= limit:
            yield Problem(
                where,
                f"parameter {name!r} waits {seconds:g} s by default, but StackStorm kills the "
                f"action after timeout={limit} s: give the action 'timeout: {{default: N}}' "
                "with N above every wait it makes",
            )


def _runner_names_expected(
    where: str, label: str, signature: Mapping[str, Any], runner_parameters: Mapping[str, Any]
) -> Iterable[Problem]:
    for name in signature["accepts"]:
        if name in runner_parameters:
            yield Problem(
                where,
                f"{label} expects {name!r}, a parameter of the {PYTHON_RUNNER} runner: "
                "StackStorm keeps it for the runner and never passes it to run(); "
                "give the lib its own name for it",
            )


def _signature_matches(
    where: str, label: str, signature: Mapping[str, Any], parameters: Mapping[str, Any], config_keys
) -> Iterable[Problem]:
    accepts = set(signature["accepts"])
    if not signature.get("var_keyword"):
        for name in sorted(set(parameters) - accepts):
            yield Problem(
                where,
                f"parameter {name!r} is not accepted by {label} "
                f"(it takes: {', '.join(signature['accepts'])})",
            )
    for name in signature["required"]:
        if name not in parameters and name not in config_keys:
            yield Problem(
                where,
                f"{label} requires {name!r}, which no action parameter or pack config key supplies",
            )


def check_imports(pack: Pack) -> Iterable[Problem]:
    """Entry files import lib packages top-level; lib never imports st2; names do not clash."""
    lib = pack.root / "lib"
    lib_names = set()
    if lib.is_dir():
        lib_names = {
            p.stem for p in lib.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()
        }
    for name in sorted(lib_names & set(sys.stdlib_module_names)):
        yield Problem(f"lib/{name}", "shadows a standard library module of the same name")
    for folder in ("actions", "sensors"):
        for path in sorted((pack.root / folder).rglob("*.py")):
            where = pack.rel(path)
            if path.stem in lib_names:
                yield Problem(where, f"module name {path.stem!r} clashes with lib/{path.stem}")
            for line, level, module in _imports(path):
                if level:
                    yield Problem(
                        f"{where}:{line}",
                        "relative import: entry files are loaded by path, not as a package",
                    )
                elif module == "lib" or module.startswith("lib."):
                    yield Problem(
                        f"{where}:{line}",
                        f"imports {module!r}: use the top-level package ({module[4:] or '...'}); "
                        "lib/ itself is on sys.path in StackStorm",
                    )
    for path in sorted(lib.rglob("*.py")) if lib.is_dir() else []:
        for line, _, module in _imports(path):
            top = module.split(".")[0]
            if top in ST2_MODULES or module == "lib" or module.startswith("lib."):
                yield Problem(
                    f"{pack.rel(path)}:{line}",
                    f"lib must not import {module!r} (lib stays independent of st2 and of lib.)",
                )


def _imports(path: Path):
    """``(line, relative level, module)`` for every import in a Python file."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as err:
        yield err.lineno, 0, f"<syntax error: {err.msg}>"
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield node.lineno, node.level, node.module or ""
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, 0, alias.name


def check_sensors(pack: Pack) -> Iterable[Problem]:
    """Sensor metadata: entry file, class, trigger types."""
    for sensor in pack.sensors:
        where = pack.rel(sensor.path)
        class_name = sensor.data.get("class_name")
        entry = pack.sensor_entry_path(sensor)
        if not class_name:
            yield Problem(where, "missing 'class_name'")
        if not entry.is_file():
            yield Problem(where, f"entry_point {sensor.data.get('entry_point')!r} does not exist")
            continue
        for trigger in sensor.data.get("trigger_types") or []:
            if not isinstance(trigger, Mapping) or not trigger.get("name"):
                yield Problem(where, "every trigger type needs a 'name'")
        answer = entry_probe.inspect_entry(pack.root, entry, "sensor")
        if answer.get("error"):
            yield Problem(
                pack.rel(entry),
                f"does not import on StackStorm's sensor sys.path: {answer['error']}",
            )
        elif class_name in answer.get("abstract", {}):
            missing = ", ".join(answer["abstract"][class_name])
            yield Problem(pack.rel(entry), f"class {class_name} does not implement: {missing}")
        elif class_name not in answer.get("classes", []):
            yield Problem(
                pack.rel(entry),
                f"class {class_name!r} is not defined there as a Sensor or PollingSensor subclass",
            )


def check_rules(pack: Pack) -> Iterable[Problem]:
    """Rules: a declared trigger, an existing action, valid parameters."""
    triggers = pack.trigger_refs()
    for rule in pack.rules:
        where = pack.rel(rule.path)
        trigger = (rule.data.get("trigger") or {}).get("type")
        if trigger not in triggers and trigger not in CORE_TRIGGERS:
            yield Problem(
                where,
                f"trigger {trigger!r} is declared by no sensor of the pack "
                "and is not a core trigger",
            )
        action = rule.data.get("action") or {}
        ref = action.get("ref")
        if not action_exists(pack, ref):
            yield Problem(where, f"action {ref!r} does not exist")
            continue
        for message in parameter_problems(pack, ref, action.get("parameters") or {}):
            yield Problem(where, message)
        if trigger in triggers:
            for message in payload_field_problems(triggers[trigger], trigger, rule.data):
                yield Problem(where, message)
            for message in rendered_parameter_problems(
                action_parameters(pack, ref) or {},
                triggers[trigger],
                action.get("parameters") or {},
            ):
                yield Problem(where, message)
        for field, criterion in (rule.data.get("criteria") or {}).items():
            operator = (criterion or {}).get("type") if isinstance(criterion, Mapping) else None
            if operator not in CRITERIA_OPERATORS:
                yield Problem(
                    where,
                    f"criteria {field}: type {operator!r} is not a StackStorm operator "
                    f"({', '.join(sorted(CRITERIA_OPERATORS))})",
                )


TRIGGER_FIELD = re.compile(r"\btrigger\.(\w+)")


def payload_field_problems(
    declared: Mapping[str, Any], trigger: str, rule: Mapping[str, Any]
) -> List[str]:
    """``trigger.<field>`` in a rule's criteria or parameters that the payload does not declare.

    StackStorm renders an undeclared field as an empty string, so the action runs with it.
    """
    fields = set(((declared.get("payload_schema") or {}).get("properties") or {}).keys())
    texts = list((rule.get("criteria") or {}).keys())
    texts += [str(v) for v in ((rule.get("action") or {}).get("parameters") or {}).values()]
    used = sorted({m.group(1) for text in texts for m in TRIGGER_FIELD.finditer(str(text))})
    return [
        f"trigger.{field} is not in the payload of {trigger}: {', '.join(sorted(fields)) or 'none'}"
        for field in used
        if field not in fields
    ]


def check_policies(pack: Pack) -> Iterable[Problem]:
    """Policies: a known type, valid parameters for it, and an existing target action."""
    for policy in pack.policies:
        where = pack.rel(policy.path)
        kind = policy.data.get("policy_type")
        if kind not in POLICY_TYPES:
            yield Problem(
                where, f"policy_type {kind!r} is not one of {', '.join(sorted(POLICY_TYPES))}"
            )
        target = policy.data.get("resource_ref")
        target_parameters = action_parameters(pack, str(target))
        if target_parameters is None:
            yield Problem(where, f"resource_ref {target!r} is not an action of this pack")
        if kind not in POLICY_TYPES:
            continue
        parameters = policy.data.get("parameters") or {}
        schema = st2_schema.object_schema(POLICY_PARAMETERS[kind])
        for message in st2_schema.validation_errors(schema, parameters):
            yield Problem(where, f"{kind} parameters: {message}")
        for attribute in parameters.get("attributes") or []:
            if target_parameters is not None and attribute not in target_parameters:
                yield Problem(
                    where,
                    f"attribute {attribute!r} is not a parameter of {target}: "
                    f"{', '.join(sorted(target_parameters))}",
                )


ALIAS_PARAMETER = re.compile(r"\{\{\s*(\w+)\s*(=[^}]*)?\}\}")


def alias_representations(alias: MetaFile) -> List[str]:
    """Every format string of an alias (plain formats and each ``representation``)."""
    texts = []
    for entry in alias.data.get("formats") or []:
        if isinstance(entry, str):
            texts.append(entry)
        elif isinstance(entry, Mapping):
            texts.extend(str(r) for r in entry.get("representation") or [entry.get("display", "")])
    return texts


def check_aliases(pack: Pack) -> Iterable[Problem]:
    """Aliases: an existing action; every format's parameters are real, settable and complete;
    every sample command matches exactly one format of all aliases, with its parameters."""
    for alias in pack.aliases:
        where = pack.rel(alias.path)
        yield from (Problem(where, message) for message in _sample_problems(pack, alias))
        ref = alias.data.get("action_ref")
        if not action_exists(pack, ref):
            yield Problem(where, f"action_ref {ref!r} does not exist")
            continue
        declared = action_parameters(pack, ref)
        if declared is None:
            continue
        fixed = dict(alias.data.get("immutable_parameters") or {})
        for message in sorted(set(_alias_problems(ref, declared, alias, fixed))):
            yield Problem(where, message)


def _sample_problems(pack: Pack, alias: MetaFile) -> Iterable[str]:
    """StackStorm refuses a chat command matching more than one format of all aliases (and
    one matching none): each alias documents sample commands under ``extra.samples`` (a list
    of ``{command, parameters}``, the parameters as the action receives them), checked with
    StackStorm's matching rules and alias casts (:mod:`packtools.alias_match`)."""
    extra = alias.data.get("extra")
    samples = extra.get("samples") if isinstance(extra, Mapping) else None
    if not samples or not isinstance(samples, list):
        yield (
            "has no sample commands: list them under extra.samples "
            "({command, parameters} each), so each is checked to match this alias only"
        )
        return
    everyone = [other.data for other in pack.aliases]
    for sample in samples:
        if not isinstance(sample, Mapping) or not isinstance(sample.get("command"), str):
            yield f"sample {sample!r} must be a mapping with a 'command' string"
            continue
        command = sample["command"]
        found = alias_match.matches(command, everyone)
        if len(found) != 1:
            formats = "; ".join(f"{name}: {fmt!r}" for name, fmt, _ in found) or "none"
            yield (
                f"sample {command!r} matches {len(found)} formats, and StackStorm runs a "
                f"command only when exactly one matches ({formats})"
            )
            continue
        name, _, parameters = found[0]
        parameters = alias_match.cast_parameters(
            parameters, action_parameters(pack, alias.data.get("action_ref", "")) or {}
        )
        if name != alias.name:
            yield f"sample {command!r} matches alias {name!r}, not this one"
        elif parameters != dict(sample.get("parameters") or {}):
            yield (
                f"sample {command!r} yields {parameters}, not the documented "
                f"{dict(sample.get('parameters') or {})}"
            )


def _alias_problems(ref, declared, alias, fixed) -> Iterable[str]:
    representations = alias_representations(alias)
    if not representations:
        yield "has no formats"
    for name in fixed:
        if name not in declared:
            yield f"immutable_parameters: {name!r} is not a parameter of {ref}"
    for text in representations:
        given = {m.group(1): m.group(2) for m in ALIAS_PARAMETER.finditer(text)}
        for name in given:
            if name not in declared:
                yield (
                    f"format {text!r}: {{{{ {name} }}}} is not a parameter of {ref} "
                    f"(it takes: {', '.join(sorted(declared))})"
                )
            elif declared[name].get("immutable"):
                yield f"format {text!r}: {name!r} of {ref} is immutable"
        for name, param in declared.items():
            required = param.get("required") and "default" not in param
            if required and name not in given and name not in fixed:
                yield f"format {text!r} does not give required parameter {name!r} of {ref}"


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m packtools.contract [PACK_DIR]``: print the problems, exit 1 if any."""
    args = sys.argv[1:] if argv is None else argv
    problems = check_pack(Path(args[0] if args else "."))
    for problem in problems:
        print(problem)
    print(f"{len(problems)} contract problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
