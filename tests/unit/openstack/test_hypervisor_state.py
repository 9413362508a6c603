"""The hypervisor state machine: every state, every transition of the maintenance cycle."""

import pytest

from apis.openstack_api.hypervisor_facts import parse_uptime
from apis.openstack_api.hypervisor_state import (
    HypervisorFacts,
    HypervisorState,
    StateChange,
    changes,
    compute_state,
)

S = HypervisorState
REASON = "[maintenance] kernel update by ops (2026-11-25)"
DAY = 86400


def facts(state="up", status="enabled", reason=None, vms=3, uptime=86400 * 30, migrating=0):
    """Facts of hv1."""
    return HypervisorFacts("hv1", state, status, reason, vms, uptime, migrating)


CYCLE = [
    (facts(), S.RUNNING),
    (facts(uptime=DAY * 181), S.DUE_FOR_MAINTENANCE),
    (facts(status="disabled", reason=REASON, uptime=DAY * 181), S.PENDING_MAINTENANCE),
    (facts(status="disabled", reason=REASON, migrating=2), S.DRAINING),
    (facts(status="disabled", reason=REASON, vms=0), S.DRAINED),
    (facts(state="down", status="disabled", reason=REASON, vms=0), S.DOWN),
    (facts(status="disabled", reason=REASON, vms=0, uptime=120), S.REBOOTED),
    (facts(vms=0, uptime=600), S.EMPTY),
    (facts(vms=1, uptime=900), S.RUNNING),
]


@pytest.mark.parametrize(
    "fact, expected",
    CYCLE
    + [
        (facts(status="disabled", reason="hardware fault"), S.DISABLED),
        (facts(status="disabled", reason=None, vms=0), S.DISABLED),
        (facts(state=None), S.UNKNOWN),
        (facts(vms=None), S.UNKNOWN),
        (facts(status="disabled", reason=REASON, vms=0, uptime=None), S.DRAINED),
        (facts(vms=0, uptime=DAY * 181), S.DUE_FOR_MAINTENANCE),
        (facts(uptime=DAY * 180), S.RUNNING),
        (facts(uptime=None), S.RUNNING),
        (facts(status="disabled", reason="hardware fault", uptime=DAY * 400), S.DISABLED),
        (facts(state="down", uptime=DAY * 400), S.DOWN),
    ],
)
def test_compute_state(fact, expected):
    assert compute_state(fact) is expected


def test_every_state_is_reachable():
    reached = {compute_state(f) for f, _ in CYCLE} | {
        compute_state(facts(status="disabled", reason="x")),
        compute_state(facts(state=None)),
    }
    assert reached == set(HypervisorState)


def test_maintenance_cycle_transitions_are_each_reported_once():
    recorded = {}
    seen = []
    for fact, expected in CYCLE:
        found = changes([fact], recorded)
        assert found == [StateChange("hv1", recorded.get("hv1"), expected.value)]
        recorded["hv1"] = expected.value
        seen.append(found[0])
        assert not changes([fact], recorded)  # no change, nothing dispatched again
    assert [(c.previous, c.current) for c in seen] == [
        (None, "RUNNING"),
        ("RUNNING", "DUE_FOR_MAINTENANCE"),
        ("DUE_FOR_MAINTENANCE", "PENDING_MAINTENANCE"),
        ("PENDING_MAINTENANCE", "DRAINING"),
        ("DRAINING", "DRAINED"),
        ("DRAINED", "DOWN"),
        ("DOWN", "REBOOTED"),
        ("REBOOTED", "EMPTY"),
        ("EMPTY", "RUNNING"),
    ]


def test_reboot_window_is_configurable():
    fact = facts(status="disabled", reason=REASON, vms=0, uptime=7200)
    assert compute_state(fact) is S.DRAINED
    assert compute_state(fact, reboot_window_seconds=10800) is S.REBOOTED


@pytest.mark.parametrize("limit, expected", [(30, S.DUE_FOR_MAINTENANCE), (90, S.RUNNING)])
def test_uptime_limit_is_configurable(limit, expected):
    fact = facts(uptime=DAY * 60)
    assert compute_state(fact, uptime_limit_days=limit) is expected
    assert changes([fact], {}, uptime_limit_days=limit)[0].current == expected.value


@pytest.mark.parametrize("off", [0, None])
def test_uptime_limit_off(off):
    assert compute_state(facts(uptime=DAY * 1000), uptime_limit_days=off) is S.RUNNING


def test_in_maintenance_whatever_the_state():
    assert facts(state="down", status="disabled", reason=REASON).in_maintenance
    assert not facts(status="disabled", reason="hardware fault").in_maintenance
    assert not facts(reason=REASON).in_maintenance  # enabled with a stale reason
    assert facts().compute_host == "hv1"


@pytest.mark.parametrize(
    "text, seconds",
    [
        (" 10:01:02 up 3 days,  4:05,  1 user,  load average: 0.00", 3 * 86400 + 4 * 3600 + 300),
        (" 10:01:02 up 1 day, 0:01, 0 users", 86400 + 60),
        (" 10:01:02 up  2:30,  0 users", 9000),
        (" 10:01:02 up 5 min,  0 users,  load average: 0.40", 300),
        (" 10:01:02 up 12 days, 7 min,  2 users", 12 * 86400 + 420),
        ("garbage", None),
        (None, None),
    ],
)
def test_parse_uptime(text, seconds):
    assert parse_uptime(text) == seconds
