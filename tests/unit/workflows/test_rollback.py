"""workflows.rollback: undos run newest first, every one tried, every outcome reported."""

import pytest

from apis.errors import CloudopsError
from workflows.rollback import Rollback, Step, run_saga


def test_undos_run_in_reverse_and_report_each_outcome():
    ran = []
    rollback = Rollback(failure=lambda err: {"error": f"described: {err}"})
    rollback.add("project", lambda: ran.append("project"))
    rollback.add("ports", lambda: ran.append("ports") or ["port p1", "port p2"], itemized=True)
    rollback.add("patch", None)
    rollback.add("silence", lambda: {"silence_id": "s1"})
    rollback.add("router", lambda: 1 / 0)
    outcomes = rollback.run()
    assert ran == ["ports", "project"]
    assert outcomes == [
        {"step": "router", "outcome": "rollback failed", "error": "described: division by zero"},
        {"step": "silence", "outcome": "undone", "silence_id": "s1"},
        {"step": "patch", "outcome": "cannot be undone"},
        {"step": "ports", "outcome": "undone", "removed": ["port p1", "port p2"]},
        {"step": "project", "outcome": "undone"},
    ]


def test_a_saga_undoes_the_done_steps_with_what_they_did():
    undone = []

    def fail():
        raise CloudopsError("no route")

    steps = [
        Step("silence", lambda: {"id": "s1"}, lambda did: undone.append(did) or {}),
        Step("patch", lambda: {}),
        Step("reboot", fail),
        Step("check", lambda: {}),
    ]
    ok, report = run_saga(steps)
    assert not ok and undone == [{"id": "s1"}] and report["failed_step"] == "reboot"
    assert [s["outcome"] for s in report["steps"]] == ["done", "done", "failed", "not run"]
    assert report["rollback"] == [
        {"step": "patch", "outcome": "cannot be undone"},
        {"step": "silence", "outcome": "undone"},
    ]


def test_a_bug_in_a_step_is_raised_after_the_rollback():
    undone = []
    steps = [Step("a", lambda: {}, lambda did: undone.append("a") or {}), Step("b", dict.pop)]
    with pytest.raises(TypeError):
        run_saga(steps)
    assert undone == ["a"]
