"""Prometheus Alertmanager on loopback with clustering off and a single blackhole receiver."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import requests

from .common import LOOPBACK, find_binary, free_port, start_daemon, wait_until

_CONFIG = """\
route:
  receiver: blackhole
  group_wait: 1s
receivers:
  - name: blackhole
"""


@dataclass(frozen=True)
class Alertmanager:
    """The running Alertmanager; its API v2 lives under ``api_url``."""

    url: str
    pid: int

    @property
    def api_url(self) -> str:
        """Base URL of the v2 API."""
        return f"{self.url}/api/v2"


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/-/ready", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@contextlib.contextmanager
def running(state_dir: Path) -> Iterator[Alertmanager]:
    """Run Alertmanager on a free loopback port with its state in ``state_dir``."""
    binary = find_binary(
        "prometheus-alertmanager", "alertmanager", package="prometheus-alertmanager"
    )
    port = free_port()
    config = state_dir / "alertmanager.yml"
    config.write_text(_CONFIG, encoding="utf-8")
    (state_dir / "data").mkdir(exist_ok=True)
    daemon = start_daemon(
        "alertmanager",
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={state_dir / 'data'}",
            f"--web.listen-address={LOOPBACK}:{port}",
            "--cluster.listen-address=",
            f"--web.external-url=http://{LOOPBACK}:{port}",
        ],
        state_dir / "alertmanager.out",
    )
    try:
        peer = Alertmanager(url=f"http://{LOOPBACK}:{port}", pid=daemon.pid)
        wait_until(lambda: _ready(peer.url), "the Alertmanager API", daemon)
        yield peer
    finally:
        daemon.stop()
