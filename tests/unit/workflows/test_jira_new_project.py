"""jira.request_new_project: settings, form mapping and the ticket flow with autospecced fakes."""

import contextlib
import dataclasses
from types import SimpleNamespace
from unittest import mock

import pytest

from apis.account import AccountNotFoundError
from apis.jira_api.account import JiraAccount
from apis.jira_api.comments import CommentVisibility
from apis.jira_api.connection import CloudopsJira
from apis.jira_api.exceptions import JiraApiError, JiraTransitionError
from apis.jira_api.forms import FormAnswers, FormStatus
from apis.jira_api.transitions import TransitionResult
from apis.openstack_api.identity.exceptions import NameNotFoundError, ProjectCreateError
from apis.openstack_api.identity.projects import ProjectView
from tests.fakes.boundary import connect_yielding
from tests.result_schemas import check_result
from workflows import jira_new_project as flow
from workflows.jira_new_project import Outcome, request_new_project
from workflows.jira_new_project_errors import NewProjectConfigError, NewProjectRequestError
from workflows.jira_new_project_plan import build_plan
from workflows.jira_new_project_settings import NewProjectSettings
from workflows.project_create import CreateState, ProjectCreateReport, Step

ACCOUNT = JiraAccount(name="jsm", url="https://jira.example.org", username="bot", api_token="t0k")
CONFIG = {"jira_account": "jsm", "service_desk": "OPS", "cloud_account": "prod"}
ANSWERS = {
    "project_name": "astro-lab",
    "description": "Astronomy lab",
    "network": "yes",
    "network_cidr": None,
    "members": "carol, dave; erin",
    "admins": ["carol"],
    "instances": 20,
    "cores": "8",
    "ram": None,
}


def form(**changes):
    """A submitted form with ANSWERS, some changed."""
    return FormAnswers("OPS-7", "1", "New project", FormStatus.SUBMITTED, {**ANSWERS, **changes})


def settings(**changes):
    """Settings from CONFIG, some changed."""
    return NewProjectSettings.from_config({**CONFIG, **changes})


def view(properties=None):
    """A created project as project.create reports it."""
    return ProjectView("p1", "astro-lab", "Default", "d", True, ["jsm-request"], properties or {})


CREATED = ProjectCreateReport(
    dry_run=False,
    objects=[],
    state=CreateState.CREATED,
    project=view({"jira_request": "OPS-7"}),
    steps=[
        Step("project", "astro-lab", "p1"),
        Step("compute quota", "instances=20"),
        Step("role", "admin for user carol"),
        Step("network", "astro-lab-net", "n1"),
    ],
    message="project 'astro-lab' created",
)


def test_settings_defaults_and_overrides():
    chosen = settings(
        comment_visibility="public",
        tags=["a", "b"],
        dns_nameservers=["192.0.2.53"],
        network_cidr="10.9.0.0/16",
        done_transition="Complete",
        questions={"name": "Project name", "quotas": {"floating_ips": "FIPs"}},
    )
    assert chosen.comment_visibility is CommentVisibility.PUBLIC
    assert chosen.tags == ("a", "b") and chosen.dns_nameservers == ("192.0.2.53",)
    assert chosen.questions.name == "Project name" and chosen.questions.members == "members"
    assert chosen.questions.quotas == {"floating_ips": "FIPs"}
    assert chosen.done_move() == {"transition": "Complete"}
    assert chosen.attention_move() == {"to_state": "Needs attention"}
    default = settings()
    assert (default.ready_status, default.done_status, default.domain) == (
        "Ready for automation",
        "Done",
        "default",
    )
    assert default.comment_visibility is CommentVisibility.INTERNAL
    assert default.questions.quotas == {"instances": "instances", "cores": "cores", "ram": "ram"}


@pytest.mark.parametrize(
    "config, message",
    [
        (None, "the pack config has no jira_new_project"),
        ({"jira_account": "jsm"}, "missing required setting.*service_desk, cloud_account"),
        ({**CONFIG, "colour": 1}, "unknown setting.*colour; valid settings: attention_status"),
        ({**CONFIG, "comment_visibility": "loud"}, "'loud' is not one of: internal, public"),
        ({**CONFIG, "network_cidr": "10.0.0.1/24"}, "network_cidr '10.0.0.1/24' is not a"),
        ({**CONFIG, "tags": "one"}, "tags must be a list of strings"),
        ({**CONFIG, "questions": {"size": "x"}}, "questions has unknown setting.*size"),
        ({**CONFIG, "questions": {"quotas": ["cores"]}}, "quotas must map quota names"),
        ({**CONFIG, "questions": {"quotas": {"gpus": "g"}}}, "quotas key 'gpus' is not a"),
        ("jsm", "jira_new_project must be a mapping"),
    ],
)
def test_bad_settings_name_the_key(config, message):
    with pytest.raises(NewProjectConfigError, match=message):
        NewProjectSettings.from_config(config)


