"""The Jira, Alertmanager, Icinga, SMTP and SSH actions with each fault, through dispatch.

HTTP faults (the fake JSM, the real Alertmanager and Icinga) are injected at the HTTP layer by
``http_faults``; SMTP faults come from an aiosmtpd server answering 4xx/5xx, a closed port and
an untrusted certificate; SSH faults from the real sshd (unknown key, wrong pinned host key), a
closed port and a listener that never answers. Each action fails with one line saying what
happened, without a traceback.
"""

from __future__ import annotations

import contextlib
import re
import socket
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Mapping

import paramiko
import pytest

from action_runtime.dispatch import dispatch
from tests.integration.http_faults import Fault, FaultInjector, Trigger
from tests.integration.peers.common import LOOPBACK, free_port
from tests.integration.action_run import action_parameters
from tests.integration.test_faults_openstack import PACK
from tests.integration.test_jira_new_project import add_request, settings_for

pytestmark = pytest.mark.integration

HTTP_SIGNS = {
    Fault.CONFLICT: r"409",
    Fault.FORBIDDEN: r"403",
    Fault.NOT_FOUND: Fault.NOT_FOUND.signature,
    Fault.SERVER_ERROR: r"500",
    Fault.UNAVAILABLE: r"503.*retry after 7 s",
    Fault.REFUSED: r"refused|cannot reach|ConnectionError",
    Fault.READ_TIMEOUT: r"timeout|timed out|no answer",
    Fault.TLS: r"SSL|TLS|certificate",
}


# a one-shot fault on a later request
LATER_JIRA = [Fault.CONFLICT, Fault.SERVER_ERROR, Fault.READ_TIMEOUT]

# Icinga answers 404 when no object matches: a search finds nothing, which is not a failure
ABSORBED = {("icinga.search", Fault.NOT_FOUND)}


def run(name: str, given: Mapping[str, Any], config: Mapping[str, Any]):
    """``dispatch`` of the action with its YAML defaults and dry_run false."""
    parameters = action_parameters(PACK, name, given)
    return dispatch(parameters.pop("lib_function"), parameters, config)


def assert_one_line_failure(label: str, outcome, sign: str) -> str:
    """A failed result whose one-line error matches ``sign``."""
    succeeded, result = outcome
    assert not succeeded, f"{label}: succeeded: {result}"
    error = result["error"]
    assert "\n" not in error and "Traceback" not in error, f"{label}: {error}"
    assert re.search(sign, error, re.IGNORECASE), f"{label}: {result['error_type']}: {error}"
    return error


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.create_server((LOOPBACK, 0)) as sock:
        return sock.getsockname()[1]


@pytest.fixture(name="injector", scope="module")
def fixture_injector(tmp_path_factory) -> Iterator[FaultInjector]:
    """HTTP fault injection for the module's in-process actions."""
    with FaultInjector(tmp_path_factory.mktemp("fault-tls")) as injector:
        yield injector


@pytest.fixture(name="http_config")
def fixture_http_config(fake_jira, alertmanager, icinga) -> Dict[str, Any]:
    """Accounts on the fake JSM and the real Alertmanager and Icinga, without retries."""
    fake_jira.state.reset()
    fast = {"timeout": 5, "retries": 0}
    return {
        "jira_accounts": [
            {
                "name": "jsm",
                "url": fake_jira.url,
                "username": fake_jira.username,
                "api_token": fake_jira.token,
                **fast,
            }
        ],
        "alertmanager_accounts": [{"name": "default", "url": alertmanager.url, **fast}],
        "icinga_accounts": [
            {
                "name": "default",
                "url": icinga.url,
                "username": icinga.user,
                "password": icinga.password,
                "ca_file": str(icinga.ca_file),
                **fast,
            }
        ],
    }


FINDING = {
    "check": "router_gateway",
    "fingerprint": "fa" * 10,
    "cloud": "prod",
    "router_id": "r-fault",
    "reason": "gateway IP(s) 203.0.113.7 outside the expected CIDRs",
}


def jira_snapshot(fake_jira) -> Dict[str, Any]:
    """Every issue of the fake JSM: status, labels and comments."""
    with fake_jira.state.lock:
        return {
            issue.key: (issue.status, sorted(issue.labels), [c.body for c in issue.comments])
            for issue in fake_jira.state.issues.values()
        }


