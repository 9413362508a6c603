"""The one result shape of every search: the rows found and the output format asked for.

A search action takes ``output_type`` (:class:`OutputType`) and returns a
:class:`SearchResult`, built by :func:`search_result` from its rows: ``rows`` (a list of
flat-ish dicts, or, when grouped, an object of group name -> rows), their ``count``, the
``output_type`` and ``output``, the rows rendered in that format (null for ``props``: the rows
are the output), and a ``hint`` when the search found nothing and could be widened. An action
adds its own fields (``query_type``, ``object_type``, ...) next to these. A search given a
``webhook`` (:data:`WEBHOOK_PARAMETERS`, the action runtime's: ``action_runtime.search_webhook``)
also carries ``webhook``, what it posted where.

:data:`SEARCH_RESULT_SCHEMA` is the same shape in StackStorm's output_schema dialect: every
search action's YAML carries these properties (a contract test checks it).
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from apis import row_formats
from apis.errors import CloudopsError

Rows = Union[List[Dict[str, Any]], Dict[Any, List[Dict[str, Any]]]]


class OutputTypeError(CloudopsError, ValueError):
    """An output_type that is not one of :class:`OutputType`."""


class OutputType(enum.Enum):
    """How a search returns its rows besides the rows themselves."""

    PROPS = "props"
    TABLE = "table"
    HTML = "html"
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "markdown"

    @classmethod
    def from_string(cls, text: Any) -> "OutputType":
        """The output type for a name, or an error listing the valid ones."""
        try:
            return cls(str(text).lower())
        except ValueError:
            names = [m.value for m in cls]
            close = difflib.get_close_matches(str(text).lower(), names, n=1)
            raise OutputTypeError(
                f"output_type {text!r} is not one of: {', '.join(names)}"
                + (f". Did you mean {close[0]!r}?" if close else "")
            ) from None


_TABLES: Dict[OutputType, Callable[[List[Dict[str, Any]]], str]] = {
    OutputType.TABLE: lambda rows: row_formats.table(rows, "grid"),
    OutputType.HTML: lambda rows: row_formats.table(rows, "html"),
    OutputType.MARKDOWN: lambda rows: row_formats.table(rows, "github"),
    OutputType.CSV: row_formats.to_csv,
}


def render(rows: Rows, output_type: OutputType, table_rows: Optional[Rows] = None) -> Any:
    """``rows`` as ``output_type`` (None for props); tables, HTML and CSV are drawn from
    ``table_rows`` when given (e.g. chained rows flattened), one table per group."""
    if output_type is OutputType.PROPS:
        return None
    if output_type is OutputType.JSON:
        return row_formats.to_json(_dict_rows(rows))
    draw = _TABLES[output_type]
    flat = _dict_rows(rows if table_rows is None else table_rows)
    if not isinstance(flat, Mapping):
        return draw(flat)
    return "\n\n".join(f"{name}:\n{draw(group)}" for name, group in flat.items())


def _dict_rows(rows: Rows) -> Any:
    """Rows that are dataclasses (e.g. role assignments) as dicts."""
    if isinstance(rows, Mapping):
        return {name: _dict_rows(group) for name, group in rows.items()}
    return [dataclasses.asdict(r) if dataclasses.is_dataclass(r) else r for r in rows]


def count_rows(rows: Rows) -> int:
    """How many rows, across the groups when grouped."""
    if isinstance(rows, Mapping):
        return sum(len(group) for group in rows.values())
    return len(rows)


@dataclasses.dataclass
class SearchResult:
    """``rows``, ``count``, ``output_type``, ``output`` and ``hint`` of a search (see the
    module doc)."""

    rows: Rows
    output_type: str
    output: Any
    count: int
    hint: Optional[str] = None


def search_result(
    rows: Rows,
    output_type: Any = OutputType.PROPS.value,
    hint: Optional[str] = None,
    table_rows: Optional[Rows] = None,
    **fields: Any,
) -> Dict[str, Any]:
    """The result of a search: its own ``fields`` and the :class:`SearchResult` of ``rows``
    (``hint`` kept only when nothing was found)."""
    kind = OutputType.from_string(output_type)
    count = count_rows(rows)
    result = SearchResult(
        rows=rows,
        output_type=kind.value,
        output=render(rows, kind, table_rows),
        count=count,
        hint=hint if not count else None,
    )
    shape = {k: v for k, v in vars(result).items() if k != "hint" or v is not None}
    return {**fields, **shape}


OUTPUT_TYPE_PARAMETER: Dict[str, Any] = {
    "type": "string",
    "default": OutputType.PROPS.value,
    "enum": [o.value for o in OutputType],
}
"""The ``output_type`` parameter every search action's YAML defines."""

WEBHOOK_PARAMETERS: Dict[str, Dict[str, Any]] = {
    "webhook": {
        "type": "string",
        "default": "",
        "description": (
            "Also POST the rows found to this StackStorm webhook (<st2_api.url>/webhooks/"
            "<webhook>, the pack config's st2_api), e.g. server-migrate; empty - no post."
        ),
    },
    "dry_run": {
        "type": "boolean",
        "default": True,
        "description": "Only show where the rows would be posted (the search runs either way).",
    },
}
"""The parameters every search action's YAML defines for posting its rows to a webhook."""

SEARCH_RESULT_SCHEMA: Dict[str, Any] = {
    "rows": {
        "anyOf": [{"type": "array"}, {"type": "object"}],
        "required": True,
        "description": "The rows found (grouped, an object of group name -> rows).",
    },
    "count": {"type": "integer", "required": True, "description": "How many rows."},
    "output_type": {
        "type": "string",
        "enum": [o.value for o in OutputType],
        "required": True,
    },
    "output": {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "required": True,
        "description": "The rows rendered as output_type (null for props, the rows are it).",
    },
    "hint": {
        "type": "string",
        "description": "When nothing was found, how to widen the search.",
    },
    "webhook": {
        "type": "object",
        "description": "With a webhook: its name, url, dry_run, posted and StackStorm's status.",
        "properties": {
            "name": {"type": "string", "required": True},
            "url": {"type": "string", "required": True},
            "dry_run": {"type": "boolean", "required": True},
            "posted": {"type": "boolean", "required": True},
            "status": {"anyOf": [{"type": "integer"}, {"type": "null"}], "required": True},
        },
        "additionalProperties": False,
    },
}
"""The properties every search action's output_schema carries."""