def test_plan_maps_every_answer():
    plan = build_plan(settings(external_network="public"), form(), "OPS-7", "New project")
    assert plan.arguments() == {
        "name": "astro-lab",
        "domain": "default",
        "description": "Astronomy lab (OPS-7)",
        "tags": ["jsm-request"],
        "properties": {"jira_request": "OPS-7"},
        "network_cidr": "10.0.0.0/24",
        "external_network": "public",
        "dns_nameservers": [],
        "quotas": {"instances": 20, "cores": 8},
        "admin_users": ["carol"],
        "member_users": ["dave", "erin"],
    }


def test_plan_without_network_uses_summary_and_case_insensitive_keys():
    answers = FormAnswers(
        "OPS-7",
        "1",
        "New project",
        FormStatus.SUBMITTED,
        {"Project_Name": " web ", "NETWORK": ["no"], "Members": "", "Cores": 4.0},
    )
    plan = build_plan(settings(external_network="public"), answers, "OPS-7", "Need a project")
    assert (plan.name, plan.description) == ("web", "Need a project (OPS-7)")
    assert plan.network_cidr is None and plan.external_network is None
    assert plan.quotas == {"cores": 4} and not plan.member_users and not plan.admin_users


def test_plan_takes_the_answered_cidr_and_boolean_network():
    plan = build_plan(settings(), form(network=True, network_cidr="10.5.0.0/24"), "OPS-7", "s")
    assert plan.network_cidr == "10.5.0.0/24"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"project_name": None}, "'project_name' \\(project name\\): not answered"),
        ({"project_name": "bad name!"}, "'bad name!' is not 1-64 letters"),
        ({"network": "maybe"}, "'network' \\(network\\): answer 'maybe' is not one of: yes"),
        ({"network_cidr": "10.5.0.1/24"}, "'network_cidr' \\(network CIDR\\): answer '10.5"),
        ({"instances": "many"}, "'instances' \\(instances quota\\): answer 'many' is not a"),
        ({"cores": -1}, "'cores' \\(cores quota\\): answer -1 is not a whole number"),
        ({"cores": 2.5}, "answer 2.5 is not a whole number"),
        ({"cores": True}, "answer True is not a whole number"),
    ],
)
def test_plan_errors_name_the_question(changes, message):
    with pytest.raises(NewProjectRequestError, match=message):
        build_plan(settings(), form(**changes), "OPS-7", "s")


@pytest.fixture(name="client", scope="module")
def fixture_client():
    """An autospecced Jira client (slow to build, so once per module)."""
    return mock.create_autospec(CloudopsJira, instance=True)


@pytest.fixture(name="fakes")
def fixture_fakes(monkeypatch, client):
    """Autospecced Jira helpers and project_create: a ready ticket whose form is ANSWERS."""

    @contextlib.contextmanager
    def opened(account, retry=None):
        assert account == ACCOUNT and retry is None
        yield client

    ticket = SimpleNamespace(
        key="OPS-7",
        fields=SimpleNamespace(
            summary="New project", status=SimpleNamespace(name="Ready for automation")
        ),
    )
    fakes = SimpleNamespace(
        connect=mock.create_autospec(flow.connect, side_effect=opened),
        fetch_issue=mock.create_autospec(flow.fetch_issue, return_value=ticket),
        read_form=mock.create_autospec(flow.read_form, return_value=form()),
        project_create=mock.create_autospec(flow.project_create, return_value=CREATED),
        add_comment=mock.create_autospec(flow.add_comment, return_value="c1"),
        transition_issue=mock.create_autospec(
            flow.transition_issue,
            side_effect=lambda client, issue, **kw: TransitionResult(
                False, [], issue, "Ready for automation", kw.get("to_state") or kw["transition"]
            ),
        ),
        ticket=ticket,
        conn=mock.sentinel.conn,
    )
    fakes.open_cloud = connect_yielding(fakes.conn)
    for name in (
        "connect",
        "open_cloud",
        "fetch_issue",
        "read_form",
        "project_create",
        "add_comment",
        "transition_issue",
    ):
        monkeypatch.setattr(flow, name, getattr(fakes, name))
    return fakes


