"""chatops.pr_reminder through the local runner against a real HTTP server on 127.0.0.1
standing in for the team's ChatOps service: what arrives (method, path, token header, JSON
body), what a dry run shows, and one-line errors without the token for an error answer and a
refused connection."""

import socket

import pytest
import yaml

from tests.integration.action_run import run_action
from tests.json_http_server import JsonHttpServer

pytestmark = pytest.mark.integration

TOKEN = "chatops-integration-token-3e8a"
PATH = "/v1/reminder"
ACTION = "chatops.pr_reminder"


class ChatopsService(JsonHttpServer):
    """Accepts reminder requests on PATH with TOKEN; ``status`` forces an error answer that
    quotes the request's Authorization header (so a leak would show)."""

    def __init__(self) -> None:
        super().__init__()
        self.status = 200

    def answer(self, request):
        if request.headers.get("Authorization") != f"token {TOKEN}":
            return 401, {"error": "bad token"}
        if request.path != PATH:
            return 404, {"error": f"no route {request.path}"}
        if self.status != 200:
            return self.status, {"error": "failed", "echo": request.headers["Authorization"]}
        return 200, {"message": f"{request.body['reminder_type']} reminder queued"}


@pytest.fixture(name="service")
def fixture_service():
    """The ChatOps stand-in on a free loopback port."""
    with ChatopsService() as service:
        yield service


def write_config(tmp_path, url, **settings):
    """A pack config whose chatops section points at ``url``."""
    section = {"url": url, "token": TOKEN, "channel": "#cloud-prs", "retries": 0, **settings}
    path = tmp_path / "cloudops.yaml"
    path.write_text(yaml.safe_dump({"chatops": section}), encoding="utf-8")
    return path


def reminder(config, *argv):
    """Exit code, the answer and everything printed, the token never in it."""
    code, answer, printed = run_action(config, ACTION, *argv)
    assert TOKEN not in printed
    return code, answer


def test_dry_run_shows_exactly_what_the_real_run_sends(service, tmp_path):
    config = write_config(tmp_path, service.origin + PATH)
    code, planned = reminder(config, "reminder_type=global")
    assert code == 0 and service.received == []
    assert planned["result"]["dry_run"] and not planned["result"]["changed"]

    code, done = reminder(config, "reminder_type=global", "dry_run=false")
    assert code == 0, done
    [request] = service.received
    assert (request.method, request.path) == ("POST", PATH)
    assert request.headers["Authorization"] == f"token {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {"reminder_type": "global", "channel": "#cloud-prs"}
    result = done["result"]
    assert (result["changed"], result["status"]) == (True, 200)
    assert result["answer"] == '{"message": "global reminder queued"}'
    shown = planned["result"]["request"]
    assert shown == result["request"]
    assert shown["url"] == service.origin + PATH and shown["body"] == request.body
    assert shown["headers"] == {
        **{k: v for k, v in request.headers.items() if k in shown["headers"]},
        "Authorization": "token ********",
    }


def test_personal_reminder_to_another_channel(service, tmp_path):
    config = write_config(tmp_path, service.origin + PATH)
    code, done = reminder(config, "reminder_type=personal", "channel=#team-a", "dry_run=false")
    assert code == 0, done
    assert [r.body for r in service.received] == [
        {"reminder_type": "personal", "channel": "#team-a"}
    ]


@pytest.mark.parametrize("status, says", [(400, "answered 400"), (500, "answered 500")])
def test_error_answer_is_one_line_without_the_token(service, tmp_path, status, says):
    service.status = status
    code, failed = reminder(
        write_config(tmp_path, service.origin + PATH), "reminder_type=global", "dry_run=false"
    )
    assert code == 1 and failed["status"] == "failed"
    error = failed["result"]["error"]
    assert error.startswith(f"global reminder not sent: chatops account 'chatops': POST {PATH} ")
    assert says in error and "\n" not in error
    assert failed["result"]["error_type"] == "ChatopsRequestError"


def test_wrong_token_names_the_setting(service, tmp_path):
    config = write_config(tmp_path, service.origin + PATH, token="not-the-token")
    code, failed = reminder(config, "reminder_type=personal", "dry_run=false")
    assert code == 1 and failed["result"]["error_type"] == "ChatopsAuthError"
    assert "refused chatops.token (401)" in failed["result"]["error"]
    assert "not-the-token" not in failed["result"]["error"]


def test_refused_connection_is_one_line_without_the_token(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, failed = reminder(
        write_config(tmp_path, f"http://127.0.0.1:{port}{PATH}"),
        "reminder_type=global",
        "dry_run=false",
    )
    assert code == 1 and failed["result"]["error_type"] == "ChatopsConnectionError"
    error = failed["result"]["error"]
    assert error.startswith(
        f"global reminder not sent: chatops account 'chatops': POST {PATH} failed: "
    )
    assert "Connection refused" in error and "\n" not in error
    assert error.endswith("; check chatops.url and that the service is up")