def http_actions(issue: str, icinga_host: str) -> Dict[str, Dict[str, Any]]:
    """Parameters of the HTTP peers' actions."""
    return {
        "jira.finding.ticket": {"jira_account": "jsm", "jira_project": "OPS", "finding": FINDING},
        "jira.create.task": {"jira_account": "jsm", "project": "OPS", "summary": "fault"},
        "jira.comment": {"jira_account": "jsm", "issue": issue, "body": "fault"},
        "jira.transition": {"jira_account": "jsm", "issue": issue, "to_state": "Resolved"},
        "alertmanager.silence.create": {
            "matchers": [f"instance={icinga_host}"],
            "comment": "fault injection",
            "duration": "10m",
        },
        "alertmanager.silence.list": {},
        "alertmanager.silence.remove": {"host": icinga_host},
        "icinga.downtime.schedule": {"host": icinga_host, "comment": "fault", "duration": "10m"},
        "icinga.downtime.remove": {"host": icinga_host},
        "icinga.search": {},
    }


def test_http_peer_actions_fail_cleanly_on_every_fault(http_config, injector, icinga, fake_jira):
    succeeded, created = run(
        "jira.create.task",
        {"jira_account": "jsm", "project": "OPS", "summary": "to fault"},
        http_config,
    )
    assert succeeded, created
    for name, given in http_actions(created["key"], icinga.hosts[0]).items():
        for fault in Fault:
            before = jira_snapshot(fake_jira)
            with injector.inject(fault, Trigger(after_auth=False)):
                outcome = run(name, given, http_config)
            assert injector.faulted, f"{name}: no request met {fault.name}"
            if (name, fault) in ABSORBED:
                assert outcome[0] and outcome[1]["count"] == 0, outcome
                continue
            assert_one_line_failure(f"{name} {fault.name}", outcome, HTTP_SIGNS[fault])
            assert jira_snapshot(fake_jira) == before, f"{name} {fault.name}"


@pytest.mark.parametrize("fault", LATER_JIRA, ids=lambda f: f.name)
def test_finding_ticket_fault_on_its_creation_leaves_no_ticket(
    fault, http_config, injector, fake_jira
):
    given = {"jira_account": "jsm", "jira_project": "OPS", "finding": FINDING}
    with injector.inject(fault, Trigger(after_auth=False, mutating=1, url_part="/issue")):
        outcome = run("jira.finding.ticket", given, http_config)
    assert_one_line_failure(f"jira.finding.ticket {fault.name}", outcome, HTTP_SIGNS[fault])
    assert not jira_snapshot(fake_jira)


def test_request_new_project_fails_cleanly_on_every_jira_fault(
    http_config, injector, fake_jira, admin_conn
):
    name = f"fault-jsm-{uuid.uuid4().hex[:6]}"
    key = add_request(fake_jira, name, project_name=name, description="fault injection")
    config = {**http_config, "jira_new_project": settings_for("devcloud")}
    before = jira_snapshot(fake_jira)
    for fault in Fault:
        with injector.inject(fault, Trigger(after_auth=False, url_part=fake_jira.url)):
            outcome = run("jira.request_new_project", {"issue": key}, config)
        assert injector.faulted, f"no request met {fault.name}"
        assert_one_line_failure(
            f"jira.request_new_project {fault.name}", outcome, HTTP_SIGNS[fault]
        )
        assert jira_snapshot(fake_jira) == before, fault.name
        assert not list(admin_conn.identity.projects(name=name)), fault.name


class _Answering:
    """aiosmtpd handler refusing every recipient with ``reply``."""

    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(  # pylint: disable=invalid-name,too-many-arguments
        self, server, session, envelope, address, rcpt_options
    ):
        """Refuse the recipient."""
        del server, session, envelope, address, rcpt_options
        return self.reply


@pytest.fixture(name="refusing_smtp", params=["451 4.3.0 try again later", "554 5.7.1 rejected"])
def fixture_refusing_smtp(request) -> Iterator[tuple]:
    """A plain SMTP server refusing every recipient with a 4xx or a 5xx."""
    from aiosmtpd.controller import Controller

    controller = Controller(_Answering(request.param), hostname=LOOPBACK, port=free_port())
    controller.start()
    try:
        yield controller.port, request.param.split()[0]
    finally:
        controller.stop()


def smtp_config(**account: Any) -> Dict[str, Any]:
    """A pack config with one SMTP account ``default``."""
    entry = {"name": "default", "from_address": "cloud@example.org", "timeout": 3, **account}
    return {"smtp_accounts": [entry]}


