#!/usr/bin/env python3
"""The summary of one ``benchmarks/run_all.sh``: a table of every benchmark's rows (work, ours,
baseline, ratio, target, verdict) from the JSON-lines file the benchmarks appended to
(``bench_env.record``), also written as JSON for comparing runs.

    ./benchmarks/summary.py ROWS.jsonl OUT.json
"""

from __future__ import annotations

import bench_env  # first: the project's .venv, lib/ on sys.path, the devcloud

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List

from tabulate import tabulate

from apis import clock

COLUMNS = ("benchmark", "work", "ours_s", "baseline_s", "ratio", "target", "verdict")


def read_rows(path: Path) -> List[Dict[str, Any]]:
    """The rows the benchmarks recorded, in order."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def table(rows: List[Dict[str, Any]]) -> str:
    """The rows as the terminal shows them."""
    return tabulate([[row.get(c, "") for c in COLUMNS] for row in rows], headers=COLUMNS)


def summary(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    """What is kept of one run for comparison with the next."""
    return {
        "date": clock.now().isoformat(),
        "root": str(bench_env.ROOT),
        "cores": os.cpu_count(),
        "rows": rows,
    }


def main(argv: List[str]) -> int:
    """Print the table, write the JSON; 1 when a row missed its target or none was recorded."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("rows", type=Path, help="the JSON-lines file the benchmarks appended to")
    parser.add_argument("out", type=Path, help="where to write the summary as JSON")
    args = parser.parse_args(argv)
    rows = read_rows(args.rows)
    print(table(rows) if rows else "no benchmark recorded a result")
    args.out.write_text(json.dumps(summary(rows), indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out}")
    return 0 if rows and all(row["verdict"] == "OK" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(bench_env.run(lambda: main(sys.argv[1:])))
