"""Jira clients (the ``jira`` library) with the pack's HTTP hygiene, and their errors.

One session per client; ``verify`` is passed on every call by the library's session and
``REQUESTS_CA_BUNDLE`` is ignored (``trust_env`` off); every call has the account's timeout;
429/502/503/504 are retried by :mod:`apis.http_session`'s urllib3 policy (Retry-After
honoured, POST retried only on 429/503), so the library's own retries are turned off.
Library and network errors become :mod:`apis.jira_api.exceptions` with secrets scrubbed.
"""

from __future__ import annotations

import contextlib
from typing import Iterator, Optional
from urllib.parse import urlsplit

import requests
from jira import JIRA
from jira.exceptions import JIRAError
from requests.adapters import HTTPAdapter

from apis.errors import raised_in
from apis.http_session import NOTHING_DONE_STATUSES, RETRY_STATUSES, RetrySettings, build_retry
from apis.jira_api.account import JiraAccount
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

DEFAULT_RETRY = RetrySettings()
_EXCERPT = 300
_MASK = "********"


class CloudopsJira(JIRA):
    """A ``jira.JIRA`` client for one account: Basic auth with the API token, explicit TLS
    verification, timeouts and urllib3 retries; ``deploymentType`` read from serverInfo."""

    def __init__(self, account: JiraAccount, retry: RetrySettings = DEFAULT_RETRY):
        super().__init__(
            server=account.url,
            basic_auth=account.basic_auth,
            options={"verify": account.tls_verify, "check_update": False},
            timeout=account.timeout,
            max_retries=0,
            get_server_info=False,
        )
        self.account = account
        self.retry = retry
        self._session.trust_env = False
        adapter = HTTPAdapter(max_retries=build_retry(retry))
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        info = self.server_info()
        self.deploymentType = info.get("deploymentType")
        self._version = tuple(info.get("versionNumbers") or (0, 0, 0))

    @property
    def is_cloud(self) -> bool:
        """Whether the site is Jira Cloud (token-paged search) rather than Data Center."""
        return self.deploymentType == "Cloud"


def scrub(account: JiraAccount, text: str) -> str:
    """``text`` without any of the account's secrets."""
    for value in account.secret_values():
        text = text.replace(value, _MASK)
    return text


def _retries_done(method: str, status: int, retry: RetrySettings) -> int:
    if method == "POST" and status not in NOTHING_DONE_STATUSES:
        return 0
    return retry.retries


def translate(
    account: Optional[JiraAccount], err: JIRAError, retry: RetrySettings = DEFAULT_RETRY
) -> JiraApiError:
    """The api error for a ``JIRAError``, naming the account (when known) and the call, never
    a secret."""
    label = f"jira account {account.name!r}" if account else "jira"
    text = str(err.text or "no details").strip()
    text = (scrub(account, text) if account else text)[:_EXCERPT]
    status = err.status_code
    if status is None:
        return JiraApiError(f"{label}: {text}")
    request = getattr(err.response, "request", None)
    method = str(getattr(request, "method", None) or "request")
    call = f"{method} {urlsplit(err.url or '').path}".strip()
    if status in (401, 403):
        return JiraAuthError(
            f"{label} was refused ({status}) on {call}: check its username and api_token "
            f"and the user's permissions; Jira said: {text}",
            status,
        )
    if status == 404:
        return JiraNotFoundError(f"{label}: {call} found nothing (404): {text}", status)
    if status == 400:
        return JiraRequestError(f"{label}: Jira rejected {call} (400): {text}", status)
    if status in RETRY_STATUSES:
        retries = _retries_done(method, status, retry)
        headers = getattr(err.response, "headers", None) or {}
        when = f"; retry after {headers['Retry-After']} s" if headers.get("Retry-After") else ""
        return JiraUnavailableError(
            f"{label}: {call} still answered {status} after {retries} retries: {text}{when}",
            status,
        )
    return JiraHttpError(f"{label}: {call} answered {status}: {text}", status)


def translate_error(err: BaseException) -> Optional[JiraApiError]:
    """The api error for a ``JIRAError`` or requests failure that escaped ``jira_errors``."""
    if isinstance(err, JIRAError):
        return translate(None, err)
    if isinstance(err, requests.RequestException) and raised_in(err, "jira"):
        kind = JiraTimeoutError if isinstance(err, requests.Timeout) else JiraConnectionError
        return kind(f"jira: cannot reach the server: {type(err).__name__}: {err}"[:_EXCERPT])
    return None


@contextlib.contextmanager
def jira_errors(account: JiraAccount, retry: RetrySettings = DEFAULT_RETRY) -> Iterator[None]:
    """Turn library, HTTP and network failures inside the block into Jira api errors."""
    label = f"jira account {account.name!r}"
    try:
        yield
    except JIRAError as err:
        raise translate(account, err, retry) from None
    except requests.Timeout:
        raise JiraTimeoutError(
            f"{label}: {account.url} gave no answer within timeout={account.timeout:g} s"
        ) from None
    except requests.RequestException as err:
        raise JiraConnectionError(
            f"{label}: cannot reach {account.url}: "
            f"{scrub(account, type(err).__name__ + ': ' + str(err))[:_EXCERPT]}"
        ) from None


@contextlib.contextmanager
def connect(account: JiraAccount, retry: Optional[RetrySettings] = None) -> Iterator[CloudopsJira]:
    """A client for ``account``, closed afterwards; failures in the block become api errors.

    ``retry`` defaults to the account's ``retries`` and ``backoff_factor``."""
    retry = retry or RetrySettings(account.retries, account.backoff_factor)
    with jira_errors(account, retry):
        client = CloudopsJira(account, retry)
        try:
            yield client
        finally:
            client.close()
