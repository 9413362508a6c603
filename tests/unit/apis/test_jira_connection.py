"""Jira accounts, the client's HTTP hygiene and the translation of library errors."""

# pylint: disable=protected-access

import json
from unittest import mock

import pytest
import requests
from jira import JIRA
from jira.exceptions import JIRAError
from requests.adapters import HTTPAdapter

from apis.account import AccountConfigError
from apis.http_session import ApiRetry, RetrySettings
from apis.jira_api import connection
from apis.jira_api.account import JiraAccount
from apis.jira_api.connection import CloudopsJira, connect, jira_errors, translate
from apis.jira_api.exceptions import (
    JiraApiError,
    JiraAuthError,
    JiraConnectionError,
    JiraHttpError,
    JiraNotFoundError,
    JiraRequestError,
    JiraTimeoutError,
    JiraUnavailableError,
)

TOKEN = "t0ken-5e3c-secret"
ACCOUNT = JiraAccount(
    name="jsm", url="https://jira.example.org/", username="bot@example.org", api_token=TOKEN
)


def response(status, body=None, method="GET", url="https://jira.example.org/rest/api/2/x"):
    """A requests Response as the adapter would return it."""
    answer = requests.Response()
    answer.status_code = status
    answer._content = json.dumps(body if body is not None else {}).encode()
    answer.headers["Content-Type"] = "application/json"
    answer.url = url
    answer.request = requests.Request(method, url).prepare()
    return answer


def jira_error(status, text="Jira said no", method="GET", path="/rest/api/2/issue/OPS-1"):
    """The JIRAError the library raises for an answer with ``status``."""
    url = f"https://jira.example.org{path}"
    return JIRAError(
        text, status_code=status, url=url, response=response(status, None, method, url)
    )


def test_account_from_config_needs_username_and_builds_auth():
    account = JiraAccount.from_config(
        {"name": "jsm", "url": "https://j", "username": "bot", "api_token": TOKEN}
    )
    assert account.basic_auth == ("bot", TOKEN)
    assert (account.retries, account.backoff_factor) == (3, 0.5)
    assert TOKEN not in repr(account)
    with pytest.raises(AccountConfigError, match="missing required setting.*username"):
        JiraAccount.from_config({"name": "jsm", "url": "https://j", "api_token": TOKEN})


def test_password_replaces_a_missing_api_token_and_nothing_fails_by_name():
    assert JiraAccount(name="dc", url="u", username="bot", password="pw").basic_auth == (
        "bot",
        "pw",
    )
    with pytest.raises(AccountConfigError, match="jira account 'dc': needs username and api_token"):
        _ = JiraAccount(name="dc", url="u", username="bot").basic_auth


def test_browse_url_strips_the_trailing_slash():
    assert ACCOUNT.browse_url("OPS-7") == "https://jira.example.org/browse/OPS-7"


