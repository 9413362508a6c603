"""The one translation of openstacksdk and keystoneauth failures into the api's errors.

The action boundary and the sensors' poll path reach it through
:mod:`action_runtime.error_translation`; ``openstack_errors(doing)`` adds what the code was
doing. Each error is one line: the service (named from the catalog of the connections opened
so far), the method and resource, the HTTP status and the service's message, the request id
and what the operator can do.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from typing import Any, Dict, Optional, Tuple, Type
from urllib.parse import urlsplit

from apis.errors import CloudopsError
from apis.openstack_api.exceptions import (
    FailedRequest,
    OpenStackAuthError,
    OpenStackBadRequestError,
    OpenStackConflictError,
    OpenStackForbiddenError,
    OpenStackNotFoundError,
    OpenStackOverLimitError,
    OpenStackRequestError,
    OpenStackServiceError,
    OpenStackTimeoutError,
    OpenStackTLSError,
    OpenStackUnavailableError,
    OpenStackUnreachableError,
)

_CATALOG: Dict[str, str] = {}
_CATALOG_LOCK = threading.Lock()
_URL = re.compile(r"https?://[^\s'\"<>]+")
_EXCERPT = 300
_VERSION = re.compile(r"^v\d+(\.\d+)?$")
_REFUSED = ("connection refused", "errno 111", "econnrefused")
_ROOT_CAUSE = re.compile(r"\[(?:Errno -?\d+|SSL: [A-Z_]+)\][^'\"()]*")
_UNKNOWN_SERVICE = "the cloud"
# the status of an openstacksdk error raised without a response (as some proxies do)
_CLASS_STATUS = {
    "BadRequestException": 400,
    "ForbiddenException": 403,
    "NotFoundException": 404,
    "ResourceNotFound": 404,
    "ConflictException": 409,
    "PreconditionFailedException": 412,
}

_STATUS_ERRORS: Dict[int, Tuple[Type[OpenStackRequestError], str]] = {
    400: (OpenStackBadRequestError, "the service rejected the request: check the parameters"),
    401: (
        OpenStackAuthError,
        "the token was refused: check the cloud_account's credentials and retry",
    ),
    403: (
        OpenStackForbiddenError,
        "the cloud_account lacks a role for this (often admin), "
        "or the resource belongs to another project",
    ),
    404: (
        OpenStackNotFoundError,
        "it does not exist or was deleted meanwhile: check the name or id",
    ),
    409: (
        OpenStackConflictError,
        "it is busy or in a state that forbids this: wait until its current task ends and retry",
    ),
    413: (OpenStackOverLimitError, "a quota or rate limit stopped it: raise it or retry later"),
    429: (OpenStackOverLimitError, "a quota or rate limit stopped it: raise it or retry later"),
}


def remember_endpoint(url: str, label: str) -> None:
    """Remember that ``label`` answers at ``url`` (e.g. keystone at the auth_url)."""
    with _CATALOG_LOCK:
        _CATALOG.setdefault(url.rstrip("/"), label)


def remember_connection(conn: Any) -> None:
    """Remember which service answers at each endpoint of a connection: its catalog's URLs
    and the clouds.yaml endpoint overrides."""
    entries = {}
    for service in conn.service_catalog or ():
        kind, name = service.get("type") or "service", service.get("name")
        label = f"{kind} ({name})" if name and name != kind else kind
        urls = [endpoint.get("url") for endpoint in service.get("endpoints") or ()]
        urls.append(conn.config.get_endpoint(kind))
        entries.update({url.rstrip("/"): label for url in urls if url})
    with _CATALOG_LOCK:
        _CATALOG.update(entries)


def service_of(url: str) -> Tuple[str, str]:
    """The service answering at ``url`` and the resource path under its endpoint."""
    address = url.split("?", 1)[0]
    with _CATALOG_LOCK:
        matches = [e for e in _CATALOG if address == e or address.startswith(e + "/")]
        endpoint = max(matches, key=len, default=None)
        label = _CATALOG.get(endpoint or "")
    if endpoint is None:
        parts = urlsplit(address)
        label, path = f"the service at {parts.scheme}://{parts.netloc}", parts.path
    else:
        path = address[len(endpoint) :]
    segments = [s for s in path.split("/") if s]
    while segments and _VERSION.match(segments[0]):
        segments.pop(0)
    return str(label), "/".join(segments)


def translate(err: BaseException, doing: Optional[str] = None) -> Optional[OpenStackRequestError]:
    """The api error for an openstacksdk or keystoneauth failure, or None for anything else."""
    if isinstance(err, OpenStackRequestError):
        return err
    from keystoneauth1 import exceptions as ks_exceptions
    from openstack import exceptions as sdk_exceptions

    cause = err.__cause__ or err.__context__
    bare = not isinstance(err, sdk_exceptions.HttpException)
    if (
        bare
        and isinstance(err, sdk_exceptions.SDKException)
        and isinstance(cause, ks_exceptions.ClientException)
    ):
        err = cause  # Connection.authorize() re-raises keystoneauth's error as a bare one
    if isinstance(err, (sdk_exceptions.HttpException, ks_exceptions.HttpError)):
        error_type, failed, hint = _http_failure(err)
    elif isinstance(err, ks_exceptions.ClientException):
        error_type, failed, hint = _transport_failure(err)
    elif isinstance(err, sdk_exceptions.NotSupported) and "supported versions" in str(err):
        error_type = OpenStackServiceError
        hint = "its version discovery failed: the service is down or failing, see its log"
        failed = FailedRequest(_UNKNOWN_SERVICE, detail=_one_line(str(err)))
    elif isinstance(err, sdk_exceptions.SDKException):
        error_type, hint = OpenStackRequestError, ""
        failed = FailedRequest(_UNKNOWN_SERVICE, detail=_one_line(f"{type(err).__name__}: {err}"))
    else:
        return None
    return error_type(_message(failed, hint, doing), failed)


def library_failures() -> Tuple[Type[BaseException], ...]:
    """The failures :func:`translate` claims (openstacksdk's and keystoneauth's, transport
    failures included), for a runbook that reports them per object."""
    from keystoneauth1 import exceptions as ks_exceptions
    from openstack import exceptions as sdk_exceptions

    return (sdk_exceptions.SDKException, ks_exceptions.ClientException)


def describe(err: BaseException) -> str:
    """One line for a failure a runbook reports per object instead of raising: the
    translation of an openstacksdk or keystoneauth error, else the error's type and text."""
    translated = None if isinstance(err, CloudopsError) else translate(err)
    return str(translated) if translated else f"{type(err).__name__}: {err}"


