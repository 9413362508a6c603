"""JQL paging on Cloud and Data Center, and reading ProForma-style form answers."""

import copy
from types import SimpleNamespace
from unittest import mock

import pytest
from jira.exceptions import JIRAError

from apis.http_session import RetrySettings
from apis.jira_api.account import JiraAccount
from apis.jira_api.connection import CloudopsJira
from apis.jira_api.exceptions import JiraFormError, JiraParameterError
from apis.jira_api.forms import FORMS_PROPERTY, AnswerKind, FormStatus, parse_form, read_form
from apis.jira_api.search import FoundIssue, search

ACCOUNT = JiraAccount(name="jsm", url="https://jira.example.org", username="bot", api_token="t")


def hit(number):
    """One raw search hit."""
    return {"id": str(10000 + number), "key": f"OPS-{number}", "fields": {"summary": f"s{number}"}}


@pytest.fixture(name="specced", scope="module")
def fixture_specced():
    """The autospecced client (slow to build, so once per module)."""
    return mock.create_autospec(CloudopsJira, instance=True)


@pytest.fixture(name="client")
def fixture_client(specced):
    """A fresh autospecced client of account ``jsm``."""
    specced.reset_mock(return_value=True, side_effect=True)
    specced.account, specced.retry = ACCOUNT, RetrySettings()
    return specced


def test_cloud_search_follows_page_tokens(client):
    client.is_cloud = True
    client.enhanced_search_issues.side_effect = [
        {"issues": [hit(1), hit(2)], "nextPageToken": "t2", "isLast": False},
        {"issues": [hit(3)], "isLast": True},
    ]
    found = search(client, "project = OPS", fields=["summary"], page_size=2)
    assert found == [
        FoundIssue(f"OPS-{n}", str(10000 + n), {"summary": f"s{n}"}) for n in (1, 2, 3)
    ]
    assert client.enhanced_search_issues.call_args_list == [
        mock.call(
            jql_str="project = OPS",
            nextPageToken=token,
            maxResults=2,
            fields=["summary"],
            json_result=True,
        )
        for token in (None, "t2")
    ]
    client.search_issues.assert_not_called()


def test_data_center_search_pages_by_start_at(client):
    client.is_cloud = False
    client.search_issues.side_effect = [
        {"issues": [hit(1), hit(2)], "total": 3},
        {"issues": [hit(3)], "total": 3},
    ]
    found = search(client, "labels = x", page_size=2)
    assert [f.key for f in found] == ["OPS-1", "OPS-2", "OPS-3"]
    starts = [call.kwargs["startAt"] for call in client.search_issues.call_args_list]
    assert starts == [0, 2]
    assert client.search_issues.call_args.kwargs["fields"][:2] == ["summary", "status"]


def test_data_center_search_stops_on_an_empty_page(client):
    client.is_cloud = False
    client.search_issues.side_effect = [{"issues": [], "total": 5}]
    assert not search(client, "labels = x")
    client.search_issues.assert_called_once()


def test_max_results_stops_without_fetching_more(client):
    client.is_cloud = True
    client.enhanced_search_issues.side_effect = [
        {"issues": [hit(1), hit(2)], "nextPageToken": "t2", "isLast": False},
    ]
    assert [f.key for f in search(client, "x", page_size=50, max_results=2)] == ["OPS-1", "OPS-2"]
    assert client.enhanced_search_issues.call_args.kwargs["maxResults"] == 2
    assert not search(client, "x", max_results=0)
    client.enhanced_search_issues.assert_called_once()


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"page_size": 0}, "page_size 0 must be between 1 and 100"),
        ({"page_size": 101}, "page_size 101 must be between 1 and 100"),
        ({"max_results": -1}, "max_results -1 must not be negative"),
    ],
)
def test_bad_paging_arguments(client, arguments, message):
    with pytest.raises(JiraParameterError, match=message):
        search(client, "x", **arguments)
    client.enhanced_search_issues.assert_not_called()


QUESTIONS = {
    "1": {"label": "Project name", "questionKey": "project_name", "type": "ts"},
    "2": {"label": "Description", "type": "pg"},
    "3": {"label": "Instances", "questionKey": "instances", "type": "no"},
    "4": {"label": "RAM GiB", "questionKey": "ram", "type": "no"},
    "5": {
        "label": "Network",
        "questionKey": "network",
        "type": "cd",
        "choices": [{"id": "1", "label": "private"}, {"id": "2", "label": "none"}],
    },
    "6": {
        "label": "Services",
        "questionKey": "services",
        "type": "cm",
        "choices": [{"id": "1", "label": "compute"}, {"id": "2", "label": "object storage"}],
    },
    "7": {"label": "Start", "questionKey": "start", "type": "da"},
    "8": {"label": "Window", "questionKey": "window", "type": "dt"},
    "9": {"label": "At", "questionKey": "at", "type": "ti"},
    "10": {"label": "Owner", "questionKey": "owner", "type": "us"},
    "11": {"label": "Members", "questionKey": "members", "type": "um"},
    "12": {"label": "Rating", "questionKey": "rating", "type": "zz"},
    "13": {"label": "Comment", "questionKey": "comment", "type": "tl"},
}
ANSWERS = {
    "1": {"text": "astro-lab"},
    "2": {"text": "telescope data"},
    "3": {"text": "20"},
    "4": {"text": "1.5"},
    "5": {"choices": ["1"]},
    "6": {"choices": ["1", "2"]},
    "7": {"date": "2026-01-31"},
    "8": {"date": "2026-02-01", "time": "09:30"},
    "9": {"time": "18:00"},
    "10": {"users": [{"id": "5b10aa"}]},
    "11": {"users": [{"id": "5b10aa"}, {"id": "5b10bb"}]},
    "12": {"text": "5"},
    "13": {"text": ""},
}