def test_smtp_refusals_fail_cleanly(refusing_smtp):
    port, code = refusing_smtp
    config = smtp_config(host=LOOPBACK, port=port, security="none")
    outcome = run("email.test", {"to": ["ops@example.org"]}, config)
    assert_one_line_failure(f"email.test {code}", outcome, code)


@pytest.mark.parametrize(
    "fault, sign",
    [("refused", r"refused"), ("untrusted certificate", r"certificate|TLS")],
)
def test_smtp_transport_faults_fail_cleanly(fault, sign, smtp_server):
    account = {"host": smtp_server.host, "port": smtp_server.port}
    if fault == "refused":
        account["port"] = closed_port()
    else:
        account.update(username=smtp_server.username, password=smtp_server.password)
    outcome = run("email.test", {"to": ["ops@example.org"]}, smtp_config(**account))
    assert_one_line_failure(f"email.test {fault}", outcome, sign)


SSH_FAULTS = {
    "refused": r"refused",
    "unknown key": r"authentication refused",
    "host key mismatch": r"host key|known_hosts",
    "timeout": r"timeout|timed out|no answer",
}


@contextlib.contextmanager
def faulty_ssh_account(fault: str, sshd, folder: Path, name: str) -> Iterator[Dict[str, Any]]:
    """An ``ssh_accounts`` entry on the test sshd that meets ``fault`` (one of
    :data:`SSH_FAULTS`): a closed port, a key sshd does not know, a wrong pinned host key or
    a port that accepts and never answers."""
    account = sshd.account_entry(name, timeout=1, connect_attempts=1)
    with socket.create_server((LOOPBACK, 0)) as silent:
        if fault == "refused":
            account["port"] = closed_port()
        elif fault == "unknown key":
            stranger = folder / f"stranger-{uuid.uuid4().hex[:6]}"
            paramiko.RSAKey.generate(2048).write_private_key_file(str(stranger))
            account["private_key_file"] = str(stranger)
        elif fault == "host key mismatch":
            account["known_hosts_file"] = str(sshd.wrong_known_hosts)
        else:
            account["port"] = silent.getsockname()[1]
        yield account


@pytest.mark.parametrize("fault", SSH_FAULTS)
def test_ssh_faults_fail_cleanly(fault, sshd, tmp_path):
    with faulty_ssh_account(fault, sshd, tmp_path, "hypervisors") as account:
        config = {
            "ssh_accounts": [account],
            "ssh_allowed_scripts": [{"name": "ok", "path": "/bin/true", "description": "nothing"}],
        }
        outcome = run("ssh.remote.command", {"host": sshd.host, "script": "ok"}, config)
    assert_one_line_failure(f"ssh.remote.command {fault}", outcome, SSH_FAULTS[fault])


EMAIL_ACTIONS = {
    "email.users.with.shutoff.vms": {
        "from_projects": ["seed-data", "seed-lab", "seed-ops", "seed-web"]
    },
    "email.ops.down.disabled.hypervisors": {},
    "email.mailing.list.image.created": {"image": "seed-cirros"},
}


def assert_mail_failed(label: str, outcome, sign: str) -> None:
    """A failed result, or one whose every mail has a failed outcome, each in one line
    matching ``sign``."""
    succeeded, result = outcome
    if not succeeded:
        assert_one_line_failure(label, outcome, sign)
        return
    mails = [o for o in result["objects"] if o["kind"] == "email"]
    assert mails and {o["outcome"] for o in mails} == {"failed"}, f"{label}: {result}"
    for mail in mails:
        assert "\n" not in mail["reason"], label
        assert re.search(sign, mail["reason"], re.IGNORECASE), label


@pytest.mark.parametrize("name", EMAIL_ACTIONS)
def test_email_actions_fail_cleanly_on_smtp_faults(name, refusing_smtp, seeded_cloud, clouds_yaml):
    assert seeded_cloud
    port, code = refusing_smtp
    faults = [(code, port)] + ([("refused", closed_port())] if code.startswith("5") else [])
    for sign, smtp_port in faults:
        config = {
            **smtp_config(host=LOOPBACK, port=smtp_port, security="none"),
            "ops_mailing_list": "cloud-ops@example.org",
            "users_mailing_list": "cloud-users@example.org",
        }
        given = {"cloud_account": clouds_yaml.cloud, **EMAIL_ACTIONS[name]}
        assert_mail_failed(f"{name} {sign}", run(name, given, config), sign)
