"""The action catalog of README.md, generated from the action YAMLs.

python -m packtools.catalog          print the catalog
python -m packtools.catalog --write  rewrite it between the README markers
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Mapping

from packtools.action_effects import EFFECTS, SEARCHES
from packtools.pack import load_pack

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- actions:begin -->"
END = "<!-- actions:end -->"


def first_sentence(text: str) -> str:
    """The description's first sentence, on one line."""
    text = " ".join(str(text or "").split())
    head, dot, _ = text.partition(". ")
    return head + ("." if dot or not head.endswith(".") else "")


def dry_run_default(parameters: Mapping[str, Any]) -> str:
    """``true``/``false``: the action's real dry_run default; empty without dry_run."""
    if "dry_run" not in parameters:
        return ""
    return "true" if parameters["dry_run"].get("default") is True else "false"


def catalog(root: Path = ROOT) -> str:
    """A Markdown table of every action: name, effect, dry_run default, what it does."""
    pack = load_pack(root)
    lines = ["| action | effect | dry_run default | what it does |", "|---|---|---|---|"]
    for name in sorted(pack.actions):
        data = pack.actions[name].data
        effect = EFFECTS[name].value if name in EFFECTS else "?"
        effect += ", search (sends with webhook)" if name in SEARCHES else ""
        lines.append(
            f"| `{name}` | {effect} | {dry_run_default(data.get('parameters') or {})} "
            f"| {first_sentence(data.get('description'))} |"
        )
    return "\n".join(lines)


def readme_with_catalog(readme: str, table: str) -> str:
    """README text with the table between the markers."""
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{table}\n{END}{tail}"


def main() -> int:
    """Print, or with --write update README.md."""
    table = catalog()
    if "--write" in sys.argv[1:]:
        readme = ROOT / "README.md"
        readme.write_text(readme_with_catalog(readme.read_text(encoding="utf-8"), table), "utf-8")
    else:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
