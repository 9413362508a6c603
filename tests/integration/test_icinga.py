"""The Icinga api against a real Icinga2: search, downtimes, TLS, auth, retries, timeouts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from apis import clock
from apis.icinga_api import downtimes
from apis.icinga_api.account import IcingaAccount
from apis.icinga_api.client import IcingaClient
from apis.icinga_api.exceptions import (
    IcingaAuthError,
    IcingaConnectionError,
    IcingaObjectNotFoundError,
    IcingaRequestError,
    IcingaTimeoutError,
)
from apis.icinga_api.search import search
from tests.integration.peers.icinga import NODE_NAME
from tests.integration.fault_proxy import Fault, FaultProxy
from tests.integration.action_run import action_result, run_action, same_changes

pytestmark = pytest.mark.integration


def account(icinga, url=None, **settings: Any) -> IcingaAccount:
    """An account on the session's Icinga2 (or on ``url``), verifying TLS with its CA."""
    values = {**icinga.account_entry(backoff_factor=0.01, timeout=10), **settings}
    return IcingaAccount(**{**values, "url": url or icinga.url})


def _all_downtimes(icinga) -> list:
    answer = requests.get(
        f"{icinga.url}/v1/objects/downtimes",
        auth=(icinga.user, icinga.password),
        verify=str(icinga.ca_file),
        headers={"Accept": "application/json"},
        timeout=10,
    )
    return [(d["name"], d["attrs"]["author"]) for d in answer.json()["results"]]


@pytest.fixture(name="clean")
def fixture_clean(icinga):
    """Remove every downtime before and after the test (the Icinga fixture is shared)."""

    def wipe():
        with IcingaClient(account(icinga)) as client:
            for name, _ in _all_downtimes(icinga):
                client.remove_downtime(name)

    wipe()
    yield
    wipe()


@pytest.fixture(name="proxy")
def fixture_proxy(icinga):
    """A TLS fault-injecting proxy in front of Icinga2, serving Icinga's own certificate."""
    certs = Path(icinga.ca_file).parent
    cert = (certs / f"{NODE_NAME}.crt", certs / f"{NODE_NAME}.key")
    with FaultProxy(icinga.url, verify=str(icinga.ca_file), cert=cert) as proxy:
        yield proxy


def test_downtime_actions_through_the_local_runner(icinga, clean, tmp_path):
    del clean
    host = icinga.hosts[0]
    config = tmp_path / "cloudops.yaml"
    entry = icinga.account_entry("default")
    config.write_text(yaml.safe_dump({"icinga_accounts": [entry]}), encoding="utf-8")
    schedule = ("icinga.downtime.schedule", f"host={host}", "comment=reboot", "duration=1h")
    planned = action_result(config, *schedule)
    assert planned["dry_run"] and not planned["changed"] and _all_downtimes(icinga) == []
    code, answer, printed = run_action(config, *schedule, "dry_run=false")
    assert code == 0, printed
    assert len(answer["result"]["objects"]) == 2 and answer["result"]["type"] == "fixed"
    assert answer["result"]["changed"] and same_changes(planned, answer["result"])
    assert icinga.password not in printed

    code, answer, printed = run_action(
        config, "icinga.search", "object_type=service", f"host={host}"
    )
    assert code == 0, printed
    [service] = answer["result"]["rows"]
    assert (service["host"], service["name"], service["in_downtime"]) == (
        host,
        icinga.service,
        True,
    )

    code, answer, printed = run_action(config, "icinga.downtime.remove", f"host={host}")
    assert code == 0, printed
    assert answer["result"]["dry_run"] and len(answer["result"]["downtimes"]) == 2
    assert len(_all_downtimes(icinga)) == 2
    planned = answer["result"]
    code, answer, printed = run_action(
        config, "icinga.downtime.remove", f"host={host}", "dry_run=false"
    )
    assert code == 0, printed
    assert answer["result"]["changed"] and same_changes(planned, answer["result"])
    assert _all_downtimes(icinga) == []

    code, answer, printed = run_action(config, "icinga.downtime.remove", "host=hv99")
    assert code == 1 and answer["result"]["error_type"] == "IcingaObjectNotFoundError", printed


