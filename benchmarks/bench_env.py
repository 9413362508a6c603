"""Imported first by every benchmark, so that ``./benchmarks/NAME.py`` just works.

On import it re-runs the benchmark under the project's ``.venv`` python (made by
``./run_tests.sh``) when another python started it, puts the pack's ``lib/`` and the checkout
on ``sys.path``, and points openstacksdk at the devcloud's clouds.yaml unless
``OS_CLIENT_CONFIG_FILE`` says otherwise. ``OS_CLOUD`` is dropped: it would replace the
credentials of the benchmark's own users (devcloud/README.md, "devcloud traps"); choose a
cloud with ``--cloud``.
"""

import os
import sys
from pathlib import Path

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


_enter()
