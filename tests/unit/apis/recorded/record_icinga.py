"""Record the Icinga2 answers the unit tests replay (``icinga2_answers.json``): run
``.venv/bin/python -m tests.unit.apis.recorded.record_icinga`` with icinga2 installed.

Starts the integration suite's Icinga2 peer, submits a few check results (hv02 down, hv01's
nova-compute critical) and records the answers to the queries the search makes: the object
types and fields (``/v1/types``, only the types a host or service search reads), hosts with
the default columns, services with attrs and joins, and a filter Icinga cannot evaluate.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Dict

import requests

from tests.integration.peers.icinga import running

OUT = Path(__file__).with_name("icinga2_answers.json")
TYPES = (
    "Host Service Checkable CustomVarObject ConfigObject Object CheckCommand Command "
    "TimePeriod Endpoint EventCommand"
).split()
QUERIES: Dict[str, Any] = {
    "hosts_default": (
        "hosts",
        {
            "attrs": [
                "name",
                "display_name",
                "state",
                "last_check",
                "last_check_result",
                "downtime_depth",
                "acknowledgement",
            ]
        },
    ),
    "services_columns": (
        "services",
        {
            "attrs": ["name", "state", "state_type", "last_check", "vars", "host_name"],
            "joins": ["host.name", "host.address", "host.vars", "host.state", "check_command"],
        },
    ),
    "bad_filter": ("hosts", {"filter": "host.name == x", "filter_vars": {}}),
}


def main() -> None:
    """Record every answer into ``OUT``."""
    with running(Path(tempfile.mkdtemp())) as peer:
        session = requests.Session()
        session.auth = (peer.user, peer.password)
        session.headers.update({"Accept": "application/json"})

        def call(method: str, path: str, body: Any = None) -> requests.Response:
            headers = {"X-HTTP-Method-Override": "GET"} if method == "QUERY" else {}
            return session.request(
                "POST" if method == "QUERY" else method,
                peer.url + path,
                json=body,
                headers=headers,
                verify=str(peer.ca_file),
                timeout=10,
            )

        for kind, name, code, output in (
            ("Host", "hv01", 0, "Hypervisor is up"),
            ("Host", "hv02", 1, "DOWN: no route to host"),
            ("Service", f"hv01!{peer.service}", 2, "CRITICAL: nova-compute is not running"),
            ("Service", f"hv02!{peer.service}", 0, "nova-compute is running"),
        ):
            answer = call(
                "POST",
                "/v1/actions/process-check-result",
                {"type": kind, kind.lower(): name, "exit_status": code, "plugin_output": output},
            )
            answer.raise_for_status()
        status = call("GET", "/v1/status/IcingaApplication").json()
        types = call("GET", "/v1/types").json()["results"]
        recorded: Dict[str, Any] = {
            "recorded_from": "Icinga2 "
            + status["results"][0]["status"]["icingaapplication"]["app"]["version"]
            + " (tests/integration/peers/icinga.py), by tests/unit/apis/recorded/record_icinga.py",
            "types": {"status": 200, "body": {"results": [t for t in types if t["name"] in TYPES]}},
        }
        for key, (plural, body) in QUERIES.items():
            answer = call("QUERY", f"/v1/objects/{plural}", {**body, "verbose": True})
            recorded[key] = {"status": answer.status_code, "body": answer.json()}
    OUT.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