def test_removes_only_the_packs_own_downtimes(icinga, clean):
    del clean
    acct = account(icinga)
    host = icinga.hosts[1]
    now = clock.now().timestamp()
    foreign = icinga.schedule_host_downtime(
        host, now, now + 600, "cloudops", "colleague's maintenance"
    )
    ours = downtimes.schedule_downtime(
        acct,
        host,
        "nova upgrade",
        service=icinga.service,
        duration="2h",
        downtime_type="flexible",
        flexible_duration="30m",
    )
    assert len(ours["downtimes"]) == 1
    service_downtime = ours["downtimes"][0]
    with IcingaClient(acct) as client:
        [item] = client.objects(
            "downtimes", "downtime.service_name==s", {"s": icinga.service}, ["fixed", "duration"]
        )
    assert item["attrs"] == {"fixed": False, "duration": 1800.0}

    host_only = downtimes.schedule_downtime(
        acct, host, "host only", duration="1h", all_services=False
    )
    assert len(host_only["downtimes"]) == 1
    removed = downtimes.remove_downtimes(acct, host, service=icinga.service, dry_run=False)
    assert [d["name"] for d in removed.downtimes] == [service_downtime]
    removed = downtimes.remove_downtimes(acct, host, dry_run=False)
    assert [d["name"] for d in removed.downtimes] == host_only["downtimes"]
    assert _all_downtimes(icinga) == [(foreign, "cloudops")]


def test_search_by_glob_and_state(icinga):
    acct = account(icinga)
    every = search(acct)
    assert [row["name"] for row in every["rows"]] == sorted(icinga.hosts)
    assert search(acct, name="hv0?")["count"] == len(icinga.hosts)
    assert search(acct, name=icinga.hosts[0])["rows"][0]["name"] == icinga.hosts[0]
    states = {row["state"] for row in every["rows"]}
    for state in ("up", "down"):
        assert search(acct, state=state)["count"] == sum(
            row["state"] == state for row in every["rows"]
        )
    assert states <= {"up", "down"}
    services = search(acct, object_type="service", name="nova-*")
    assert {(row["host"], row["name"]) for row in services["rows"]} == {
        (host, icinga.service) for host in icinga.hosts
    }
    assert search(acct, object_type="service", state="critical", host="nope*")["count"] == 0


def test_unknown_and_injected_names_match_nothing(icinga, clean):
    del clean
    acct = account(icinga)
    for name in ("hv99", f'{icinga.hosts[0]}" || true || "'):
        with pytest.raises(IcingaObjectNotFoundError, match="not found in Icinga"):
            downtimes.schedule_downtime(acct, name, "x", duration="1h")
        assert search(acct, name=name)["count"] == 0
    with pytest.raises(IcingaObjectNotFoundError, match="service 'nope' of host"):
        downtimes.schedule_downtime(acct, icinga.hosts[0], "x", service="nope", duration="1h")
    assert _all_downtimes(icinga) == []


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_auth_and_tls_verification(icinga, monkeypatch, tmp_path):
    wrong = "wrong-" + icinga.password
    with pytest.raises(IcingaAuthError, match="refused \\(401\\)") as refused:
        search(account(icinga, password=wrong))
    assert wrong not in str(refused.value) and icinga.password not in str(refused.value)

    other_ca = tmp_path / "other.pem"
    other_ca.write_text(Path(requests.certs.where()).read_text(encoding="ascii"), encoding="ascii")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other_ca))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(other_ca))
    assert search(account(icinga))["count"] == len(icinga.hosts)
    with pytest.raises(IcingaConnectionError, match="SSLError"):
        search(account(icinga, ca_file=None))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(icinga.ca_file))
    with pytest.raises(IcingaConnectionError, match="SSLError"):
        search(account(icinga, ca_file=None))
    assert search(account(icinga, ca_file=None, verify=False))["count"] == len(icinga.hosts)


def test_retries_over_tls_and_timeouts(icinga, proxy):
    proxy.inject(Fault(503, retry_after="1"), Fault(429))
    started = time.monotonic()
    assert search(account(icinga, url=proxy.url))["count"] == len(icinga.hosts)
    assert time.monotonic() - started >= 1.0
    assert len(proxy.seen) == 3

    proxy.inject(Fault(502))
    with pytest.raises(IcingaRequestError, match="answered 502: "):
        search(account(icinga, url=proxy.url))

    proxy.inject(Fault(stall=1.5))
    with pytest.raises(IcingaTimeoutError, match="timeout=0.3 s"):
        search(account(icinga, url=proxy.url, timeout=0.3))
