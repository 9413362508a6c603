"""Session fixtures running the pack's peer services: Alertmanager, Icinga2, sshd, SMTP, Jira.

Each fixture starts its service once per session on a free loopback port with a temporary
state folder and stops it at the end. A fixture skips when the service's binary or library is
missing, except with ``CI=true``, where it fails instead.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from typing import Iterator

import pytest

from apis.alertmanager_api.account import AlertmanagerAccount
from apis.icinga_api.account import IcingaAccount


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"peer service unavailable in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def _peer(name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Run ``peers.<name>.running`` for the session, skipping when the service is missing."""
    common = importlib.import_module(f"{__package__}.peers.common")
    module = importlib.import_module(f"{__package__}.peers.{name}")
    with contextlib.ExitStack() as stack:
        try:
            peer = stack.enter_context(module.running(tmp_path_factory.mktemp(name)))
        except common.PeerUnavailable as exc:
            _missing(f"{name}: {exc}")
        yield peer


@pytest.fixture(scope="session")
def alertmanager(tmp_path_factory):
    """Prometheus Alertmanager (``peers.alertmanager.Alertmanager``)."""
    with _peer("alertmanager", tmp_path_factory) as peer:
        yield peer


@pytest.fixture(scope="session")
def icinga(tmp_path_factory):
    """Icinga2 with the REST API, hosts hv01/hv02 and a service each (``peers.icinga.Icinga``)."""
    with _peer("icinga", tmp_path_factory) as peer:
        yield peer


@pytest.fixture
def am_account(request):
    """The pack's account (``default``) on the session Alertmanager."""
    url = request.getfixturevalue("alertmanager").url
    return AlertmanagerAccount(name="default", url=url, timeout=5)


@pytest.fixture
def icinga_account(request):
    """The pack's account (``default``) on the session Icinga2, TLS verified with its CA."""
    entry = request.getfixturevalue("icinga").account_entry("default", backoff_factor=0.01)
    return IcingaAccount(**{**entry, "timeout": 10})


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """OpenSSH server with key-only root login and pinned known_hosts (``peers.sshd.Sshd``)."""
    with _peer("sshd", tmp_path_factory) as peer:
        yield peer


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory):
    """SMTP server requiring STARTTLS and AUTH, keeping messages (``peers.smtp.SmtpServer``)."""
    with _peer("smtp", tmp_path_factory) as peer:
        yield peer


@pytest.fixture(scope="session")
def fake_jira(tmp_path_factory):
    """Stateful fake Jira / JSM REST server (``peers.fake_jira.FakeJira``); its ``state`` is
    shared by the session, so call ``state.reset()`` where a test needs a clean slate."""
    with _peer("fake_jira", tmp_path_factory) as peer:
        yield peer
