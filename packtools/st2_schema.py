"""StackStorm's schema dialect: parameters and config schemas as StackStorm reads them.

StackStorm writes ``required: true`` inside a property (draft-3 style) and adds ``secret``,
``immutable`` and ``position``. These helpers turn that into plain draft-4 JSON Schema for
jsonschema, apply defaults the way StackStorm does, and find secret values to mask.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Dict, Iterator, List, Mapping, Tuple

import jsonschema

DRAFT4_TYPES = ("array", "boolean", "integer", "number", "object", "string", "null")
ST2_KEYWORDS = ("secret", "immutable", "position")
SECRET_NAME = re.compile(r"(password|passphrase|passwd|token|secret|(^|_)key)$", re.IGNORECASE)


def to_draft4(schema: Mapping[str, Any]) -> Dict[str, Any]:
    """A copy of a StackStorm schema with boolean ``required`` lifted into draft-4 lists."""
    result = {k: v for k, v in schema.items() if k not in ST2_KEYWORDS}
    if isinstance(result.get("required"), bool):
        del result["required"]
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        result["properties"] = {
            name: to_draft4(prop) if isinstance(prop, Mapping) else prop
            for name, prop in properties.items()
        }
        flagged = [
            name
            for name, prop in properties.items()
            if isinstance(prop, Mapping) and prop.get("required") is True
        ]
        if flagged:
            result["required"] = flagged
    if isinstance(schema.get("items"), Mapping):
        result["items"] = to_draft4(schema["items"])
    return result


def st2_object(properties: Mapping[str, Any], strict: bool = True) -> Dict[str, Any]:
    """An action's parameters or a pack's config schema as one StackStorm-dialect object schema.

    Keeps ``secret`` and friends: use it for :func:`apply_defaults` and :func:`secret_values`.
    """
    return {"type": "object", "properties": dict(properties), "additionalProperties": not strict}


def object_schema(properties: Mapping[str, Any], strict: bool = True) -> Dict[str, Any]:
    """The draft-4 object schema of an action's parameters or a pack's config schema."""
    return to_draft4(st2_object(properties, strict))


def parameter_type_errors(kind: Any) -> List[str]:
    """Why ``kind`` cannot be the ``type`` of an action parameter or a config item (empty if
    it can; unknown type names are reported by :func:`schema_errors`).

    StackStorm validates each action parameter (and each top-level config schema item) against
    its draft-04 ``action_params`` schema, whose ``type`` is ONE of the simple types: a list such
    as ``[string, 'null']`` fails registration. Deeper levels (a parameter's ``properties`` or
    ``items``, and an output_schema's properties) are validated by the standard draft-04
    meta-schema, which takes lists.
    """
    if not isinstance(kind, list):
        return []
    return [
        f"type {kind!r} is a list, which StackStorm's action parameter schema refuses: "
        f"give ONE type ({', '.join(DRAFT4_TYPES)}); an optional value is one type, "
        "not required and without a default (StackStorm then also accepts null)"
    ]


def schema_errors(schema: Mapping[str, Any]) -> List[str]:
    """Why ``schema`` is not a valid draft-4 schema using draft-4 types only (empty if it is)."""
    bad_types = [
        f"{path}: type {kind!r} is not a draft-4 type ({', '.join(DRAFT4_TYPES)})"
        for path, kind in _types(schema, "")
        if kind not in DRAFT4_TYPES
    ]
    if bad_types:
        return bad_types
    try:
        jsonschema.Draft4Validator.check_schema(schema)
    except jsonschema.SchemaError as err:
        return [f"{_path(err.path)}: {err.message}"]
    return []


def validation_errors(schema: Mapping[str, Any], instance: Any) -> List[str]:
    """Every way ``instance`` breaks ``schema``, each prefixed with where."""
    validator = jsonschema.Draft4Validator(schema)
    return [
        f"{_path(err.absolute_path) or '(top)'}: {err.message}"
        for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


def apply_defaults(schema: Mapping[str, Any], value: Any) -> Any:
    """``value`` with every missing property that has a default filled in, recursively."""
    if isinstance(value, dict) and isinstance(schema.get("properties"), Mapping):
        value = dict(value)
        for name, prop in schema["properties"].items():
            if not isinstance(prop, Mapping):
                continue
            if name not in value and "default" in prop:
                value[name] = copy.deepcopy(prop["default"])
            if name in value:
                value[name] = apply_defaults(prop, value[name])
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        value = [apply_defaults(schema["items"], item) for item in value]
    return value


def secret_values(schema: Mapping[str, Any], value: Any) -> List[str]:
    """The values in ``value`` that ``schema`` marks ``secret: true``."""
    found: List[str] = []
    if schema.get("secret") and value not in (None, "") and not isinstance(value, (dict, list)):
        found.append(str(value))
    if isinstance(value, dict) and isinstance(schema.get("properties"), Mapping):
        for name, prop in schema["properties"].items():
            if isinstance(prop, Mapping) and name in value:
                found.extend(secret_values(prop, value[name]))
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for item in value:
            found.extend(secret_values(schema["items"], item))
    return found


DECRYPT_KV = re.compile(r"\|\s*decrypt_kv\b")


def decrypt_kv_on_secrets(schema: Mapping[str, Any], value: Any, where: str = "") -> Iterator[str]:
    """Paths of config values that pipe a datastore item through ``decrypt_kv`` where the
    schema marks the value ``secret: true``: StackStorm's config loader decrypts those itself,
    so the value is decrypted twice and every action fails."""
    if schema.get("secret") and isinstance(value, str) and DECRYPT_KV.search(value):
        yield where or "(top)"
    if isinstance(value, dict) and isinstance(schema.get("properties"), Mapping):
        for name, prop in schema["properties"].items():
            if isinstance(prop, Mapping) and name in value:
                path = f"{where}.{name}" if where else name
                yield from decrypt_kv_on_secrets(prop, value[name], path)
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            yield from decrypt_kv_on_secrets(schema["items"], item, f"{where}[{index}]")


def unmarked_secrets(properties: Mapping[str, Any], where: str = "") -> Iterator[str]:
    """Paths of properties whose name looks secret (password, token, key) without secret: true."""
    for name, prop in properties.items():
        if not isinstance(prop, Mapping):
            continue
        path = f"{where}.{name}" if where else name
        if SECRET_NAME.search(name) and prop.get("secret") is not True:
            yield path
        if isinstance(prop.get("properties"), Mapping):
            yield from unmarked_secrets(prop["properties"], path)
        items = prop.get("items")
        if isinstance(items, Mapping) and isinstance(items.get("properties"), Mapping):
            yield from unmarked_secrets(items["properties"], f"{path}[]")


def type_lists(schema: Any, where: str = "") -> Iterator[Tuple[str, List[Any]]]:
    """``(path, types)`` of every list of types in ``schema``.

    StackStorm checks an action's output_schema against its own meta-schema, whose ``type`` is
    ONE simple type at every level; a schema with a list anywhere is logged as invalid and
    ignored, so no result is ever validated against it (``anyOf`` is accepted).
    """
    if isinstance(schema, Mapping):
        if isinstance(schema.get("type"), list):
            yield where or "(top)", schema["type"]
        for key in ("properties", "patternProperties", "definitions"):
            for name, sub in (schema.get(key) or {}).items():
                yield from type_lists(sub, f"{where}.{name}" if where else name)
        for key in ("items", "additionalProperties", "not"):
            if isinstance(schema.get(key), Mapping):
                yield from type_lists(schema[key], f"{where}.{key}" if where else key)
        for key in ("anyOf", "allOf", "oneOf"):
            for sub in schema.get(key) or []:
                yield from type_lists(sub, where)


def _types(schema: Any, where: str) -> Iterator[Tuple[str, str]]:
    if isinstance(schema, Mapping):
        kinds = schema.get("type")
        for kind in kinds if isinstance(kinds, list) else [kinds] if kinds is not None else []:
            yield where or "(top)", kind
        for key in ("properties", "patternProperties", "definitions"):
            for name, sub in (schema.get(key) or {}).items():
                yield from _types(sub, f"{where}.{name}" if where else name)
        for key in ("items", "additionalProperties", "not"):
            if isinstance(schema.get(key), Mapping):
                yield from _types(schema[key], f"{where}.{key}" if where else key)
        for key in ("anyOf", "allOf", "oneOf"):
            for sub in schema.get(key) or []:
                yield from _types(sub, where)


def _path(parts) -> str:
    return ".".join(str(part) for part in parts)
