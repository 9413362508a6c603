"""jira.finding.ticket: texts, label, search first, and where tickets go (autospec'd Jira api)."""

import contextlib
from unittest import mock

import pytest

from apis.account import AccountNotFoundError
from apis.jira_api import connection, issues, search
from apis.jira_api.account import JiraAccount
from apis.jira_api.exceptions import JiraParameterError
from apis.jira_api.issues import CreatedIssue
from apis.jira_api.search import FoundIssue
from apis.results import ObjectOutcome, Outcome
from tests.result_schemas import check_result
from workflows import finding_tickets

ACCOUNT = {"name": "jsm", "url": "https://jira.example", "username": "bot", "api_token": "t0k"}
DIFFERS = {
    "check": "cross_check",
    "fingerprint": "abc123",
    "resource_type": "flavors",
    "name": "m1.large",
    "kind": "differs",
    "differences": {"ram": {"source": 2048, "target": 4096}},
    "source_cloud": "prod",
    "target_cloud": "staging",
}
ROUTER = {
    "check": "router_gateway",
    "fingerprint": "def456",
    "cloud": "prod",
    "router_id": "r-1",
    "router_name": "edge",
    "project_id": "p-1",
    "project_name": "web",
    "external_network_id": "n-9",
    "external_network_name": "legacy",
    "gateway_ips": ["203.0.113.7"],
    "reason": "gateway IP(s) 203.0.113.7 outside the expected CIDRs",
}


@pytest.fixture(name="jira")
def fixture_jira(monkeypatch):
    """search, create_task and connect, autospec'd; no ticket exists yet."""

    @contextlib.contextmanager
    def fake_connect(account, retry=None):  # pylint: disable=unused-argument
        yield mock.sentinel.client

    fakes = mock.Mock()
    fakes.connect = mock.create_autospec(connection.connect, side_effect=fake_connect)
    fakes.search = mock.create_autospec(search.search, return_value=[])
    fakes.create_task = mock.create_autospec(
        issues.create_task,
        side_effect=lambda account, project, summary, **kw: CreatedIssue(
            project=project,
            summary=summary,
            issue_type=kw["issue_type"],
            request_type=None,
            components=[],
            labels=kw["labels"],
            dry_run=kw["dry_run"],
            objects=[],
            key=None if kw["dry_run"] else "OPS-7",
        ),
    )
    monkeypatch.setattr(connection, "connect", fakes.connect)
    monkeypatch.setattr(search, "search", fakes.search)
    monkeypatch.setattr(issues, "create_task", fakes.create_task)
    return fakes


def test_texts_of_each_kind():
    summary, description = finding_tickets.describe(DIFFERS)
    assert summary == "cross-check: flavor 'm1.large' differs between prod and staging (ram)"
    assert "| ram" in description and "4096" in description and "{noformat}" in description
    assert "Finding abc123 of the cloudops cross_check sensor" in description
    missing = {**DIFFERS, "kind": "missing", "differences": {}}
    assert finding_tickets.describe(missing)[0] == (
        "cross-check: flavor 'm1.large' is in cloud prod but missing in staging"
    )
    summary, description = finding_tickets.describe(ROUTER)
    assert summary == "router gateway: router edge (web) on unexpected network legacy"
    assert "203.0.113.7" in description and "Router edge of cloud prod" in description
    long = {**DIFFERS, "name": "x" * 300}
    assert len(finding_tickets.describe(long)[0]) == finding_tickets.SUMMARY_LIMIT


@pytest.mark.parametrize(
    "finding, message",
    [
        ({"check": "volumes"}, "finding.check 'volumes' is not a known check; valid: cross_check"),
        ({**ROUTER, "fingerprint": ""}, "lacks fingerprint"),
        ({"check": "router_gateway", "fingerprint": "x"}, "lacks cloud, router_id, reason"),
    ],
)
def test_bad_findings_are_named(finding, message):
    with pytest.raises(JiraParameterError) as caught:
        finding_tickets.describe(finding)
    assert message in str(caught.value)


def test_creates_once_with_the_finding_label(jira):
    account = JiraAccount.from_config(ACCOUNT)
    result = finding_tickets.open_finding_ticket(DIFFERS, account, "OPS", dry_run=False)
    assert result == {
        "project": "OPS",
        "label": "cloudops-finding-abc123",
        "summary": "cross-check: flavor 'm1.large' differs between prod and staging (ram)",
        "dry_run": False,
        "key": "OPS-7",
        "created": True,
        "existed": False,
        "changed": True,
        "objects": [
            ObjectOutcome(
                "jira ticket", "cloudops-finding-abc123", Outcome.DONE, "create", "", "OPS-7"
            )
        ],
    }
    check_result("jira.finding.ticket", result)
    jql = jira.search.call_args.args[1]
    assert 'project = "OPS" AND labels = "cloudops-finding-abc123"' in jql
    assert "status NOT IN" in jql
    kwargs = jira.create_task.call_args.kwargs
    assert kwargs["labels"] == ["cloudops-finding-abc123", "cloudops-cross-check"]
    assert kwargs["issue_type"] == "Task" and kwargs["dry_run"] is False
    jira.search.return_value = [FoundIssue("OPS-7", "10001", {})]
    again = finding_tickets.open_finding_ticket(DIFFERS, account, "OPS", dry_run=False)
    assert again["key"] == "OPS-7" and again["created"] is False and not again["changed"]
    assert again["objects"][0].reason == "open ticket OPS-7 exists"
    assert jira.create_task.call_count == 1


def test_dry_run_creates_nothing(jira):
    account = JiraAccount.from_config(ACCOUNT)
    result = finding_tickets.open_finding_ticket(ROUTER, account, "OPS")
    assert (result["key"], result["created"], result["dry_run"]) == (None, False, True)
    assert jira.create_task.call_args.kwargs["dry_run"] is True


def test_account_and_project_from_the_pack_config(jira):
    result = finding_tickets.open_finding_ticket(
        ROUTER,
        finding_tickets={"jira_account": "jsm", "jira_project": "CLOUD", "issue_type": "Bug"},
        jira_accounts=[ACCOUNT],
        dry_run=False,
    )
    assert result["project"] == "CLOUD"
    used = jira.connect.call_args.args[0]
    assert isinstance(used, JiraAccount) and used.name == "jsm"
    assert jira.create_task.call_args.args[1] == "CLOUD"
    assert jira.create_task.call_args.kwargs["issue_type"] == "Bug"


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({}, JiraParameterError, "jira_account is required"),
        (
            {"finding_tickets": {"jira_account": "jsm"}, "jira_accounts": [ACCOUNT]},
            JiraParameterError,
            "jira_project is required",
        ),
        (
            {"finding_tickets": {"jira_account": "jms"}, "jira_accounts": [ACCOUNT]},
            AccountNotFoundError,
            "Did you mean 'jsm'?",
        ),
        ({"finding_tickets": {"project": "OPS"}}, JiraParameterError, "unknown key(s) project"),
    ],
)
def test_missing_destination_is_named(jira, kwargs, error, message):
    with pytest.raises(error) as caught:
        finding_tickets.open_finding_ticket(ROUTER, **kwargs)
    assert message in str(caught.value)
    jira.search.assert_not_called()
