"""The Jira api and its actions against the fake Jira / JSM server, over real sockets."""

import copy
import socket
import time

import pytest
import yaml

from apis.jira_api.account import JiraAccount
from apis.jira_api.comments import comment
from apis.jira_api.connection import connect
from apis.jira_api.exceptions import (
    JiraAuthError,
    JiraConnectionError,
    JiraFormError,
    JiraNotFoundError,
    JiraParameterError,
    JiraTimeoutError,
    JiraTransitionError,
    JiraUnavailableError,
)
from apis.jira_api.forms import read_form
from apis.jira_api.issues import create_task
from apis.jira_api.search import search
from apis.jira_api.transitions import move_issue
from tests.integration.action_run import action_result, run_action, same_changes

pytestmark = pytest.mark.integration

FORM = {
    "forms": [
        {
            "id": "1",
            "design": {
                "settings": {"name": "New OpenStack project"},
                "questions": {
                    "1": {"label": "Project name", "questionKey": "project_name", "type": "ts"},
                    "2": {"label": "Instances", "questionKey": "instances", "type": "no"},
                    "3": {
                        "label": "Network",
                        "questionKey": "network",
                        "type": "cs",
                        "choices": [{"id": "1", "label": "private"}, {"id": "2", "label": "none"}],
                    },
                    "4": {"label": "Members", "questionKey": "members", "type": "um"},
                },
            },
            "state": {
                "status": "s",
                "answers": {
                    "1": {"text": "astro-lab"},
                    "2": {"text": "20"},
                    "3": {"choices": ["1"]},
                    "4": {"users": [{"id": "5b10aa"}, {"id": "5b10bb"}]},
                },
            },
        }
    ]
}


@pytest.fixture(name="jira")
def fixture_jira(fake_jira):
    """The session's fake Jira, emptied (Jira Cloud, default projects OPS and CLOUD)."""
    fake_jira.state.reset()
    yield fake_jira
    fake_jira.state.reset()


@pytest.fixture(name="account")
def fixture_account(jira):
    """An account for the fake: short timeout, two retries without backoff."""
    return JiraAccount(
        name="fake",
        url=jira.url,
        username=jira.username,
        api_token=jira.token,
        timeout=5,
        retries=2,
        backoff_factor=0,
    )


def writes(jira):
    """Requests that changed something."""
    return [r for r in jira.state.received if r.method in ("POST", "PUT", "DELETE")]


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_create_issue_with_components_and_labels(jira, account):
    created = create_task(
        account,
        project="OPS",
        summary="hv01 lost its nova-compute",
        description="seen by the cross-check",
        issue_type="incident",
        components=["compute", "Network"],
        labels=["hv01", "cloudops"],
        dry_run=False,
    )
    assert (created.key, created.issue_type, created.dry_run) == ("OPS-1", "Incident", False)
    assert created.url == f"{jira.url}/browse/OPS-1"
    issue = jira.state.issue("OPS-1")
    assert issue.components == ["Compute", "Network"] and issue.labels == ["hv01", "cloudops"]
    assert (issue.summary, issue.description) == (
        "hv01 lost its nova-compute",
        "seen by the cross-check",
    )
    assert issue.issue_type_id == "10002" and issue.request_type_id is None


def test_dry_run_checks_names_and_writes_nothing(jira, account):
    planned = create_task(account, "CLOUD", "capacity", components=["ceph"], labels=["disk"])
    assert planned.dry_run and planned.key is None and planned.components == ["Ceph"]
    assert not jira.state.issues and not writes(jira)
    with pytest.raises(JiraParameterError, match=r"components \['Cinder'\].*OpenStack"):
        create_task(account, "CLOUD", "capacity", components=["Cinder"])
    with pytest.raises(
        JiraParameterError, match="project 'OSP' does not exist.*Did you mean 'OPS'"
    ):
        create_task(account, "OSP", "capacity")
    with pytest.raises(JiraParameterError, match="issue_type 'Story'.*Bug, Incident"):
        create_task(account, "OPS", "capacity", issue_type="Story")
    assert not writes(jira)


