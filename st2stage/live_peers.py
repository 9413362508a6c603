"""The live chain check's peer services: Alertmanager, Icinga2, sshd and SMTP, for real.

Run by `live.py` with the test virtualenv's python (`.venv`: it has aiosmtpd and the
integration suite's peers in tests/integration/peers) from the repository root:

    .venv/bin/python st2stage/live_peers.py STATE_DIR HOST UPTIME_FILE

Starts the four peers the way the integration suite does (Icinga2 also monitors HOST), writes
the patch and reboot scripts the chain runs over SSH (the patch script fails while
STATE_DIR/scripts/fail-patch exists; the reboot script writes the boot time "now" into
UPTIME_FILE, so the devcloud's compute reports that it rebooted), prints one JSON line with
the pack config sections for them, then answers one JSON line per command line on stdin:

    mails               every mail received: to, subject, text
    silences HOST       every Alertmanager silence whose matchers name HOST: id, state, comment
    downtimes HOST      the names of HOST's Icinga downtimes

and stops the peers at end of input.
"""

import contextlib
import json
import os
import sys
from pathlib import Path

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# pylint: disable=wrong-import-position
from tests.integration.peers import alertmanager, icinga, smtp, sshd  # noqa: E402

PATCH = """#!/bin/sh
if [ -e {dir}/fail-patch ]; then echo "E: dpkg was interrupted" >&2; exit 100; fi
echo "3 packages upgraded"
"""
REBOOT = """#!/bin/sh
date +%s > {uptime}.tmp && mv {uptime}.tmp {uptime}
echo "rebooted (boot time written)"
"""


def scripts(folder: Path, uptime_file: str):
    """The allow-listed patch and reboot scripts."""
    folder.mkdir(parents=True, exist_ok=True)
    found = []
    for name, body in (("chain-patch", PATCH), ("chain-reboot", REBOOT)):
        path = folder / f"{name}.sh"
        path.write_text(body.format(dir=folder, uptime=uptime_file), encoding="ascii")
        path.chmod(0o755)
        found.append({"name": name, "path": str(path)})
    return found


def answer(command, peers):
    """The JSON answer to one command line."""
    words = command.split()
    if words[0] == "mails":
        return [
            {
                "to": str(m.message["To"]),
                "subject": str(m.message["Subject"]),
                "text": m.message.get_body(preferencelist=("plain",)).get_content(),
            }
            for m in peers["smtp"].messages
        ]
    if words[0] == "silences":
        found = requests.get(f"{peers['alertmanager'].url}/api/v2/silences", timeout=10).json()
        return [
            {"id": s["id"], "state": s["status"]["state"], "comment": s["comment"]}
            for s in found
            if any(words[1] in m["value"] for m in s["matchers"])
        ]
    if words[0] == "downtimes":
        ici = peers["icinga"]
        found = requests.get(
            f"{ici.url}/v1/objects/downtimes",
            auth=(ici.user, ici.password),
            verify=str(ici.ca_file),
            timeout=10,
        ).json()["results"]
        return [d["name"] for d in found if d["attrs"]["host_name"] == words[1]]
    return {"error": f"unknown command {command!r}"}


def main(argv):
    state, host, uptime_file = Path(argv[0]), argv[1], argv[2]
    for name in ("alertmanager", "icinga", "sshd", "smtp"):
        (state / name).mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        peers = {
            "alertmanager": stack.enter_context(alertmanager.running(state / "alertmanager")),
            "icinga": stack.enter_context(
                icinga.running(state / "icinga", hosts=(*icinga.HOSTS, host))
            ),
            "sshd": stack.enter_context(sshd.running(state / "sshd")),
            "smtp": stack.enter_context(smtp.running(state / "smtp")),
        }
        mail = peers["smtp"]
        config = {
            "alertmanager_accounts": [{"name": "default", "url": peers["alertmanager"].url}],
            "icinga_accounts": [peers["icinga"].account_entry("default")],
            "ssh_accounts": [peers["sshd"].account_entry("hypervisors")],
            "ssh_allowed_scripts": scripts(state / "scripts", uptime_file),
            "smtp_accounts": [
                {
                    "name": "default",
                    "host": mail.host,
                    "port": mail.port,
                    "username": mail.username,
                    "password": mail.password,
                    "ca_file": str(mail.ca_file),
                    "from_address": "cloudops@example.org",
                }
            ],
            "ssh_host": peers["sshd"].host,
            "fail_patch_marker": str(state / "scripts" / "fail-patch"),
        }
        print(json.dumps(config), flush=True)
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(answer(line.strip(), peers)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
