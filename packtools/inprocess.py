"""Load an entry file's class inside the test process, the way StackStorm names the module.

For tests that drive an action or sensor object directly (e.g. with the stand-in sensor
service). The production-path guarantees come from :mod:`packtools.entry_probe`; this only
adds the StackStorm stand-ins when the real packages are not importable.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from packtools.entry_probe import STANDIN


def ensure_st2() -> None:
    """Make ``st2common``/``st2reactor`` importable (the stand-ins, when StackStorm is absent)."""
    try:
        import st2reactor  # noqa: F401  pylint: disable=import-error,unused-import
    except ImportError:
        if str(STANDIN) not in sys.path:
            sys.path.append(str(STANDIN))


def load_class(path: Path, class_name: str):
    """The class ``class_name`` of the entry file at ``path``."""
    ensure_st2()
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, class_name)


def sensor_service():
    """A stand-in sensor service (datastore plus recorded dispatches)."""
    ensure_st2()
    import standin_services  # pylint: disable=import-error

    return standin_services.SensorService()
