"""StackStorm's alias matcher, for checking alias sample commands without StackStorm.

A port of ``ActionAliasFormatParser`` (st2common/models/utils/action_alias_utils.py) and
``match_command_to_alias`` (st2common/util/actionalias_matching.py) of StackStorm 3.9.0,
Apache License 2.0, (c) The StackStorm Authors: the same regular expressions, the same order
of steps, without the datastore and jinja parts that matching does not use. StackStorm
refuses a chat command that matches more than one format of all aliases (or none), so each
sample must match exactly one.

What StackStorm does with a command, in order:
1. ``key=value`` pairs at the end of the command are cut off and become parameters;
2. every ``{{ name=default }}`` in the format becomes an optional regex group, every
   ``{{ name }}`` a required one (one word unless quoted or followed by literal text: a
   parameter absorbs text lazily up to what follows it);
3. the format, anchored, must match the rest of the command; optional parameters not given
   take their default; the end pairs override.
"""

from __future__ import annotations

import re

# sre_parse's opcode constants are made at import time: pylint cannot see them.
# pylint: disable=no-member
try:  # Python 3.11+: sre_parse is deprecated, re._parser is the same module
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_parse  # type: ignore[no-redef]  # pylint: disable=deprecated-module

from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from packtools.rule_render import cast

KEY = r"\s*(\S+?)\s*"
VALUE = r'""|\'\'|"(.+?)"|\'(.+?)\'|({.+?})|(\S+)'
EXT_VALUE = r'""|\'\'|"(.+?)"|\'(.+?)\'|({.+?})|(.+?)'
PAIRS = rf"(?:^|\s+){KEY}=({VALUE})"
ENDING = rf".*?(({PAIRS}\s*)*)$"
DEFAULT = rf"\s*=\s*(?:{EXT_VALUE})\s*"
OPTIONAL = "{{" + KEY + DEFAULT + "}}"
REQUIRED = "{{" + KEY + "}}"
BEGINNINGS = ((sre_parse.AT, sre_parse.AT_BEGINNING), (sre_parse.AT, sre_parse.AT_BEGINNING_STRING))
ENDS = ((sre_parse.AT, sre_parse.AT_END), (sre_parse.AT, sre_parse.AT_END_STRING))
PARAM_MATCH = r'\1["\']?(?P<\2>(?:(?<=\').+?(?=\')|(?<=").+?(?=")|{.+?}|.+?))["\']?'


def extract_parameters(format_str: str, command: str) -> Optional[Dict[str, Any]]:
    """The parameters StackStorm extracts from ``command`` with ``format_str``, or None when
    the command does not match it."""
    kv_pairs: List[Tuple[str, ...]] = []
    stream = command
    ending = re.match(ENDING, stream, re.DOTALL)
    if ending and ending.group(1):
        kv_pairs = re.findall(PAIRS, ending.group(1), re.DOTALL)
        stream = stream.replace(ending.group(1), "")
    stream = f" {stream} "
    optional = re.findall(OPTIONAL, format_str, re.DOTALL)
    regex = re.sub(r"(\s*)" + OPTIONAL, r"(?:" + PARAM_MATCH + r")?", format_str)
    regex = re.sub(r"(\s*)" + REQUIRED, PARAM_MATCH, regex)
    tokens = sre_parse.parse(regex, flags=re.DOTALL)
    if not _has_token(tokens, BEGINNINGS):
        regex = r"^\s*" + regex
    if not _has_token(tokens, ENDS):
        regex = regex + r"\s*$"
    matched = re.compile(regex, re.DOTALL).search(stream)
    if not matched:
        return None
    result = matched.groupdict()
    for param in optional:
        value = result[param[0]] or "".join(param[1:])
        if value is not None:
            result[param[0]] = value
    for pair in kv_pairs:
        result[pair[0]] = "".join(pair[2:])
    if format_str and not (stream.strip() or any(result.values())):
        return None
    return result


def _has_token(tokens, needles) -> bool:
    """``search_regex_tokens``: whether the parsed regex holds one of ``needles``."""
    for kind, value in tokens:
        if kind == sre_parse.SUBPATTERN:
            if _has_token(value[3], needles):
                return True
        elif kind == sre_parse.BRANCH:
            if _has_token(value[1][1], needles):
                return True
        elif (kind, value) in needles:
            return True
    return False


def representations(alias: Mapping[str, Any]) -> List[str]:
    """Every format StackStorm matches for an alias (``normalise_alias_format_string``)."""
    found: List[str] = []
    for entry in alias.get("formats") or []:
        if isinstance(entry, str):
            found.append(entry)
        elif isinstance(entry, Mapping):
            representation = entry.get("representation") or []
            found.extend([representation] if isinstance(representation, str) else representation)
    return found


def matches(command: str, aliases: Iterable[Mapping[str, Any]]) -> List[Tuple[str, str, dict]]:
    """``(alias name, format, parameters)`` of every format of ``aliases`` that ``command``
    matches: StackStorm runs the command only when there is exactly one."""
    found = []
    for alias in aliases:
        for format_str in representations(alias):
            parameters = extract_parameters(format_str, command)
            if parameters is not None:
                found.append((str(alias.get("name")), format_str, parameters))
    return found


def cast_parameters(
    parameters: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]]
) -> Dict[str, Any]:
    """The matched text values as the action receives them: st2api's alias execution casts
    each by the action parameter's type, arrays by splitting on commas (its
    ``CAST_OVERRIDES``), the rest as st2common's casts do."""
    cast_values: Dict[str, Any] = {}
    for name, value in parameters.items():
        kind = (declared.get(name) or {}).get("type", "string")
        if kind == "array" and isinstance(value, str):
            cast_values[name] = [part.strip() for part in value.split(",")]
        else:
            cast_values[name] = cast(value, kind) if isinstance(value, str) else value
    return cast_values
