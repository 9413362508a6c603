"""Write the shared change result (``apis.results``) into actions' output_schema.

python -m packtools.result_schema ACTION... [--drop KEY ...]

Puts ``changed``, ``dry_run`` and ``objects`` first in each action's output_schema properties
(keeping its own properties, less the ``--drop`` ones) and rewrites only that block of the YAML.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Optional, Sequence

import yaml

from packtools.pack import load_pack

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lib"))

from apis.results import CHANGE_RESULT_SCHEMA  # noqa: E402  pylint: disable=wrong-import-position

TOP_LEVEL_KEY = re.compile(r"^[A-Za-z_]\w*:", re.MULTILINE)


class _NoAliases(yaml.SafeDumper):
    """Writes a repeated sub-schema out each time (no YAML anchors)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def change_output_schema(
    output_schema: Optional[Mapping[str, Any]], drop: Iterable[str] = ()
) -> Dict[str, Any]:
    """``output_schema`` with the change result's properties first."""
    own = dict((output_schema or {}).get("properties") or {})
    for key in [*drop, *CHANGE_RESULT_SCHEMA]:
        own.pop(key, None)
    return {"type": "object", "properties": {**CHANGE_RESULT_SCHEMA, **own}}


def replace_block(text: str, key: str, value: Any) -> str:
    """YAML ``text`` with the top-level ``key`` block replaced by ``value`` (appended if absent)."""
    block = yaml.dump(
        {key: value}, Dumper=_NoAliases, sort_keys=False, width=100, default_flow_style=False
    )
    match = re.search(rf"^{re.escape(key)}:", text, re.MULTILINE)
    if match is None:
        return text.rstrip("\n") + "\n" + block
    following = TOP_LEVEL_KEY.search(text, match.end())
    end = following.start() if following else len(text)
    return text[: match.start()] + block + text[end:]


def write(path: Path, drop: Sequence[str] = ()) -> None:
    """Rewrite the output_schema of the action YAML at ``path``."""
    text = path.read_text(encoding="utf-8")
    schema = change_output_schema(yaml.safe_load(text).get("output_schema"), drop)
    path.write_text(replace_block(text, "output_schema", schema), encoding="utf-8")


def main(argv: Sequence[str]) -> int:
    """Rewrite the named actions' output_schema."""
    parser = argparse.ArgumentParser(prog="python -m packtools.result_schema")
    parser.add_argument("actions", nargs="+")
    parser.add_argument("--drop", nargs="*", default=[], help="own properties to remove")
    args = parser.parse_args(argv)
    pack = load_pack(ROOT)
    for name in args.actions:
        write(pack.actions[name].path, args.drop)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
