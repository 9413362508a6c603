"""Render query rows (lists of flat dicts) as tables, HTML, CSV, JSON or Markdown."""

from __future__ import annotations

import csv
import datetime
import io
import json
from typing import Any, Dict, List, Mapping, Sequence

Rows = List[Dict[str, Any]]


def cell(value: Any) -> Any:
    """A value as it appears in a table cell: datetimes in ISO UTC, lists joined."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(cell(v)) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def columns(rows: Sequence[Mapping[str, Any]]) -> List[str]:
    """Every key in first-seen order."""
    seen: Dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def table(rows: Rows, fmt: str) -> str:
    """A tabulate table in the given format (``grid``, ``html``, ``github``)."""
    from tabulate import tabulate

    headers = columns(rows)
    body = [[cell(row.get(h)) for h in headers] for row in rows]
    return tabulate(body, headers=headers, tablefmt=fmt)


def to_csv(rows: Rows) -> str:
    """CSV with a header line."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(rows), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: cell(v) for k, v in row.items()})
    return buffer.getvalue()


def jsonable(value: Any) -> Any:
    """Datetimes as ISO UTC strings, recursively."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    return value


def to_json(value: Any, pretty: bool = False) -> str:
    """JSON text of rows or grouped rows."""
    return json.dumps(jsonable(value), indent=2 if pretty else None, sort_keys=pretty)
