#!/usr/bin/env python3
"""Cold start: StackStorm starts a new interpreter for every action run.

Prints, measured in this same run, the median wall time of a fresh process that loads and
runs the ``hello`` action's runner on StackStorm's production path, against the median time
of ``python -c "import openstack"``. Target: ratio <= 1.2 (an action that does not talk to
OpenStack must not pay for openstacksdk).

    .venv/bin/python benchmarks/cold_start.py [--runs N]
"""

from __future__ import annotations

import bench_env  # first: the project's .venv, lib/ on sys.path, the devcloud
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = bench_env.ROOT
WRAPPER = ROOT / "packtools" / "entry_wrapper.py"
STANDIN = ROOT / "packtools" / "st2_standin"
TARGET = 1.2


def timed(command, stdin=None) -> float:
    """Wall seconds of one run of ``command``; fails loudly if it fails."""
    start = time.perf_counter()
    subprocess.run(command, input=stdin, text=True, check=True, capture_output=True)
    return time.perf_counter() - start


def action_command(action: str, parameters: dict, answer_file: Path):
    """The command and stdin that run one action like StackStorm's python runner."""
    request = {
        "mode": "run",
        "kind": "action",
        "pack_root": str(ROOT),
        "entry_file": str(ROOT / "actions" / "src" / "dispatcher.py"),
        "config": {},
        "parameters": dict(parameters, lib_function=action),
        "answer_file": str(answer_file),
        "standin": str(STANDIN),
        "log_level": "WARNING",
    }
    return [sys.executable, "-I", str(WRAPPER)], json.dumps(request)


def main() -> int:
    """Alternate the two measurements so machine noise hits both alike."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        answer = Path(tmp) / "answer.json"
        hello, hello_stdin = action_command("workflows.hello:hello", {"name": "bench"}, answer)
        baseline = [sys.executable, "-c", "import openstack"]
        timed(hello, hello_stdin)
        timed(baseline)
        action_times, baseline_times = [], []
        for _ in range(args.runs):
            action_times.append(timed(hello, hello_stdin))
            baseline_times.append(timed(baseline))
        result = json.loads(answer.read_text(encoding="utf-8"))
    if result.get("status") != "succeeded":
        print(f"the hello action failed: {result}")
        return 1
    action_median = statistics.median(action_times)
    baseline_median = statistics.median(baseline_times)
    ratio = action_median / baseline_median
    print(f"runs: {args.runs} each, alternating")
    print(f"hello action, fresh process: median {action_median * 1000:.0f} ms")
    print(f"python -c 'import openstack': median {baseline_median * 1000:.0f} ms")
    print(f"ratio: {ratio:.2f} (target <= {TARGET}) {'OK' if ratio <= TARGET else 'OVER TARGET'}")
    bench_env.record(
        "cold start: hello action vs python -c 'import openstack'",
        action_median,
        baseline_median,
        TARGET,
        ratio <= TARGET,
    )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(bench_env.run(main))
