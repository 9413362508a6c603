"""The story ./demo.sh tells: four things an operator does in their first hour, on the devcloud.

Each step shows the command an operator types in StackStorm, runs the same action through the
local runner (as StackStorm's python runner would), and prints the part of the result a person
reads: a table of the seeded cloud, one search, a dry-run notice, a drain plan. Exits 1 when
a step fails, after printing its error.
"""

from __future__ import annotations

import io
import json
import shlex
import sys
from typing import Any, Callable, Dict, List, Sequence

from tabulate import tabulate

from packtools import local_runner

CLOUD = "devcloud"
CONFIG = "cloudops.yaml.example"


def run(action: str, parameters: Sequence[str]) -> Dict[str, Any]:
    """The action's result through the local runner; SystemExit with its error on failure."""
    out, err = io.StringIO(), io.StringIO()
    code = local_runner.run(["--json", "--config", CONFIG, action, *parameters], out, err)
    text = out.getvalue()
    answer = json.loads(text[text.index("{") :]) if "{" in text else {}
    if code != 0:
        error = (answer.get("result") or {}).get("error") if answer else err.getvalue()
        raise SystemExit(f"{action} failed: {error}")
    return answer["result"]


def step(number: int, title: str, action: str, parameters: List[str], show: Callable) -> None:
    """Print the step, the StackStorm command and what the result shows."""
    print(f"\n== {number}. {title}")
    print(f"   in StackStorm: st2 run cloudops.{action} {shlex.join(parameters)}")
    print(f"   here:          ./run_action.sh {action} {shlex.join(parameters)}\n")
    show(run(action, parameters))


def show_text(result: Dict[str, Any]) -> None:
    """A search asked for as a table."""
    print(f"{result['count']} {result['query_type']}")
    print(result["output"])
    if result.get("hint"):
        print(f"hint: {result['hint']}")


def show_notice(result: Dict[str, Any]) -> None:
    """Who a dry-run notice would reach, and the first message."""
    print(
        f"dry run: {result['messages']} email(s) about {result['affected_servers']} server(s) "
        f"would be sent; nothing was sent"
    )
    rows = [[p["label"], ", ".join(p["to"]), p["subject"]] for p in result["previews"]]
    print(tabulate(rows, headers=["user", "to", "subject"]))
    missing = [u["user_name"] for u in result.get("users_without_email", [])]
    if missing:
        print(f"no email address, so not told: {', '.join(missing)}")
    if result["previews"]:
        print("\nthe first message:\n")
        print("    " + result["previews"][0]["text"].replace("\n", "\n    "))


def show_plan(result: Dict[str, Any]) -> None:
    """What a drain would do with each server of the hypervisor."""
    entries = result["planned"] + result["skipped"] + result["refused"]
    rows = [
        [e["name"], e.get("status"), e["outcome"], e.get("mode") or "-", e.get("reason") or ""]
        for e in entries
    ]
    print(f"{result['hypervisor']}: {len(entries)} server(s)")
    print(tabulate(rows, headers=["server", "status", "plan", "migration", "why"]))


def main() -> int:
    """Tell the story; 0 when every step worked."""
    cloud = f"cloud_account={CLOUD}"
    steps = [
        (
            "The seeded cloud: every server of every project",
            "server.search",
            [
                cloud,
                "all_projects=true",
                "where=name ~ ^seed-",
                "properties_to_select=name,status,host,created_at",
                "sort_by=host",
                "output_type=table",
            ],
            show_text,
        ),
        (
            "A search: servers shut off for more than 30 days",
            "server.search",
            [
                cloud,
                "all_projects=true",
                'where=["status == SHUTOFF", "created_at older_than 30d"]',
                "properties_to_select=name,project_id,created_at",
                "output_type=table",
            ],
            show_text,
        ),
        (
            "A notice, dry run (the default): tell their owners",
            "email.users.with.shutoff.vms",
            [cloud, "all_projects=true", "older_than_days=30"],
            show_notice,
        ),
        (
            "A drain plan: what would happen to compute2's servers",
            "hypervisor.drain.plan",
            [cloud, "hypervisor=compute2"],
            show_plan,
        ),
    ]
    try:
        for number, (title, action, parameters, show) in enumerate(steps, start=1):
            step(number, title, action, parameters, show)
    except SystemExit as failed:
        print(f"\nstep failed: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
