"""Build and run a query from flat action parameters, validating each one by name."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from apis.openstack_query_api.exceptions import PresetArgumentError, QueryError
from apis.openstack_query_api.presets import DURATION_UNITS, Arguments, Preset
from apis.openstack_query_api.property_types import PropertyEnum, PropertyType
from apis.openstack_query_api.query import Query
from apis.openstack_query_api.resource_types import QueryType
from apis.search_results import OutputType, search_result

TRUE = ("true", "yes", "1", "on")
FALSE = ("false", "no", "0", "off")


def convert_value(prop: PropertyEnum, value: Any) -> Any:
    """An action's string value as the property's type (numbers and booleans)."""
    if not isinstance(value, str):
        return value
    try:
        if prop.type is PropertyType.INTEGER:
            return int(value)
        if prop.type is PropertyType.NUMBER:
            return float(value)
    except ValueError:
        raise PresetArgumentError(
            f"value {value!r} is not a number, as {prop.key} ({prop.type.value}) needs"
        ) from None
    if prop.type is PropertyType.BOOLEAN:
        if value.lower() in TRUE + FALSE:
            return value.lower() in TRUE
        raise PresetArgumentError(f"value {value!r} for {prop.key} must be true or false")
    return value


def preset_arguments(
    preset: Preset, prop: PropertyEnum, values: Sequence[Any], durations: Dict[str, float]
) -> Dict[str, Any]:
    """The keyword arguments of ``where`` from the flat parameters."""
    kind = preset.value.arguments
    given = [convert_value(prop, v) for v in values or []]
    if kind is Arguments.DURATION:
        return {unit: amount for unit, amount in durations.items() if amount}
    if kind is Arguments.NONE:
        return {}
    if kind is Arguments.VALUES:
        return {"values": given}
    if len(given) != 1:
        raise PresetArgumentError(
            f"{preset.name} takes exactly one value in 'values'; got {len(given)}"
        )
    return {kind.value[0]: given[0]}


DURATION_SUFFIXES = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_expression(text: str) -> Tuple[str, str, Dict[str, Any]]:
    """``"status == SHUTOFF"``, ``"created_at older_than 30d"``, ``"name ~ ^web"``,
    ``"status in SHUTOFF,ERROR"``, ``"email is_null"`` to (property, preset, raw arguments).

    Values keep their text form; :func:`preset_arguments` converts them to the property's type.
    """
    parts = str(text).strip().split(None, 2)
    if len(parts) < 2:
        raise QueryError(
            f"where {text!r} must look like 'property preset [value]', e.g. 'status == SHUTOFF'"
        )
    prop, preset_name = parts[0], parts[1]
    rest = parts[2].strip() if len(parts) == 3 else ""
    preset = Preset.from_string(preset_name)
    kind = preset.value.arguments
    if kind is Arguments.NONE:
        if rest:
            raise QueryError(f"where {text!r}: {preset.name} takes no value")
        return prop, preset_name, {"values": [], "durations": {}}
    if not rest:
        raise QueryError(f"where {text!r}: {preset.name} needs a value")
    if kind is Arguments.DURATION:
        return prop, preset_name, {"values": [], "durations": _durations(text, rest)}
    values = [v.strip() for v in rest.split(",")] if kind is Arguments.VALUES else [rest]
    return prop, preset_name, {"values": values, "durations": {}}


def _durations(text: str, rest: str) -> Dict[str, float]:
    durations: Dict[str, float] = {}
    for token in rest.replace(",", " ").split():
        unit, sep, amount = token.partition("=")
        if not sep:
            amount, unit = token[:-1], DURATION_SUFFIXES.get(token[-1:].lower(), "")
        if unit not in DURATION_UNITS:
            raise QueryError(
                f"where {text!r}: {token!r} is not a duration; use e.g. 30d, 12h, 5m, 10s "
                "or days=30"
            )
        try:
            durations[unit] = durations.get(unit, 0) + float(amount)
        except ValueError:
            raise QueryError(f"where {text!r}: {token!r} is not a number of {unit}") from None
    return durations


def parse_sort(spec: str) -> tuple:
    """``"created_at"``, ``"created_at:desc"`` or ``"created_at desc"`` to (property, direction)."""
    text = spec.replace(":", " ").split()
    if not text or len(text) > 2:
        raise QueryError(f"sort_by {spec!r} must look like 'property' or 'property:desc'")
    return (text[0], text[1] if len(text) == 2 else "asc")


def build_query(
    query_type: str,
    preset: Optional[str] = None,
    property_name: Optional[str] = None,
    values: Optional[List[Any]] = None,
    days: float = 0,
    hours: float = 0,
    minutes: float = 0,
    seconds: float = 0,
    properties_to_select: Optional[List[str]] = None,
    sort_by: Optional[List[str]] = None,
    group_by: Optional[str] = None,
    where: Optional[List[str]] = None,
) -> Query:
    """A query from flat parameters; every bad one is named with the valid choices.

    ``preset``/``property_name``/``values``/durations give one condition; ``where`` adds any
    number of expressions (see :func:`parse_expression`); all conditions AND together.
    """
    query = Query(QueryType.from_string(query_type).mapping)
    if properties_to_select:
        query.select(*properties_to_select)
    else:
        query.select_all()
    if preset or property_name:
        if not (preset and property_name):
            raise QueryError("give both 'preset' and 'property_name' to filter, or neither")
        chosen = Preset.from_string(preset)
        prop = query.mapping.properties.from_string(property_name)
        durations = {"days": days, "hours": hours, "minutes": minutes, "seconds": seconds}
        query.where(chosen, prop, **preset_arguments(chosen, prop, values or [], durations))
    for expression in where or []:
        prop_name, preset_name, raw = parse_expression(expression)
        chosen = Preset.from_string(preset_name)
        prop = query.mapping.properties.from_string(prop_name)
        query.where(chosen, prop, **preset_arguments(chosen, prop, raw["values"], raw["durations"]))
    if sort_by:
        query.sort_by(*[parse_sort(spec) for spec in sort_by])
    if group_by:
        query.group_by(group_by)
    return query


def search(
    conn: Any,
    query_type: str,
    preset: Optional[str] = None,
    property_name: Optional[str] = None,
    values: Optional[List[Any]] = None,
    days: float = 0,
    hours: float = 0,
    minutes: float = 0,
    seconds: float = 0,
    properties_to_select: Optional[List[str]] = None,
    sort_by: Optional[List[str]] = None,
    group_by: Optional[str] = None,
    output_type: str = "props",
    all_projects: bool = False,
    from_projects: Optional[List[str]] = None,
    from_domain: Optional[str] = None,
    where: Optional[List[str]] = None,
) -> Dict[str, Any]:
    """Run one query for an action: the search result (``apis.search_results``) of its rows
    and ``query_type``, with a ``hint`` when a search of the caller's own project found
    nothing (other projects are searched only when asked: all_projects or from_projects, as
    admin)."""
    OutputType.from_string(output_type)
    query = build_query(
        query_type,
        preset=preset,
        property_name=property_name,
        values=values,
        days=days,
        hours=hours,
        minutes=minutes,
        seconds=seconds,
        properties_to_select=properties_to_select,
        sort_by=sort_by,
        group_by=group_by,
        where=where,
    )
    query.run(
        conn,
        all_projects=all_projects,
        from_projects=from_projects,
        from_domain=from_domain,
        as_admin=bool(all_projects or from_projects or from_domain),
    )
    own_project_only = not (all_projects or from_projects or from_domain)
    hint = None
    if own_project_only and query.mapping.project_property is not None:
        hint = (
            f"searched only the project that cloud account {conn.config.name!r} is scoped to; "
            f"{query.mapping.name} of other projects are searched with all_projects=true or "
            "from_projects=[...] (admin)"
        )
    return search_result(
        query.to_props(),
        output_type,
        hint=hint,
        table_rows=query.to_props(flatten=True),
        query_type=query.mapping.name,
    )