def test_create_customer_request_with_components_and_labels(jira, account):
    created = create_task(
        account,
        "OPS",
        "New project astro-lab",
        request_type="service request",
        components=["Identity"],
        labels=["new-project"],
        dry_run=False,
    )
    assert created.request_type == "Service Request" and created.issue_type is None
    issue = jira.state.issue(created.key)
    assert issue.request_type_id == "11" and issue.reporter == jira.username
    assert issue.components == ["Identity"] and issue.labels == ["new-project"]
    assert [r.path for r in writes(jira)] == [
        "/rest/servicedeskapi/request",
        f"/rest/api/2/issue/{issue.id}",
    ]
    with pytest.raises(
        JiraParameterError, match="request_type 'Access'.*Incident, Service Request"
    ):
        create_task(account, "OPS", "x", request_type="Access")
    with pytest.raises(JiraParameterError, match="project CLOUD is not a Jira Service Management"):
        create_task(account, "CLOUD", "x", request_type="Incident")


def test_comment_internal_public_and_dry_run(jira, account):
    key = create_task(account, "OPS", "nova-api 500s", dry_run=False).key
    planned = comment(account, key.lower(), "would say this", visibility="public")
    assert planned.dry_run and planned.comment_id is None and planned.issue == key
    assert not jira.state.issue(key).comments
    internal = comment(account, key, "restart nova-api on ctl01", dry_run=False)
    public = comment(account, key, "we are on it", visibility="public", dry_run=False)
    assert public.url.endswith(f"/browse/{key}?focusedCommentId={public.comment_id}")
    comments = jira.state.issue(key).comments
    assert [(c.body, c.public) for c in comments] == [
        ("restart nova-api on ctl01", False),
        ("we are on it", True),
    ]
    assert [str(c.id) for c in comments] == [internal.comment_id, public.comment_id]
    with pytest.raises(JiraNotFoundError, match="issue 'OPS-99' does not exist"):
        comment(account, "OPS-99", "lost", dry_run=False)


def test_transitions_by_name_target_state_and_expected_state(jira, account):
    key = create_task(account, "OPS", "flaky hypervisor", dry_run=False).key
    planned = move_issue(account, key, transition="start progress", expected_state="Open")
    assert planned.dry_run and not planned.changed and planned.to_state == "In Progress"
    assert jira.state.issue(key).status == "Open"
    moved = move_issue(
        account, key, transition="start progress", expected_state="Open", dry_run=False
    )
    assert (moved.from_state, moved.to_state, moved.transition) == (
        "Open",
        "In Progress",
        "Start Progress",
    )
    assert moved.changed and moved.objects == planned.objects
    with pytest.raises(JiraTransitionError) as unexpected:
        move_issue(account, key, to_state="Resolved", expected_state="Open")
    assert "is in state 'In Progress', not the expected_state 'Open'" in str(unexpected.value)
    assert "'Resolve' (to 'Resolved')" in str(unexpected.value)
    with pytest.raises(JiraTransitionError, match="has no transition 'Escalate'.*'Close'"):
        move_issue(account, key, transition="Escalate")
    resolved = move_issue(
        account, key, to_state="resolved", expected_state="In Progress", dry_run=False
    )
    assert resolved.changed and jira.state.issue(key).status == "Resolved"
    before = len(writes(jira))
    again = move_issue(
        account, key, to_state="Resolved", expected_state="In Progress", dry_run=False
    )
    assert not again.changed and again.from_state == "Resolved"
    assert len(writes(jira)) == before
    with pytest.raises(JiraNotFoundError, match="issue 'OPS-42' does not exist"):
        move_issue(account, "OPS-42", to_state="Resolved")


