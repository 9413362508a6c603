"""The root of every api's exception hierarchy.

Each api package defines its own base class deriving from :class:`CloudopsError`, so the
action layer can turn any expected failure into a clean ``(False, result)`` while a genuine
bug still surfaces as a traceback.
"""


class CloudopsError(Exception):
    """An expected failure whose message is safe to show an operator (never a secret).

    ``report`` (optional, JSON-able) is what a runbook did before it failed, e.g. the
    per-server outcome of a drain; the action result carries it next to the error.
    """

    def __init__(self, *args, report=None):
        super().__init__(*args)
        self.report = report


def raised_in(err: BaseException, package: str) -> bool:
    """Whether code of ``package`` (e.g. ``apis.ssh_api``) was running when ``err`` was raised."""
    prefix = package + "."
    trace = err.__traceback__
    while trace is not None:
        name = trace.tb_frame.f_globals.get("__name__", "")
        if name == package or name.startswith(prefix):
            return True
        trace = trace.tb_next
    return False
