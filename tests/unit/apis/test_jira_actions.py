"""jira.create.task, jira.comment and jira.transition against an autospecced client."""

import contextlib
from types import SimpleNamespace
from unittest import mock

import pytest
from jira import resources
from jira.exceptions import JIRAError

from apis.http_session import RetrySettings
from apis.jira_api import comments, issues, transitions
from apis.jira_api.account import JiraAccount
from apis.jira_api.comments import CommentVisibility, add_comment, comment, visibility_of
from apis.jira_api.connection import CloudopsJira, connect
from apis.jira_api.exceptions import (
    JiraNotFoundError,
    JiraParameterError,
    JiraTransitionError,
)
from apis.choices import choices
from apis.jira_api.issues import create_task
from apis.jira_api.transitions import move_issue, transition_issue
from tests.result_schemas import check_result

ACCOUNT = JiraAccount(name="jsm", url="https://jira.example.org", username="bot", api_token="t")
ISSUE_TYPES = [{"id": "10001", "name": "Task"}, {"id": "10002", "name": "Incident"}]
TRANSITIONS = [
    {"id": "11", "name": "Start Progress", "to": {"name": "In Progress"}},
    {"id": "31", "name": "Resolve", "to": {"name": "Resolved"}},
]


def not_found(path):
    """The library's error for a 404 on ``path``."""
    return JIRAError("does not exist", status_code=404, url=f"https://jira.example.org{path}")


@pytest.fixture(name="specced", scope="module")
def fixture_specced():
    """Autospecced client and request (slow to build, so once per module)."""
    return (
        mock.create_autospec(CloudopsJira, instance=True),
        mock.create_autospec(resources.Issue, instance=True),
    )


@pytest.fixture(name="client")
def fixture_client(monkeypatch, specced):
    """An autospecced client for a site with projects OPS (a service desk) and CLOUD."""
    client, request = specced
    client.reset_mock(return_value=True, side_effect=True)
    request.reset_mock(return_value=True, side_effect=True)
    client.account, client.retry = ACCOUNT, RetrySettings()
    client.project.side_effect = lambda key: SimpleNamespace(
        raw={"key": key, "issueTypes": ISSUE_TYPES}
    )
    client.projects.return_value = [SimpleNamespace(key="OPS"), SimpleNamespace(key="CLOUD")]
    client.project_components.return_value = [
        SimpleNamespace(name="Compute"),
        SimpleNamespace(name="Network"),
    ]
    client.service_desks.return_value = [SimpleNamespace(id="1", projectKey="OPS")]
    client.request_types.return_value = [
        SimpleNamespace(raw={"id": "10", "name": "Incident"}),
        SimpleNamespace(raw={"id": "11", "name": "Service Request"}),
    ]
    client.create_issue.return_value = SimpleNamespace(key="OPS-1", id="10001")
    request.key, request.id = "OPS-2", "10002"
    client.create_customer_request.return_value = request
    client.issue.side_effect = lambda key, fields: SimpleNamespace(
        key=key.upper(), fields=SimpleNamespace(status=SimpleNamespace(name="Open"))
    )
    client.transitions.return_value = TRANSITIONS
    client.add_comment.return_value = SimpleNamespace(id=10005)

    @contextlib.contextmanager
    def opened(account, retry=None):
        assert account is ACCOUNT and retry is None
        yield client

    for module in (issues, comments, transitions):
        monkeypatch.setattr(module, "connect", mock.create_autospec(connect, side_effect=opened))
    return client


def test_create_issue_sends_every_field(client):
    created = create_task(
        ACCOUNT,
        "OPS",
        "nova-compute down on hv01",
        description="details",
        issue_type="incident",
        components=["compute"],
        labels=["hv01"],
        dry_run=False,
    )
    client.create_issue.assert_called_once_with(
        fields={
            "project": {"key": "OPS"},
            "issuetype": {"name": "Incident"},
            "summary": "nova-compute down on hv01",
            "description": "details",
            "labels": ["hv01"],
            "components": [{"name": "Compute"}],
        },
        prefetch=False,
    )
    assert (created.key, created.id, created.url) == (
        "OPS-1",
        "10001",
        "https://jira.example.org/browse/OPS-1",
    )