@pytest.mark.parametrize("deployment, path", [("Cloud", "/search/jql"), ("Server", "/search")])
def test_search_pages_through_every_hit(jira, account, deployment, path):
    jira.state.deployment_type = deployment
    with connect(account) as client:
        for number in range(7):
            client.create_issue(
                project={"key": "CLOUD"},
                summary=f"capacity {number}",
                issuetype={"name": "Task"},
                labels=["capacity"],
            )
        client.create_issue(project={"key": "OPS"}, summary="other", issuetype={"name": "Task"})
        jql = "labels = capacity ORDER BY key ASC"
        found = search(client, jql, fields=["summary"], page_size=3)
        assert [f.key for f in found] == [f"CLOUD-{n}" for n in range(1, 8)]
        assert found[0].fields["summary"] == "capacity 0"
        assert len(jira.state.requests_to(f"/rest/api/2{path}")) == 3
        first = search(client, jql, page_size=3, max_results=4)
        assert [f.key for f in first] == ["CLOUD-1", "CLOUD-2", "CLOUD-3", "CLOUD-4"]
        assert first[0].fields["status"]["name"] == "Open"
        assert len(jira.state.requests_to(f"/rest/api/2{path}")) == 5


def test_read_form_answers(account):
    key = create_task(
        account, "OPS", "New project", request_type="Service Request", dry_run=False
    ).key
    with connect(account) as client:
        with pytest.raises(JiraFormError, match=f"issue {key} has no form"):
            read_form(client, key)
        answers = copy.deepcopy(FORM)
        client.add_issue_property(key, "proforma.forms", answers)
        form = read_form(client, key, form_name="new openstack project")
        assert form.name == "New OpenStack project" and form.status.value == "s"
        assert form.answers == {
            "project_name": "astro-lab",
            "instances": 20,
            "network": "private",
            "members": ["5b10aa", "5b10bb"],
        }
        answers["forms"][0]["state"]["status"] = "o"
        client.add_issue_property(key, "proforma.forms", answers)
        with pytest.raises(JiraFormError, match="is still open"):
            read_form(client, key)
        assert read_form(client, key, require_submitted=False).answers["network"] == "private"
        with pytest.raises(JiraNotFoundError, match="issue 'OPS-77' does not exist"):
            read_form(client, "OPS-77")


def test_wrong_token_and_forbidden_fail_cleanly(jira, account):
    wrong = JiraAccount(name="fake", url=jira.url, username=jira.username, api_token="wr0ng-t0k3n")
    with pytest.raises(JiraAuthError, match=r"jira account 'fake' was refused \(401\)") as refused:
        create_task(wrong, "OPS", "x", dry_run=False)
    assert "wr0ng-t0k3n" not in str(refused.value)
    jira.state.fail_next("/rest/api/2/issue", 403, method="POST")
    with pytest.raises(JiraAuthError, match=r"refused \(403\) on POST /rest/api/2/issue"):
        create_task(account, "OPS", "x", dry_run=False)
    assert not jira.state.issues


def test_429_with_retry_after_is_retried_once_then_succeeds(jira, account):
    jira.state.fail_next("/rest/api/2/issue", 429, method="POST", retry_after=1)
    start = time.monotonic()
    created = create_task(account, "OPS", "rate limited", dry_run=False)
    assert time.monotonic() - start >= 1.0
    assert created.key == "OPS-1" and len(jira.state.issues) == 1
    assert len(jira.state.requests_to("/rest/api/2/issue", "POST")) == 2


def test_exhausted_retries_give_a_clear_error(jira, account):
    jira.state.fail_next("/rest/api/2/project/*", 503, times=3, retry_after=0)
    with pytest.raises(
        JiraUnavailableError, match="GET /rest/api/2/project/OPS still answered 503 after 2 retries"
    ):
        create_task(account, "OPS", "x")
    assert len(jira.state.requests_to("/rest/api/2/project/OPS")) == 3


