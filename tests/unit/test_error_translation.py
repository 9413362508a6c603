"""The one error translation: every HTTP status and transport fault of openstacksdk and
keystoneauth, the other apis' libraries, and the registry that dispatch and sensors ask."""

from __future__ import annotations

import json
import logging
import smtplib
import socket
import threading

import paramiko
import pytest
import requests
from jira.exceptions import JIRAError
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from openstack import exceptions as sdk_exceptions

from action_runtime import error_translation as registry
from action_runtime.dispatch import dispatch
from action_runtime.sensor_hooks import PollingSensorHooks
from apis.alertmanager_api.exceptions import (
    AlertmanagerConnectionError,
    AlertmanagerRequestError,
)
from apis.email_api.exceptions import MailServerConnectionError
from apis.icinga_api.exceptions import IcingaTimeoutError
from apis.jira_api.exceptions import JiraAuthError, JiraUnavailableError
from apis.openstack_api import error_translation
from apis.openstack_api import exceptions as os_errors
from apis.openstack_api.identity.exceptions import openstack_errors
from apis.ssh_api.exceptions import SSHAuthError, SSHConnectionError, SSHTimeoutError

NOVA = "http://nova.example.org:8774/v2.1"
SERVER = "5c6e1f1e-0000-4000-8000-00000000beef"
REQUEST_ID = "req-0f3b5a9e-4c1d-4e8a-9b7c-2d6e8f0a1b2c"


@pytest.fixture(autouse=True, name="catalog")
def fixture_catalog(monkeypatch):
    """The catalog of a connection: nova at NOVA."""
    monkeypatch.setattr(error_translation, "_CATALOG", {})
    error_translation.remember_endpoint(NOVA, "compute (nova)")


def answer(status, method="POST", path=f"/servers/{SERVER}/action", body=None, headers=()):
    """A real requests.Response to a real prepared request."""
    request = requests.Request(method, NOVA + path, json=body).prepare()
    response = requests.Response()
    response.status_code = status
    response.request = request
    response.url = request.url
    response.headers.update(
        {"Content-Type": "application/json", "x-openstack-request-id": REQUEST_ID, **dict(headers)}
    )
    message = {"conflictingRequest": {"code": status, "message": "the service's message"}}
    response._content = json.dumps(message).encode()  # pylint: disable=protected-access
    return response


def sdk_error(response):
    """The exception openstacksdk raises for ``response``."""
    with pytest.raises(sdk_exceptions.HttpException) as caught:
        sdk_exceptions.raise_from_response(response)
    return caught.value


@pytest.mark.parametrize(
    "status, error_type, hint",
    [
        (400, os_errors.OpenStackBadRequestError, "check the parameters"),
        (401, os_errors.OpenStackAuthError, "check the cloud_account's credentials"),
        (403, os_errors.OpenStackForbiddenError, "belongs to another project"),
        (404, os_errors.OpenStackNotFoundError, "was deleted meanwhile"),
        (409, os_errors.OpenStackConflictError, "wait until its current task ends and retry"),
        (413, os_errors.OpenStackOverLimitError, "quota or rate limit"),
        (429, os_errors.OpenStackOverLimitError, "quota or rate limit"),
        (500, os_errors.OpenStackServiceError, f"look the request id {REQUEST_ID} up in its log"),
        (502, os_errors.OpenStackServiceError, "look the request id"),
        (503, os_errors.OpenStackUnavailableError, "unavailable for now: retry later"),
    ],
)
def test_every_status_names_service_request_status_message_id_and_what_to_do(
    status, error_type, hint
):
    err = error_translation.translate(sdk_error(answer(status, body={"reboot": {"type": "SOFT"}})))
    assert type(err) is error_type  # pylint: disable=unidiomatic-typecheck
    assert str(err).startswith(
        f"compute (nova) failed POST servers/{SERVER}/action (reboot): HTTP {status}: "
        f"the service's message [request {REQUEST_ID}]; "
    )
    assert hint in str(err).rsplit("]; ", 1)[1]
    assert err.failed.status == status and err.failed.request_id == REQUEST_ID
    assert "\n" not in str(err)


def test_503_with_retry_after_says_when_to_retry():
    err = error_translation.translate(sdk_error(answer(503, headers={"Retry-After": "30"})))
    assert isinstance(err, os_errors.OpenStackUnavailableError)
    assert str(err).endswith("the service is unavailable for now: retry after 30 s")


def test_a_url_outside_the_catalog_names_its_address():
    response = answer(404, "GET", "/servers")
    response.request.url = response.url = "http://other.example.org:9999/v2/things/7?x=1"
    err = error_translation.translate(sdk_error(response))
    assert str(err).startswith("the service at http://other.example.org:9999 failed GET things/7:")


