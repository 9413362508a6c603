"""Imported first by every benchmark, so that ``./benchmarks/NAME.py`` just works.

On import it re-runs the benchmark under the project's ``.venv`` python (made by
``./run_tests.sh``) when another python started it, puts the pack's ``lib/`` and the checkout
on ``sys.path``, and points openstacksdk at the devcloud's clouds.yaml unless
``OS_CLIENT_CONFIG_FILE`` says otherwise. ``OS_CLOUD`` is dropped: it would replace the
credentials of the benchmark's own users (devcloud/README.md, "devcloud traps"); choose a
cloud with ``--cloud``.
"""

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Callable, List

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
CLOUDS_YAML = ROOT / "devcloud" / "clouds.yaml"


def _enter() -> None:
    python = VENV / "bin" / "python"
    if python.exists() and Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(python), [str(python), *sys.argv])
    for path in (str(ROOT), str(ROOT / "lib")):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ.pop("OS_CLOUD", None)
    os.environ.setdefault("OS_CLIENT_CONFIG_FILE", str(CLOUDS_YAML))


def record(work: str, ours: float, baseline: float, target: float, met: bool) -> None:
    """One row of the summary ``benchmarks/run_all.sh`` prints: seconds of our code and of
    the baseline measured in the same run, and whether ours/baseline met ``<= target``.
    Appended to the JSON-lines file ``$BENCH_SUMMARY`` when it is set."""
    path = os.environ.get("BENCH_SUMMARY")
    if not path:
        return
    row = {
        "benchmark": Path(sys.argv[0]).stem,
        "work": work,
        "ours_s": round(ours, 4),
        "baseline_s": round(baseline, 4),
        "ratio": round(ours / baseline, 3),
        "target": f"<= {target:g}",
        "verdict": "OK" if met else "MISSED",
    }
    with open(path, "a", encoding="utf-8") as summary:
        summary.write(json.dumps(row) + "\n")


def verdict(problems: List[str]) -> int:
    """Print each missed target as ``PROBLEM: ...``; the exit status (1 when any)."""
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


def run(main: Callable[[], int]) -> int:
    """A benchmark's exit status: ``main()``'s, or 2 with a one-line error (the traceback
    only with BENCH_TRACEBACK=1) when it raises, e.g. on a cloud that is down."""
    try:
        return main()
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # pylint: disable=broad-exception-caught
        if os.environ.get("BENCH_TRACEBACK"):
            traceback.print_exc()
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 2


_enter()