def run(dry_run=False, **config):
    """request_new_project on OPS-7 with CONFIG (some settings changed)."""
    return request_new_project(
        "ops-7", dry_run=dry_run, jira_account=ACCOUNT, jira_new_project={**CONFIG, **config}
    )


def test_success_creates_comments_and_moves_to_done(fakes, client):
    result = run()
    assert (result.outcome, result.ticket_state, result.comment_id) == (
        Outcome.CREATED,
        "Done",
        "c1",
    )
    assert [(o.kind, o.change, o.id) for o in result.objects] == [
        ("comment", "add", "c1"),
        ("issue", "transition", "OPS-7"),
    ]
    check_result("jira.request_new_project", result)
    fakes.fetch_issue.assert_called_once_with(client, "ops-7", fields="summary,status")
    fakes.read_form.assert_called_once_with(client, "OPS-7", None)
    arguments = fakes.project_create.call_args
    assert arguments.args == (fakes.conn,) and arguments.kwargs["dry_run"] is False
    fakes.open_cloud.assert_called_once_with("prod")
    assert arguments.kwargs["name"] == "astro-lab" and arguments.kwargs["quotas"] == {
        "instances": 20,
        "cores": 8,
    }
    body = fakes.add_comment.call_args.args[2]
    assert body.startswith("cloudops created project *astro-lab* in domain default (id p1).")
    assert body.splitlines()[1:] == [
        "* network: astro-lab-net, subnet 10.0.0.0/24",
        "* quotas: cores=8, instances=20",
        "* admins: carol",
        "* members: dave, erin",
    ]
    assert fakes.add_comment.call_args.args[3] is CommentVisibility.INTERNAL
    fakes.transition_issue.assert_called_once_with(
        client, "OPS-7", expected_state="Ready for automation", to_state="Done"
    )


def test_dry_run_plans_without_touching_the_ticket(fakes):
    planned = ProjectCreateReport(
        True, [], CreateState.WOULD_CREATE, None, [Step("project", "x")], "dry"
    )
    fakes.project_create.return_value = planned
    result = run(dry_run=True)
    assert result.outcome is Outcome.WOULD_CREATE and result.dry_run
    assert result.plan.name == "astro-lab" and result.project is planned
    assert fakes.project_create.call_args.kwargs["dry_run"] is True
    fakes.add_comment.assert_not_called()
    fakes.transition_issue.assert_not_called()
    assert not result.changed and [o.change for o in result.objects] == ["add", "transition"]
    check_result("jira.request_new_project", result)


def test_a_ticket_not_ready_is_left_alone(fakes):
    fakes.ticket.fields.status.name = "Done"
    result = run()
    assert result.outcome is Outcome.SKIPPED and result.ticket_state == "Done"
    assert "not 'Ready for automation'; nothing done" in result.message
    fakes.read_form.assert_not_called()
    fakes.project_create.assert_not_called()
    fakes.add_comment.assert_not_called()


def test_invalid_answer_is_commented_and_needs_attention(fakes, client):
    fakes.read_form.return_value = form(project_name=None)
    with pytest.raises(NewProjectRequestError) as raised:
        run(comment_visibility="public", attention_transition="Escalate")
    message = str(raised.value)
    assert "'project_name' (project name): not answered" in message
    assert message.endswith("commented and moved to 'Escalate'")
    fakes.project_create.assert_not_called()
    body = fakes.add_comment.call_args.args[2]
    assert "not answered" in body and "No project was created." in body
    assert "move it back to 'Ready for automation' to retry" in body
    assert fakes.add_comment.call_args.args[3] is CommentVisibility.PUBLIC
    fakes.transition_issue.assert_called_once_with(client, "OPS-7", transition="Escalate")
    assert raised.value.report["plan"] is None and raised.value.report["ticket_error"] is None


def test_project_create_failure_is_commented_with_its_rollback(fakes, client):
    fakes.project_create.side_effect = ProjectCreateError(
        "project.create 'astro-lab' failed while creating router: quota; rolled back: network"
    )
    with pytest.raises(NewProjectRequestError) as raised:
        run()
    assert "commented and moved to 'Needs attention'" in str(raised.value)
    body = fakes.add_comment.call_args.args[2]
    assert "rolled back: network" in body and "t0k" not in body
    fakes.transition_issue.assert_called_once_with(client, "OPS-7", to_state="Needs attention")
    report = raised.value.report
    assert report["plan"].name == "astro-lab" and report["ticket_state"] == "Needs attention"


