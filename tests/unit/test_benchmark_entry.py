"""Benchmarks start from any shell, default to the devcloud and end without a traceback."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNABLE = ["cold_start", "drain_bench", "email_bench", "query_bench", "summary"]
# the benchmarks run under the project's .venv (./run_tests.sh makes it); CI's Python matrix
# installs the requirements into its own interpreter instead
NEEDS_VENV = pytest.mark.skipif(
    not (ROOT / ".venv" / "bin" / "python").exists(), reason="no project .venv"
)


def shell_env(**extra):
    """An operator's shell: no project venv on PATH, a stray OS_CLOUD, no clouds.yaml set."""
    env = {k: v for k, v in os.environ.items() if k not in ("OS_CLIENT_CONFIG_FILE", "VIRTUAL_ENV")}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    env["OS_CLOUD"] = "somewhere-else"
    return {**env, **extra}


@NEEDS_VENV
@pytest.mark.parametrize("name", RUNNABLE)
def test_each_benchmark_runs_as_a_command(name, tmp_path):
    script = ROOT / "benchmarks" / f"{name}.py"
    assert os.access(script, os.X_OK) and script.read_text().startswith("#!/usr/bin/env python3")
    done = subprocess.run(
        [str(script), "--help"],
        cwd=tmp_path,
        env=shell_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {name}.py")


def with_bench_env(code: str) -> subprocess.CompletedProcess:
    """``code`` run by a python that imports bench_env from an operator's shell."""
    return subprocess.run(
        [sys.executable, "-c", f"import bench_env, os, sys; {code}"],
        env=shell_env(PYTHONPATH=str(ROOT / "benchmarks")),
        capture_output=True,
        text=True,
        check=False,
    )


@NEEDS_VENV
def test_the_environment_is_the_devcloud_s():
    done = with_bench_env(
        "print(os.environ.get('OS_CLOUD'), os.environ['OS_CLIENT_CONFIG_FILE'], sys.prefix)"
    )
    cloud, clouds_yaml, prefix = done.stdout.split()
    assert cloud == "None" and clouds_yaml == str(ROOT / "devcloud" / "clouds.yaml")
    assert Path(prefix).resolve() == (ROOT / ".venv").resolve()


@pytest.mark.parametrize("name", ["drain_bench", "email_bench", "query_bench"])
def test_the_cloud_option_defaults_to_the_devcloud(name):
    tree = ast.parse((ROOT / "benchmarks" / f"{name}.py").read_text(encoding="utf-8"))
    defaults = [
        keyword.value.value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and getattr(call.func, "attr", "") == "add_argument"
        and call.args
        and getattr(call.args[0], "value", None) == "--cloud"
        for keyword in call.keywords
        if keyword.arg == "default"
    ]
    assert defaults == ["devcloud"]


def test_a_failure_is_one_line_not_a_traceback():
    done = with_bench_env("sys.exit(bench_env.run(lambda: 1 / 0))")
    assert done.returncode == 2
    assert done.stderr == "error: ZeroDivisionError: division by zero\n"
