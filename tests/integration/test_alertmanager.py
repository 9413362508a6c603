"""The Alertmanager api against a real Alertmanager: silences, auth, retries and timeouts.

``FaultProxy`` sits in front of a real service (Alertmanager here, Icinga over TLS in
test_icinga.py) and answers chosen requests with an injected status or a stall, so retries
and timeouts are exercised against the real server's answers.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from datetime import timedelta
from typing import Any, Tuple

import bcrypt
import pytest
import requests
import yaml

from apis import clock
from apis.alertmanager_api import silences
from apis.alertmanager_api.account import AlertmanagerAccount
from apis.alertmanager_api.client import AlertmanagerClient
from apis.alertmanager_api.exceptions import (
    AlertmanagerAuthError,
    AlertmanagerConnectionError,
    AlertmanagerRequestError,
    AlertmanagerTimeoutError,
    SilenceNotFoundError,
)
from tests.integration.fault_proxy import Fault, FaultProxy
from tests.integration.peers.common import (
    LOOPBACK,
    find_binary,
    free_port,
    start_daemon,
    wait_until,
)
from tests.integration.action_run import action_result, run_action, same_changes

pytestmark = pytest.mark.integration

PASSWORD = "am-Pa55-9f1c"


def account(url: str, **settings: Any) -> AlertmanagerAccount:
    """An account for ``url`` with fast backoff unless overridden."""
    settings.setdefault("backoff_factor", 0.01)
    return AlertmanagerAccount(name="test", url=url, **settings)


@pytest.fixture(name="am")
def fixture_am(alertmanager):
    """An account on the session's Alertmanager."""
    return account(alertmanager.url, timeout=5)


@pytest.fixture(name="host")
def fixture_host():
    """A host name no other test uses."""
    return f"hv-{uuid.uuid4().hex[:8]}"


@pytest.fixture(name="proxy")
def fixture_proxy(alertmanager):
    """A fault-injecting proxy in front of the session's Alertmanager."""
    with FaultProxy(alertmanager.url) as proxy:
        yield proxy


@pytest.fixture(scope="module", name="secured_alertmanager")
def fixture_secured_alertmanager(tmp_path_factory):
    """A second Alertmanager that requires basic auth (user cloudops, PASSWORD)."""
    binary = find_binary(
        "prometheus-alertmanager", "alertmanager", package="prometheus-alertmanager"
    )
    state = tmp_path_factory.mktemp("alertmanager_auth")
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    (state / "web.yml").write_text(
        yaml.safe_dump({"basic_auth_users": {"cloudops": hashed}}), encoding="utf-8"
    )
    (state / "alertmanager.yml").write_text(
        "route: {receiver: blackhole}\nreceivers: [{name: blackhole}]\n", encoding="utf-8"
    )
    port = free_port()
    daemon = start_daemon(
        "alertmanager-auth",
        [
            binary,
            f"--config.file={state / 'alertmanager.yml'}",
            f"--storage.path={state}",
            f"--web.listen-address={LOOPBACK}:{port}",
            f"--web.config.file={state / 'web.yml'}",
            "--cluster.listen-address=",
        ],
        state / "alertmanager.out",
    )
    url = f"http://{LOOPBACK}:{port}"
    try:
        wait_until(lambda: _ready(url, ("cloudops", PASSWORD)), "the secured Alertmanager", daemon)
        yield url
    finally:
        daemon.stop()


def _ready(url: str, auth: Tuple[str, str]) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(f"{url}/-/ready", auth=auth, timeout=2).status_code == 200
    return False


def _in(hours: float) -> str:
    return (clock.now() + timedelta(hours=hours)).isoformat()


def test_silence_lifecycle_through_the_local_runner(alertmanager, host, tmp_path):
    config = tmp_path / "cloudops.yaml"
    config.write_text(
        yaml.safe_dump({"alertmanager_accounts": [{"name": "default", "url": alertmanager.url}]}),
        encoding="utf-8",
    )
    create = (
        "alertmanager.silence.create",
        "matchers=alertname=HypervisorDown,instance=" + host,
        "comment=kernel upgrade",
        "duration=2h",
    )
    planned = action_result(config, *create)
    assert planned["dry_run"] and not planned["changed"]
    assert not silences.list_silences(account(alertmanager.url), host=host)["count"]
    done = action_result(config, *create, "dry_run=false")
    assert done["changed"] and same_changes(planned, done)
    created = done["silence"]
    assert created["state"] == "active" and done["objects"][0]["id"] == created["id"]
    assert created["matchers"] == ["alertname=HypervisorDown", f"instance={host}"]

    code, answer, printed = run_action(config, "alertmanager.silence.list", f"host={host}")
    assert code == 0, printed
    assert [s["id"] for s in answer["result"]["rows"]] == [created["id"]]

    code, answer, _ = run_action(config, "alertmanager.silence.remove", f"host={host}")
    assert code == 0 and answer["result"]["dry_run"] is True
    planned = answer["result"]
    assert AlertmanagerClient(account(alertmanager.url)).get_silence(created["id"]).state.value == (
        "active"
    )
    code, answer, printed = run_action(
        config, "alertmanager.silence.remove", f"silence_ids={created['id']}", "dry_run=false"
    )
    assert code == 0, printed
    assert [o["id"] for o in answer["result"]["objects"]] == [created["id"]]
    assert answer["result"]["changed"] and same_changes(planned, answer["result"])
    code, answer, _ = run_action(
        config, "alertmanager.silence.list", f"host={host}", "state=expired"
    )
    assert [s["id"] for s in answer["result"]["rows"]] == [created["id"]]

    code, answer, printed = run_action(
        config, "alertmanager.silence.remove", f"silence_ids={uuid.uuid4()}", "dry_run=false"
    )
    assert code == 1 and answer["result"]["error_type"] == "SilenceNotFoundError", printed


