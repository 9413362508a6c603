"""benchmarks/run_all.sh's summary: rows recorded by the benchmarks, one table, one JSON."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def record(rows: Path, work: str, ours: float, baseline: float, target: float, met: bool):
    """bench_env.record in a process of its own, as a benchmark calls it."""
    script = f"import bench_env; bench_env.record({work!r}, {ours}, {baseline}, {target}, {met})"
    env = {**os.environ, "BENCH_SUMMARY": str(rows), "PYTHONPATH": str(ROOT / "benchmarks")}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT)


def summarise(rows: Path, out: Path) -> subprocess.CompletedProcess:
    """benchmarks/summary.py as run_all.sh runs it."""
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "summary.py"), str(rows), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_rows_become_a_table_and_a_json_and_a_miss_fails(tmp_path):
    rows = tmp_path / "rows.jsonl"
    record(rows, "cold start", 0.5, 0.45, 1.2, True)
    record(rows, "(a) old servers", 1.3, 1.0, 1.1, False)
    done = summarise(rows, tmp_path / "summary.json")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == [
        "benchmark",
        "work",
        "ours_s",
        "baseline_s",
        "ratio",
        "target",
        "verdict",
    ]
    assert lines[2].split()[-6:] == ["0.5", "0.45", "1.111", "<=", "1.2", "OK"]
    assert lines[3].endswith("MISSED")
    kept = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert [row["ratio"] for row in kept["rows"]] == [1.111, 1.3]
    assert kept["rows"][1]["target"] == "<= 1.1" and kept["date"].endswith("+00:00")


def test_a_run_that_recorded_nothing_fails(tmp_path):
    done = summarise(tmp_path / "absent.jsonl", tmp_path / "summary.json")
    assert done.returncode == 1
    assert "no benchmark recorded a result" in done.stdout
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["rows"] == []