def test_502_is_retried_for_reads_but_not_for_creates(jira, account):
    jira.state.fail_next("/rest/api/2/project/OPS", 502)
    jira.state.fail_next("/rest/api/2/issue", 502, method="POST")
    with pytest.raises(
        JiraUnavailableError, match="POST /rest/api/2/issue still answered 502 after 0 retries"
    ):
        create_task(account, "OPS", "gateway trouble", dry_run=False)
    assert len(jira.state.requests_to("/rest/api/2/project/OPS")) == 2
    assert len(jira.state.requests_to("/rest/api/2/issue", "POST")) == 1


def test_timeout_and_unreachable_server(jira):
    jira.state.delay_next("/rest/api/2/serverInfo", 1.0)
    slow = JiraAccount(
        name="slow", url=jira.url, username=jira.username, api_token=jira.token, timeout=0.3
    )
    with pytest.raises(JiraTimeoutError, match="no answer within timeout=0.3 s"):
        comment(slow, "OPS-1", "x")
    gone = JiraAccount(
        name="gone",
        url=f"http://127.0.0.1:{closed_port()}",
        username="u",
        api_token="s3cr3t-t0k3n",
        retries=1,
        backoff_factor=0,
    )
    with pytest.raises(JiraConnectionError, match="jira account 'gone': cannot reach") as refused:
        comment(gone, "OPS-1", "x")
    assert "s3cr3t-t0k3n" not in str(refused.value)


@pytest.fixture(name="pack_config")
def fixture_pack_config(jira, tmp_path):
    """A pack config with the fake as jira account ``jsm``."""
    path = tmp_path / "cloudops.yaml"
    entry = {"name": "jsm", "url": jira.url, "username": jira.username, "api_token": jira.token}
    path.write_text(yaml.safe_dump({"jira_accounts": [entry]}), encoding="utf-8")
    return path


def test_actions_end_to_end_through_the_local_runner(jira, pack_config):
    create = (
        "jira.create.task",
        "jira_account=jsm",
        "project=OPS",
        "summary=Image cirros differs between clouds",
        "components=Compute,Storage",
        "labels=cross-check,images",
    )
    planned = action_result(pack_config, *create)
    code, answer, printed = run_action(pack_config, *create, "dry_run=false")
    assert code == 0, printed
    assert same_changes(planned, answer["result"]) and answer["result"]["changed"]
    key = answer["result"]["key"]
    assert answer["result"]["components"] == ["Compute", "Storage"]
    assert jira.token not in printed
    comment_on = ("jira.comment", "jira_account=jsm", f"issue={key}", "body=looking")
    planned = action_result(pack_config, *comment_on)
    code, answer, printed = run_action(pack_config, *comment_on, "dry_run=false")
    assert code == 0 and answer["result"]["visibility"] == "internal", printed
    assert same_changes(planned, answer["result"])
    code, answer, printed = run_action(
        pack_config, "jira.transition", "jira_account=jsm", f"issue={key}", "to_state=Resolved"
    )
    assert code == 0 and answer["result"]["dry_run"] is True, printed
    planned = answer["result"]
    assert jira.state.issue(key).status != "Resolved"
    code, answer, printed = run_action(
        pack_config,
        "jira.transition",
        "jira_account=jsm",
        f"issue={key}",
        "to_state=Resolved",
        "dry_run=false",
    )
    assert code == 0 and answer["result"]["changed"] is True, printed
    assert same_changes(planned, answer["result"])
    issue = jira.state.issue(key)
    assert issue.status == "Resolved" and [c.body for c in issue.comments] == ["looking"]
    code, answer, printed = run_action(
        pack_config, "jira.transition", "jira_account=jsm", f"issue={key}", "transition=Escalate"
    )
    assert code == 1 and answer["result"]["error_type"] == "JiraTransitionError", printed
    assert "available transitions" in answer["result"]["error"]
