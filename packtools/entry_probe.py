"""Run :mod:`packtools.entry_wrapper` in a fresh, isolated interpreter and read its answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

WRAPPER = Path(__file__).with_name("entry_wrapper.py")
STANDIN = Path(__file__).with_name("st2_standin")


def call_wrapper(
    request: Dict[str, Any], timeout: float = 300, env: Optional[Dict[str, str]] = None
) -> Tuple[Dict[str, Any], subprocess.CompletedProcess]:
    """Send ``request`` to a fresh ``python -I entry_wrapper.py``; its answer and the process."""
    with tempfile.TemporaryDirectory(prefix="cloudops-entry-") as tmp:
        answer_file = Path(tmp) / "answer.json"
        payload = dict(request, answer_file=str(answer_file), standin=str(STANDIN))
        proc = subprocess.run(
            [sys.executable, "-I", str(WRAPPER)],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env if env is not None else dict(os.environ),
            check=False,
        )
        if not answer_file.exists():
            answer = {
                "status": "failed",
                "error": f"the action process exited with {proc.returncode} without an answer",
            }
        else:
            answer = json.loads(answer_file.read_text(encoding="utf-8"))
    return answer, proc


def inspect_entry(pack_root: Path, entry_file: Path, kind: str, lib_functions=()) -> Dict[str, Any]:
    """Entry classes and lib function signatures as seen on the production ``sys.path``."""
    answer, _ = call_wrapper(
        {
            "mode": "inspect",
            "kind": kind,
            "pack_root": str(pack_root),
            "entry_file": str(entry_file),
            "lib_functions": list(lib_functions),
        }
    )
    return answer
