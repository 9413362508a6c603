"""Prove each peer fixture with the real client the pack uses against it."""

from __future__ import annotations

import io
import smtplib
import ssl
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage

import paramiko
import pytest
import requests
from jira import JIRA, JIRAError

from apis import clock
from tests.integration.peers.common import listening_addresses

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", ["alertmanager", "icinga", "sshd"])
def test_daemons_listen_on_loopback_only(request, name):
    peer = request.getfixturevalue(name)
    addresses = listening_addresses(peer.pid)
    assert addresses and {host for host, _ in addresses} == {"127.0.0.1"}, addresses


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_alertmanager_silence_lifecycle(alertmanager):
    now = clock.now()
    silence = {
        "matchers": [
            {"name": "alertname", "value": "HypervisorDown", "isRegex": False, "isEqual": True},
            {"name": "host", "value": "hv0[12]", "isRegex": True, "isEqual": True},
        ],
        "startsAt": _iso(now),
        "endsAt": _iso(now + timedelta(hours=1)),
        "createdBy": "cloudops",
        "comment": "hypervisor maintenance",
    }
    created = requests.post(f"{alertmanager.api_url}/silences", json=silence, timeout=5)
    assert created.status_code == 200, created.text
    silence_id = created.json()["silenceID"]

    listed = requests.get(
        f"{alertmanager.api_url}/silences",
        params={"filter": 'alertname="HypervisorDown"'},
        timeout=5,
    ).json()
    ours = next(s for s in listed if s["id"] == silence_id)
    assert ours["status"]["state"] == "active"
    assert {m["name"] for m in ours["matchers"]} == {"alertname", "host"}

    expired = requests.delete(f"{alertmanager.api_url}/silence/{silence_id}", timeout=5)
    assert expired.status_code == 200
    fetched = requests.get(f"{alertmanager.api_url}/silence/{silence_id}", timeout=5).json()
    assert fetched["status"]["state"] == "expired"


def test_alertmanager_rejections(alertmanager):
    unknown = requests.delete(f"{alertmanager.api_url}/silence/{uuid.uuid4()}", timeout=5)
    assert unknown.status_code == 500
    no_matchers = {
        "matchers": [],
        "startsAt": _iso(clock.now()),
        "endsAt": _iso(clock.now() + timedelta(hours=1)),
        "createdBy": "cloudops",
        "comment": "x",
    }
    refused = requests.post(f"{alertmanager.api_url}/silences", json=no_matchers, timeout=5)
    assert refused.status_code in (400, 422)


