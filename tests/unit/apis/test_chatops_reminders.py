"""chatops.pr_reminder's lib: the request it builds, its dry run, and one-line failures that
never show the token (requests.Session.request mocked; the real HTTP is the integration
test's)."""

from unittest import mock

import pytest
import requests

from action_runtime import error_translation
from action_runtime.dispatch import dispatch
from apis.chatops_api.exceptions import (
    ChatopsAuthError,
    ChatopsConfigError,
    ChatopsConnectionError,
    ChatopsParameterError,
    ChatopsRequestError,
)
from apis.chatops_api.reminders import ReminderType, send_pr_reminder
from apis.http_session import HttpSession
from tests.unit.apis.http_answers import answer

TOKEN = "chatops-unit-token-51d9"
URL = "https://chatops.example.org/v1/reminder"
LIB = "apis.chatops_api.reminders:send_pr_reminder"


def config(**settings):
    """A chatops config section (no retries)."""
    return {"url": URL, "token": TOKEN, "channel": "#cloud-prs", "retries": 0, **settings}


def shown_request(reminder_type, channel):
    """The request a result shows: as sent, the token masked."""
    return {
        "method": "POST",
        "url": URL,
        "headers": {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": "token ********",
        },
        "body": {"reminder_type": reminder_type, "channel": channel},
    }


def test_dry_run_returns_the_request_and_sends_nothing(request_mock):
    result = send_pr_reminder("global", chatops=config())
    request_mock.assert_not_called()
    assert result["request"] == shown_request("global", "#cloud-prs")
    assert (result["dry_run"], result["changed"], result["status"], result["answer"]) == (
        True,
        False,
        None,
        None,
    )
    [obj] = result["objects"]
    assert (obj.outcome.value, obj.change, obj.name) == (
        "done",
        "send",
        "global reminder in #cloud-prs",
    )
    assert TOKEN not in repr(result)


def test_channel_parameter_overrides_the_configured_one(request_mock):
    result = send_pr_reminder("personal", channel="#team-a", chatops=config())
    assert result["request"] == shown_request("personal", "#team-a")
    request_mock.assert_not_called()


def test_post_sends_token_body_to_the_endpoint(request_mock):
    request_mock.return_value = answer(200, {"ok": True})
    result = send_pr_reminder("global", dry_run=False, chatops=config(timeout=7))
    [call] = request_mock.call_args_list
    session, method, url = call.args
    assert (method, url) == ("POST", URL)
    assert call.kwargs == {
        "json": {"reminder_type": "global", "channel": "#cloud-prs"},
        "verify": True,
        "timeout": 7,
    }
    assert session.headers["Authorization"] == f"token {TOKEN}"
    assert session.headers["Content-Type"] == "application/json"
    assert (result["changed"], result["status"], result["answer"]) == (True, 200, '{"ok": true}')
    assert result["objects"][0].reason == f"POSTed to {URL} (answer 200)"


def test_endpoint_path_and_query_are_kept(request_mock):
    request_mock.return_value = answer(202)
    send_pr_reminder(
        "global", dry_run=False, chatops=config(url="http://chat.local:8080/hooks/remind?x=1")
    )
    assert request_mock.call_args.args[2] == "http://chat.local:8080/hooks/remind?x=1"


@pytest.mark.parametrize("status", [400, 404, 500])
def test_error_answer_is_one_line_without_the_token(request_mock, status):
    request_mock.return_value = answer(status, text=f"bad request\nAuthorization: token {TOKEN}")
    with pytest.raises(ChatopsRequestError) as raised:
        send_pr_reminder("global", dry_run=False, chatops=config())
    message = str(raised.value)
    assert message.startswith("global reminder not sent: chatops account 'chatops': POST ")
    assert f"answered {status}: bad request Authorization: token ********" in message
    assert TOKEN not in message


@pytest.mark.parametrize("status", [401, 403])
def test_refused_token_names_the_setting(request_mock, status):
    request_mock.return_value = answer(status, {"error": f"token {TOKEN} unknown"})
    with pytest.raises(ChatopsAuthError) as raised:
        send_pr_reminder("personal", dry_run=False, chatops=config())
    message = str(raised.value)
    assert f"refused chatops.token ({status})" in message
    assert TOKEN not in message


def test_refused_connection_is_one_line_without_the_token(request_mock):
    request_mock.side_effect = requests.ConnectionError(f"refused (sent token {TOKEN})")
    with pytest.raises(ChatopsConnectionError) as raised:
        send_pr_reminder("global", dry_run=False, chatops=config())
    assert str(raised.value).startswith("global reminder not sent: ")
    assert TOKEN not in str(raised.value)


@pytest.mark.parametrize(
    "section, says",
    [
        (None, "chatops is not set: give chatops.url"),
        ({"url": URL}, "chatops is not set"),
        (config(url="chatops.example.org/remind"), "is not an http(s) URL"),
        (config(tokn="x"), "unknown setting(s) tokn"),
    ],
)
def test_bad_config_says_what_to_set(section, says):
    with pytest.raises(ChatopsConfigError) as raised:
        send_pr_reminder("global", chatops=section)
    assert says in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_bad_reminder_type_and_missing_channel():
    with pytest.raises(ChatopsParameterError) as raised:
        send_pr_reminder("globl", chatops=config())
    assert "valid choices: global, personal. Did you mean 'global'?" in str(raised.value)
    with pytest.raises(ChatopsParameterError) as raised:
        send_pr_reminder("global", chatops=config(channel=""))
    assert "give the channel parameter or set the pack config's chatops.channel" in str(
        raised.value
    )
    assert [t.value for t in ReminderType] == ["global", "personal"]


def test_dispatch_passes_the_config_section_and_translates_a_leak():
    """The runtime hands the pack config's chatops section over; a requests failure that
    escapes the session is the api's one-line error through the registered translator."""
    ok, result = dispatch(LIB, {"reminder_type": "global"}, {"chatops": config()})
    assert ok and result["request"]["url"] == URL
    leak = requests.exceptions.ChunkedEncodingError("connection broken mid-answer")
    with mock.patch.object(HttpSession, "request", autospec=True, side_effect=leak):
        ok, failure = dispatch(
            LIB, {"reminder_type": "global", "dry_run": False}, {"chatops": config()}
        )
    assert not ok and failure["error_type"] == "ChatopsConnectionError", failure
    assert any(
        t.function == "apis.chatops_api.reminders:translate_error"
        for t in error_translation.TRANSLATORS
    )


def test_token_cut_by_the_excerpt_is_still_masked(request_mock):
    """The answer is cut to an excerpt after the token is masked, never before."""
    request_mock.return_value = answer(500, text="x" * 290 + TOKEN)
    with pytest.raises(ChatopsRequestError) as raised:
        send_pr_reminder("global", dry_run=False, chatops=config())
    assert TOKEN[:10] not in str(raised.value)