def test_unknown_member_fails_before_anything_is_created(fakes):
    fakes.project_create.side_effect = NameNotFoundError("member_users 'zed': no user")
    with pytest.raises(NewProjectRequestError, match="member_users 'zed': no user"):
        run()
    assert "No project was created." in fakes.add_comment.call_args.args[2]


def test_existing_project_of_someone_else_is_a_failure(fakes):
    fakes.project_create.return_value = ProjectCreateReport(
        False, [], CreateState.EXISTED, view({"owner": "x"}), [], "exists"
    )
    with pytest.raises(NewProjectRequestError, match="'astro-lab' already exists in domain"):
        run()
    assert "already exists" in fakes.add_comment.call_args.args[2]


def test_project_made_for_this_request_earlier_is_reported_again(fakes):
    fakes.project_create.return_value = ProjectCreateReport(
        False, [], CreateState.EXISTED, view({"jira_request": "OPS-7"}), [], "exists"
    )
    fakes.read_form.return_value = form(network="no", members=None, admins=None, cores=None)
    result = run(external_network="public")
    assert result.outcome is Outcome.CREATED
    assert fakes.add_comment.call_args.args[2].splitlines()[1:] == [
        "* network: none",
        "* quotas: instances=20",
        "* (it had been created for this request before; nothing changed)",
    ]


def test_router_is_named_in_the_comment(fakes):
    fakes.project_create.return_value = dataclasses.replace(CREATED, project=None)
    run(external_network="public")
    body = fakes.add_comment.call_args.args[2]
    assert "in domain default.\n" in body
    assert "* network: astro-lab-net, subnet 10.0.0.0/24, router astro-lab-router" in body


def test_failed_done_transition_after_creation_needs_attention(fakes, client):
    fakes.transition_issue.side_effect = [
        JiraTransitionError("issue OPS-7 has no to_state 'Done'"),
        TransitionResult(False, [], "OPS-7", "Ready for automation", "Needs attention"),
    ]
    with pytest.raises(NewProjectRequestError, match="has no to_state 'Done'"):
        run()
    success, failure = [call.args[2] for call in fakes.add_comment.call_args_list]
    assert success.startswith("cloudops created project")
    assert "No project was created" not in failure and "has no to_state 'Done'" in failure
    assert fakes.transition_issue.call_args == mock.call(
        client, "OPS-7", to_state="Needs attention"
    )


def test_ticket_update_failure_is_reported_too(fakes):
    fakes.read_form.side_effect = JiraApiError("form unreadable")
    fakes.add_comment.side_effect = JiraApiError("jira down")
    with pytest.raises(NewProjectRequestError) as raised:
        run()
    assert "the ticket could not be updated either: jira down" in str(raised.value)
    assert raised.value.report["ticket_error"] == "jira down"
    fakes.transition_issue.assert_not_called()


def test_a_bug_is_commented_without_traceback_and_raised(fakes):
    fakes.project_create.side_effect = ZeroDivisionError("division by zero")
    with pytest.raises(ZeroDivisionError):
        run()
    body = fakes.add_comment.call_args.args[2]
    assert "an internal error (ZeroDivisionError)" in body and "division" not in body


def test_dry_run_failure_touches_nothing(fakes):
    fakes.read_form.return_value = form(network="maybe")
    with pytest.raises(NewProjectRequestError, match="answer 'maybe'"):
        run(dry_run=True)
    fakes.add_comment.assert_not_called()
    fakes.transition_issue.assert_not_called()


def test_account_defaults_to_the_configured_one(fakes):
    entry = {"name": "jsm", "url": ACCOUNT.url, "username": "bot", "api_token": "t0k"}
    fakes.ticket.fields.status.name = "Closed"
    result = request_new_project("OPS-7", jira_new_project=CONFIG, jira_accounts=[entry])
    assert result.outcome is Outcome.SKIPPED
    assert fakes.connect.call_args.args[0] == ACCOUNT
    with pytest.raises(AccountNotFoundError) as raised:
        request_new_project("OPS-7", jira_new_project={**CONFIG, "jira_account": "nope"})
    assert "jira_account 'nope' is not in the pack config's jira_accounts" in str(raised.value)
