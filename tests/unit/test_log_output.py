"""action_runtime.log_output: the pack's INFO lines reach the action's stderr, once."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

EMIT = """
import logging
{setup}
from action_runtime.log_output import send_to_stderr
send_to_stderr({runner_level})
send_to_stderr({runner_level})
logging.getLogger("workflows.hypervisor_drain").info("drain hv-1: migrated web-1 (1 of 2, 1.5 s)")
logging.getLogger("apis.progress").debug("a debug line")
logging.getLogger("keystoneauth.session").info("a third-party info line")
logging.getLogger("openstack").warning("a third-party warning")
"""


def stderr_of(setup="", runner_level="logging.DEBUG"):
    """The stderr of a fresh interpreter (logging as StackStorm's wrapper leaves it)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path[:0] = {[str(ROOT / 'lib')]!r}\n"
            + EMIT.format(setup=setup, runner_level=runner_level),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert proc.stdout == ""
    return proc.stderr.splitlines()


def test_pack_info_lines_reach_stderr_once_third_party_info_does_not():
    lines = stderr_of()
    assert len(lines) == 2, lines
    assert lines[0].endswith(
        " INFO workflows.hypervisor_drain: drain hv-1: migrated web-1 (1 of 2, 1.5 s)"
    )
    assert lines[1].endswith(" WARNING openstack: a third-party warning")


def test_a_root_handler_set_up_before_is_kept_and_not_doubled():
    """The local runner (entry_wrapper) configures logging first, with its own level."""
    setup = 'logging.basicConfig(level="DEBUG", format="%(levelname)s %(name)s: %(message)s")'
    lines = stderr_of(setup)
    assert lines == [
        "INFO workflows.hypervisor_drain: drain hv-1: migrated web-1 (1 of 2, 1.5 s)",
        "DEBUG apis.progress: a debug line",
        "INFO keystoneauth.session: a third-party info line",
        "WARNING openstack: a third-party warning",
    ]


def test_a_runner_log_level_above_info_silences_progress():
    """``st2 run ... log_level=WARNING`` asks for warnings only."""
    assert [line.split(" ", 2)[-1] for line in stderr_of(runner_level="logging.WARNING")] == [
        "WARNING openstack: a third-party warning"
    ]