def test_connection_catalog_and_endpoint_overrides_are_remembered():
    class Config:  # pylint: disable=too-few-public-methods
        """clouds.yaml with a network endpoint override."""

        @staticmethod
        def get_endpoint(kind):
            """The override of ``kind``, if any."""
            return "http://proxy.example.org:1234/" if kind == "network" else None

    class Conn:  # pylint: disable=too-few-public-methods
        """The two attributes a connection is read for."""

        config = Config()
        service_catalog = [
            {"type": "network", "name": "neutron", "endpoints": [{"url": "http://n:9696/"}]},
            {"type": "placement", "name": "placement", "endpoints": [{"url": "http://p:8778"}]},
        ]

    error_translation.remember_connection(Conn())
    assert error_translation.service_of("http://n:9696/v2.0/ports/1") == (
        "network (neutron)",
        "ports/1",
    )
    assert error_translation.service_of("http://proxy.example.org:1234/v2.0/networks")[0] == (
        "network (neutron)"
    )
    assert error_translation.service_of("http://p:8778/resource_providers")[0] == "placement"


def test_keystoneauth_http_errors_and_the_authorize_wrapper():
    response = answer(403, "GET", "/os-hypervisors/detail")
    ks_error = ks_exceptions.from_response(response, "GET", response.url)
    err = error_translation.translate(ks_error)
    assert isinstance(err, os_errors.OpenStackForbiddenError)
    assert "compute (nova) failed GET os-hypervisors/detail: HTTP 403" in str(err)
    try:
        try:
            raise ks_error
        except ks_exceptions.ClientException as inner:
            raise sdk_exceptions.SDKException(str(inner)) from None
    except sdk_exceptions.SDKException as wrapped:
        assert isinstance(error_translation.translate(wrapped), os_errors.OpenStackForbiddenError)


def test_an_sdk_error_raised_without_a_response_keeps_its_status():
    err = error_translation.translate(sdk_exceptions.ConflictException("busy"))
    assert isinstance(err, os_errors.OpenStackConflictError)
    assert str(err).startswith("the cloud failed a request: HTTP 409: busy")


@pytest.fixture(name="silent_port")
def fixture_silent_port():
    """A loopback port that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held = []
    thread = threading.Thread(target=lambda: held.append(server.accept()), daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()
    for conn, _ in held:
        conn.close()


def closed_port():
    """A loopback port nothing listens on."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


def keystoneauth_failure(url, timeout=None):
    """The error a real keystoneauth session raises for a GET of ``url``."""
    with pytest.raises(ks_exceptions.ClientException) as caught:
        ks_session.Session().get(url, timeout=timeout, authenticated=False)
    return caught.value


def test_connection_refused_is_the_endpoint_down():
    port = closed_port()
    error_translation.remember_endpoint(f"http://127.0.0.1:{port}", "image (glance)")
    err = error_translation.translate(keystoneauth_failure(f"http://127.0.0.1:{port}/v2/images"))
    assert isinstance(err, os_errors.OpenStackUnreachableError)
    assert str(err) == (
        "image (glance) failed the request to images: [Errno 111] Connection refused; "
        f"the endpoint 127.0.0.1:{port} refused the connection: the service is down or its "
        "catalog URL is wrong"
    )


def test_read_timeout_says_it_may_still_happen(silent_port):
    url = f"http://127.0.0.1:{silent_port}/v2.0/ports"
    err = error_translation.translate(keystoneauth_failure(url, timeout=0.2))
    assert isinstance(err, os_errors.OpenStackTimeoutError)
    assert "failed the request to ports: timed out; no answer in time: the service may still" in (
        str(err)
    )


def test_tls_failure_points_at_certificate_and_ca():
    text = (
        f"SSL exception connecting to {NOVA}/servers: HTTPSConnectionPool(host='nova', "
        "port=8774): Max retries exceeded (Caused by SSLError(SSLCertVerificationError(1, "
        "'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
        "issuer certificate (_ssl.c:992)')))"
    )
    err = error_translation.translate(ks_exceptions.SSLError(text))
    assert isinstance(err, os_errors.OpenStackTLSError)
    assert str(err) == (
        "compute (nova) failed the request to servers: [SSL: CERTIFICATE_VERIFY_FAILED] "
        "certificate verify failed: unable to get local issuer certificate; TLS failed: check "
        "the endpoint's certificate and the CA the cloud_account trusts (cacert / verify in "
        "clouds.yaml)"
    )