@pytest.fixture(name="sent")
def fixture_sent(monkeypatch):
    """Every request reaching the transport, answered with a Data Center serverInfo."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/bundle.pem")
    info = {"deploymentType": "Server", "versionNumbers": [9, 12, 2]}
    with mock.patch.object(HTTPAdapter, "send", autospec=True) as send:
        send.side_effect = lambda adapter, request, **kwargs: response(200, info, url=request.url)
        yield send


def test_client_passes_verify_and_timeout_on_every_call_and_ignores_the_environment(sent):
    account = JiraAccount(
        name="jsm",
        url="https://jira.example.org",
        username="bot",
        api_token=TOKEN,
        ca_file="/etc/ssl/jira-ca.pem",
        timeout=7,
    )
    client = CloudopsJira(account, RetrySettings(retries=4, backoff_factor=0.25))
    assert not client.is_cloud and client._version == (9, 12, 2)
    client.server_info()
    assert sent.call_count == 2
    for call in sent.call_args_list:
        assert call.kwargs["verify"] == "/etc/ssl/jira-ca.pem"
        assert call.kwargs["timeout"] == 7
        assert call.args[1].headers["Authorization"].startswith("Basic ")
    adapter = client._session.get_adapter("https://jira.example.org")
    assert isinstance(adapter.max_retries, ApiRetry)
    assert (adapter.max_retries.total, adapter.max_retries.backoff_factor) == (4, 0.25)
    assert client._session.max_retries == 0


def test_verify_false_is_honoured_despite_requests_ca_bundle(sent):
    account = JiraAccount(
        name="lab", url="https://j", username="bot", api_token=TOKEN, verify=False
    )
    CloudopsJira(account)
    assert sent.call_args.kwargs["verify"] is False


@pytest.mark.parametrize(
    "status, method, error_type, words",
    [
        (401, "GET", JiraAuthError, "was refused (401) on GET /rest/api/2/issue/OPS-1"),
        (403, "POST", JiraAuthError, "check its username and api_token"),
        (404, "GET", JiraNotFoundError, "GET /rest/api/2/issue/OPS-1 found nothing (404)"),
        (400, "POST", JiraRequestError, "Jira rejected POST /rest/api/2/issue/OPS-1 (400)"),
        (429, "POST", JiraUnavailableError, "still answered 429 after 3 retries"),
        (503, "GET", JiraUnavailableError, "still answered 503 after 3 retries"),
        (502, "GET", JiraUnavailableError, "still answered 502 after 3 retries"),
        (504, "POST", JiraUnavailableError, "still answered 504 after 0 retries"),
        (500, "GET", JiraHttpError, "GET /rest/api/2/issue/OPS-1 answered 500"),
    ],
)
def test_translate_by_status(status, method, error_type, words):
    error = translate(ACCOUNT, jira_error(status, f"token {TOKEN} rejected", method))
    assert type(error) is error_type  # pylint: disable=unidiomatic-typecheck
    assert error.status == status
    assert words in str(error) and "jira account 'jsm'" in str(error)
    assert TOKEN not in str(error) and "********" in str(error)


def test_translate_without_status_keeps_the_library_message():
    error = translate(ACCOUNT, JIRAError("Invalid transition name. Escalate"))
    assert type(error) is JiraApiError  # pylint: disable=unidiomatic-typecheck
    assert str(error) == "jira account 'jsm': Invalid transition name. Escalate"


def test_jira_errors_turns_network_failures_into_api_errors():
    with pytest.raises(JiraTimeoutError, match="gave no answer within timeout=30 s"):
        with jira_errors(ACCOUNT):
            raise requests.ReadTimeout("read timed out")
    with pytest.raises(JiraConnectionError, match="cannot reach https://jira.example.org/") as err:
        with jira_errors(ACCOUNT):
            raise requests.ConnectionError(f"refused while sending {TOKEN}")
    assert TOKEN not in str(err.value)
    with pytest.raises(JiraNotFoundError):
        with jira_errors(ACCOUNT):
            raise jira_error(404)


def test_jira_errors_lets_other_errors_through():
    with pytest.raises(JiraRequestError, match="already an api error"):
        with jira_errors(ACCOUNT):
            raise JiraRequestError("already an api error")
    with pytest.raises(KeyError):
        with jira_errors(ACCOUNT):
            raise KeyError("a bug stays a bug")


def test_connect_uses_the_account_retries_and_closes_the_client():
    account = JiraAccount(
        name="jsm", url="https://j", username="bot", api_token=TOKEN, retries=5, backoff_factor=0
    )
    with mock.patch.object(connection, "CloudopsJira", autospec=True) as client_class:
        with pytest.raises(JiraNotFoundError, match="found nothing"):
            with connect(account) as client:
                assert client is client_class.return_value
                raise jira_error(404)
    client_class.assert_called_once_with(account, RetrySettings(retries=5, backoff_factor=0))
    client_class.return_value.close.assert_called_once_with()


def test_connect_turns_a_refused_login_into_an_auth_error():
    with mock.patch.object(JIRA, "server_info", autospec=True, side_effect=jira_error(401)):
        with pytest.raises(JiraAuthError, match=r"was refused \(401\)"):
            with connect(ACCOUNT):
                pytest.fail("the block must not run")
