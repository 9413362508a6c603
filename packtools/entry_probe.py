"""Run :mod:`packtools.entry_wrapper` in a fresh, isolated interpreter and read its answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

WRAPPER = Path(__file__).with_name("entry_wrapper.py")
STANDIN = Path(__file__).with_name("st2_standin")


def call_wrapper(
    request: Dict[str, Any],
    timeout: Optional[float] = 300,
    env: Optional[Dict[str, str]] = None,
    on_stderr_line: Optional[Callable[[str], None]] = None,
) -> Tuple[Dict[str, Any], subprocess.CompletedProcess]:
    """Send ``request`` to a fresh ``python -I entry_wrapper.py``; its answer and the process.

    With ``on_stderr_line`` each line the action writes to stderr (its log and progress lines)
    is handed over as it comes, as StackStorm shows a running action's stderr; ``timeout``
    then does not apply.
    """
    with tempfile.TemporaryDirectory(prefix="cloudops-entry-") as tmp:
        answer_file = Path(tmp) / "answer.json"
        payload = dict(request, answer_file=str(answer_file), standin=str(STANDIN))
        command = [sys.executable, "-I", str(WRAPPER)]
        env = env if env is not None else dict(os.environ)
        if on_stderr_line is not None:
            proc = run_streaming(command, json.dumps(payload), env, Path(tmp), on_stderr_line)
        else:
            proc = subprocess.run(
                command,
                input=json.dumps(payload),
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
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


def run_streaming(
    command: List[str], stdin: str, env: Dict[str, str], tmp: Path, on_line: Callable[[str], None]
) -> subprocess.CompletedProcess:
    """Run ``command`` handing each stderr line to ``on_line`` as it comes (stdout goes to a
    file in ``tmp``, so neither pipe can fill up)."""
    out_path = tmp / "stdout.txt"
    lines = []
    with open(out_path, "w", encoding="utf-8") as out, subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=out,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as child:
        child.stdin.write(stdin)
        child.stdin.close()
        for line in child.stderr:
            lines.append(line)
            on_line(line)
        returncode = child.wait()
    stdout = out_path.read_text(encoding="utf-8")
    return subprocess.CompletedProcess(command, returncode, stdout, "".join(lines))


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