def test_list_filters_states_and_host_labels(am, host):
    active = silences.create_silence(am, [f"hostname=~{host}|other"], "regex", duration="1h")
    by_port = silences.create_silence(am, [f"instance={host}:9100"], "port", duration="1h")
    pending = silences.create_silence(
        am, [f"instance={host}.example.org"], "later", start=_in(1), end=_in(2)
    )
    foreign = silences.create_silence(am, [f"instance={host}0"], "another host", duration="1h")
    assert pending["state"] == "pending"

    every = silences.list_silences(am, host=host)
    assert {s["id"] for s in every["rows"]} == {active["id"], by_port["id"], pending["id"]}
    assert every["count"] == 3
    assert [s["id"] for s in silences.list_silences(am, host=host, state="pending")["rows"]] == [
        pending["id"]
    ]
    filtered = silences.list_silences(am, matchers=[f'instance="{host}:9100"'])
    assert [s["id"] for s in filtered["rows"]] == [by_port["id"]]

    removed = silences.remove_silences(am, host=host, dry_run=False)
    assert {o.id for o in removed.objects} == {active["id"], by_port["id"], pending["id"]}
    assert silences.list_silences(am, host=host, state="active")["count"] == 0
    assert AlertmanagerClient(am).get_silence(foreign["id"]).state.value == "active"
    again = silences.remove_silences(am, silence_ids=[active["id"]], dry_run=False)
    assert [(o.id, o.reason) for o in again.objects] == [(active["id"], "already expired")]
    silences.remove_silences(am, silence_ids=[foreign["id"]], dry_run=False)


def test_unknown_silence_id_expires_nothing(am, host):
    kept = silences.create_silence(am, [f"instance={host}"], "keep", duration="1h")
    unknown = str(uuid.uuid4())
    with pytest.raises(SilenceNotFoundError, match=unknown):
        silences.remove_silences(am, silence_ids=[kept["id"], unknown], dry_run=False)
    assert AlertmanagerClient(am).get_silence(kept["id"]).state.value == "active"
    with AlertmanagerClient(am) as client:
        with pytest.raises(SilenceNotFoundError, match="no such silence"):
            client.expire_silence(unknown)
        client.expire_silence(kept["id"])


def test_alertmanager_refusals_are_clear(am):
    with pytest.raises(AlertmanagerRequestError, match=r"answered 400: .*") as refused:
        silences.create_silence(am, ["instance=~(?=hv)hv01"], "lookahead is not RE2", duration="1h")
    assert "POST /api/v2/silences" in str(refused.value)


def test_basic_auth_refused_and_accepted(secured_alertmanager):
    with pytest.raises(AlertmanagerAuthError, match="refused \\(401\\)"):
        silences.list_silences(account(secured_alertmanager))
    wrong = "not-" + PASSWORD
    with pytest.raises(AlertmanagerAuthError) as denied:
        silences.list_silences(account(secured_alertmanager, username="cloudops", password=wrong))
    assert wrong not in str(denied.value)
    good = account(secured_alertmanager, username="cloudops", password=PASSWORD)
    created = silences.create_silence(good, ["instance=hv01"], "authorised", duration="1h")
    assert silences.list_silences(good, state="active")["rows"][0]["id"] == created["id"]


def test_retries_honour_retry_after(proxy, host):
    proxy.inject(Fault(503, retry_after="1"), Fault(429, retry_after="0"), Fault(502))
    started = time.monotonic()
    assert silences.list_silences(account(proxy.url), host=host) == {
        "count": 0,
        "rows": [],
        "output_type": "props",
        "output": None,
    }
    assert time.monotonic() - started >= 1.0
    assert [method for method, _, _ in proxy.seen] == ["GET"] * 4
    assert proxy.seen[1][2] - proxy.seen[0][2] >= 1.0

    proxy.inject(*[Fault(503)] * 4)
    with pytest.raises(AlertmanagerRequestError, match="answered 503 after 3 retries"):
        silences.list_silences(account(proxy.url))


def test_post_is_retried_only_when_nothing_was_done(proxy, host):
    proxy.inject(Fault(429, retry_after="0"))
    created = silences.create_silence(account(proxy.url), [f"instance={host}"], "x", duration="1h")
    assert [m for m, _, _ in proxy.seen].count("POST") == 2
    proxy.seen.clear()
    proxy.inject(Fault(502))
    with pytest.raises(AlertmanagerRequestError, match="answered 502: "):
        silences.create_silence(account(proxy.url), [f"instance={host}"], "y", duration="1h")
    assert [m for m, _, _ in proxy.seen] == ["POST"]
    silences.remove_silences(account(proxy.url), silence_ids=[created["id"]], dry_run=False)


def test_timeout_and_refused_connection(proxy):
    proxy.inject(Fault(stall=3))
    started = time.monotonic()
    with pytest.raises(AlertmanagerTimeoutError, match="timeout=0.3 s"):
        silences.list_silences(account(proxy.url, timeout=0.3))
    assert time.monotonic() - started < 2.5
    with pytest.raises(AlertmanagerConnectionError, match="ConnectionError"):
        silences.list_silences(account(f"http://{LOOPBACK}:{free_port()}"))
