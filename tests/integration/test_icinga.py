"""The Icinga api against a real Icinga2: search, downtimes, TLS, auth, retries, timeouts."""

from __future__ import annotations

import csv
import io
import json
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
from tests.integration.peers.common import LOOPBACK
from tests.integration.peers.icinga import NODE_NAME, QUERY_USER, rack_of
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


def _names(found) -> list:
    return [row.get("host", row["name"]) for row in found["rows"]]


def test_search_by_filter_expression_and_filter_vars(icinga):
    acct = account(icinga)
    first, second = icinga.hosts
    rack = rack_of(first)
    assert '"' in rack and "'" in rack
    by_rack = {"filter": "host.vars.rack == rack", "filter_vars": {"rack": rack}}
    assert _names(search(acct, **by_rack)) == [first]
    assert _names(search(acct, object_type="service", **by_rack)) == [first]
    assert _names(search(acct, name=second, **by_rack)) == []
    for injected in (f'{rack}" || true || "', f"{rack}' || true || '", rack[:-1]):
        assert search(acct, filter="host.vars.rack == v", filter_vars={"v": injected})["count"] == 0
    assert _names(search(acct, filter=f'host.name != "{first}"')) == [second]
    assert _names(
        search(acct, filter="host.name in names", filter_vars={"names": [second, "hv99"]})
    ) == [second]
    assert _names(
        search(
            acct,
            object_type="service",
            name="nova-*",
            filter='host.vars.role == "compute" && match(pattern, host.vars.rack)',
            filter_vars={"pattern": '*"A"*'},
        )
    ) == [first, second]


def test_attrs_and_joins_on_services_in_every_format(icinga):
    acct = account(icinga)
    hosts = {row["name"]: row for row in search(acct)["rows"]}
    columns = {
        "object_type": "service",
        "attrs": ["name", "state", "vars.dummy_text", "last_check"],
        "joins": ["host.name", "host.address", "host.vars.rack", "host.state"],
    }
    found = search(acct, **columns)
    assert [list(row) for row in found["rows"]] == [columns["attrs"] + columns["joins"]] * 2
    for row, host in zip(found["rows"], icinga.hosts):
        assert (row["name"], row["vars.dummy_text"]) == (icinga.service, "nova-compute is running")
        assert (row["host.name"], row["host.address"]) == (host, LOOPBACK)
        assert (row["host.vars.rack"], row["host.state"]) == (rack_of(host), hosts[host]["state"])
        assert row["state"] in {"ok", "warning", "critical", "unknown"}
    as_csv = search(acct, **columns, output_type="csv")
    parsed = list(csv.DictReader(io.StringIO(as_csv["output"])))
    assert [row["host.vars.rack"] for row in parsed] == [rack_of(h) for h in icinga.hosts]
    assert [row["host.name"] for row in parsed] == list(icinga.hosts)
    table = search(acct, **columns, output_type="table")["output"]
    assert "host.address" in table.splitlines()[1] and rack_of(icinga.hosts[1]) in table
    default = search(acct, object_type="service", joins=["host.address"])
    assert [(row["host"], row["host.address"]) for row in default["rows"]] == [
        (host, LOOPBACK) for host in icinga.hosts
    ]


def test_bad_columns_and_filters_fail_in_one_line(icinga, tmp_path):
    config = tmp_path / "cloudops.yaml"
    entry = icinga.account_entry("default")
    config.write_text(yaml.safe_dump({"icinga_accounts": [entry]}), encoding="utf-8")
    failures = {
        ("attrs=name,stat",): ("IcingaParameterError", "attrs 'stat': 'stat' is not a Host"),
        ("object_type=service", "joins=host.adress"): (
            "IcingaParameterError",
            "joins 'host.adress': 'adress' is not a Host attribute (did you mean 'address'?)",
        ),
        ("filter=host.vars.rack == rack",): (
            "IcingaFilterError",
            "Tried to access undefined script variable 'rack'",
        ),
        ("filter=host.name ==",): ("IcingaFilterError", "syntax error"),
    }
    for argv, (error_type, message) in failures.items():
        code, answer, printed = run_action(config, "icinga.search", *argv)
        assert code == 1 and answer["result"]["error_type"] == error_type, printed
        assert message in answer["result"]["error"] and "\n" not in answer["result"]["error"]
    found = action_result(
        config,
        "icinga.search",
        "filter=host.vars.rack == rack",
        "filter_vars=" + json.dumps({"rack": rack_of(icinga.hosts[1])}),
        "attrs=name,vars.rack",
        "output_type=markdown",
    )
    assert found["rows"] == [{"name": icinga.hosts[1], "vars.rack": rack_of(icinga.hosts[1])}]
    assert found["output"].splitlines()[0].startswith("| name ")


def test_an_api_user_that_may_only_query_objects(icinga):
    acct = account(icinga, username=QUERY_USER)
    assert _names(search(acct, filter="host.vars.rack == r", filter_vars={"r": "x"})) == []
    assert search(acct, object_type="service")["count"] == len(icinga.hosts)
    with pytest.raises(IcingaAuthError, match=r'/v1/types \(404\).* add "types" to its'):
        search(acct, attrs=["name"])


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