def test_dry_run_writes_nothing_and_skips_unused_lookups(client):
    planned = create_task(ACCOUNT, "CLOUD", "capacity")
    assert planned.dry_run and planned.key is None and planned.issue_type == "Task"
    assert not planned.components and not planned.labels
    client.create_issue.assert_not_called()
    client.project_components.assert_not_called()
    client.service_desks.assert_not_called()


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"summary": " "}, "summary must be one non-empty line"),
        ({"summary": "two\nlines"}, "summary must be one non-empty line"),
        ({"labels": ["new project"]}, r"labels \['new project'\]: a Jira label must"),
        ({"labels": [""]}, "a Jira label must be non-empty"),
    ],
)
def test_bad_text_fails_before_any_call(client, arguments, message):
    with pytest.raises(JiraParameterError, match=message):
        create_task(ACCOUNT, "OPS", **{"summary": "ok", **arguments})
    client.project.assert_not_called()


def test_unknown_names_list_the_valid_choices(client):
    client.project.side_effect = not_found("/rest/api/2/project/OSP")
    with pytest.raises(JiraParameterError) as project:
        create_task(ACCOUNT, "OSP", "x")
    assert str(project.value) == (
        "project 'OSP' does not exist or jira account 'jsm' cannot see it; "
        "valid choices: CLOUD, OPS. Did you mean 'OPS'?"
    )
    client.project.side_effect = None
    client.project.return_value = SimpleNamespace(raw={"key": "OPS", "issueTypes": ISSUE_TYPES})
    with pytest.raises(
        JiraParameterError, match="issue_type 'Story'.*valid choices: Incident, Task"
    ):
        create_task(ACCOUNT, "OPS", "x", issue_type="Story")
    with pytest.raises(JiraParameterError, match=r"components \['Storage'\].*Compute, Network"):
        create_task(ACCOUNT, "OPS", "x", components=["Compute", "Storage"])
    client.create_issue.assert_not_called()


def test_choices_are_capped_at_twenty():
    names = [f"P{number:02d}" for number in range(25)]
    assert choices(names, "zzz") == f"valid choices: {', '.join(names[:20])} and 5 more"
    assert choices([], "x") == "valid choices: none"


def test_customer_request_then_components_and_labels_by_edit(client):
    created = create_task(
        ACCOUNT,
        "OPS",
        "New project",
        description="for the astro lab",
        request_type="service request",
        components=["Network"],
        labels=["new-project"],
        dry_run=False,
    )
    client.create_customer_request.assert_called_once_with(
        {
            "serviceDeskId": "1",
            "requestTypeId": 11,
            "requestFieldValues": {"summary": "New project", "description": "for the astro lab"},
        },
        prefetch=True,
    )
    request = client.create_customer_request.return_value
    request.update.assert_called_once_with(
        fields={"labels": ["new-project"], "components": [{"name": "Network"}]}
    )
    assert (created.key, created.request_type, created.issue_type) == (
        "OPS-2",
        "Service Request",
        None,
    )
    client.create_issue.assert_not_called()


def test_customer_request_by_id_without_extras_is_not_edited(client):
    created = create_task(ACCOUNT, "OPS", "disk full", request_type="10", dry_run=False)
    assert created.request_type == "Incident"
    client.create_customer_request.return_value.update.assert_not_called()


def test_request_type_needs_a_service_desk_and_a_known_type(client):
    with pytest.raises(JiraParameterError, match="project CLOUD is not a Jira Service Management"):
        create_task(ACCOUNT, "CLOUD", "x", request_type="Incident")
    with pytest.raises(
        JiraParameterError, match="request_type 'Access'.*Incident, Service Request"
    ):
        create_task(ACCOUNT, "OPS", "x", request_type="Access")
    client.create_customer_request.assert_not_called()


def test_visibility_names_the_choices():
    assert visibility_of("public") is CommentVisibility.PUBLIC
    assert visibility_of(CommentVisibility.INTERNAL) is CommentVisibility.INTERNAL
    with pytest.raises(JiraParameterError, match="visibility 'customers' is not one of: internal"):
        visibility_of("customers")


