"""Render a rule's action parameters the way StackStorm does, to catch values it cannot cast.

StackStorm renders every templated parameter of a rule to text with Jinja (a dict or list
renders as its Python repr), then casts the text to the action parameter's type
(st2common/util/casts.py): ``object`` and ``array`` by ``json.loads``, falling back to
``ast.literal_eval``; ``boolean`` by ``literal_eval`` of the capitalized text; ``integer`` and
``number`` by ``int()`` and ``float()``. A value that fails the cast, or whose cast does not fit
the parameter's schema, fails every execution of the rule; the contract renders each rule with
a payload built from its trigger's ``payload_schema`` to find them before StackStorm does.
"""

from __future__ import annotations

import ast
import json
from typing import Any, Callable, Dict, List, Mapping

import jinja2
import jsonschema

SAMPLES: Dict[str, Any] = {
    "string": "sample 'text' with \"quotes\"\nand a newline",
    "integer": 3,
    "number": 2.5,
    "boolean": True,
    "null": None,
}
# keys of a StackStorm parameter that are JSON schema (the rest, e.g. a boolean ``required``,
# ``secret`` or ``immutable``, are StackStorm's own)
SCHEMA_KEYS = ("type", "enum", "properties", "items", "minimum", "maximum", "pattern")


def _cast_object(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return ast.literal_eval(text)


CASTS: Dict[str, Callable[[str], Any]] = {
    "object": _cast_object,
    "array": _cast_object,
    "boolean": lambda text: ast.literal_eval(text.capitalize()),
    "integer": int,
    "number": float,
    "string": str,
}


class _Datastore:
    """``st2kv.system.<key>`` and ``st2kv.user.<key>``: every key renders as a sample text."""

    def __getattr__(self, name: str) -> "_Datastore":
        return self

    def __str__(self) -> str:
        return "datastore-value"


def sample(schema: Mapping[str, Any]) -> Any:
    """A value of the JSON schema ``schema``, as a sensor could send it."""
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties") or {}
        if not properties:
            return {"key": SAMPLES["string"], "flag": True, "nothing": None, "count": 1}
        return {name: sample(sub or {}) for name, sub in properties.items()}
    if kind == "array":
        return [sample(schema.get("items") or {})]
    return SAMPLES.get(kind, SAMPLES["string"])


def render(value: str, payload: Mapping[str, Any]) -> str:
    """The text StackStorm renders for a rule parameter, with ``trigger`` = ``payload``."""
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    environment.filters.update(to_json_string=json.dumps, from_json_string=json.loads)
    return environment.from_string(value).render(trigger=payload, st2kv=_Datastore())


def cast(text: str, kind: Any) -> Any:
    """``text`` cast to the parameter type ``kind`` as StackStorm casts it (or raises)."""
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return CASTS.get(kind, str)(text)


def _json_schema(param: Mapping[str, Any]) -> Dict[str, Any]:
    schema: Dict[str, Any] = {key: param[key] for key in SCHEMA_KEYS if key in param}
    if "properties" in schema:
        schema["properties"] = {
            name: _json_schema(sub or {}) for name, sub in schema["properties"].items()
        }
    if isinstance(schema.get("items"), Mapping):
        schema["items"] = _json_schema(schema["items"])
    return schema


def rendered_parameter_problems(
    declared: Mapping[str, Any],
    trigger: Mapping[str, Any],
    given: Mapping[str, Any],
) -> List[str]:
    """Templated parameters in ``given`` that StackStorm could not render or cast.

    ``declared``: the action's parameters; ``trigger``: the trigger declaration (its
    ``payload_schema`` gives the sample payload).
    """
    payload = sample(trigger.get("payload_schema") or {"type": "object", "properties": {}})
    messages = []
    for name, value in sorted(given.items()):
        if not isinstance(value, str) or "{" not in value or name not in declared:
            continue
        param = declared[name] or {}
        try:
            text = render(value, payload)
            result = cast(text, param.get("type", "string"))
            jsonschema.validate(result, _json_schema(param))
        except jinja2.TemplateError as err:
            messages.append(f"parameter {name!r}: {value!r} does not render: {err}")
        except (ValueError, SyntaxError, TypeError) as err:
            messages.append(
                f"parameter {name!r}: {value!r} renders to text StackStorm cannot cast to "
                f"{param.get('type')}: {err}"
            )
        except jsonschema.SchemaError:
            continue  # a bad parameter declaration: check_actions reports it
        except jsonschema.ValidationError as err:
            messages.append(
                f"parameter {name!r}: {value!r} renders to a value its schema refuses: "
                f"{err.message}"
            )
    return messages