def form(status="s", questions=None, answers=None, name="New project", form_id="1"):
    """A form in the documented representation."""
    return {
        "id": form_id,
        "design": {"settings": {"name": name}, "questions": questions or QUESTIONS},
        "state": {"status": status, "answers": ANSWERS if answers is None else answers},
    }


def test_every_question_type_is_read():
    answers = parse_form("OPS-1", form())
    assert answers.status is FormStatus.SUBMITTED and answers.name == "New project"
    assert answers.answers == {
        "project_name": "astro-lab",
        "Description": "telescope data",
        "instances": 20,
        "ram": 1.5,
        "network": "private",
        "services": ["compute", "object storage"],
        "start": "2026-01-31",
        "window": "2026-02-01T09:30",
        "at": "18:00",
        "owner": "5b10aa",
        "members": ["5b10aa", "5b10bb"],
        "rating": "5",
        "comment": None,
    }


def test_unanswered_questions_are_empty():
    answers = parse_form("OPS-1", form(status="o", answers={})).answers
    assert answers["project_name"] is None and answers["instances"] is None
    assert answers["network"] is None and answers["services"] == []
    assert answers["owner"] is None and answers["members"] == []
    assert answers["window"] is None and answers["at"] is None


def test_answer_kind_of_unknown_codes_is_text():
    assert AnswerKind.of("cl") is AnswerKind.CHOICES
    assert AnswerKind.of("??") is AnswerKind.TEXT


@pytest.mark.parametrize(
    "question, answer, message",
    [
        (
            {"label": "Instances", "type": "no"},
            {"text": "many"},
            "'Instances': 'many' is not a number",
        ),
        (
            {"label": "Net", "type": "cs", "choices": [{"id": "1", "label": "private"}]},
            {"choices": ["7"]},
            r"'Net': answer choice\(s\) 7 are not among its choices \(private\)",
        ),
        ({"label": "Net", "type": "cs"}, {"choices": ["1"]}, r"choices \(none\)"),
    ],
)
def test_answers_that_do_not_fit_the_question(question, answer, message):
    with pytest.raises(JiraFormError, match=message):
        parse_form("OPS-1", form(questions={"1": question}, answers={"1": answer}))


def test_malformed_forms_are_refused():
    with pytest.raises(JiraFormError, match="issue OPS-1: a form is not in the expected shape"):
        parse_form("OPS-1", {"state": {}})
    with pytest.raises(JiraFormError, match="not in the expected shape"):
        parse_form("OPS-1", form(status="x"))
    twice = {"1": {"label": "Name"}, "2": {"label": "Other", "questionKey": "Name"}}
    with pytest.raises(JiraFormError, match="two questions keyed 'Name'"):
        parse_form("OPS-1", form(questions=twice))


def property_value(client, value):
    """Let the client's issue OPS-1 hold ``value`` in the forms property."""
    client.issue.return_value = SimpleNamespace(key="OPS-1")
    client.issue_property.return_value = SimpleNamespace(
        raw={"key": FORMS_PROPERTY, "value": value}
    )


def test_read_form_by_name(client):
    property_value(client, {"forms": [form(name="Access"), form(form_id="2")]})
    answers = read_form(client, "ops-1", form_name="new PROJECT")
    assert (answers.issue, answers.form_id) == ("OPS-1", "2")
    client.issue.assert_called_once_with("ops-1", fields="status")
    client.issue_property.assert_called_once_with("OPS-1", FORMS_PROPERTY)
    with pytest.raises(
        JiraFormError, match="no form_name 'Quota'; its forms: 'Access', 'New project'"
    ):
        read_form(client, "OPS-1", form_name="Quota")
    with pytest.raises(
        JiraFormError, match=r"several forms \('Access', 'New project'\): give form_name"
    ):
        read_form(client, "OPS-1")


def test_read_form_requires_a_submitted_form_by_default(client):
    property_value(client, {"forms": [form(status="o")]})
    with pytest.raises(JiraFormError, match="form 'New project' is still open"):
        read_form(client, "OPS-1")
    assert read_form(client, "OPS-1", require_submitted=False).status is FormStatus.OPEN
    property_value(client, {"forms": [form(status="l")]})
    assert read_form(client, "OPS-1").status is FormStatus.LOCKED


@pytest.mark.parametrize("value", [None, {"forms": []}, {"forms": "x"}, ["x"]])
def test_read_form_without_forms(client, value):
    property_value(client, copy.deepcopy(value))
    with pytest.raises(
        JiraFormError, match="issue OPS-1: issue property 'proforma.forms' holds no"
    ):
        read_form(client, "OPS-1")


def test_read_form_without_the_property(client):
    client.issue.return_value = SimpleNamespace(key="OPS-1")
    client.issue_property.side_effect = JIRAError("no such property", status_code=404, url="u")
    with pytest.raises(JiraFormError, match="issue OPS-1 has no form .no issue property"):
        read_form(client, "OPS-1")
