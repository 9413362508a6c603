#!/usr/bin/env python3
"""Cross-project listing benchmark over the bench-p* projects that ``bench.py boot --projects``
creates (run with venv/bin/python)."""

import os
import sys
import time
from pathlib import Path

# run by hand (./devcloud/bench.py): re-run under the devcloud's own venv, which has openstacksdk
VENV = Path(__file__).resolve().parent / "venv"
if Path(sys.prefix).resolve() != VENV.resolve() and (VENV / "bin" / "python").exists():
    os.execv(str(VENV / "bin" / "python"), [str(VENV / "bin" / "python"), *sys.argv])

import openstack  # pylint: disable=wrong-import-position


def timed(label, fn):
    """Print how long FN takes and what it returns."""
    t0 = time.time()
    result = fn()
    print(f"{label}: {result} {time.time() - t0:.2f}s")
    return result


def main():
    """Run the listings once each."""
    here = os.path.dirname(os.path.abspath(__file__))
    os.environ.setdefault("OS_CLIENT_CONFIG_FILE", os.path.join(here, "clouds.yaml"))
    c = openstack.connect(cloud="devcloud")
    projs = [p for p in c.identity.projects() if p.name.startswith("bench-p")]
    t0 = time.time()
    n = sum(len(list(c.compute.servers(all_projects=True, project_id=p.id))) for p in projs)
    secs = time.time() - t0
    print(
        f"per-project detail listing: {len(projs)} projects, {n} servers, {secs:.2f}s total, "
        f"{secs / max(len(projs), 1) * 1000:.0f} ms/project"
    )
    timed(
        "summary listing (details=False) all_projects, servers",
        lambda: len(list(c.compute.servers(details=False, all_projects=True))),
    )
    timed(
        "changes-since detail all_projects, servers",
        lambda: len(
            list(
                c.compute.servers(
                    all_projects=True, changes_since="2026-01-01T00:00:00Z", limit=1000
                )
            )
        ),
    )
    timed("neutron ports", lambda: len(list(c.network.ports())))
    timed("hypervisors", lambda: len(list(c.compute.hypervisors(details=True))))


if __name__ == "__main__":
    main()
