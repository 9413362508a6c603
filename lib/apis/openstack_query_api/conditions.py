"""Compile ``where`` arguments into :class:`~apis.openstack_query_api.mapping.Condition`."""

from __future__ import annotations

from typing import Any, Type

from apis import clock
from apis.openstack_query_api.mapping import Condition
from apis.openstack_query_api.presets import Preset
from apis.openstack_query_api.property_types import PropertyEnum


def compile_condition(
    properties: Type[PropertyEnum],
    preset: Any,
    prop: Any,
    **args: Any,
) -> Condition:
    """A checked condition: known preset and property, preset valid for the property's type;
    relative times count from now."""
    preset = Preset.from_string(preset)
    member = properties.from_string(prop)
    args = preset.own_arguments(args)
    if member.spec.normalise is not None:
        args = _normalised(member.spec.normalise, args)
    now = clock.now()
    test = preset.predicate(member.type, member.key, now=now, **args)
    return Condition(preset=preset, prop=member, args=dict(args), test=test, now=now)


def _normalised(normalise, args):
    """``value``/``values`` arguments in the property's canonical form (e.g. upper case)."""

    def one(value):
        return normalise(value) if isinstance(value, str) else value

    result = dict(args)
    if "value" in result:
        result["value"] = one(result["value"])
    if isinstance(result.get("values"), (list, tuple, set)):
        result["values"] = [one(v) for v in result["values"]]
    return result