@pytest.mark.parametrize("visibility, internal", [("internal", True), ("public", False)])
def test_comment_visibility_maps_to_the_internal_flag(client, visibility, internal):
    added = comment(ACCOUNT, "ops-3", "restarted", visibility=visibility, dry_run=False)
    client.add_comment.assert_called_once_with("OPS-3", "restarted", is_internal=internal)
    assert (added.issue, added.comment_id, added.visibility.value) == ("OPS-3", "10005", visibility)
    assert added.url == "https://jira.example.org/browse/OPS-3?focusedCommentId=10005"


def test_comment_dry_run_checks_the_issue_only(client):
    planned = comment(ACCOUNT, "OPS-3", "later", visibility="public")
    assert planned.dry_run and planned.comment_id is None and planned.url is None
    client.issue.assert_called_once_with("OPS-3", fields="status")
    client.add_comment.assert_not_called()
    with pytest.raises(JiraParameterError, match="body must not be empty"):
        comment(ACCOUNT, "OPS-3", "  ")


def test_comment_on_a_missing_issue_names_it(client):
    client.issue.side_effect = not_found("/rest/api/2/issue/OPS-9")
    with pytest.raises(JiraNotFoundError) as err:
        comment(ACCOUNT, "OPS-9", "x", dry_run=False)
    assert str(err.value) == "issue 'OPS-9' does not exist or jira account 'jsm' cannot see it"
    assert err.value.status == 404


def test_add_comment_returns_the_id(client):
    assert add_comment(client, "OPS-1", "hi") == "10005"
    client.add_comment.assert_called_once_with("OPS-1", "hi", is_internal=True)


@pytest.mark.parametrize(
    "arguments, transition_id, to_state",
    [
        ({"transition": "resolve"}, "31", "Resolved"),
        ({"transition": "11"}, "11", "In Progress"),
        ({"to_state": "in progress", "expected_state": "OPEN"}, "11", "In Progress"),
    ],
)
def test_transition_by_name_id_or_target(client, arguments, transition_id, to_state):
    moved = move_issue(ACCOUNT, "OPS-1", **arguments, dry_run=False)
    client.transition_issue.assert_called_once_with("OPS-1", transition_id)
    assert (moved.from_state, moved.to_state, moved.changed) == ("Open", to_state, True)
    assert not moved.dry_run


def test_a_dry_run_checks_everything_and_moves_nothing(client):
    moved = move_issue(ACCOUNT, "OPS-1", to_state="resolved", expected_state="Open")
    assert (moved.to_state, moved.transition, moved.changed, moved.dry_run) == (
        "Resolved",
        "Resolve",
        False,
        True,
    )
    assert moved.objects[0].outcome.value == "done"
    check_result("jira.transition", moved)
    client.transition_issue.assert_not_called()
    with pytest.raises(JiraTransitionError, match="not the expected_state 'In Progress'"):
        move_issue(ACCOUNT, "OPS-1", transition="Resolve", expected_state="In Progress")


def test_already_in_the_target_state_changes_nothing(client):
    result = transition_issue(client, "OPS-1", to_state="open", expected_state="Closed")
    assert (result.changed, result.to_state, result.transition) == (False, "Open", None)
    assert result.objects[0].reason == "already in 'Open'"
    client.transitions.assert_not_called()
    client.transition_issue.assert_not_called()


def test_unexpected_state_names_current_state_and_transitions(client):
    with pytest.raises(JiraTransitionError) as err:
        transition_issue(client, "OPS-1", transition="Resolve", expected_state="In Progress")
    assert str(err.value) == (
        "issue OPS-1 is in state 'Open', not the expected_state 'In Progress'; available "
        "transitions: 'Start Progress' (to 'In Progress'), 'Resolve' (to 'Resolved')"
    )
    client.transition_issue.assert_not_called()


def test_no_matching_transition(client):
    with pytest.raises(JiraTransitionError, match="has no to_state 'Closed'; available"):
        transition_issue(client, "OPS-1", to_state="Closed")
    client.transitions.return_value = []
    with pytest.raises(JiraTransitionError, match="has no transition 'Resolve'.*transitions: none"):
        transition_issue(client, "OPS-1", transition="Resolve")


@pytest.mark.parametrize("arguments", [{}, {"transition": "Resolve", "to_state": "Resolved"}])
def test_exactly_one_of_transition_and_to_state(client, arguments):
    with pytest.raises(JiraParameterError, match="exactly one of transition"):
        transition_issue(client, "OPS-1", **arguments)
    client.issue.assert_not_called()
