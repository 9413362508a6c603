"""The shared HTTP session and the Alertmanager client, with requests.Session.request mocked."""

from unittest import mock

import pytest
import requests
from urllib3.response import HTTPResponse
from urllib3.util.retry import RequestHistory

from apis.alertmanager_api.account import AlertmanagerAccount
from apis.alertmanager_api.client import ERRORS, AlertmanagerClient
from apis.alertmanager_api.exceptions import (
    AlertmanagerAuthError,
    AlertmanagerConnectionError,
    AlertmanagerRequestError,
    AlertmanagerTimeoutError,
    SilenceNotFoundError,
    SilenceParameterError,
)
from apis.alertmanager_api.model import Matcher
from apis.http_session import ApiRetry, HttpSession, RetrySettings, build_retry, retries_taken
from tests.unit.apis.http_answers import answer

SID = "0f3b5a9e-4c1d-4e8a-9b7c-2d6e8f0a1b2c"
SILENCE = {
    "id": SID,
    "status": {"state": "active"},
    "matchers": [{"name": "instance", "value": "hv01", "isRegex": False, "isEqual": True}],
    "startsAt": "2030-01-31T08:00:00Z",
    "endsAt": "2030-01-31T10:00:00Z",
    "createdBy": "cloudops",
    "comment": "upgrade",
}


def account(**settings):
    """An Alertmanager account with basic auth and a CA file."""
    values = {
        "name": "am",
        "url": "https://am.example.org/",
        "username": "ops",
        "password": "pa55-secret",
        "ca_file": "/etc/ca.pem",
        "timeout": 7.0,
    }
    values.update(settings)
    return AlertmanagerAccount(**values)


def test_every_call_passes_verify_timeout_and_auth(request_mock):
    request_mock.return_value = answer(body=[SILENCE])
    with AlertmanagerClient(account()) as client:
        [silence] = client.list_silences([])
        assert client.http.session.auth == ("ops", "pa55-secret")
        assert client.http.session.trust_env is False
    assert silence.id == SID
    session, method, url = request_mock.call_args.args
    assert isinstance(session, requests.Session)
    assert (method, url) == ("GET", "https://am.example.org/api/v2/silences")
    assert request_mock.call_args.kwargs == {
        "verify": "/etc/ca.pem",
        "timeout": 7.0,
        "params": None,
    }


def test_verify_false_and_filters(request_mock):
    request_mock.return_value = answer(body=[])
    with AlertmanagerClient(account(verify=False, username=None)) as client:
        client.list_silences([Matcher("instance", "hv01"), Matcher("job", "n.*", is_regex=True)])
        assert client.http.session.auth is None
    assert request_mock.call_args.kwargs["verify"] is False
    assert request_mock.call_args.kwargs["params"] == {"filter": ['instance="hv01"', 'job=~"n.*"']}


def test_get_create_status(request_mock):
    request_mock.side_effect = [
        answer(body={"silenceID": SID}),
        answer(body=SILENCE),
        answer(body={"versionInfo": {"version": "0.25.0"}}),
    ]
    client = AlertmanagerClient(account())
    assert client.create_silence({"matchers": []}) == SID
    assert request_mock.call_args.kwargs["json"] == {"matchers": []}
    assert client.get_silence(SID).comment == "upgrade"
    assert client.status()["versionInfo"]["version"] == "0.25.0"


def test_unknown_and_malformed_ids(request_mock):
    request_mock.side_effect = [
        answer(404, text="silence not found"),
        answer(500, text="silence " + SID + " not found\n"),
        answer(500, text="storage broken"),
    ]
    client = AlertmanagerClient(account())
    with pytest.raises(SilenceNotFoundError, match=f"silence id '{SID}': no such silence"):
        client.get_silence(SID)
    with pytest.raises(SilenceNotFoundError):
        client.expire_silence(SID)
    with pytest.raises(AlertmanagerRequestError, match="failed \\(500\\): storage broken"):
        client.expire_silence(SID)
    with pytest.raises(SilenceParameterError, match="'42' is not a silence id"):
        client.get_silence("42")
    assert request_mock.call_count == 3


@pytest.mark.parametrize("status", [401, 403])
def test_refusals_never_show_the_password(request_mock, status):
    request_mock.return_value = answer(status, text="bad credentials for ops:pa55-secret")
    with pytest.raises(AlertmanagerAuthError, match=f"refused \\({status}\\)") as err:
        AlertmanagerClient(account()).list_silences()
    assert "pa55-secret" not in str(err.value) and "********" in str(err.value)


def test_error_statuses_and_transport_failures(request_mock):
    request_mock.side_effect = [
        answer(400, text="bad matcher " + "x" * 400),
        requests.ConnectTimeout("connect timed out"),
        requests.ReadTimeout("read timed out"),
        requests.ConnectionError("refused; password pa55-secret"),
    ]
    client = AlertmanagerClient(account())
    with pytest.raises(
        AlertmanagerRequestError, match="GET /api/v2/silences answered 400: bad"
    ) as bad:
        client.list_silences()
    assert len(str(bad.value)) < 400
    for _ in range(2):
        with pytest.raises(AlertmanagerTimeoutError, match="no answer within timeout=7 s"):
            client.list_silences()
    with pytest.raises(AlertmanagerConnectionError, match="ConnectionError") as failed:
        client.list_silences()
    assert "pa55-secret" not in str(failed.value)


def test_retry_policy():
    retry = build_retry(RetrySettings(retries=2, backoff_factor=0.1, max_retry_after=5))
    assert isinstance(retry, ApiRetry)
    assert (retry.total, retry.connect, retry.read, retry.status) == (2, 2, False, 2)
    assert retry.raise_on_status is False
    for status in (429, 502, 503, 504):
        assert retry.is_retry("GET", status)
    assert not retry.is_retry("GET", 500)
    assert retry.is_retry("POST", 429) and retry.is_retry("POST", 503)
    assert not retry.is_retry("POST", 502) and not retry.is_retry("post", 504)
    assert retry.is_retry("DELETE", 502)
    assert not retry.new(total=0).is_retry("POST", 503)
    assert retry.new(total=1).max_retry_after == 5


@pytest.mark.parametrize(("header", "expected"), [("2", 2), ("3600", 5), (None, None)])
def test_retry_after_is_capped(header, expected):
    retry = build_retry(RetrySettings(max_retry_after=5))
    headers = {"Retry-After": header} if header else {}
    assert retry.get_retry_after(HTTPResponse(status=503, headers=headers)) == expected


def test_retries_taken_reads_urllib3_history():
    response = answer(503)
    assert retries_taken(response) == 0
    history = (RequestHistory("GET", "/", None, 503, None),) * 2
    response.raw = HTTPResponse(status=503, retries=ApiRetry(total=1, history=history))
    assert retries_taken(response) == 2


def test_http_session_closes_its_pool():
    with mock.patch.object(requests.Session, "close", autospec=True) as close:
        with HttpSession(account(), ERRORS) as http:
            assert http.base_url == "https://am.example.org"
        close.assert_called_once_with(http.session)