def test_a_failed_version_discovery_is_a_service_failure():
    err = error_translation.translate(
        sdk_exceptions.NotSupported(
            "The image service for devcloud:RegionOne exists but does not have any supported "
            "versions."
        )
    )
    assert isinstance(err, os_errors.OpenStackServiceError)
    assert str(err).endswith(
        "its version discovery failed: the service is down or failing, see its log"
    )


def test_other_failures_are_not_openstack_ones():
    assert error_translation.translate(ZeroDivisionError("bug")) is None
    assert error_translation.translate(OSError("disk")) is None


def test_openstack_errors_adds_what_was_being_done():
    with pytest.raises(os_errors.OpenStackConflictError) as err:
        with openstack_errors("rebooting server web-1"):
            raise sdk_error(answer(409))
    assert str(err.value).startswith("rebooting server web-1: compute (nova) failed POST")


def raiser_in(module_name):
    """A function raising its argument from inside ``module_name`` (as its traceback says)."""
    namespace = {"__name__": module_name}
    exec("def raiser(err):\n    raise err\n", namespace)  # pylint: disable=exec-used
    return namespace["raiser"]


def raised(function, err):
    """``err`` after ``function`` raised it, with its traceback."""
    try:
        function(err)
    except BaseException as caught:  # pylint: disable=broad-exception-caught
        return caught
    raise AssertionError("did not raise")


@pytest.mark.parametrize(
    "module, err, error_type",
    [
        (
            "apis.alertmanager_api.client",
            requests.ConnectionError("refused"),
            AlertmanagerConnectionError,
        ),
        (
            "apis.alertmanager_api.client",
            requests.JSONDecodeError("Expecting value", "<html>", 0),
            AlertmanagerRequestError,
        ),
        ("apis.icinga_api.client", requests.ReadTimeout("slow"), IcingaTimeoutError),
        (
            "apis.email_api.smtp_connection",
            smtplib.SMTPServerDisconnected("gone"),
            MailServerConnectionError,
        ),
        (
            "apis.email_api.smtp_connection",
            ConnectionRefusedError(111, "refused"),
            MailServerConnectionError,
        ),
        ("apis.ssh_api.client", paramiko.SSHException("broken"), SSHConnectionError),
        ("apis.ssh_api.client", paramiko.AuthenticationException("no"), SSHAuthError),
        ("apis.ssh_api.client", socket.timeout("timed out"), SSHTimeoutError),
    ],
)
def test_library_failures_escaping_an_api_become_its_errors(module, err, error_type):
    translated = registry.translate(raised(raiser_in(module), err))
    assert isinstance(translated, error_type), translated
    assert "\n" not in str(translated)


def test_the_same_library_failure_outside_an_api_is_a_bug():
    assert registry.translate(raised(raiser_in("workflows.somewhere"), OSError("x"))) is None
    assert registry.translate(raised(raiser_in("workflows.x"), requests.ConnectionError())) is None


def test_jira_errors_anywhere_become_jira_errors():
    denied = registry.translate(
        JIRAError("no permission", status_code=403, url="https://j/rest/api/2/issue")
    )
    assert isinstance(denied, JiraAuthError) and "jira was refused (403)" in str(denied)
    busy = registry.translate(
        JIRAError("later", status_code=503, url="https://j/rest/api/2/search")
    )
    assert isinstance(busy, JiraUnavailableError)


def openstack_conflict():
    """A lib function meeting a nova 409."""
    raise sdk_error(answer(409))


def a_bug():
    """A lib function with a bug."""
    return {}["missing"]


def test_dispatch_turns_library_failures_into_failed_results():
    succeeded, result = dispatch(f"{__name__}:openstack_conflict", {}, {})
    assert not succeeded
    assert result["error_type"] == "OpenStackConflictError"
    assert result["error"].startswith("compute (nova) failed POST servers/")
    with pytest.raises(KeyError):
        dispatch(f"{__name__}:a_bug", {}, {})


class Sensor(PollingSensorHooks):
    """A sensor whose poll meets ``failure``."""

    def __init__(self, failure, logger):
        self.failure = failure
        self._logger = logger

    def poll_once(self):
        raise self.failure


def test_a_sensor_poll_logs_translated_failures_in_one_line_and_bugs_with_traceback(caplog):
    logger = logging.getLogger("sensor")
    with caplog.at_level(logging.ERROR, "sensor"):
        Sensor(sdk_error(answer(500)), logger).poll()
        Sensor(ZeroDivisionError("bug"), logger).poll()
    translated, bug = caplog.records
    assert translated.getMessage().startswith(
        "poll failed, trying again next poll: OpenStackServiceError: compute (nova) failed POST"
    )
    assert translated.exc_info is None and bug.exc_info is not None
