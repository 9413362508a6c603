"""Icinga2 with its REST API on loopback, a few dummy-checked hosts and one service per host."""

from __future__ import annotations

import contextlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator

import requests

from .common import LOOPBACK, find_binary, free_port, start_daemon, wait_until
from .tls import make_server_cert

NODE_NAME = "localhost"
API_USER = "cloudops"
QUERY_USER = "cloudops-query"
HOSTS = ("hv01", "hv02")
SERVICE = "nova-compute"


def rack_of(host: str) -> str:
    """The custom variable ``rack`` of ``host``: a value with double and single quotes."""
    return f'row "A", {host}\'s rack'


_CONFIG = """\
const NodeName = "{node}"
const ZoneName = NodeName
include <itl>

object IcingaApplication "app" {{
  enable_notifications = false
  enable_event_handlers = false
  enable_perfdata = false
}}
object CheckerComponent "checker" {{ }}
object Endpoint NodeName {{ }}
object Zone ZoneName {{ endpoints = [ NodeName ] }}
object ApiListener "api" {{
  bind_host = "{host}"
  bind_port = {port}
  accept_config = false
  accept_commands = false
}}
object ApiUser "{user}" {{
  password = "{password}"
  permissions = [ "*" ]
}}
object ApiUser "{query_user}" {{
  password = "{password}"
  permissions = [ "objects/query/*" ]
}}
template Host "hypervisor" {{
  check_command = "dummy"
  check_interval = 1m
  vars.dummy_state = 0
  vars.dummy_text = "Hypervisor is up"
}}
"""

_HOST = """\
object Host "{name}" {{
  import "hypervisor"
  address = "{host}"
  vars.role = "compute"
  vars.rack = {rack}
}}
object Service "{service}" {{
  host_name = "{name}"
  check_command = "dummy"
  check_interval = 1m
  vars.dummy_state = 0
  vars.dummy_text = "nova-compute is running"
}}
"""


@dataclass(frozen=True)
class Icinga:
    """Connection data of the running Icinga2 API (verify TLS with ``ca_file``)."""

    url: str
    user: str
    password: str
    ca_file: Path
    hosts: tuple[str, ...]
    service: str
    pid: int

    def account_entry(self, name: str = "test", **settings: Any) -> Dict[str, Any]:
        """A pack config ``icinga_accounts`` entry for this API, verifying TLS with its CA
        (``settings`` change or add to it)."""
        return {
            "name": name,
            "url": self.url,
            "username": self.user,
            "password": self.password,
            "ca_file": str(self.ca_file),
            **settings,
        }

    def schedule_host_downtime(
        self, host: str, start: float, end: float, author: str, comment: str
    ) -> str:
        """Schedule a downtime of ``host`` (epoch ``start`` to ``end``) straight through the
        API, as a person or another tool would, not through the pack; its name."""
        answer = requests.post(
            f"{self.url}/v1/actions/schedule-downtime",
            auth=(self.user, self.password),
            verify=str(self.ca_file),
            headers={"Accept": "application/json"},
            json={
                "type": "Host",
                "filter": "host.name==cloudops_host",
                "filter_vars": {"cloudops_host": host},
                "start_time": start,
                "end_time": end,
                "author": author,
                "comment": comment,
            },
            timeout=10,
        )
        answer.raise_for_status()
        return answer.json()["results"][0]["name"]


def _write_config(
    state_dir: Path, port: int, password: str, hosts: tuple[str, ...] = HOSTS
) -> list[str]:
    """Write config and certificates; return the ``-D`` options pointing icinga2 at them."""
    dirs = {name: state_dir / name for name in ("data", "cache", "log", "spool", "run")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    make_server_cert(dirs["data"] / "certs", NODE_NAME, "Icinga CA")
    config = _CONFIG.format(
        node=NODE_NAME,
        host=LOOPBACK,
        port=port,
        user=API_USER,
        query_user=QUERY_USER,
        password=password,
    )
    config += "".join(
        _HOST.format(name=name, host=LOOPBACK, service=SERVICE, rack=json.dumps(rack_of(name)))
        for name in hosts
    )
    (state_dir / "icinga2.conf").write_text(config, encoding="utf-8")
    return [
        f"-DConfiguration.{key}={value}"
        for key, value in (
            ("DataDir", dirs["data"]),
            ("CacheDir", dirs["cache"]),
            ("LogDir", dirs["log"]),
            ("SpoolDir", dirs["spool"]),
            ("InitRunDir", dirs["run"]),
            ("RunAsUser", "root"),
            ("RunAsGroup", "root"),
        )
    ]


def _api_ready(url: str, auth: tuple[str, str], ca_file: Path) -> bool:
    try:
        response = requests.get(
            f"{url}/v1/status/ApiListener", auth=auth, verify=str(ca_file), timeout=2
        )
    except requests.RequestException:
        return False
    return response.status_code == 200


@contextlib.contextmanager
def running(state_dir: Path, hosts: tuple[str, ...] = HOSTS) -> Iterator[Icinga]:
    """Run Icinga2 on a free loopback port with its state in ``state_dir``, monitoring
    ``hosts`` (each with the one service)."""
    binary = find_binary("icinga2", "/usr/sbin/icinga2", package="icinga2")
    port = free_port()
    password = secrets.token_urlsafe(16)
    defines = _write_config(state_dir, port, password, hosts)
    daemon = start_daemon(
        "icinga2",
        [binary, "daemon", "-c", str(state_dir / "icinga2.conf"), *defines],
        state_dir / "icinga2.out",
    )
    try:
        peer = Icinga(
            url=f"https://{LOOPBACK}:{port}",
            user=API_USER,
            password=password,
            ca_file=state_dir / "data" / "certs" / "ca.crt",
            hosts=hosts,
            service=SERVICE,
            pid=daemon.pid,
        )
        wait_until(
            lambda: _api_ready(peer.url, (API_USER, password), peer.ca_file),
            "the Icinga2 API",
            daemon,
        )
        yield peer
    finally:
        daemon.stop()
