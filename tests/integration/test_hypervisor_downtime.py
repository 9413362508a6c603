"""hypervisor.downtime and hypervisor.downtime.remove against the real Alertmanager and Icinga2
the integration suite starts (no cloud): the silences and downtimes they make, with their
matchers and window, the rollback when Icinga refuses, and who the removal takes.

The clock is pinned to the moment a test starts, so the window is known to the second. The
local runner runs an action in a fresh interpreter (its own clock), so the runner tests give
an explicit end and the in-process ones the duration.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import yaml

from apis import clock
from apis.alertmanager_api.silences import create_silence, list_silences, remove_silences
from apis.icinga_api.client import IcingaClient
from apis.icinga_api.downtimes import list_downtimes
from tests.integration.action_run import action_result, run_action, same_changes
from workflows.host_mute import SILENCE_MARKER
from workflows.hypervisor_downtime import hypervisor_downtime

pytestmark = pytest.mark.integration

WINDOW = datetime.timedelta(days=2, hours=6)


@pytest.fixture(name="now")
def fixture_now(pin_clock) -> datetime.datetime:
    """The pinned now of the test (whole seconds, as the APIs keep them)."""
    return pin_clock(clock.now().replace(microsecond=0))


@pytest.fixture(name="config")
def fixture_config(tmp_path, alertmanager, icinga) -> Path:
    """A pack config with the ``default`` Alertmanager and Icinga accounts."""
    path = tmp_path / "cloudops.yaml"
    sections = {
        "alertmanager_accounts": [{"name": "default", "url": alertmanager.url}],
        "icinga_accounts": [icinga.account_entry("default", backoff_factor=0.01)],
    }
    path.write_text(yaml.safe_dump(sections), encoding="utf-8")
    return path


def live_silences(am_account, host: str) -> List[Dict[str, Any]]:
    """Every active or pending silence selecting ``host``, whoever made it."""
    rows = list_silences(am_account, host=host)["rows"]
    return [s for s in rows if s["state"] != "expired"]


def all_downtimes(icinga_account, host: str) -> list:
    """Every downtime of ``host``, whoever scheduled it."""
    with IcingaClient(icinga_account) as client:
        return list_downtimes(client, host, only_own=False)


@pytest.fixture(name="host")
def fixture_host(icinga, am_account, icinga_account) -> Iterator[str]:
    """An Icinga host with no silence and no downtime before and after the test."""
    host = icinga.hosts[1]

    def wipe() -> None:
        ids = [s["id"] for s in live_silences(am_account, host)]
        if ids:
            remove_silences(am_account, silence_ids=ids, dry_run=False)
        with IcingaClient(icinga_account) as client:
            for downtime in list_downtimes(client, host, only_own=False):
                client.remove_downtime(downtime.name)

    wipe()
    yield host
    wipe()


def foreign_downtime(icinga, host: str, now: datetime.datetime) -> str:
    """A host downtime that a colleague scheduled in Icinga directly (not through the pack)."""
    start = now.timestamp()
    return icinga.schedule_host_downtime(host, start, start + 3600, "bob", "bob: firmware")


def test_downtime_and_its_removal_through_the_local_runner(
    config, host, now, icinga, am_account, icinga_account
):
    end = now + WINDOW
    args = ("hypervisor.downtime", f"hypervisor={host}", "comment=OPS-7 disk")
    args += (f"end={clock.isoformat_z(end)}", "author=alice")
    planned = action_result(config, *args)
    assert planned["dry_run"] and not planned["changed"]
    assert live_silences(am_account, host) == [] and all_downtimes(icinga_account, host) == []

    done = action_result(config, *args, "dry_run=false")
    assert done["changed"] and same_changes(planned, done)
    assert done["end"] == clock.isoformat_z(end)
    silences = sorted(live_silences(am_account, host), key=lambda s: s["matchers"])
    assert [s["matchers"] for s in silences] == [
        [f"hostname=~{host}([.:].*)?"],
        [f"instance=~{host}([.:].*)?"],
    ]
    assert {s["id"] for s in silences} == set(done["silence_ids"])
    for silence in silences:
        assert clock.parse(silence["ends_at"]) == end
        assert silence["created_by"] == "alice"
        assert silence["comment"] == f"{SILENCE_MARKER} OPS-7 disk"
    downtimes = all_downtimes(icinga_account, host)
    assert [(d.host, d.service) for d in downtimes] == [(host, None), (host, icinga.service)]
    assert sorted(d.name for d in downtimes) == done["downtimes"]
    for downtime in downtimes:
        assert (downtime.end, downtime.fixed) == (end, True)
        assert (downtime.author, downtime.comment) == ("alice", "[cloudops] OPS-7 disk")

    remove = ("hypervisor.downtime.remove", f"hypervisor={host}")
    planned = action_result(config, *remove)
    assert len(planned["objects"]) == 4 and not planned["changed"]
    assert len(live_silences(am_account, host)) == 2
    removed = action_result(config, *remove, "dry_run=false")
    assert removed["changed"] and same_changes(planned, removed)
    assert live_silences(am_account, host) == [] and all_downtimes(icinga_account, host) == []


def test_a_duration_sets_the_window_from_now(host, now, am_account, icinga_account):
    result = hypervisor_downtime(
        am_account, icinga_account, host, "OPS-8", duration="2d 6h", dry_run=False
    )
    end = now + WINDOW
    assert result.end == clock.isoformat_z(end)
    assert [clock.parse(s["ends_at"]) for s in live_silences(am_account, host)] == [end, end]
    assert {(d.start, d.end) for d in all_downtimes(icinga_account, host)} == {(now, end)}


def test_a_host_icinga_does_not_know_gets_no_silence(config, am_account, now):
    del now
    host = "hv-not-in-icinga"
    code, answer, printed = run_action(
        config,
        "hypervisor.downtime",
        f"hypervisor={host}",
        "comment=OPS-9",
        "duration=1h",
        "dry_run=false",
    )
    result = answer["result"]
    assert code == 1 and result["error_type"] == "HypervisorDowntimeError", printed
    assert result["error"] == (
        f"hypervisor.downtime of {host}: step 'downtime' failed: "
        f"host {host!r}: not found in Icinga; rolled back: hostname silence, silence"
    )
    assert [r["outcome"] for r in result["report"]["rollback"]] == ["undone", "undone"]
    assert live_silences(am_account, host) == []


def test_removal_takes_others_silences_and_downtimes_only_when_asked(
    config, host, now, icinga, am_account, icinga_account
):
    hypervisor_downtime(am_account, icinga_account, host, "OPS-10", duration="1h", dry_run=False)
    theirs = foreign_downtime(icinga, host, now)
    their_silence = create_silence(
        am_account, [f"instance={host}"], "bob: switch firmware", author="bob", duration="1h"
    )["id"]

    action_result(config, "hypervisor.downtime.remove", f"hypervisor={host}", "dry_run=false")
    assert [d.name for d in all_downtimes(icinga_account, host)] == [theirs]
    assert [s["id"] for s in live_silences(am_account, host)] == [their_silence]

    icinga_only = ("icinga.downtime.remove", f"host={host}", "dry_run=false")
    assert action_result(config, *icinga_only)["objects"] == []
    assert [d.name for d in all_downtimes(icinga_account, host)] == [theirs]

    everyone = ("hypervisor.downtime.remove", f"hypervisor={host}", "include_others=true")
    planned = action_result(config, *everyone)
    removed = action_result(config, *everyone, "dry_run=false")
    assert same_changes(planned, removed) and removed["include_others"]
    assert [o["id"] for o in removed["objects"]] == [theirs, their_silence]
    assert all_downtimes(icinga_account, host) == [] and live_silences(am_account, host) == []


def test_icinga_downtime_remove_takes_others_when_asked(config, host, now, icinga, icinga_account):
    theirs = foreign_downtime(icinga, host, now)
    removed = action_result(
        config, "icinga.downtime.remove", f"host={host}", "include_others=true", "dry_run=false"
    )
    assert [(o["id"], o["outcome"]) for o in removed["objects"]] == [(theirs, "done")]
    assert removed["downtimes"][0]["author"] == "bob"
    assert all_downtimes(icinga_account, host) == []