def _icinga(icinga, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(
        method,
        f"{icinga.url}/v1/{path}",
        auth=(icinga.user, icinga.password),
        verify=str(icinga.ca_file),
        headers={"Accept": "application/json"},
        timeout=10,
        **kwargs,
    )


def test_icinga_api_lists_hosts_over_verified_tls(icinga):
    hosts = _icinga(icinga, "GET", "objects/hosts", params={"attrs": "name"})
    assert hosts.status_code == 200
    assert sorted(h["name"] for h in hosts.json()["results"]) == sorted(icinga.hosts)
    services = _icinga(icinga, "GET", "objects/services").json()["results"]
    assert {s["attrs"]["host_name"] for s in services} == set(icinga.hosts)

    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{icinga.url}/v1/objects/hosts", verify=True, timeout=5)
    wrong = requests.get(
        f"{icinga.url}/v1/objects/hosts",
        auth=(icinga.user, "wrong"),
        verify=str(icinga.ca_file),
        timeout=5,
    )
    assert wrong.status_code == 401


def test_icinga_schedule_and_remove_downtime(icinga):
    host = icinga.hosts[0]
    start = clock.now().timestamp()
    scheduled = _icinga(
        icinga,
        "POST",
        "actions/schedule-downtime",
        json={
            "type": "Host",
            "filter": f'host.name=="{host}"',
            "start_time": start,
            "end_time": start + 600,
            "fixed": True,
            "all_services": True,
            "author": "cloudops",
            "comment": "hypervisor maintenance",
        },
    )
    assert scheduled.status_code == 200, scheduled.text
    [result] = scheduled.json()["results"]
    assert len(result["service_downtimes"]) == 1

    downtimes = _icinga(
        icinga, "GET", "objects/downtimes", params={"filter": f'downtime.host_name=="{host}"'}
    ).json()["results"]
    assert {d["attrs"]["service_name"] for d in downtimes} == {"", icinga.service}

    removed = _icinga(
        icinga,
        "POST",
        "actions/remove-downtime",
        json={"type": "Downtime", "downtime": result["name"]},
    )
    assert removed.status_code == 200, removed.text
    assert _icinga(icinga, "GET", "objects/downtimes").json()["results"] == []

    nothing = _icinga(
        icinga,
        "POST",
        "actions/schedule-downtime",
        json={
            "type": "Host",
            "filter": 'host.name=="nope"',
            "start_time": start,
            "end_time": start + 60,
            "author": "cloudops",
            "comment": "none",
        },
    )
    assert nothing.status_code == 500 and nothing.json()["results"] == []


def _ssh(sshd, known_hosts, **credentials) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    if known_hosts is not None:
        client.load_host_keys(str(known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(
            sshd.host,
            port=sshd.port,
            username=sshd.username,
            look_for_keys=False,
            allow_agent=False,
            timeout=10,
            **credentials,
        )
    except BaseException:
        client.close()
        raise
    return client


@pytest.mark.parametrize("key_attr", ["ed25519_key", "rsa_key"])
def test_sshd_exec_with_pinned_host_key(sshd, key_attr):
    client = _ssh(sshd, sshd.known_hosts, key_filename=str(getattr(sshd, key_attr)))
    try:
        _, stdout, _ = client.exec_command("id -un && echo ok")
        assert stdout.read().decode().split() == ["root", "ok"]
        assert stdout.channel.recv_exit_status() == 0
    finally:
        client.close()


def test_sshd_refuses_wrong_host_key_unknown_host_and_foreign_key(sshd):
    key = str(sshd.ed25519_key)
    with pytest.raises(paramiko.BadHostKeyException):
        _ssh(sshd, sshd.wrong_known_hosts, key_filename=key)
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        _ssh(sshd, None, key_filename=key)
    with pytest.raises(paramiko.AuthenticationException):
        _ssh(sshd, sshd.known_hosts, pkey=paramiko.ECDSAKey.generate())


def _mail(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "cloudops@example.com"
    message["To"] = "oncall@example.com"
    message["Subject"] = subject
    message.set_content("hv01 is in maintenance")
    return message


def test_smtp_starttls_auth_delivery(smtp_server):
    smtp_server.clear()
    context = ssl.create_default_context(cafile=str(smtp_server.ca_file))
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.starttls(context=context)
        client.login(smtp_server.username, smtp_server.password)
        client.send_message(
            _mail("maintenance"), to_addrs=["oncall@example.com", "ops@example.com"]
        )
    [received] = smtp_server.messages
    assert received.mail_from == "cloudops@example.com"
    assert received.rcpt_tos == ("oncall@example.com", "ops@example.com")
    assert received.message["Subject"] == "maintenance"
    assert received.message.get_content().strip() == "hv01 is in maintenance"
    assert received.login == smtp_server.username
    smtp_server.clear()
    assert not smtp_server.messages


def test_smtp_refuses_plaintext_unauthenticated_and_bad_password(smtp_server):
    smtp_server.clear()
    context = ssl.create_default_context(cafile=str(smtp_server.ca_file))
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as plaintext:
            client.send_message(_mail("plaintext"))
        assert plaintext.value.smtp_code == 530
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.starttls(context=context)
        with pytest.raises(smtplib.SMTPSenderRefused) as anonymous:
            client.send_message(_mail("anonymous"))
        assert anonymous.value.smtp_code == 530
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login(smtp_server.username, "wrong")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(
                context=ssl.create_default_context(cafile=None, capath=None, cadata=None)
            )
    assert not smtp_server.messages


@pytest.fixture(name="jira_client")
def _jira_client(fake_jira):
    fake_jira.state.reset()
    client = JIRA(fake_jira.url, basic_auth=(fake_jira.username, fake_jira.token), max_retries=0)
    yield client
    client.close()


def test_jira_issue_comments_and_transitions(jira_client, fake_jira):
    issue = jira_client.create_issue(
        fields={
            "project": {"key": "OPS"},
            "summary": "hv01 lost its hypervisor agent",
            "issuetype": {"name": "Incident"},
            "labels": ["hv01", "cloudops"],
            "priority": {"name": "High"},
        }
    )
    assert issue.key == "OPS-1" and issue.fields.status.name == "Open"
    jira_client.add_comment(issue, "customers see this")
    jira_client.add_comment(issue, "operators only", is_internal=True)
    assert [(c.body, c.jsdPublic) for c in jira_client.comments(issue.key)] == [
        ("customers see this", True),
        ("operators only", False),
    ]

    names = {t["name"] for t in jira_client.transitions(issue)}
    assert {"Start Progress", "Resolve"} <= names and "Reopen" not in names
    jira_client.transition_issue(issue, "Resolve", comment="agent restarted")
    resolved = jira_client.issue(issue.key)
    assert resolved.fields.status.name == "Resolved"
    assert resolved.fields.status.statusCategory.key == "done"
    assert resolved.fields.resolution.name == "Done"
    with pytest.raises(JIRAError) as invalid:
        jira_client.transition_issue(issue, "99")
    assert invalid.value.status_code == 400
    assert fake_jira.state.issue("OPS-1").comments[-1].body == "agent restarted"


def test_jira_service_request_public_and_internal_comments(jira_client, fake_jira):
    request = jira_client.create_customer_request(
        {
            "serviceDeskId": "1",
            "requestTypeId": 10,
            "requestFieldValues": {"summary": "Nova API errors", "description": "500s"},
        }
    )
    session = requests.Session()
    session.auth = (fake_jira.username, fake_jira.token)
    base = f"{fake_jira.url}/rest/servicedeskapi/request/{request.key}"
    details = session.get(base, timeout=5).json()
    assert details["currentStatus"]["status"] == "Open" and details["serviceDeskId"] == "1"
    for body, public in (("we are on it", True), ("restart nova-api on ctl01", False)):
        added = session.post(f"{base}/comment", json={"body": body, "public": public}, timeout=5)
        assert added.status_code == 201 and added.json()["public"] is public
    public_only = session.get(f"{base}/comment", params={"internal": "false"}, timeout=5).json()
    assert [c["body"] for c in public_only["values"]] == ["we are on it"]

    transitions = session.get(f"{base}/transition", timeout=5).json()["values"]
    resolve = next(t["id"] for t in transitions if t["name"] == "Resolve")
    done = session.post(f"{base}/transition", json={"id": resolve}, timeout=5)
    assert done.status_code == 204
    assert jira_client.issue(request.key).fields.status.name == "Resolved"

    jira_client.add_attachment(request.key, io.BytesIO(b"trace"), filename="nova-api.log")
    attachments = session.get(f"{base}/attachment", timeout=5).json()["values"]
    assert [(a["filename"], a["size"]) for a in attachments] == [("nova-api.log", 5)]
    [meta] = jira_client.issue(request.key).fields.attachment
    assert meta.get() == b"trace"


def test_jira_search_pages(jira_client, fake_jira):
    def create(project: str, label: str) -> None:
        jira_client.create_issue(
            project={"key": project}, summary="capacity", issuetype={"name": "Task"}, labels=[label]
        )

    for project, label, count in (("CLOUD", "capacity", 10), ("OPS", "capacity", 2)):
        for _ in range(count):
            create(project, label)
    create("CLOUD", "other")
    jira_client.transition_issue("CLOUD-1", "Start Progress")
    fake_jira.state.max_page_size = 3
    jql = 'project = CLOUD AND labels = capacity AND status = "Open" ORDER BY key ASC'
    expected = [f"CLOUD-{number}" for number in range(2, 11)]

    cloud = jira_client.search_issues(jql, maxResults=False)
    assert [i.key for i in cloud] == expected
    assert len(fake_jira.state.requests_to("/rest/api/2/search/jql")) == 3

    fake_jira.state.deployment_type = "Server"
    server = JIRA(fake_jira.url, basic_auth=(fake_jira.username, fake_jira.token), max_retries=0)
    assert [i.key for i in server.search_issues(jql, maxResults=False)] == expected
    assert len(fake_jira.state.requests_to("/rest/api/2/search")) == 3
    page = server.search_issues(jql, startAt=3, maxResults=5)
    assert (page.total, page.startAt, page.maxResults) == (9, 3, 3)
    assert [i.key for i in page] == expected[3:6]

    with pytest.raises(JIRAError) as bad_jql:
        server.search_issues("project = = CLOUD")
    assert bad_jql.value.status_code == 400


def test_jira_auth_and_injected_errors(jira_client, fake_jira):
    with pytest.raises(JIRAError) as unauthorized:
        JIRA(fake_jira.url, basic_auth=(fake_jira.username, "not-the-token"), max_retries=0)
    assert unauthorized.value.status_code == 401

    issue = jira_client.create_issue(project="OPS", summary="x", issuetype={"name": "Task"})
    fake_jira.state.fail_next("/rest/api/2/issue/*", 429, retry_after=7)
    with pytest.raises(JIRAError) as limited:
        jira_client.issue(issue.key)
    assert limited.value.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"

    fake_jira.state.fail_next("/rest/api/2/issue/*/comment", 403, times=2)
    for _ in range(2):
        with pytest.raises(JIRAError) as forbidden:
            jira_client.add_comment(issue, "denied")
        assert forbidden.value.status_code == 403
    assert jira_client.add_comment(issue, "allowed").body == "allowed"

    fake_jira.state.fail_next(f"/rest/api/2/issue/{issue.key}", 401, method="GET")
    with pytest.raises(JIRAError) as expired:
        jira_client.issue(issue.key)
    assert expired.value.status_code == 401
    assert jira_client.issue(issue.key).key == issue.key

    with pytest.raises(JIRAError) as missing:
        jira_client.issue("OPS-999")
    assert missing.value.status_code == 404
    assert fake_jira.state.requests_to("/rest/api/2/issue/OPS-999")[0].user == fake_jira.username


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("", ["CLOUD-2", "CLOUD-1", "OPS-2", "OPS-1"]),
        ("ORDER BY key ASC", ["CLOUD-1", "CLOUD-2", "OPS-1", "OPS-2"]),
        ("project = OPS", ["OPS-2", "OPS-1"]),
        ("labels IN (nova, neutron) AND project != OPS", ["CLOUD-1"]),
        ("labels NOT IN (nova) OR labels IS EMPTY", ["CLOUD-2", "OPS-2"]),
        ('summary ~ "DOWN" AND NOT status = Open', ["OPS-1"]),
        ("statusCategory = Done OR (issuetype = Task AND created >= -1h)", ["CLOUD-2", "OPS-1"]),
        ("created < -1h", []),
    ],
)
def test_fake_jira_jql_subset(fake_jira, query, keys):
    state = fake_jira.state
    state.reset()
    for project, summary, labels, issue_type in (
        ("OPS", "hv01 down", ["nova"], "Incident"),
        ("OPS", "hv02 slow", [], "Incident"),
        ("CLOUD", "neutron agent", ["neutron", "nova"], "Bug"),
        ("CLOUD", "capacity", ["capacity"], "Task"),
    ):
        state.create_issue(
            {
                "project": {"key": project},
                "summary": summary,
                "labels": labels,
                "issuetype": {"name": issue_type},
            },
            fake_jira.username,
        )
    state.transition(state.issue("OPS-1"), "31")
    assert [issue.key for issue in state.search(query)] == keys