def _http_failure(err: Any) -> Tuple[Type[OpenStackRequestError], FailedRequest, str]:
    response = getattr(err, "response", None)
    headers = getattr(response, "headers", None) or {}
    request = getattr(response, "request", None)
    status = (
        getattr(err, "status_code", None)
        or getattr(err, "http_status", None)
        or next(
            (_CLASS_STATUS[k.__name__] for k in type(err).__mro__ if k.__name__ in _CLASS_STATUS),
            None,
        )
    )
    url = getattr(err, "url", None) or getattr(request, "url", None) or ""
    method = getattr(err, "method", None) or getattr(request, "method", None) or ""
    service, target = service_of(url) if url else (_UNKNOWN_SERVICE, "")
    action = _action_name(getattr(request, "body", None)) if target.endswith("/action") else None
    failed = FailedRequest(
        service=service,
        method=str(method).upper(),
        target=f"{target} ({action})" if action else target,
        status=status,
        detail=_detail(err),
        request_id=getattr(err, "request_id", None)
        or headers.get("x-openstack-request-id")
        or headers.get("x-compute-request-id"),
        retry_after=headers.get("Retry-After"),
    )
    if status == 503:
        wait = f"retry after {failed.retry_after} s" if failed.retry_after else "retry later"
        return OpenStackUnavailableError, failed, f"the service is unavailable for now: {wait}"
    if status and status >= 500:
        where = f"request id {failed.request_id}" if failed.request_id else "time of the failure"
        return (
            OpenStackServiceError,
            failed,
            f"a failure inside the service: look the {where} up in its log",
        )
    error_type, hint = _STATUS_ERRORS.get(status or 0, (OpenStackRequestError, ""))
    return error_type, failed, hint


def _transport_failure(err: Any) -> Tuple[Type[OpenStackRequestError], FailedRequest, str]:
    from keystoneauth1 import exceptions as ks_exceptions

    text = str(err)
    found = _URL.search(text)
    url = found.group(0).rstrip(":.,") if found else ""
    service, target = service_of(url) if url else (_UNKNOWN_SERVICE, "")
    cause = _ROOT_CAUSE.search(text)
    detail = cause.group(0).strip(" :") if cause else _one_line(text)
    failed = FailedRequest(service=service, target=target, detail=detail)
    if isinstance(err, ks_exceptions.SSLError):
        return (
            OpenStackTLSError,
            failed,
            "TLS failed: check the endpoint's certificate and the CA the cloud_account trusts "
            "(cacert / verify in clouds.yaml)",
        )
    if isinstance(err, ks_exceptions.ConnectTimeout) or "timed out" in text.lower():
        failed = dataclasses.replace(failed, detail="timed out")
        return (
            OpenStackTimeoutError,
            failed,
            "no answer in time: the service may still do it, so check before retrying; "
            "raise api_timeout in clouds.yaml if it is only slow",
        )
    if isinstance(err, ks_exceptions.ConnectFailure):
        refused = any(word in text.lower() for word in _REFUSED)
        what = "refused the connection" if refused else "cannot be reached"
        return (
            OpenStackUnreachableError,
            failed,
            f"the endpoint {urlsplit(url).netloc} {what}: the service is down "
            "or its catalog URL is wrong",
        )
    return OpenStackRequestError, failed, ""


def _message(failed: FailedRequest, hint: str, doing: Optional[str]) -> str:
    context = f"{doing}: " if doing else ""
    advice = f"; {hint}" if hint else ""
    request = " ".join(filter(None, (failed.method, failed.target)))
    if request and not failed.method:
        request = f"the request to {request}"
    if not request and not failed.status and failed.service == _UNKNOWN_SERVICE:
        return f"{context}{failed.detail}{advice}"
    status = f"HTTP {failed.status}: " if failed.status else ""
    request_id = f" [request {failed.request_id}]" if failed.request_id else ""
    return (
        f"{context}{failed.service} failed {request or 'a request'}: "
        f"{status}{failed.detail}{request_id}{advice}"
    )


def _detail(err: Any) -> str:
    details = getattr(err, "details", None)
    if details:
        return _one_line(str(details))
    response = getattr(err, "response", None)
    text = getattr(response, "text", "") if response is not None else ""
    return _one_line(text or getattr(err, "message", "") or str(err))


def _action_name(body: Any) -> Optional[str]:
    """The action of a nova/cinder ``.../action`` body such as ``{"reboot": {...}}``."""
    if not body:
        return None
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return None
    if isinstance(data, dict) and len(data) == 1:
        return str(next(iter(data)))
    return None


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:_EXCERPT]
