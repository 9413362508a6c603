"""One requests session per HTTP account: explicit TLS verification, timeouts and retries.

Every call passes ``verify=`` and ``timeout=`` explicitly (``REQUESTS_CA_BUNDLE`` would
otherwise override ``Session.verify``). Answers 429, 502, 503 and 504 are retried with
exponential backoff, honouring ``Retry-After`` up to a cap. POST is retried only on 429 and
503, which mean the server did nothing. Failures become the calling api's own exceptions.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import TYPE_CHECKING, Any, Collection, Mapping, Optional, Type

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from apis.account import HttpAccount
from apis.errors import CloudopsError, raised_in

if TYPE_CHECKING:  # pragma: no cover
    from urllib3.response import BaseHTTPResponse

LOG = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
NOTHING_DONE_STATUSES = frozenset({429, 503})
_BODY_EXCERPT = 300


@dataclasses.dataclass(frozen=True)
class RetrySettings:
    """How often and how patiently to retry an overloaded or restarting server."""

    retries: int = 3
    backoff_factor: float = 0.5
    max_retry_after: float = 60.0


@dataclasses.dataclass(frozen=True)
class ApiErrors:
    """The calling api's exception for each kind of HTTP failure."""

    connection: Type[CloudopsError]
    timeout: Type[CloudopsError]
    auth: Type[CloudopsError]
    status: Type[CloudopsError]


class ApiRetry(Retry):
    """urllib3 Retry honouring Retry-After on every retried status, capped, and safe for POST."""

    RETRY_AFTER_STATUS_CODES = RETRY_STATUSES

    def __init__(self, *args: Any, max_retry_after: float = 60.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_retry_after = max_retry_after

    def new(self, **kw: Any) -> "ApiRetry":
        retry = super().new(**kw)
        retry.max_retry_after = self.max_retry_after
        return retry

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST":
            return bool(self.total) and status_code in NOTHING_DONE_STATUSES
        return super().is_retry(method, status_code, has_retry_after)

    def get_retry_after(self, response: "BaseHTTPResponse") -> Optional[float]:
        retry_after = super().get_retry_after(response)
        if retry_after is None:
            return None
        return min(retry_after, self.max_retry_after)


def build_retry(settings: RetrySettings) -> ApiRetry:
    """The Retry object for a session: status and connect failures only, never read timeouts."""
    return ApiRetry(
        total=settings.retries,
        connect=settings.retries,
        read=False,
        status=settings.retries,
        other=0,
        backoff_factor=settings.backoff_factor,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,
        respect_retry_after_header=True,
        raise_on_status=False,
        max_retry_after=settings.max_retry_after,
    )


class HttpSession:
    """A requests session for one account; ``request`` raises the api's own errors."""

    def __init__(
        self,
        account: HttpAccount,
        errors: ApiErrors,
        retry: RetrySettings = RetrySettings(),
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.account = account
        self.errors = errors
        self.base_url = account.url.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False
        adapter = HTTPAdapter(max_retries=build_retry(retry))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(headers or {})
        if account.username:
            self.session.auth = (account.username, account.password or "")

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def __enter__(self) -> "HttpSession":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def request(
        self, method: str, path: str, ok: Collection[int] = (200,), **kwargs: Any
    ) -> requests.Response:
        """Send ``method`` to ``base_url + path``; an answer outside ``ok`` raises an error."""
        label = f"{self.account.KIND} account {self.account.name!r}: {method} {path}"
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                verify=self.account.tls_verify,
                timeout=self.account.timeout,
                **kwargs,
            )
        except requests.Timeout:
            raise self.errors.timeout(
                f"{label} got no answer within timeout={self.account.timeout:g} s"
            ) from None
        except requests.RequestException as err:
            raise self.errors.connection(
                f"{label} failed: {self.scrub(type(err).__name__ + ': ' + str(err))}"
            ) from None
        LOG.debug("%s -> %s", label, response.status_code)
        if response.status_code in ok:
            return response
        excerpt = self.scrub(response.text)[:_BODY_EXCERPT].strip()
        if response.status_code in (401, 403):
            raise self.errors.auth(
                f"{label} was refused ({response.status_code}): check the account's username "
                f"and password; the server said: {excerpt}"
            )
        tries = retries_taken(response)
        retried = f" after {tries} retries" if tries else ""
        retry_after = response.headers.get("Retry-After")
        when = f"; retry after {retry_after} s" if retry_after else ""
        raise self.errors.status(
            f"{label} answered {response.status_code}{retried}: {excerpt}{when}"
        )

    def scrub(self, text: str) -> str:
        """``text`` without any of the account's secrets."""
        for value in self.account.secret_values():
            text = text.replace(value, "********")
        return text


def retries_taken(response: requests.Response) -> int:
    """How many times urllib3 retried before this answer."""
    retry = getattr(response.raw, "retries", None)
    return len(getattr(retry, "history", ()) or ())


class JsonApiClient:
    """Base of a client of one account's JSON API over one :class:`HttpSession`, closed when
    the client is used as a context manager. Subclasses set ``ERRORS``; the account gives
    ``retries`` and ``backoff_factor``."""

    ERRORS: ApiErrors

    def __init__(self, account: Any) -> None:
        self.account = account
        self.http = HttpSession(
            account,
            self.ERRORS,
            RetrySettings(retries=account.retries, backoff_factor=account.backoff_factor),
            headers={"Accept": "application/json"},
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.http.close()


def translate_leak(err: BaseException, errors: ApiErrors, package: str) -> Optional[CloudopsError]:
    """``errors``' error for a requests failure or unreadable answer that escaped ``package``'s
    client (HttpSession.request translates the rest), or None when it is not one."""
    if not raised_in(err, package):
        return None
    label = package.rsplit(".", 1)[-1].replace("_api", "")
    if isinstance(err, requests.Timeout):
        return errors.timeout(f"{label}: no answer in time ({err}); retry later")
    if isinstance(err, json.JSONDecodeError):
        return errors.status(
            f"{label}: the answer is not the JSON expected ({err}); "
            "check the account's url points at the service itself, not a proxy page"
        )
    if isinstance(err, requests.RequestException):
        return errors.connection(
            f"{label}: {type(err).__name__}: {err}; check the account's url and that the "
            "service is up"
        )
    return None
